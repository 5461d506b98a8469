"""Validation sessions as staff see them, and the operator console of one session."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from examplatform.auth.models import STAFF_ROLES, Role
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.core.guards import role_required
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification
from examplatform.sessions import console_services, services
from examplatform.sessions.forms import ACTIONS, ActionForm, IrregularityForm, SimpleForm
from examplatform.sessions.models import Irregularity
from examplatform.theory import console
from examplatform.theory.formgen import prepare_session

bp = Blueprint("sessions", __name__, url_prefix="/sessions", template_folder="templates")
OPERATORS = (Role.OPERATOR, Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)
STATE_LABELS = {
    "not_started": _l("nie rozpoczął"),
    "in_progress": _l("pisze"),
    "paused": _l("wstrzymany"),
    "offline": _l("bez połączenia"),
    "submitted": _l("przesłał"),
}


@bp.route("/")
@role_required(*STAFF_ROLES)
def index():
    sessions = services.sessions_for_staff(current_user, now=utcnow())
    return render_template("sessions/index.html", sessions=sessions, now=utcnow())


def _irregularity_form(session, *, bind: bool = False) -> IrregularityForm:
    form = IrregularityForm() if bind else IrregularityForm(formdata=None)
    form.candidate_id.choices = [SelectChoice("", _("— cała sesja —"))] + [
        SelectChoice(str(e.candidate_id), e.candidate.full_name) for e in session.enrolments
    ]
    return form


def _console_page(session, status=200, **forms):
    rows = console.roster(session, utcnow())
    db.session.commit()  # deadlines enforced while building the roster
    irregularities = db.session.scalars(
        db.select(Irregularity).where(Irregularity.session_id == session.id).order_by(Irregularity.reported_at)
    ).all()
    context = {
        "session": session,
        "rows": rows,
        "labels": STATE_LABELS,
        "actions": ACTIONS,
        "action_form": forms.get("action_form") or ActionForm(formdata=None),
        "irregularity_form": forms.get("irregularity_form") or _irregularity_form(session),
        "simple_form": SimpleForm(formdata=None),
        "irregularities": irregularities,
    }
    return render_template("sessions/console.html", **context), status


@bp.route("/<int:session_id>/console")
@role_required(*OPERATORS)
def console_view(session_id: int):
    return _console_page(console.session_for_operator(current_user, session_id))


@bp.route("/<int:session_id>/console.json")
@role_required(*OPERATORS)
def console_json(session_id: int):
    session = console.session_for_operator(current_user, session_id)
    now = utcnow()
    rows = console.roster(session, now)
    db.session.commit()
    return jsonify(
        rows=[
            {
                "attempt": r.attempt.id,
                "state": r.state,
                "label": str(STATE_LABELS[r.state]),
                "answered": r.answered,
                "total": len(r.attempt.form.items),
                "remaining": r.remaining,
                "gap": r.gap,
                "last_save": r.attempt.last_save_at.isoformat() if r.attempt.last_save_at else None,
            }
            for r in rows
        ]
    )


@bp.route("/<int:session_id>/prepare", methods=["POST"])
@role_required(*OPERATORS)
def prepare(session_id: int):
    session = console.session_for_operator(current_user, session_id)
    if SimpleForm().validate_on_submit():
        forms = prepare_session(session, actor=current_user, now=utcnow(), qualification=current_qualification())
        db.session.commit()
        flash(_("Przygotowano formularze: %(n)d.", n=len(forms)), "success")
    return redirect(url_for(".console_view", session_id=session.id))


@bp.route("/<int:session_id>/pin", methods=["POST"])
@role_required(*OPERATORS)
def rotate_pin(session_id: int):
    session = console.session_for_operator(current_user, session_id)
    if SimpleForm().validate_on_submit():
        pin = console.rotate_pin(session, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Nowy PIN sesji: %(pin)s — podaj go kandydatom; poprzedni przestał działać.", pin=pin), "warning")
    return redirect(url_for(".console_view", session_id=session.id))


@bp.route("/<int:session_id>/actions", methods=["POST"])
@role_required(*OPERATORS)
def act(session_id: int):
    """Apply an action to one candidate or to every selected one (bulk)."""
    session = console.session_for_operator(current_user, session_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _console_page(session, 400, action_form=form)
    ids = [int(x) for x in (form.attempt_ids.data or "").split(",") if x.strip().isdigit()]
    if not ids:
        form.attempt_ids.errors = [_("Zaznacz co najmniej jednego kandydata.")]
        flash(_("Zaznacz co najmniej jednego kandydata."), "danger")
        return _console_page(session, 400, action_form=form)
    done, problems = console_services.apply_bulk(
        form.action.data,
        session,
        ids,
        actor=current_user,
        now=utcnow(),
        reason=form.reason.data or "",
        note=form.note.data or "",
        minutes=form.minutes.data,
        multiplier=form.multiplier.data,
        seconds=form.seconds.data,
    )
    db.session.commit()
    if done:
        flash(_("%(action)s: wykonano dla %(n)d kandydatów.", action=ACTIONS[form.action.data], n=done), "success")
    for problem in problems:
        flash(problem, "danger")
    return redirect(url_for(".console_view", session_id=session.id))


@bp.route("/<int:session_id>/irregularities", methods=["POST"])
@role_required(*OPERATORS, Role.COMMISSION_MEMBER)
def irregularity(session_id: int):
    session = services.session_for_staff(current_user, session_id)
    form = _irregularity_form(session, bind=True)
    if form.validate_on_submit():
        try:
            console_services.report_irregularity(
                session,
                actor=current_user,
                now=utcnow(),
                description=form.description.data,
                candidate_id=int(form.candidate_id.data) if form.candidate_id.data else None,
            )
        except DomainError as exc:
            db.session.rollback()
            form.description.errors = [*form.description.errors, exc.message]
        else:
            db.session.commit()
            flash(_("Nieprawidłowość zapisano w protokole sesji."), "success")
            return redirect(url_for(".console_view", session_id=session.id))
    if current_user.has_role(*OPERATORS):
        return _console_page(session, 400, irregularity_form=form)
    return render_template(
        "errors/error.html",
        code=400,
        title=_("Niepoprawne dane"),
        message=" ".join(str(e) for errors in form.errors.values() for e in errors),
    ), 400


RESULT_READERS = (Role.INSTITUTION_ADMIN, Role.COMMISSION_MEMBER, Role.QA_AUDITOR, Role.PLATFORM_ADMIN)


@bp.route("/<int:session_id>/results")
@role_required(*RESULT_READERS)
def results(session_id: int):
    from examplatform.theory.results import session_results

    session = services.session_for_staff(current_user, session_id)
    rows = session_results(session, utcnow())
    db.session.commit()
    can_release = current_user.has_role(Role.PLATFORM_ADMIN) or current_user.has_role(
        Role.INSTITUTION_ADMIN, institution_id=session.institution_id
    )
    return render_template(
        "sessions/results.html",
        session=session,
        rows=rows,
        can_release=can_release,
        simple_form=SimpleForm(formdata=None),
    )


@bp.route("/<int:session_id>/results/release", methods=["POST"])
@role_required(Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)
def release_results(session_id: int):
    from examplatform.theory.results import release

    session = services.session_for_staff(current_user, session_id)
    if not (
        current_user.has_role(Role.PLATFORM_ADMIN)
        or current_user.has_role(Role.INSTITUTION_ADMIN, institution_id=session.institution_id)
    ):
        raise DomainError(_("Wyniki udostępnia administrator instytucji."))
    if SimpleForm().validate_on_submit():
        count = release(session, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Udostępniono wyniki kandydatom: %(n)d.", n=count), "success")
    return redirect(url_for(".results", session_id=session.id))


def _evidence_of(session_id: int, attempt_id: int) -> dict:
    from examplatform.theory.results import evidence

    session = services.session_for_staff(current_user, session_id)
    attempt = console.attempt_in_session(session, attempt_id)
    return evidence(attempt)


@bp.route("/<int:session_id>/attempts/<int:attempt_id>/evidence")
@role_required(*RESULT_READERS)
def evidence_view(session_id: int, attempt_id: int):
    pack = _evidence_of(session_id, attempt_id)
    return render_template("sessions/evidence.html", pack=pack, session_id=session_id, attempt_id=attempt_id)


@bp.route("/<int:session_id>/attempts/<int:attempt_id>/evidence.json")
@role_required(*RESULT_READERS)
def evidence_json(session_id: int, attempt_id: int):
    pack = _evidence_of(session_id, attempt_id)
    response = jsonify(pack)
    response.headers["Content-Disposition"] = f"attachment; filename=dowody-{pack['form']['code']}.json"
    return response


PAPER_STAFF = (*OPERATORS, Role.COMMISSION_MEMBER)


def _paper_attempt(session_id: int, attempt_id: int):
    session = services.session_for_staff(current_user, session_id)
    return session, console.attempt_in_session(session, attempt_id)


@bp.route("/<int:session_id>/attempts/<int:attempt_id>/paper/<any(booklet, sheet):document>.pdf")
@role_required(*PAPER_STAFF)
def paper_pdf(session_id: int, attempt_id: int, document: str):
    """The candidate's personalised booklet or answer sheet (PDF, no keys)."""
    from examplatform.theory import paper

    _session, attempt = _paper_attempt(session_id, attempt_id)
    data = paper.booklet_pdf(attempt) if document == "booklet" else paper.sheet_pdf(attempt)
    name = {"booklet": "zeszyt", "sheet": "karta"}[document]
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename={name}-{attempt.form.code}.pdf"},
    )


@bp.route("/<int:session_id>/attempts/<int:attempt_id>/paper", methods=["GET", "POST"])
@role_required(*PAPER_STAFF)
def paper_entry(session_id: int, attempt_id: int):
    """Double entry of a paper answer sheet: two people key it, differences are resolved, then it counts."""
    from examplatform.sessions.forms import paper_entry_form_class, paper_resolution_form_class
    from examplatform.theory import paper

    session, attempt = _paper_attempt(session_id, attempt_id)
    positions = [fi.position for fi in attempt.form.items]
    done = paper.entries(attempt)
    entry_form = paper_entry_form_class(positions)(formdata=None)
    diffs = paper.differences(attempt)
    resolution_form = paper_resolution_form_class([d.position for d in diffs])(formdata=None)
    status = 200
    if request.method == "POST":
        now = utcnow()
        try:
            if request.form.get("stage") == "resolve":
                resolution_form = paper_resolution_form_class([d.position for d in diffs])()
                if resolution_form.validate_on_submit():
                    paper.finalise(
                        attempt,
                        actor=current_user,
                        now=now,
                        resolutions={d.position: resolution_form[f"r_{d.position}"].data or "" for d in diffs},
                    )
                    db.session.commit()
                    flash(_("Odpowiedzi z arkusza zatwierdzono; test został przesłany."), "success")
                    return redirect(url_for(".paper_entry", session_id=session.id, attempt_id=attempt.id))
            else:
                entry_form = paper_entry_form_class(positions)()
                if entry_form.validate_on_submit():
                    number = 1 if 1 not in done else 2
                    paper.save_entry(
                        attempt,
                        number,
                        {p: entry_form[f"p_{p}"].data or "" for p in positions},
                        actor=current_user,
                        now=now,
                    )
                    db.session.commit()
                    flash(_("Zapisano wprowadzenie nr %(n)d.", n=number), "success")
                    return redirect(url_for(".paper_entry", session_id=session.id, attempt_id=attempt.id))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        status = 400
    return render_template(
        "sessions/paper.html",
        session=session,
        attempt=attempt,
        entries=done,
        diffs=diffs,
        entry_form=entry_form,
        resolution_form=resolution_form,
        positions=positions,
    ), status


@bp.route("/<int:session_id>/attempts/<int:attempt_id>/evidence.pdf")
@role_required(*RESULT_READERS)
def evidence_pdf(session_id: int, attempt_id: int):
    from examplatform.theory.paper import render_pdf

    pack = _evidence_of(session_id, attempt_id)
    data = render_pdf(render_template("sessions/evidence_pdf.html", pack=pack))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=dowody-{pack['form']['code']}.pdf"},
    )
