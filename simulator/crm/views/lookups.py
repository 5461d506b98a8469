"""Verification of a company in the mock GUS and VIES registers: side-by-side comparison and corrections."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from wtforms import SelectMultipleField, widgets

from simulator.crm.forms.fields import CrmForm, options
from simulator.crm.models import Account
from simulator.crm.services import lookups as svc
from simulator.crm.services.common import CrmError
from simulator.crm.views.context import bp, ctx, get_or_404
from simulator.crm.views.feedback import refuse_and_tell

REGISTERS = {"gus": svc.gus_lookup, "vies": svc.vies_lookup}


class CorrectionForm(CrmForm):
    """The fields to copy from the register into the CRM."""

    fields = SelectMultipleField(
        "Przepisz z rejestru", option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False)
    )


def _lookup(account: Account, register: str):
    result = REGISTERS[register](ctx(), account)
    g.db.commit()
    form = CorrectionForm()
    form.fields.choices = options((r.name, r.label) for r in result.differences)
    return render_template("crm/accounts/verify.html", account=account, result=result, form=form, register=register)


@bp.post("/accounts/<int:account_id>/verify/gus")
def account_verify_gus(account_id: int):
    """Look the company up in the (mock) GUS REGON register and compare it with the CRM."""
    return _lookup(get_or_404(Account, account_id), "gus")


@bp.post("/accounts/<int:account_id>/verify/vies")
def account_verify_vies(account_id: int):
    """Check the company's VAT-UE number in the (mock) VIES and compare the name."""
    return _lookup(get_or_404(Account, account_id), "vies")


def _apply(account: Account, register: str):
    form = CorrectionForm()
    form.fields.choices = options((name, label) for name, label in svc.GUS_FIELDS.items())
    if form.validate_on_submit():
        try:
            labels = svc.apply_corrections(ctx(), account, register, form.fields.data or [])
        except CrmError as exc:
            refuse_and_tell(
                form,
                exc,
                form_name="korekta z rejestru",
                entity_type="account",
                entity_id=account.id,
                account_id=account.id,
            )
        else:
            g.db.commit()
            flash("Przepisano z rejestru: " + ", ".join(labels) + ".", "success")
    else:
        refuse_and_tell(
            form,
            None,
            form_name="korekta z rejestru",
            entity_type="account",
            entity_id=account.id,
            account_id=account.id,
        )
    return redirect(url_for(".account_detail", account_id=account.id))


@bp.post("/accounts/<int:account_id>/verify/gus/apply")
def account_apply_gus(account_id: int):
    """Copy the chosen fields of the GUS record into the company."""
    return _apply(get_or_404(Account, account_id), "gus")


@bp.post("/accounts/<int:account_id>/verify/vies/apply")
def account_apply_vies(account_id: int):
    """Copy the name registered in VIES into the company."""
    return _apply(get_or_404(Account, account_id), "vies")
