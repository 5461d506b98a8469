"""The structured interview over HTTP: the session's plan, the interview screen, notes, scores, blindness."""

import hashlib
import json
import re
import shutil

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.commission import composition as C
from examplatform.commission import interviews as I
from examplatform.commission import scoring as S
from examplatform.commission.models import CriterionScore, Interview, InterviewNote, InterviewPlan
from examplatform.extensions import db
from tests.conftest import PROJECT_ROOT

NOTE = "Kandydat wskazał CEIDG, KRS i BIR; nie wspomniał o białej liście."


@pytest.fixture
def ready(panel, q, factories):
    session = panel["session"]
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=factories.now, qualification=q, chair=who == "a")
        C.declare(session, panel[who], now=factories.now, related_candidate_ids=[], statement="Oświadczam.")
    db.session.commit()
    return session


def _browser(csrf_app, user, password):
    browser = csrf_app.test_client()
    assert browser.post("/auth/login", data={"email": user.email, "password": password}).status_code == 302
    return browser


def _base(session, enrolment):
    return f"/commission/sessions/{session.id}/interviews/{enrolment.id}"


def _planned_ids(session):
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == session.id))
    return [p.id for p in plan.questions]


def _actions():
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_default_plan_is_derived_from_the_session_one_question_per_i_criterion(csrf_app, ready, panel, q, factories):
    admin = _browser(csrf_app, panel["admin"], factories.password)
    page = admin.get(f"/commission/sessions/{ready.id}/interview-plan").get_data(as_text=True)
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == ready.id))
    assert plan.is_default and plan.locked_at is None
    assert [p.criterion for p in plan.questions] == I.interview_criteria(q)  # qualification order, one each
    assert [p.question_id for p in plan.questions] == I.default_choice(ready, I.current_bank(q), q)
    assert "plan domyślny (wyznaczony z kodu sesji)" in page and plan.questions[0].question_id in page


def test_chair_fixes_the_plan_and_it_locks_at_the_first_interview(csrf_app, ready, panel, q, factories):
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    url = f"/commission/sessions/{ready.id}/interview-plan"
    chosen = [*I.default_choice(ready, I.current_bank(q), q)[1:], "I-1.1.2-05", "I-1.1.2-02"]
    assert b.post(url, data={"question": chosen}).status_code == 403  # not the chair
    assert a.post(url, data={"question": chosen}).status_code == 302
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == ready.id))
    db.session.refresh(plan)
    assert not plan.is_default and plan.chosen_by_id == panel["a"].id
    assert [p.question_id for p in plan.questions][:2] == ["I-1.1.2-02", "I-1.1.2-05"]  # bank order, fixed
    assert b.post(f"{_base(ready, ready.enrolments[0])}/start").status_code == 302
    refused = a.post(url, data={"question": I.default_choice(ready, I.current_bank(q), q)})
    assert refused.status_code == 409
    assert "Plan rozmowy jest zablokowany" in refused.get_data(as_text=True)
    admin = _browser(csrf_app, panel["admin"], factories.password)
    assert admin.post(url, data={"question": chosen}).status_code == 409  # the admin too
    db.session.expire_all()
    assert [p.question_id for p in plan.questions][:2] == ["I-1.1.2-02", "I-1.1.2-05"]
    actions = _actions()
    assert actions.count("commission.interview_plan_set") == 1
    assert actions.count("commission.interview_plan_locked") == 1
    assert actions.count("commission.interview_plan_change_refused") == 2
    assert "commission.interview_started" in actions


def test_bad_plan_is_refused_in_polish_and_the_selection_kept(csrf_app, ready, panel, q, factories):
    admin = _browser(csrf_app, panel["admin"], factories.password)
    url = f"/commission/sessions/{ready.id}/interview-plan"
    chosen = ["I-1.1.2-01", "I-1.1.2-02", "I-1.1.2-03", "I-1.1.3-01", "I-9.9.9-01"]
    response = admin.post(url, data={"question": chosen})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kryterium 1.1.2: wybierz od 1 do 2 pytań (wybrano 3)." in page
    assert "Kryterium 1.1.5: wybierz od 1 do 2 pytań (wybrano 0)." in page
    assert "Pytanie I-9.9.9-01 nie istnieje w banku lub jest wycofane." in page
    for qid in chosen[:4]:
        assert re.search(rf'value="{qid}" id="q-{qid}" checked', page), qid
    assert "commission.interview_plan_set" not in _actions()


def test_same_questions_in_the_same_order_for_every_candidate(csrf_app, ready, panel, q, factories):
    a = _browser(csrf_app, panel["a"], factories.password)
    orders = []
    for enrolment in ready.enrolments[:2]:
        assert a.post(f"{_base(ready, enrolment)}/start").status_code == 302
        page = a.get(_base(ready, enrolment)).get_data(as_text=True)
        orders.append(re.findall(r'data-question="([^"]+)"', page))
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == ready.id))
    assert orders[0] == orders[1] == [p.question_id for p in plan.questions] and len(orders[0]) == 8
    interviews = db.session.scalars(select(Interview)).all()
    assert {i.plan_id for i in interviews} == {plan.id} and all(i.started_at for i in interviews)


def test_a_later_edit_of_the_bank_does_not_change_what_was_asked(csrf_app, ready, panel, q, factories, tmp_path):
    bank = tmp_path / "questions.yaml"
    shutil.copyfile(PROJECT_ROOT / "question_bank" / "interview" / "questions.yaml", bank)
    csrf_app.config["INTERVIEW_BANK_FILE"] = str(bank)
    a = _browser(csrf_app, panel["a"], factories.password)
    enrolment = ready.enrolments[0]
    assert a.post(f"{_base(ready, enrolment)}/start").status_code == 302
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == ready.id))
    first = plan.questions[0]
    original = json.loads(first.snapshot)["question"]
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace(original, "Pytanie zmienione po rozpoczęciu rozmów w tej sesji?"), encoding="utf-8")
    assert I.current_bank(q).questions  # the edited file loads and is the bank now
    assert any(x.question.startswith("Pytanie zmienione") for x in I.current_bank(q).questions)
    page = a.get(_base(ready, enrolment)).get_data(as_text=True)
    assert original in page and "Pytanie zmienione" not in page
    assert first.content_hash == hashlib.sha256(first.snapshot.encode()).hexdigest()
    assert first.question_id == json.loads(first.snapshot)["id"]


def test_interview_screen_shows_the_commission_what_to_listen_for(csrf_app, ready, panel, q, factories):
    a = _browser(csrf_app, panel["a"], factories.password)
    enrolment = ready.enrolments[0]
    assert "Rozpocznij rozmowę" in a.get(_base(ready, enrolment)).get_data(as_text=True)
    a.post(f"{_base(ready, enrolment)}/start")
    plan = db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == ready.id))
    first = json.loads(plan.questions[0].snapshot)
    page = a.get(_base(ready, enrolment)).get_data(as_text=True)
    assert first["elements"][0] in page and first["red_flags"][0] in page and first["follow_ups"][0] in page
    assert f"próg: {first['threshold']} z {len(first['elements'])}" in page
    assert 'name="met_1.1.2"' in page and f'name="note_{plan.questions[0].id}"' in page


def test_start_and_finish_are_recorded_once(csrf_app, ready, panel, q, factories):
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    base = _base(ready, ready.enrolments[0])
    assert a.post(f"{base}/finish").status_code == 400  # not started yet
    assert a.post(f"{base}/start").status_code == 302
    assert b.post(f"{base}/start").status_code == 409
    assert b.post(f"{base}/finish").status_code == 302
    assert a.post(f"{base}/finish").status_code == 409
    interview = db.session.scalars(select(Interview)).one()
    assert interview.started_by_id == panel["a"].id and interview.finished_by_id == panel["b"].id
    assert interview.finished_at >= interview.started_at
    page = a.get(base).get_data(as_text=True)
    assert "Rozpoczęta:" in page and "zakończona:" in page
    actions = _actions()
    assert actions.count("commission.interview_started") == 1 and actions.count("commission.interview_finished") == 1


def test_outsider_cannot_start_or_write(csrf_app, ready, panel, factories):
    c = _browser(csrf_app, panel["c"], factories.password)  # eligible, but not on this commission
    base = _base(ready, ready.enrolments[0])
    assert c.post(f"{base}/start").status_code == 403
    assert c.post(base, data={"met_1.1.2": "1"}).status_code in (400, 403)
    assert db.session.scalars(select(CriterionScore)).all() == []


def test_not_met_without_comment_keeps_every_note_and_choice(csrf_app, ready, panel, q, factories):
    a = _browser(csrf_app, panel["a"], factories.password)
    enrolment = ready.enrolments[0]
    base = _base(ready, enrolment)
    a.post(f"{base}/start")
    first, second = _planned_ids(ready)[:2]
    data = {
        f"note_{first}": NOTE,
        f"note_{second}": "Druga notatka.",
        "met_1.1.2": "0",
        "comment_1.1.2": "  ",
        "met_1.1.3": "1",
        "comment_1.1.3": "Kompletna odpowiedź.",
    }
    response = a.post(base, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Przy ocenie „nie spełnia” komentarz jest wymagany (1.1.2)." in page
    assert NOTE in page and "Druga notatka." in page and "Kompletna odpowiedź." in page
    assert re.search(r'name="met_1\.1\.2" value="0" checked', page)
    notes = {n.question_id: n.text for n in db.session.scalars(select(InterviewNote))}
    assert notes == {first: NOTE, second: "Druga notatka."}  # the valid parts are saved
    scores = {s.criterion: s.met for s in db.session.scalars(select(CriterionScore))}
    assert scores == {"1.1.3": True}
    # the same rows the score sheet shows: the interview screen IS where I criteria are scored
    sheet_page = a.get(f"/commission/sessions/{ready.id}/sheets/{enrolment.id}").get_data(as_text=True)
    assert 'value="Kompletna odpowiedź."' in sheet_page
    data["comment_1.1.2"] = "Nie wskazał źródeł rejestrowych."
    assert a.post(base, data=data).status_code == 302
    assert {s.criterion: s.met for s in db.session.scalars(select(CriterionScore))} == {"1.1.2": False, "1.1.3": True}


def test_too_long_note_is_refused_but_kept_in_the_form(csrf_app, ready, panel, factories):
    a = _browser(csrf_app, panel["a"], factories.password)
    base = _base(ready, ready.enrolments[0])
    a.post(f"{base}/start")
    first = _planned_ids(ready)[0]
    long_note = "Bardzo długa notatka. " * 300
    response = a.post(base, data={f"note_{first}": long_note})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Notatka do pytania 1 jest za długa" in page and long_note.strip() in page
    assert db.session.scalars(select(InterviewNote)).all() == []


def test_submitting_from_the_interview_screen_freezes_the_notes(csrf_app, ready, panel, q, factories):
    a = _browser(csrf_app, panel["a"], factories.password)
    enrolment = ready.enrolments[0]
    base = _base(ready, enrolment)
    a.post(f"{base}/start")
    first = _planned_ids(ready)[0]
    sheet = S.sheet_for(enrolment)
    for code in S.scored_criteria(q):
        if code not in I.interview_criteria(q):
            S.score(sheet, panel["a"], code, met=True, comment="", now=factories.now, qualification=q)
    db.session.commit()
    incomplete = a.post(base, data={f"note_{first}": NOTE, "met_1.1.2": "1", "submit_scores": "1"})
    assert incomplete.status_code == 400 and "Brak oceny kryteriów" in incomplete.get_data(as_text=True)
    data = {f"note_{first}": NOTE, **{f"met_{code}": "1" for code in I.interview_criteria(q)}, "submit_scores": "1"}
    assert a.post(base, data=data).status_code == 302
    assert "commission.scores_submitted" in _actions()
    assert a.post(base, data={f"note_{first}": "zmiana po przesłaniu"}).status_code == 409
    page = a.get(base).get_data(as_text=True)
    assert NOTE in page and "<textarea" not in page


def test_member_b_sees_no_notes_or_interview_scores_of_a_until_both_submit(csrf_app, ready, panel, q, factories):
    secret = "Notatka-z-rozmowy-członka-A"
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    enrolment = ready.enrolments[0]
    base = _base(ready, enrolment)
    a.post(f"{base}/start")
    first = _planned_ids(ready)[0]
    sheet = S.sheet_for(enrolment)
    for member in (panel["a"], panel["b"]):
        for code in S.scored_criteria(q):
            if code not in I.interview_criteria(q):
                S.score(sheet, member, code, met=True, comment="", now=factories.now, qualification=q)
    db.session.commit()
    form = {f"met_{code}": "1" for code in I.interview_criteria(q)}
    form.update({"met_2.5.5": "0", "comment_2.5.5": f"{secret}-komentarz", f"note_{first}": secret})
    assert a.post(base, data={**form, "submit_scores": "1"}).status_code == 302
    urls = [base, f"/commission/sessions/{ready.id}/interview-plan", f"/commission/sessions/{ready.id}"]
    urls.append(f"/commission/sessions/{ready.id}/sheets/{enrolment.id}")
    before = "".join(b.get(u).get_data(as_text=True) for u in urls)
    assert secret not in before and "nie spełnia</strong>" not in before
    assert 'value="0" checked' not in before
    auditor_view = _browser(csrf_app, panel["admin"], factories.password).get(base).get_data(as_text=True)
    assert secret not in auditor_view
    b_form = {f"met_{code}": "1" for code in I.interview_criteria(q)}
    assert b.post(base, data={**b_form, f"note_{first}": "Notatka B.", "submit_scores": "1"}).status_code == 302
    after = b.get(base).get_data(as_text=True)
    assert secret in after and f"{secret}-komentarz" in after and "Anna Ocenia:" in after
