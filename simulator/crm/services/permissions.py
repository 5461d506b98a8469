"""CRM users and roles: who acts, which personal fields a role may see, and logged reads of what was shown."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from simulator.crm.models import Contact, CrmRole, CrmUser
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.services.common import CrmError, Ctx, record


def acting_user(ctx: Ctx) -> CrmUser | None:
    """Return the CRM user the candidate works as (the one marked as "me")."""
    return ctx.session.get(CrmUser, ctx.me_id) if ctx.me_id else None


def visible_fields(user: CrmUser | None) -> set[str]:
    """Return the protected personal fields a user's role may see (none without a role)."""
    return set(user.role.fields) if user is not None and user.role is not None else set()


def masked(contact: Contact, user: CrmUser | None) -> dict[str, str | None]:
    """Return the protected fields of a person as a user may see them: the value, or None when hidden."""
    allowed = visible_fields(user)
    return {name: (getattr(contact, name) if name in allowed else None) for name in PROTECTED_FIELDS}


def record_read(
    ctx: Ctx, contact: Contact, view: str, user: CrmUser | None, fields: Iterable[str] | None = None
) -> None:
    """Log that a person's personal data was displayed, naming only the fields really shown.

    ``fields`` are the protected fields the view displays (by default every one the person has a value for);
    those the user's role may not see are logged as hidden.
    """
    allowed = visible_fields(user)
    displayed = {n for n in PROTECTED_FIELDS if getattr(contact, n)} if fields is None else set(fields)
    shown = [label for name, label in PROTECTED_FIELDS.items() if name in allowed and name in displayed]
    hidden = [label for name, label in PROTECTED_FIELDS.items() if name not in allowed and name in displayed]
    record(
        ctx,
        "contact.personal_data_read",
        entity_type="contact",
        entity_id=contact.id,
        account_id=contact.account_id,
        summary=f"Odczyt danych osobowych: {contact.full_name} ({', '.join(shown) or 'brak danych osobowych'})",
        details={
            "fields": shown,
            "hidden": hidden,
            "view": view,
            "as_user": user.full_name if user else "",
            "role": user.role.name if user and user.role else "",
        },
    )


def set_role_fields(ctx: Ctx, role: CrmRole, fields: list[str]) -> bool:
    """Change which protected fields a role may see; return whether anything changed."""
    unknown = [f for f in fields if f not in PROTECTED_FIELDS]
    if unknown:
        raise CrmError("Nieznane pole: " + ", ".join(unknown))
    before = sorted(role.fields)
    role.fields = fields
    after = sorted(role.fields)
    if before == after:
        return False
    record(
        ctx,
        "role.permissions_changed",
        entity_type="role",
        entity_id=role.id,
        summary=f"Zmieniono uprawnienia roli „{role.name}” do pól danych osobowych: "
        + (", ".join(PROTECTED_FIELDS[f] for f in after) or "żadne"),
        before={"visible_fields": before},
        after={"visible_fields": after},
    )
    return True


def set_user_role(ctx: Ctx, user: CrmUser, role_id: int | None) -> bool:
    """Give a user a role; return whether it changed."""
    role = ctx.session.get(CrmRole, role_id) if role_id else None
    if role is None:
        raise CrmError("Wybierz rolę.", {"role_id": ["Wybierz rolę."]})
    if user.role_id == role.id:
        return False
    before = user.role.name if user.role else None
    user.role = role
    ctx.session.flush()
    record(
        ctx,
        "user.role_changed",
        entity_type="user",
        entity_id=user.id,
        summary=f"Użytkownik {user.full_name}: rola „{before or '—'}” → „{role.name}”",
        before={"role": before},
        after={"role": role.name},
    )
    return True


def create_user(ctx: Ctx, full_name: str, email: str, role_id: int | None) -> CrmUser:
    """Add a CRM user with a role (the key is derived from the name)."""
    if not full_name.strip():
        raise CrmError("Podaj imię i nazwisko.", {"full_name": ["Podaj imię i nazwisko."]})
    role = ctx.session.get(CrmRole, role_id) if role_id else None
    if role is None:
        raise CrmError("Wybierz rolę.", {"role_id": ["Wybierz rolę."]})
    count = len(list(ctx.session.scalars(select(CrmUser.id))))
    user = CrmUser(key=f"u{count + 1}-{ctx.now:%H%M%S%f}", full_name=full_name.strip(), email=email, role=role)
    ctx.session.add(user)
    ctx.session.flush()
    record(
        ctx,
        "user.created",
        entity_type="user",
        entity_id=user.id,
        summary=f"Dodano użytkownika CRM {user.full_name} (rola „{role.name}”)",
        after={"full_name": user.full_name, "email": email, "role": role.name},
    )
    return user
