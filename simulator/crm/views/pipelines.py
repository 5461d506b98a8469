"""Pipelines and stages (lejki i etapy): list with filters, create, edit, reorder, remove unused stages."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from simulator.crm.enums import CustomerType, OpportunityStatus, SaleForm
from simulator.crm.forms.fields import clean
from simulator.crm.forms.sales import ActionForm, PipelineForm, StageForm
from simulator.crm.models import Opportunity, Pipeline, Stage
from simulator.crm.services import pipelines as svc
from simulator.crm.services.common import CrmError
from simulator.crm.views.context import bp, ctx, get_or_404, refuse


def _enum_arg(name: str, enum):
    value = request.args.get(name, "")
    return enum(value) if value in set(enum) else None  # a value off the list filters nothing


@bp.get("/pipelines/")
def pipeline_list():
    """List pipelines with their stages, filtered by customer type, form of sale and product line."""
    filters = {
        "customer_type": _enum_arg("customer_type", CustomerType),
        "sale_form": _enum_arg("sale_form", SaleForm),
        "product_line": request.args.get("product_line", "").strip(),
    }
    rows = svc.find_pipelines(ctx(), **filters)
    return render_template(
        "crm/pipelines/list.html",
        pipelines=rows,
        filters=filters,
        filtered=any(filters.values()),
        customer_types=CustomerType,
        sale_forms=SaleForm,
    )


@bp.route("/pipelines/new", methods=["GET", "POST"])
def pipeline_new():
    """Create a pipeline."""
    form = PipelineForm()
    if form.validate_on_submit():
        pipeline = svc.create_pipeline(ctx(), form.values())
        g.db.commit()
        flash(f"Utworzono lejek „{pipeline.name}”. Dodaj jego etapy.", "success")
        return redirect(url_for(".pipeline_detail", pipeline_id=pipeline.id))
    if form.is_submitted():
        refuse(form, None, form_name="lejek", entity_type="pipeline")
    return render_template("crm/pipelines/form.html", form=form, pipeline=None)


@bp.get("/pipelines/<int:pipeline_id>")
def pipeline_detail(pipeline_id: int):
    """Show a pipeline's stages in order with their rules and open opportunities."""
    pipeline = get_or_404(Pipeline, pipeline_id)
    counts = dict(
        g.db.execute(
            select(Opportunity.stage_id, func.count())
            .where(Opportunity.pipeline_id == pipeline.id, Opportunity.status == OpportunityStatus.OPEN)
            .group_by(Opportunity.stage_id)
        ).all()
    )
    return render_template("crm/pipelines/detail.html", pipeline=pipeline, counts=counts, action=ActionForm())


@bp.route("/pipelines/<int:pipeline_id>/edit", methods=["GET", "POST"])
def pipeline_edit(pipeline_id: int):
    """Rename or describe a pipeline."""
    pipeline = get_or_404(Pipeline, pipeline_id)
    form = PipelineForm(obj=pipeline)
    if form.validate_on_submit():
        changed = svc.update_pipeline(ctx(), pipeline, form.values())
        g.db.commit()
        flash("Zapisano zmiany." if changed else "Nic nie zmieniono.", "success")
        return redirect(url_for(".pipeline_detail", pipeline_id=pipeline.id))
    if form.is_submitted():
        refuse(form, None, form_name="lejek", entity_type="pipeline", entity_id=pipeline.id)
    return render_template("crm/pipelines/form.html", form=form, pipeline=pipeline)


@bp.route("/pipelines/<int:pipeline_id>/stages/new", methods=["GET", "POST"])
def stage_new(pipeline_id: int):
    """Add a stage at the end of a pipeline."""
    pipeline = get_or_404(Pipeline, pipeline_id)
    form = StageForm()
    if form.validate_on_submit():
        stage = svc.add_stage(
            ctx(), pipeline, clean(form.name), form.probability.data, form.required_activities.data or []
        )
        g.db.commit()
        flash(f"Dodano etap „{stage.name}”.", "success")
        return redirect(url_for(".pipeline_detail", pipeline_id=pipeline.id))
    if form.is_submitted():
        refuse(form, None, form_name="etap", entity_type="stage")
    return render_template("crm/pipelines/stage_form.html", form=form, pipeline=pipeline, stage=None)


def _stage_of(pipeline_id: int, stage_id: int) -> Stage:
    stage = get_or_404(Stage, stage_id)
    if stage.pipeline_id != pipeline_id:
        get_or_404(Stage, -1)  # a stage of another pipeline is not found here
    return stage


@bp.route("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/edit", methods=["GET", "POST"])
def stage_edit(pipeline_id: int, stage_id: int):
    """Edit a stage's name, default probability and required activities."""
    stage = _stage_of(pipeline_id, stage_id)
    form = StageForm(obj=stage)
    if not form.is_submitted():
        form.required_activities.data = [t.value for t in stage.required_types]
    if form.validate_on_submit():
        changed = svc.update_stage(
            ctx(), stage, clean(form.name), form.probability.data, form.required_activities.data or []
        )
        g.db.commit()
        flash("Zapisano zmiany etapu." if changed else "Nic nie zmieniono.", "success")
        return redirect(url_for(".pipeline_detail", pipeline_id=pipeline_id))
    if form.is_submitted():
        refuse(form, None, form_name="etap", entity_type="stage", entity_id=stage.id)
    return render_template("crm/pipelines/stage_form.html", form=form, pipeline=stage.pipeline, stage=stage)


@bp.post("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/move")
def stage_move(pipeline_id: int, stage_id: int):
    """Move a stage one place up or down."""
    stage = _stage_of(pipeline_id, stage_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            moved = svc.move_stage(ctx(), stage, request.form.get("direction", ""))
        except CrmError as exc:
            refuse(form, exc, form_name="kolejność etapów", entity_type="stage", entity_id=stage.id)
        else:
            g.db.commit()
            flash("Zmieniono kolejność etapów." if moved else "Etap już jest na skraju listy.", "info")
    else:
        refuse(form, None, form_name="kolejność etapów", entity_type="stage", entity_id=stage.id)
    return redirect(url_for(".pipeline_detail", pipeline_id=pipeline_id))


@bp.post("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/delete")
def stage_delete(pipeline_id: int, stage_id: int):
    """Remove a stage that nothing refers to."""
    stage = _stage_of(pipeline_id, stage_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            svc.delete_stage(ctx(), stage)
        except CrmError as exc:
            refuse(form, exc, form_name="usunięcie etapu", entity_type="stage", entity_id=stage.id)
        else:
            g.db.commit()
            flash("Usunięto etap.", "success")
    else:
        refuse(form, None, form_name="usunięcie etapu", entity_type="stage", entity_id=stage.id)
    return redirect(url_for(".pipeline_detail", pipeline_id=pipeline_id))
