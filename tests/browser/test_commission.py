"""Two commission members in two browsers score the same candidate, disagree, agree, and both confirm."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from examplatform.auth.models import User
from examplatform.commission import composition as C
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification
from examplatform.sessions.models import ValidationSession
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_two_members_score_disagree_agree_and_confirm(live_server, browser, artifacts):
    base = live_server.url
    with live_server.app.app_context():
        session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == "DEMO-KRK-01"))
        q = current_qualification()
        # the demo appoints both members (komisja1 chairs); each still makes the session's declaration
        assert [(m.user.email, m.is_chair) for m in C.commission_of(session).members] == [
            ("komisja1@demo.example", True),
            ("komisja2@demo.example", False),
        ]
        for email in ("komisja1@demo.example", "komisja2@demo.example"):
            member = db.session.scalar(select(User).where(User.email == email))
            C.declare(session, member, now=session.created_at, related_candidate_ids=[], statement="Oświadczam.")
        enrolment = session.enrolments[0]
        sheet_url = f"{base}/commission/sessions/{session.id}/sheets/{enrolment.id}"
        protocol_url = f"{base}/commission/sessions/{session.id}/protocol.pdf"
        codes = [c.code for c in q.criteria]
        db.session.commit()
        db.session.remove()

    contexts = [browser.new_context(locale="pl-PL", viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    first, second = (ctx.new_page() for ctx in contexts)
    try:
        log_in(first, base, "komisja1@demo.example")
        log_in(second, base, "komisja2@demo.example")
        for page, unmet in ((first, "2.5.5"), (second, None)):
            page.goto(sheet_url)
            for radio in page.locator('input[type="radio"][value="1"]').all():
                radio.check()
            if unmet:
                page.locator(f'input[name="met_{unmet}"][value="0"]').check()
                page.locator(f'[id="comment_{unmet}"]').fill("Dobrano wykres kołowy do trendu w czasie.")
            page.get_by_role("button", name="Zapisz i prześlij (niezależnie)").click()
            page.wait_for_load_state()
            assert page.get_by_text("Oceny przesłano").is_visible()
        second.goto(sheet_url)
        assert "Kryteria z różnymi ocenami: 2.5.5" in second.content()
        assert "Dobrano wykres kołowy" in second.content()  # now, and only now, B sees A's comment
        second.get_by_label("Uzgodniona ocena").select_option("1")
        second.locator("#reason").fill("Po omówieniu: wykres liniowy był w drugim zadaniu, kryterium spełnione.")
        second.get_by_role("button", name="Uzgodnij").click()
        second.wait_for_load_state()
        # every criterion is agreed met, but this demo candidate has not taken the test: the rule says negative
        assert second.get_by_test_id("proposed").inner_text() == "negatywna"
        assert "Test teoretyczny nie został zaliczony." in second.get_by_label("Uzasadnienie decyzji").input_value()
        second.get_by_role("button", name="Zapisz projekt decyzji").click()
        second.wait_for_load_state()
        for page in (second, first):
            page.goto(sheet_url)
            page.get_by_role("button", name="Potwierdzam decyzję").click()
            page.wait_for_load_state()
        first.goto(sheet_url)
        assert re.search(r"zatwierdzona \d\d\.\d\d\.\d{4}", first.get_by_test_id("decision").inner_text())
        first.screenshot(path=str(artifacts / "commission-sheet.png"), full_page=True)
        pdf = first.request.get(protocol_url)
        assert pdf.ok and pdf.body().startswith(b"%PDF-")
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
        for code in codes:
            assert code in text, code
    finally:
        for ctx in contexts:
            ctx.close()
