"""Read and write Moodle GIFT, the plain-text question format.

Import maps GIFT to items: one ``=`` answer among ``~`` answers → single; several answers with
positive ``%weight%`` → multiple (partial scoring: GIFT cannot say all-or-nothing); ``{T}``/``{F}``
(``TRUE``/``FALSE``) → truefalse; ``=premise -> response`` → matching (an empty premise is a
distractor). The title ``::id::`` is the item id when it is a valid id, else ``IMP-<criterion>-<hash>``.
``$CATEGORY:`` sets the criterion of the questions after it (its last segment shaped like ``1.3.2``).
General feedback (``####…``) becomes the rationale; per-answer feedback is dropped; ``[html]`` text is
reduced to plain text. Texts are whitespace-normalised. GIFT has no version or difficulty: imported
items are version 1, difficulty 0.5, status draft, source ``import GIFT: <file>``, ids of options,
premises and responses are A…, 1…, a… in order. Essay, numeric, short-answer and description
questions are refused. Parsing is all-or-nothing: any problem raises ``ContentError`` with all of them.

Export writes one ``$CATEGORY: 13881/<criterion>`` block per criterion, ``::id::`` titles, the
rationale as general feedback, and escapes ``\\ ~ = # { } :``. Multiple-choice answers get Moodle
weights: correct ones share +100 %, incorrect ones share −100 %. Ordering items have no GIFT form
and are written as a comment ``// pominięto <id>: …``. A premise containing ``->`` cannot be written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from examplatform.bank.interchange._common import (
    CRITERION_RE,
    QUALIFICATION,
    choices,
    collapse,
    criterion_of_category,
    duplicate_error,
    html_to_text,
    imported_id,
    item_errors,
    matching_from_rows,
    matching_rows,
    moodle_fraction,
)
from examplatform.bank.items import Item, ItemStatus, ItemType, Scoring
from examplatform.core.content import ContentError, LocatedError

_ESCAPABLE = "\\~=#{}:n"
_PLACEHOLDER = {c: chr(0xE000 + i) for i, c in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans({v: (" " if c == "n" else c) for c, v in _PLACEHOLDER.items()})
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_TITLE_RE = re.compile(r"\s*::(.*?)::", re.DOTALL)
_FORMAT_RE = re.compile(r"\s*\[(html|markdown|plain|moodle)\]")
_ANSWER_RE = re.compile(r"([=~])([^=~]*)")
_WEIGHT_RE = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class _Refused(Exception):
    """One question cannot be imported; carries the line and the Polish reason."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Question:
    """The protected text of one question and where it starts."""

    line: int
    text: str

    def line_at(self, offset: int) -> int:
        """Return the file line of a character offset in the question text."""
        return self.line + self.text.count("\n", 0, offset)


@dataclass
class _State:
    file: str
    criterion: str | None
    category: str | None = None
    seen: dict[str, int] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    errors: list[LocatedError] = field(default_factory=list)


def _protect(text: str) -> str:
    """Replace GIFT escapes by private-use placeholders so that markers can be found by plain search."""
    return _ESCAPE_RE.sub(lambda m: _PLACEHOLDER[m.group(1)], text)


def _plain(raw: str, text_format: str) -> str:
    """Turn protected GIFT text into plain text."""
    text = raw.translate(_RESTORE)
    return html_to_text(text) if text_format == "html" else collapse(text)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Split GIFT into blank-line separated blocks of (line number, line); comment lines become empty."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    # only CR/LF end a line, as in an editor (str.splitlines would also split on \x0c, \u2028…)
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = raw.strip()
        if not stripped:
            if current:
                blocks.append(current)
            current = []
        elif stripped.startswith("//"):
            if current:
                current.append((number, ""))
        else:
            current.append((number, raw))
    if current:
        blocks.append(current)
    return blocks


def _take_category(state: _State, block: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Apply a leading ``$CATEGORY:`` line and return the rest of the block (comment lines dropped at its head)."""
    if not block[0][1].strip().startswith("$CATEGORY:"):
        return block
    path = block[0][1].strip().removeprefix("$CATEGORY:").translate(_RESTORE)
    state.category = criterion_of_category(path)
    rest = block[1:]
    while rest and not rest[0][1].strip():
        rest = rest[1:]
    return rest


def parse_gift(text: str, *, file: str, criterion: str | None = None) -> list[Item]:
    """Parse GIFT into items; raise ContentError listing every problem, never return part of the file."""
    state = _State(file, criterion)
    for raw_block in _blocks(_protect(text.removeprefix("\ufeff"))):
        block = _take_category(state, raw_block)
        if not block:
            continue
        question = _Question(block[0][0], "\n".join(line for _, line in block))
        try:
            _add(state, question)
        except _Refused as refused:
            state.errors.append(LocatedError(file, refused.line, refused.message))
    if not state.items and not state.errors:
        state.errors.append(LocatedError(file, None, "plik nie zawiera żadnego pytania"))
    if state.errors:
        raise ContentError(state.errors)
    return state.items


def _add(state: _State, question: _Question) -> None:
    """Parse one question, check it and record the item or its errors."""
    criterion = state.category or state.criterion
    if criterion is None:
        raise _Refused(
            question.line, "nie wiadomo, którego kryterium dotyczy pytanie: dodaj „$CATEGORY: 13881/<kod>” lub podaj je"
        )
    if not CRITERION_RE.fullmatch(criterion):
        raise _Refused(question.line, f"kryterium „{criterion}” ma niepoprawny format (oczekiwano np. 1.3.2)")
    text = question.text
    title_match = _TITLE_RE.match(text)
    title = title_match.group(1).translate(_RESTORE) if title_match else ""
    pos = title_match.end() if title_match else 0
    format_match = _FORMAT_RE.match(text, pos)
    text_format = format_match.group(1) if format_match else "moodle"
    pos = format_match.end() if format_match else pos
    opening = text.find("{", pos)
    if opening < 0:
        raise _Refused(question.line, "brak bloku odpowiedzi {…}: pytania opisowe nie są obsługiwane")
    if "}" in text[pos:opening]:
        raise _Refused(question.line_at(text.index("}", pos)), "nieoczekiwany nawias „}” przed blokiem odpowiedzi")
    closing = text.find("}", opening + 1)
    reopened = text.find("{", opening + 1, closing if closing >= 0 else len(text))
    if reopened >= 0:
        raise _Refused(
            question.line_at(opening),
            f"nawias „{{” nie został zamknięty przed kolejnym „{{” (wiersz {question.line_at(reopened)})",
        )
    if closing < 0:
        raise _Refused(question.line_at(opening), "nawias „{” nie został zamknięty")
    after = text[closing + 1 :]
    if "{" in after or "}" in after:
        raise _Refused(
            question.line_at(closing + 1), "więcej niż jeden blok odpowiedzi: pytania typu cloze nie są obsługiwane"
        )
    stem = _plain(text[pos:opening] + (" _____ " + after if after.strip() else ""), text_format)
    body = text[opening + 1 : closing]
    rationale = ""
    if (general := body.rfind("####")) >= 0:
        rationale = _plain(body[general + 4 :], text_format)
        body = body[:general]
    fields = _answers(body.strip(), text_format, question.line_at(opening))
    item = Item(
        id=imported_id(title, criterion, stem),
        version=1,
        criterion=criterion,
        stem=stem,
        rationale=rationale,
        difficulty=0.5,
        status=ItemStatus.DRAFT,
        source=f"import GIFT: {state.file}",
        origin=f"{state.file}:{question.line}",
        **fields,
    )
    problems = item_errors(item, state.file, question.line)
    if item.id in state.seen:
        problems.append(duplicate_error(state.file, question.line, item.id, state.seen[item.id]))
    state.seen.setdefault(item.id, question.line)
    if problems:
        state.errors.extend(problems)
    else:
        state.items.append(item)


def _answers(body: str, text_format: str, line: int) -> dict:
    """Read the answer block into the item fields that depend on the question type."""
    if not body:
        raise _Refused(line, "pytania otwarte (esej, „{}”) nie są obsługiwane")
    if body.startswith("#"):
        raise _Refused(line, "pytania numeryczne („{#…}”) nie są obsługiwane")
    if body.split("#", 1)[0].strip().upper() in _TRUEFALSE:
        return {"type": ItemType.TRUEFALSE, "key": _TRUEFALSE[body.split("#", 1)[0].strip().upper()]}
    if body[0] not in "=~":
        raise _Refused(line, "każda odpowiedź musi zaczynać się od „=” albo „~”")
    answers = [(m.group(1), m.group(2).split("#", 1)[0]) for m in _ANSWER_RE.finditer(body)]
    if any("->" in rest for _, rest in answers):
        return _matching(answers, text_format, line)
    if all(marker == "=" for marker, _ in answers):
        raise _Refused(line, "pytania z krótką odpowiedzią (same odpowiedzi „=”) nie są obsługiwane")
    return _choice(answers, text_format, line)


def _matching(answers: list[tuple[str, str]], text_format: str, line: int) -> dict:
    """Read ``=premise -> response`` answers into matching fields."""
    if any(marker != "=" or "->" not in rest for marker, rest in answers):
        raise _Refused(line, "w pytaniu na dopasowanie każda odpowiedź musi mieć postać „=przesłanka -> odpowiedź”")
    rows = [tuple(_plain(part, text_format) for part in rest.split("->", 1)) for _, rest in answers]
    if any(not response for _, response in rows):
        raise _Refused(line, "w pytaniu na dopasowanie brakuje odpowiedzi po „->”")
    premises, responses, key = matching_from_rows(rows)  # type: ignore[arg-type]
    return {"type": ItemType.MATCHING, "premises": premises, "responses": responses, "key": key}


def _choice(answers: list[tuple[str, str]], text_format: str, line: int) -> dict:
    """Read ``=``/``~`` answers (with optional ``%weight%``) into single or multiple choice fields."""
    weights: list[float] = []
    texts: list[str] = []
    for marker, rest in answers:
        weight = _WEIGHT_RE.match(rest)
        weights.append(float(weight.group(1)) if weight else (100.0 if marker == "=" else 0.0))
        texts.append(_plain(rest[weight.end() :] if weight else rest, text_format))
    options = choices("options", texts)
    correct = [c.id for c, w in zip(options, weights, strict=True) if w > 0]
    if not correct:
        raise _Refused(line, "brak poprawnej odpowiedzi (oznaczonej „=” lub dodatnią wagą %…%)")
    if 100 in weights and len(correct) > weights.count(100):
        raise _Refused(line, "odpowiedzi częściowo poprawne (waga między 0 a 100%) nie są obsługiwane")
    if len(correct) == 1:
        if max(weights) != 100:
            raise _Refused(line, "jedyna poprawna odpowiedź musi mieć wagę 100%")
        return {"type": ItemType.SINGLE, "options": options, "key": correct[0]}
    if abs(sum(w for w in weights if w > 0) - 100) > 0.1:
        raise _Refused(line, "wagi poprawnych odpowiedzi muszą sumować się do 100%")
    return {"type": ItemType.MULTIPLE, "options": options, "key": tuple(correct), "scoring": Scoring.PARTIAL}


def _escape(text: str) -> str:
    """Escape GIFT's special characters and keep the text on one line."""
    return re.sub(r"([\\~=#{}:])", r"\\\1", text).replace("\r\n", "\n").replace("\n", "\\n")


def _answer_lines(item: Item) -> list[str]:
    """Return the answer lines of a single, multiple or matching item."""
    if item.type is ItemType.MATCHING:
        return [f"={_escape(p)} -> {_escape(r)}" if p else f"= -> {_escape(r)}" for p, r in matching_rows(item)]
    if item.type is ItemType.SINGLE:
        return [f"{'=' if c.id == item.key else '~'}{_escape(c.text)}" for c in item.options]
    correct = set(item.key)  # type: ignore[arg-type]
    right = moodle_fraction(len(correct))
    wrong = moodle_fraction(len(item.options) - len(correct))
    return [f"~%{right if c.id in correct else '-' + wrong}%{_escape(c.text)}" for c in item.options]


def export_gift(items: Iterable[Item]) -> str:
    """Write items as GIFT (ordering items become a comment: GIFT has no such question type)."""
    by_criterion: dict[str, list[Item]] = {}
    for item in items:
        by_criterion.setdefault(item.criterion, []).append(item)
    lines: list[str] = [f"// Kwalifikacja {QUALIFICATION} – zadania testowe w formacie GIFT", ""]
    for criterion, group in by_criterion.items():
        lines += [f"$CATEGORY: {QUALIFICATION}/{criterion}", ""]
        lines += _question_lines(group)
    return "\n".join(lines)


def _question_lines(items: list[Item]) -> list[str]:
    """Return the GIFT lines of items of one category, each question followed by a blank line."""
    lines: list[str] = []
    for item in items:
        if item.type is ItemType.ORDERING:
            lines += [f"// pominięto {item.id}: GIFT nie obsługuje zadań na porządkowanie", ""]
            continue
        head = f"::{_escape(item.id)}:: {_escape(item.stem)} "
        feedback = f"####{_escape(item.rationale)}" if item.rationale else ""
        if item.type is ItemType.TRUEFALSE:
            lines += [f"{head}{{{'TRUE' if item.key else 'FALSE'}{feedback}}}", ""]
            continue
        body = [f"\t{line}" for line in _answer_lines(item)]
        lines += [head + "{", *body, *([f"\t{feedback}"] if feedback else []), "}", ""]
    return lines
