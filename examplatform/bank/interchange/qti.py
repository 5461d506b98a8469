"""Write IMS QTI 2.1 content packages and check their structure offline.

A package is a ZIP with ``imsmanifest.xml`` (IMS Content Packaging 1.1) and one QTI 2.1
``assessmentItem`` per item at ``items/<id>-v<version>.xml``. Each resource carries its criterion as
``<metadata><schema>QTIv2.1</schema><crm:criterion>1.3.2</crm:criterion></metadata>`` (namespace
``urn:examplatform:13881``); LOM is not used.

Mapping: single → ``choiceInteraction`` maxChoices=1, cardinality single; multiple → maxChoices=0,
cardinality multiple, partial scoring as a ``mapping`` (+1/k per correct, −1/(n−k) per incorrect option,
bounded 0…1) with the ``map_response`` template; truefalse → ``choiceInteraction`` with ``true``
("Prawda") and ``false`` ("Fałsz"); matching → ``matchInteraction``, directedPair; ordering →
``orderInteraction``, cardinality ordered. Identifiers are NCNames: the item id (prefixed ``I_`` if it
starts with a digit), options as they are (``O_`` prefix when not an NCName), premises ``P<id>``,
responses ``R_<id>``. Rationale, source and difficulty are not exported.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath

from lxml import etree

from examplatform.bank.interchange._common import CRITERION_RE, ID_RE, NCNAME_RE, QUALIFICATION, parse_xml
from examplatform.bank.items import Item, ItemType, Scoring

CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CRM_NS = "urn:examplatform:13881"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
MANIFEST = "imsmanifest.xml"
_MAX_MEMBER = 5 * 1024 * 1024  # bytes; no item or manifest comes near this
_INTERACTIONS = {"choiceInteraction", "matchInteraction", "orderInteraction"}
_TRUEFALSE = (("true", "Prawda"), ("false", "Fałsz"))


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _cp(tag: str) -> str:
    return f"{{{CP_NS}}}{tag}"


def _ident(raw: str, prefix: str = "") -> str:
    """Map a platform id to a QTI identifier (see the module docstring)."""
    if not prefix:
        prefix = "" if NCNAME_RE.fullmatch(raw) else "O_"
    ident = prefix + raw
    if not NCNAME_RE.fullmatch(ident):
        raise ValueError(f"identyfikatora „{raw}” nie da się zapisać jako identyfikatora QTI (NCName)")
    return ident


def _item_ident(item: Item) -> str:
    return item.id if NCNAME_RE.fullmatch(item.id) else f"I_{item.id}"


def _number(value: float) -> str:
    return repr(round(value, 12))


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _response(item: Item) -> tuple[str, str, list[str]]:
    """Return cardinality, baseType and correct values of an item's response."""
    if item.type is ItemType.SINGLE:
        return "single", "identifier", [_ident(str(item.key))]
    if item.type is ItemType.TRUEFALSE:
        return "single", "identifier", ["true" if item.key else "false"]
    if item.type is ItemType.MATCHING:
        pairs = [f"{_ident(p, 'P')} {_ident(r, 'R_')}" for p, r in item.key]  # type: ignore[misc]
        return "multiple", "directedPair", pairs
    cardinality = "multiple" if item.type is ItemType.MULTIPLE else "ordered"
    return cardinality, "identifier", [_ident(k) for k in item.key]  # type: ignore[union-attr]


def _interaction(body: etree._Element, item: Item) -> None:
    """Append the interaction (with the stem as its prompt) to the item body."""
    if item.type is ItemType.MATCHING:
        interaction = _sub(body, _q("matchInteraction"), responseIdentifier="RESPONSE", shuffle="true")
        interaction.set("maxAssociations", str(len(item.premises)))
        _sub(interaction, _q("prompt"), item.stem)
        for prefix, group in (("P", item.premises), ("R_", item.responses)):
            match_set = _sub(interaction, _q("simpleMatchSet"))
            for choice in group:
                _sub(
                    match_set,
                    _q("simpleAssociableChoice"),
                    choice.text,
                    identifier=_ident(choice.id, prefix),
                    matchMax="1",
                )
        return
    if item.type is ItemType.ORDERING:
        interaction = _sub(body, _q("orderInteraction"), responseIdentifier="RESPONSE", shuffle="true")
    else:
        max_choices = "0" if item.type is ItemType.MULTIPLE else "1"
        shuffle = "false" if item.type is ItemType.TRUEFALSE else "true"
        interaction = _sub(body, _q("choiceInteraction"), responseIdentifier="RESPONSE", shuffle=shuffle)
        interaction.set("maxChoices", max_choices)
    _sub(interaction, _q("prompt"), item.stem)
    options = _TRUEFALSE if item.type is ItemType.TRUEFALSE else [(_ident(c.id), c.text) for c in item.options]
    for ident, text in options:
        _sub(interaction, _q("simpleChoice"), text, identifier=ident)


def _item_document(item: Item) -> bytes:
    """Build the QTI 2.1 assessmentItem of one item."""
    root = etree.Element(_q("assessmentItem"), nsmap={None: QTI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{QTI_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd")
    for name, value in (("identifier", _item_ident(item)), ("title", f"{item.id} v{item.version}")):
        root.set(name, value)
    root.set("adaptive", "false")
    root.set("timeDependent", "false")
    root.set(f"{{{XML_NS}}}lang", "pl")
    cardinality, base_type, correct = _response(item)
    declaration = _sub(root, _q("responseDeclaration"), identifier="RESPONSE", cardinality=cardinality)
    declaration.set("baseType", base_type)
    correct_response = _sub(declaration, _q("correctResponse"))
    for value in correct:
        _sub(correct_response, _q("value"), value)
    partial = item.type is ItemType.MULTIPLE and item.scoring is Scoring.PARTIAL
    if partial:
        right = 1 / len(correct)
        wrong = -1 / (len(item.options) - len(correct))
        mapping = _sub(declaration, _q("mapping"), lowerBound="0", upperBound="1", defaultValue="0")
        for choice in item.options:
            ident = _ident(choice.id)
            _sub(mapping, _q("mapEntry"), mapKey=ident, mappedValue=_number(right if ident in correct else wrong))
    outcome = _sub(root, _q("outcomeDeclaration"), identifier="SCORE", cardinality="single", baseType="float")
    _sub(_sub(outcome, _q("defaultValue")), _q("value"), "0")
    _interaction(_sub(root, _q("itemBody")), item)
    _sub(root, _q("responseProcessing"), template=TEMPLATES + ("map_response" if partial else "match_correct"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qti_package(items: Iterable[Item]) -> bytes:
    """Write items as an IMS content package (ZIP) of QTI 2.1 items with ``imsmanifest.xml``."""
    manifest = etree.Element(_cp("manifest"), nsmap={None: CP_NS, "crm": CRM_NS, "xsi": XSI_NS})
    manifest.set("identifier", f"MANIFEST-{QUALIFICATION}")
    manifest.set(f"{{{XSI_NS}}}schemaLocation", f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
    metadata = _sub(manifest, _cp("metadata"))
    _sub(metadata, _cp("schema"), "QTIv2.1 Package")
    _sub(metadata, _cp("schemaversion"), "1.0.0")
    _sub(manifest, _cp("organizations"))
    resources = _sub(manifest, _cp("resources"))
    documents: dict[str, bytes] = {}
    for item in items:
        if not ID_RE.fullmatch(item.id):
            raise ValueError(f"niepoprawny identyfikator zadania „{item.id}”")
        href = f"items/{item.id}-v{item.version}.xml"
        if href in documents:
            raise ValueError(f"zadanie {item.id} w wersji {item.version} występuje dwa razy")
        documents[href] = _item_document(item)
        resource = _sub(resources, _cp("resource"), identifier=f"RES-{item.id}-v{item.version}", type=ITEM_TYPE)
        resource.set("href", href)
        resource_metadata = _sub(resource, _cp("metadata"))
        _sub(resource_metadata, _cp("schema"), "QTIv2.1")
        _sub(resource_metadata, f"{{{CRM_NS}}}criterion", item.criterion)
        _sub(resource, _cp("file"), href=href)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {MANIFEST: etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)}
        for name, content in {**entries, **documents}.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


_UNREADABLE = "nie da się odczytać pliku (uszkodzony lub zaszyfrowany wpis archiwum)"


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Read one archive member, or return None when it is corrupt, encrypted or oddly compressed."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError):
        return None


def check_qti_package(data: bytes) -> list[str]:
    """Check a QTI 2.1 content package's structure offline; return Polish problems (empty when sound)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return ["plik nie jest archiwum ZIP"]
    with archive:
        problems: list[str] = []
        members: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir():
                continue
            if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
                problems.append(f"{info.filename}: niebezpieczna ścieżka w archiwum")
            elif info.file_size > _MAX_MEMBER:
                problems.append(f"{info.filename}: plik jest za duży ({info.file_size} B)")
            else:
                members[info.filename] = info
        if MANIFEST not in members:
            return [*problems, "brak pliku imsmanifest.xml w katalogu głównym paczki"]
        manifest_data = _read(archive, members[MANIFEST])
        if manifest_data is None:
            return [*problems, f"{MANIFEST}: {_UNREADABLE}"]
        manifest, refusal = parse_xml(manifest_data)
        if manifest is None:
            line, message = refusal or (None, "")
            return [*problems, f"{MANIFEST}:{line}: {message}"]
        if manifest.tag != _cp("manifest"):
            return [*problems, f"{MANIFEST}: element główny musi być <manifest> w przestrzeni nazw {CP_NS}"]
        referenced: set[str] = {MANIFEST}
        for href in dict.fromkeys(_check_resources(manifest, members, problems)):
            referenced.add(href)
            content = _read(archive, members[href])
            item_problems = [_UNREADABLE] if content is None else _check_item(content)
            problems += [f"{href}: {p}" for p in item_problems]
        for resource_file in manifest.iter(_cp("file")):
            referenced.add(resource_file.get("href", ""))
        problems += [f"{name}: plik nie jest wymieniony w manifeście" for name in sorted(set(members) - referenced)]
        return problems


def _check_resources(manifest: etree._Element, members: dict, problems: list[str]) -> list[str]:
    """Check the manifest's resources; return the hrefs of the item files that exist."""
    resources = manifest.findall(f"{_cp('resources')}/{_cp('resource')}")
    if not resources:
        problems.append(f"{MANIFEST}: manifest nie wymienia żadnego zasobu")
    seen: set[str] = set()
    found: list[str] = []
    for resource in resources:
        ident, href = resource.get("identifier", ""), resource.get("href", "")
        where = f"{MANIFEST}:{resource.sourceline}: zasób „{ident}”"
        if not NCNAME_RE.fullmatch(ident) or ident in seen:
            problems.append(f"{where}: identyfikator pusty, niepoprawny (NCName) lub powtórzony")
        seen.add(ident)
        if resource.get("type") != ITEM_TYPE:
            problems.append(f"{where}: typ zasobu musi być {ITEM_TYPE}")
        files = [f.get("href", "") for f in resource.findall(_cp("file"))]
        if href not in files:
            problems.append(f"{where}: href „{href}” nie jest wymieniony w żadnym <file>")
        problems += [
            f"{where}: plik „{f}” nie istnieje w paczce" for f in dict.fromkeys([href, *files]) if f not in members
        ]
        criterion = resource.find(f"{_cp('metadata')}/{{{CRM_NS}}}criterion")
        if criterion is not None and not CRITERION_RE.fullmatch(criterion.text or ""):
            problems.append(f"{where}: niepoprawny kod kryterium „{criterion.text}”")
        if href in members and resource.get("type") == ITEM_TYPE:
            found.append(href)
    return found


_EXPECTED = {
    "choiceInteraction": None,  # single or multiple, by maxChoices
    "matchInteraction": ("multiple", "directedPair"),
    "orderInteraction": ("ordered", "identifier"),
}


def _check_header(root: etree._Element) -> list[str]:
    """Check the assessmentItem's attributes and its SCORE outcome."""
    problems = [f"brak atrybutu {a}" for a in ("identifier", "title", "adaptive", "timeDependent") if not root.get(a)]
    if root.get("identifier") and not NCNAME_RE.fullmatch(root.get("identifier", "")):
        problems.append(f"identyfikator zadania „{root.get('identifier')}” nie jest poprawnym NCName")
    for name in ("adaptive", "timeDependent"):
        if root.get(name) not in (None, "true", "false"):
            problems.append(f"{name} musi być true albo false")
    outcome = root.find(_q("outcomeDeclaration"))
    if outcome is None or outcome.get("identifier") != "SCORE" or outcome.get("baseType") != "float":
        problems.append("brak outcomeDeclaration SCORE typu float")
    return problems


def _check_item(data: bytes) -> list[str]:
    """Check one assessmentItem document."""
    root, refusal = parse_xml(data)
    if root is None:
        line, message = refusal or (None, "")
        return [f"wiersz {line}: {message}"]
    if root.tag != _q("assessmentItem"):
        return [f"element główny musi być <assessmentItem> w przestrzeni nazw {QTI_NS}"]
    problems = _check_header(root)
    body = root.find(_q("itemBody"))
    interactions = (
        [] if body is None else [e for e in body.iter() if isinstance(e.tag, str) and e.tag.endswith("Interaction")]
    )
    if len(interactions) != 1 or etree.QName(interactions[0]).localname not in _INTERACTIONS:
        return [*problems, "itemBody musi zawierać dokładnie jedną interakcję: choice, match albo order"]
    interaction = interactions[0]
    kind = etree.QName(interaction).localname
    declarations = {d.get("identifier"): d for d in root.findall(_q("responseDeclaration"))}
    declaration = declarations.get(interaction.get("responseIdentifier"))
    if declaration is None:
        return [*problems, f"responseIdentifier „{interaction.get('responseIdentifier')}” nie ma responseDeclaration"]
    expected = _EXPECTED[kind] or (("single" if interaction.get("maxChoices") == "1" else "multiple"), "identifier")
    actual = (declaration.get("cardinality"), declaration.get("baseType"))
    if actual != expected:
        problems.append(
            f"{kind} wymaga cardinality={expected[0]} i baseType={expected[1]}, jest {actual[0]}/{actual[1]}"
        )
    sets = [[c.get("identifier", "") for c in s] for s in interaction.findall(_q("simpleMatchSet"))]
    if kind == "matchInteraction" and len(sets) != 2:
        problems.append("matchInteraction musi mieć dokładnie dwa simpleMatchSet")
    else:
        sets = sets or [[c.get("identifier", "") for c in interaction.iter(_q("simpleChoice"))]]
    every = [ident for group in sets for ident in group]
    problems += [f"identyfikator „{i}” nie jest poprawnym NCName" for i in every if not NCNAME_RE.fullmatch(i)]
    if len(set(every)) != len(every):
        problems.append("identyfikatory wyborów powtarzają się")
    values = [v.text or "" for v in declaration.iterfind(f"{_q('correctResponse')}/{_q('value')}")]
    problems += _check_values(kind, actual[0], values, sets)
    for entry in declaration.iterfind(f"{_q('mapping')}/{_q('mapEntry')}"):
        if entry.get("mapKey") not in every:
            problems.append(f"mapEntry wskazuje nieistniejący wybór „{entry.get('mapKey')}”")
    processing = root.find(_q("responseProcessing"))
    if processing is None:
        problems.append("brak responseProcessing")
    elif processing.get("template") == TEMPLATES + "map_response" and declaration.find(_q("mapping")) is None:
        problems.append("szablon map_response wymaga elementu mapping")
    return problems


def _check_values(kind: str, cardinality: str | None, values: list[str], sets: list[list[str]]) -> list[str]:
    """Check that the correct response refers to existing choices."""
    if not values:
        return ["brak correctResponse"]
    problems: list[str] = []
    if cardinality == "single" and len(values) != 1:
        problems.append("correctResponse o krotności single musi mieć jedną wartość")
    if len(set(values)) != len(values):
        problems.append("wartości correctResponse powtarzają się")
    for value in values:
        if kind == "matchInteraction" and len(sets) == 2:
            parts = value.split()
            if len(parts) != 2 or parts[0] not in sets[0] or parts[1] not in sets[1]:
                problems.append(f"correctResponse „{value}” nie jest parą istniejących wyborów")
        elif kind != "matchInteraction" and value not in sets[0]:
            problems.append(f"correctResponse wskazuje nieistniejący wybór „{value}”")
    return problems
