"""The schedule of stage tasks (harmonogram) per pipeline and the calendar of activities (month or week)."""

from __future__ import annotations

import calendar as cal
from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.forms.fields import options
from simulator.crm.forms.goals import TaskTemplateForm
from simulator.crm.forms.sales import ActionForm
from simulator.crm.models import Activity, CrmUser, Pipeline, Stage, TaskTemplate
from simulator.crm.services import schedule as svc
from simulator.crm.services.common import CrmError
from simulator.crm.validators import record_id
from simulator.crm.views.context import bp, ctx, get_or_404
from simulator.crm.views.feedback import refuse_and_tell

MONTHS = ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
          "październik", "listopad", "grudzień")  # fmt: skip
WEEKDAYS = ("pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz.")


def _template_form(pipeline: Pipeline) -> TaskTemplateForm:
    form = TaskTemplateForm()
    form.stage_id.choices = options((s.id, f"{s.position}. {s.name}") for s in pipeline.stages)
    return form


@bp.get("/pipelines/<int:pipeline_id>/schedule")
def pipeline_schedule(pipeline_id: int):
    """Show each stage's task templates with their due offsets, and a form to add one."""
    pipeline = get_or_404(Pipeline, pipeline_id)
    rows = [(stage, svc.templates_of(ctx(), stage)) for stage in pipeline.stages]
    return render_template(
        "crm/schedule/pipeline.html", pipeline=pipeline, rows=rows, form=_template_form(pipeline), action=ActionForm()
    )


@bp.post("/pipelines/<int:pipeline_id>/schedule")
def pipeline_schedule_add(pipeline_id: int):
    """Add a task template to a stage of the pipeline."""
    pipeline = get_or_404(Pipeline, pipeline_id)
    form = _template_form(pipeline)
    if form.validate_on_submit():
        stage = g.db.get(Stage, form.stage_id.value()) if form.stage_id.value() else None
        try:
            if stage is None or stage.pipeline_id != pipeline.id:
                raise CrmError("Wybierz etap tego lejka.", {"stage_id": ["Wybierz etap tego lejka."]})
            template = svc.add_template(ctx(), stage, form.values())
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="szablon zadania", entity_type="task_template")
        else:
            g.db.commit()
            flash(f"Dodano do etapu „{stage.name}” zadanie „{template.subject}”.", "success")
    else:
        refuse_and_tell(form, None, form_name="szablon zadania", entity_type="task_template")
    return redirect(url_for(".pipeline_schedule", pipeline_id=pipeline.id))


@bp.post("/task-templates/<int:task_template_id>/delete")
def task_template_delete(task_template_id: int):
    """Remove a task template (tasks created from it earlier stay)."""
    template = get_or_404(TaskTemplate, task_template_id)
    pipeline_id = template.stage.pipeline_id
    form = ActionForm()
    if form.validate_on_submit():
        svc.delete_template(ctx(), template)
        g.db.commit()
        flash("Usunięto szablon zadania.", "success")
    else:
        refuse_and_tell(
            form, None, form_name="usunięcie szablonu zadania", entity_type="task_template", entity_id=template.id
        )
    return redirect(url_for(".pipeline_schedule", pipeline_id=pipeline_id))


def _anchor() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return ctx().business_date


@bp.get("/calendar")
def calendar():
    """Show activities by due date as a month grid or a week, optionally for one owner."""
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = _anchor()
    if view == "month":
        weeks = cal.Calendar(firstweekday=0).monthdatescalendar(anchor.year, anchor.month)
        first = date(anchor.year, anchor.month, 1)
        previous, following = (first - timedelta(days=1)).replace(day=1), first + timedelta(days=32)
        following, title = following.replace(day=1), f"{MONTHS[anchor.month - 1]} {anchor.year}"
    else:
        start = anchor - timedelta(days=anchor.weekday())
        weeks = [[start + timedelta(days=i) for i in range(7)]]
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
        title = f"tydzień {start:%d.%m.%Y} – {start + timedelta(days=6):%d.%m.%Y}"
    owner_id = request.args.get("owner_id", type=record_id)
    query = select(Activity).where(Activity.due_date.between(weeks[0][0], weeks[-1][-1]))
    if owner_id:
        query = query.where(Activity.owner_id == owner_id)
    by_day: dict[date, list[Activity]] = {}
    for activity in g.db.scalars(query.order_by(Activity.due_date, Activity.due_time, Activity.id)):
        by_day.setdefault(activity.due_date, []).append(activity)
    return render_template(
        "crm/schedule/calendar.html",
        view=view,
        weeks=weeks,
        by_day=by_day,
        anchor=anchor,
        title=title,
        previous=previous,
        following=following,
        weekdays=WEEKDAYS,
        owner_id=owner_id,
        users=list(g.db.scalars(select(CrmUser).order_by(CrmUser.full_name))),
    )
