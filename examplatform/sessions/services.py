"""Queries and changes of validation sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from examplatform.auth.models import STAFF_ROLES, User
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment, ValidationSession


def sessions_for_staff(user: User, *, now: datetime, upcoming_only: bool = False) -> list[ValidationSession]:
    """Return the sessions of every institution in which ``user`` holds a staff role."""
    institution_ids = user.institutions_for(*STAFF_ROLES)
    if not institution_ids:
        return []
    query = (
        select(ValidationSession)
        .where(ValidationSession.institution_id.in_(institution_ids))
        .options(selectinload(ValidationSession.centre), selectinload(ValidationSession.enrolments))
        .order_by(ValidationSession.starts_at)
    )
    if upcoming_only:
        query = query.where(ValidationSession.starts_at >= now)
    return list(db.session.scalars(query))


def enrolments_of(candidate: User) -> list[Enrolment]:
    """Return the candidate's own enrolments, soonest first."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(Enrolment.session)
            .where(Enrolment.candidate_id == candidate.id)
            .options(selectinload(Enrolment.session).selectinload(ValidationSession.centre))
            .order_by(ValidationSession.starts_at)
        )
    )


def session_for_staff(user: User, session_id: int) -> ValidationSession:
    """Return a session of an institution where the user holds a staff role (or any, for the platform admin)."""
    from flask_babel import gettext as _

    from examplatform.auth.models import Role
    from examplatform.core.errors import NotFound, PermissionDenied

    session = db.session.get(ValidationSession, session_id)
    if session is None:
        raise NotFound(_("Nie ma takiej sesji."))
    if not (user.has_role(Role.PLATFORM_ADMIN) or user.has_role(*STAFF_ROLES, institution_id=session.institution_id)):
        raise PermissionDenied(_("Nie masz dostępu do tej sesji."))
    return session
