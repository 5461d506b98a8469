"""Companies (firmy): list, create, detail, edit and the timeline of every event.

A sole trader's PESEL, e-mail and phone are its owner's personal data: the card, the edit form and the timeline
show them as a person's are shown (masked for a role that may not see them, each display a logged read), and the
list never shows them. A company of any other legal form shows its e-mail and phone to everyone, unlogged. The
company's timeline hides its people's protected values as their own timelines do, and logs each person's read.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.enums import CompanySize, LegalForm, Voivodeship
from simulator.crm.forms.accounts import AccountForm
from simulator.crm.models import Account, Activity, Contact, Opportunity
from simulator.crm.services import accounts as svc
from simulator.crm.services import permissions, timeline
from simulator.crm.services.common import CrmError, record
from simulator.crm.views import choices, protected
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, where
from simulator.crm.views.timeline import render_timeline


def warn_duplicates(
    exc: svc.DuplicateWarning, form, *, entity_type: str, entity_id=None, account_id=None, hidden=frozenset()
) -> None:
    """Log that similar records were shown to the user before saving, and keep the log entry.

    The summary (shown on timelines) names the duplicates as the user saw them: none that would give away the
    value of a field the role may not see (``hidden``); the details keep which records they were.
    """
    g.db.rollback()
    shown = protected.mask_duplicates(exc.duplicates, hidden)
    record(
        ctx(),
        "duplicate_warning",
        entity_type=entity_type,
        entity_id=entity_id,
        account_id=account_id,
        summary="Ostrzeżenie o możliwym duplikacie: " + "; ".join(f"{d.name} (ten sam {d.field})" for d in shown),
        details={"duplicates": [d.as_dict() for d in exc.duplicates], "submitted": form.submitted(), **where()},
    )
    g.db.commit()


@bp.get("/accounts/")
def account_list():
    """List companies, searchable by name, city or NIP and filterable by region, size and legal form."""
    text = request.args.get("q", "")[:100]
    voivodeship = request.args.get("voivodeship") if request.args.get("voivodeship") in set(Voivodeship) else None
    size = request.args.get("size") if request.args.get("size") in set(CompanySize) else None
    legal_form = request.args.get("legal_form") if request.args.get("legal_form") in set(LegalForm) else None
    rows = svc.search_accounts(ctx(), text, voivodeship, size, legal_form)
    return render_template(
        "crm/accounts/list.html",
        accounts=rows,
        q=text,
        voivodeship=voivodeship,
        size=size,
        legal_form=legal_form,
        voivodeships=Voivodeship,
        sizes=CompanySize,
        legal_forms=LegalForm,
    )


def _save(form: AccountForm, account: Account | None, hidden: frozenset[str] = frozenset()):
    """Validate and save the form; return a redirect or None to show the form again (``hidden``: see ``protected``)."""
    duplicates = []
    if form.validate_on_submit():
        try:
            if account is None:
                account = svc.create_account(ctx(), form.values(), duplicates_confirmed=form.confirm_duplicates.data)
                message = f"Utworzono firmę „{account.name}”."
            else:
                changed = svc.update_account(
                    ctx(), account, form.values(), duplicates_confirmed=form.confirm_duplicates.data
                )
                message = "Zapisano zmiany." if changed else "Nic nie zmieniono."
        except svc.DuplicateWarning as exc:
            warn_duplicates(
                exc,
                form,
                entity_type="account",
                entity_id=account and account.id,
                account_id=account and account.id,
                hidden=hidden,
            )
            duplicates = protected.mask_duplicates(exc.duplicates, hidden)
        except CrmError as exc:
            refuse(
                form,
                exc,
                form_name="firma",
                entity_type="account",
                entity_id=account and account.id,
                account_id=account and account.id,
            )
        else:
            g.db.commit()
            flash(message, "success")
            return redirect(url_for(".account_detail", account_id=account.id)), duplicates
    elif form.is_submitted():
        refuse(
            form,
            None,
            form_name="firma",
            entity_type="account",
            entity_id=account and account.id,
            account_id=account and account.id,
        )
    return None, duplicates


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    """Create a company."""
    form = AccountForm()
    form.owner_id.choices = choices.users(empty=True)
    if not form.is_submitted():
        form.owner_id.data = str(ctx().me_id or "")
    response, duplicates = _save(form, None)
    return response or render_template("crm/accounts/form.html", form=form, account=None, duplicates=duplicates)


@bp.get("/accounts/<int:account_id>")
def account_detail(account_id: int):
    """Show a company with its people, opportunities and activities; a sole trader's PESEL, e-mail, phone: logged.

    A user administrator may preview the card as another user (``?as_user=``), as a person's card.
    """
    account = get_or_404(Account, account_id)
    card = protected.card(account, "karta firmy", "Podgląd karty firmy jako inny użytkownik", entity_type="account")
    g.db.commit()
    opportunities = g.db.scalars(
        select(Opportunity).where(Opportunity.account_id == account.id).order_by(Opportunity.id)
    )
    activities = g.db.scalars(select(Activity).where(Activity.account_id == account.id).order_by(Activity.due_date))
    return render_template(
        "crm/accounts/detail.html",
        account=account,
        opportunities=list(opportunities),
        activities=list(activities),
        **card,
    )


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
def account_edit(account_id: int):
    """Edit a company; a sole trader's PESEL, e-mail and phone are shown only to a role that may see them (logged)."""
    account = get_or_404(Account, account_id)
    form = AccountForm(obj=account)
    form.owner_id.choices = choices.users(empty=True)
    response, duplicates = protected.edit_guarded(form, account, lambda hidden: _save(form, account, hidden))
    return response or render_template("crm/accounts/form.html", form=form, account=account, duplicates=duplicates)


@bp.get("/accounts/<int:account_id>/timeline")
def account_timeline(account_id: int):
    """Show every logged event about a company, its people, opportunities and activities, newest first.

    A sole trader's PESEL, e-mail and phone in the events are shown as on its card: hidden from a role that may
    not see them, each display a logged read.
    """
    account = get_or_404(Account, account_id)
    me = permissions.acting_user(ctx())
    events = timeline.account_timeline(ctx(), account, me)
    allowed = permissions.visible_fields(me)
    for kind, holder_id in sorted({(kind, holder_id) for kind, holder_id, _ in events.fields}):
        holder = account if kind == "account" else g.db.get(Contact, holder_id)
        found = {name for k, i, name in events.fields if (k, i) == (kind, holder_id)}
        permissions.record_read(ctx(), holder, "historia zdarzeń firmy", me, found & allowed, hidden=found - allowed)
    g.db.commit()
    return render_timeline(
        events,
        subject=account.name,
        subject_url=url_for(".account_detail", account_id=account.id),
        scope="Wszystkie zdarzenia dotyczące firmy, jej osób, szans i działań",
        notice="Wyświetlenie danych osobowych osób firmy (i przedsiębiorcy) zapisuje się w dzienniku odczytów danych "
        "osobowych. Wartości pól, których Twoja rola nie może widzieć, są ukryte.",
    )
