"""Validation sessions as staff see them."""

from flask import Blueprint, render_template
from flask_login import current_user

from examplatform.auth.models import STAFF_ROLES
from examplatform.core.clock import utcnow
from examplatform.core.guards import role_required
from examplatform.sessions import services

bp = Blueprint("sessions", __name__, url_prefix="/sessions", template_folder="templates")


@bp.route("/")
@role_required(*STAFF_ROLES)
def index():
    sessions = services.sessions_for_staff(current_user, now=utcnow())
    return render_template("sessions/index.html", sessions=sessions, now=utcnow())
