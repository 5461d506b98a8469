"""Task templates of pipeline stages: the schedule of work created when an opportunity enters a stage."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from simulator.crm.enums import ActivityStatus, ActivityType, Priority
from simulator.crm.models import Activity, Opportunity, Stage, TaskTemplate
from simulator.crm.services.common import CrmError, Ctx, record, snapshot


def templates_of(ctx: Ctx, stage: Stage) -> list[TaskTemplate]:
    """Return a stage's task templates in schedule order (by offset, then id)."""
    query = select(TaskTemplate).where(TaskTemplate.stage_id == stage.id)
    return list(ctx.session.scalars(query.order_by(TaskTemplate.offset_days, TaskTemplate.id)))


def apply_templates(ctx: Ctx, opportunity: Opportunity, stage: Stage) -> list[str]:
    """Create the tasks of the stage an opportunity has just entered; due = business date + offset."""
    created = []
    for template in templates_of(ctx, stage):
        activity = Activity(
            type=template.type,
            subject=template.subject,
            description=template.description,
            due_date=ctx.business_date + timedelta(days=template.offset_days),
            priority=template.priority,
            status=ActivityStatus.NOT_STARTED,
            percent_complete=0,
            owner_id=opportunity.owner_id,
            account_id=opportunity.account_id,
            contact_id=opportunity.contact_id,
            opportunity_id=opportunity.id,
            stage_id=stage.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(activity)
        ctx.session.flush()
        record(
            ctx,
            "activity.created",
            entity_type="activity",
            entity_id=activity.id,
            account_id=activity.account_id,
            summary=f"Utworzono zadanie z szablonu etapu „{stage.name}”: „{activity.subject}”, "
            f"termin {activity.due_date:%d.%m.%Y}",
            after=snapshot(activity),
            details={"template_id": template.id, "offset_days": template.offset_days, "via": "szablon etapu"},
        )
        created.append(f"„{activity.subject}” ({activity.due_date:%d.%m.%Y})")
    if not created:
        return []
    return [f"Etap „{stage.name}”: utworzono zadania z harmonogramu – " + ", ".join(created) + "."]


def _checked(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    if not values.get("subject"):
        errors["subject"] = ["Podaj temat zadania."]
    offset = values.get("offset_days")
    if offset is None or not 0 <= offset <= 365:
        errors["offset_days"] = ["Podaj liczbę dni od wejścia na etap: od 0 do 365."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)
    return {
        "type": ActivityType(values["type"]),
        "subject": values["subject"],
        "offset_days": offset,
        "priority": Priority(values["priority"]),
        "description": values.get("description", ""),
    }


def add_template(ctx: Ctx, stage: Stage, values: dict) -> TaskTemplate:
    """Add a task template to a stage."""
    template = TaskTemplate(stage_id=stage.id, **_checked(values), created_at=ctx.now)
    ctx.session.add(template)
    ctx.session.flush()
    record(
        ctx,
        "task_template.created",
        entity_type="task_template",
        entity_id=template.id,
        summary=f"Dodano do etapu „{stage.name}” szablon zadania „{template.subject}” "
        f"(termin: {template.offset_days} dni od wejścia na etap)",
        after={"stage_id": stage.id, **snapshot(template, ("type", "subject", "offset_days", "priority"))},
    )
    return template


def delete_template(ctx: Ctx, template: TaskTemplate) -> None:
    """Remove a task template (tasks created from it earlier stay)."""
    before = {"stage_id": template.stage_id, **snapshot(template, ("type", "subject", "offset_days", "priority"))}
    stage_name = template.stage.name
    ctx.session.delete(template)
    ctx.session.flush()
    record(
        ctx,
        "task_template.deleted",
        entity_type="task_template",
        entity_id=template.id,
        summary=f"Usunięto z etapu „{stage_name}” szablon zadania „{template.subject}”",
        before=before,
    )
