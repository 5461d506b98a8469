"""Activities and tasks: create, update, complete, and the filtered task list."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from simulator.crm.enums import ActivityStatus, Priority
from simulator.crm.models import Account, Activity, Contact, CrmUser, Opportunity, Stage
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record, snapshot

DONE = ActivityStatus.DONE


def _resolve_links(ctx: Ctx, values: dict) -> list[str]:
    """Check that company, person, opportunity and stage fit together; fill the company if implied."""
    session, errors, notices = ctx.session, {}, []
    if values.get("owner_id") is None or session.get(CrmUser, values["owner_id"]) is None:
        errors["owner_id"] = ["Wskaż osobę odpowiedzialną."]
    opportunity = session.get(Opportunity, values["opportunity_id"]) if values.get("opportunity_id") else None
    contact = session.get(Contact, values["contact_id"]) if values.get("contact_id") else None
    if values.get("opportunity_id") and opportunity is None:
        errors["opportunity_id"] = ["Wybrana szansa nie istnieje."]
    if values.get("contact_id") and contact is None:
        errors["contact_id"] = ["Wybrana osoba nie istnieje."]
    if values.get("account_id") is None:
        implied = opportunity.account_id if opportunity else (contact.account_id if contact else None)
        if implied is not None:
            values["account_id"] = implied
            notices.append(
                f"Powiązano z firmą „{session.get(Account, implied).name}” (wynika z wybranej szansy/osoby)."
            )
    elif session.get(Account, values["account_id"]) is None:
        errors["account_id"] = ["Wybrana firma nie istnieje."]
    if opportunity is not None and values.get("account_id") != opportunity.account_id:
        errors["opportunity_id"] = ["Szansa dotyczy innej firmy niż wybrana."]
    if contact is not None and contact.account_id is not None and values.get("account_id") != contact.account_id:
        errors["contact_id"] = ["Osoba należy do innej firmy niż wybrana."]
    if values.get("stage_id") is not None:
        stage = session.get(Stage, values["stage_id"])
        if opportunity is None:
            errors["stage_id"] = ["Etap wskazuje się razem z szansą sprzedaży."]
        elif stage is None or stage.pipeline_id != opportunity.pipeline_id:
            errors["stage_id"] = ["Etap musi należeć do lejka wybranej szansy."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)
    return notices


def _settle_progress(values: dict, business_date: date) -> list[str]:
    """Keep status and % complete consistent: done means 100%, and 100% means done."""
    notices = []
    if values["status"] == DONE and values["percent_complete"] != 100:
        values["percent_complete"] = 100
        notices.append("Działanie zakończone – stopień wykonania ustawiono na 100%.")
    elif values["percent_complete"] == 100 and values["status"] in (
        ActivityStatus.NOT_STARTED,
        ActivityStatus.IN_PROGRESS,
    ):
        values["status"] = DONE
        notices.append("Stopień wykonania 100% – status ustawiono na „zakończone”.")
    values["completed_on"] = business_date if values["status"] == DONE else None
    return notices


def create_activity(ctx: Ctx, values: dict) -> tuple[Activity, list[str]]:
    """Create an activity; return it with the notices to show."""
    notices = _resolve_links(ctx, values) + _settle_progress(values, ctx.business_date)
    activity = Activity(**values, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(activity)
    ctx.session.flush()
    record(
        ctx,
        "activity.created",
        entity_type="activity",
        entity_id=activity.id,
        account_id=activity.account_id,
        summary=f"Dodano działanie ({activity.type.label.lower()}): „{activity.subject}”, "
        f"termin {activity.due_date:%d.%m.%Y}",
        after=snapshot(activity),
    )
    return activity, notices


def update_activity(ctx: Ctx, activity: Activity, values: dict) -> list[str]:
    """Change an activity; return the notices to show."""
    notices = _resolve_links(ctx, values) + _settle_progress(values, ctx.business_date)
    if activity.status == DONE and values["status"] == DONE:
        values["completed_on"] = activity.completed_on
    old_account = activity.account_id
    before, after = apply_changes(activity, values)
    if after:
        activity.updated_at = ctx.now
        action = "activity.completed" if after.get("status") == DONE else "activity.updated"
        record(
            ctx,
            action,
            entity_type="activity",
            entity_id=activity.id,
            account_id=activity.account_id or old_account,
            summary=(
                f"Zakończono działanie „{activity.subject}”"
                if action == "activity.completed"
                else f"Zmieniono działanie „{activity.subject}”: " + ", ".join(after)
            ),
            before=before,
            after=after,
        )
    return notices


def complete_activity(ctx: Ctx, activity: Activity) -> bool:
    """Mark an activity done (100%); return whether it changed."""
    if activity.status == DONE:
        return False
    before, after = apply_changes(
        activity, {"status": DONE, "percent_complete": 100, "completed_on": ctx.business_date}
    )
    activity.updated_at = ctx.now
    record(
        ctx,
        "activity.completed",
        entity_type="activity",
        entity_id=activity.id,
        account_id=activity.account_id,
        summary=f"Zakończono działanie „{activity.subject}”",
        before=before,
        after=after,
    )
    return True


def list_activities(
    ctx: Ctx,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    owner_id: int | None = None,
    priority: Priority | None = None,
    status: str | None = None,
    type_: str | None = None,
) -> list[Activity]:
    """Return activities in a due-date range, by owner, priority, status and type (urgent first within a day)."""
    query = select(Activity)
    if date_from:
        query = query.where(Activity.due_date >= date_from)
    if date_to:
        query = query.where(Activity.due_date <= date_to)
    if owner_id:
        query = query.where(Activity.owner_id == owner_id)
    if priority:
        query = query.where(Activity.priority == priority)
    if status == "open":
        query = query.where(Activity.status.in_([ActivityStatus.NOT_STARTED, ActivityStatus.IN_PROGRESS]))
    elif status:
        query = query.where(Activity.status == ActivityStatus(status))
    if type_:
        query = query.where(Activity.type == type_)
    activities = list(ctx.session.scalars(query))
    activities.sort(key=lambda a: (a.due_date, Priority(a.priority).rank * -1, a.due_time or time.min, a.id))
    return activities
