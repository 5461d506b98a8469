"""The start page of an instance (pulpit)."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import func, select

from simulator.crm.enums import ActivityStatus, OpportunityStatus
from simulator.crm.models import Account, Activity, Contact, InstanceMeta, Opportunity, Product
from simulator.crm.services import currency
from simulator.crm.views.context import bp, ctx

TO_DO = (ActivityStatus.NOT_STARTED, ActivityStatus.IN_PROGRESS)


def _count(model, *conditions) -> int:
    return g.db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


@bp.get("/")
def home():
    """Show the candidate's tasks due by the business date and what the database holds."""
    c = ctx()
    meta = dict(g.db.execute(select(InstanceMeta.key, InstanceMeta.value)).all())
    due = g.db.scalars(
        select(Activity)
        .where(Activity.owner_id == c.me_id, Activity.due_date <= c.business_date, Activity.status.in_(TO_DO))
        .order_by(Activity.due_date, Activity.due_time)
    )
    is_open = Opportunity.status == OpportunityStatus.OPEN
    open_total = currency.total(g.db.scalars(select(Opportunity).where(is_open)))
    counts = {
        "Firmy": _count(Account),
        "Osoby": _count(Contact),
        "Produkty i usługi": _count(Product),
        "Otwarte szanse": _count(Opportunity, is_open),
    }
    return render_template("crm/home.html", meta=meta, due=list(due), counts=counts, open_total=open_total)
