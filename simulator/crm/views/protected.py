"""The pages' side of field permissions, shared by the cards and edit forms of persons and sole traders.

A card may be previewed by a user administrator as another user (``?as_user=``); an edit form never sends a
protected field the acting role may not see, and a save keeps that field's stored value (a value typed into such a
field all the same is refused with an explanation, never dropped silently); a duplicate warning never names a
hidden value, not even through the record it names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from flask import g, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from simulator.crm.models import Account, Contact, CrmUser
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.services import permissions
from simulator.crm.services.accounts import Duplicate
from simulator.crm.services.permissions import Holder
from simulator.crm.validators import record_id

Saved = tuple[Response | None, list[Duplicate]]  # a redirect after the save (or None) and the duplicates shown
HIDDEN_FIELD_HINT = (
    "Twoja rola nie widzi zapisanej wartości tego pola – taką zmianę musi wykonać osoba z uprawnieniem do niego."
)
HIDDEN_FIELD_TYPED = "Wpisanej tu wartości nie zapisano: Twoja rola nie może zmieniać tego pola."
UNNAMED = "inny rekord (nazwa ukryta – wskazałaby wartość pola, którego Twoja rola nie widzi)"


def _preview_user(what: str, *, entity_type: str, entity_id: int) -> CrmUser | None:
    """Return the user whose view of a card is asked for (``?as_user=``), or None for one's own view.

    Only a user administrator may preview; anyone else gets ``AccessDenied`` (403, logged).
    """
    me = permissions.acting_user(g.ctx)
    as_user = g.db.get(CrmUser, request.args.get("as_user", type=record_id) or 0)
    if as_user is None or (me is not None and as_user.id == me.id):
        return None  # "as myself" is no preview
    permissions.require_user_admin(g.ctx, what, entity_type=entity_type, entity_id=entity_id)
    return as_user


def card(holder: Holder, view: str, what: str, *, entity_type: str) -> dict[str, Any]:
    """Return what a card may show of a record's protected fields, logging the read, with its preview controls.

    A user administrator may preview the card as another user (``?as_user=``): it shows what that user would
    see, and never a field the administrator may not see. ``what`` names the preview in a refusal.
    """
    me = permissions.acting_user(g.ctx)
    as_user = _preview_user(what, entity_type=entity_type, entity_id=holder.id)
    view += " (podgląd jako inny użytkownik)" if as_user else ""
    shown = permissions.reveal(g.ctx, holder, view, me, as_user=as_user)
    users = list(g.db.scalars(select(CrmUser).order_by(CrmUser.full_name))) if permissions.may_manage_users(me) else []
    return {"shown": shown, "viewer": as_user or me, "as_user": as_user, "users": users}


def mask_duplicates(duplicates: list[Duplicate], hidden: Collection[str]) -> list[Duplicate]:
    """Return duplicate warnings as the acting role may see them (``hidden``: the fields of the saved record it may
    not see).

    A duplicate found by a hidden field never names its value; nor does it name a record that shows that value
    openly (a company whose e-mail or phone is not protected), since the record would give the value away. A
    duplicate found by a value the user typed or sees is not named when the role may not see that field on the
    record found: the name would tell the user the record's hidden value (e.g. whose PESEL a typed number is).
    """
    labels = {label: name for name, label in PROTECTED_FIELDS.items()}
    seen = permissions.visible_fields(permissions.acting_user(g.ctx))
    shown = []
    for found in duplicates:
        name = labels.get(found.field)
        if name is None:
            shown.append(found)
            continue
        other = g.db.get(Account if found.kind == "account" else Contact, found.id) if found.id else None
        protected_there = other is not None and name in permissions.protected_fields(other)
        if name in hidden:
            named = other is None or protected_there
            shown.append(replace(found, value=permissions.HIDDEN_TEXT, **({} if named else {"id": 0, "name": UNNAMED})))
        elif protected_there and name not in seen:
            shown.append(replace(found, id=0, name=UNNAMED))
        else:
            shown.append(found)
    return shown


def _typed(value: Any) -> str:
    return "" if value is None else str(value)


def edit_guarded(form, holder: Holder, save: Callable[[frozenset[str]], Saved]) -> Saved:
    """Run ``save`` on an edit form of a record with protected fields, showing none the acting role may not see.

    Opening the form is a logged read of what it shows. A hidden field keeps the stored value through the save
    and is rendered disabled and empty; a value sent for it all the same (the form was opened before the role or
    the company's legal form changed) is refused with an error rather than dropped; a rule it breaks (e.g. a PESEL
    kept when the legal form changes) is explained, since the user cannot correct a value they do not see; a
    duplicate found by it names no value. ``save`` gets the hidden fields: its duplicate warning goes through
    ``mask_duplicates`` with them.
    """
    me = permissions.acting_user(g.ctx)
    hidden = frozenset(set(permissions.personal_values(holder)) - permissions.visible_fields(me))
    if not form.is_submitted():
        permissions.reveal(g.ctx, holder, "formularz edycji", me)
        g.db.commit()
    for name in hidden:  # a field the role may not see keeps its stored value and is never sent to the page
        field, stored = getattr(form, name), getattr(holder, name)
        typed = (field.raw_data or [""])[0].strip() if form.is_submitted() else ""
        if typed and typed != _typed(stored):
            field.process_errors.append(HIDDEN_FIELD_TYPED)
        field.data = stored
    response, duplicates = save(hidden)
    for name in hidden:
        field = getattr(form, name)
        field.data, field.render_kw = None, {"disabled": True, "placeholder": permissions.HIDDEN_TEXT}
        if field.errors:
            field.errors = [*field.errors, HIDDEN_FIELD_HINT]
    return response, duplicates
