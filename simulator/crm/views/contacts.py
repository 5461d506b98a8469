"""Persons (osoby kontaktowe): list, create, detail (a logged read of personal data), edit and the timeline."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from simulator.crm.forms.accounts import ContactForm
from simulator.crm.models import Account, Activity, Contact, CrmUser, Opportunity
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.services import accounts as svc
from simulator.crm.services import permissions, timeline
from simulator.crm.services.common import CrmError
from simulator.crm.views import choices
from simulator.crm.views.accounts import warn_duplicates
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, show_notices
from simulator.crm.views.timeline import render_timeline


@bp.get("/contacts/")
def contact_list():
    """List persons by name, company and position (no personal data on the list)."""
    text = request.args.get("q", "")[:100].strip()
    query = select(Contact).outerjoin(Account, Contact.account_id == Account.id)
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(Contact.last_name.ilike(like), Contact.first_name.ilike(like), Account.name.ilike(like))
        )
    rows = g.db.scalars(query.order_by(Contact.last_name, Contact.first_name))
    return render_template("crm/contacts/list.html", contacts=list(rows), q=text)


def _save(form: ContactForm, contact: Contact | None):
    duplicates, entity_id = [], contact.id if contact else None
    account_id = contact.account_id if contact else None
    if form.validate_on_submit():
        try:
            if contact is None:
                contact, notices = svc.create_contact(
                    ctx(), form.values(), duplicates_confirmed=form.confirm_duplicates.data
                )
                message = f"Dodano osobę {contact.full_name}."
            else:
                changed, notices = svc.update_contact(
                    ctx(), contact, form.values(), duplicates_confirmed=form.confirm_duplicates.data
                )
                message = "Zapisano zmiany." if changed else "Nic nie zmieniono."
        except svc.DuplicateWarning as exc:
            warn_duplicates(exc, form, entity_type="contact", entity_id=entity_id, account_id=account_id)
            duplicates = exc.duplicates
        except CrmError as exc:
            refuse(form, exc, form_name="osoba", entity_type="contact", entity_id=entity_id, account_id=account_id)
        else:
            g.db.commit()
            flash(message, "success")
            show_notices(notices)
            return redirect(url_for(".contact_detail", contact_id=contact.id)), duplicates
    elif form.is_submitted():
        refuse(form, None, form_name="osoba", entity_type="contact", entity_id=entity_id, account_id=account_id)
    return None, duplicates


@bp.route("/contacts/new", methods=["GET", "POST"])
def contact_new():
    """Add a person, optionally to the company given as ?account_id=."""
    form = ContactForm()
    form.account_id.choices = choices.accounts()
    if not form.is_submitted() and request.args.get("account_id", "").isdigit():
        form.account_id.data = request.args["account_id"]
    response, duplicates = _save(form, None)
    return response or render_template("crm/contacts/form.html", form=form, contact=None, duplicates=duplicates)


@bp.get("/contacts/<int:contact_id>")
def contact_detail(contact_id: int):
    """Show a person; showing PESEL, e-mail, phone or birth date is logged as a read of personal data.

    A user administrator may preview the card as another user (``?as_user=``): it shows what that user would
    see, and never a field the administrator may not see. Anyone else asking for a preview gets 403.
    """
    contact = get_or_404(Contact, contact_id)
    me = permissions.acting_user(ctx())
    as_user = g.db.get(CrmUser, request.args.get("as_user", type=int) or 0)
    if as_user is not None and me is not None and as_user.id == me.id:
        as_user = None  # "as myself" is no preview
    if as_user is not None:
        permissions.require_user_admin(
            ctx(), "Podgląd karty osoby jako inny użytkownik", entity_type="contact", entity_id=contact.id
        )
    view = "karta osoby" + (" (podgląd jako inny użytkownik)" if as_user else "")
    shown = permissions.reveal(ctx(), contact, view, me, as_user=as_user)
    g.db.commit()
    users = g.db.scalars(select(CrmUser).order_by(CrmUser.full_name)) if permissions.may_manage_users(me) else []
    opportunities = g.db.scalars(select(Opportunity).where(Opportunity.contact_id == contact.id))
    activities = g.db.scalars(select(Activity).where(Activity.contact_id == contact.id).order_by(Activity.due_date))
    return render_template(
        "crm/contacts/detail.html",
        contact=contact,
        opportunities=list(opportunities),
        activities=list(activities),
        shown=shown,
        viewer=as_user or me,
        as_user=as_user,
        users=list(users),
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    """Edit a person; the form shows personal data, so opening it is logged as a read."""
    contact = get_or_404(Contact, contact_id)
    form = ContactForm(obj=contact)
    form.account_id.choices = choices.accounts()
    me = permissions.acting_user(ctx())
    hidden = set(PROTECTED_FIELDS) - permissions.visible_fields(me)
    if not form.is_submitted():
        permissions.reveal(ctx(), contact, "formularz edycji", me)
        g.db.commit()
    for name in hidden:  # a field the role may not see keeps its stored value and is never sent to the page
        getattr(form, name).data = getattr(contact, name)
    response, duplicates = _save(form, contact)
    for name in hidden:
        getattr(form, name).data = None
        getattr(form, name).render_kw = {"disabled": True, "placeholder": permissions.HIDDEN_TEXT}
    return response or render_template("crm/contacts/form.html", form=form, contact=contact, duplicates=duplicates)


@bp.get("/contacts/<int:contact_id>/timeline")
def contact_timeline(contact_id: int):
    """Show every logged event about a person, newest first; the personal data it shows is a logged read."""
    contact = get_or_404(Contact, contact_id)
    me = permissions.acting_user(ctx())
    events = timeline.contact_timeline(ctx(), contact, me)
    allowed = permissions.visible_fields(me)
    permissions.record_read(
        ctx(), contact, "historia zdarzeń osoby", me, events.fields & allowed, hidden=events.fields - allowed
    )
    g.db.commit()
    return render_timeline(
        events,
        subject=contact.full_name,
        subject_url=url_for(".contact_detail", contact_id=contact.id),
        scope="Wszystkie zdarzenia dotyczące osoby: jej dane i ich odczyty, zgody i żądania RODO, "
        "działania, szanse i oferty",
        notice="Wyświetlenie historii zapisano w dzienniku odczytów danych osobowych. "
        "Wartości pól, których Twoja rola nie może widzieć, są ukryte.",
    )
