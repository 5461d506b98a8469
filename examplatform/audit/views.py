"""Browse the audit log and check its chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select

from examplatform.audit.models import AuditEntry
from examplatform.audit.services import verify_chain
from examplatform.auth.models import Role
from examplatform.core.guards import role_required
from examplatform.core.web import bounded_int
from examplatform.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

READERS = (Role.QA_AUDITOR, Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)
PAGE_SIZE = 100


@bp.route("/")
@role_required(*READERS)
def index():
    """List entries newest first; institution staff see their institutions' entries and their own."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if not current_user.has_role(Role.PLATFORM_ADMIN):
        ids = current_user.institutions_for(*READERS)
        query = query.where(or_(AuditEntry.institution_id.in_(ids), AuditEntry.actor_id == current_user.id))
    action = request.args.get("action", "").strip()[:80]
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    before = request.args.get("before", type=bounded_int)
    if before:
        query = query.where(AuditEntry.seq < before)
    entries = list(db.session.scalars(query.limit(PAGE_SIZE)))
    return render_template("audit/index.html", entries=entries, action=action, page_size=PAGE_SIZE)


@bp.route("/verify")
@role_required(*READERS)
def verify():
    return render_template("audit/verify.html", result=verify_chain())
