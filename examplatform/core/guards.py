"""Route guards: who may call a view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

from examplatform.auth.models import Role

F = TypeVar("F", bound=Callable)

# Every view is tagged with the roles that may call it; the role matrix test reads these tags
# and checks them against its own table, so a route cannot be added without a decision.
PUBLIC = "public"
ANY_USER = "any_user"


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow the view only to logged-in users holding at least one of ``roles`` (in any institution)."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from examplatform.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def login_required(view: F) -> F:
    """Allow the view to any logged-in user."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from examplatform.extensions import login_manager

            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.allowed_roles = ANY_USER  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def public(view: F) -> F:
    """Mark a view as open to everyone, deliberately."""
    view.allowed_roles = PUBLIC  # type: ignore[attr-defined]
    return view
