"""A commission member runs a structured interview in Chromium: start, a note, a score, nothing lost on an error."""

import pytest
from sqlalchemy import select

from examplatform.auth.models import User
from examplatform.commission import composition as C
from examplatform.commission.models import CriterionScore, InterviewNote
from examplatform.extensions import db
from examplatform.sessions.models import ValidationSession
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_member_starts_interview_writes_a_note_and_scores_a_criterion(live_server, page, artifacts):
    base = live_server.url
    with live_server.app.app_context():
        session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == "DEMO-KRK-01"))
        # the demo appoints both members (komisja1 chairs); each still makes the session's declaration
        assert [(m.user.email, m.is_chair) for m in C.commission_of(session).members] == [
            ("komisja1@demo.example", True),
            ("komisja2@demo.example", False),
        ]
        for email in ("komisja1@demo.example", "komisja2@demo.example"):
            member = db.session.scalar(select(User).where(User.email == email))
            C.declare(session, member, now=session.created_at, related_candidate_ids=[], statement="Oświadczam.")
        url = f"{base}/commission/sessions/{session.id}/interviews/{session.enrolments[0].id}"
        db.session.commit()
        db.session.remove()

    log_in(page, base, "komisja1@demo.example")
    page.goto(url)
    page.get_by_role("button", name="Rozpocznij rozmowę").click()
    page.wait_for_load_state()
    assert "Rozpoczęta:" in page.get_by_test_id("interview-times").inner_text()
    note = "Wskazał CEIDG i KRS, uzasadnił wybór; nie wspomniał o BIR."
    page.get_by_label("Moja notatka do pytania 1").fill(note)
    section = page.locator('section[data-criterion="1.1.2"]')
    section.get_by_label("nie spełnia", exact=True).check()  # without the required comment: refused, nothing lost
    page.get_by_role("button", name="Zapisz notatki i oceny").click()
    page.wait_for_load_state()
    assert "komentarz jest wymagany (1.1.2)" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Moja notatka do pytania 1").input_value() == note
    assert section.get_by_label("nie spełnia", exact=True).is_checked()
    section.get_by_label("Komentarz (wymagany przy „nie spełnia”)").fill("Brak rejestru REGON i uzasadnienia.")
    page.get_by_role("button", name="Zapisz notatki i oceny").click()
    page.wait_for_load_state()
    assert page.get_by_text("Zapisano notatki i oceny").is_visible()
    page.reload()
    assert page.get_by_label("Moja notatka do pytania 1").input_value() == note
    page.screenshot(path=str(artifacts / "commission-interview.png"), full_page=True)
    with live_server.app.app_context():
        assert db.session.scalars(select(InterviewNote.text)).all() == [note]
        score = db.session.scalars(select(CriterionScore)).one()
        assert (score.criterion, score.met) == ("1.1.2", False)
        db.session.remove()
