"""SMART sales goals: validation that refuses vague goals, and progress computed from the instance's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from simulator.crm.enums import ActivityStatus, ActivityType, OpportunityStatus
from simulator.crm.models import Activity, CrmUser, Opportunity, Pipeline, SalesGoal
from simulator.crm.models.goals import GoalMetric
from simulator.crm.services import currency
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record, snapshot
from simulator.crm.services.currency import Total

SMART = (
    ("specific", "Konkretny (Specific)", "nazwa mówi, czego dotyczy cel, a miara jest wskazana"),
    ("measurable", "Mierzalny (Measurable)", "miara liczona z danych CRM i wartość docelowa"),
    ("achievable", "Osiągalny (Achievable)", "punkt odniesienia (baza) podany, cel nie wyższy niż trzykrotność bazy"),
    ("relevant", "Istotny (Relevant)", "opisane, jak cel wspiera cele firmy"),
    ("time_bound", "Określony w czasie (Time-bound)", "okres od–do z terminem końcowym"),
)
MIN_NAME = 10


@dataclass(frozen=True)
class Progress:
    """The computed state of a goal on the business date."""

    achieved: Decimal
    target: Decimal
    baseline: Decimal
    percent: int
    days_total: int
    days_passed: int
    expected_percent: int
    note: str = ""  # the won opportunities in other currencies a value goal left out

    @property
    def on_track(self) -> bool:
        return self.percent >= self.expected_percent


def _period_filter(column, start: date, end: date):
    return column.between(start, end)


def _won(owner_id: int, start: date, end: date, pipeline_id: int | None) -> list:
    won = [
        Opportunity.status == OpportunityStatus.WON,
        Opportunity.owner_id == owner_id,
        _period_filter(Opportunity.closed_on, start, end),
    ]
    if pipeline_id is not None:
        won.append(Opportunity.pipeline_id == pipeline_id)
    return won


def won_total(ctx: Ctx, owner_id: int, start: date, end: date, *, pipeline_id: int | None = None) -> Total:
    """Return the PLN value of an owner's opportunities won in a period (others are left out, not converted)."""
    return currency.total(ctx.session.scalars(select(Opportunity).where(*_won(owner_id, start, end, pipeline_id))))


def measure(
    ctx: Ctx, metric: GoalMetric, owner_id: int, start: date, end: date, *, pipeline_id: int | None = None
) -> Decimal:
    """Return the value of a metric for an owner in a period, computed from the data."""
    session = ctx.session
    won = _won(owner_id, start, end, pipeline_id)
    if metric == GoalMetric.WON_VALUE:
        return won_total(ctx, owner_id, start, end, pipeline_id=pipeline_id).value
    if metric == GoalMetric.WON_COUNT:
        return Decimal(session.scalar(select(func.count()).select_from(Opportunity).where(*won)) or 0)
    if metric == GoalMetric.NEW_CUSTOMERS:
        firsts = (
            select(Opportunity.account_id, func.min(Opportunity.closed_on).label("first_win"))
            .where(Opportunity.status == OpportunityStatus.WON)
            .group_by(Opportunity.account_id)
            .subquery()
        )
        accounts = set(session.scalars(select(Opportunity.account_id).where(*won)))
        new = session.scalars(select(firsts.c.account_id).where(firsts.c.first_win.between(start, end)))
        return Decimal(len(accounts & set(new)))
    kind = ActivityType.MEETING if metric == GoalMetric.MEETINGS else ActivityType.CALL
    done = (
        select(func.count())
        .select_from(Activity)
        .where(
            Activity.type == kind,
            Activity.status == ActivityStatus.DONE,
            Activity.owner_id == owner_id,
            _period_filter(Activity.completed_on, start, end),
        )
    )
    return Decimal(session.scalar(done) or 0)


def progress(ctx: Ctx, goal: SalesGoal) -> Progress:
    """Return a goal's progress on the business date (achieved / target and where it should be by now)."""
    achieved = measure(ctx, goal.metric, goal.owner_id, goal.period_from, goal.period_to, pipeline_id=goal.pipeline_id)
    note = ""
    if goal.metric == GoalMetric.WON_VALUE:
        note = won_total(ctx, goal.owner_id, goal.period_from, goal.period_to, pipeline_id=goal.pipeline_id).note
    total = (goal.period_to - goal.period_from).days + 1
    passed = min(max((ctx.business_date - goal.period_from).days + 1, 0), total)
    return Progress(
        achieved=achieved,
        target=goal.target,
        baseline=goal.baseline,
        percent=int(achieved * 100 / goal.target) if goal.target else 0,
        days_total=total,
        days_passed=passed,
        expected_percent=round(passed * 100 / total),
        note=note,
    )


def smart_checklist(values: dict) -> list[tuple[str, str, bool]]:
    """Return (label, explanation, met) for each SMART property of goal values."""
    target, baseline = values.get("target"), values.get("baseline") or Decimal(0)
    met = {
        "specific": len((values.get("name") or "").strip()) >= MIN_NAME and values.get("metric") is not None,
        "measurable": values.get("metric") is not None and target is not None and target > 0,
        "achievable": baseline > 0 and target is not None and target <= baseline * 3,
        "relevant": bool((values.get("relevance") or "").strip()),
        "time_bound": values.get("period_from") is not None and values.get("period_to") is not None,
    }
    return [(label, explanation, met[key]) for key, label, explanation in SMART]


def _validate(ctx: Ctx, values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    if len((values.get("name") or "").strip()) < MIN_NAME:
        errors["name"] = [
            f"Nazwij cel konkretnie (co najmniej {MIN_NAME} znaków), np. „Wartość wygranych szans B2B – II kw.”."
        ]
    if values.get("metric") is None:
        errors["metric"] = ["Wybierz mierzalną miarę – cel bez miary nie jest mierzalny."]
    if values.get("target") is None or values["target"] <= 0:
        errors["target"] = ["Podaj wartość docelową większą od zera."]
    elif (
        values.get("metric") is not None
        and not GoalMetric(values["metric"]).is_money
        and values["target"] != values["target"].to_integral_value()
    ):
        errors["target"] = ["Dla tej miary wartość docelowa jest liczbą całkowitą."]
    if values.get("period_from") is None:
        errors["period_from"] = ["Podaj początek okresu."]
    if values.get("period_to") is None:
        errors["period_to"] = ["Podaj termin – cel musi być określony w czasie."]
    elif values.get("period_from") and values["period_to"] < values["period_from"]:
        errors["period_to"] = ["Termin końcowy nie może być wcześniejszy niż początek okresu."]
    if values.get("owner_id") is None or ctx.session.get(CrmUser, values["owner_id"]) is None:
        errors["owner_id"] = ["Wskaż osobę odpowiedzialną za cel."]
    if values.get("pipeline_id") is not None and ctx.session.get(Pipeline, values["pipeline_id"]) is None:
        errors["pipeline_id"] = ["Wybrany lejek nie istnieje."]
    if errors:
        raise CrmError("Cel nie spełnia zasady SMART: " + " ".join(m for ms in errors.values() for m in ms), errors)
    return {**values, "metric": GoalMetric(values["metric"]), "baseline": values.get("baseline") or Decimal(0)}


def create_goal(ctx: Ctx, values: dict) -> SalesGoal:
    """Create a goal; refuse one without a measurable metric, a target or a deadline."""
    clean = _validate(ctx, values)
    goal = SalesGoal(**clean, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(goal)
    ctx.session.flush()
    record(
        ctx,
        "goal.created",
        entity_type="goal",
        entity_id=goal.id,
        summary=f"Utworzono cel „{goal.name}” ({goal.metric.label}: {goal.target}, "
        f"{goal.period_from:%d.%m.%Y}–{goal.period_to:%d.%m.%Y})",
        after=snapshot(goal),
    )
    return goal


def update_goal(ctx: Ctx, goal: SalesGoal, values: dict) -> bool:
    """Change a goal under the same SMART rules; return whether anything changed."""
    before, after = apply_changes(goal, _validate(ctx, values))
    if not after:
        return False
    goal.updated_at = ctx.now
    record(
        ctx,
        "goal.updated",
        entity_type="goal",
        entity_id=goal.id,
        summary=f"Zmieniono cel „{goal.name}”: " + ", ".join(after),
        before=before,
        after=after,
    )
    return True
