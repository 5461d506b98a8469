"""The structured-interview bank (question_bank/interview/): questions per I criterion, validated on load."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from examplatform.core.content import ContentError, read_yaml, validate_schema

QUESTION = {
    "type": "object",
    "required": ["id", "version", "criterion", "status", "question", "good_answer_elements", "met_threshold"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^I-\d+\.\d+\.\d+-\d{2}$"},
        "version": {"type": "integer", "minimum": 1},
        "criterion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "status": {"enum": ["draft", "reviewed", "retired"]},
        "question": {"type": "string", "minLength": 10},
        "context": {"type": "string"},
        "good_answer_elements": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 3}},
        "met_threshold": {"type": "integer", "minimum": 1},
        "follow_ups": {"type": "array", "items": {"type": "string"}},
        "red_flags": {"type": "array", "items": {"type": "string"}},
        "source": {"type": "string"},
    },
}
SCHEMA = {
    "type": "object",
    "required": ["version", "qualification", "questions"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "qualification": {"type": "string"},
        "questions": {"type": "array", "minItems": 1, "items": QUESTION},
    },
}


@dataclass(frozen=True)
class InterviewQuestion:
    """One interview question with what the commission listens for."""

    id: str
    version: int
    criterion: str
    status: str
    question: str
    context: str
    elements: tuple[str, ...]
    threshold: int
    follow_ups: tuple[str, ...]
    red_flags: tuple[str, ...]


@dataclass(frozen=True)
class InterviewBank:
    """The bank file's version and its questions in file order."""

    version: int
    questions: tuple[InterviewQuestion, ...]


def load_interview_bank(path: Path | str, interview_criteria: set[str]) -> list[InterviewQuestion]:
    """Read and check the bank: schema, unique ids, criteria verified by interview, sane thresholds."""
    return list(_load(path, interview_criteria).questions)


def interview_bank(path: Path | str, interview_criteria: frozenset[str]) -> InterviewBank:
    """Return the bank in ``path``, re-reading it only when the file changes."""
    path = Path(path)
    return _cached(str(path), path.stat().st_mtime_ns, interview_criteria)


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, interview_criteria: frozenset[str]) -> InterviewBank:
    return _load(path, set(interview_criteria))


def _load(path: Path | str, interview_criteria: set[str]) -> InterviewBank:
    doc = read_yaml(path)
    errors = validate_schema(doc, SCHEMA) if isinstance(doc.data, dict) else [doc.error((), "plik musi być mapą")]
    if errors:
        raise ContentError(errors)
    seen: set[str] = set()
    questions = []
    for n, raw in enumerate(doc.data["questions"]):
        where = ("questions", n)
        if raw["id"] in seen:
            errors.append(doc.error((*where, "id"), f"identyfikator {raw['id']} powtórzony"))
        seen.add(raw["id"])
        if raw["criterion"] not in interview_criteria:
            errors.append(
                doc.error((*where, "criterion"), f"kryterium {raw['criterion']} nie jest weryfikowane rozmową")
            )
        if not raw["id"].startswith(f"I-{raw['criterion']}-"):
            errors.append(doc.error((*where, "id"), "identyfikator musi zawierać kod kryterium"))
        if raw["met_threshold"] > len(raw["good_answer_elements"]):
            errors.append(doc.error((*where, "met_threshold"), "próg większy niż liczba elementów dobrej odpowiedzi"))
        questions.append(
            InterviewQuestion(
                raw["id"],
                raw["version"],
                raw["criterion"],
                raw["status"],
                raw["question"],
                raw.get("context", ""),
                tuple(raw["good_answer_elements"]),
                raw["met_threshold"],
                tuple(raw.get("follow_ups", [])),
                tuple(raw.get("red_flags", [])),
            )
        )
    if errors:
        raise ContentError(errors)
    return InterviewBank(doc.data["version"], tuple(questions))


def coverage(questions: list[InterviewQuestion]) -> Counter:
    """Count usable (not retired) questions per criterion."""
    return Counter(q.criterion for q in questions if q.status != "retired")
