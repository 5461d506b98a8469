"""RODO pages: purposes, a person's consents and requests, request handling with deadlines, the access export."""

from __future__ import annotations

import json

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.forms.fields import options
from simulator.crm.forms.rodo import CompleteRequestForm, ConsentForm, RequestForm, WithdrawForm
from simulator.crm.models import Consent, Contact, ProcessingPurpose, SubjectRequest
from simulator.crm.models.rodo import LegalBasis, RequestKind, RequestStatus
from simulator.crm.services import permissions
from simulator.crm.services import rodo as svc
from simulator.crm.services.common import CrmError
from simulator.crm.services.rodo_deadlines import days_left
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, show_notices
from simulator.crm.views.feedback import refuse_and_tell


@bp.get("/rodo/")
def rodo_home():
    """Show the processing purposes with their legal basis and the requests with their deadlines."""
    purposes = list(g.db.scalars(select(ProcessingPurpose).order_by(ProcessingPurpose.id)))
    requests = list(g.db.scalars(select(SubjectRequest).order_by(SubjectRequest.deadline, SubjectRequest.id)))
    left = {r.id: days_left(r.deadline, ctx().business_date) for r in requests}
    return render_template(
        "crm/rodo/home.html", purposes=purposes, requests=requests, left=left, bases=LegalBasis, open=RequestStatus.OPEN
    )


def _consent_form() -> ConsentForm:
    form = ConsentForm()
    rows = g.db.scalars(select(ProcessingPurpose).order_by(ProcessingPurpose.id))
    form.purpose_id.choices = [choices.EMPTY, *options((p.id, f"{p.name} ({p.legal_basis.value})") for p in rows)]
    return form


@bp.get("/contacts/<int:contact_id>/rodo")
def contact_rodo(contact_id: int):
    """Show a person's consents (with one-click withdrawal), requests and the access export."""
    contact = get_or_404(Contact, contact_id)
    consents = list(g.db.scalars(select(Consent).where(Consent.contact_id == contact.id).order_by(Consent.id)))
    requests = list(g.db.scalars(select(SubjectRequest).where(SubjectRequest.contact_id == contact.id)))
    return render_template(
        "crm/rodo/contact.html",
        contact=contact,
        consents=consents,
        requests=requests,
        form=_consent_form(),
        withdraw=WithdrawForm(),
    )


@bp.post("/contacts/<int:contact_id>/consents")
def consent_give(contact_id: int):
    """Record a consent of a person (purpose, channel, source; the time is the business date)."""
    contact = get_or_404(Contact, contact_id)
    form = _consent_form()
    if form.validate_on_submit():
        try:
            svc.give_consent(ctx(), contact, form.purpose_id.value(), form.channel.data, form.source.data or "")
        except CrmError as exc:
            refuse_and_tell(
                form, exc, form_name="zgoda", entity_type="contact", entity_id=contact.id, account_id=contact.account_id
            )
        else:
            g.db.commit()
            flash("Zapisano zgodę.", "success")
    else:
        refuse_and_tell(
            form, None, form_name="zgoda", entity_type="contact", entity_id=contact.id, account_id=contact.account_id
        )
    return redirect(url_for(".contact_rodo", contact_id=contact.id))


@bp.post("/consents/<int:consent_id>/withdraw")
def consent_withdraw(consent_id: int):
    """Withdraw a consent with one click (as easy as giving it)."""
    consent = get_or_404(Consent, consent_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        changed = svc.withdraw_consent(ctx(), consent, form.source.data or "")
        g.db.commit()
        flash("Wycofano zgodę." if changed else "Ta zgoda była już wycofana.", "success")
    else:
        refuse_and_tell(form, None, form_name="wycofanie zgody", entity_type="consent", entity_id=consent.id)
    return redirect(url_for(".contact_rodo", contact_id=consent.contact_id))


@bp.route("/rodo/requests/new", methods=["GET", "POST"])
def request_new():
    """Register a data-subject request; the one-month deadline is computed from the date of receipt."""
    form = RequestForm()
    form.contact_id.choices = choices.contacts()
    if not form.is_submitted() and request.args.get("contact_id", "").isdigit():
        form.contact_id.data = request.args["contact_id"]
    if form.validate_on_submit():
        contact = g.db.get(Contact, form.contact_id.value())
        try:
            if contact is None:
                raise CrmError("Wybrana osoba nie istnieje.", {"contact_id": ["Wybrana osoba nie istnieje."]})
            item = svc.create_request(ctx(), contact, form.values())
        except CrmError as exc:
            refuse(form, exc, form_name="żądanie RODO", entity_type="subject_request")
        else:
            g.db.commit()
            flash(f"Zarejestrowano żądanie. Termin odpowiedzi: {item.deadline:%d.%m.%Y}.", "success")
            return redirect(url_for(".request_detail", request_id=item.id))
    elif form.is_submitted():
        refuse(form, None, form_name="żądanie RODO", entity_type="subject_request")
    return render_template("crm/rodo/request_form.html", form=form)


@bp.get("/rodo/requests/<int:request_id>")
def request_detail(request_id: int):
    """Show a request with its deadline, days left and how to carry it out."""
    item = get_or_404(SubjectRequest, request_id)
    return render_template(
        "crm/rodo/request.html",
        item=item,
        left=days_left(item.deadline, ctx().business_date),
        form=CompleteRequestForm(),
        kinds=RequestKind,
        open=RequestStatus.OPEN,
    )


@bp.post("/rodo/requests/<int:request_id>/complete")
def request_complete(request_id: int):
    """Carry out and close a request (erasure anonymises the person, objection withdraws marketing consents)."""
    item = get_or_404(SubjectRequest, request_id)
    form = CompleteRequestForm()
    if form.validate_on_submit():
        try:
            notices = svc.complete_request(ctx(), item, form.resolution.data or "")
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="realizacja żądania", entity_type="subject_request", entity_id=item.id)
        else:
            g.db.commit()
            flash("Żądanie zrealizowano.", "success")
            show_notices(notices)
    else:
        refuse_and_tell(form, None, form_name="realizacja żądania", entity_type="subject_request", entity_id=item.id)
    return redirect(url_for(".request_detail", request_id=item.id))


def _export(contact_id: int, fmt: str) -> Response:
    """Export a person's data whole: a role that may not see one of its protected fields is refused (403).

    The copy answers the person's right of access, so it is never handed out with fields masked. It holds the
    person's own business too (a sole trader's PESEL, e-mail and phone): a read of that company's data as well.
    """
    contact = get_or_404(Contact, contact_id)
    me = permissions.acting_user(ctx())
    what = f"Eksport danych osoby {contact.full_name} (art. 15)"
    exported = [
        (holder, [name for name, value in permissions.personal_values(holder).items() if value])
        for holder in (contact, *svc.own_businesses(ctx(), contact))
    ]
    for holder, fields in exported:
        permissions.require_whole(holder, fields, me, what, entity_type="contact", entity_id=contact.id)
    data = svc.person_data(ctx(), contact)
    svc.record_export(ctx(), contact, fmt)
    for holder, fields in exported:
        permissions.record_read(ctx(), holder, f"eksport danych (art. 15, {fmt.upper()})", me, fields)
    g.db.commit()
    name = f"dane-osoby-{contact.id}.{fmt}"
    if fmt == "json":
        body, mimetype = json.dumps(data, ensure_ascii=False, indent=2), "application/json"
    else:
        body, mimetype = "\ufeff" + svc.as_csv(data), "text/csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/contacts/<int:contact_id>/export.json")
def contact_export_json(contact_id: int):
    """Export everything the CRM holds about a person as JSON (right of access, art. 15)."""
    return _export(contact_id, "json")


@bp.get("/contacts/<int:contact_id>/export.csv")
def contact_export_csv(contact_id: int):
    """Export everything the CRM holds about a person as CSV (right of access, art. 15)."""
    return _export(contact_id, "csv")
