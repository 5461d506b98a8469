"""Seed what every CRM ships with for offers and reports: a default template, sample reports, one sent offer.

The sample sent offer (with its PDF in the outbox) shows candidates what a finished send looks like;
it goes to the company's own e-mail, so the per-seed name variations never contradict its PDF. Nothing
here writes the action log: seed data predates the instance.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.actionlog import SYSTEM
from simulator.crm.enums import OpportunityStatus
from simulator.crm.models import CrmUser, InstanceMeta, Opportunity, Product
from simulator.crm.models.offers import (
    Offer,
    OfferItem,
    OfferStatus,
    OfferTemplate,
    OfferTemplateVersion,
    OutboxMessage,
)
from simulator.crm.models.reports import SavedReport
from simulator.crm.services import offer_pdf
from simulator.crm.services.common import Ctx
from simulator.crm.services.offer_render import render, render_text
from simulator.crm.services.offers import offer_context
from simulator.scenario import Scenario

DEFAULT_SUBJECT = "Oferta {{ oferta.numer }} – {{ szansa.nazwa }}"
DEFAULT_BODY = """Szanowni Państwo,

w odpowiedzi na zapytanie dotyczące „{{ szansa.nazwa }}” przedstawiamy ofertę dla firmy {{ firma.nazwa }}
(NIP {{ firma.nip }}, {{ firma.adres }}).

{{ pozycje }}
Razem netto: {{ suma_netto }}
Razem VAT: {{ suma_vat }}
Razem brutto: {{ suma_brutto }}

Oferta ważna do {{ waznosc_do }}.

Z poważaniem
{{ opiekun.imie_nazwisko }}
{{ sprzedawca.nazwa }}"""

SAMPLE_REPORTS = [
    (
        "Lejek: wartość otwartych szans wg etapów",
        {
            "source": "opportunities",
            "filters": [{"field": "status", "op": "eq", "value": "otwarta"}],
            "group_by": ["stage"],
            "aggregates": [
                {"fn": "count"},
                {"fn": "sum", "field": "value"},
                {"fn": "sum", "field": "weighted"},
            ],
            "chart": "bar",
            "chart_measure": 1,  # the value, as the name says
        },
    ),
    (
        "Zadania: realizacja wg osoby i priorytetu",
        {
            "source": "activities",
            "pivot": {"rows": "owner", "columns": "done", "fn": "count"},
            "chart": "bar",
        },
    ),
]


def seed_offers_and_reports(session: Session, scenario: Scenario, now: datetime) -> None:
    """Add the default offer template, the sample reports and one sent sample offer (the caller commits)."""
    template = OfferTemplate(id=1, name="Oferta standardowa", created_at=now, updated_at=now)
    template.versions.append(
        OfferTemplateVersion(version=1, subject=DEFAULT_SUBJECT, body=DEFAULT_BODY, created_at=now)
    )
    session.add(template)
    me = session.scalar(select(CrmUser).where(CrmUser.is_me)) or session.scalar(select(CrmUser).order_by(CrmUser.id))
    for i, (name, definition) in enumerate(SAMPLE_REPORTS, start=1):
        session.add(
            SavedReport(
                id=i,
                name=name,
                owner_id=me.id,
                definition=json.dumps(definition, ensure_ascii=False, sort_keys=True),
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    _sample_sent_offer(session, scenario, template, now)


def _sample_sent_offer(session: Session, scenario: Scenario, template: OfferTemplate, now: datetime) -> None:
    opportunities = list(session.scalars(select(Opportunity).order_by(Opportunity.id)))
    closed = [o for o in opportunities if o.status != OpportunityStatus.OPEN and o.account.email]
    candidates = closed or [o for o in opportunities if o.account.email]
    products = list(session.scalars(select(Product).where(Product.active).order_by(Product.id).limit(2)))
    if not candidates or not products:
        return
    opportunity = candidates[0]
    issued = scenario.business_date - timedelta(days=14)
    offer = Offer(
        id=1,
        number=f"OF/{issued:%Y/%m}/001",
        template_version=template.current,
        opportunity=opportunity,
        account=opportunity.account,
        contact=None,
        owner=opportunity.owner,
        status=OfferStatus.SENT,
        issued_on=issued,
        valid_until=issued + timedelta(days=30),
        sent_at=now,
        created_at=now,
        updated_at=now,
    )
    offer.items = [
        OfferItem(
            position=i,
            product_id=p.id,
            name=p.name,
            unit=p.unit,
            quantity=Decimal("1.00"),
            net_price=p.net_price,
            vat_rate=p.vat_rate,
        )
        for i, p in enumerate(products, start=1)
    ]
    session.add(offer)
    session.flush()
    ctx = Ctx(session, SYSTEM, now=now, business_date=scenario.business_date)
    context = offer_context(ctx, offer)
    subject, body = render_text(template.current.subject, context), render(template.current.body, context)
    seller = session.get(InstanceMeta, "company_name")
    pdf = offer_pdf.pdf_bytes(
        offer_pdf.document_html(
            subject=subject,
            body=body,
            seller=seller.value if seller else "",
            number=offer.number,
            issued=f"{issued:%d.%m.%Y}",
            valid_until=f"{offer.valid_until:%d.%m.%Y}",
        )
    )
    digest = hashlib.sha256(pdf).hexdigest()
    offer.rendered_subject, offer.rendered_body, offer.pdf_sha256 = subject, str(body), digest
    session.add(
        OutboxMessage(
            id=1,
            offer_id=offer.id,
            account_id=offer.account_id,
            recipient=opportunity.account.email,
            subject=subject,
            body=f"Szanowni Państwo,\n\nw załączniku przesyłamy ofertę nr {offer.number}.\n\nZ poważaniem\n"
            f"{opportunity.owner.full_name}",
            attachment_name=f"oferta-{offer.number.replace('/', '-')}.pdf",
            attachment=pdf,
            attachment_sha256=digest,
            created_at=now,
        )
    )
    session.flush()
