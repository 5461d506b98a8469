"""Evaluate the checks of every task of one instance (read-only) and aggregate points per task and criterion.

Evaluation never writes to the instance, not even a log entry: it is a pure function of the instance's state,
so evaluating a frozen instance twice gives the same result and leaves its data and hash chain untouched. It
reads through the store's read-only connection: ``query_only`` on a SQLite file, a ``READ ONLY`` transaction on
a PostgreSQL schema.
The platform records when and by whom an evaluation was made in its own audit log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from simulator import checks, tasks
from simulator.checks import CheckResult
from simulator.checks.snapshot import Snapshot
from simulator.scenario import Scenario
from simulator.storage import Store, store_for

log = logging.getLogger(__name__)


@dataclass
class CheckOutcome:
    """One check of one task after evaluation: points earned, both messages, what was found, the evidence."""

    task: str
    index: int
    type: str
    label: str
    criteria: list[str]
    points: float
    max_points: float
    passed: bool
    critical: bool
    partial: str
    commission_message: str
    candidate_message: str
    detail: str
    observed: Any = None
    expected: Any = None
    event_seqs: list[int] = field(default_factory=list)


@dataclass
class TaskResult:
    """The checks of one task with its points and the critical checks it failed."""

    key: str
    title: str
    criteria: list[str]
    checks: list[CheckOutcome]
    points: float
    max_points: float
    critical_failures: list[int]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class CriterionResult:
    """Checks of every task evidencing one criterion: points, counts and failed critical checks."""

    code: str
    points: float = 0.0
    max_points: float = 0.0
    checks_passed: int = 0
    checks_total: int = 0
    critical_failures: list[str] = field(default_factory=list)  # "task#index"


@dataclass
class EvaluationResult:
    """The evidence of one instance: per task, per criterion, totals and how long the evaluation took."""

    instance_id: str
    scenario: str
    evaluated_at: datetime
    duration_ms: float
    tasks: list[TaskResult]
    criteria: dict[str, CriterionResult]
    points: float
    max_points: float

    @property
    def critical_failures(self) -> list[str]:
        return [f"{t.key}#{i}" for t in self.tasks for i in t.critical_failures]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe data (for the platform's evidence)."""
        data = asdict(self)
        data["evaluated_at"] = self.evaluated_at.isoformat()
        data["critical_failures"] = self.critical_failures
        return data


def instance_scenario(root: Path | Store, instance_id: str) -> Scenario:
    """Return the scenario exactly as the instance's template was built from it."""
    return store_for(root).instance_scenario(instance_id)


_BUSINESS_DATE = text("SELECT key, value FROM instance_meta WHERE key = 'business_date'")


def snapshot_for(conn: Connection, scenario: Scenario, task: dict[str, Any] | None = None) -> Snapshot:
    """Build the snapshot the checks of ``task`` read (shared rows; the task's variables and answers)."""
    variables, max_ids = tasks.stored(conn, scenario)
    meta = dict(conn.execute(_BUSINESS_DATE).tuples().all())
    snap = Snapshot(
        conn=conn,
        seed_ids=scenario.seed_ids,
        business_date=datetime.fromisoformat(meta["business_date"]).date() if meta else scenario.business_date,
        seed_max_ids=max_ids,
        all_variables=variables,
        all_answers=tasks.saved_answers(conn),
    )
    if task is not None:
        focus(snap, task)
    return snap


def focus(snap: Snapshot, task: dict[str, Any]) -> None:
    """Point a snapshot at one task: its variables, typed answers and answer kinds."""
    snap.variables = {k: v["value"] for k, v in snap.all_variables.get(task["key"], {}).items()}
    snap.answers = snap.all_answers.get(task["key"], {})
    snap.answer_kinds = {a["key"]: a["kind"] for a in task.get("answers", [])}


def run_check(snap: Snapshot, check: dict[str, Any]) -> CheckResult:
    """Evaluate one check; an unexpected error is a failed check with the reason, never a crash."""
    kind = checks.get_type(check["type"])
    if kind is None:
        return CheckResult(0.0, f"nieznany typ sprawdzenia „{check['type']}”")
    try:
        return kind.evaluate(snap, check["params"])
    except Exception as exc:  # a broken check must not hide the other results
        log.exception("check %s failed", check["type"])
        return CheckResult(0.0, f"błąd sprawdzenia: {exc}")


def evaluate_task(snap: Snapshot, task: dict[str, Any]) -> TaskResult:
    """Evaluate every check of one task."""
    focus(snap, task)
    outcomes = []
    for index, check in enumerate(task["checks"]):
        result = run_check(snap, check)
        kind = checks.get_type(check["type"])
        partial = check.get("partial", "all_or_nothing")
        points = float(check["points"])
        earned = points * result.fraction if partial == "proportional" else (points if result.passed else 0.0)
        outcomes.append(
            CheckOutcome(
                task=task["key"],
                index=index,
                type=check["type"],
                label=kind.label if kind else check["type"],
                criteria=list(check.get("criteria") or task["criteria"]),
                points=round(earned, 2),
                max_points=points,
                passed=result.passed,
                critical=bool(check.get("critical", False)),
                partial=partial,
                commission_message=check["commission"],
                candidate_message=check.get("candidate", ""),
                detail=result.detail,
                observed=result.observed,
                expected=result.expected,
                event_seqs=list(result.event_seqs),
            )
        )
    return TaskResult(
        key=task["key"],
        title=task["title"],
        criteria=list(task["criteria"]),
        checks=outcomes,
        points=round(sum(o.points for o in outcomes), 2),
        max_points=sum(o.max_points for o in outcomes),
        critical_failures=[o.index for o in outcomes if o.critical and not o.passed],
    )


def evaluate(root: Path | Store, instance_id: str) -> EvaluationResult:
    """Evaluate every task of an instance without writing to it."""
    started = time.perf_counter()
    store = store_for(root)
    scenario = store.instance_scenario(instance_id)
    with store.connect(instance_id) as conn:
        snap = snapshot_for(conn, scenario)
        results = [evaluate_task(snap, task) for task in scenario.tasks]
    criteria: dict[str, CriterionResult] = {}
    for task in results:
        for code in task.criteria:
            criteria.setdefault(code, CriterionResult(code))
        for outcome in task.checks:
            for code in outcome.criteria:
                c = criteria.setdefault(code, CriterionResult(code))
                c.points = round(c.points + outcome.points, 2)
                c.max_points += outcome.max_points
                c.checks_total += 1
                c.checks_passed += outcome.passed
                if outcome.critical and not outcome.passed:
                    c.critical_failures.append(f"{task.key}#{outcome.index}")
    return EvaluationResult(
        instance_id=instance_id,
        scenario=scenario.id,
        evaluated_at=datetime.now(UTC),
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        tasks=results,
        criteria=dict(sorted(criteria.items(), key=lambda kv: [int(p) for p in kv[0].split(".")])),
        points=round(sum(t.points for t in results), 2),
        max_points=sum(t.max_points for t in results),
    )


def task_list(root: Path | Store, instance_id: str) -> list[tasks.TaskView]:
    """Return the instance's tasks with rendered instructions and saved answers."""
    store = store_for(root)
    scenario = store.instance_scenario(instance_id)
    with store.connect(instance_id) as conn:
        return tasks.task_views(conn, scenario)
