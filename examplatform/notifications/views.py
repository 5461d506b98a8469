"""The user's in-app messages."""

from flask import Blueprint, render_template
from flask_login import current_user

from examplatform.core.guards import login_required
from examplatform.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/messages", template_folder="templates")


@bp.route("/")
@login_required
def inbox():
    messages = services.messages_for(current_user.id)
    return render_template("notifications/inbox.html", messages=messages)
