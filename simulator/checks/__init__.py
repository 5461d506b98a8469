"""The registry of check types used by scenario tasks (one class per type, registered by a unique name).

A check type declares the JSON Schema of its ``params`` (scenario files are validated against it with located
errors), whether partial credit is meaningful for it, a load-time meaning check of its parameters
(``check_params``: entities, fields, seed keys, answer keys) and ``evaluate(snapshot, params)``, which reads the
instance and returns a ``CheckResult``. Checks never write. Registering a second type under a taken name raises
``DuplicateCheckType``. The built-in types live in
``records`` (record_exists, field_equals, count), ``events`` (event_exists), ``reports`` (report_matches) and
``answers`` (answer_equals).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from simulator.checks.snapshot import Snapshot


class DuplicateCheckType(ValueError):
    """A check type with this name is already registered."""


@dataclass
class CheckResult:
    """What one check found: the share of its points earned (0–1), what it saw, and the log entries behind it."""

    fraction: float
    detail: str
    observed: Any = None
    expected: Any = None
    event_seqs: list[int] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.fraction >= 1


@dataclass
class ParamProblems:
    """Collects located problems found in one check's parameters while a scenario loads."""

    report: Callable[[tuple, str], None]
    seed_ids: dict[str, dict[str, int]]
    answers: dict[str, str]  # answer key → kind of the task this check belongs to
    variables: frozenset[str]

    def error(self, pointer: tuple, message: str) -> None:
        self.report(pointer, message)


class CheckType(ABC):
    """Base of every check type: a name, a Polish label, the params schema, the partial-credit rule, evaluate."""

    name: ClassVar[str]
    label: ClassVar[str]
    schema: ClassVar[dict[str, Any]]
    partial_credit: ClassVar[bool] = False

    def check_params(self, params: dict[str, Any], problems: ParamProblems) -> None:
        """Report meaning problems of valid-shaped params (unknown fields, seed keys …) through ``problems``."""
        return  # an optional hook: most types have nothing beyond their schema to check

    @abstractmethod
    def evaluate(self, snapshot: Snapshot, params: dict[str, Any]) -> CheckResult:
        """Score the check on the instance's snapshot."""


_registry: dict[str, CheckType] = {}


def register(cls: type[CheckType]) -> type[CheckType]:
    """Register a check type class under its ``name``; a taken name raises ``DuplicateCheckType``."""
    if cls.name in _registry:
        raise DuplicateCheckType(f"typ sprawdzenia „{cls.name}” jest już zarejestrowany")
    _registry[cls.name] = cls()
    return cls


def unregister(name: str) -> None:
    """Remove a registered type (for tests that register their own)."""
    _registry.pop(name, None)


def get_type(name: str) -> CheckType | None:
    """Return the registered type of this name, or None."""
    return _registry.get(name)


def type_names() -> list[str]:
    """Return the names of every registered check type."""
    return sorted(_registry)


from simulator.checks import answers, events, records, reports  # noqa: E402, F401  (register the built-in types)
