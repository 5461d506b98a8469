"""SMART sales goals: list with computed progress, create and edit with the SMART check-list, detail."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import select

from simulator.crm.forms.fields import options
from simulator.crm.forms.goals import GoalForm
from simulator.crm.models import Pipeline, SalesGoal
from simulator.crm.services import goals as svc
from simulator.crm.services.common import CrmError
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse


@bp.get("/goals/")
def goal_list():
    """List goals with progress computed from the instance's data."""
    goals = list(g.db.scalars(select(SalesGoal).order_by(SalesGoal.period_to, SalesGoal.id)))
    return render_template("crm/goals/list.html", goals=[(goal, svc.progress(ctx(), goal)) for goal in goals])


def _form(goal: SalesGoal | None) -> GoalForm:
    form = GoalForm(obj=goal)
    form.owner_id.choices = choices.users(empty=True)
    pipelines = g.db.execute(select(Pipeline.id, Pipeline.name).order_by(Pipeline.name))
    form.pipeline_id.choices = [choices.EMPTY, *options(pipelines)]
    if goal is not None and not form.is_submitted():
        form.metric.data = goal.metric.value
    return form


def _save(form: GoalForm, goal: SalesGoal | None):
    if form.validate_on_submit():
        try:
            if goal is None:
                goal = svc.create_goal(ctx(), form.values())
                message = f"Utworzono cel „{goal.name}”."
            else:
                message = "Zapisano zmiany." if svc.update_goal(ctx(), goal, form.values()) else "Nic nie zmieniono."
        except CrmError as exc:
            refuse(form, exc, form_name="cel SMART", entity_type="goal", entity_id=goal and goal.id)
        else:
            g.db.commit()
            flash(message, "success")
            return redirect(url_for(".goal_detail", goal_id=goal.id))
    elif form.is_submitted():
        refuse(form, None, form_name="cel SMART", entity_type="goal", entity_id=goal and goal.id)
    return None


def _page(form: GoalForm, goal: SalesGoal | None):
    checklist = svc.smart_checklist(form.values()) if form.is_submitted() or goal else svc.smart_checklist({})
    return render_template("crm/goals/form.html", form=form, goal=goal, checklist=checklist)


@bp.route("/goals/new", methods=["GET", "POST"])
def goal_new():
    """Set a SMART goal: metric, target, period, owner, baseline; vague goals are refused."""
    form = _form(None)
    if not form.is_submitted():
        form.owner_id.data = str(ctx().me_id or "")
    return _save(form, None) or _page(form, None)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
def goal_edit(goal_id: int):
    """Change a goal under the same SMART rules."""
    goal = get_or_404(SalesGoal, goal_id)
    form = _form(goal)
    return _save(form, goal) or _page(form, goal)


@bp.get("/goals/<int:goal_id>")
def goal_detail(goal_id: int):
    """Show a goal, its SMART check-list and its progress on the business date."""
    goal = get_or_404(SalesGoal, goal_id)
    values = {
        "name": goal.name,
        "metric": goal.metric,
        "target": goal.target,
        "baseline": goal.baseline,
        "period_from": goal.period_from,
        "period_to": goal.period_to,
        "relevance": goal.relevance,
    }
    return render_template(
        "crm/goals/detail.html", goal=goal, progress=svc.progress(ctx(), goal), checklist=svc.smart_checklist(values)
    )
