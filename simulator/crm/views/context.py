"""The request around every CRM view: token → instance → session, the acting context and write refusal.

The app's store (``storage.store_for(app.config)``) resolves the token and opens the session: on a SQLite
file every transaction begins IMMEDIATE, on a PostgreSQL schema it takes the instance's advisory lock.

A token opens exactly one instance; an unknown token is a plain 404 (nothing tells a guesser whether an
instance exists). The candidate's token may write while the instance is not frozen; the commission's
viewer token never writes. A refused write is logged in the instance before the 423/403 goes out, and so is
an action or a view the acting CRM user's role does not allow (``AccessDenied`` raised anywhere in a view: 403).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, g, request
from sqlalchemy import select

from simulator import practice
from simulator.actionlog import Actor
from simulator.crm.models import CrmUser
from simulator.crm.services import permissions
from simulator.crm.services.common import AccessDenied, CrmError, Ctx, NotFoundError, record
from simulator.storage import read_deadline, store_for
from simulator.web import render_error

bp = Blueprint("crm", __name__, url_prefix="/i/<token>")

CANDIDATE = Actor("candidate", "kandydat")
COMMISSION = Actor("commission", "komisja (podgląd)")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FROZEN_MESSAGE = "Instancja jest zamrożona – czas na wykonanie zadań minął. Zmiany nie są już możliwe."
READ_ONLY_MESSAGE = "To jest podgląd komisji (tylko do odczytu) – zmiany nie są możliwe."


@bp.url_value_preprocessor
def _pull_token(endpoint, values) -> None:
    g.token = (values or {}).pop("token", None)


@bp.url_defaults
def _add_token(endpoint, values) -> None:
    if "token" not in values and g.get("token") and current_app.url_map.is_endpoint_expecting(endpoint, "token"):
        values["token"] = g.token


def where() -> dict:
    """Describe the current request without its token (tokens never go into the log)."""
    return {"endpoint": request.endpoint, "method": request.method, "args": dict(request.view_args or {})}


def load_instance() -> bool:
    """Resolve the request's token to its instance and open a session on it; False if there is none."""
    store = store_for(current_app.config)
    found = store.find_by_token(g.get("token") or "")
    if found is None:
        return False
    instance, role = found
    if not store.exists(instance.id):
        return False
    g.store, g.instance, g.role = store, instance, role
    g.db = store.open_session(instance.id)
    me_id = g.db.scalar(select(CrmUser.id).where(CrmUser.is_me))
    actor = CANDIDATE if role == "candidate" else COMMISSION
    g.ctx = Ctx(g.db, actor, now=datetime.now(UTC), business_date=instance.business_date, me_id=me_id)
    return True


@bp.before_request
def _open_instance():
    if not load_instance():
        abort(404)
    lifetime = current_app.config["PRACTICE_LIFETIME_MINUTES"]
    if practice.expired(g.instance, g.ctx.now, lifetime):
        abort(410, practice.EXPIRED_MESSAGE)
    if request.method not in SAFE_METHODS and g.role == "candidate" and not g.instance.frozen:
        _freeze_after_deadline()
    if request.method not in SAFE_METHODS and (g.instance.frozen or g.role != "candidate"):
        _refuse_write()
    _refuse_nul()


def _freeze_after_deadline() -> None:
    """A write after the candidate's time: freeze the instance now (the write is then refused as frozen)."""
    deadline = read_deadline(g.db)
    g.db.rollback()  # end the read before the freeze takes the instance's write lock
    if g.store.freeze_if_past_deadline(g.instance.id, deadline, g.ctx.now):
        g.instance = g.store.get_record(g.instance.id)


NUL_MESSAGE = (
    "Żądanie zawiera niedozwolony znak (bajt zerowy, NUL), którego nie da się zapisać. Usuń go z pola "
    "(zwykle pojawia się po wklejeniu danych z innego programu) i wyślij formularz ponownie."
)


def _refuse_nul():
    """Refuse the whole request if any value holds a NUL byte: no text column stores one (PostgreSQL refuses it)."""
    names = sorted({name for part in (request.args, request.form) for name, value in part.items() if "\x00" in value})
    if not names:
        return
    record(
        g.ctx,
        "validation_error",
        summary="Odrzucono żądanie ze znakiem NUL w polach: " + ", ".join(names[:10]),
        details={**where(), "fields": names[:50]},
    )
    g.db.commit()
    abort(400, NUL_MESSAGE)


def _refuse_write():
    reason = "frozen" if g.instance.frozen else "read_only"
    record(
        g.ctx,
        "write_refused",
        summary="Odrzucono próbę zmiany: "
        + ("instancja zamrożona" if reason == "frozen" else "podgląd tylko do odczytu"),
        details={**where(), "reason": reason},
    )
    g.db.commit()
    if reason == "frozen":
        abort(423, FROZEN_MESSAGE)
    abort(403, READ_ONLY_MESSAGE)


@bp.errorhandler(AccessDenied)
def _refuse_access(exc: AccessDenied):
    g.db.rollback()
    me = permissions.acting_user(g.ctx)
    record(
        g.ctx,
        "access_refused",
        entity_type=exc.entity_type,
        entity_id=exc.entity_id,
        account_id=exc.account_id,
        summary=f"Odmowa dostępu: {exc.message}",
        details={
            **where(),
            "query": request.args.to_dict(),
            "user": me.full_name if me else "",
            "role": me.role.name if me and me.role else "",
        },
    )
    g.db.commit()
    return render_error(403, exc.message)


@bp.teardown_request
def _close_session(exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


@bp.context_processor
def _inject() -> dict:
    instance = g.get("instance")
    if instance is None:
        return {}
    return {
        "instance": instance,
        "role": g.role,
        "read_only": read_only(),
        "business_date": instance.business_date,
        "user_admin": permissions.may_manage_users(permissions.acting_user(g.ctx)),
        "hidden_text": permissions.HIDDEN_TEXT,
        "practice_mode": practice.is_practice(instance),
    }


def _messages(errors: object) -> Iterator[str]:
    """Yield every message of a form's errors, also those of nested forms (a list of lines: a dict per line)."""
    if isinstance(errors, dict):
        for nested in errors.values():
            yield from _messages(nested)
    elif isinstance(errors, list | tuple):
        for nested in errors:
            yield from _messages(nested)
    elif errors:
        yield str(errors)


def read_only() -> bool:
    """Return whether this request can only read (the commission's view, or a frozen instance)."""
    return g.role != "candidate" or g.instance.frozen


def ctx() -> Ctx:
    """Return the acting context of this request."""
    return g.ctx


def get_or_404(model, record_id: int):
    """Return a record of this instance or answer 404."""
    obj = g.db.get(model, record_id)
    if obj is None:
        raise NotFoundError(model.__name__)
    return obj


def show_notices(notices) -> None:
    """Flash every notice a service returned (nothing changes silently)."""
    for notice in notices:
        flash(notice, "info")


def refuse(
    form,
    exc: CrmError | None,
    *,
    form_name: str,
    entity_type: str,
    entity_id=None,
    account_id=None,
    flash_unplaced: bool = True,
) -> None:
    """Log a refused form (validation errors or a broken rule), attach the errors to it, and commit the log.

    A message that belongs to no field of the form is flashed, unless the view reports it itself.
    """
    g.db.rollback()
    errors = dict(form.errors) if exc is None else exc.field_errors or {"_": [exc.message]}
    if exc is not None:
        for name, messages in exc.field_errors.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*list(field.errors or []), *messages]
        placed = exc.field_errors and all(hasattr(form, n) for n in exc.field_errors)
        if flash_unplaced and not placed:
            flash(exc.message, "danger")
    record(
        g.ctx,
        "validation_error",
        entity_type=entity_type,
        entity_id=entity_id,
        account_id=account_id,
        summary=f"Błąd walidacji ({form_name}): " + "; ".join(_messages(errors)),
        details={"form": form_name, "errors": errors, "submitted": form.submitted(), **where()},
    )
    g.db.commit()
