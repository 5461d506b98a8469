"""Offers (oferty): templates with the variable picker, offers with line items, preview, PDF, print, send, outbox.

The person's protected fields follow the acting user's role (``services.permissions``), and so do a sole trader's
company e-mail (its owner's personal data): a draft's preview, print and PDF mask what the role may not see; a
sent offer and its PDF are kept exactly as sent, so they are shown whole or refused; the outbox masks a person's
address and a sole trader's, and their values in a subject the template filled. Every display of a protected value
is a logged read (of the person's data: ``contact.personal_data_read``; of the sole trader's:
``account.personal_data_read``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.forms.fields import EMPTY, options
from simulator.crm.forms.offers import OfferForm, OfferTemplateForm, template_values
from simulator.crm.forms.sales import ActionForm
from simulator.crm.models import Opportunity, Product
from simulator.crm.models.offers import Offer, OfferTemplate, OutboxMessage
from simulator.crm.services import offers as svc
from simulator.crm.services import permissions
from simulator.crm.services import timeline as timeline_svc
from simulator.crm.services.common import AccessDenied, CrmError, record
from simulator.crm.services.offer_render import ROW_FIELDS, VARIABLES, money
from simulator.crm.validators import record_id
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, where


@bp.get("/offers/")
def offer_list():
    """List offers and offer templates."""
    offers = list(g.db.scalars(select(Offer).order_by(Offer.id.desc())))
    templates = list(g.db.scalars(select(OfferTemplate).order_by(OfferTemplate.name)))
    totals = {o.id: svc.offer_totals(o) for o in offers}
    return render_template("crm/offers/list.html", offers=offers, templates=templates, totals=totals)


def _save_template(form: OfferTemplateForm, template: OfferTemplate | None):
    entity_id = template.id if template else None
    if form.validate_on_submit():
        name, subject, body = template_values(form)
        try:
            if template is None:
                template = svc.create_template(ctx(), name, subject, body)
                message = f"Utworzono szablon „{template.name}”."
            else:
                outcome = svc.update_template(ctx(), template, name, subject, body)
                message = {
                    "none": "Nic nie zmieniono.",
                    "edited": "Zapisano zmiany szablonu.",
                    "new_version": f"Poprzednia wersja została użyta w wysłanej ofercie – zapisano nową wersję "
                    f"{template.current.version}.",
                }[outcome]
        except CrmError as exc:
            refuse(form, exc, form_name="szablon oferty", entity_type="offer_template", entity_id=entity_id)
        else:
            g.db.commit()
            flash(message, "success")
            return redirect(url_for(".offer_template_edit", template_id=template.id))
    elif form.is_submitted():
        refuse(form, None, form_name="szablon oferty", entity_type="offer_template", entity_id=entity_id)
    return None


def _template_page(form: OfferTemplateForm, template: OfferTemplate | None):
    return render_template(
        "crm/offers/template_form.html", form=form, template=template, variables=VARIABLES, row_fields=ROW_FIELDS
    )


@bp.route("/offers/templates/new", methods=["GET", "POST"])
def offer_template_new():
    """Create an offer template."""
    form = OfferTemplateForm()
    return _save_template(form, None) or _template_page(form, None)


@bp.route("/offers/templates/<int:template_id>/edit", methods=["GET", "POST"])
def offer_template_edit(template_id: int):
    """Edit an offer template; a version already used by a sent offer is kept and a new one is made."""
    template = get_or_404(OfferTemplate, template_id)
    form = OfferTemplateForm()
    if not form.is_submitted():
        form.name.data, form.subject.data, form.body.data = (
            template.name,
            template.current.subject,
            template.current.body,
        )
    return _save_template(form, template) or _template_page(form, template)


def _offer_form() -> OfferForm:
    form = OfferForm()
    templates = g.db.scalars(select(OfferTemplate).order_by(OfferTemplate.name))
    labels = ((t.id, f"{t.name} (wersja {t.current.version})") for t in templates)
    form.template_id.choices = [EMPTY, *options(labels)]
    form.opportunity_id.choices = choices.opportunities()
    form.contact_id.choices = choices.contacts()
    products = g.db.scalars(select(Product).where(Product.active).order_by(Product.name))
    items = ((p.id, f"{p.name} – {money(p.net_price)} netto, VAT {p.vat_rate.label}") for p in products)
    product_choices = [EMPTY, *options(items)]
    for entry in form.items:
        entry.form.product_id.choices = product_choices
    return form


@bp.route("/offers/new", methods=["GET", "POST"])
def offer_new():
    """Prepare an offer for an opportunity with line items from the catalogue (?opportunity_id= prefills)."""
    form = _offer_form()
    if not form.is_submitted():
        opportunity = g.db.get(Opportunity, request.args.get("opportunity_id", type=record_id) or 0)
        if opportunity is not None:
            form.opportunity_id.data = str(opportunity.id)
            form.contact_id.data = str(opportunity.contact_id or "")
        first = g.db.scalar(select(OfferTemplate.id).order_by(OfferTemplate.id))
        form.template_id.data = str(first or "")
        form.valid_until.data = ctx().business_date + timedelta(days=30)
    elif form.validate_on_submit():
        try:
            offer = svc.create_offer(ctx(), **form.values())
        except CrmError as exc:
            refuse(form, exc, form_name="oferta", entity_type="offer")
        else:
            g.db.commit()
            flash(f"Przygotowano ofertę {offer.number}. Sprawdź podgląd i wyślij ją klientowi.", "success")
            return redirect(url_for(".offer_detail", offer_id=offer.id))
    else:
        refuse(form, None, form_name="oferta", entity_type="offer")
    return render_template("crm/offers/form.html", form=form)


def _log_generated(offer: Offer, action: str, summary: str) -> None:
    record(
        ctx(),
        action,
        entity_type="offer",
        entity_id=offer.id,
        account_id=offer.account_id,
        summary=summary,
        details={"offer_number": offer.number, "template_version_id": offer.template_version_id, **where()},
    )
    g.db.commit()


@bp.get("/offers/<int:offer_id>")
def offer_detail(offer_id: int):
    """Show an offer rendered on its real records (or the exact text that was sent)."""
    offer = get_or_404(Offer, offer_id)
    me = permissions.acting_user(ctx())
    text, error, withheld = None, None, None
    try:
        text = svc.render_offer(ctx(), offer, me)
    except AccessDenied as exc:  # a sent text with data the role may not see: the rest of the page still shows
        withheld = exc.message
    except CrmError as exc:
        error = exc.message
        svc.log_render_failure(ctx(), offer, exc, "podgląd")
        g.db.commit()
    else:
        _log_generated(offer, "offer.previewed", f"Podgląd oferty {offer.number}")
    recipient = _recipient(offer, me, text)
    message = g.db.scalar(select(OutboxMessage).where(OutboxMessage.offer_id == offer.id))
    return render_template(
        "crm/offers/detail.html",
        offer=offer,
        text=text,
        error=error,
        withheld=withheld,
        recipient=recipient,
        totals=svc.offer_totals(offer),
        message=message,
        action=ActionForm(),
    )


def _recipient(offer: Offer, me, text: svc.OfferText | None) -> permissions.Shown:
    """Return the address the offer goes to as the acting user may see it; log it with what the offer's text showed.

    The address is the person's e-mail, or the company's when the person has none (or there is no person): a sole
    trader's is its owner's personal data.
    """
    contact, account = offer.contact, offer.account
    to_person = contact is not None and bool(contact.email)
    holder = contact if to_person else account
    address = contact.email if to_person else account.email
    recipient = permissions.mask_for(holder, {"email": address} if address else {}, me)
    person = {"shown": set(text.personal if text else ()), "hidden": set(text.masked if text else ())}
    company = {"shown": set(text.company if text else ()), "hidden": set(text.company_masked if text else ())}
    found = person if to_person else company
    found["shown"] |= {name for name, value in recipient.values.items() if value}
    found["hidden"] |= set(recipient.hidden)
    if contact is not None:
        permissions.record_read(ctx(), contact, "oferta", me, person["shown"], hidden=person["hidden"])
    permissions.record_read(ctx(), account, "oferta", me, company["shown"], hidden=company["hidden"])
    g.db.commit()
    return recipient


def _log_document_read(offer: Offer, text: svc.OfferText, view: str) -> None:
    """Log the read of the protected fields (the person's, a sole trader's) an offer document showed."""
    me = permissions.acting_user(ctx())
    if offer.contact is not None:
        permissions.record_read(ctx(), offer.contact, view, me, text.personal, hidden=text.masked)
    permissions.record_read(ctx(), offer.account, view, me, text.company, hidden=text.company_masked)
    g.db.commit()


@bp.get("/offers/<int:offer_id>/oferta.pdf")
def offer_pdf(offer_id: int):
    """Download the offer as PDF (the sent attachment for a sent offer)."""
    offer = get_or_404(Offer, offer_id)
    try:
        pdf, text = svc.offer_pdf_bytes(ctx(), offer, permissions.acting_user(ctx()))
    except CrmError as exc:
        svc.log_render_failure(ctx(), offer, exc, "PDF")
        g.db.commit()
        flash(exc.message, "danger")
        return redirect(url_for(".offer_detail", offer_id=offer.id))
    _log_generated(offer, "offer.pdf_generated", f"Pobrano PDF oferty {offer.number}")
    _log_document_read(offer, text, "PDF oferty")
    name = f"oferta-{offer.number.replace('/', '-')}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/offers/<int:offer_id>/print")
def offer_print(offer_id: int):
    """Show the offer alone on a page laid out for printing (CSS @media print)."""
    offer = get_or_404(Offer, offer_id)
    try:
        text = svc.render_offer(ctx(), offer, permissions.acting_user(ctx()))
    except CrmError as exc:
        svc.log_render_failure(ctx(), offer, exc, "wydruk")
        g.db.commit()
        flash(exc.message, "danger")
        return redirect(url_for(".offer_detail", offer_id=offer.id))
    _log_generated(offer, "offer.printed", f"Widok wydruku oferty {offer.number}")
    _log_document_read(offer, text, "wydruk oferty")
    return render_template(
        "crm/offers/print.html", offer=offer, subject=text.subject, body=text.body, seller=svc.seller_name(ctx())
    )


@bp.post("/offers/<int:offer_id>/send")
def offer_send(offer_id: int):
    """Send the offer to the sandbox outbox with its PDF; the send is recorded in the customer's history."""
    offer = get_or_404(Offer, offer_id)
    form = ActionForm()
    if not form.validate_on_submit():
        refuse(form, None, form_name="wysyłka oferty", entity_type="offer", entity_id=offer.id)
        return redirect(url_for(".offer_detail", offer_id=offer.id))
    try:
        message = svc.send_offer(ctx(), offer)
    except CrmError as exc:
        g.db.rollback()
        svc.log_render_failure(ctx(), offer, exc, "wysyłka")
        g.db.commit()
        flash(f"Oferty nie wysłano: {exc.message}", "danger")
        return redirect(url_for(".offer_detail", offer_id=offer.id))
    g.db.commit()
    flash(f"Wysłano ofertę {offer.number} {svc.recipient_label(message)} (skrzynka nadawcza symulatora).", "success")
    return redirect(url_for(".offer_detail", offer_id=offer.id))


def _outbox(messages: list[OutboxMessage], view: str) -> tuple[dict[int, permissions.Shown], dict[int, str]]:
    """Return each message's recipient and subject as the acting user may see them; log the protected values shown.

    A person's address is their protected e-mail; a company's is protected while the company is a sole trader. The
    subject was rendered from the offer's template, so it may hold the person's (or the sole trader's) protected
    values: those the role may not see are replaced, as on a timeline. One read is logged per person or company.
    """
    me = permissions.acting_user(ctx())
    seen = permissions.visible_fields(me)
    recipients, subjects = {}, {}
    for message in messages:
        values = {"email": message.recipient}
        holder = message.contact if message.contact is not None else message.account
        if holder is None:  # a message of neither a person nor a company: no one's personal data
            recipients[message.id] = recipient = permissions.mask(values, {"email"})
        else:
            recipients[message.id] = recipient = permissions.mask_for(holder, values, me)
        person = message.offer.contact if message.offer is not None else message.contact
        texts = {h: timeline_svc.record_texts(ctx(), h) for h in (person, message.account) if h is not None}
        personal = {key: forms for own in texts.values() for key, forms in own.items()}
        hidden, found = {key for key in personal if key[2] not in seen}, set()
        subjects[message.id] = timeline_svc.mask_text(message.subject, timeline_svc.text_forms(personal), hidden, found)
        for h, own in texts.items():
            shown = {key[2] for key in found if key in own and key not in hidden}
            withheld = {key[2] for key in found if key in own and key in hidden}
            if h is holder:
                shown |= {name for name, value in recipient.values.items() if value}
                withheld |= set(recipient.hidden)
            permissions.record_read(ctx(), h, view, me, shown, hidden=withheld)
    g.db.commit()
    return recipients, subjects


@bp.get("/outbox/")
def outbox_list():
    """List the messages in the sandbox outbox (nothing leaves the simulator)."""
    messages = list(g.db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())))
    recipients, subjects = _outbox(messages, "skrzynka nadawcza")
    return render_template("crm/offers/outbox.html", messages=messages, recipients=recipients, subjects=subjects)


@bp.get("/outbox/<int:message_id>")
def outbox_detail(message_id: int):
    """Show one outbox message with its attachment."""
    message = get_or_404(OutboxMessage, message_id)
    recipients, subjects = _outbox([message], "wiadomość w skrzynce nadawczej")
    return render_template(
        "crm/offers/message.html", message=message, recipient=recipients[message.id], subject=subjects[message.id]
    )


@bp.get("/outbox/<int:message_id>/zalacznik.pdf")
def outbox_attachment(message_id: int):
    """Download the PDF attached to an outbox message, exactly as it was sent (whole, or refused)."""
    message = get_or_404(OutboxMessage, message_id)
    if not message.attachment:
        return redirect(url_for(".outbox_detail", message_id=message.id))
    offer = message.offer
    if offer is not None:
        me = permissions.acting_user(ctx())
        fields, company = offer.sent_personal_fields, svc.sent_company_fields(offer)
        what = f"Załącznik wiadomości (oferta {offer.number})"
        if offer.contact is not None:
            permissions.require_whole(offer.contact, fields, me, what, entity_type="offer", entity_id=offer.id)
        permissions.require_whole(offer.account, company, me, what, entity_type="offer", entity_id=offer.id)
        if offer.contact is not None:
            permissions.record_read(ctx(), offer.contact, "załącznik w skrzynce nadawczej", me, fields)
        permissions.record_read(ctx(), offer.account, "załącznik w skrzynce nadawczej", me, company)
        g.db.commit()
    headers = {"Content-Disposition": f'inline; filename="{message.attachment_name}"'}
    return Response(message.attachment, mimetype="application/pdf", headers=headers)
