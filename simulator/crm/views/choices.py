"""Select options filled from the instance's records."""

from __future__ import annotations

from flask import g
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from simulator.crm.forms.fields import EMPTY, options
from simulator.crm.models import Account, Contact, CrmUser, Opportunity, Pipeline, Stage


def users(*, empty: bool = False) -> list[SelectChoice]:
    rows = g.db.scalars(select(CrmUser).order_by(CrmUser.is_me.desc(), CrmUser.full_name))
    return [*([EMPTY] if empty else []), *options((u.id, u.full_name) for u in rows)]


def accounts(*, empty: bool = True) -> list[SelectChoice]:
    rows = g.db.execute(select(Account.id, Account.name).order_by(Account.name))
    return [EMPTY if empty else SelectChoice("", "— wybierz —"), *options(rows)]


def contacts() -> list[SelectChoice]:
    rows = g.db.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Account.name)
        .outerjoin(Account, Contact.account_id == Account.id)
        .order_by(Contact.last_name, Contact.first_name)
    )
    return [EMPTY, *options((i, f"{f} {last}" + (f" ({a})" if a else "")) for i, f, last, a in rows)]


def opportunities() -> list[SelectChoice]:
    rows = g.db.execute(
        select(Opportunity.id, Opportunity.name, Account.name)
        .join(Account, Opportunity.account_id == Account.id)
        .order_by(Opportunity.name)
    )
    return [EMPTY, *options((i, f"{n} ({a})") for i, n, a in rows)]


def pipeline_label(pipeline: Pipeline) -> str:
    """Return a pipeline's name with whom and how it sells to, so the right pipeline is easy to pick."""
    return f"{pipeline.name} ({pipeline.profile})" if pipeline.profile else pipeline.name


def stages() -> list[SelectChoice]:
    """Return stages grouped by pipeline, each group named with its customer type and form of sale."""
    found = [SelectChoice("", "— wybierz —")]
    for pipeline in g.db.scalars(select(Pipeline).order_by(Pipeline.name)):
        pairs = ((s.id, f"{s.position}. {s.name} ({s.probability}%)") for s in pipeline.stages)
        found += options(pairs, optgroup=pipeline_label(pipeline))
    return found


def stage_options_flat() -> list[SelectChoice]:
    rows = g.db.execute(
        select(Stage.id, Stage.name, Pipeline.name).join(Pipeline).order_by(Pipeline.name, Stage.position)
    )
    return [EMPTY, *options((i, f"{p}: {n}") for i, n, p in rows)]
