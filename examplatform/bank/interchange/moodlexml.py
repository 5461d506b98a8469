"""Read and write Moodle XML (``<quiz>``), the richest format Moodle imports and exports.

Mapping: single ↔ ``multichoice`` with ``<single>true</single>``; multiple, partial scoring ↔
``multichoice`` with ``<single>false</single>`` (+100 % shared by the correct answers, −100 % by the
incorrect ones); multiple, all-or-nothing ↔ ``multichoiceset``; truefalse ↔ ``truefalse``; matching ↔
``matching`` (a subquestion with an empty text is a distractor; Moodle merges identical answer texts);
ordering ↔ ``ordering`` (Moodle ≥ 4.4 core). Ordering answers stand in the correct order, which is what
Moodle reads: ``fraction`` is written as the rank and ignored on import, as is ``gradingtype`` (platform
ordering items are all-or-nothing).

The criterion comes from the last segment of the preceding ``category`` shaped like ``1.3.2``; the id
from ``<idnumber>``, else ``<name>``, else ``IMP-<criterion>-<hash>``; the rationale from
``<generalfeedback>``. What Moodle has no field for travels in question tags (which Moodle keeps):
``crm:version=N``, ``crm:difficulty=X`` and, for ordering items, ``crm:positions=2 4 3 1`` (where each
answer, in the correct order, stands in the presented order). Option, premise and response ids are
A…, 1…, a… in presented order. Imported items are drafts with source ``import Moodle XML: <file>``.
HTML texts become plain text.

The document is parsed with a hardened lxml parser and refused outright if it declares a DOCTYPE or an
ENTITY (XXE, billion laughs). Parsing is all-or-nothing: any problem raises ``ContentError`` with all.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from examplatform.bank.interchange._common import (
    CRITERION_RE,
    QUALIFICATION,
    canonical_ids,
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
    parse_xml,
)
from examplatform.bank.items import Choice, Item, ItemStatus, ItemType, Scoring
from examplatform.core.content import ContentError, LocatedError

_SUPPORTED = ("multichoice", "multichoiceset", "truefalse", "matching", "ordering")
_HTML_FORMATS = ("html", "moodle_auto_format")


class _Refused(Exception):
    """One question cannot be imported; carries the line and the Polish reason."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _State:
    file: str
    criterion: str | None
    category: str | None = None
    seen: dict[str, int | None] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    errors: list[LocatedError] = field(default_factory=list)


def _text(element: etree._Element | None, default_format: str = "html") -> str:
    """Return the plain text of a Moodle text holder (``<questiontext>``, ``<answer>``…)."""
    if element is None:
        return ""
    raw = element.findtext("text") or ""
    return html_to_text(raw) if element.get("format", default_format) in _HTML_FORMATS else collapse(raw)


def _fraction(answer: etree._Element) -> float:
    """Read an answer's ``fraction`` attribute (percent)."""
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        raise _Refused(answer.sourceline, f"niepoprawna wartość fraction=„{answer.get('fraction')}”") from None


def parse_moodle_xml(data: bytes, *, file: str, criterion: str | None = None) -> list[Item]:
    """Parse a Moodle XML quiz into items; raise ContentError listing every problem, never return part of it."""
    if not data.strip():
        raise ContentError([LocatedError(file, None, "plik jest pusty")])
    root, refusal = parse_xml(data)
    if root is None:
        line, message = refusal or (None, "niepoprawny XML")
        raise ContentError([LocatedError(file, line, message)])
    if root.tag != "quiz":
        raise ContentError([LocatedError(file, root.sourceline, f"element główny musi być <quiz>, jest <{root.tag}>")])
    state = _State(file, criterion)
    for element in root:
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        try:
            if element.tag != "question":
                raise _Refused(element.sourceline, f"nieoczekiwany element <{element.tag}> (oczekiwano <question>)")
            if element.get("type") == "category":
                state.category = criterion_of_category(element.findtext("category/text") or "")
            else:
                _add(state, element)
        except _Refused as refused:
            state.errors.append(LocatedError(file, refused.line, refused.message))
    if not state.items and not state.errors:
        state.errors.append(LocatedError(file, root.sourceline, "plik nie zawiera żadnego pytania"))
    if state.errors:
        raise ContentError(state.errors)
    return state.items


def _tags(question: etree._Element) -> dict[str, str]:
    """Return the ``crm:name=value`` tags of a question."""
    found: dict[str, str] = {}
    for tag in question.findall("tags/tag"):
        name, sep, value = (tag.findtext("text") or "").strip().partition("=")
        if sep and name.lower().startswith("crm:"):
            found[name.lower().removeprefix("crm:")] = value.strip()
    return found


def _add(state: _State, question: etree._Element) -> None:
    """Parse one question, check it and record the item or its errors."""
    line = question.sourceline
    qtype = question.get("type", "")
    if qtype not in _SUPPORTED:
        raise _Refused(line, f"nieobsługiwany typ pytania „{qtype}” (obsługiwane: {', '.join(_SUPPORTED)})")
    criterion = state.category or state.criterion
    if criterion is None:
        raise _Refused(line, "nie wiadomo, którego kryterium dotyczy pytanie: dodaj kategorię …/<kod> lub podaj je")
    if not CRITERION_RE.fullmatch(criterion):
        raise _Refused(line, f"kryterium „{criterion}” ma niepoprawny format (oczekiwano np. 1.3.2)")
    stem = _text(question.find("questiontext"))
    tags = _tags(question)
    try:
        version = int(tags.get("version", "1"))
        difficulty = float(tags.get("difficulty", "0.5"))
    except ValueError:
        raise _Refused(line, "znacznik crm:version musi być liczbą całkowitą, a crm:difficulty liczbą") from None
    if version < 1:
        raise _Refused(line, "znacznik crm:version musi być liczbą całkowitą ≥ 1")
    idnumber = (question.findtext("idnumber") or "").strip()
    name = collapse(question.findtext("name/text") or "")
    item = Item(
        id=imported_id(idnumber, criterion, stem) if idnumber else imported_id(name, criterion, stem),
        version=version,
        criterion=criterion,
        stem=stem,
        rationale=_text(question.find("generalfeedback")),
        difficulty=difficulty,
        status=ItemStatus.DRAFT,
        source=f"import Moodle XML: {state.file}",
        origin=f"{state.file}:{line}",
        **_fields(question, qtype, tags),
    )
    problems = item_errors(item, state.file, line)
    if item.id in state.seen:
        problems.append(duplicate_error(state.file, line, item.id, state.seen[item.id]))
    state.seen.setdefault(item.id, line)
    if problems:
        state.errors.extend(problems)
    else:
        state.items.append(item)


def _fields(question: etree._Element, qtype: str, tags: dict[str, str]) -> dict:
    """Read the type-specific fields of a supported question."""
    line = question.sourceline
    answers = question.findall("answer")
    if qtype == "matching":
        rows = [(_text(sub), _text(sub.find("answer"), "plain_text")) for sub in question.findall("subquestion")]
        if any(not response for _, response in rows):
            raise _Refused(line, "każde <subquestion> pytania na dopasowanie musi mieć niepustą odpowiedź <answer>")
        premises, responses, key = matching_from_rows(rows)
        return {"type": ItemType.MATCHING, "premises": premises, "responses": responses, "key": key}
    if qtype == "truefalse":
        by_text = {_text(a).lower(): _fraction(a) for a in answers}
        if set(by_text) != {"true", "false"} or (by_text["true"] > 0) == (by_text["false"] > 0):
            raise _Refused(line, "pytanie prawda/fałsz musi mieć odpowiedzi „true” i „false”, dokładnie jedną poprawną")
        return {"type": ItemType.TRUEFALSE, "key": by_text["true"] > 0}
    texts = [_text(a) for a in answers]
    if qtype == "ordering":
        return _ordering(texts, tags.get("positions"), line)
    options = choices("options", texts)
    fractions = [_fraction(a) for a in answers]
    correct = [c.id for c, f in zip(options, fractions, strict=True) if f > 0]
    if not correct:
        raise _Refused(line, "brak poprawnej odpowiedzi (odpowiedzi z dodatnim fraction)")
    if qtype == "multichoiceset":
        return {"type": ItemType.MULTIPLE, "options": options, "key": tuple(correct), "scoring": Scoring.ALL_OR_NOTHING}
    if (question.findtext("single") or "true").strip().lower() in ("true", "1"):
        if len(correct) != 1 or max(fractions) < 99.99:
            raise _Refused(line, "pytanie jednokrotnego wyboru musi mieć dokładnie jedną odpowiedź z fraction=100")
        return {"type": ItemType.SINGLE, "options": options, "key": correct[0]}
    if abs(sum(f for f in fractions if f > 0) - 100) > 0.1:
        raise _Refused(line, "wartości fraction poprawnych odpowiedzi muszą sumować się do 100")
    return {"type": ItemType.MULTIPLE, "options": options, "key": tuple(correct), "scoring": Scoring.PARTIAL}


def _ordering(texts: list[str], positions_tag: str | None, line: int | None) -> dict:
    """Build an ordering item from answers in the correct order and their presented positions."""
    count = len(texts)
    try:
        positions = [int(p) for p in positions_tag.split()] if positions_tag else list(range(1, count + 1))
    except ValueError:
        positions = []
    if sorted(positions) != list(range(1, count + 1)):
        raise _Refused(line, f"znacznik crm:positions musi być permutacją liczb 1…{count}")
    ids = canonical_ids("options", count)
    shown = sorted(zip(positions, texts, strict=True))
    options = tuple(Choice(ids[p - 1], text) for p, text in shown)
    return {"type": ItemType.ORDERING, "options": options, "key": tuple(ids[p - 1] for p in positions)}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append a child element with optional text and attributes."""
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _holder(parent: etree._Element, tag: str, text: str, *, paragraph: bool = False, **attrs: str) -> None:
    """Append a Moodle text holder with the text as escaped HTML (in CDATA)."""
    holder = _sub(parent, tag, format="html", **attrs)
    escaped = html.escape(text, quote=False)
    body = f"<p>{escaped}</p>" if paragraph and text else escaped
    _sub(holder, "text").text = etree.CDATA(body) if body else ""


def _write_choices(question: etree._Element, item: Item) -> None:
    """Write the answers of a single or multiple choice item."""
    multichoiceset = question.get("type") == "multichoiceset"
    if not multichoiceset:
        _sub(question, "single", "true" if item.type is ItemType.SINGLE else "false")
    _sub(question, "shuffleanswers", "true")
    _sub(question, "answernumbering", "ABCD")
    correct = {item.key} if item.type is ItemType.SINGLE else set(item.key)  # type: ignore[arg-type]
    right, wrong = "100", "0"
    if item.type is ItemType.MULTIPLE and not multichoiceset:
        right, wrong = moodle_fraction(len(correct)), "-" + moodle_fraction(len(item.options) - len(correct))
    for choice in item.options:
        _holder(question, "answer", choice.text, fraction=right if choice.id in correct else wrong)


def _write_truefalse(question: etree._Element, item: Item) -> None:
    """Write the two answers of a true/false item."""
    for value in (True, False):
        answer = _sub(question, "answer", fraction="100" if item.key is value else "0", format="moodle_auto_format")
        _sub(answer, "text", str(value).lower())


def _write_matching(question: etree._Element, item: Item) -> None:
    """Write the subquestions of a matching item."""
    _sub(question, "shuffleanswers", "true")
    for premise, response in matching_rows(item):
        sub = _sub(question, "subquestion", format="html")
        _sub(sub, "text").text = etree.CDATA(html.escape(premise, quote=False)) if premise else ""
        _sub(_sub(sub, "answer"), "text", response)


def _write_ordering(question: etree._Element, item: Item) -> None:
    """Write the options of an ordering item in the correct order."""
    settings = (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", "0"))
    settings += (("gradingtype", "ALL_OR_NOTHING"), ("showgrading", "SHOW"), ("numberingstyle", "none"))
    for tag, value in settings:
        _sub(question, tag, value)
    texts = {c.id: c.text for c in item.options}
    for rank, option_id in enumerate(item.key, start=1):  # type: ignore[arg-type]
        _holder(question, "answer", texts[option_id], fraction=str(rank))


_WRITERS = {
    ItemType.SINGLE: _write_choices,
    ItemType.MULTIPLE: _write_choices,
    ItemType.TRUEFALSE: _write_truefalse,
    ItemType.MATCHING: _write_matching,
    ItemType.ORDERING: _write_ordering,
}


def _question(item: Item) -> etree._Element:
    """Build the ``<question>`` element of one item."""
    if item.type is ItemType.MULTIPLE and item.scoring is Scoring.ALL_OR_NOTHING:
        qtype = "multichoiceset"
    elif item.type in (ItemType.SINGLE, ItemType.MULTIPLE):
        qtype = "multichoice"
    else:
        qtype = str(item.type)
    question = etree.Element("question", type=qtype)
    _sub(_sub(question, "name"), "text", item.id)
    _holder(question, "questiontext", item.stem, paragraph=True)
    _holder(question, "generalfeedback", item.rationale, paragraph=True)
    for tag, value in (("defaultgrade", "1"), ("penalty", "0"), ("hidden", "0"), ("idnumber", item.id)):
        _sub(question, tag, value)
    _WRITERS[item.type](question, item)
    values = [f"crm:version={item.version}", f"crm:difficulty={item.difficulty}"]
    if item.type is ItemType.ORDERING:
        order = [c.id for c in item.options]
        positions = [order.index(option_id) + 1 for option_id in item.key]  # type: ignore[union-attr]
        if positions != sorted(positions):
            values.append("crm:positions=" + " ".join(map(str, positions)))
    tags = _sub(question, "tags")
    for value in values:
        _sub(_sub(tags, "tag"), "text", value)
    return question


def export_moodle_xml(items: Iterable[Item]) -> bytes:
    """Write items as a Moodle XML quiz (UTF-8), one category ``$course$/13881/<criterion>`` per criterion."""
    by_criterion: dict[str, list[Item]] = {}
    for item in items:
        by_criterion.setdefault(item.criterion, []).append(item)
    quiz = etree.Element("quiz")
    for criterion, group in by_criterion.items():
        category = _sub(quiz, "question", type="category")
        _sub(_sub(category, "category"), "text", f"$course$/{QUALIFICATION}/{criterion}")
        for item in group:
            quiz.append(_question(item))
    return etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)
