"""Sales opportunities (szanse): list with bulk edit, create, detail, edit, kanban board and moves."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.enums import Currency, CustomerType, LossReason, OpportunityStatus, SaleForm
from simulator.crm.forms.fields import clean, options
from simulator.crm.forms.sales import BulkForm, MoveForm, OpportunityForm
from simulator.crm.models import Activity, Opportunity, Pipeline
from simulator.crm.services import currency
from simulator.crm.services import opportunities as svc
from simulator.crm.services.common import CrmError
from simulator.crm.validators import record_id
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse, show_notices


def _filters() -> dict:
    args = request.args
    return {
        "pipeline_id": args.get("pipeline_id", type=record_id),
        "stage_id": args.get("stage_id", type=record_id),
        "status": args.get("status") if args.get("status") in set(OpportunityStatus) else None,
        "owner_id": args.get("owner_id", type=record_id),
        "customer_type": args.get("customer_type") if args.get("customer_type") in set(CustomerType) else None,
        "sale_form": args.get("sale_form") if args.get("sale_form") in set(SaleForm) else None,
    }


def _bulk_form() -> BulkForm:
    form = BulkForm()
    unchanged = options([("", "— bez zmiany —")])
    form.ids.choices = options((i, i) for i in g.db.scalars(select(Opportunity.id)))
    form.stage_id.choices = unchanged + choices.stage_options_flat()[1:]
    form.owner_id.choices = unchanged + choices.users()
    form.status.choices = unchanged + options(OpportunityStatus.choices())
    return form


def _render_list(bulk: BulkForm, status_code: int = 200):
    f = _filters()
    query = select(Opportunity).order_by(Opportunity.id)
    for name in ("pipeline_id", "stage_id", "owner_id", "status"):
        if f[name] is not None:
            query = query.where(getattr(Opportunity, name) == f[name])
    if f["customer_type"] or f["sale_form"]:  # the pipeline's: whom and how the opportunity is sold to
        query = query.join(Pipeline, Opportunity.pipeline_id == Pipeline.id)
        for name in ("customer_type", "sale_form"):
            if f[name] is not None:
                query = query.where(getattr(Pipeline, name) == f[name])
    rows = list(g.db.scalars(query))
    total = currency.total(rows)
    return render_template(
        "crm/opportunities/list.html",
        opportunities=rows,
        bulk=bulk,
        filters=f,
        total=total,
        pipelines=list(g.db.scalars(select(Pipeline).order_by(Pipeline.name))),
        users=choices.users(),
        statuses=OpportunityStatus,
        customer_types=CustomerType,
        sale_forms=SaleForm,
    ), status_code


@bp.get("/opportunities/")
def opportunity_list():
    """List opportunities filtered by pipeline, stage, status and owner, with bulk edit."""
    return _render_list(_bulk_form())


@bp.post("/opportunities/bulk")
def opportunity_bulk():
    """Change the stage, owner or status of the ticked opportunities (all or nothing)."""
    form = _bulk_form()
    if not form.validate_on_submit():
        refuse(form, None, form_name="edycja zbiorcza", entity_type="opportunity")
        return _render_list(form, 400)
    selected = list(g.db.scalars(select(Opportunity).where(Opportunity.id.in_(form.ids.data)).order_by(Opportunity.id)))
    try:
        notices = svc.bulk_update(
            ctx(),
            selected,
            stage_id=form.stage_id.value(),
            owner_id=form.owner_id.value(),
            status=OpportunityStatus(form.status.data) if form.status.data else None,
            loss_reason=LossReason(form.loss_reason.data) if form.loss_reason.data else None,
            loss_note=form.loss_note.data or "",
        )
    except CrmError as exc:
        refuse(form, exc, form_name="edycja zbiorcza", entity_type="opportunity", flash_unplaced=False)
        flash(exc.message, "danger")
        return _render_list(form, 400)
    g.db.commit()
    flash(f"Zmieniono {len(selected)} szans(e).", "success")
    show_notices(notices)
    return redirect(url_for(".opportunity_list", **{k: v for k, v in _filters().items() if v is not None}))


def _form(opportunity: Opportunity | None) -> OpportunityForm:
    form = OpportunityForm(obj=opportunity)
    form.account_id.choices = choices.accounts(empty=False)
    form.contact_id.choices = choices.contacts()
    form.stage_id.choices = choices.stages()
    form.owner_id.choices = choices.users(empty=True)
    if opportunity is None:  # a new opportunity is always open
        del form.status, form.loss_reason, form.loss_note
    return form


def _values(form: OpportunityForm) -> dict:
    return {
        "name": clean(form.name),
        "account_id": form.account_id.value(),
        "contact_id": form.contact_id.value(),
        "value": form.value.data,
        "currency": Currency(form.currency.data),
        "stage_id": form.stage_id.value(),
        "probability": form.probability.data,
        "expected_close": form.expected_close.data,
        "owner_id": form.owner_id.value(),
    } | (
        {
            "status": form.status.data or None,
            "loss_reason": LossReason(form.loss_reason.data) if form.loss_reason.data else None,
            "loss_note": form.loss_note.data or "",
        }
        if "status" in form
        else {}
    )


@bp.route("/opportunities/new", methods=["GET", "POST"])
def opportunity_new():
    """Create an opportunity (for the company given as ?account_id=, if any)."""
    form = _form(None)
    if not form.is_submitted():
        form.owner_id.data = str(ctx().me_id or "")
        if request.args.get("account_id", "").isdigit():
            form.account_id.data = request.args["account_id"]
    if form.validate_on_submit():
        try:
            opportunity = svc.create_opportunity(ctx(), _values(form))
        except CrmError as exc:
            refuse(form, exc, form_name="szansa", entity_type="opportunity", account_id=form.account_id.value())
        else:
            g.db.commit()
            flash(f"Utworzono szansę „{opportunity.name}”.", "success")
            return redirect(url_for(".opportunity_detail", opportunity_id=opportunity.id))
    elif form.is_submitted():
        refuse(form, None, form_name="szansa", entity_type="opportunity", account_id=form.account_id.value())
    return render_template("crm/opportunities/form.html", form=form, opportunity=None)


@bp.get("/opportunities/<int:opportunity_id>")
def opportunity_detail(opportunity_id: int):
    """Show an opportunity with its stage history, activities and what its stage requires."""
    opportunity = get_or_404(Opportunity, opportunity_id)
    activities = g.db.scalars(
        select(Activity).where(Activity.opportunity_id == opportunity.id).order_by(Activity.due_date)
    )
    missing = svc.missing_requirements(ctx(), opportunity, [opportunity.stage])
    move = _move_form(opportunity)
    return render_template(
        "crm/opportunities/detail.html",
        opportunity=opportunity,
        activities=list(activities),
        missing=missing,
        move=move,
    )


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
def opportunity_edit(opportunity_id: int):
    """Edit an opportunity, including its stage and status (a lost one needs a reason)."""
    opportunity = get_or_404(Opportunity, opportunity_id)
    form = _form(opportunity)
    if not form.is_submitted() and not opportunity.probability_manual:
        form.probability.data = None
    if form.validate_on_submit():
        try:
            notices = svc.update_opportunity(ctx(), opportunity, _values(form))
        except CrmError as exc:
            refuse(
                form,
                exc,
                form_name="szansa",
                entity_type="opportunity",
                entity_id=opportunity.id,
                account_id=opportunity.account_id,
            )
        else:
            g.db.commit()
            flash("Zapisano zmiany.", "success")
            show_notices(notices)
            return redirect(url_for(".opportunity_detail", opportunity_id=opportunity.id))
    elif form.is_submitted():
        refuse(
            form,
            None,
            form_name="szansa",
            entity_type="opportunity",
            entity_id=opportunity.id,
            account_id=opportunity.account_id,
        )
    return render_template("crm/opportunities/form.html", form=form, opportunity=opportunity)


def _move_form(opportunity: Opportunity) -> MoveForm:
    form = MoveForm()
    targets = [(f"stage:{s.id}", f"Etap: {s.name}") for s in opportunity.pipeline.stages]
    form.target.choices = options([("", "— wybierz —"), *targets, ("won", "Wygrana"), ("lost", "Przegrana")])
    return form


@bp.get("/opportunities/board")
def opportunity_board():
    """Show open opportunities of one pipeline as a kanban board with the value per stage."""
    pipelines = list(g.db.scalars(select(Pipeline).order_by(Pipeline.id)))
    wanted = request.args.get("pipeline_id", type=record_id)
    pipeline = next((p for p in pipelines if p.id == wanted), pipelines[0] if pipelines else None)
    columns = []
    if pipeline is not None:
        rows = list(
            g.db.scalars(
                select(Opportunity)
                .where(Opportunity.pipeline_id == pipeline.id, Opportunity.status == OpportunityStatus.OPEN)
                .order_by(Opportunity.expected_close, Opportunity.id)
            )
        )
        for stage in pipeline.stages:
            cards = [o for o in rows if o.stage_id == stage.id]
            columns.append(
                {
                    "stage": stage,
                    "cards": [(o, _move_form(o)) for o in cards],
                    "total": currency.total(cards),
                }
            )
    return render_template("crm/opportunities/board.html", pipelines=pipelines, pipeline=pipeline, columns=columns)


@bp.post("/opportunities/<int:opportunity_id>/move")
def opportunity_move(opportunity_id: int):
    """Move an opportunity to a stage, or mark it won or lost (a reason is required)."""
    opportunity = get_or_404(Opportunity, opportunity_id)
    form = _move_form(opportunity)
    back = url_for(".opportunity_board", pipeline_id=opportunity.pipeline_id)
    if request.form.get("next") == "detail":
        back = url_for(".opportunity_detail", opportunity_id=opportunity.id)
    if not form.validate_on_submit():
        refuse(
            form,
            None,
            form_name="przeniesienie szansy",
            entity_type="opportunity",
            entity_id=opportunity.id,
            account_id=opportunity.account_id,
        )
        flash("Nie przeniesiono szansy: " + "; ".join(m for ms in form.errors.values() for m in ms), "danger")
        return redirect(back)
    try:
        notices = svc.move_opportunity(
            ctx(),
            opportunity,
            form.target.data,
            loss_reason=LossReason(form.loss_reason.data) if form.loss_reason.data else None,
            loss_note=form.loss_note.data or "",
            via=svc.VIA_BOARD,
        )
    except CrmError as exc:
        refuse(
            form,
            exc,
            form_name="przeniesienie szansy",
            entity_type="opportunity",
            entity_id=opportunity.id,
            account_id=opportunity.account_id,
            flash_unplaced=False,
        )
        flash(f"Nie przeniesiono szansy „{opportunity.name}”: {exc.message}", "danger")
        return redirect(back)
    g.db.commit()
    flash(f"Przeniesiono szansę „{opportunity.name}”.", "success")
    show_notices(notices)
    return redirect(back)
