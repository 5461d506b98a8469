"""The structured interview's screens (plan, interview per candidate) and the candidate's decision page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from examplatform.auth.models import Role
from examplatform.commission import interviews as I
from examplatform.commission import outcome as O
from examplatform.commission import scoring as S
from examplatform.commission.models import InterviewPlan, ScoreSheet
from examplatform.commission.views import ADMINS, READERS, _sheet, _test_result, bp
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError, PermissionDenied
from examplatform.core.guards import role_required
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification
from examplatform.sessions.services import session_for_staff


@bp.route("/sessions/<int:session_id>/interview-plan")
@role_required(*READERS)
def interview_plan(session_id: int):
    session = session_for_staff(current_user, session_id)
    q = current_qualification()
    plan = I.plan_of(session, bank=I.current_bank(q), qualification=q, now=utcnow())
    db.session.commit()
    return _render_plan(session, plan, q)


def _render_plan(session, plan, q, *, status: int = 200, selected: list[str] | None = None, errors=()):
    planned = I.planned(plan)
    return render_template(
        "commission/interview_plan.html",
        session=session,
        plan=plan,
        planned=planned,
        q=q,
        usable=I.usable_questions(I.current_bank(q), q),
        selected=set(selected if selected is not None else [p.question_id for p in planned]),
        may_set=I.may_set_plan(session, current_user),
        errors=errors,
        max_per_criterion=I.MAX_PER_CRITERION,
    ), status


@bp.route("/sessions/<int:session_id>/interview-plan", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER, *ADMINS)
def interview_plan_save(session_id: int):
    session = session_for_staff(current_user, session_id)
    q = current_qualification()
    chosen = [value[:40] for value in request.form.getlist("question")][:100]
    try:
        I.set_plan(session, chosen, actor=current_user, now=utcnow(), bank=I.current_bank(q), qualification=q)
    except I.PlanLocked:
        db.session.commit()  # the refused attempt stays in the audit log
        raise
    except PermissionDenied:
        raise
    except DomainError as exc:
        db.session.rollback()
        plan = I.plan_of(session, bank=I.current_bank(q), qualification=q, now=utcnow())
        db.session.commit()
        return _render_plan(session, plan, q, status=400, selected=chosen, errors=[exc.message])
    db.session.commit()
    flash(_("Zapisano plan rozmowy. Zostanie zablokowany z chwilą rozpoczęcia pierwszej rozmowy."), "success")
    return redirect(url_for(".interview_plan", session_id=session.id))


@bp.route("/sessions/<int:session_id>/interviews/<int:enrolment_id>")
@role_required(*READERS)
def interview_view(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    db.session.commit()
    return _render_interview(session, sheet)


def _render_interview(session, sheet, *, status: int = 200, entered=None, errors=()):
    q = current_qualification()
    interview = I.interview_of(sheet)
    plan = db.session.get(InterviewPlan, interview.plan_id) if interview else None
    if plan is None:
        plan = I.plan_of(session, bank=I.current_bank(q), qualification=q, now=utcnow())
        db.session.commit()
    scorers = S.scorers(sheet)
    is_scorer = current_user.id in {u.id for u in scorers}
    all_submitted = S.all_submitted(sheet)
    visible = S.visible_scores(sheet, current_user) if is_scorer or all_submitted else {}
    notes = I.visible_notes(sheet, current_user)
    mine_scores, mine_notes = visible.get(current_user.id, {}), notes.get(current_user.id, {})
    if entered is None:  # what the form shows: the member's saved work, or what they just typed
        entered = {f"note_{qid}": text for qid, text in mine_notes.items()}
        for code, score in mine_scores.items():
            entered[f"met_{code}"] = "1" if score.met else "0"
            entered[f"comment_{code}"] = score.comment
    planned = I.planned(plan)
    criteria = list(dict.fromkeys(p.criterion for p in planned))
    decision = S.decision_of(sheet)
    return render_template(
        "commission/interview.html",
        session=session,
        sheet=sheet,
        q=q,
        plan=plan,
        interview=interview,
        criteria=criteria,
        planned=planned,
        scorers=scorers,
        is_scorer=is_scorer,
        submitted=S.submissions(sheet),
        all_submitted=all_submitted,
        visible=visible,
        notes=notes,
        entered=entered,
        errors=errors,
        editable=is_scorer
        and interview is not None
        and current_user.id not in S.submissions(sheet)
        and not (decision and decision.locked_at),
    ), status


@bp.route("/sessions/<int:session_id>/interviews/<int:enrolment_id>/start", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def interview_start(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    q = current_qualification()
    I.start(sheet, current_user, now=utcnow(), bank=I.current_bank(q), qualification=q)
    db.session.commit()
    flash(_("Rozpoczęto rozmowę; plan pytań tej sesji jest od teraz zablokowany."), "success")
    return redirect(url_for(".interview_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/sessions/<int:session_id>/interviews/<int:enrolment_id>/finish", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def interview_finish(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    I.finish(sheet, current_user, now=utcnow(), qualification=current_qualification())
    db.session.commit()
    flash(_("Zakończono rozmowę."), "success")
    return redirect(url_for(".interview_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/sessions/<int:session_id>/interviews/<int:enrolment_id>", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def interview_save(session_id: int, enrolment_id: int):
    """Save the member's notes and I-criterion scores; invalid parts are listed and everything typed is kept."""
    session, sheet = _sheet(session_id, enrolment_id)
    q, now = current_qualification(), utcnow()
    entered = {key: value for key, value in request.form.items() if key != "csrf_token"}
    notes = {}
    for key, value in entered.items():
        if key.startswith("note_") and key[5:].isdigit():
            notes[int(key[5:])] = value
    problems = I.save_notes(sheet, current_user, notes, now=now, qualification=q)
    for code in I.interview_criteria(q):
        choice = entered.get(f"met_{code}", "")
        if choice not in ("1", "0"):
            continue
        try:
            with db.session.begin_nested():
                S.score(
                    sheet,
                    current_user,
                    code,
                    met=choice == "1",
                    comment=entered.get(f"comment_{code}", "")[:2000],
                    now=now,
                    qualification=q,
                )
        except PermissionDenied:
            raise
        except DomainError as exc:
            problems.append(exc.message)
    if not problems and entered.get("submit_scores"):
        try:
            with db.session.begin_nested():
                S.submit(sheet, current_user, now=now, qualification=q)
        except DomainError as exc:
            problems.append(exc.message)
    db.session.commit()  # what was valid is kept in any case
    if problems:
        return _render_interview(session, sheet, status=400, entered=entered, errors=problems)
    if entered.get("submit_scores"):
        flash(_("Oceny przesłano; od teraz są niezmienne (zmiana tylko z powodem)."), "success")
    else:
        flash(
            _("Zapisano notatki i oceny (widoczne tylko dla Ciebie do czasu przesłania przez wszystkich)."), "success"
        )
    return redirect(url_for(".interview_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/decisions/<int:decision_id>")
@role_required(Role.CANDIDATE)
def candidate_decision(decision_id: int):
    """The candidate's own locked decision: result, outcome per criterion, justification, appeal route."""
    decision = O.decision_for_candidate(current_user, decision_id)
    q = current_qualification()
    sheet = db.session.get(ScoreSheet, decision.sheet_id)
    return render_template(
        "commission/candidate_decision.html",
        decision=decision,
        session=sheet.enrolment.session,
        outcomes=O.criterion_outcomes(sheet, q, str(get_locale())),
        result=_test_result(sheet.enrolment),
        deadline=O.appeal_deadline(decision),
        appeal_days=S.APPEAL_DAYS,
    )
