"""Read the item bank from its YAML files (one per criterion), with located errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from examplatform.bank.items import Item, ItemStatus, check_item
from examplatform.core.content import ContentError, LocatedDocument, LocatedError, read_yaml, validate_schema

_CHOICE = {
    "type": "object",
    "required": ["id", "text"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 8},
        "text": {"type": "string", "minLength": 1},
    },
}
_CHOICES = {"type": "array", "items": _CHOICE}
ITEM_SCHEMA = {
    "type": "object",
    "required": ["id", "version", "type", "status", "difficulty", "stem", "key", "source"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"},
        "version": {"type": "integer", "minimum": 1},
        "type": {"enum": ["single", "multiple", "truefalse", "matching", "ordering"]},
        "status": {"enum": [s.value for s in ItemStatus]},
        "difficulty": {"type": "number", "minimum": 0.01, "maximum": 0.99},
        "stem": {"type": "string", "minLength": 1},
        "options": _CHOICES,
        "premises": _CHOICES,
        "responses": _CHOICES,
        "key": {
            "anyOf": [
                {"type": "string"},
                {"type": "boolean"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": {"type": "string"}},
            ]
        },
        "scoring": {"enum": ["all_or_nothing", "partial"]},
        "source": {"type": "string", "minLength": 3},
        "rationale": {"type": "string"},
    },
}
FILE_SCHEMA = {
    "type": "object",
    "required": ["criterion", "items"],
    "additionalProperties": False,
    "properties": {
        "criterion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "items": {"type": "array", "items": ITEM_SCHEMA},
    },
}


@dataclass(frozen=True)
class BankFile:
    path: Path
    criterion: str
    items: tuple[Item, ...]


def _item_from(doc: LocatedDocument, index: int, criterion: str) -> Item:
    raw = doc.data["items"][index]
    data = {**raw, "criterion": criterion}
    return Item.from_content(
        data, status=ItemStatus(raw["status"]), origin=f"{doc.file}:{doc.line_of(('items', index))}"
    )


def parse_bank_file(doc: LocatedDocument, criteria: set[str] | None = None) -> BankFile:
    """Check one bank file and return its items; raise ContentError listing every problem."""
    if not isinstance(doc.data, dict):
        raise ContentError([doc.error((), "plik banku musi być mapą z polami „criterion” i „items”")])
    errors = validate_schema(doc, FILE_SCHEMA)
    if errors:
        raise ContentError(errors)
    criterion = doc.data["criterion"]
    if criteria is not None and criterion not in criteria:
        errors.append(doc.error(("criterion",), f"kryterium {criterion} nie istnieje w opisie kwalifikacji"))
    if Path(doc.file).stem != criterion:
        errors.append(
            doc.error(("criterion",), f"plik z zadaniami kryterium {criterion} musi się nazywać {criterion}.yaml")
        )
    items = []
    for index in range(len(doc.data["items"])):
        item = _item_from(doc, index, criterion)
        errors.extend(doc.error(("items", index), problem) for problem in check_item(item))
        items.append(item)
    if errors:
        raise ContentError(errors)
    return BankFile(Path(doc.file), criterion, tuple(items))


def load_bank(folder: Path | str, criteria: set[str] | None = None) -> list[Item]:
    """Load every ``*.yaml`` in ``folder``; refuse duplicate (id, version) pairs across files."""
    folder = Path(folder)
    errors: list[LocatedError] = []
    items: list[Item] = []
    seen: dict[tuple[str, int], str] = {}
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContentError([LocatedError(str(folder), None, "brak plików *.yaml z zadaniami")])
    for path in paths:
        try:
            bank_file = parse_bank_file(read_yaml(path), criteria)
        except ContentError as exc:
            errors.extend(exc.errors)
            continue
        for item in bank_file.items:
            where = seen.get((item.id, item.version))
            if where:
                file, _sep, line = item.origin.rpartition(":")
                errors.append(LocatedError(file, int(line), f"zadanie {item.id} w. {item.version} jest już w {where}"))
            seen[(item.id, item.version)] = item.origin
            items.append(item)
    if errors:
        raise ContentError(errors)
    return items
