"""Load and check the qualification file; expose it as immutable objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from examplatform.core.content import ContentError, LocatedDocument, read_yaml, validate_schema
from examplatform.qualification.schema import QUALIFICATION_SCHEMA


@dataclass(frozen=True)
class Text:
    """A text in Polish and English."""

    pl: str
    en: str

    def in_(self, locale: str) -> str:
        """Return the text in ``locale`` (Polish for anything but English)."""
        return self.en if locale == "en" else self.pl


@dataclass(frozen=True)
class Criterion:
    """A verification criterion (kryterium weryfikacji)."""

    code: str
    text: Text
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """A learning outcome (efekt uczenia się)."""

    code: str
    name: Text
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class OutcomeSet:
    """A set of learning outcomes (zestaw efektów uczenia się)."""

    code: str
    name: Text
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class Part:
    code: str
    name: Text
    methods: tuple[str, ...]
    delivery: Text


@dataclass(frozen=True)
class CommissionRules:
    min_members: int
    min_education: str
    min_years_supervising: float
    may_not_verify_own_trainees: bool
    rule: Text


@dataclass(frozen=True)
class OperatorRules:
    min_education: str
    requires_it_skills: bool
    may_be_commission_member: bool
    rule: Text


@dataclass(frozen=True)
class DecisionRule:
    require_test_passed: bool
    require_all_criteria_met_for_methods: tuple[str, ...]
    negative_requires_justification: bool


@dataclass(frozen=True)
class Qualification:
    """Qualification 13881 (or another) as loaded from its file."""

    code: str
    version: int
    title: Text
    kind: Text
    prk_level: int
    document: Text
    validity_years: int
    renewal_min_years: float
    renewal_rule: Text
    methods: dict[str, Text]
    parts: tuple[Part, ...]
    commission: CommissionRules
    operator: OperatorRules
    decision: DecisionRule
    sets: tuple[OutcomeSet, ...]
    raw: dict

    @property
    def outcomes(self) -> list[Outcome]:
        return [outcome for s in self.sets for outcome in s.outcomes]

    @property
    def criteria(self) -> list[Criterion]:
        return [c for outcome in self.outcomes for c in outcome.criteria]

    def criterion(self, code: str) -> Criterion:
        """Return the criterion with ``code``; KeyError if there is none."""
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)

    def criteria_by_method(self, method: str) -> list[Criterion]:
        return [c for c in self.criteria if method in c.methods]


def _text(d: dict) -> Text:
    return Text(d["pl"], d["en"])


def _check_codes(doc: LocatedDocument) -> list:
    """Check that codes nest (set 1 > outcome 1.1 > criterion 1.1.1) and are unique."""
    errors, seen = [], set()
    for si, s in enumerate(doc.data["sets"]):
        for oi, outcome in enumerate(s["outcomes"]):
            here = ("sets", si, "outcomes", oi)
            if not outcome["code"].startswith(s["code"] + "."):
                errors.append(
                    doc.error((*here, "code"), f"kod efektu {outcome['code']} nie należy do zestawu {s['code']}")
                )
            for ci, criterion in enumerate(outcome["criteria"]):
                code = criterion["code"]
                pointer = (*here, "criteria", ci, "code")
                if not code.startswith(outcome["code"] + "."):
                    errors.append(doc.error(pointer, f"kod kryterium {code} nie należy do efektu {outcome['code']}"))
                if code in seen:
                    errors.append(doc.error(pointer, f"kod kryterium {code} powtórzony"))
                seen.add(code)
    parts_methods = {m for p in doc.data["parts"] for m in p["methods"]}
    for missing in sorted({"T", "S", "I"} - parts_methods):
        errors.append(doc.error(("parts",), f"żadna część walidacji nie stosuje metody {missing}"))
    return errors


def parse_qualification(doc: LocatedDocument) -> Qualification:
    """Check a parsed document and build the Qualification; raise ContentError listing every problem."""
    if not isinstance(doc.data, dict):
        raise ContentError([doc.error((), "plik kwalifikacji musi być mapą (klucz: wartość)")])
    errors = validate_schema(doc, QUALIFICATION_SCHEMA)
    if errors:
        raise ContentError(errors)
    errors = _check_codes(doc)
    if errors:
        raise ContentError(errors)
    d = doc.data
    sets = tuple(
        OutcomeSet(
            s["code"],
            _text(s["name"]),
            tuple(
                Outcome(
                    o["code"],
                    _text(o["name"]),
                    tuple(Criterion(c["code"], Text(c["pl"], c["en"]), tuple(c["methods"])) for c in o["criteria"]),
                )
                for o in s["outcomes"]
            ),
        )
        for s in d["sets"]
    )
    c, op, dec = d["commission"], d["operator"], d["decision"]
    return Qualification(
        code=d["code"],
        version=d["version"],
        title=_text(d["title"]),
        kind=_text(d["kind"]),
        prk_level=d["prk_level"],
        document=_text(d["document"]),
        validity_years=d["validity"]["years"],
        renewal_min_years=d["renewal"]["min_years_crm_work"],
        renewal_rule=_text(d["renewal"]["rule"]),
        methods={k: _text(v) for k, v in d["methods"].items()},
        parts=tuple(Part(p["code"], _text(p["name"]), tuple(p["methods"]), _text(p["delivery"])) for p in d["parts"]),
        commission=CommissionRules(
            c["min_members"],
            c["min_education"],
            c["min_years_supervising_crm_operators"],
            c.get("may_not_verify_own_trainees", True),
            _text(c["rule"]),
        ),
        operator=OperatorRules(
            op["min_education"],
            op.get("requires_it_skills", False),
            op.get("may_be_commission_member", True),
            _text(op["rule"]),
        ),
        decision=DecisionRule(
            dec["require_test_passed"],
            tuple(dec["require_all_criteria_met_for_methods"]),
            dec.get("negative_requires_justification", True),
        ),
        sets=sets,
        raw=d,
    )


def load_qualification_file(path: Path | str, display_name: str | None = None) -> Qualification:
    """Read, check and return the qualification in ``path``."""
    return parse_qualification(read_yaml(path, display_name))


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> Qualification:
    return load_qualification_file(path)


def load_qualification(path: Path | str) -> Qualification:
    """Return the qualification in ``path``, re-reading it only when the file changes."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0
    return _cached(str(path), mtime)
