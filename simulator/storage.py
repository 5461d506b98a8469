"""Where instances live: one storage object per sandbox namespace, chosen by configuration.

Two implementations share this contract:

- ``sandbox.FileStore`` (the default: dev, demo, ``make run``): one SQLite file per instance under a sandbox
  folder, a ``registry.sqlite3`` beside them and template files under ``templates/``;
- ``pgstore.PostgresStore`` (``DATABASE_URL`` on PostgreSQL): one schema per instance, one schema per
  template and the registry in schema ``sim_registry``, so any app node can serve any candidate.

Everything above this layer (``api``, ``evaluation``, the CRM's request context, practice mode) talks to a
``Store`` only: its records, a raw SQLAlchemy ``Connection`` on one instance (read-only or holding the
instance's write lock) and an ORM session for one request. The SQL run through those connections is
SQLAlchemy Core with named parameters, the same statements on both backends.

``store_for`` picks the store: a ``Store`` passes through; a folder (``Path`` or ``str``) means SQLite files
there; a mapping of settings (``DATABASE_URL``, ``SANDBOX_NAMESPACE``, ``SANDBOX_ROOT``) or, without an
argument, the settings of the current Flask app's simulator, then the environment (``SIMULATOR_DATABASE_URL``,
``SIMULATOR_SANDBOX_NAMESPACE``, ``SIMULATOR_SANDBOX_ROOT``).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from simulator import actionlog
from simulator.errors import InstanceFrozen, SimulatorError, UnknownInstance
from simulator.registry import InstanceRecord
from simulator.scenario import Scenario

if TYPE_CHECKING:
    from simulator.sandbox import Provisioned

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = PROJECT_ROOT / "instance" / "sandboxes"
ENVIRONMENT = {
    "DATABASE_URL": "SIMULATOR_DATABASE_URL",
    "SANDBOX_NAMESPACE": "SIMULATOR_SANDBOX_NAMESPACE",
    "SANDBOX_ROOT": "SIMULATOR_SANDBOX_ROOT",
}


class Store(ABC):
    """The instances of one sandbox namespace: templates, registry, per-instance connections and sessions."""

    kind: str = ""

    # -- templates ----------------------------------------------------------------------------------------
    @abstractmethod
    def build_template(self, scenario: Scenario) -> str:
        """Build the seeded template of a scenario version once; return its name (later calls reuse it)."""

    @abstractmethod
    def template_scenario(self, template: str) -> Scenario:
        """Return the scenario exactly as it was when this template was built."""

    # -- registry -----------------------------------------------------------------------------------------
    @abstractmethod
    def get(self, instance_id: str) -> InstanceRecord | None:
        """Return the registry record of an instance, if registered."""

    @abstractmethod
    def find_by_token(self, token: str) -> tuple[InstanceRecord, str] | None:
        """Return the instance a capability token opens and the role it grants (candidate or commission)."""

    @abstractmethod
    def records(self) -> list[InstanceRecord]:
        """Return every instance of this namespace, oldest first."""

    @abstractmethod
    def mark_frozen(self, instance_id: str, when: datetime) -> None:
        """Record the moment an instance was frozen (only the first time)."""

    # -- instances ----------------------------------------------------------------------------------------
    @abstractmethod
    def provision(self, scenario: Scenario, candidate_key: str, seed: int) -> Provisioned:
        """Create an isolated instance from the template, varied by the seed, with its two tokens registered."""

    @abstractmethod
    def restore(self, record: InstanceRecord, scenario: Scenario, now: datetime, entry: dict[str, Any]) -> None:
        """Bring the instance's data back to the template in one write transaction, keep the log, append ``entry``."""

    @abstractmethod
    def destroy(self, instance_id: str) -> None:
        """Delete an instance: its tokens stop working and its data is removed."""

    @abstractmethod
    def exists(self, instance_id: str) -> bool:
        """Return whether the instance's data is there (its registry record is checked separately)."""

    @abstractmethod
    def connect(self, instance_id: str, *, write: bool = False) -> AbstractContextManager[Connection]:
        """Open a raw connection on one instance inside a transaction.

        Read-only (``write=False``) the transaction sees one consistent state and refuses writes; with
        ``write=True`` it holds the instance's write lock from its start and commits when the block ends.
        """

    @property
    @abstractmethod
    def upgrade_key(self) -> str:
        """What names this store among the instances a process has brought up to date."""

    @abstractmethod
    def _upgrade(self, instance_id: str) -> list[str]:
        """Bring one instance up to the current CRM schema; return the changes (none when it was current)."""

    def ensure_current(self, instance_id: str) -> list[str]:
        """Bring an instance made under an earlier CRM schema up to date (see ``simulator.upgrade``), the first
        time this process opens it; return the changes made (none when it was current)."""
        from simulator import upgrade

        if not upgrade.first_time(self.upgrade_key, instance_id):
            return []
        try:
            return self._upgrade(instance_id)
        except BaseException:
            upgrade.forget(self.upgrade_key, instance_id)
            raise

    @abstractmethod
    def open_session(self, instance_id: str) -> Session:
        """Open the ORM session of one request on an instance (every transaction takes its write lock)."""

    # -- shared behaviour ---------------------------------------------------------------------------------
    def get_record(self, instance_id: str) -> InstanceRecord:
        """Return the registry record of an instance or raise ``UnknownInstance``."""
        record = self.get(instance_id)
        if record is None:
            raise UnknownInstance(instance_id)
        return record

    def instance_scenario(self, instance_id: str) -> Scenario:
        """Return the scenario exactly as the instance's template was built from it."""
        return self.template_scenario(self.get_record(instance_id).template)

    def append_system_entry(self, instance_id: str, **fields: Any) -> dict[str, Any]:
        """Append a system entry to an instance's log in its own write transaction."""
        with self.connect(instance_id, write=True) as conn:
            return actionlog.append_raw(conn, now=datetime.now(UTC), **fields)

    def freeze(self, instance_id: str, *, summary: str = "Instancja zamrożona: od teraz tylko do odczytu") -> datetime:
        """Make an instance read-only from now on (idempotent); return the moment it was frozen."""
        record = self.get_record(instance_id)
        if record.frozen_at is not None:
            return record.frozen_at
        now = datetime.now(UTC)
        self.mark_frozen(instance_id, now)
        self.append_system_entry(
            instance_id, actor=actionlog.SYSTEM, action="instance.frozen", entity_type="instance", summary=summary
        )
        return now

    def set_deadline(self, instance_id: str, deadline: datetime) -> None:
        """Keep the moment the candidate's time ends in the instance itself, so the simulator refuses (and
        freezes) a write after it even if the platform has not yet noticed; setting it again moves it."""
        record = self.get_record(instance_id)
        if record.frozen:
            raise InstanceFrozen(instance_id)
        deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
        with self.connect(instance_id, write=True) as conn:
            write_deadline(conn, deadline)
            actionlog.append_raw(
                conn,
                now=datetime.now(UTC),
                actor=actionlog.SYSTEM,
                action="instance.deadline",
                entity_type="instance",
                summary=f"Czas pracy kandydata kończy się {deadline.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
                details={"deadline": deadline.astimezone(UTC).isoformat()},
            )

    def freeze_if_past_deadline(self, instance_id: str, deadline: datetime | None, now: datetime) -> bool:
        """Freeze the instance when ``deadline`` (read by the caller) has passed; tell whether it did."""
        if deadline is None or now < deadline:
            return False
        self.freeze(instance_id, summary=f"Instancja zamrożona: czas pracy minął ({deadline:%Y-%m-%d %H:%M:%S} UTC)")
        return True

    def reset(self, instance_id: str, *, actor: str, reason: str) -> None:
        """Bring an instance back to its start state in one transaction; the action log is kept and extended."""
        if not (reason or "").strip():
            raise SimulatorError("Podaj powód przywrócenia instancji do stanu początkowego.")
        record = self.get_record(instance_id)
        if record.frozen:
            raise InstanceFrozen(instance_id)
        scenario = self.template_scenario(record.template)
        with self.connect(instance_id) as conn:
            deadline = read_deadline(conn)
        self.restore(record, scenario, datetime.now(UTC), reset_entry(actor, reason))
        if deadline is not None:  # the start state has no deadline: the candidate's time goes on
            with self.connect(instance_id, write=True) as conn:
                write_deadline(conn, deadline)

    def timeline(self, instance_id: str, since_seq: int = 0) -> list[dict[str, Any]]:
        """Return the stored log rows after ``since_seq`` (read-only)."""
        with self.connect(instance_id) as conn:
            return actionlog.read_rows(conn, since_seq)


_DEADLINE = text("SELECT value FROM instance_meta WHERE key = 'deadline'")


def read_deadline(conn: Connection | Session) -> datetime | None:
    """Return the instance's deadline (see ``Store.set_deadline``), or None when it has none."""
    value = conn.execute(_DEADLINE).scalar()
    return datetime.fromisoformat(value) if value else None


def write_deadline(conn: Connection, deadline: datetime) -> None:
    from simulator.tasks import write_meta

    write_meta(conn, [{"key": "deadline", "value": deadline.astimezone(UTC).isoformat()}])


def provisioned_entry(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Return the fields of the first log entry of a new instance."""
    return {
        "actor": actionlog.SYSTEM,
        "action": "instance.provisioned",
        "entity_type": "instance",
        "summary": f"Utworzono instancję scenariusza „{scenario.title}” (ziarno {seed})",
        "details": {"scenario": scenario.id, "seed": seed, "business_date": scenario.business_date},
    }


def reset_entry(actor: str, reason: str) -> dict[str, Any]:
    """Return the fields of the log entry that records a reset, who asked for it and why."""
    return {
        "actor": actionlog.Actor("system", actor),
        "action": "instance.reset",
        "entity_type": "instance",
        "summary": f"Przywrócono stan początkowy instancji (powód: {reason.strip()})",
        "details": {"reason": reason.strip(), "requested_by": actor},
    }


def is_postgres(url: str | None) -> bool:
    """Return whether a database URL names PostgreSQL."""
    return (url or "").split(":", 1)[0].split("+", 1)[0] in {"postgres", "postgresql"}


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _context_settings() -> Mapping[str, Any]:
    """Return the simulator settings of the current Flask app (mounted or alone), else of the environment."""
    try:
        from flask import current_app

        app = current_app._get_current_object()
    except RuntimeError:  # outside an application context
        app = None
    if app is not None:
        sim = app.extensions.get("simulator")
        config = sim.config if sim is not None else app.config
        if config.get("SANDBOX_ROOT") or config.get("DATABASE_URL"):
            return config
    return {name: os.environ.get(variable) for name, variable in ENVIRONMENT.items()}


def store_for(target: Store | Path | str | Mapping[str, Any] | None = None) -> Store:
    """Return the store of a sandbox folder, a mapping of settings, or (``None``) the current configuration."""
    from simulator.sandbox import FileStore

    if isinstance(target, Store):
        return target
    if isinstance(target, (str, os.PathLike)):
        return FileStore(Path(target))
    settings = _context_settings() if target is None else target
    url = settings.get("DATABASE_URL") or ""
    if is_postgres(url):
        from simulator.pgstore import PostgresStore

        return PostgresStore(normalise_url(url), settings.get("SANDBOX_NAMESPACE") or "")
    return FileStore(Path(settings.get("SANDBOX_ROOT") or DEFAULT_ROOT))
