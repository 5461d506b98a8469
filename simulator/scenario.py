"""Practical scenarios as data: load ``question_bank/practical/<id>/scenario.yaml`` and validate it.

A scenario names its business date, the CRM users, the seed data set and the per-seed variation rules.
Every problem is reported with its file and line; a broken file never reaches a sandbox.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from simulator.content import ContentError, LocatedDocument, LocatedError, parse_yaml, validate_schema
from simulator.scenario_rules import check_seed
from simulator.scenario_rules_ext import check_extensions
from simulator.scenario_schema import SCHEMA
from simulator.scenario_tasks import check_tasks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = PROJECT_ROOT / "question_bank" / "practical"
SCENARIO_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its id, title, business date, the raw data and the file's digest."""

    id: str
    title: str
    kind: str
    business_date: date
    data: dict[str, Any]
    digest: str
    path: Path
    source: bytes

    @property
    def seed(self) -> dict[str, list[dict[str, Any]]]:
        return self.data["seed"]

    @property
    def variations(self) -> dict[str, Any]:
        return self.data.get("variations", {})

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return self.data.get("tasks", [])

    @functools.cached_property
    def seed_ids(self) -> dict[str, dict[str, int]]:
        """Entity → seed key → id of the seeded records (computed once per scenario; do not modify)."""
        from simulator.checks import vocabulary

        return vocabulary.seed_ids(self.data)


def _dates_as_text(value: Any) -> Any:
    """Turn YAML dates into ISO strings so the schema sees one type for them."""
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


_cache: dict[str, Scenario] = {}


def parse_scenario(content: bytes, file: str, path: Path, expected_id: str | None = None) -> Scenario:
    """Validate scenario file content; raise ``ContentError`` listing every located problem."""
    digest = hashlib.sha256(content).hexdigest()
    if digest in _cache and _cache[digest].path == path:
        return _cache[digest]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError([LocatedError(file, None, "plik nie jest zapisany w UTF-8")]) from exc
    doc: LocatedDocument = parse_yaml(text, file)
    doc.data = _dates_as_text(doc.data)
    errors = validate_schema(doc, SCHEMA)
    if errors:
        raise ContentError(errors)
    data = doc.data
    if expected_id is not None and data["id"] != expected_id:
        errors.append(doc.error(("id",), f"identyfikator „{data['id']}” różni się od nazwy folderu „{expected_id}”"))
    try:
        business_date = date.fromisoformat(data["business_date"])
    except ValueError:
        errors.append(doc.error(("business_date",), f"niepoprawna data „{data['business_date']}”"))
        business_date = date.min
    errors.extend(check_seed(doc))
    errors.extend(check_extensions(doc))
    if not errors:  # task checks name seed records: only meaningful once the seed itself is sound
        errors.extend(check_tasks(doc))
    if errors:
        raise ContentError(errors)
    scenario = Scenario(
        id=data["id"],
        title=data["title"],
        kind=data["kind"],
        business_date=business_date,
        data=data,
        digest=digest,
        path=path,
        source=content,
    )
    _cache[digest] = scenario
    return scenario


def load_scenario_file(path: Path | str, expected_id: str | None = None) -> Scenario:
    """Read and validate one scenario file."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise ContentError([LocatedError(str(path), None, "plik scenariusza nie istnieje")]) from exc
    return parse_scenario(content, str(path), path, expected_id)


def scenario_path(scenario_id: str, base: Path | None = None) -> Path:
    """Return the file of a scenario id, refusing ids that are not plain folder names."""
    if not SCENARIO_ID.fullmatch(scenario_id or ""):
        raise ContentError([LocatedError(str(scenario_id), None, "niepoprawny identyfikator scenariusza")])
    return (base or SCENARIOS_DIR) / scenario_id / "scenario.yaml"


def load_scenario(scenario_id: str, base: Path | None = None) -> Scenario:
    """Load a scenario by id from ``question_bank/practical/<id>/scenario.yaml``."""
    return load_scenario_file(scenario_path(scenario_id, base), expected_id=scenario_id)
