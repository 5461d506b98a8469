"""Test items as immutable values, and their rules per type."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ItemType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"
    MATCHING = "matching"
    ORDERING = "ordering"


class ItemStatus(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"  # approved for use in test forms
    RETIRED = "retired"


class Scoring(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    PARTIAL = "partial"


@dataclass(frozen=True)
class Choice:
    """An option, a premise or a response: a stable id and its text."""

    id: str
    text: str


Key = str | bool | tuple[str, ...] | tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Item:
    """One version of a test item (zadanie testowe).

    ``key`` by type: single — the option id; multiple — the correct option ids; truefalse — a bool;
    matching — (premise id, response id) pairs in premise order; ordering — all option ids in order.
    """

    id: str
    version: int
    criterion: str
    type: ItemType
    stem: str
    key: Key
    options: tuple[Choice, ...] = ()
    premises: tuple[Choice, ...] = ()
    responses: tuple[Choice, ...] = ()
    scoring: Scoring = Scoring.ALL_OR_NOTHING
    difficulty: float = 0.5
    status: ItemStatus = ItemStatus.DRAFT
    source: str = ""
    rationale: str = ""
    # where the item came from, for located errors and the admin's view (not part of the content)
    origin: str = field(default="", compare=False)

    def content(self) -> dict[str, Any]:
        """Return the item's content as plain data (what a version freezes; status is not content)."""
        data: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "criterion": self.criterion,
            "type": str(self.type),
            "stem": self.stem,
            "difficulty": self.difficulty,
            "source": self.source,
            "rationale": self.rationale,
        }
        if self.type is ItemType.MATCHING:
            data["premises"] = [{"id": c.id, "text": c.text} for c in self.premises]
            data["responses"] = [{"id": c.id, "text": c.text} for c in self.responses]
            data["key"] = dict(self.key)  # type: ignore[arg-type]
        else:
            if self.type is not ItemType.TRUEFALSE:
                data["options"] = [{"id": c.id, "text": c.text} for c in self.options]
            data["key"] = list(self.key) if isinstance(self.key, tuple) else self.key
        if self.type is ItemType.MULTIPLE:
            data["scoring"] = str(self.scoring)
        return data

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical content: equal hashes, identical items."""
        canonical = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_content(cls, data: dict[str, Any], *, status: ItemStatus = ItemStatus.DRAFT, origin: str = "") -> Item:
        """Rebuild an item from ``content()`` output (as stored in the database or a file)."""
        item_type = ItemType(data["type"])
        key = data["key"]
        if item_type is ItemType.MATCHING:
            key = tuple((str(p), str(r)) for p, r in key.items())
        elif isinstance(key, list):
            key = tuple(str(k) for k in key)
        return cls(
            id=data["id"],
            version=int(data["version"]),
            criterion=str(data["criterion"]),
            type=item_type,
            stem=data["stem"],
            key=key,
            options=tuple(Choice(str(c["id"]), c["text"]) for c in data.get("options", [])),
            premises=tuple(Choice(str(c["id"]), c["text"]) for c in data.get("premises", [])),
            responses=tuple(Choice(str(c["id"]), c["text"]) for c in data.get("responses", [])),
            scoring=Scoring(data.get("scoring", Scoring.ALL_OR_NOTHING)),
            difficulty=float(data.get("difficulty", 0.5)),
            status=status,
            source=data.get("source", ""),
            rationale=data.get("rationale", ""),
            origin=origin,
        )


def _check_single(item: Item, ids: list[str]) -> list[str]:
    problems = []
    if not 3 <= len(ids) <= 5:
        problems.append("zadanie jednokrotnego wyboru musi mieć od 3 do 5 odpowiedzi")
    if not isinstance(item.key, str) or item.key not in ids:
        problems.append(f"klucz {item.key!r} nie wskazuje żadnej z odpowiedzi")
    return problems


def _check_multiple(item: Item, ids: list[str]) -> list[str]:
    problems = []
    key = item.key if isinstance(item.key, tuple) else ()
    if not 4 <= len(ids) <= 6:
        problems.append("zadanie wielokrotnego wyboru musi mieć od 4 do 6 odpowiedzi")
    if len(key) < 2 or len(key) >= len(ids):
        problems.append("zadanie wielokrotnego wyboru musi mieć co najmniej 2 poprawne i 1 błędną odpowiedź")
    if set(key) - set(ids) or len(set(key)) != len(key):
        problems.append(f"klucz {list(key)} wskazuje nieistniejące lub powtórzone odpowiedzi")
    return problems


def _check_truefalse(item: Item, ids: list[str]) -> list[str]:
    problems = []
    if not isinstance(item.key, bool):
        problems.append("klucz zadania prawda/fałsz musi być true albo false")
    if ids:
        problems.append("zadanie prawda/fałsz nie ma listy odpowiedzi")
    return problems


def _check_ordering(item: Item, ids: list[str]) -> list[str]:
    problems = []
    key = item.key if isinstance(item.key, tuple) else ()
    if not 3 <= len(ids) <= 6:
        problems.append("zadanie na porządkowanie musi mieć od 3 do 6 elementów")
    if sorted(key) != sorted(ids):
        problems.append("klucz musi zawierać każdy element dokładnie raz")
    return problems


def _check_matching(item: Item, ids: list[str]) -> list[str]:
    problems = []
    premises = [c.id for c in item.premises]
    responses = [c.id for c in item.responses]
    pairs = dict(item.key) if isinstance(item.key, tuple) else {}
    if not 3 <= len(premises) <= 5:
        problems.append("zadanie na dopasowanie musi mieć od 3 do 5 przesłanek")
    if len(responses) < len(premises):
        problems.append("odpowiedzi do dopasowania nie może być mniej niż przesłanek")
    if len(set(premises)) != len(premises) or len(set(responses)) != len(responses):
        problems.append("identyfikatory przesłanek lub odpowiedzi powtarzają się")
    if set(pairs) != set(premises):
        problems.append("klucz musi przyporządkować każdą przesłankę")
    if set(pairs.values()) - set(responses) or len(set(pairs.values())) != len(pairs):
        problems.append("klucz wskazuje nieistniejącą odpowiedź albo używa jednej odpowiedzi dwa razy")
    return problems


_TYPE_CHECKS = {
    ItemType.SINGLE: _check_single,
    ItemType.MULTIPLE: _check_multiple,
    ItemType.TRUEFALSE: _check_truefalse,
    ItemType.ORDERING: _check_ordering,
    ItemType.MATCHING: _check_matching,
}


def check_item(item: Item) -> list[str]:
    """Return the rule violations of one item, in Polish (empty when the item is sound)."""
    problems: list[str] = []
    ids = [c.id for c in item.options]
    if len(ids) != len(set(ids)):
        problems.append("identyfikatory odpowiedzi powtarzają się")
    if not item.stem.strip():
        problems.append("treść zadania jest pusta")
    if any(not c.text.strip() for c in (*item.options, *item.premises, *item.responses)):
        problems.append("odpowiedź bez treści")
    problems.extend(_TYPE_CHECKS[item.type](item, ids))
    if item.type is not ItemType.MULTIPLE and item.scoring is Scoring.PARTIAL:
        problems.append("punktacja częściowa dotyczy tylko zadań wielokrotnego wyboru")
    if not 0.0 < item.difficulty < 1.0:
        problems.append("trudność to przewidywany odsetek poprawnych odpowiedzi, liczba między 0 a 1")
    return problems
