"""Sales opportunities: one enforcement point for stage moves, won/lost and probability.

Every path that changes a stage or status (the edit form, the kanban move, the bulk edit) goes through
``_transition``, so the rules hold everywhere:

- a lost opportunity always has a loss reason ("Inny" also needs a note);
- moving forward (or winning) leaves stages, and each stage left needs its required activities done
  (activities of those types, linked to this opportunity and that stage, with status "zakończone");
- a manually set probability is never overwritten by a stage change (the user is told so);
- every change of stage or status adds a row to the stage history.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from simulator.crm.enums import ActivityStatus, Currency, LossReason, OpportunityStatus
from simulator.crm.models import Account, Activity, Contact, CrmUser, Opportunity, Stage, StageHistory
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record, snapshot
from simulator.crm.services.schedule import apply_templates

VIA_CREATE, VIA_FORM, VIA_BOARD, VIA_BULK = "utworzenie", "formularz", "tablica", "edycja zbiorcza"
OPEN, WON, LOST = OpportunityStatus.OPEN, OpportunityStatus.WON, OpportunityStatus.LOST
LOSS_REASON_MISSING = "Podaj powód utraty – szansy nie można oznaczyć jako przegranej bez powodu."


def money(value: Decimal, currency: str | None = None) -> str:
    """Format an amount the Polish way: 12 500,00 zł, or with its currency code: 12 500,00 EUR."""
    unit = "zł" if currency in (None, Currency.PLN) else str(currency)
    return f"{value:,.2f} {unit}".replace(",", " ").replace(".", ",")


def _links(ctx: Ctx, account_id: int | None, contact_id: int | None, owner_id: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if account_id is None or ctx.session.get(Account, account_id) is None:
        errors["account_id"] = ["Wskaż firmę, której dotyczy szansa."]
    if contact_id is not None:
        contact = ctx.session.get(Contact, contact_id)
        if contact is None or contact.account_id != account_id:
            errors["contact_id"] = ["Osoba kontaktowa musi należeć do wybranej firmy."]
    if owner_id is None or ctx.session.get(CrmUser, owner_id) is None:
        errors["owner_id"] = ["Wskaż opiekuna szansy."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)


def _stage(ctx: Ctx, stage_id: int | None) -> Stage:
    stage = ctx.session.get(Stage, stage_id) if stage_id is not None else None
    if stage is None:
        raise CrmError("Wybierz istniejący etap.", {"stage_id": ["Wybierz istniejący etap."]})
    return stage


def missing_requirements(ctx: Ctx, opportunity: Opportunity, stages: list[Stage]) -> list[str]:
    """Return a message for every stage in ``stages`` whose required activities are not done."""
    messages = []
    for stage in stages:
        required = stage.required_types
        if not required:
            continue
        done = set(
            ctx.session.scalars(
                select(Activity.type).where(
                    Activity.opportunity_id == opportunity.id,
                    Activity.stage_id == stage.id,
                    Activity.status == ActivityStatus.DONE,
                )
            )
        )
        missing = [t.label.lower() for t in required if t not in done]
        if missing:
            messages.append(
                f"Nie można opuścić etapu „{stage.name}”: brak zakończonego działania typu "
                f"{', '.join(missing)} powiązanego z tą szansą i tym etapem."
            )
    return messages


def _stages_to_leave(opportunity: Opportunity, target: Stage, status: OpportunityStatus) -> list[Stage]:
    """Return the stages an opportunity leaves on its way to ``target`` (and to won)."""
    current = opportunity.stage
    stages = list(current.pipeline.stages)
    if target.pipeline_id != current.pipeline_id:
        return []
    end = target.position if status != WON else stages[-1].position + 1
    return [s for s in stages if current.position <= s.position < end]


def _check_loss(status: OpportunityStatus, loss_reason: LossReason | None, loss_note: str) -> list[str]:
    """Refuse a lost status without a reason; return a notice when a reason comes with another status."""
    if status == LOST:
        if loss_reason is None:
            raise CrmError(LOSS_REASON_MISSING, {"loss_reason": [LOSS_REASON_MISSING]})
        if loss_reason == LossReason.OTHER and not loss_note.strip():
            message = "Dla powodu „Inny” opisz powód utraty w uwagach."
            raise CrmError(message, {"loss_note": [message]})
        return []
    if loss_reason is not None or loss_note.strip():
        return ["Powód utraty pominięto, bo szansa nie jest oznaczona jako przegrana."]
    return []


def _settle_probability(
    ctx: Ctx, opportunity: Opportunity, stage: Stage, status: OpportunityStatus, stage_changed: bool
) -> list[str]:
    """Set the probability for the new stage/status; a manual value survives a stage change."""
    previous = opportunity.status
    if status != OPEN:
        if previous == status:
            return []
        opportunity.probability, opportunity.probability_manual = (100 if status == WON else 0), False
        opportunity.closed_on = ctx.business_date
        return [f"Prawdopodobieństwo ustawiono na {opportunity.probability}% (szansa zamknięta)."]
    opportunity.closed_on = None
    if previous != OPEN or not opportunity.probability_manual:
        opportunity.probability, opportunity.probability_manual = stage.probability, False
        return []
    if stage_changed and opportunity.probability != stage.probability:
        return [
            f"Prawdopodobieństwo ustawione ręcznie ({opportunity.probability}%) pozostało bez zmian; "
            f"domyślne dla etapu „{stage.name}” to {stage.probability}%."
        ]
    return []


def _transition(
    ctx: Ctx,
    opportunity: Opportunity,
    *,
    stage: Stage,
    status: OpportunityStatus,
    loss_reason: LossReason | None,
    loss_note: str,
    via: str,
) -> list[str]:
    """Apply a stage and/or status change under every rule; return notices for the user."""
    if stage.pipeline_id != opportunity.pipeline_id and stage.position != 1:
        message = "Szansę można przenieść do innego lejka tylko na jego pierwszy etap."
        raise CrmError(message, {"stage_id": [message]})
    notices = _check_loss(status, loss_reason, loss_note)
    if status != LOST:
        loss_reason, loss_note = None, ""
    from_stage_id, from_status = opportunity.stage_id, opportunity.status
    stage_changed, status_changed = stage.id != from_stage_id, status != from_status
    if stage_changed or (status_changed and status == WON):
        missing = missing_requirements(ctx, opportunity, _stages_to_leave(opportunity, stage, status))
        if missing:
            raise CrmError(" ".join(missing), {"stage_id": missing})
    notices += _settle_probability(ctx, opportunity, stage, status, stage_changed)
    opportunity.pipeline_id = stage.pipeline_id
    opportunity.stage = stage
    opportunity.status, opportunity.loss_reason, opportunity.loss_note = status, loss_reason, loss_note.strip()
    if stage_changed or status_changed:
        opportunity.history.append(
            StageHistory(
                from_stage_id=from_stage_id,
                to_stage=stage,
                from_status=from_status,
                to_status=status,
                probability=opportunity.probability,
                via=via,
                actor_label=ctx.actor.label,
                business_date=ctx.business_date,
                changed_at=ctx.now,
            )
        )
    if stage_changed and status == OPEN:
        notices += apply_templates(ctx, opportunity, stage)
    return notices


def _log_change(ctx: Ctx, opportunity: Opportunity, before: dict, after: dict, *, via: str, old_stage: str) -> None:
    if "status" in after:
        action, summary = {
            WON: ("opportunity.won", f"Oznaczono szansę „{opportunity.name}” jako wygraną"),
            LOST: (
                "opportunity.lost",
                f"Oznaczono szansę „{opportunity.name}” jako przegraną "
                f"(powód: {opportunity.loss_reason.label if opportunity.loss_reason else '—'})",
            ),
            OPEN: ("opportunity.reopened", f"Ponownie otwarto szansę „{opportunity.name}”"),
        }[opportunity.status]
    elif "stage_id" in after:
        action = "opportunity.stage_changed"
        summary = f"Przeniesiono szansę „{opportunity.name}” z etapu „{old_stage}” do „{opportunity.stage.name}”"
    else:
        action, summary = "opportunity.updated", f"Zmieniono szansę „{opportunity.name}”: " + ", ".join(after)
    record(
        ctx,
        action,
        entity_type="opportunity",
        entity_id=opportunity.id,
        account_id=opportunity.account_id,
        summary=summary,
        before=before,
        after=after,
        details={"via": via},
    )


TRACKED = ("stage_id", "pipeline_id", "status", "probability", "probability_manual", "loss_reason", "loss_note")


def create_opportunity(ctx: Ctx, values: dict) -> Opportunity:
    """Create an open opportunity at a stage; the probability comes from the stage unless given."""
    _links(ctx, values["account_id"], values.get("contact_id"), values.get("owner_id"))
    stage = _stage(ctx, values["stage_id"])
    manual = values.get("probability") is not None
    opportunity = Opportunity(
        name=values["name"],
        account_id=values["account_id"],
        contact_id=values.get("contact_id"),
        value=values["value"],
        currency=values.get("currency", Currency.PLN),
        pipeline_id=stage.pipeline_id,
        stage=stage,
        probability=values["probability"] if manual else stage.probability,
        probability_manual=manual,
        expected_close=values.get("expected_close"),
        owner_id=values["owner_id"],
        status=OPEN,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(opportunity)
    opportunity.history.append(
        StageHistory(
            to_stage=stage,
            to_status=OPEN,
            probability=opportunity.probability,
            via=VIA_CREATE,
            actor_label=ctx.actor.label,
            business_date=ctx.business_date,
            changed_at=ctx.now,
        )
    )
    ctx.session.flush()
    record(
        ctx,
        "opportunity.created",
        entity_type="opportunity",
        entity_id=opportunity.id,
        account_id=opportunity.account_id,
        summary=f"Utworzono szansę „{opportunity.name}” "
        f"({money(opportunity.value, opportunity.currency)}, etap „{stage.name}”)",
        after=snapshot(opportunity),
    )
    apply_templates(ctx, opportunity, stage)
    return opportunity


def update_opportunity(ctx: Ctx, opportunity: Opportunity, values: dict, via: str = VIA_FORM) -> list[str]:
    """Apply the edit form: plain fields, then stage/status through the rules, then the probability."""
    _links(ctx, values["account_id"], values.get("contact_id"), values.get("owner_id"))
    old = snapshot(opportunity)
    old_stage = opportunity.stage.name
    plain = {k: values[k] for k in ("name", "account_id", "contact_id", "value", "expected_close", "owner_id")}
    plain["currency"] = values.get("currency", opportunity.currency)
    apply_changes(opportunity, plain)
    status = OpportunityStatus(values["status"]) if values.get("status") else opportunity.status
    notices = _transition(
        ctx,
        opportunity,
        stage=_stage(ctx, values["stage_id"]),
        status=status,
        loss_reason=values.get("loss_reason"),
        loss_note=values.get("loss_note", ""),
        via=via,
    )
    wanted = values.get("probability")
    if opportunity.status == OPEN:
        if wanted is not None:
            opportunity.probability, opportunity.probability_manual = wanted, True
        elif opportunity.probability_manual:
            opportunity.probability, opportunity.probability_manual = opportunity.stage.probability, False
    elif wanted is not None and wanted != opportunity.probability:
        notices.append("Prawdopodobieństwa zamkniętej szansy nie ustawia się ręcznie.")
    new = snapshot(opportunity)
    before = {k: old[k] for k in new if old[k] != new[k] and k != "updated_at"}
    if before:
        opportunity.updated_at = ctx.now
        _log_change(ctx, opportunity, before, {k: new[k] for k in before}, via=via, old_stage=old_stage)
    return notices


def move_opportunity(
    ctx: Ctx, opportunity: Opportunity, target: str, *, loss_reason: LossReason | None, loss_note: str, via: str
) -> list[str]:
    """Move one opportunity (kanban): to a stage ("stage:<id>"), to "won" or to "lost"."""
    if target in ("won", "lost"):
        stage, status = opportunity.stage, WON if target == "won" else LOST
    elif target.startswith("stage:") and target[6:].isdigit():
        stage, status = _stage(ctx, int(target[6:])), OPEN
    else:
        raise CrmError("Wybierz, dokąd przenieść szansę.", {"target": ["Wybierz, dokąd przenieść szansę."]})
    old, old_stage = snapshot(opportunity, TRACKED), opportunity.stage.name
    notices = _transition(
        ctx, opportunity, stage=stage, status=status, loss_reason=loss_reason, loss_note=loss_note, via=via
    )
    new = snapshot(opportunity, TRACKED)
    before = {k: old[k] for k in new if old[k] != new[k]}
    if before:
        opportunity.updated_at = ctx.now
        _log_change(ctx, opportunity, before, {k: new[k] for k in before}, via=via, old_stage=old_stage)
    return notices


def bulk_update(
    ctx: Ctx,
    opportunities: list[Opportunity],
    *,
    stage_id: int | None,
    owner_id: int | None,
    status: OpportunityStatus | None,
    loss_reason: LossReason | None,
    loss_note: str,
) -> list[str]:
    """Change several opportunities at once; refuse all of them if any one breaks a rule."""
    if not opportunities:
        raise CrmError("Zaznacz co najmniej jedną szansę.", {"ids": ["Zaznacz co najmniej jedną szansę."]})
    if stage_id is None and owner_id is None and status is None:
        raise CrmError("Wybierz, co zmienić: etap, opiekuna lub status.")
    if owner_id is not None and ctx.session.get(CrmUser, owner_id) is None:
        raise CrmError("Wskaż istniejącego opiekuna.", {"owner_id": ["Wskaż istniejącego opiekuna."]})
    stage = _stage(ctx, stage_id) if stage_id is not None else None
    problems, notices = [], []
    for opportunity in opportunities:
        old, old_stage = snapshot(opportunity, (*TRACKED, "owner_id")), opportunity.stage.name
        if status is None:  # the status stays: so do its loss reason and note
            reason, note = opportunity.loss_reason, opportunity.loss_note
        else:
            reason, note = loss_reason, loss_note
        try:
            notices += _transition(
                ctx,
                opportunity,
                stage=stage or opportunity.stage,
                status=status or opportunity.status,
                loss_reason=reason,
                loss_note=note,
                via=VIA_BULK,
            )
        except CrmError as exc:
            problems.append(f"„{opportunity.name}”: {exc.message}")
            continue
        if owner_id is not None:
            opportunity.owner_id = owner_id
        new = snapshot(opportunity, (*TRACKED, "owner_id"))
        before = {k: old[k] for k in new if old[k] != new[k]}
        if before:
            opportunity.updated_at = ctx.now
            _log_change(ctx, opportunity, before, {k: new[k] for k in before}, via=VIA_BULK, old_stage=old_stage)
    if problems:
        field = "loss_reason" if status == LOST and loss_reason is None else "ids"
        raise CrmError("Nie zmieniono żadnej szansy. " + " ".join(problems), {field: problems})
    return sorted(set(notices))
