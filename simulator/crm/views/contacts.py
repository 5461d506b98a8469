"""Persons (osoby kontaktowe): list, create, detail (a logged read of personal data), edit and the timeline."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from simulator.crm.forms.accounts import ContactForm
from simulator.crm.models import Account, Activity, Contact, Opportunity
from simulator.crm.services import accounts as svc
from simulator.crm.services import permissions, timeline
from simulator.crm.services.common import CrmError
from simulator.crm.views import choices, protected
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


def _save(form: ContactForm, contact: Contact | None, hidden: frozenset[str] = frozenset()):
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
            warn_duplicates(exc, form, entity_type="contact", entity_id=entity_id, account_id=account_id, hidden=hidden)
            duplicates = protected.mask_duplicates(exc.duplicates, hidden)
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
    card = protected.card(contact, "karta osoby", "Podgląd karty osoby jako inny użytkownik", entity_type="contact")
    g.db.commit()
    opportunities = g.db.scalars(select(Opportunity).where(Opportunity.contact_id == contact.id))
    activities = g.db.scalars(select(Activity).where(Activity.contact_id == contact.id).order_by(Activity.due_date))
    return render_template(
        "crm/contacts/detail.html",
        contact=contact,
        opportunities=list(opportunities),
        activities=list(activities),
        **card,
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    """Edit a person; the form shows personal data, so opening it is logged as a read."""
    contact = get_or_404(Contact, contact_id)
    form = ContactForm(obj=contact)
    form.account_id.choices = choices.accounts()
    response, duplicates = protected.edit_guarded(form, contact, lambda hidden: _save(form, contact, hidden))
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
