"""Offer templates (versioned), offers with line items, rendering, PDF and sending to the sandbox outbox.

An offer's text may show protected personal data: the person's e-mail (``osoba.email``) and a sole trader's company
e-mail (``firma.email``, its owner's personal data). A draft masks what the viewer's role may not see; a sent offer
is kept as sent, so it is shown whole or refused. Which company fields are protected follows the company's legal
form as it is now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup
from sqlalchemy import func, select

from simulator.crm import validators as v
from simulator.crm.models import Account, Contact, CrmUser, InstanceMeta, Opportunity, Product
from simulator.crm.models.offers import (
    Offer,
    OfferItem,
    OfferStatus,
    OfferTemplate,
    OfferTemplateVersion,
    OutboxMessage,
)
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.services import offer_pdf
from simulator.crm.services.common import CrmError, Ctx, record
from simulator.crm.services.offer_render import (
    ItemTable,
    Line,
    Namespace,
    Totals,
    check_template,
    compute_totals,
    render,
    render_text,
)
from simulator.crm.services.offer_render import money as money_text
from simulator.crm.services.opportunities import money as opportunity_money
from simulator.crm.services.permissions import HIDDEN_TEXT, protected_fields, require_whole, visible_fields


@dataclass(frozen=True)
class ItemInput:
    """A requested line item: a catalogue product, a quantity and an optional net price override."""

    product_id: int
    quantity: Decimal
    net_price: Decimal | None = None


def _check_texts(subject: str, body: str) -> None:
    for label, source in (("Temat", subject), ("Treść", body)):
        try:
            check_template(source)
        except CrmError as exc:
            field = "subject" if label == "Temat" else "body"
            raise CrmError(f"{label}: {exc.message}", {field: [exc.message]}) from exc


def create_template(ctx: Ctx, name: str, subject: str, body: str) -> OfferTemplate:
    """Create an offer template with its version 1."""
    _check_texts(subject, body)
    template = OfferTemplate(name=name, created_at=ctx.now, updated_at=ctx.now)
    template.versions.append(OfferTemplateVersion(version=1, subject=subject, body=body, created_at=ctx.now))
    ctx.session.add(template)
    ctx.session.flush()
    record(
        ctx,
        "offer_template.created",
        entity_type="offer_template",
        entity_id=template.id,
        summary=f"Utworzono szablon oferty „{name}” (wersja 1)",
        after={"name": name, "version": 1, "subject": subject, "body": body},
    )
    return template


def version_was_sent(ctx: Ctx, version: OfferTemplateVersion) -> bool:
    """Tell whether any sent offer used this template version (then it must never change)."""
    query = select(func.count(Offer.id)).where(
        Offer.template_version_id == version.id, Offer.status == OfferStatus.SENT
    )
    return bool(ctx.session.scalar(query))


def update_template(ctx: Ctx, template: OfferTemplate, name: str, subject: str, body: str) -> str:
    """Change a template; a version used by a sent offer stays as it was and a new version is created.

    Return "none", "edited" (the current version changed in place) or "new_version".
    """
    _check_texts(subject, body)
    current = template.current
    text_changed = (subject, body) != (current.subject, current.body)
    if not text_changed and name == template.name:
        return "none"
    before = {"name": template.name, "version": current.version, "subject": current.subject, "body": current.body}
    outcome = "edited"
    if text_changed and version_was_sent(ctx, current):
        new = OfferTemplateVersion(version=current.version + 1, subject=subject, body=body, created_at=ctx.now)
        template.versions.append(new)
        ctx.session.flush()
        drafts = ctx.session.scalars(
            select(Offer).where(Offer.template_version_id == current.id, Offer.status == OfferStatus.DRAFT)
        )
        for draft in drafts:  # unsent offers follow the newest text
            draft.template_version_id = new.id
        outcome = "new_version"
    else:
        current.subject, current.body = subject, body
    template.name, template.updated_at = name, ctx.now
    version = template.current.version
    record(
        ctx,
        "offer_template.new_version" if outcome == "new_version" else "offer_template.updated",
        entity_type="offer_template",
        entity_id=template.id,
        summary=f"Zmieniono szablon oferty „{name}” – "
        + (
            f"utworzono wersję {version} (poprzednia użyta w wysłanej ofercie)"
            if outcome == "new_version"
            else f"wersja {version}"
        ),
        before=before,
        after={"name": name, "version": version, "subject": subject, "body": body},
    )
    return outcome


def next_number(ctx: Ctx) -> str:
    """Return the next offer number of the business month: OF/2026/03/001."""
    prefix = f"OF/{ctx.business_date:%Y/%m}/"
    count = ctx.session.scalar(select(func.count(Offer.id)).where(Offer.number.like(f"{prefix}%")))
    return f"{prefix}{(count or 0) + 1:03d}"


def _resolve_items(ctx: Ctx, items: list[ItemInput]) -> list[OfferItem]:
    if not items:
        raise CrmError("Dodaj co najmniej jedną pozycję z katalogu.", {"items": ["Dodaj co najmniej jedną pozycję."]})
    resolved = []
    for position, item in enumerate(items, start=1):
        product = ctx.session.get(Product, item.product_id)
        if product is None or not product.active:
            raise CrmError(f"Pozycja {position}: wybierz aktywny produkt z katalogu.")
        if item.quantity <= 0:
            raise CrmError(f"Pozycja {position}: ilość musi być większa od zera.")
        resolved.append(
            OfferItem(
                position=position,
                product_id=product.id,
                name=product.name,
                unit=product.unit,
                quantity=item.quantity,
                net_price=product.net_price if item.net_price is None else item.net_price,
                vat_rate=product.vat_rate,
            )
        )
    return resolved


def create_offer(
    ctx: Ctx,
    *,
    template_id: int | None,
    opportunity_id: int | None,
    contact_id: int | None,
    valid_until: date | None,
    items: list[ItemInput],
) -> Offer:
    """Create a draft offer for an opportunity (and optionally one of its company's persons)."""
    errors: dict[str, list[str]] = {}
    template = ctx.session.get(OfferTemplate, template_id) if template_id else None
    opportunity = ctx.session.get(Opportunity, opportunity_id) if opportunity_id else None
    contact = ctx.session.get(Contact, contact_id) if contact_id else None
    if template is None:
        errors["template_id"] = ["Wybierz szablon oferty."]
    if opportunity is None:
        errors["opportunity_id"] = ["Wybierz szansę sprzedaży."]
    if contact_id and (contact is None or opportunity is None or contact.account_id != opportunity.account_id):
        errors["contact_id"] = ["Osoba kontaktowa musi należeć do firmy, której dotyczy szansa."]
    if valid_until is None or valid_until < ctx.business_date:
        errors["valid_until"] = ["Termin ważności nie może być wcześniejszy niż data oferty."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)
    offer = Offer(
        number=next_number(ctx),
        template_version_id=template.current.id,
        opportunity_id=opportunity.id,
        account_id=opportunity.account_id,
        contact_id=contact.id if contact else None,
        owner_id=ctx.me_id or opportunity.owner_id,
        issued_on=ctx.business_date,
        valid_until=valid_until,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    offer.items = _resolve_items(ctx, items)
    ctx.session.add(offer)
    ctx.session.flush()
    totals = offer_totals(offer)
    record(
        ctx,
        "offer.created",
        entity_type="offer",
        entity_id=offer.id,
        account_id=offer.account_id,
        summary=f"Przygotowano ofertę {offer.number} dla „{opportunity.name}” ({money_text(totals.gross)} brutto)",
        after={
            "number": offer.number,
            "template_id": template.id,
            "template_version": template.current.version,
            "opportunity_id": opportunity.id,
            "contact_id": offer.contact_id,
            "valid_until": valid_until,
            "items": [
                {"product_id": i.product_id, "quantity": i.quantity, "net_price": i.net_price, "vat": i.vat_rate}
                for i in offer.items
            ],
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
        },
    )
    return offer


def lines_of(offer: Offer) -> list[Line]:
    """Return an offer's line items as computable lines."""
    return [Line(i.name, i.unit, i.quantity, i.net_price, i.vat_rate) for i in offer.items]


def offer_totals(offer: Offer) -> Totals:
    """Return net, VAT and gross of an offer."""
    return compute_totals(lines_of(offer))


def seller_name(ctx: Ctx) -> str:
    """Return the name of the candidate's own company (the seller)."""
    meta = ctx.session.get(InstanceMeta, "company_name")
    return meta.value if meta and meta.value else "Sprzedawca"


# tags of ``osoba`` that print a protected field of the person (tag key → field of ``PROTECTED_FIELDS``)
PERSON_PROTECTED_TAGS = {"email": "email"}
# tags of ``firma`` that print a field protected for a sole trader (tag key → field of the company)
COMPANY_PROTECTED_TAGS = {"email": "email"}
COMPANY_PREFIX = "firma."  # how a sent offer records a company field among its personal fields


@dataclass(frozen=True)
class OfferText:
    """An offer's subject and body as one viewer gets them, and the protected fields of person and company in it.

    ``company`` and ``company_masked`` name the company fields a sole trader's protection covers (``firma.email``)
    as the text uses them, whatever the legal form; they are personal data only while the company is a sole trader.
    """

    subject: str
    body: Markup
    personal: frozenset[str]  # protected fields whose values the text shows
    masked: frozenset[str] = frozenset()  # protected fields the text would show, masked for this viewer
    company: frozenset[str] = frozenset()  # the company's fields whose values the text shows
    company_masked: frozenset[str] = frozenset()  # the company's protected fields masked for this viewer


def offer_context(ctx: Ctx, offer: Offer, hidden: Collection[str] = (), company_hidden: Collection[str] = ()) -> dict:
    """Return the documented tag values of an offer (exactly the variable picker, nothing more).

    A protected field of the person named in ``hidden`` (of a sole trader's company: in ``company_hidden``) is
    replaced by a notice (the viewer's role may not see it).
    """
    account, contact, opportunity = offer.account, offer.contact, offer.opportunity
    owner = ctx.session.get(CrmUser, offer.owner_id)
    totals = offer_totals(offer)
    address = ", ".join(p for p in (account.street, f"{account.postal_code} {account.city}".strip()) if p)
    person = {
        "imie": contact.first_name if contact else "",
        "nazwisko": contact.last_name if contact else "",
        "imie_nazwisko": contact.full_name if contact else "",
        "stanowisko": contact.position if contact else "",
    }
    for tag, name in PERSON_PROTECTED_TAGS.items():
        value = getattr(contact, name) if contact else ""
        person[tag] = f"[{HIDDEN_TEXT}]" if value and name in hidden else value
    company = {"email": account.email}
    for tag, name in COMPANY_PROTECTED_TAGS.items():
        if company[tag] and name in company_hidden:
            company[tag] = f"[{HIDDEN_TEXT}]"
    return {
        "firma": Namespace(
            "firma",
            {
                "nazwa": account.name,
                "nip": v.format_nip(account.nip) if account.nip else "",
                "adres": address,
                "miasto": account.city,
                "email": company["email"],
            },
        ),
        "osoba": Namespace("osoba", person),
        "szansa": Namespace(
            "szansa",
            {
                "nazwa": opportunity.name,
                "wartosc": opportunity_money(opportunity.value, opportunity.currency),
                "waluta": opportunity.currency.value,
            },
        ),
        "oferta": Namespace("oferta", {"numer": offer.number}),
        "pozycje": ItemTable(lines_of(offer), totals),
        "suma_netto": money_text(totals.net),
        "suma_vat": money_text(totals.vat),
        "suma_brutto": money_text(totals.gross),
        "data": f"{offer.issued_on:%d.%m.%Y}",
        "waznosc_do": f"{offer.valid_until:%d.%m.%Y}",
        "opiekun": Namespace(
            "opiekun", {"imie_nazwisko": owner.full_name if owner else "", "email": owner.email if owner else ""}
        ),
        "sprzedawca": Namespace("sprzedawca", {"nazwa": seller_name(ctx)}),
    }


def _render(ctx: Ctx, offer: Offer, hidden: Collection[str] = (), company_hidden: Collection[str] = ()) -> OfferText:
    """Render an offer from its template version, masking the ``hidden`` protected fields of the person (and the
    ``company_hidden`` ones of a sole trader's company)."""
    version = offer.template_version
    context = offer_context(ctx, offer, hidden, company_hidden)
    subject, body = render_text(version.subject, context), render(version.body, context)
    person, contact = context["osoba"], offer.contact
    read = {name for tag, name in PERSON_PROTECTED_TAGS.items() if tag in person.used and getattr(contact, name)}
    firma = context["firma"]
    shown = {name for tag, name in COMPANY_PROTECTED_TAGS.items() if tag in firma.used and getattr(offer.account, name)}
    return OfferText(
        subject,
        body,
        frozenset(read - set(hidden)),
        frozenset(read & set(hidden)),
        frozenset(shown - set(company_hidden)),
        frozenset(shown & set(company_hidden)),
    )


def sent_company_fields(offer: Offer) -> set[str]:
    """Return the company fields a sole trader's protection covers that a sent offer's text and PDF contain.

    Recorded when it was sent; an offer sent before that was recorded is searched for the company's e-mail.
    """
    recorded = {name.removeprefix(COMPANY_PREFIX) for name in offer.sent_fields if name.startswith(COMPANY_PREFIX)}
    account, text = offer.account, f"{offer.rendered_subject}\n{offer.rendered_body}"
    found = {
        name for name in COMPANY_PROTECTED_TAGS.values() if getattr(account, name) and getattr(account, name) in text
    }
    return recorded | found


def company_hidden(account: Account, viewer: CrmUser | None) -> set[str]:
    """Return the company's fields protected now (a sole trader's) that the viewer's role may not see."""
    return set(protected_fields(account)) - visible_fields(viewer)


def render_offer(ctx: Ctx, offer: Offer, viewer: CrmUser | None) -> OfferText:
    """Return the offer's subject and body as ``viewer`` may see them.

    A draft is rendered from its template with the person's fields the viewer's role may not see masked. A sent
    offer is its stored text, unchanged since sending: shown whole, or refused (``AccessDenied``) to a role that
    may not see a personal field it contains.
    """
    if offer.is_sent:
        fields, company = offer.sent_personal_fields, sent_company_fields(offer)
        what = f"Wysłana oferta {offer.number}"
        if offer.contact is not None:
            require_whole(offer.contact, fields, viewer, what, entity_type="offer", entity_id=offer.id)
        require_whole(offer.account, company, viewer, what, entity_type="offer", entity_id=offer.id)
        body = Markup(offer.rendered_body)  # noqa: S704  (escaped when it was rendered)
        return OfferText(offer.rendered_subject, body, frozenset(fields), company=frozenset(company))
    return _render(ctx, offer, set(PROTECTED_FIELDS) - visible_fields(viewer), company_hidden(offer.account, viewer))


def document(ctx: Ctx, offer: Offer, subject: str, body: Markup) -> str:
    """Return the full HTML document of an offer (the source of its PDF)."""
    return offer_pdf.document_html(
        subject=subject,
        body=body,
        seller=seller_name(ctx),
        number=offer.number,
        issued=f"{offer.issued_on:%d.%m.%Y}",
        valid_until=f"{offer.valid_until:%d.%m.%Y}",
    )


def log_render_failure(ctx: Ctx, offer: Offer, exc: CrmError, purpose: str) -> None:
    """Record that an offer could not be generated and why (nothing was produced or sent)."""
    record(
        ctx,
        "offer.render_failed",
        entity_type="offer",
        entity_id=offer.id,
        account_id=offer.account_id,
        summary=f"Nie wygenerowano oferty {offer.number} ({purpose}): {exc.message}",
        details={"purpose": purpose, "error": exc.message, "template_version_id": offer.template_version_id},
    )


def offer_pdf_bytes(ctx: Ctx, offer: Offer, viewer: CrmUser | None) -> tuple[bytes, OfferText]:
    """Return the offer's PDF as ``viewer`` may see it: the stored attachment of a sent offer, else a fresh one."""
    text = render_offer(ctx, offer, viewer)
    if offer.is_sent:
        message = ctx.session.scalar(select(OutboxMessage).where(OutboxMessage.offer_id == offer.id))
        if message is not None and message.attachment:
            return message.attachment, text
    return offer_pdf.pdf_bytes(document(ctx, offer, text.subject, text.body)), text


def send_offer(ctx: Ctx, offer: Offer) -> OutboxMessage:
    """Render the offer, make its PDF and put one message into the sandbox outbox; log it in the history."""
    if offer.is_sent:
        raise CrmError(f"Oferta {offer.number} została już wysłana.")
    to_person = offer.contact if offer.contact is not None and offer.contact.email else None
    recipient = to_person.email if to_person is not None else offer.account.email
    if not recipient:
        raise CrmError("Brak adresu e-mail odbiorcy: uzupełnij e-mail osoby kontaktowej albo firmy.")
    text = _render(ctx, offer)  # the customer's own document, with their real data (nobody views it here)
    subject, body = text.subject, text.body
    pdf = offer_pdf.pdf_bytes(document(ctx, offer, subject, body))
    digest = hashlib.sha256(pdf).hexdigest()
    version = offer.template_version
    greeting = f"Dzień dobry {offer.contact.full_name}," if offer.contact else "Szanowni Państwo,"
    message = OutboxMessage(
        offer_id=offer.id,
        account_id=offer.account_id,
        recipient=recipient,
        contact=to_person,
        subject=subject,
        body=f"{greeting}\n\nw załączniku przesyłamy ofertę nr {offer.number}.\n\nZ poważaniem\n"
        f"{offer.owner.full_name}\n{seller_name(ctx)}",
        attachment_name=f"oferta-{offer.number.replace('/', '-')}.pdf",
        attachment=pdf,
        attachment_sha256=digest,
        created_at=ctx.now,
    )
    ctx.session.add(message)
    offer.status, offer.sent_at, offer.updated_at = OfferStatus.SENT, ctx.now, ctx.now
    offer.rendered_subject, offer.rendered_body, offer.pdf_sha256 = subject, str(body), digest
    offer.rendered_personal = json.dumps(sorted(text.personal) + sorted(COMPANY_PREFIX + f for f in text.company))
    ctx.session.flush()
    totals = offer_totals(offer)
    record(
        ctx,
        "offer.sent",
        entity_type="offer",
        entity_id=offer.id,
        account_id=offer.account_id,
        summary=f"Wysłano ofertę {offer.number} {recipient_label(message)} (szablon „{version.template.name}” "
        f"nr {version.template_id}, wersja {version.version}; PDF SHA-256 {digest[:12]}…)",
        after={"status": OfferStatus.SENT, "sent_at": ctx.now},
        details={
            "offer_number": offer.number,
            "template_id": version.template_id,
            "template_version": version.version,
            "pdf_sha256": digest,
            "outbox_message_id": message.id,
            "recipient": recipient,
            "contact_id": offer.contact_id,
            "opportunity_id": offer.opportunity_id,
            "gross": totals.gross,
        },
    )
    return message


def recipient_label(message: OutboxMessage) -> str:
    """Name where a message went without its address (the address is a person's protected e-mail)."""
    if message.contact is not None:
        return f"na adres e-mail osoby {message.contact.full_name}"
    return f"na adres e-mail firmy {message.account.name}" if message.account else "na adres e-mail firmy"
