"""Activities and tasks (działania): the filtered list, create, edit and complete."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from simulator.crm.enums import ActivityStatus, Priority
from simulator.crm.forms.activities import ActivityFilterForm, ActivityForm
from simulator.crm.forms.fields import options
from simulator.crm.forms.sales import ActionForm
from simulator.crm.models import Activity, Opportunity
from simulator.crm.services import activities as svc
from simulator.crm.services.common import CrmError, record
from simulator.crm.validators import record_id
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, show_notices, where


@bp.get("/activities/")
def activity_list():
    """List activities by due-date range, owner, priority, status and type."""
    filters = ActivityFilterForm(formdata=MultiDict(request.args) if request.args else None)
    filters.owner_id.choices = options([("", "— wszyscy —")]) + choices.users()
    rows: list[Activity] = []
    if request.args and not filters.validate():
        record(
            ctx(),
            "validation_error",
            entity_type="activity",
            summary="Błąd walidacji (filtr listy działań): "
            + "; ".join(m for ms in filters.errors.values() for m in ms),
            details={
                "form": "filtr listy działań",
                "errors": filters.errors,
                "submitted": dict(request.args),
                **where(),
            },
        )
        g.db.commit()
    else:
        rows = svc.list_activities(
            ctx(),
            date_from=filters.date_from.data,
            date_to=filters.date_to.data,
            owner_id=filters.owner_id.value(),
            priority=Priority(filters.priority.data) if filters.priority.data else None,
            status=filters.status.data or None,
            type_=filters.type.data or None,
        )
    done = sum(1 for a in rows if a.status == ActivityStatus.DONE)
    average = round(sum(a.percent_complete for a in rows) / len(rows)) if rows else 0
    return render_template(
        "crm/activities/list.html", activities=rows, filters=filters, done=done, average=average, action=ActionForm()
    )


def _form(activity: Activity | None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    form.owner_id.choices = choices.users(empty=True)
    form.account_id.choices = choices.accounts()
    form.contact_id.choices = choices.contacts()
    form.opportunity_id.choices = choices.opportunities()
    form.stage_id.choices = choices.stage_options_flat()
    return form


def _save(form: ActivityForm, activity: Activity | None):
    entity_id = activity.id if activity else None
    account_id = activity.account_id if activity else form.account_id.value()
    if form.validate_on_submit():
        try:
            if activity is None:
                activity, notices = svc.create_activity(ctx(), form.values())
                message = f"Dodano działanie „{activity.subject}”."
            else:
                notices = svc.update_activity(ctx(), activity, form.values())
                message = "Zapisano zmiany."
        except CrmError as exc:
            refuse(form, exc, form_name="działanie", entity_type="activity", entity_id=entity_id, account_id=account_id)
        else:
            g.db.commit()
            flash(message, "success")
            show_notices(notices)
            if activity.opportunity_id:
                return redirect(url_for(".opportunity_detail", opportunity_id=activity.opportunity_id))
            return redirect(url_for(".activity_list"))
    elif form.is_submitted():
        refuse(form, None, form_name="działanie", entity_type="activity", entity_id=entity_id, account_id=account_id)
    return None


@bp.route("/activities/new", methods=["GET", "POST"])
def activity_new():
    """Add an activity; ?account_id=, ?contact_id=, ?opportunity_id= prefill the links."""
    form = _form(None)
    if not form.is_submitted():
        c = ctx()
        form.owner_id.data = str(c.me_id or "")
        form.due_date.data = c.business_date
        form.priority.data, form.status.data, form.percent_complete.data = "normalny", "nierozpoczete", 0
        for name in ("account_id", "contact_id", "opportunity_id"):
            if request.args.get(name, "").isdigit():
                getattr(form, name).data = request.args[name]
        opportunity_id = request.args.get("opportunity_id", type=record_id)
        opportunity = g.db.get(Opportunity, opportunity_id) if opportunity_id else None
        if opportunity is not None:  # the usual case: an activity for the stage the opportunity is in
            form.account_id.data, form.stage_id.data = str(opportunity.account_id), str(opportunity.stage_id)
    return _save(form, None) or render_template("crm/activities/form.html", form=form, activity=None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def activity_edit(activity_id: int):
    """Edit an activity: dates, priority, status and % complete."""
    activity = get_or_404(Activity, activity_id)
    form = _form(activity)
    return _save(form, activity) or render_template("crm/activities/form.html", form=form, activity=activity)


@bp.post("/activities/<int:activity_id>/complete")
def activity_complete(activity_id: int):
    """Mark an activity done (100%)."""
    activity = get_or_404(Activity, activity_id)
    form = ActionForm()
    if form.validate_on_submit():
        changed = svc.complete_activity(ctx(), activity)
        g.db.commit()
        flash(f"Zakończono „{activity.subject}”." if changed else "To działanie jest już zakończone.", "success")
    else:
        refuse(form, None, form_name="zakończenie działania", entity_type="activity", entity_id=activity.id)
    target, home = request.form.get("next", ""), url_for(".home")
    if target.startswith(home) and "\\" not in target and "//" not in target:  # only pages of this instance
        return redirect(target)
    return redirect(url_for(".activity_list"))
