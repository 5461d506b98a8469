"""Score items and attempts; the same rules for screen and paper."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from examplatform.bank.items import Item, ItemType, Scoring
from examplatform.theory.models import PartialCredit


def score_item(item: Item, value, policy: PartialCredit) -> float:  # noqa: PLR0911  (a rule per type)
    """Return the item's score between 0 and 1 for ``value`` (None = not answered)."""
    if value is None:
        return 0.0
    t = item.type
    if t in (ItemType.SINGLE, ItemType.TRUEFALSE):
        return 1.0 if value == item.key else 0.0
    if t is ItemType.ORDERING:
        return 1.0 if tuple(value) == item.key else 0.0
    if t is ItemType.MATCHING:
        return 1.0 if dict(value) == dict(item.key) else 0.0
    chosen, key = set(value), set(item.key)
    if chosen == key:
        return 1.0
    if policy is PartialCredit.NONE or item.scoring is Scoring.ALL_OR_NOTHING:
        return 0.0
    wrong_options = len(item.options) - len(key)
    # each correct choice earns 1/|key|, each wrong choice costs 1/|wrong options|, never below zero
    raw = len(chosen & key) / len(key) - (len(chosen - key) / wrong_options if wrong_options else 0.0)
    return round(max(0.0, raw), 4)


@dataclass
class Breakdown:
    score: float = 0.0
    maximum: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.maximum, 1) if self.maximum else 0.0


@dataclass
class Result:
    """An attempt's result with its derivation per item, criterion and outcome."""

    score: float
    maximum: int
    pass_percent: int
    items: list[dict] = field(default_factory=list)
    criteria: dict[str, Breakdown] = field(default_factory=dict)
    outcomes: dict[str, Breakdown] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.maximum, 1) if self.maximum else 0.0

    @property
    def passed(self) -> bool:
        return self.percent >= self.pass_percent


def score_answers(
    items: list[tuple[int, Item]], answers: dict[int, object], *, policy: PartialCredit, pass_percent: int
) -> Result:
    """Score ``answers`` (by position) against the form's items (position, item)."""
    criteria: dict[str, Breakdown] = defaultdict(Breakdown)
    outcomes: dict[str, Breakdown] = defaultdict(Breakdown)
    rows, total = [], 0.0
    for position, item in items:
        value = answers.get(position)
        points = score_item(item, value, policy)
        total += points
        outcome = item.criterion.rsplit(".", 1)[0]
        for bucket in (criteria[item.criterion], outcomes[outcome]):
            bucket.score += points
            bucket.maximum += 1
        rows.append(
            {
                "position": position,
                "item": item.id,
                "version": item.version,
                "criterion": item.criterion,
                "answer": value,
                "points": points,
            }
        )
    return Result(round(total, 4), len(items), pass_percent, rows, dict(criteria), dict(outcomes))
