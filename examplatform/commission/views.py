"""The commission's screens: composition and declarations, the score sheet, agreement and the decision."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from examplatform.auth.models import Role, User
from examplatform.commission import composition as C
from examplatform.commission import interviews as I
from examplatform.commission import scoring as S
from examplatform.commission.forms import AgreeForm, AppointForm, ConfirmForm, DecisionForm, DeclarationForm, RosterForm
from examplatform.commission.models import Declaration, ScoreSheet
from examplatform.core.clock import utcnow
from examplatform.core.content import ContentError
from examplatform.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from examplatform.core.guards import role_required
from examplatform.extensions import db
from examplatform.practical import services as practical_services
from examplatform.qualification.services import current_qualification
from examplatform.sessions.models import Enrolment
from examplatform.sessions.services import session_for_staff
from examplatform.theory import attempts as A
from examplatform.theory.models import AttemptStatus, TestForm

bp = Blueprint("commission", __name__, url_prefix="/commission", template_folder="templates")
READERS = (Role.COMMISSION_MEMBER, Role.INSTITUTION_ADMIN, Role.QA_AUDITOR, Role.PLATFORM_ADMIN)
ADMINS = (Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)


def _admin_of(session) -> bool:
    return current_user.has_role(Role.PLATFORM_ADMIN) or current_user.has_role(
        Role.INSTITUTION_ADMIN, institution_id=session.institution_id
    )


def _test_result(enrolment: Enrolment):
    form = db.session.scalar(select(TestForm).where(TestForm.enrolment_id == enrolment.id))
    if form is None or form.attempt is None or form.attempt.status is not AttemptStatus.SUBMITTED:
        return None
    return A.result_of(form.attempt)


@bp.route("/sessions/<int:session_id>")
@role_required(*READERS)
def session_view(session_id: int):
    session = session_for_staff(current_user, session_id)
    q = current_qualification()
    commission = C.commission_of(session)
    db.session.commit()
    member_ids = {m.user_id for m in commission.members}
    appoint = AppointForm(formdata=None)
    appoint.user_id.choices = [
        SelectChoice(str(s.user_id), s.full_name)
        for s in session.institution.staff
        if s.user_id and s.user_id not in member_ids and s.user.has_role(Role.COMMISSION_MEMBER)
    ]
    declaration = DeclarationForm(formdata=None)
    declaration.related.choices = [SelectChoice(str(e.candidate_id), e.candidate.full_name) for e in session.enrolments]
    declared = db.session.scalar(
        select(Declaration).where(Declaration.session_id == session.id, Declaration.user_id == current_user.id)
    )
    stats = S.agreement_statistics(session)
    names = {m.user_id: m.user.full_name for m in commission.members}
    return render_template(
        "commission/session.html",
        session=session,
        commission=commission,
        problems=C.check_composition(session, q),
        appoint=appoint,
        roster=RosterForm(formdata=None),
        declaration=declaration,
        declared=declared,
        is_member=current_user.id in member_ids,
        is_admin=_admin_of(session),
        stats=stats,
        names=names,
    )


@bp.route("/sessions/<int:session_id>/members", methods=["POST"])
@role_required(*ADMINS)
def appoint(session_id: int):
    session = session_for_staff(current_user, session_id)
    if not _admin_of(session):
        raise PermissionDenied(_("Komisję powołuje administrator instytucji."))
    form = AppointForm()
    form.user_id.choices = [SelectChoice(str(s.user_id), s.full_name) for s in session.institution.staff if s.user_id]
    if form.validate_on_submit():
        user = db.session.get(User, int(form.user_id.data))
        try:
            C.appoint(
                session,
                user,
                actor=current_user,
                now=utcnow(),
                qualification=current_qualification(),
                chair=form.chair.data,
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".session_view", session_id=session.id)), 303
        db.session.commit()
        flash(_("Powołano do komisji: %(name)s.", name=user.full_name), "success")
    else:
        flash(_("Wybierz osobę z listy."), "danger")
    return redirect(url_for(".session_view", session_id=session.id))


@bp.route("/sessions/<int:session_id>/roster", methods=["POST"])
@role_required(*ADMINS)
def roster(session_id: int):
    session = session_for_staff(current_user, session_id)
    if not _admin_of(session):
        raise PermissionDenied(_("Listę szkoleń wczytuje administrator instytucji."))
    form = RosterForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read(2 * 1024 * 1024).decode("utf-8-sig")
            count = C.import_training_csv(
                session.institution_id, text, file=upload.filename or "lista.csv", actor=current_user, now=utcnow()
            )
        except (ContentError, UnicodeDecodeError) as exc:
            db.session.rollback()
            message = (
                "; ".join(str(e) for e in exc.errors)
                if isinstance(exc, ContentError)
                else _("Plik nie jest zapisany w UTF-8.")
            )
            flash(_("Nie wczytano listy: %(problem)s", problem=message), "danger")
        else:
            db.session.commit()
            flash(_("Wczytano wpisów: %(n)d.", n=count), "success")
    else:
        flash(_("Wybierz plik."), "danger")
    return redirect(url_for(".session_view", session_id=session.id))


@bp.route("/sessions/<int:session_id>/declaration", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def declare(session_id: int):
    session = session_for_staff(current_user, session_id)
    form = DeclarationForm()
    form.related.choices = [SelectChoice(str(e.candidate_id), e.candidate.full_name) for e in session.enrolments]
    if form.validate_on_submit():
        try:
            C.declare(
                session,
                current_user,
                now=utcnow(),
                related_candidate_ids=[int(x) for x in form.related.data],
                statement=str(form.confirm.label.text),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Złożono oświadczenie o bezstronności."), "success")
    else:
        flash(_("Zaznacz, że potwierdzasz treść oświadczenia."), "danger")
    return redirect(url_for(".session_view", session_id=session.id))


def _sheet(session_id: int, enrolment_id: int) -> tuple:
    session = session_for_staff(current_user, session_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.session_id != session.id:
        raise NotFound(_("W tej sesji nie ma takiego kandydata."))
    return session, S.sheet_for(enrolment)


@bp.route("/sessions/<int:session_id>/sheets/<int:enrolment_id>")
@role_required(*READERS)
def sheet_view(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    db.session.commit()
    return _render_sheet(session, sheet)


def _render_sheet(session, sheet: ScoreSheet, status: int = 200, decision_form: DecisionForm | None = None):
    q = current_qualification()
    scorer_ids = [u.id for u in S.scorers(sheet)]
    is_scorer = current_user.id in scorer_ids
    visible = S.visible_scores(sheet, current_user) if is_scorer or S.all_submitted(sheet) else {}
    decision = S.decision_of(sheet)
    result = _test_result(sheet.enrolment)
    positive, unmet, suggested = S.proposed_outcome(sheet, q, result.passed if result else False)
    decision_form = decision_form or DecisionForm(
        formdata=None, justification=decision.justification if decision else suggested
    )
    practical = practical_services.attempt_of_enrolment(sheet.enrolment)
    return render_template(
        "commission/sheet.html",
        practical=practical,
        evidence=practical_services.evidence_by_criterion(practical),
        observed=practical_services.observation_by_criterion(practical),
        session=session,
        sheet=sheet,
        q=q,
        scored=S.scored_criteria(q),
        visible=visible,
        mine=visible.get(current_user.id, {}),
        is_scorer=is_scorer,
        submitted=S.submissions(sheet),
        all_submitted=S.all_submitted(sheet),
        disagreements=S.disagreements(sheet),
        result=result,
        finals=S.final_scores(sheet, q) if S.all_submitted(sheet) else {},
        decision=decision,
        positive=positive,
        unmet=unmet,
        agree_form=AgreeForm(formdata=None),
        decision_form=decision_form,
        confirm_form=ConfirmForm(formdata=None),
        scorers=list(S.scorers(sheet)),
    ), status


@bp.route("/sessions/<int:session_id>/sheets/<int:enrolment_id>/scores", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def save_scores(session_id: int, enrolment_id: int):
    """Save the member's own scores (every criterion answered on the form), optionally submitting them."""
    session, sheet = _sheet(session_id, enrolment_id)
    q, now = current_qualification(), utcnow()
    problems = []
    for code in S.scored_criteria(q):
        choice = request.form.get(f"met_{code}", "")
        if choice not in ("1", "0"):
            continue
        try:
            with db.session.begin_nested():
                S.score(
                    sheet,
                    current_user,
                    code,
                    met=choice == "1",
                    comment=request.form.get(f"comment_{code}", "")[:2000],
                    now=now,
                    qualification=q,
                    reason=request.form.get(f"reason_{code}", "")[:500],
                )
        except PermissionDenied:
            raise
        except DomainError as exc:
            problems.append(exc.message)
    if problems:
        db.session.commit()  # what was valid is kept; the rest is listed
        for problem in problems:
            flash(problem, "danger")
        return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id)), 303
    if request.form.get("submit_scores"):
        try:
            S.submit(sheet, current_user, now=now, qualification=q)
        except DomainError as exc:
            db.session.commit()
            flash(exc.message, "danger")
            return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id)), 303
        flash(_("Oceny przesłano; od teraz są niezmienne (zmiana tylko z powodem)."), "success")
    else:
        flash(_("Zapisano oceny (widoczne tylko dla Ciebie do czasu przesłania przez wszystkich)."), "success")
    db.session.commit()
    return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/sessions/<int:session_id>/sheets/<int:enrolment_id>/agree", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def agree(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    form = AgreeForm()
    if form.validate_on_submit():
        S.agree(
            sheet,
            form.criterion.data,
            met=form.met.data == "1",
            reason=form.reason.data,
            actor=current_user,
            now=utcnow(),
        )
        db.session.commit()
        flash(_("Zapisano uzgodnioną ocenę."), "success")
        return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id))
    flash(_("Podaj uzgodnioną ocenę i uzasadnienie."), "danger")
    return _render_sheet(session, sheet, 400)


@bp.route("/sessions/<int:session_id>/sheets/<int:enrolment_id>/decision", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def decision(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    form = DecisionForm()
    if form.validate_on_submit():
        result = _test_result(sheet.enrolment)
        try:
            S.draft_decision(
                sheet,
                actor=current_user,
                now=utcnow(),
                qualification=current_qualification(),
                test_passed=result.passed if result else False,
                justification=form.justification.data or "",
            )
        except (PermissionDenied, NotFound, Conflict):
            raise
        except DomainError as exc:
            db.session.rollback()
            form.justification.errors = [*form.justification.errors, exc.message]
            return _render_sheet(session, sheet, 400, decision_form=form)
        db.session.commit()
        flash(_("Zapisano projekt decyzji; potwierdzają go wszyscy oceniający."), "success")
    return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/sessions/<int:session_id>/sheets/<int:enrolment_id>/confirm", methods=["POST"])
@role_required(Role.COMMISSION_MEMBER)
def confirm(session_id: int, enrolment_id: int):
    session, sheet = _sheet(session_id, enrolment_id)
    if ConfirmForm().validate_on_submit():
        S.confirm(sheet, current_user, now=utcnow())
        db.session.commit()
        flash(_("Potwierdzono decyzję."), "success")
    return redirect(url_for(".sheet_view", session_id=session.id, enrolment_id=sheet.enrolment_id))


@bp.route("/sessions/<int:session_id>/protocol.pdf")
@role_required(*READERS)
def protocol(session_id: int):
    """The session's validation protocol (protokół z przebiegu walidacji) as a PDF."""
    from flask import Response

    from examplatform.commission.models import ConflictMeasure
    from examplatform.sessions.models import Irregularity
    from examplatform.theory.paper import render_pdf

    session = session_for_staff(current_user, session_id)
    q = current_qualification()
    commission = C.commission_of(session)
    plan = I.plan_of(session, bank=I.current_bank(q), qualification=q, now=utcnow())
    rows = []
    for enrolment in session.enrolments:
        sheet = S.sheet_for(enrolment)
        rows.append(
            {
                "candidate": enrolment.candidate,
                "result": _test_result(enrolment),
                "finals": S.final_scores(sheet, q),
                "decision": S.decision_of(sheet),
                "interview": I.interview_of(sheet),
                "interview_scoring": I.interview_scoring(sheet, q),
            }
        )
    db.session.commit()
    declarations = {
        d.user_id: d for d in db.session.scalars(select(Declaration).where(Declaration.session_id == session.id))
    }
    measures = db.session.scalars(select(ConflictMeasure).where(ConflictMeasure.session_id == session.id)).all()
    irregularities = db.session.scalars(select(Irregularity).where(Irregularity.session_id == session.id)).all()
    html = render_template(
        "commission/protocol.html",
        session=session,
        q=q,
        commission=commission,
        plan=plan,
        planned=I.planned(plan),
        rows=rows,
        declarations=declarations,
        measures=measures,
        irregularities=irregularities,
        generated_at=utcnow(),
    )
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=protokol-{session.code}.pdf"},
    )


from examplatform.commission import interview_views  # noqa: E402,F401  (registers the interview routes on bp)
