"""The only surface the platform imports: provision, freeze, reset, destroy, timeline, verify_log, evaluate, tasks.

Every function takes an optional ``root``: where the instances live (a sandbox folder of SQLite files, or a
``storage.Store``, e.g. a PostgreSQL namespace). Without it the store follows the settings of the simulator
mounted in the current Flask app (or of the simulator app itself), then the environment: ``DATABASE_URL`` on
PostgreSQL (``SIMULATOR_DATABASE_URL``; mounted, the platform's PostgreSQL database) gives one schema per
instance in namespace ``SANDBOX_NAMESPACE``; otherwise SQLite files under ``SANDBOX_ROOT``
(``SIMULATOR_SANDBOX_ROOT``, by default ``instance/sandboxes`` in the project). See ``simulator.storage``.
Errors are ``simulator.errors.SimulatorError`` subclasses with Polish messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator import actionlog, evaluation
from simulator.content import ContentError
from simulator.errors import InstanceFrozen, SimulatorError, UnknownInstance
from simulator.evaluation import CheckOutcome, CriterionResult, EvaluationResult, TaskResult
from simulator.scenario import load_scenario
from simulator.storage import Store, store_for
from simulator.tasks import AnswerField, TaskView

__all__ = [
    "AnswerField",
    "CheckOutcome",
    "ContentError",
    "CriterionResult",
    "EvaluationResult",
    "InstanceFrozen",
    "InstanceInfo",
    "LogSeal",
    "ObservationItem",
    "ScenarioSummary",
    "SimulatorError",
    "TaskResult",
    "TaskView",
    "UnknownInstance",
    "destroy",
    "evaluate",
    "freeze",
    "observation_items",
    "provision",
    "reset",
    "scenarios",
    "seal_log",
    "set_deadline",
    "tasks",
    "timeline",
    "upgrade_instances",
    "verify_log",
]

MOUNT_POINT = "/sim"


@dataclass(frozen=True)
class InstanceInfo:
    """A provisioned instance: its id, the candidate's and the commission's capability tokens and URLs.

    The tokens are returned only here; the registry keeps their SHA-256 digests only.
    """

    instance_id: str
    token: str
    url_path: str
    viewer_token: str
    viewer_url_path: str
    scenario: str
    business_date: str


Root = Path | str | Store | None


def _store(root: Root) -> Store:
    return store_for(root)


def provision(scenario: str, candidate_key: str, seed: int, *, root: Root = None) -> InstanceInfo:
    """Create an isolated CRM instance of ``scenario`` for one candidate, varied by ``seed``.

    Raises ``ContentError`` (located problems) for a missing or invalid scenario file.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SimulatorError("Ziarno wariantu musi być liczbą całkowitą.")
    if not candidate_key or len(candidate_key) > 200:
        raise SimulatorError("Podaj identyfikator kandydata (najwyżej 200 znaków).")
    loaded = load_scenario(scenario)
    created = _store(root).provision(loaded, candidate_key, seed)
    return InstanceInfo(
        instance_id=created.record.id,
        token=created.token,
        url_path=f"{MOUNT_POINT}/i/{created.token}/",
        viewer_token=created.viewer_token,
        viewer_url_path=f"{MOUNT_POINT}/i/{created.viewer_token}/",
        scenario=loaded.id,
        business_date=loaded.business_date.isoformat(),
    )


def freeze(instance_id: str, *, root: Root = None) -> datetime:
    """Make an instance read-only (idempotent); return when it was frozen."""
    return _store(root).freeze(instance_id)


def set_deadline(instance_id: str, deadline: datetime, *, root: Root = None) -> None:
    """Tell the instance when the candidate's time ends (UTC; naive means UTC): after it every write is refused
    and the instance freezes itself, whether or not the platform has finished the attempt yet."""
    _store(root).set_deadline(instance_id, deadline)


def upgrade_instances(*, root: Root = None) -> dict[str, list[str]]:
    """Bring every instance made under an earlier CRM schema up to date (at deployment; each is otherwise
    brought up when first opened); return the changes per instance that needed any."""
    store = _store(root)
    done = {}
    for record in store.records():
        changes = store.ensure_current(record.id)
        if changes:
            done[record.id] = changes
    return done


def reset(instance_id: str, *, actor: str, reason: str, root: Root = None) -> None:
    """Bring an instance back to its start state; the log keeps everything and records who did it and why."""
    if not (actor or "").strip():
        raise SimulatorError("Podaj, kto przywraca instancję do stanu początkowego.")
    _store(root).reset(instance_id, actor=actor.strip(), reason=reason)


def destroy(instance_id: str, *, root: Root = None) -> None:
    """Delete an instance and its database (file or schema); its tokens stop working at once."""
    _store(root).destroy(instance_id)


def timeline(instance_id: str, since_seq: int = 0, *, root: Root = None) -> list[dict[str, Any]]:
    """Return the instance's action log after ``since_seq`` (for live watching and replay), oldest first."""
    rows = _store(root).timeline(instance_id, since_seq)
    for row in rows:
        for name in ("before", "after", "details"):
            row[name] = json.loads(row[name])
    return rows


def verify_log(instance_id: str, *, root: Root = None) -> tuple[bool, int | None]:
    """Check the instance's hash chain; return (True, None) or (False, seq of the first broken entry)."""
    return actionlog.verify_rows(_store(root).timeline(instance_id))


@dataclass(frozen=True)
class LogSeal:
    """The state of an instance's hash chain at one moment: how many entries, the last entry's hash, and
    whether the chain verified (else the first broken entry). Kept by the platform at the freeze, it lets a
    later reader tell an intact log from one whose entries were changed, removed or rebuilt."""

    entries: int
    head: str | None
    intact: bool
    broken_at: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "head": self.head, "intact": self.intact, "broken_at": self.broken_at}


def seal_log(instance_id: str, *, root: Root = None) -> LogSeal:
    """Verify the instance's hash chain and return its seal (see ``LogSeal``)."""
    rows = _store(root).timeline(instance_id)
    intact, broken_at = actionlog.verify_rows(rows)
    return LogSeal(len(rows), rows[-1]["entry_hash"] if rows else None, intact, broken_at)


def evaluate(instance_id: str, *, root: Root = None) -> EvaluationResult:
    """Evaluate every check of every task of an instance (read-only; works on frozen instances).

    The result lists, per task, each check with its points, both messages, what it found and the action-log
    entries behind it, and aggregates points per criterion with the critical checks that failed. Nothing is
    written to the instance (not even a log entry), so evaluation can be repeated and gives the same result.
    """
    return evaluation.evaluate(_store(root), instance_id)


def tasks(instance_id: str, *, root: Root = None) -> list[TaskView]:
    """Return the instance's tasks: rendered Polish instructions, time guide, criteria and answer fields."""
    return evaluation.task_list(_store(root), instance_id)


@dataclass(frozen=True)
class ObservationItem:
    """A behaviour the commission watches for and scores by hand, from a task's ``observation`` list."""

    task: str
    title: str
    criteria: tuple[str, ...]
    text: str


def observation_items(instance_id: str, *, root: Root = None) -> list[ObservationItem]:
    """Return what the commission observes in this instance's tasks, in task order; never for the candidate."""
    scenario = evaluation.instance_scenario(_store(root), instance_id)
    return [
        ObservationItem(task["key"], task["title"], tuple(task["criteria"]), text)
        for task in scenario.tasks
        for text in task.get("observation", [])
    ]


@dataclass(frozen=True)
class ScenarioSummary:
    """A scenario the platform may choose for a session."""

    id: str
    title: str
    kind: str  # exam | practice
    business_date: str
    tasks: int = 0
    guide_minutes: int = 0  # the sum of the tasks' time guides


def scenarios() -> list[ScenarioSummary]:
    """Every valid scenario under question_bank/practical/, by id (a broken file is left out, not fatal)."""
    from simulator.scenario import SCENARIOS_DIR

    found = []
    for path in sorted(SCENARIOS_DIR.glob("*/scenario.yaml")):
        try:
            loaded = load_scenario(path.parent.name)
        except ContentError:
            continue
        found.append(
            ScenarioSummary(
                loaded.id,
                loaded.title,
                loaded.kind,
                loaded.business_date.isoformat(),
                tasks=len(loaded.tasks),
                guide_minutes=sum(task["minutes"] for task in loaded.tasks),
            )
        )
    return found
