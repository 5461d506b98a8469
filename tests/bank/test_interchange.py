"""Item interchange: GIFT and Moodle XML import/export, QTI 2.1 packages and their checker."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from lxml import etree

from examplatform.bank.interchange import (
    check_qti_package,
    export_gift,
    export_moodle_xml,
    export_qti_package,
    parse_gift,
    parse_moodle_xml,
)
from examplatform.bank.interchange.qti import CP_NS, CRM_NS, QTI_NS
from examplatform.bank.items import Choice, Item, ItemStatus, ItemType, Scoring
from examplatform.core.content import ContentError

BANK = Path(__file__).resolve().parents[2] / "question_bank" / "theory" / "items"


def load_bank() -> list[Item]:
    """Read every item of the real bank files."""
    items: list[Item] = []
    for path in sorted(BANK.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["items"]:
            content = {**raw, "criterion": data["criterion"]}
            items.append(Item.from_content(content, status=ItemStatus(raw["status"]), origin=path.name))
    return items


@pytest.fixture(scope="module")
def bank() -> list[Item]:
    items = load_bank()
    assert {item.type for item in items} == set(ItemType), "the bank should hold every item type"
    return items


def content(item: Item, *drop: str) -> dict:
    """Return the item's content without ``source`` and the given fields."""
    return {k: v for k, v in item.content().items() if k not in {"source", *drop}}


def errors_of(excinfo: pytest.ExceptionInfo[ContentError]) -> list[tuple[int | None, str]]:
    return [(e.line, e.message) for e in excinfo.value.errors]


def single(item_id: str = "S-1", criterion: str = "1.3.2") -> Item:
    options = tuple(Choice(i, f"Odpowiedź {i}") for i in "ABCD")
    return Item(item_id, 1, criterion, ItemType.SINGLE, "Pytanie?", "B", options=options, source="test")


def multiple(scoring: Scoring) -> Item:
    options = tuple(Choice(i, f"Opcja {i}") for i in "ABCDE")
    return Item("M-1", 2, "1.3.2", ItemType.MULTIPLE, "Zaznacz: {x} = y", ("A", "C", "E"), options, scoring=scoring)


# --- round trips over the real bank ---------------------------------------------------------------


def test_moodle_xml_round_trip_keeps_every_item_of_the_bank(bank: list[Item]) -> None:
    back = parse_moodle_xml(export_moodle_xml(bank), file="bank.xml")
    assert [content(item) for item in back] == [content(item) for item in bank]
    assert all(item.source == "import Moodle XML: bank.xml" and item.status is ItemStatus.DRAFT for item in back)


def test_gift_round_trip_keeps_every_item_of_the_bank_but_ordering(bank: list[Item]) -> None:
    text = export_gift(bank)
    back = parse_gift(text, file="bank.gift")
    expected = [item for item in bank if item.type is not ItemType.ORDERING]
    # GIFT carries neither version nor difficulty and cannot say all-or-nothing: multiple choice comes back partial
    drop = ("version", "difficulty")
    partial = {"scoring": str(Scoring.PARTIAL)}
    wanted = [{**content(i, *drop), **(partial if i.type is ItemType.MULTIPLE else {})} for i in expected]
    assert [content(item, *drop) for item in back] == wanted
    assert {(i.version, i.difficulty, i.status) for i in back} == {(1, 0.5, ItemStatus.DRAFT)}
    for item in bank:
        if item.type is ItemType.ORDERING:
            assert f"// pominięto {item.id}: GIFT nie obsługuje zadań na porządkowanie" in text


def test_round_trips_keep_a_crafted_item_with_special_characters() -> None:
    item = Item(
        "X.1_a",
        3,
        "2.5.6",
        ItemType.MATCHING,
        "Dopasuj {klamry} = ~tylda~ # hash: dwukropek \\ i <b>HTML</b> & encje",
        (("1", "c"), ("2", "a"), ("3", "b")),
        premises=(Choice("1", "a < b"), Choice("2", "x = y"), Choice("3", "π ≈ 3,14")),
        responses=(Choice("a", "~jeden~"), Choice("b", "dwa -> trzy"), Choice("c", "#3"), Choice("d", "]]> koniec")),
        difficulty=0.35,
        rationale="Uzasadnienie: 100% {pewne}.",
    )
    assert content(parse_moodle_xml(export_moodle_xml([item]), file="x.xml")[0]) == content(item)
    assert content(parse_gift(export_gift([item]), file="x.gift")[0], "version", "difficulty") == content(
        item, "version", "difficulty"
    )


def test_gift_export_uses_moodle_weights_for_multiple_choice() -> None:
    text = export_gift([multiple(Scoring.ALL_OR_NOTHING)])
    assert "$CATEGORY: 13881/1.3.2" in text
    assert "::M-1:: Zaznacz\\: \\{x\\} \\= y {" in text
    assert text.count("~%33.33333%") == 3 and text.count("~%-50%") == 2
    assert parse_gift(text, file="m.gift")[0].key == ("A", "C", "E")


def test_moodle_xml_export_maps_scoring_to_question_types() -> None:
    root = etree.fromstring(export_moodle_xml([multiple(Scoring.PARTIAL), single()]))
    category, partial, single_choice = root
    assert category.findtext("category/text") == "$course$/13881/1.3.2"
    assert partial.get("type") == "multichoice" and partial.findtext("single") == "false"
    assert [a.get("fraction") for a in partial.findall("answer")] == ["33.33333", "-50", "33.33333", "-50", "33.33333"]
    assert single_choice.findtext("single") == "true" and single_choice.findtext("idnumber") == "S-1"
    aon = etree.fromstring(export_moodle_xml([multiple(Scoring.ALL_OR_NOTHING)]))[1]
    assert aon.get("type") == "multichoiceset"


# --- GIFT import ------------------------------------------------------------------------------------

GIFT_SAMPLE = """// Próbka ręczna: każdy obsługiwany typ
$CATEGORY: $course$/top/13881/1.3.2

::T-S-1:: Który organ nadzoruje RODO w Polsce? {
\t=Prezes UODO#dobrze
\t~Prezes UOKiK
\t~Rzecznik Finansowy
\t####Art. 34 ustawy o ochronie danych osobowych.
}

::Wielokrotny:: Które są przesłankami z art. 6? {
\t~%50%Zgoda
\t~%50%Umowa
\t~%-50%Polecenie szefa
\t~%-50%Plotka
}

::T-S-3:: Zgodę można wycofać w każdej chwili. {TRUE}

::T-S-4:: Wycofanie zgody działa wstecz. {F#źle#dobrze####Działa na przyszłość.}

$CATEGORY: 13881/2.1.1

::T-S-5:: [html]<p>Dopasuj <b>prawo</b> do artykułu &amp; numeru</p> {
\t=Dostęp -> Art. 15
\t=Sprostowanie -> Art. 16
\t=Usunięcie -> Art. 17
\t= -> Art. 99
}

// komentarz przed pytaniem
::T-S-6::Cena\\: 10\\~ \\{brutto\\} \\= netto\\#1
na dwóch wierszach {=tak ~nie ~może}
"""


def test_parse_gift_reads_every_supported_type() -> None:
    items = parse_gift(GIFT_SAMPLE, file="sample.gift")
    by_id = {item.id: item for item in items}
    first = by_id["T-S-1"]
    assert (first.type, first.key, first.criterion, first.origin) == (ItemType.SINGLE, "A", "1.3.2", "sample.gift:4")
    assert [c.text for c in first.options] == ["Prezes UODO", "Prezes UOKiK", "Rzecznik Finansowy"]
    assert first.rationale == "Art. 34 ustawy o ochronie danych osobowych."
    assert (first.source, first.version, first.difficulty) == ("import GIFT: sample.gift", 1, 0.5)
    multi = by_id["Wielokrotny"]
    assert (multi.type, multi.key, multi.scoring) == (ItemType.MULTIPLE, ("A", "B"), Scoring.PARTIAL)
    assert (by_id["T-S-3"].key, by_id["T-S-4"].key, by_id["T-S-4"].rationale) == (True, False, "Działa na przyszłość.")
    matching = by_id["T-S-5"]
    assert matching.criterion == "2.1.1" and matching.stem == "Dopasuj prawo do artykułu & numeru"
    assert [c.text for c in matching.responses] == ["Art. 15", "Art. 16", "Art. 17", "Art. 99"]
    assert matching.key == (("1", "a"), ("2", "b"), ("3", "c"))
    assert by_id["T-S-6"].stem == "Cena: 10~ {brutto} = netto#1 na dwóch wierszach"
    assert by_id["T-S-6"].origin == "sample.gift:32"


def test_parse_gift_derives_ids_and_takes_the_criterion_argument() -> None:
    text = "::To nie jest id!:: Pytanie {=a ~b ~c}\n\nDrugie pytanie {=a ~b ~c}\n"
    first, second = parse_gift(text, file="x.gift", criterion="3.1.2")
    assert re.fullmatch(r"IMP-3\.1\.2-[0-9a-f]{8}", first.id) and first.criterion == "3.1.2"
    assert second.id.startswith("IMP-3.1.2-") and second.id != first.id


@pytest.mark.parametrize(
    ("text", "criterion", "expected"),
    [
        ("::a:: Pytanie {\n=tak\n~nie\n~może\n", "1.1.1", [(1, "nie został zamknięty")]),
        ("::a:: Pytanie {=tak ~nie\n::b:: Drugie {=x ~y ~z}\n", "1.1.1", [(1, "przed kolejnym „{” (wiersz 2)")]),
        ("// esej\n\n::a:: Opisz RODO. {}\n", "1.1.1", [(3, "esej")]),
        ("::a:: Ile? {#5:1}\n", "1.1.1", [(1, "numeryczne")]),
        ("\n::a:: Stolica? {=Warszawa =warszawa}\n", "1.1.1", [(2, "krótką odpowiedzią")]),
        ("::a:: Sam tekst bez odpowiedzi\n", "1.1.1", [(1, "brak bloku odpowiedzi")]),
        ("::a:: Pytanie {~a ~b ~c}\n", "1.1.1", [(1, "brak poprawnej odpowiedzi")]),
        ("::a:: Pytanie {=a ~%50%b ~c}\n", "1.1.1", [(1, "częściowo poprawne")]),
        ("::a:: Pytanie {~%50%a ~b ~c}\n", "1.1.1", [(1, "jedyna poprawna odpowiedź musi mieć wagę 100%")]),
        ("::a:: Pytanie {~%50%a ~%20%b ~c ~d}\n", "1.1.1", [(1, "sumować się do 100%")]),
        ("::a:: Pytanie {=a ~b ~c} {=x ~y ~z}\n", "1.1.1", [(1, "więcej niż jeden blok odpowiedzi")]),
        ("::a:: Pytanie {=a ~b ~c}\n", None, [(1, "nie wiadomo, którego kryterium")]),
        ("::a:: Pytanie {=a ~b ~c}\n", "1.3", [(1, "„1.3” ma niepoprawny format")]),
        ("$CATEGORY: 13881/inne\n\n::a:: Pytanie {=a ~b ~c}\n", None, [(3, "nie wiadomo, którego kryterium")]),
        ("::a:: P {=a ~b ~c}\n\n::b:: Q {=a ~b ~c}\n\n::a:: R {=a ~b ~c}\n", "1.1.1", [(5, "„a” powtórzony")]),
        ("::a:: Za mało {=a ~b}\n", "1.1.1", [(1, "od 3 do 5 odpowiedzi")]),
        ("\ufeff::a:: P {=a ~b ~c}\r\n\r\n::a:: Q {=a ~b ~c}\r\n", "1.1.1", [(3, "„a” powtórzony")]),
        ("", "1.1.1", [(None, "nie zawiera żadnego pytania")]),
        ("// tylko komentarz\n\n$CATEGORY: 13881/1.1.1\n", None, [(None, "nie zawiera żadnego pytania")]),
    ],
    ids=[
        "unclosed-brace",
        "brace-reopened",
        "essay",
        "numeric",
        "short-answer",
        "description",
        "missing-key",
        "partial-single",
        "lone-partial",
        "weights",
        "two-blocks",
        "no-criterion",
        "bad-criterion",
        "category-without-criterion",
        "duplicate-id",
        "check-item",
        "crlf-bom-duplicate",
        "empty",
        "comments-only",
    ],
)
def test_parse_gift_locates_every_problem(text: str, criterion: str | None, expected: list) -> None:
    with pytest.raises(ContentError) as excinfo:
        parse_gift(text, file="bad.gift", criterion=criterion)
    found = errors_of(excinfo)
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message
    assert all(e.file == "bad.gift" for e in excinfo.value.errors)


def test_parse_gift_is_all_or_nothing_and_reports_every_error() -> None:
    text = "::ok:: Dobre {=a ~b ~c}\n\n::z1:: Esej {}\n\n::ok2:: Dobre {=a ~b ~c}\n\n::z2:: Bez klucza {~a ~b ~c}\n"
    with pytest.raises(ContentError) as excinfo:
        parse_gift(text, file="mix.gift", criterion="1.1.1")
    assert [line for line, _ in errors_of(excinfo)] == [3, 7]
    assert str(excinfo.value).startswith("mix.gift:3: ")


# --- Moodle XML import ------------------------------------------------------------------------------

MOODLE_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <!-- criterion from the category -->
  <question type="category"><category><text>$course$/top/13881/1.2.3</text></category></question>
  <question type="multichoice">
    <name><text>Nazwa z odstępem</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Która odpowiedź jest&nbsp;<b>poprawna</b> &amp; pełna?</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Bo tak.</p>]]></text></generalfeedback>
    <idnumber>T-X-1</idnumber>
    <single>true</single>
    <answer fraction="0" format="html"><text>Pierwsza</text></answer>
    <answer fraction="100" format="html"><text><![CDATA[<i>Druga</i>]]></text></answer>
    <answer fraction="0" format="html"><text>Trzecia</text></answer>
  </question>
  <question type="multichoice">
    <name><text>T-X-2</text></name>
    <questiontext format="html"><text>Zaznacz dwie</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>A1</text></answer>
    <answer fraction="-100"><text>A2</text></answer>
    <answer fraction="50"><text>A3</text></answer>
    <answer fraction="0"><text>A4</text></answer>
  </question>
  <question type="multichoiceset">
    <name><text>T-X-3</text></name>
    <questiontext format="plain_text"><text>Wszystko albo nic</text></questiontext>
    <answer fraction="100"><text>B1</text></answer>
    <answer fraction="100"><text>B2</text></answer>
    <answer fraction="0"><text>B3</text></answer>
    <answer fraction="0"><text>B4</text></answer>
  </question>
  <question type="truefalse">
    <name><text>T-X-4</text></name>
    <questiontext format="html"><text>Prawda?</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="matching">
    <name><text>T-X-5</text></name>
    <questiontext format="html"><text>Dopasuj</text></questiontext>
    <subquestion format="html"><text>Polska</text><answer><text>Warszawa</text></answer></subquestion>
    <subquestion format="html"><text>Czechy</text><answer><text>Praga</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>Wiedeń</text></answer></subquestion>
    <subquestion format="html"><text>Słowacja</text><answer><text>Bratysława</text></answer></subquestion>
  </question>
  <question type="ordering">
    <name><text>T-X-6</text></name>
    <questiontext format="html"><text>Ułóż</text></questiontext>
    <answer fraction="1"><text>pierwszy</text></answer>
    <answer fraction="2"><text>drugi</text></answer>
    <answer fraction="3"><text>trzeci</text></answer>
    <tags><tag><text>crm:difficulty=0.3</text></tag><tag><text>crm:version=4</text></tag></tags>
  </question>
</quiz>
""".encode()


def test_parse_moodle_xml_reads_every_supported_type() -> None:
    items = parse_moodle_xml(MOODLE_SAMPLE, file="sample.xml")
    first, partial, aon, truefalse, matching, ordering = items
    assert {item.criterion for item in items} == {"1.2.3"}
    assert (first.id, first.type, first.key, first.origin) == ("T-X-1", ItemType.SINGLE, "B", "sample.xml:5")
    assert first.stem == "Która odpowiedź jest poprawna & pełna?"
    assert [c.text for c in first.options] == ["Pierwsza", "Druga", "Trzecia"] and first.rationale == "Bo tak."
    assert (partial.id, partial.key, partial.scoring) == ("T-X-2", ("A", "C"), Scoring.PARTIAL)
    assert (aon.type, aon.key, aon.scoring) == (ItemType.MULTIPLE, ("A", "B"), Scoring.ALL_OR_NOTHING)
    assert (truefalse.type, truefalse.key) == (ItemType.TRUEFALSE, False)
    assert [c.text for c in matching.responses] == ["Warszawa", "Praga", "Wiedeń", "Bratysława"]
    assert matching.key == (("1", "a"), ("2", "b"), ("3", "d"))
    assert (ordering.key, ordering.version, ordering.difficulty) == (("A", "B", "C"), 4, 0.3)
    assert all(i.source == "import Moodle XML: sample.xml" and i.status is ItemStatus.DRAFT for i in items)


def test_parse_moodle_xml_falls_back_from_idnumber_to_name_to_hash() -> None:
    question = (
        '<question type="truefalse"><name><text>{name}</text></name><idnumber>{idnumber}</idnumber>'
        '<questiontext><text>Tekst</text></questiontext><answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>'
    )
    body = "".join(question.format(name=n, idnumber=i) for n, i in [("N-1", "ID-1"), ("N-2", ""), ("zła nazwa", "")])
    ids = [item.id for item in parse_moodle_xml(f"<quiz>{body}</quiz>".encode(), file="x.xml", criterion="4.1.1")]
    assert ids[:2] == ["ID-1", "N-2"] and re.fullmatch(r"IMP-4\.1\.1-[0-9a-f]{8}", ids[2])


def _quiz(*questions: str, category: str = "$course$/13881/1.1.1") -> bytes:
    head = f'<quiz>\n<question type="category"><category><text>{category}</text></category></question>\n'
    return (head + "\n".join(questions) + "\n</quiz>\n").encode()


GOOD = (
    '<question type="multichoice"><idnumber>{id}</idnumber><questiontext><text>P</text></questiontext>'
    '<single>true</single><answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
    '<answer fraction="0"><text>c</text></answer></question>'
)


ORDERING = (
    '<question type="ordering"><idnumber>o</idnumber><questiontext><text>Ułóż</text></questiontext>'
    "<answer><text>x</text></answer><answer><text>y</text></answer><answer><text>z</text></answer>"
    "<tags><tag><text>crm:positions=2 3 1</text></tag><tag><text>crm:version=2</text></tag></tags></question>"
)


def test_parse_moodle_xml_restores_the_presented_order_of_ordering_items() -> None:
    [item] = parse_moodle_xml(_quiz(ORDERING), file="o.xml")
    assert [c.text for c in item.options] == ["z", "x", "y"] and item.key == ("B", "C", "A") and item.version == 2


@pytest.mark.parametrize(
    ("data", "criterion", "expected"),
    [
        (b"<quiz>\n<question type='truefalse'>\n</quiz>\n", None, [(3, "niepoprawny XML")]),
        (
            _quiz('<question type="essay"><questiontext><text>Opisz</text></questiontext></question>'),
            None,
            [(3, "essay")],
        ),
        (_quiz(GOOD.format(id="a"), '<question type="shortanswer"/>'), None, [(4, "shortanswer")]),
        (_quiz(GOOD.format(id="a").replace('"100"', '"0"')), None, [(3, "brak poprawnej odpowiedzi")]),
        (_quiz(GOOD.format(id="a"), category="$course$/13881/inne"), None, [(3, "nie wiadomo")]),
        (_quiz(GOOD.format(id="a"), category="inne"), "9.9", [(3, "„9.9” ma niepoprawny format")]),
        (_quiz(GOOD.format(id="a"), GOOD.format(id="b"), GOOD.format(id="a")), None, [(5, "„a” powtórzony")]),
        (_quiz(GOOD.format(id="a").replace("true", "false").replace('"100"', '"50"')), None, [(3, "do 100")]),
        (
            _quiz('<question type="ordering"><questiontext><text>P</text></questiontext></question>'),
            None,
            [(3, "od 3")],
        ),
        (_quiz("<questoin/>"), None, [(3, "nieoczekiwany element <questoin>")]),
        (_quiz(ORDERING.replace("2 3 1", "1 1 2")), None, [(3, "permutacją liczb 1…3")]),
        (_quiz(ORDERING.replace("crm:version=2", "crm:version=dwa")), None, [(3, "crm:version")]),
        (
            _quiz('<question type="truefalse"><answer fraction="100"><text>true</text></answer></question>'),
            None,
            [(3, "„true” i „false”")],
        ),
        (b"", None, [(None, "plik jest pusty")]),
        (b"<quiz>\n</quiz>", None, [(1, "nie zawiera żadnego pytania")]),
        (b"<?xml version='1.0'?>\n<moodle/>", None, [(2, "element główny musi być <quiz>")]),
    ],
    ids=[
        "malformed",
        "essay",
        "shortanswer",
        "missing-key",
        "category-without-criterion",
        "bad-criterion",
        "duplicate-id",
        "weights",
        "check-item",
        "unknown-element",
        "bad-positions",
        "bad-version",
        "truefalse-answers",
        "empty",
        "no-questions",
        "wrong-root",
    ],
)
def test_parse_moodle_xml_locates_every_problem(data: bytes, criterion: str | None, expected: list) -> None:
    with pytest.raises(ContentError) as excinfo:
        parse_moodle_xml(data, file="bad.xml", criterion=criterion)
    found = errors_of(excinfo)
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>&xxe;</text></name></question></quiz>
"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="category"><category><text>&lol9;</text></category></question></quiz>
"""


@pytest.mark.parametrize(
    "data",
    [XXE, BILLION_LAUGHS, XXE.decode().replace("UTF-8", "UTF-16").encode("utf-16")],
    ids=["xxe", "billion-laughs", "utf16-doctype"],
)
def test_parse_moodle_xml_refuses_doctype_and_entities(data: bytes) -> None:
    with pytest.raises(ContentError) as excinfo:
        parse_moodle_xml(data, file="evil.xml", criterion="1.1.1")
    [error] = excinfo.value.errors
    assert error.line in (1, 2) and "DOCTYPE lub ENTITY" in error.message
    assert "root:" not in str(excinfo.value)


def test_parse_moodle_xml_accepts_doctype_text_inside_content() -> None:
    data = _quiz(GOOD.format(id="a").replace("<text>P</text>", "<text><![CDATA[Co znaczy <!DOCTYPE html>?]]></text>"))
    assert parse_moodle_xml(data, file="ok.xml")[0].stem == "Co znaczy ?"


# --- QTI 2.1 packages -------------------------------------------------------------------------------


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_qti_export_of_the_whole_bank_passes_the_checker(bank: list[Item]) -> None:
    package = export_qti_package(bank)
    assert check_qti_package(package) == []
    assert package == export_qti_package(bank), "the export must be reproducible"
    members = _members(package)
    manifest = etree.fromstring(members["imsmanifest.xml"])
    assert manifest.tag == f"{{{CP_NS}}}manifest"
    resources = manifest.findall(f"{{{CP_NS}}}resources/{{{CP_NS}}}resource")
    assert len(resources) == len(bank) == len(members) - 1
    for resource, item in zip(resources, bank, strict=True):
        assert resource.get("href") == f"items/{item.id}-v{item.version}.xml"
        assert resource.get("type") == "imsqti_item_xmlv2p1"
        assert resource.findtext(f"{{{CP_NS}}}metadata/{{{CRM_NS}}}criterion") == item.criterion


def _qti_item(item: Item) -> etree._Element:
    return etree.fromstring(_members(export_qti_package([item]))[f"items/{item.id}-v{item.version}.xml"])


def _q(path: str) -> str:
    return "/".join(f"{{{QTI_NS}}}{part}" for part in path.split("/"))


def test_qti_items_map_each_type_to_its_interaction(bank: list[Item]) -> None:
    first = {item.type: item for item in reversed(bank)}
    expected = {
        ItemType.SINGLE: ("choiceInteraction", "single", "identifier", "match_correct"),
        ItemType.TRUEFALSE: ("choiceInteraction", "single", "identifier", "match_correct"),
        ItemType.MATCHING: ("matchInteraction", "multiple", "directedPair", "match_correct"),
        ItemType.ORDERING: ("orderInteraction", "ordered", "identifier", "match_correct"),
    }
    for item_type, (interaction, cardinality, base_type, template) in expected.items():
        root = _qti_item(first[item_type])
        declaration = root.find(_q("responseDeclaration"))
        assert (declaration.get("cardinality"), declaration.get("baseType")) == (cardinality, base_type)
        assert root.find(_q(f"itemBody/{interaction}")) is not None
        assert root.find(_q("responseProcessing")).get("template").endswith(template)
        assert (root.get("adaptive"), root.get("timeDependent")) == ("false", "false")
    truefalse = _qti_item(first[ItemType.TRUEFALSE])
    assert [c.text for c in truefalse.iterfind(_q("itemBody/choiceInteraction/simpleChoice"))] == ["Prawda", "Fałsz"]
    matching = first[ItemType.MATCHING]
    values = [v.text for v in _qti_item(matching).iterfind(_q("responseDeclaration/correctResponse/value"))]
    assert values == [f"P{p} R_{r}" for p, r in matching.key]  # type: ignore[misc]
    ordering = first[ItemType.ORDERING]
    values = [v.text for v in _qti_item(ordering).iterfind(_q("responseDeclaration/correctResponse/value"))]
    assert values == list(ordering.key)  # type: ignore[arg-type]


def test_qti_multiple_choice_scoring() -> None:
    partial = _qti_item(multiple(Scoring.PARTIAL))
    interaction = partial.find(_q("itemBody/choiceInteraction"))
    assert interaction.get("maxChoices") == "0"
    assert partial.find(_q("responseDeclaration")).get("cardinality") == "multiple"
    entries = {
        e.get("mapKey"): float(e.get("mappedValue"))
        for e in partial.iterfind(_q("responseDeclaration/mapping/mapEntry"))
    }
    assert entries["A"] == pytest.approx(1 / 3) and entries["B"] == pytest.approx(-0.5)
    assert partial.find(_q("responseProcessing")).get("template").endswith("/map_response")
    aon = _qti_item(multiple(Scoring.ALL_OR_NOTHING))
    assert aon.find(_q("responseDeclaration/mapping")) is None
    assert aon.find(_q("responseProcessing")).get("template").endswith("/match_correct")


def test_qti_identifiers_are_ncnames_even_for_numeric_ids() -> None:
    item = Item("7abc", 1, "1.1.1", ItemType.ORDERING, "Ułóż", ("2", "1", "3"), tuple(Choice(i, i) for i in "123"))
    package = export_qti_package([item])
    assert check_qti_package(package) == []
    root = _qti_item(item)
    assert root.get("identifier") == "I_7abc"
    assert [c.get("identifier") for c in root.iterfind(_q("itemBody/orderInteraction/simpleChoice"))] == [
        "O_1",
        "O_2",
        "O_3",
    ]


def test_qti_export_refuses_duplicates_and_unsafe_ids() -> None:
    with pytest.raises(ValueError, match="dwa razy"):
        export_qti_package([single(), single()])
    with pytest.raises(ValueError, match="niepoprawny identyfikator"):
        export_qti_package([single("../evil")])


ITEM_FILE = "items/S-1-v1.xml"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _without(name: str) -> Callable[[bytes], bytes]:
    return lambda package: _zip({k: v for k, v in _members(package).items() if k != name})


def _with(name: str, data: bytes) -> Callable[[bytes], bytes]:
    return lambda package: _zip({**_members(package), name: data})


def _edit(name: str, old: str, new: str) -> Callable[[bytes], bytes]:
    def mutate(package: bytes) -> bytes:
        members = _members(package)
        assert old in members[name].decode()
        return _zip({**members, name: members[name].decode().replace(old, new).encode()})

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda package: b"PK not really", ["plik nie jest archiwum ZIP"]),
        (_without("imsmanifest.xml"), ["brak pliku imsmanifest.xml w katalogu głównym paczki"]),
        (_without(ITEM_FILE), [f"plik „{ITEM_FILE}” nie istnieje w paczce"]),
        (
            _edit("imsmanifest.xml", f'href="{ITEM_FILE}"', 'href="items/nie-ma.xml"'),
            ["plik „items/nie-ma.xml” nie istnieje w paczce", f"{ITEM_FILE}: plik nie jest wymieniony w manifeście"],
        ),
        (_with("items/extra.xml", b"<x/>"), ["items/extra.xml: plik nie jest wymieniony w manifeście"]),
        (_with("../evil.xml", b"<x/>"), ["../evil.xml: niebezpieczna ścieżka w archiwum"]),
        (
            _edit("imsmanifest.xml", 'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"', ""),
            ["imsmanifest.xml: element główny musi być <manifest> w przestrzeni nazw"],
        ),
        (_edit("imsmanifest.xml", 'type="imsqti_item_xmlv2p1"', 'type="webcontent"'), ["typ zasobu musi być"]),
        (
            _edit(ITEM_FILE, "<value>B</value>", "<value>Z</value>"),
            [f"{ITEM_FILE}: correctResponse wskazuje nieistniejący wybór „Z”"],
        ),
        (_edit(ITEM_FILE, 'cardinality="single"', 'cardinality="multiple"'), ["cardinality=single i baseType"]),
        (_edit(ITEM_FILE, 'identifier="A"', 'identifier="1A"'), ["identyfikator „1A” nie jest poprawnym NCName"]),
        (_edit(ITEM_FILE, 'identifier="C"', 'identifier="B"'), ["identyfikatory wyborów powtarzają się"]),
        (_edit(ITEM_FILE, 'responseIdentifier="RESPONSE"', 'responseIdentifier="R2"'), ["nie ma responseDeclaration"]),
        (_edit(ITEM_FILE, ' adaptive="false"', ""), [f"{ITEM_FILE}: brak atrybutu adaptive"]),
        (_edit(ITEM_FILE, QTI_NS, "http://example.com/qti"), ["musi być <assessmentItem> w przestrzeni nazw"]),
        (_edit(ITEM_FILE, "</itemBody>", "</itemBdy>"), [f"{ITEM_FILE}: wiersz "]),
        (_with(ITEM_FILE, XXE.replace(b"quiz", b"assessmentItem")), ["DOCTYPE lub ENTITY"]),
        (
            # a stored (uncompressed) archive whose item bytes no longer match their CRC
            lambda package: _zip(_members(package)).replace(b"<prompt>Pytanie?", b"<prompt>Pytanie!"),
            [f"{ITEM_FILE}: nie da się odczytać pliku"],
        ),
    ],
    ids=[
        "not-a-zip",
        "missing-manifest",
        "missing-item-file",
        "dangling-href",
        "unreferenced-file",
        "unsafe-path",
        "manifest-namespace",
        "resource-type",
        "correct-response-missing-choice",
        "cardinality",
        "ncname",
        "duplicate-choice",
        "response-identifier",
        "missing-attribute",
        "item-namespace",
        "malformed-item",
        "xxe-item",
        "corrupt-member",
    ],
)
def test_check_qti_package_catches_broken_packages(mutate: Callable[[bytes], bytes], expected: list[str]) -> None:
    package = export_qti_package([single(), single("S-2")])
    assert check_qti_package(package) == []
    problems = check_qti_package(mutate(package))
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
