"""CRM users and roles: who acts, what a role may see and administer, and logged reads of what was shown.

Every page that shows a person's protected fields (``PROTECTED_FIELDS``) goes through ``mask`` and
``record_read`` (together: ``reveal``): a field the acting user's role may not see is never sent to the page,
and each display of a protected value is one ``contact.personal_data_read`` entry naming the fields shown.
A company holds personal data too (``protected_fields``): a sole trader's (JDG) PESEL, e-mail and phone are its
owner's, under the same role permissions as a person's PESEL, e-mail and phone; the same helpers take the company
and log ``account.personal_data_read``. What is protected follows the company's current legal form: of any other
form its e-mail and phone are plain company data, shown to every role and never logged (the helpers pass a field
that is not protected for the record through unmasked and unlogged). A role may not lift the protection of data
it does not see by changing the legal form (``check_legal_form_change``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from simulator.crm.models import Account, Contact, CrmRole, CrmUser
from simulator.crm.models.roles import MANAGE_USERS_LABEL, PROTECTED_FIELDS, account_protected_fields
from simulator.crm.services.common import AccessDenied, CrmError, Ctx, record

HIDDEN_TEXT = "ukryte – brak uprawnień roli"

Holder = Contact | Account  # a record holding someone's protected personal data


def acting_user(ctx: Ctx) -> CrmUser | None:
    """Return the CRM user the candidate works as (the one marked as "me")."""
    return ctx.session.get(CrmUser, ctx.me_id) if ctx.me_id else None


def visible_fields(user: CrmUser | None, as_user: CrmUser | None = None) -> set[str]:
    """Return the protected fields a user's role may see (none without a role).

    With ``as_user`` (a preview of what another user sees): the fields both may see, never more than ``user``.
    """
    own = set(user.role.fields) if user is not None and user.role is not None else set()
    return own if as_user is None else own & visible_fields(as_user)


def may_manage_users(user: CrmUser | None) -> bool:
    """Return whether a user's role administers CRM users and roles."""
    return user is not None and user.role is not None and user.role.manage_users


def require_user_admin(ctx: Ctx, what: str, *, entity_type: str = "", entity_id: int | None = None) -> CrmUser:
    """Return the acting user if their role administers users and roles; raise ``AccessDenied`` otherwise."""
    user = acting_user(ctx)
    if user is not None and may_manage_users(user):
        return user
    role = user.role.name if user is not None and user.role is not None else "bez roli"
    raise AccessDenied(
        f"{what} wymaga uprawnienia „{MANAGE_USERS_LABEL}”, którego Twoja rola („{role}”) nie ma.",
        entity_type=entity_type,
        entity_id=entity_id,
    )


@dataclass(frozen=True)
class Shown:
    """A person's protected fields as one page may show them: the visible values and the hidden names."""

    values: dict[str, Any]
    hidden: frozenset[str]


def protected_fields(holder: Holder) -> tuple[str, ...]:
    """Return the protected fields of a record: all of a person's; a company's by its legal form as it is now."""
    return account_protected_fields(holder.legal_form) if isinstance(holder, Account) else tuple(PROTECTED_FIELDS)


def personal_values(holder: Holder) -> dict[str, Any]:
    """Return every protected field of a person (of a company: a sole trader's PESEL, e-mail, phone) as stored now."""
    return {name: getattr(holder, name) for name in protected_fields(holder)}


def _subject(holder: Holder) -> tuple[str, int | None, str]:
    """Return the log's entity type, the company and the name of a record holding personal data."""
    if isinstance(holder, Account):
        return "account", holder.id, holder.name
    return "contact", holder.account_id, holder.full_name


def mask(values: Mapping[str, Any], allowed: set[str]) -> Shown:
    """Return the protected values a page may show: a field outside ``allowed`` is left out and named as hidden."""
    return Shown(
        values={name: value for name, value in values.items() if name in allowed},
        hidden=frozenset(name for name in values if name not in allowed),
    )


def mask_for(holder: Holder, values: Mapping[str, Any], user: CrmUser | None, as_user: CrmUser | None = None) -> Shown:
    """Return the values of a record a page may show to ``user`` (as ``as_user``); a field that is not protected
    for this record (the e-mail of a company that is no sole trader) is shown to anyone."""
    open_fields = set(values) - set(protected_fields(holder))
    return mask(values, visible_fields(user, as_user) | open_fields)


def record_read(
    ctx: Ctx,
    holder: Holder,
    view: str,
    user: CrmUser | None,
    fields: Iterable[str],
    *,
    hidden: Iterable[str] = (),
    as_user: CrmUser | None = None,
) -> None:
    """Log that a page displayed these protected fields of a person or sole trader (nothing when it showed none).

    A field that is not protected for this record (a company e-mail of a spółka) is no read of personal data.
    """
    protected = set(protected_fields(holder))
    fields, hidden = set(fields) & protected, set(hidden) & protected
    shown = [label for name, label in PROTECTED_FIELDS.items() if name in fields]
    if not shown:
        return
    perspective = as_user or user
    details = {
        "fields": shown,
        "hidden": [label for name, label in PROTECTED_FIELDS.items() if name in hidden],
        "view": view,
        "as_user": perspective.full_name if perspective else "",
        "role": perspective.role.name if perspective and perspective.role else "",
    }
    if as_user is not None:
        details["acting_user"] = user.full_name if user else ""
        details["acting_role"] = user.role.name if user and user.role else ""
    kind, account_id, name = _subject(holder)
    record(
        ctx,
        f"{kind}.personal_data_read",
        entity_type=kind,
        entity_id=holder.id,
        account_id=account_id,
        summary=f"Odczyt danych osobowych: {name} ({', '.join(shown)})",
        details=details,
    )


def reveal(
    ctx: Ctx,
    holder: Holder,
    view: str,
    user: CrmUser | None,
    *,
    values: Mapping[str, Any] | None = None,
    as_user: CrmUser | None = None,
) -> Shown:
    """Return what a page may show of a person's (a sole trader's) protected fields and log the read of those shown.

    ``user`` acts; ``as_user`` is the user whose view is previewed (limited to what ``user`` may see too);
    ``values`` are what the page would display (default: every protected field of the record as stored now); of
    them, a field that is not protected for this record is shown to anyone and not logged.
    """
    wanted = dict(values) if values is not None else personal_values(holder)
    shown = mask_for(holder, wanted, user, as_user)
    record_read(
        ctx,
        holder,
        view,
        user,
        [name for name, value in shown.values.items() if value],
        hidden=[name for name in shown.hidden if wanted[name]],
        as_user=as_user,
    )
    return shown


def check_legal_form_change(ctx: Ctx, account: Account, legal_form: Any) -> None:
    """Refuse (``CrmError``) a new legal form that would lift the protection of data the acting role may not see.

    A sole trader's stored e-mail and phone are its owner's personal data; as another legal form's they would be
    plain company data shown to every role. Only a role that sees them may make that change.
    """
    kept, user = set(account_protected_fields(legal_form)), acting_user(ctx)
    lifted = [name for name in account_protected_fields(account.legal_form) if name not in kept]
    unseen = [PROTECTED_FIELDS[name] for name in lifted if getattr(account, name) and name not in visible_fields(user)]
    if unseen:
        role = user.role.name if user is not None and user.role is not None else "bez roli"
        lifts, them = ("przestałyby być chronione", "ich") if len(unseen) > 1 else ("przestałby być chroniony", "go")
        message = (
            f"Po zmianie formy prawnej {' i '.join(unseen)} firmy {lifts} jako dane osobowe przedsiębiorcy, "
            f"a Twoja rola („{role}”) {them} nie widzi – taką zmianę musi wykonać osoba z uprawnieniem do tych danych."
        )
        raise CrmError(message, {"legal_form": [message]})


def require_whole(
    holder: Holder, fields: Iterable[str], user: CrmUser | None, what: str, *, entity_type: str, entity_id: int
) -> None:
    """Refuse (``AccessDenied``) a document kept unchanged that holds fields the user's role may not see.

    A sent offer and its PDF are the customer's document as it was sent, so they cannot be masked; the art. 15
    export answers the person's right of access, so it must not be incomplete. Both are shown whole or not at all.
    """
    outside = (set(fields) & set(protected_fields(holder))) - visible_fields(user)
    missing = [label for name, label in PROTECTED_FIELDS.items() if name in outside]
    if missing:
        role = user.role.name if user is not None and user.role is not None else "bez roli"
        raise AccessDenied(
            f"{what} zawiera dane osobowe, których Twoja rola („{role}”) nie widzi: {', '.join(missing)}. "
            "Ten dokument pokazuje się tylko w całości – poproś o niego osobę z odpowiednimi uprawnieniami.",
            entity_type=entity_type,
            entity_id=entity_id,
            account_id=_subject(holder)[1],
        )


def set_role_fields(ctx: Ctx, role: CrmRole, fields: list[str]) -> bool:
    """Change which protected fields a role may see (user administrators only); return whether anything changed."""
    require_user_admin(ctx, "Zmiana uprawnień roli", entity_type="role", entity_id=role.id)
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
    """Give a user a role (user administrators only; someone must keep administering); return whether it changed."""
    require_user_admin(ctx, "Zmiana roli użytkownika", entity_type="user", entity_id=user.id)
    role = ctx.session.get(CrmRole, role_id) if role_id else None
    if role is None:
        raise CrmError("Wybierz rolę.", {"role_id": ["Wybierz rolę."]})
    if user.role_id == role.id:
        return False
    if may_manage_users(user) and not role.manage_users and not _another_user_admin(ctx, user):
        message = (
            f"{user.full_name} jest jedynym użytkownikiem z uprawnieniem „{MANAGE_USERS_LABEL}”. "
            "Najpierw nadaj je komuś innemu – inaczej nikt nie mógłby zmieniać ról."
        )
        raise CrmError(message, {"role_id": [message]})
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


def _another_user_admin(ctx: Ctx, user: CrmUser) -> bool:
    query = select(CrmUser.id).join(CrmRole, CrmUser.role_id == CrmRole.id)
    return ctx.session.scalar(query.where(CrmRole.manage_users, CrmUser.id != user.id).limit(1)) is not None


def create_user(ctx: Ctx, full_name: str, email: str, role_id: int | None) -> CrmUser:
    """Add a CRM user with a role (user administrators only; the key is derived from the name)."""
    require_user_admin(ctx, "Dodanie użytkownika CRM", entity_type="user")
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
