"""Inter-rater agreement of the commission's independent scores: raw agreement and Cohen's kappa."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    pairs: int
    observed: float  # raw agreement p_o
    expected: float  # chance agreement p_e
    kappa: float | None  # None when undefined (no pairs)


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> Agreement:
    """Compute p_o, p_e and κ = (p_o − p_e) / (1 − p_e) for two raters' met / not-met scores.

    When both raters use one category only (p_e = 1), κ is 1 if they always agree (nothing to chance).
    """
    n = len(pairs)
    if n == 0:
        return Agreement(0, 0.0, 0.0, None)
    observed = sum(a == b for a, b in pairs) / n
    a_yes = sum(a for a, _b in pairs) / n
    b_yes = sum(b for _a, b in pairs) / n
    expected = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
    kappa = 1.0 if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement(n, round(observed, 4), round(expected, 4), round(kappa, 4))
