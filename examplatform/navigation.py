"""The navigation bar: what each role sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from examplatform.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role] | None  # None: every logged-in user


_STAFF = frozenset({Role.OPERATOR, Role.COMMISSION_MEMBER, Role.INSTITUTION_ADMIN, Role.QA_AUDITOR, Role.APPEALS_PANEL})

NAV = (
    NavItem(_l("Pulpit"), "main.dashboard", None),
    NavItem(_l("Test teoretyczny"), "theory.index", frozenset({Role.CANDIDATE})),
    NavItem(_l("Część praktyczna"), "practical.index", frozenset({Role.CANDIDATE})),
    NavItem(_l("Sesje walidacyjne"), "sessions.index", _STAFF),
    NavItem(
        _l("Instytucje"),
        "institutions.index",
        frozenset({Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN, Role.QA_AUDITOR}),
    ),
    NavItem(
        _l("Dziennik zdarzeń"), "audit.index", frozenset({Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN, Role.QA_AUDITOR})
    ),
    NavItem(_l("Wiadomości"), "notifications.inbox", None),
    NavItem(_l("O kwalifikacji"), "qualification.about", None),
)


def navigation_for(user) -> list[dict]:
    """Return the navigation entries ``user`` may follow (anonymous users see public pages only)."""
    if not user or not user.is_authenticated:
        return [
            {
                "label": str(_l("O kwalifikacji")),
                "url": url_for("qualification.about"),
                "endpoint": "qualification.about",
            }
        ]
    held = user.role_set
    return [
        {"label": str(item.label), "url": url_for(item.endpoint), "endpoint": item.endpoint}
        for item in NAV
        if item.roles is None or held & item.roles
    ]
