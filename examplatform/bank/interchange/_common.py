"""Share the rules every interchange format needs: ids, criteria, plain text, safe XML."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

from lxml import etree

from examplatform.bank.items import Choice, Item, check_item
from examplatform.core.content import LocatedError

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
CRITERION_RE = re.compile(r"^\d\.\d\.\d$")
# NCName restricted to ASCII, which is all the platform ever writes
NCNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
QUALIFICATION = "13881"

_WHITESPACE = re.compile(r"\s+")
# a DOCTYPE (the only place ENTITY declarations can live) may only stand in the prolog, before the root element
_PROLOG_DTD = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->)*<!\s*DOCTYPE", re.DOTALL | re.IGNORECASE)


def collapse(text: str) -> str:
    """Collapse runs of whitespace (line breaks included) to one space and trim the ends."""
    return _WHITESPACE.sub(" ", text).strip()


def canonical_ids(kind: str, count: int) -> list[str]:
    """Return the platform's ids for ``count`` options (A…), premises (1…) or responses (a…)."""
    if kind == "options":
        return [chr(ord("A") + i) for i in range(count)]
    if kind == "premises":
        return [str(i + 1) for i in range(count)]
    return [chr(ord("a") + i) for i in range(count)]


def choices(kind: str, texts: list[str]) -> tuple[Choice, ...]:
    """Give texts the canonical ids of ``kind`` in the order they come."""
    return tuple(Choice(i, t) for i, t in zip(canonical_ids(kind, len(texts)), texts, strict=True))


def imported_id(title: str, criterion: str, stem: str) -> str:
    """Use ``title`` as the item id when it is a valid id, else derive ``IMP-<criterion>-<hash>``."""
    title = title.strip()
    if ID_RE.fullmatch(title):
        return title
    return f"IMP-{criterion}-{hashlib.sha256(stem.encode()).hexdigest()[:8]}"


def criterion_of_category(path: str) -> str | None:
    """Return the last segment of a category path that looks like a criterion code."""
    found = [s.strip() for s in path.split("/") if CRITERION_RE.fullmatch(s.strip())]
    return found[-1] if found else None


def moodle_fraction(share: int) -> str:
    """Write 100/share the way Moodle does (five decimals at most, no trailing zeros)."""
    return f"{100 / share:.5f}".rstrip("0").rstrip(".")


def item_errors(item: Item, file: str, line: int | None) -> list[LocatedError]:
    """Run ``check_item`` and locate its complaints at the question's first line."""
    return [LocatedError(file, line, f"zadanie {item.id}: {problem}") for problem in check_item(item)]


def duplicate_error(file: str, line: int | None, item_id: str, first_line: int | None) -> LocatedError:
    """Say that an item id appears a second time in one file."""
    return LocatedError(
        file, line, f"identyfikator zadania „{item_id}” powtórzony (pierwszy raz w wierszu {first_line})"
    )


class _TextExtractor(HTMLParser):
    """Collect the text of an HTML fragment, turning tag boundaries into spaces."""

    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Convert an HTML fragment to plain text: drop tags, unescape entities, collapse whitespace."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    return collapse("".join(extractor.parts))


def hardened_parser() -> etree.XMLParser:
    """Return an XML parser that resolves no entities, loads no DTD and never touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )


def dtd_line(data: bytes) -> int | None:
    """Return the line of the DOCTYPE declaration in the prolog of raw XML, or None when there is none."""
    match = _PROLOG_DTD.match(data)
    return data.count(b"\n", 0, match.end()) + 1 if match else None


def parse_xml(data: bytes) -> tuple[etree._Element | None, tuple[int | None, str] | None]:
    """Parse untrusted XML safely; return the root or ``(line, Polish message)`` explaining the refusal."""
    line = dtd_line(data)
    if line is not None:
        return None, (line, "dokument XML zawiera deklarację DOCTYPE lub ENTITY – odrzucono (ochrona przed XXE)")
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        return None, (exc.lineno or None, f"niepoprawny XML: {exc.msg}")
    tree = root.getroottree()
    # a DTD in an encoding the byte scan cannot see (e.g. UTF-16) is still refused
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        return None, (1, "dokument XML zawiera deklarację DOCTYPE lub ENTITY – odrzucono (ochrona przed XXE)")
    return root, None


def matching_rows(item: Item) -> list[tuple[str, str]]:
    """Return the (premise, response) rows that rebuild a matching item in Moodle's model.

    Moodle has no ids and no response order: its choices are the distinct answer texts in order of
    first appearance, and a row with an empty premise is a distractor. One row per premise, in
    premise order, then the unused responses; when that would reorder the responses, every response
    is first listed as an empty-premise row (Moodle merges identical answer texts into one choice).
    """
    responses = {c.id: c.text for c in item.responses}
    pairs = dict(item.key)  # type: ignore[arg-type]
    rows = [(p.text, responses[pairs[p.id]]) for p in item.premises]
    used = [pairs[p.id] for p in item.premises]
    spare = [c for c in item.responses if c.id not in used]
    if used + [c.id for c in spare] != [c.id for c in item.responses]:
        return [("", c.text) for c in item.responses] + rows
    return rows + [("", c.text) for c in spare]


def matching_from_rows(
    rows: list[tuple[str, str]],
) -> tuple[tuple[Choice, ...], tuple[Choice, ...], tuple[tuple[str, str], ...]]:
    """Rebuild premises, responses and key from (premise, response) rows, the inverse of ``matching_rows``."""
    response_texts = list(dict.fromkeys(response for _, response in rows))
    responses = choices("responses", response_texts)
    response_id = {c.text: c.id for c in responses}
    premises = choices("premises", [premise for premise, _ in rows if premise])
    targets = [response_id[response] for premise, response in rows if premise]
    return premises, responses, tuple((p.id, r) for p, r in zip(premises, targets, strict=True))
