"""Offers: sandboxed templates with a documented picker, VAT totals, PDF, sending to the outbox, versions."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pypdf
import pytest

from simulator import api
from simulator.crm.enums import VatRate
from simulator.crm.services.common import CrmError
from simulator.crm.services.offer_render import Line, Namespace, compute_totals, money, render
from tests.simulator.conftest import Crm, instance_write, text_of

ITEMS = {  # 1× wdrożenie 18 000 (23%), 25× licencja 89 (23%), 2× szkolenie 690 (zw), 3× podręcznik 59 (5%)
    "items-0-product_id": "1",
    "items-0-quantity": "1",
    "items-1-product_id": "2",
    "items-1-quantity": "25",
    "items-2-product_id": "7",
    "items-2-quantity": "2",
    "items-3-product_id": "8",
    "items-3-quantity": "3",
}


def make_offer(crm: Crm, template_id: int = 1, items: dict | None = None, contact_id: str = "1") -> int:
    data = {
        "template_id": str(template_id),
        "opportunity_id": "1",
        "contact_id": contact_id,
        "valid_until": "2026-04-15",
    }
    response = crm.post("offers/new", {**data, **(items or ITEMS)})
    assert response.status_code == 302, text_of(response)[:500]
    return crm.one("SELECT max(id) FROM offer")


def make_template(crm: Crm, body: str, name: str = "Mój szablon", subject: str = "Oferta {{ oferta.numer }}"):
    return crm.post("offers/templates/new", {"name": name, "subject": subject, "body": body})


@pytest.mark.parametrize(
    ("lines", "net", "vat", "gross"),
    [
        ([("100.00", "1", VatRate.VAT_23)], "100.00", "23.00", "123.00"),
        ([("100.00", "1", VatRate.VAT_8)], "100.00", "8.00", "108.00"),
        ([("100.00", "1", VatRate.VAT_5)], "100.00", "5.00", "105.00"),
        ([("100.00", "1", VatRate.VAT_0)], "100.00", "0.00", "100.00"),
        ([("100.00", "1", VatRate.EXEMPT)], "100.00", "0.00", "100.00"),
        ([("0.99", "3", VatRate.VAT_23)], "2.97", "0.68", "3.65"),  # 0,6831 → 0,68
        ([("10.05", "1", VatRate.VAT_8)], "10.05", "0.80", "10.85"),  # 0,804 → 0,80
        ([("0.10", "1", VatRate.VAT_5)], "0.10", "0.01", "0.11"),  # 0,005 → 0,01 (half up)
        ([("33.33", "1", VatRate.VAT_23), ("33.33", "2", VatRate.VAT_23)], "99.99", "23.00", "122.99"),
        (
            [
                ("18000", "1", VatRate.VAT_23),
                ("89", "25", VatRate.VAT_23),
                ("690", "2", VatRate.EXEMPT),
                ("59", "3", VatRate.VAT_5),
                ("200", "1.5", VatRate.VAT_8),
                ("50", "2", VatRate.VAT_0),
            ],
            "22182.00",
            "4684.60",
            "26866.60",
        ),
    ],
)
def test_totals_for_every_vat_rate(lines, net, vat, gross):
    totals = compute_totals([Line("x", "szt.", Decimal(q), Decimal(p), rate) for p, q, rate in lines])
    assert (totals.net, totals.vat, totals.gross) == (Decimal(net), Decimal(vat), Decimal(gross))


def test_exempt_and_zero_rates_are_summed_separately():
    totals = compute_totals(
        [
            Line("a", "szt.", Decimal(1), Decimal(10), VatRate.VAT_0),
            Line("b", "szt.", Decimal(1), Decimal(5), VatRate.EXEMPT),
        ]
    )
    assert [(r.rate, r.net) for r in totals.by_rate] == [(VatRate.VAT_0, Decimal(10)), (VatRate.EXEMPT, Decimal(5))]


def test_money_is_formatted_the_polish_way():
    assert money(Decimal("12345.67")) == "12 345,67 zł"
    assert money(Decimal("1234567.5")) == "1 234 567,50 zł"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner }}",
        "{{ firma.__class__ }}",
        "{{ firma._values }}",
        "{{ firma.items() }}",
        "{{ firma|attr('__class__') }}",
        "{{ pozycje.__html__() }}",
        "{% for p in pozycje %}{{ p.__class__ }}{% endfor %}",
        "{{ firma.nazwa.upper() }}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ config }}",
        "{{ request }}",
        "{{ self }}",
        "{% for p in pozycje %}{{ loop.index }}{% endfor %}",
    ],
)
def test_sandbox_escape_attempts_are_refused(source):
    with pytest.raises(CrmError):
        render(source, {"firma": Namespace("firma", {"nazwa": "Techbud"})})


def test_template_text_cannot_inject_markup():
    html = render("<script>alert(1)</script>{{ firma.nazwa }}", {"firma": Namespace("firma", {"nazwa": "<b>A&B</b>"})})
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;A&amp;B&lt;/b&gt;" in html


def test_template_with_an_unknown_tag_is_refused_with_its_name(crm):
    response = make_template(crm, "Dzień dobry {{ firma.regon }} i {{ klient }}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Nieznany znacznik" in text and "{{ klient }}" in text
    assert crm.one("SELECT count(*) FROM offer_template") == 1
    error = crm.log("validation_error")[-1]
    assert "klient" in error["summary"]
    response = make_template(crm, "NIP: {{ firma.regon }}")
    assert "{{ firma.regon }}" in text_of(response)


@pytest.mark.parametrize("body", ["{{ ''.__class__ }}", "{{ cycler.__init__ }}", "{{ firma.__dict__ }}"])
def test_escape_attempts_cannot_be_saved_or_sent(crm, body):
    response = make_template(crm, body)
    assert response.status_code == 200
    assert crm.one("SELECT count(*) FROM offer_template") == 1
    assert "Nieznany znacznik" in text_of(response) or "Niedozwolone" in text_of(response)
    refused = crm.log("validation_error")[-1]
    assert refused["entity_type"] == "offer_template" and refused["details"]["submitted"]["body"] == body


def test_unknown_tag_at_render_time_stops_the_send_and_nothing_is_sent(crm):
    assert make_template(crm, "{% for p in pozycje %}{{ p.rabat }}{% endfor %}").status_code == 302
    offer_id = make_offer(crm, template_id=2)
    page = crm.get(f"offers/{offer_id}")
    assert "{{ pozycja.rabat }}" in text_of(page) and 'data-testid="render-error"' in page.get_data(as_text=True)
    outbox_before = crm.one("SELECT count(*) FROM outbox_message")
    response = crm.post(f"offers/{offer_id}/send", follow_redirects=True)
    assert "Oferty nie wysłano" in text_of(response) and "{{ pozycja.rabat }}" in text_of(response)
    assert crm.one("SELECT count(*) FROM outbox_message") == outbox_before
    assert crm.one("SELECT status FROM offer WHERE id = :id", {"id": offer_id}) == "szkic"
    assert not crm.log("offer.sent")
    failed = crm.log("offer.render_failed")
    assert failed and "pozycja.rabat" in failed[-1]["details"]["error"]


def test_preview_renders_on_the_real_record_with_polish_amounts(crm):
    offer_id = make_offer(crm)
    page = text_of(crm.get(f"offers/{offer_id}"))
    assert "Techbud sp. z o.o." in page and "779-463-05-39" in page
    assert "21 782,00 zł" in page and "4 660,60 zł" in page and "26 442,60 zł" in page
    assert crm.log("offer.previewed")[-1]["entity_id"] == offer_id
    created = crm.log("offer.created")[-1]
    assert created["after"]["gross"] == "26442.60" and created["after"]["template_version"] == 1


def test_pdf_is_a_real_pdf_with_the_customer_and_the_totals(crm):
    offer_id = make_offer(crm)
    response = crm.get(f"offers/{offer_id}/oferta.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert "Techbud sp. z o.o." in text
    assert "26 442,60 zł" in text and "21 782,00 zł" in text
    assert crm.log("offer.pdf_generated")


def test_print_view_uses_the_static_print_stylesheet(crm):
    offer_id = make_offer(crm)
    html = crm.get(f"offers/{offer_id}/print").get_data(as_text=True)
    assert "offer.css" in html and "26 442,60 zł" in html
    css = crm.client.get("/static/offer.css")
    assert b"@media print" in css.data
    css.close()


def test_send_puts_one_message_with_the_pdf_in_the_outbox_and_records_it_in_the_history(crm):
    offer_id = make_offer(crm)
    before = crm.one("SELECT count(*) FROM outbox_message")
    response = crm.post(f"offers/{offer_id}/send", follow_redirects=True)
    assert "Wysłano ofertę" in text_of(response)
    assert crm.one("SELECT count(*) FROM outbox_message") == before + 1
    recipient, subject, attachment, digest = crm.one(
        "SELECT recipient, subject, attachment, attachment_sha256 FROM outbox_message WHERE offer_id = :id",
        {"id": offer_id},
    )
    assert recipient == crm.one("SELECT email FROM contact WHERE id = 1")
    assert subject.startswith("Oferta OF/2026/03/002")
    assert attachment.startswith(b"%PDF-") and hashlib.sha256(attachment).hexdigest() == digest
    sent = crm.log("offer.sent")
    assert len(sent) == 1
    event = sent[0]
    assert event["account_id"] == 1 and event["entity_id"] == offer_id
    assert event["details"]["template_id"] == 1 and event["details"]["template_version"] == 1
    assert event["details"]["pdf_sha256"] == digest
    timeline = text_of(crm.get("accounts/1/timeline"))
    assert "Wysłano ofertę OF/2026/03/002" in timeline and "wersja 1" in timeline
    assert crm.get(f"outbox/{event['details']['outbox_message_id']}/zalacznik.pdf").data == attachment
    again = crm.post(f"offers/{offer_id}/send", follow_redirects=True)
    assert "już wysłana" in text_of(again)
    assert crm.one("SELECT count(*) FROM outbox_message") == before + 1
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (True, None)


def test_editing_a_template_used_by_a_sent_offer_creates_version_two(crm):
    sent_id = make_offer(crm)
    crm.post(f"offers/{sent_id}/send")
    draft_id = make_offer(crm)
    sent_pdf = crm.get(f"offers/{sent_id}/oferta.pdf").data
    response = crm.post(
        "offers/templates/1/edit",
        {
            "name": "Oferta standardowa",
            "subject": "Nowa oferta {{ oferta.numer }}",
            "body": "Nowa treść {{ firma.nazwa }}",
        },
        follow_redirects=True,
    )
    assert "nową wersję 2" in text_of(response)
    assert crm.sql("SELECT version FROM offer_template_version WHERE template_id = 1 ORDER BY version") == [(1,), (2,)]
    version_of = (
        "SELECT v.version FROM offer o JOIN offer_template_version v ON v.id = o.template_version_id WHERE o.id = :id"
    )
    assert crm.one(version_of, {"id": sent_id}) == 1
    assert crm.one(version_of, {"id": draft_id}) == 2  # unsent offers follow the newest text
    assert crm.get(f"offers/{sent_id}/oferta.pdf").data == sent_pdf  # the sent document never changes
    assert "Nowa treść Techbud" in text_of(crm.get(f"offers/{draft_id}"))
    assert crm.log("offer_template.new_version")
    # a version nobody sent is edited in place
    crm.post("offers/templates/1/edit", {"name": "Oferta standardowa", "subject": "S", "body": "Jeszcze nowsza"})
    assert crm.one("SELECT count(*) FROM offer_template_version WHERE template_id = 1") == 2


def test_variable_picker_documents_every_tag_beside_the_editor(crm):
    html = crm.get("offers/templates/1/edit").get_data(as_text=True)
    assert 'data-testid="variable-picker"' in html
    for tag in ("firma.nazwa", "firma.nip", "osoba.imie", "szansa.wartosc", "pozycje", "suma_brutto", "waznosc_do"):
        assert f"{{{{ {tag} }}}}" in html, tag


def test_opportunity_value_tag_keeps_its_currency_and_the_items_stay_in_pln(crm):
    instance_write(crm.root, crm.info.instance_id, "UPDATE opportunity SET currency = 'EUR' WHERE id = 1")
    value = crm.one("SELECT value FROM opportunity WHERE id = 1")
    body = "Wartość: {{ szansa.wartosc }} ({{ szansa.waluta }}). Razem: {{ suma_brutto }}"
    assert make_template(crm, body).status_code == 302
    page = text_of(crm.get(f"offers/{make_offer(crm, template_id=2)}"))
    shown = f"{value / 100:,.2f} EUR".replace(",", " ").replace(".", ",")
    assert f"Wartość: {shown} (EUR). Razem: 26 442,60 zł" in page
    assert "{{ szansa.waluta }}" in crm.get("offers/templates/1/edit").get_data(as_text=True)


def test_offer_needs_items_and_a_person_of_the_same_company(crm):
    data = {"template_id": "1", "opportunity_id": "1", "valid_until": "2026-04-15"}
    assert crm.post("offers/new", data).status_code == 200
    response = crm.post("offers/new", {**data, "contact_id": "3", **ITEMS})
    assert "musi należeć do firmy" in text_of(response)
    assert crm.one("SELECT count(*) FROM offer") == 1


def test_a_quantity_is_read_the_polish_way_and_one_that_reads_two_ways_is_refused(crm):
    """ "1.000" licences: a thousand, or one? Refused with how to write it, nothing saved; "2,5", "1 000" are read."""
    data = {"template_id": "1", "opportunity_id": "1", "contact_id": "1", "valid_until": "2026-04-15"}
    items = {"items-0-product_id": "2", "items-0-quantity": "1.000"}
    response = crm.post("offers/new", {**data, **items})
    assert response.status_code == 200 and "Niejednoznaczna liczba „1.000”" in text_of(response)
    assert 'value="1.000"' in response.get_data(as_text=True)
    assert crm.one("SELECT count(*) FROM offer") == 1  # the seeded one
    refused = crm.log("validation_error")[-1]  # an error of a line (a nested form) was a server error before
    assert "Niejednoznaczna liczba „1.000”" in refused["summary"]
    assert refused["details"]["errors"]["items"][0]["quantity"][0].startswith("Niejednoznaczna")
    offer = make_offer(
        crm, items={**items, "items-0-quantity": "1 000", "items-1-product_id": "7", "items-1-quantity": "2,5"}
    )
    quantities = crm.sql("SELECT quantity FROM offer_item WHERE offer_id = :o ORDER BY id", {"o": offer})
    assert quantities == [(100000,), (250,)]  # in hundredths, as every quantity is stored


@pytest.fixture
def viewer(crm) -> Crm:
    return Crm(crm.client, crm.info, crm.root, viewer=True)


OFFER_POSTS = ["offers/templates/new", "offers/templates/1/edit", "offers/new", "offers/1/send", "reports/save"]


def test_offer_and_report_writes_are_refused_when_frozen_and_for_the_viewer(crm, viewer):
    for path in OFFER_POSTS:
        assert viewer.post(path, {"name": "x"}).status_code == 403, path
    api.freeze(crm.info.instance_id, root=crm.root)
    for path in OFFER_POSTS:
        assert crm.post(path, {"name": "x"}).status_code == 423, path
    assert crm.one("SELECT count(*) FROM offer_template") == 1
    assert len(crm.log("write_refused")) == 2 * len(OFFER_POSTS)
