"""Pipelines (whom, what and how they sell) and their stages: create, edit, find, reorder, remove unused stages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from simulator.crm.enums import CustomerType, SaleForm
from simulator.crm.models import Activity, Opportunity, Pipeline, Stage, StageHistory
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record, snapshot

TEXT_FIELDS = ("name", "product_line", "description")
PIPELINE_FIELDS = (*TEXT_FIELDS, "customer_type", "sale_form")
FIELD_LABELS = {
    "name": "nazwa",
    "customer_type": "typ klienta",
    "sale_form": "forma sprzedaży",
    "product_line": "produkt / linia produktów",
    "description": "opis",
}


def _pipeline_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the pipeline fields among ``values`` (texts trimmed; a field left out is left as it is)."""
    found = {k: values[k] for k in PIPELINE_FIELDS if k in values}
    return {k: (v or "").strip() if k in TEXT_FIELDS else v for k, v in found.items()}


def create_pipeline(ctx: Ctx, values: Mapping[str, Any]) -> Pipeline:
    """Create an empty pipeline (stages are added next) with its customer type, form of sale and product line."""
    pipeline = Pipeline(**_pipeline_values(values), created_at=ctx.now)
    ctx.session.add(pipeline)
    ctx.session.flush()
    record(
        ctx,
        "pipeline.created",
        entity_type="pipeline",
        entity_id=pipeline.id,
        summary=f"Utworzono lejek „{pipeline.name}”" + (f" ({pipeline.profile})" if pipeline.profile else ""),
        after=snapshot(pipeline),
    )
    return pipeline


def update_pipeline(ctx: Ctx, pipeline: Pipeline, values: Mapping[str, Any]) -> bool:
    """Rename a pipeline or change whom, what and how it sells; return whether anything changed."""
    before, after = apply_changes(pipeline, _pipeline_values(values))
    if after:
        record(
            ctx,
            "pipeline.updated",
            entity_type="pipeline",
            entity_id=pipeline.id,
            summary=f"Zmieniono lejek „{pipeline.name}”: " + ", ".join(FIELD_LABELS[k] for k in after),
            before=before,
            after=after,
        )
    return bool(after)


def find_pipelines(
    ctx: Ctx,
    *,
    customer_type: CustomerType | None = None,
    sale_form: SaleForm | None = None,
    product_line: str = "",
) -> list[Pipeline]:
    """Return the pipelines of this customer type, form of sale and product line (a fragment, any case), by name."""
    query = select(Pipeline).order_by(Pipeline.name)
    if customer_type is not None:
        query = query.where(Pipeline.customer_type == customer_type)
    if sale_form is not None:
        query = query.where(Pipeline.sale_form == sale_form)
    rows = list(ctx.session.scalars(query))
    wanted = product_line.strip().casefold()
    # in Python: SQLite's lower() folds only ASCII, and a CRM has a handful of pipelines
    return [p for p in rows if wanted in (p.product_line or "").casefold()] if wanted else rows


def _stage_values(stage: Stage) -> dict:
    return {"name": stage.name, "probability": stage.probability, "required": [t.value for t in stage.required_types]}


def add_stage(ctx: Ctx, pipeline: Pipeline, name: str, probability: int, required: list[str]) -> Stage:
    """Append a stage at the end of a pipeline."""
    position = (ctx.session.scalar(select(func.max(Stage.position)).where(Stage.pipeline_id == pipeline.id)) or 0) + 1
    stage = Stage(pipeline=pipeline, name=name.strip(), position=position, probability=probability)
    stage.required_types = required
    ctx.session.add(stage)
    ctx.session.flush()
    record(
        ctx,
        "stage.created",
        entity_type="stage",
        entity_id=stage.id,
        summary=f"Dodano etap „{stage.name}” ({position}.) do lejka „{pipeline.name}”",
        after={"pipeline_id": pipeline.id, "position": position, **_stage_values(stage)},
    )
    return stage


def update_stage(ctx: Ctx, stage: Stage, name: str, probability: int, required: list[str]) -> bool:
    """Change a stage's name, default probability or required activities (open opportunities keep theirs)."""
    old = _stage_values(stage)
    stage.name, stage.probability = name.strip(), probability
    stage.required_types = required
    new = _stage_values(stage)
    before = {k: old[k] for k in old if old[k] != new[k]}
    if not before:
        return False
    record(
        ctx,
        "stage.updated",
        entity_type="stage",
        entity_id=stage.id,
        summary=f"Zmieniono etap „{stage.name}” lejka „{stage.pipeline.name}”",
        before=before,
        after={k: new[k] for k in before},
    )
    return True


def move_stage(ctx: Ctx, stage: Stage, direction: str) -> bool:
    """Swap a stage with its neighbour ("up" or "down"); return whether it moved."""
    if direction not in ("up", "down"):
        raise CrmError("Nieznany kierunek przesunięcia etapu.")
    stages = list(stage.pipeline.stages)
    index = stages.index(stage)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(stages):
        return False
    other = stages[other_index]
    stage.position, other.position = other.position, stage.position
    ctx.session.flush()
    record(
        ctx,
        "stage.moved",
        entity_type="stage",
        entity_id=stage.id,
        summary=f"Przesunięto etap „{stage.name}” na pozycję {stage.position}.",
        before={"position": other.position},
        after={"position": stage.position},
    )
    ctx.session.expire(stage.pipeline, ["stages"])
    return True


def delete_stage(ctx: Ctx, stage: Stage) -> None:
    """Remove a stage no opportunity, activity or history row refers to; renumber the rest."""
    session = ctx.session
    used = (
        session.scalar(select(func.count()).select_from(Opportunity).where(Opportunity.stage_id == stage.id))
        or session.scalar(select(func.count()).select_from(Activity).where(Activity.stage_id == stage.id))
        or session.scalar(
            select(func.count())
            .select_from(StageHistory)
            .where((StageHistory.to_stage_id == stage.id) | (StageHistory.from_stage_id == stage.id))
        )
    )
    if used:
        raise CrmError(
            f"Etapu „{stage.name}” nie można usunąć: są z nim powiązane szanse, działania lub historia etapów."
        )
    pipeline = stage.pipeline
    before = {"pipeline_id": pipeline.id, "position": stage.position, **_stage_values(stage)}
    session.delete(stage)
    session.flush()
    session.expire(pipeline, ["stages"])
    for position, remaining in enumerate(pipeline.stages, start=1):
        remaining.position = position
    record(
        ctx,
        "stage.deleted",
        entity_type="stage",
        entity_id=stage.id,
        summary=f"Usunięto etap „{stage.name}” z lejka „{pipeline.name}”",
        before=before,
    )
