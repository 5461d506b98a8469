"""Paper mode: PDFs without keys, moving a candidate to paper, double entry, the same scoring."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import Role
from examplatform.bank.items import ItemType
from examplatform.core.errors import DomainError
from examplatform.extensions import db
from examplatform.theory import attempts as A
from examplatform.theory import paper
from examplatform.theory.models import AttemptStatus, DeliveryMode


@pytest.fixture
def on_paper(prepared, factories):
    attempt = prepared["forms"][0].attempt
    A.start(attempt, actor=prepared["candidates"][0], now=factories.now)
    first = attempt.form.items[0]
    A.save_answer(attempt, seq=1, position=first.position, value=_correct(first), flagged=False, now=factories.now)
    paper.move_to_paper(attempt, actor=prepared["operator"], now=factories.now, reason="awaria komputera")
    db.session.commit()
    return attempt


def _correct(fi):
    key = fi.item_version.to_item().key
    if fi.item_version.type is ItemType.MATCHING:
        return dict(key)
    return list(key) if isinstance(key, tuple) else key


def _sheet_text(attempt, *, skip_first=True):
    """What a careful candidate writes on the sheet: every answer correct (the first one was given on screen)."""
    return {
        fi.position: ("" if skip_first and n == 0 else paper.paper_text(attempt, fi.position, _correct(fi)))
        for n, fi in enumerate(attempt.form.items)
    }


def test_pdfs_are_real_and_carry_no_keys(on_paper):
    booklet, sheet = paper.booklet_pdf(on_paper), paper.sheet_pdf(on_paper)
    assert booklet.startswith(b"%PDF-") and sheet.startswith(b"%PDF-")
    assert len(booklet) > 5000
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(booklet)).pages)
    assert on_paper.form.code in text and "Kandydat" in text
    for fi in on_paper.form.items:
        assert fi.item_version.to_item().rationale[:50] not in text


def test_paper_letters_round_trip_every_item_type(on_paper):
    for fi in on_paper.form.items:
        value = _correct(fi)
        assert paper.parse_paper(on_paper, fi.position, paper.paper_text(on_paper, fi.position, value)) == (
            sorted(value) if fi.item_version.type is ItemType.MULTIPLE else value
        )
    with pytest.raises(DomainError, match="nieczytelny"):
        paper.parse_paper(on_paper, on_paper.form.items[0].position, "zz")


def test_double_entry_by_two_people_then_same_scoring(on_paper, prepared, factories):
    operator = prepared["operator"]
    member = factories.user(roles=(Role.COMMISSION_MEMBER,), institution=prepared["institution"])
    sheet = _sheet_text(on_paper)
    paper.save_entry(on_paper, 1, sheet, actor=operator, now=factories.now)
    with pytest.raises(DomainError, match="inna osoba"):
        paper.save_entry(on_paper, 2, sheet, actor=operator, now=factories.now)
    # the second person mistypes one item
    fi = next(f for f in on_paper.form.items[1:] if f.item_version.type is ItemType.SINGLE)
    wrong = dict(sheet)
    wrong[fi.position] = next(c for c in "abcd" if c != sheet[fi.position])
    paper.save_entry(on_paper, 2, wrong, actor=member, now=factories.now)
    diffs = paper.differences(on_paper)
    assert [d.position for d in diffs] == [fi.position]
    with pytest.raises(DomainError, match="Rozstrzygnij"):
        paper.finalise(on_paper, actor=member, now=factories.now, resolutions={})
    receipt = paper.finalise(on_paper, actor=member, now=factories.now, resolutions={fi.position: sheet[fi.position]})
    db.session.commit()
    assert on_paper.status is AttemptStatus.SUBMITTED and on_paper.mode is DeliveryMode.PAPER and len(receipt) == 64
    result = A.result_of(on_paper)
    assert result.score == result.maximum == 40  # the screen answer carried over and the sheet filled the rest
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert {"theory.operator.moved_to_paper", "theory.paper_entry", "theory.paper_finalised"} <= set(actions)


def test_unreadable_entry_is_refused_and_nothing_is_saved(on_paper, prepared, factories):
    sheet = _sheet_text(on_paper)
    sheet[on_paper.form.items[3].position] = "xyz"
    with pytest.raises(DomainError, match="nieczytelny"):
        paper.save_entry(on_paper, 1, sheet, actor=prepared["operator"], now=factories.now)
    db.session.rollback()
    assert paper.entries(on_paper) == {}


def test_paper_screens_over_http(csrf_app, client, auth, on_paper, prepared, factories):
    auth.login(prepared["operator"].email)
    base = f"/sessions/{prepared['session'].id}/attempts/{on_paper.id}/paper"
    for doc in ("booklet", "sheet"):
        response = client.get(f"{base}/{doc}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"
    sheet = _sheet_text(on_paper)
    assert client.post(base, data={"stage": "entry", **{f"p_{k}": v for k, v in sheet.items()}}).status_code == 302
    auth.logout()
    member = factories.user(roles=(Role.COMMISSION_MEMBER,), institution=prepared["institution"])
    auth.login(member.email)
    bad = client.post(base, data={"stage": "entry", "p_1": "q!"})
    assert bad.status_code == 400 and "nieczytelny" in bad.get_data(as_text=True)
    assert client.post(base, data={"stage": "entry", **{f"p_{k}": v for k, v in sheet.items()}}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Wprowadzenia są zgodne." in page
    assert client.post(base, data={"stage": "resolve"}).status_code == 302
    assert 'data-testid="paper-done"' in client.get(base).get_data(as_text=True)
    assert re.search(r"[0-9a-f]{64}", client.get(base).get_data(as_text=True))
