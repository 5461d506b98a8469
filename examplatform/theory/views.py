"""The candidate's test: start with the PIN, answer (JSON API), submit, receipt."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from examplatform.auth.models import Role
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.core.guards import role_required
from examplatform.core.web import client_ip
from examplatform.extensions import db, limiter
from examplatform.theory import attempts as A
from examplatform.theory import console, delivery, workstation
from examplatform.theory.forms import StartForm
from examplatform.theory.models import AttemptStatus

bp = Blueprint("theory", __name__, url_prefix="/test", template_folder="templates")


def _attempt(attempt_id: int, *, with_session: bool = False, with_items: bool = False):
    attempt = delivery.attempt_for_candidate(current_user, attempt_id, with_session=with_session, with_items=with_items)
    if A.enforce_deadline(attempt, utcnow()):
        db.session.commit()
    return attempt


def _workstation(attempt) -> str | None:
    """Check the request comes from the attempt's workstation (only while the test is open)."""
    if attempt.status not in A.OPEN:
        return None
    token = request.cookies.get(workstation.cookie_name(attempt))
    try:
        return workstation.check(attempt, token, actor=current_user, now=utcnow(), ip=client_ip())
    except workstation.WorkstationMismatch:
        db.session.commit()  # keep the refusal in the audit log; the error handler answers 409
        raise


def _with_cookie(response, attempt, token: str | None):
    if token:
        response.set_cookie(
            workstation.cookie_name(attempt),
            token,
            httponly=True,
            samesite="Strict",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
            path=url_for(".take", attempt_id=attempt.id),
        )
    return response


@bp.route("/")
@role_required(Role.CANDIDATE)
def index():
    return render_template("theory/index.html", attempts=delivery.attempts_of(current_user))


@bp.route("/<int:attempt_id>")
@role_required(Role.CANDIDATE)
def take(attempt_id: int):
    attempt = _attempt(attempt_id, with_items=True)
    if attempt.status is AttemptStatus.SUBMITTED:
        return redirect(url_for(".receipt", attempt_id=attempt.id))
    if attempt.status is AttemptStatus.READY:
        return render_template("theory/start.html", attempt=attempt, form=StartForm())
    return _test_page(attempt)


def _test_page(attempt, token: str | None = None, *, bound: bool = False):
    """The test screen with the state it starts from; the workstation is checked unless just bound."""
    if not bound:
        try:
            token = _workstation(attempt)
        except workstation.WorkstationMismatch as exc:
            message = exc.message
            return render_template("errors/error.html", code=409, title=_("Inne stanowisko"), message=message), 409
    initial_state = delivery.state(attempt, utcnow())  # the page starts without another round trip
    page = render_template(
        "theory/take.html", attempt=attempt, texts=delivery.page_texts(), initial_state=initial_state
    )
    response = _with_cookie(make_response(page), attempt, token)
    db.session.commit()  # built first: the commit expires what the page needs (no reloads), sent after
    return response


@bp.route("/<int:attempt_id>/start", methods=["POST"])
@limiter.limit("10 per minute", key_func=lambda: f"pin:{current_user.get_id()}")
@role_required(Role.CANDIDATE)
def start(attempt_id: int):
    """Start with the PIN and answer with the test screen itself (its script puts the test's own address in
    the address bar): one request at the start spike instead of a redirect and another page."""
    attempt = _attempt(attempt_id, with_session=True, with_items=True)
    form = StartForm()
    if form.validate_on_submit():
        starting = attempt.status is AttemptStatus.READY
        try:
            console.candidate_start(attempt, candidate=current_user, pin=form.pin.data, now=utcnow(), ip=client_ip())
        except DomainError as exc:
            db.session.commit()  # a wrong PIN stays in the audit log
            form.pin.errors = [*form.pin.errors, exc.message]
        else:
            if attempt.status is AttemptStatus.SUBMITTED:
                return redirect(url_for(".receipt", attempt_id=attempt.id))
            if starting:  # started here and now: this browser is the workstation
                return _test_page(attempt, workstation.bind(attempt), bound=True)
            return _test_page(attempt)  # already running: moving here needs the operator, as for any request
    return render_template("theory/start.html", attempt=attempt, form=form), 400


@bp.route("/<int:attempt_id>/state")
@role_required(Role.CANDIDATE)
def state(attempt_id: int):
    attempt = _attempt(attempt_id, with_items=True)
    token = _workstation(attempt)
    response = _with_cookie(jsonify(delivery.state(attempt, utcnow())), attempt, token)
    db.session.commit()
    return response


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("Oczekiwano danych JSON."))
    return body


@bp.route("/<int:attempt_id>/answers", methods=["POST"])
@role_required(Role.CANDIDATE)
def save(attempt_id: int):
    """Save one answer change; the reply comes only after the commit."""
    body = _json_body()
    seq, position = body.get("seq"), body.get("position")
    if not isinstance(seq, int) or not isinstance(position, int) or isinstance(seq, bool):
        raise DomainError(_("Brak numeru kolejnego lub numeru zadania."))
    now = utcnow()
    attempt = A.locked(attempt_id, candidate_id=current_user.id)
    _workstation(attempt)
    try:
        ack = A.save_answer(
            attempt,
            seq=seq,
            position=position,
            value=body.get("value"),
            flagged=bool(body.get("flagged", False)),
            now=now,
            client_at=str(body.get("client_at", "")),
        )
    except A.AttemptClosed as exc:
        payload = {"error": exc.message, "status": str(attempt.status), "receipt": attempt.receipt}
        db.session.commit()  # the deadline may have just been enforced
        return jsonify(payload), 409
    payload = {
        "seq": ack.seq,
        "applied": ack.applied,
        "duplicate": ack.duplicate,
        "status": str(attempt.status),
        "remaining_seconds": A.remaining_seconds(attempt, now),
    }
    db.session.commit()
    return jsonify(payload)


def _beat(attempt, now) -> dict:
    return {
        "status": str(attempt.status),
        "remaining_seconds": A.remaining_seconds(attempt, now),
        "last_seq": attempt.last_seq,
        "receipt": attempt.receipt,
    }


@bp.route("/<int:attempt_id>/heartbeat", methods=["POST"])
@role_required(Role.CANDIDATE)
def heartbeat(attempt_id: int):
    """The browser is alive. Most beats only read: the attempt is written (under its lock) when the
    deadline must be enforced, the workstation changes, or the last contact is old enough to persist."""
    now = utcnow()
    attempt = delivery.attempt_for_candidate(current_user, attempt_id)
    token = request.cookies.get(workstation.cookie_name(attempt))
    if not A.heartbeat_needs_write(attempt, now) and (
        attempt.status not in A.OPEN or workstation.matches(attempt, token)
    ):
        return jsonify(_beat(attempt, now))
    attempt = A.locked(attempt.id)
    A.enforce_deadline(attempt, now)
    _workstation(attempt)
    if attempt.status in A.OPEN:
        A.touch(attempt, now)
    payload = _beat(attempt, now)
    db.session.commit()
    return jsonify(payload)


@bp.route("/<int:attempt_id>/submit", methods=["POST"])
@role_required(Role.CANDIDATE)
def submit(attempt_id: int):
    now = utcnow()
    attempt = A.locked(delivery.attempt_for_candidate(current_user, attempt_id).id)
    _workstation(attempt)
    receipt, _new = A.submit(attempt, actor=current_user, now=now, ip=client_ip())
    db.session.commit()
    if request.is_json:
        return jsonify(receipt=receipt, url=url_for(".receipt", attempt_id=attempt.id))
    flash(_("Test został przesłany."), "success")
    return redirect(url_for(".receipt", attempt_id=attempt.id))


@bp.route("/<int:attempt_id>/receipt")
@role_required(Role.CANDIDATE)
def receipt(attempt_id: int):
    attempt = _attempt(attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        return redirect(url_for(".take", attempt_id=attempt.id))
    return render_template("theory/receipt.html", attempt=attempt)


@bp.route("/<int:attempt_id>/receipt.txt")
@role_required(Role.CANDIDATE)
def receipt_file(attempt_id: int):
    attempt = _attempt(attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        return redirect(url_for(".take", attempt_id=attempt.id))
    text = render_template("theory/receipt.txt", attempt=attempt, instance=current_app.config.get("SERVER_NAME") or "")
    return Response(
        text,
        mimetype="text/plain; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=potwierdzenie-{attempt.form.code}.txt"},
    )


@bp.route("/<int:attempt_id>/result")
@role_required(Role.CANDIDATE)
def result(attempt_id: int):
    """The released result; with the institution's consent, a review of the answers and the keys."""
    attempt = _attempt(attempt_id)
    if attempt.released_at is None:
        flash(_("Wynik nie został jeszcze udostępniony przez instytucję."), "info")
        return redirect(url_for(".index"))
    outcome = A.result_of(attempt)
    review = delivery.review_rows(attempt, outcome) if attempt.form.snapshot.get("answer_review_allowed") else []
    return render_template("theory/result.html", attempt=attempt, result=outcome, review=review)
