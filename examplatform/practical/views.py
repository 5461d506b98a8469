"""The practical part: the operator's setup and clock, the candidate's CRM with its tasks, the commission's
live observation of every candidate and the drill-down into one candidate's action log."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from examplatform.auth.models import Role
from examplatform.commission.models import Commission, CommissionMember
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError, PermissionDenied
from examplatform.core.guards import role_required
from examplatform.core.web import bounded_int
from examplatform.extensions import db
from examplatform.practical import services as P
from examplatform.practical.forms import ConfirmForm, ExtendForm, FinishForm, ResetForm, SetupForm
from examplatform.practical.models import PracticalFinish, PracticalStatus
from examplatform.sessions.services import session_for_staff
from examplatform.theory.console import session_for_operator

bp = Blueprint("practical", __name__, url_prefix="/practical", template_folder="templates")

OPERATORS = (Role.OPERATOR, Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)
OBSERVERS = (Role.COMMISSION_MEMBER, Role.OPERATOR, Role.INSTITUTION_ADMIN, Role.QA_AUDITOR, Role.PLATFORM_ADMIN)


def _observed_session(session_id: int):
    """A session the user may observe: its commission's members, its institution's operators, admins, auditors."""
    session = session_for_staff(current_user, session_id)
    if current_user.has_role(Role.PLATFORM_ADMIN) or current_user.has_role(
        Role.OPERATOR, Role.INSTITUTION_ADMIN, Role.QA_AUDITOR, institution_id=session.institution_id
    ):
        return session
    member = db.session.scalar(
        select(CommissionMember.id)
        .join(Commission)
        .where(Commission.session_id == session.id, CommissionMember.user_id == current_user.id)
    )
    if member is None:
        raise PermissionDenied(_("Nie jesteś członkiem komisji tej sesji."))
    return session


def _enforce_all(attempts, now) -> None:
    """Finish every attempt whose time is over (each one, not just the first)."""
    finished = [a for a in attempts if P.enforce_deadline(a, now)]
    if finished:
        db.session.commit()


# --- operator ------------------------------------------------------------------------------------------------


def _scenario_choices(scenarios) -> list[SelectChoice]:
    """The exam scenarios with their number of tasks and the sum of the tasks' time guides."""
    return [
        SelectChoice(
            s.id,
            _(
                "%(title)s (zadań: %(tasks)d, czas orientacyjny: %(minutes)d min)",
                title=s.title,
                tasks=s.tasks,
                minutes=s.guide_minutes,
            ),
        )
        for s in scenarios
    ]


def _short_time(setup, scenarios) -> int | None:
    """The scenario's guide time when the session's limit is shorter than it (the operator is warned)."""
    guide = next((s.guide_minutes for s in scenarios if setup is not None and s.id == setup.scenario), 0)
    return guide if setup is not None and setup.time_limit_minutes < guide else None


def _setup_page(session, setup_form=None, status=200):
    now = utcnow()
    attempts = P.attempts_of_session(session)
    _enforce_all(attempts, now)
    setup = P.setup_of(session)
    scenarios = P.exam_scenarios()
    # a new setup is offered the longest time guide of the scenarios, in whole quarters of an hour
    longest = max((s.guide_minutes for s in scenarios), default=120)
    form = setup_form or SetupForm(
        formdata=None,
        scenario=setup.scenario if setup else None,
        minutes=setup.time_limit_minutes if setup else -(-longest // 15) * 15,
    )
    form.scenario.choices = _scenario_choices(scenarios)
    by_enrolment = {a.enrolment_id: a for a in attempts}
    return render_template(
        "practical/setup.html",
        session=session,
        setup=setup,
        short_time=_short_time(setup, scenarios),
        form=form,
        rows=[(e, by_enrolment.get(e.id)) for e in session.enrolments],
        confirm=ConfirmForm(formdata=None),
        extend=ExtendForm(formdata=None),
        finish=FinishForm(formdata=None),
        reset=ResetForm(formdata=None),
        remaining=lambda a: P.remaining_seconds(a, now),
        Status=PracticalStatus,
    ), status


@bp.route("/sessions/<int:session_id>")
@role_required(*OPERATORS)
def setup(session_id: int):
    return _setup_page(session_for_operator(current_user, session_id))


@bp.route("/sessions/<int:session_id>/setup", methods=["POST"])
@role_required(*OPERATORS)
def save_setup(session_id: int):
    session = session_for_operator(current_user, session_id)
    form = SetupForm()
    form.scenario.choices = _scenario_choices(P.exam_scenarios())
    if not form.validate_on_submit():
        return _setup_page(session, form, 400)
    try:
        P.configure(session, scenario=form.scenario.data, minutes=form.minutes.data, actor=current_user, now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        form.scenario.errors = [*form.scenario.errors, exc.message]
        return _setup_page(session, form, exc.status_code)
    db.session.commit()
    flash(_("Zapisano ustawienia części praktycznej."), "success")
    return redirect(url_for(".setup", session_id=session.id))


def _confirmed_action(session_id: int, action):
    session = session_for_operator(current_user, session_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Formularz wygasł. Spróbuj ponownie."), "danger")
        return redirect(url_for(".setup", session_id=session.id))
    try:
        message = action(session, utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".setup", session_id=session.id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".setup", session_id=session.id))


@bp.route("/sessions/<int:session_id>/provision", methods=["POST"])
@role_required(*OPERATORS)
def provision(session_id: int):
    def act(session, now):
        created = P.provision_session(session, actor=current_user, now=now)
        return _("Przygotowano instancje CRM: %(n)d.", n=created)

    return _confirmed_action(session_id, act)


@bp.route("/sessions/<int:session_id>/start", methods=["POST"])
@role_required(*OPERATORS)
def start(session_id: int):
    def act(session, now):
        waiting = [a for a in P.attempts_of_session(session) if a.status is PracticalStatus.PROVISIONED]
        if not waiting:
            raise DomainError(_("Nie ma przygotowanych instancji do rozpoczęcia."))
        for attempt in waiting:
            P.start(attempt, actor=current_user, now=now)
        return _("Rozpoczęto część praktyczną: %(n)d kandydatów.", n=len(waiting))

    return _confirmed_action(session_id, act)


@bp.route("/sessions/<int:session_id>/attempts/<int:attempt_id>/extend", methods=["POST"])
@role_required(*OPERATORS)
def extend(session_id: int, attempt_id: int):
    session = session_for_operator(current_user, session_id)
    attempt = P.attempt_in_session(session, attempt_id)
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            P.extend(attempt, minutes=form.minutes.data, actor=current_user, now=utcnow(), reason=form.reason.data)
        except DomainError as exc:
            db.session.commit()  # an enforced deadline stays
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Przedłużono czas o %(n)d min.", n=form.minutes.data), "success")
            return redirect(url_for(".setup", session_id=session.id))
    else:
        flash(_("Przedłużenie: %(errors)s", errors=_field_errors(form)), "danger")
    return redirect(url_for(".setup", session_id=session.id))


@bp.route("/sessions/<int:session_id>/attempts/<int:attempt_id>/finish", methods=["POST"])
@role_required(*OPERATORS)
def operator_finish(session_id: int, attempt_id: int):
    session = session_for_operator(current_user, session_id)
    attempt = P.attempt_in_session(session, attempt_id)
    form = FinishForm()
    if not form.validate_on_submit():
        flash(_("Zakończenie: %(errors)s", errors=_field_errors(form)), "danger")
        return redirect(url_for(".setup", session_id=session.id))
    try:
        P.finish(attempt, reason=PracticalFinish.OPERATOR, actor=current_user, now=utcnow(), note=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Zakończono część praktyczną kandydata; instancja jest tylko do odczytu."), "success")
    return redirect(url_for(".setup", session_id=session.id))


@bp.route("/sessions/<int:session_id>/attempts/<int:attempt_id>/reset", methods=["POST"])
@role_required(*OPERATORS)
def reset_instance(session_id: int, attempt_id: int):
    session = session_for_operator(current_user, session_id)
    attempt = P.attempt_in_session(session, attempt_id)
    form = ResetForm()
    if not form.validate_on_submit():
        flash(_("Przywrócenie stanu początkowego: %(errors)s", errors=_field_errors(form)), "danger")
        return redirect(url_for(".setup", session_id=session.id))
    try:
        P.reset_instance(attempt, actor=current_user, now=utcnow(), reason=form.reason.data)
    except DomainError as exc:
        db.session.commit()  # an enforced deadline stays
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Przywrócono stan początkowy instancji CRM kandydata; czas biegnie dalej."), "success")
    return redirect(url_for(".setup", session_id=session.id))


def _field_errors(form) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
    )


# --- commission: live observation ------------------------------------------------------------------------------


def _observation(session) -> list[dict]:
    now = utcnow()
    attempts = P.attempts_of_session(session)
    _enforce_all(attempts, now)
    rows = []
    for attempt in attempts:
        rows.append(
            {
                "attempt": attempt.id,
                "candidate": attempt.enrolment.candidate.full_name,
                "status": str(attempt.status),
                "status_label": attempt.status.label,
                "remaining_seconds": P.remaining_seconds(attempt, now),
                "timeline_url": url_for(".timeline", session_id=session.id, attempt_id=attempt.id),
                **P.progress(attempt),
            }
        )
    return rows


@bp.route("/sessions/<int:session_id>/observe")
@role_required(*OBSERVERS)
def observe(session_id: int):
    session = _observed_session(session_id)
    return render_template("practical/observe.html", session=session, rows=_observation(session))


@bp.route("/sessions/<int:session_id>/observe.json")
@role_required(*OBSERVERS)
def observe_json(session_id: int):
    session = _observed_session(session_id)
    return jsonify(session=session.code, at=utcnow().isoformat(), candidates=_observation(session))


@bp.route("/sessions/<int:session_id>/attempts/<int:attempt_id>/timeline")
@role_required(*OBSERVERS)
def timeline(session_id: int, attempt_id: int):
    session = _observed_session(session_id)
    attempt = P.attempt_in_session(session, attempt_id)
    _enforce_all([attempt], utcnow())
    log = P.api.timeline(attempt.instance_id)
    step = _replay_step(request.args.get("krok"), len(log))
    shown = log if step is None else log[:step]
    return render_template(
        "practical/timeline.html",
        session=session,
        attempt=attempt,
        events=[P.describe(e) for e in shown],
        total=len(log),
        step=step,
        records=P.replay(log, step) if step is not None else [],
        playing=step is not None and request.args.get("odtwarzaj") == "1",
        integrity=P.log_integrity(attempt, log),
    )


def _replay_step(value: str | None, total: int) -> int | None:
    """The replay step asked for (``?krok=N``), or None for the live log; anything else is a clear 400."""
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= total:
        raise DomainError(_("Krok odtwarzania musi być liczbą od 1 do %(total)d.", total=total))
    return int(value)


@bp.route("/sessions/<int:session_id>/attempts/<int:attempt_id>/timeline.json")
@role_required(*OBSERVERS)
def timeline_json(session_id: int, attempt_id: int):
    session = _observed_session(session_id)
    attempt = P.attempt_in_session(session, attempt_id)
    try:
        since = bounded_int(request.args.get("since", "0"))
    except ValueError:
        raise DomainError(_("Parametr since musi być liczbą naturalną.")) from None
    events = [P.describe(e) for e in P.api.timeline(attempt.instance_id, since)]
    return jsonify(status=str(attempt.status), events=events)


# --- candidate -----------------------------------------------------------------------------------------------


@bp.route("/")
@role_required(Role.CANDIDATE)
def index():
    attempts = P.attempts_of_candidate(current_user)
    _enforce_all(attempts, utcnow())
    return render_template("practical/index.html", attempts=attempts)


@bp.route("/<int:attempt_id>")
@role_required(Role.CANDIDATE)
def work(attempt_id: int):
    attempt = P.attempt_for_candidate(current_user, attempt_id)
    now = utcnow()
    _enforce_all([attempt], now)
    return render_template(
        "practical/work.html",
        attempt=attempt,
        remaining=P.remaining_seconds(attempt, now),
        confirm=ConfirmForm(formdata=None),
        Status=PracticalStatus,
    )


@bp.route("/<int:attempt_id>/state")
@role_required(Role.CANDIDATE)
def state(attempt_id: int):
    attempt = P.attempt_for_candidate(current_user, attempt_id)
    now = utcnow()
    _enforce_all([attempt], now)
    return jsonify(status=str(attempt.status), remaining_seconds=P.remaining_seconds(attempt, now))


@bp.route("/<int:attempt_id>/finish", methods=["POST"])
@role_required(Role.CANDIDATE)
def finish(attempt_id: int):
    attempt = P.attempt_for_candidate(current_user, attempt_id)
    now = utcnow()
    if not ConfirmForm().validate_on_submit():
        flash(_("Formularz wygasł. Spróbuj ponownie."), "danger")
        return redirect(url_for(".work", attempt_id=attempt.id))
    if P.enforce_deadline(attempt, now):
        db.session.commit()
        flash(_("Czas minął: część praktyczna została zakończona automatycznie."), "info")
        return redirect(url_for(".work", attempt_id=attempt.id))
    if attempt.status is not PracticalStatus.IN_PROGRESS:
        flash(_("Część praktyczna nie trwa: nie ma czego kończyć."), "warning")
        return redirect(url_for(".work", attempt_id=attempt.id))
    P.finish(attempt, reason=PracticalFinish.CANDIDATE, actor=current_user, now=now)
    db.session.commit()
    flash(_("Zakończono część praktyczną. Wyniki oceni komisja."), "success")
    return redirect(url_for(".work", attempt_id=attempt.id))
