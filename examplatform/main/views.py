"""Dashboard per role, the language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from examplatform.auth.models import STAFF_ROLES, Role
from examplatform.commission.outcome import locked_decisions_of
from examplatform.core.clock import utcnow
from examplatform.core.guards import public
from examplatform.core.web import safe_next
from examplatform.extensions import csrf, db
from examplatform.institutions import services as institution_services
from examplatform.sessions import services as session_services

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
@public
def dashboard():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    now = utcnow()
    roles = current_user.role_set
    context = {
        "roles": sorted(roles, key=list(Role).index),
        "enrolments": session_services.enrolments_of(current_user) if Role.CANDIDATE in roles else [],
        "decisions": locked_decisions_of(current_user) if Role.CANDIDATE in roles else {},
        "staff_sessions": session_services.sessions_for_staff(current_user, now=now, upcoming_only=True)
        if roles & set(STAFF_ROLES)
        else [],
        "institutions": institution_services.visible_institutions(current_user)
        if roles & {Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN, Role.QA_AUDITOR}
        else [],
    }
    return render_template("main/dashboard.html", **context)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(
            400, description=_("Nieobsługiwany język: %(lang)s. Dostępne: polski (pl), angielski (en).", lang=lang[:10])
        )
    session["lang"] = lang
    if current_user.is_authenticated and current_user.locale != lang:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))


@bp.route("/health")
@csrf.exempt
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
