"""Seed the roles, register fixtures, RODO records, goals, segments and stage task templates of a scenario."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from simulator.crm import validators as v
from simulator.crm.enums import ActivityType, Priority
from simulator.crm.models import (
    Account,
    Consent,
    Contact,
    CrmRole,
    CrmUser,
    GusRecord,
    ProcessingPurpose,
    SalesGoal,
    Segment,
    SegmentMember,
    Stage,
    SubjectRequest,
    TaskTemplate,
    ViesRecord,
)
from simulator.crm.models.goals import GoalMetric
from simulator.crm.models.rodo import ConsentChannel, LegalBasis, RequestKind
from simulator.crm.models.segments import SegmentEntity, SegmentKind
from simulator.crm.services.rodo_deadlines import add_months
from simulator.scenario import Scenario
from simulator.scenario_rules import parse_amount

DEFAULT_ROLES = [
    {
        "key": "admin",
        "name": "Administrator CRM",
        "description": "Konfiguruje system, widzi wszystkie dane osobowe.",
        "visible_fields": ["pesel", "birth_date", "email", "phone"],
        "manage_users": True,
    },
    {
        "key": "kierownik",
        "name": "Kierownik sprzedaży",
        "description": "Nadzoruje zespół; nie widzi numerów PESEL.",
        "visible_fields": ["birth_date", "email", "phone"],
    },
    {
        "key": "handlowiec",
        "name": "Handlowiec",
        "description": "Obsługuje klientów; widzi dane kontaktowe, bez PESEL i daty urodzenia.",
        "visible_fields": ["email", "phone"],
    },
]


def _norm(normalise, value: str | None) -> str:
    return normalise(value) if value else ""


def seed_extensions(
    session: Session,
    scenario: Scenario,
    *,
    users: dict[str, CrmUser],
    accounts: dict[str, Account],
    contacts: dict[str, Contact],
    stages: dict[tuple[str, str], Stage],
    now: datetime,
) -> None:
    """Insert roles (and give users theirs), register fixtures, RODO data, goals, segments and task templates."""
    data, seed = scenario.data, scenario.seed
    roles: dict[str, CrmRole] = {}
    for i, item in enumerate(data.get("roles") or DEFAULT_ROLES, start=1):
        role = CrmRole(id=i, key=item["key"], name=item["name"], description=item.get("description", ""))
        role.fields = item.get("visible_fields", [])
        role.manage_users = bool(item.get("manage_users", False))
        roles[item["key"]] = role
    session.add_all(roles.values())
    for item in data["users"]:
        default = "admin" if item.get("me") else "handlowiec"
        users[item["key"]].role = roles.get(item.get("role", default))
    _registers(session, data.get("registers", {}))
    purposes: dict[str, ProcessingPurpose] = {}
    for i, item in enumerate(seed.get("purposes", []), start=1):
        purposes[item["key"]] = ProcessingPurpose(
            id=i,
            name=item["name"],
            legal_basis=LegalBasis(item["legal_basis"]),
            description=item.get("description", ""),
            retention=item.get("retention", ""),
            marketing=item.get("marketing", False),
            created_at=now,
        )
    session.add_all(purposes.values())
    for i, item in enumerate(seed.get("consents", []), start=1):
        withdrawn = date.fromisoformat(item["withdrawn_on"]) if item.get("withdrawn_on") else None
        session.add(
            Consent(
                id=i,
                contact=contacts[item["contact"]],
                purpose=purposes[item["purpose"]],
                channel=ConsentChannel(item["channel"]),
                source=item["source"],
                given_on=date.fromisoformat(item["given_on"]),
                given_at=now,
                withdrawn_on=withdrawn,
                withdrawn_at=now if withdrawn else None,
                withdrawal_source=item.get("withdrawal_source", ""),
            )
        )
    for i, item in enumerate(seed.get("requests", []), start=1):
        received = date.fromisoformat(item["received_on"])
        session.add(
            SubjectRequest(
                id=i,
                contact=contacts[item["contact"]],
                kind=RequestKind(item["kind"]),
                received_on=received,
                deadline=add_months(received, 1),
                channel=item.get("channel", ""),
                details=item.get("details", ""),
                created_at=now,
            )
        )
    _goals(session, scenario, users, stages, now)
    _segments(session, seed, users, accounts, contacts, now=now)
    _task_templates(session, seed, stages, now)


def _registers(session: Session, registers: dict) -> None:
    for i, item in enumerate(registers.get("gus", []), start=1):
        session.add(
            GusRecord(
                id=i,
                nip=_norm(v.normalise_nip, item.get("nip")),
                regon=_norm(v.normalise_regon, item.get("regon")),
                krs=_norm(v.normalise_krs, item.get("krs")),
                legal_form=item.get("legal_form", ""),
                name=item["name"],
                street=item.get("street", ""),
                postal_code=_norm(v.normalise_postal_code, item.get("postal_code")),
                city=item.get("city", ""),
                voivodeship=item.get("voivodeship", ""),
                pkd=_norm(v.normalise_pkd, item.get("pkd")),
                unit_type=item.get("unit_type", "P"),
                status=item.get("status", "aktywny"),
                end_date=item.get("end_date", ""),
                parent_regon=_norm(v.normalise_regon, item.get("parent_regon")),
            )
        )
    for i, item in enumerate(registers.get("vies", []), start=1):
        session.add(
            ViesRecord(
                id=i,
                nip=v.normalise_nip(item["nip"]),
                valid=item["valid"],
                name=item.get("name", ""),
                address=item.get("address", ""),
            )
        )


def _goals(session: Session, scenario: Scenario, users: dict, stages: dict, now: datetime) -> None:
    pipelines = {key[0]: stage.pipeline for key, stage in stages.items()}
    for i, item in enumerate(scenario.seed.get("goals", []), start=1):
        session.add(
            SalesGoal(
                id=i,
                name=item["name"],
                metric=GoalMetric(item["metric"]),
                target=parse_amount(item["target"]),
                baseline=parse_amount(item.get("baseline", 0)) or Decimal(0),
                period_from=date.fromisoformat(item["period_from"]),
                period_to=date.fromisoformat(item["period_to"]),
                owner=users[item["owner"]],
                pipeline=pipelines.get(item.get("pipeline", "")),
                relevance=item.get("relevance", ""),
                created_at=now,
                updated_at=now,
            )
        )


def _segments(session: Session, seed: dict, users: dict, accounts: dict, contacts: dict, *, now: datetime) -> None:
    for i, item in enumerate(seed.get("segments", []), start=1):
        entity = SegmentEntity(item["entity"])
        segment = Segment(
            id=i,
            name=item["name"],
            description=item.get("description", ""),
            kind=SegmentKind(item["kind"]),
            entity=entity,
            owner=users[item["owner"]],
            created_at=now,
            updated_at=now,
        )
        segment.conditions = [
            {"field": c["field"], "op": c["op"], "value": c.get("value", "")} for c in item.get("conditions", [])
        ]
        for key in item.get("members", []):
            if entity == SegmentEntity.ACCOUNT:
                segment.members.append(SegmentMember(account=accounts[key], added_at=now))
            else:
                segment.members.append(SegmentMember(contact=contacts[key], added_at=now))
        session.add(segment)


def _task_templates(session: Session, seed: dict, stages: dict, now: datetime) -> None:
    template_id = 0
    for pipeline in seed.get("pipelines", []):
        for stage_item in pipeline["stages"]:
            for item in stage_item.get("tasks", []):
                template_id += 1
                session.add(
                    TaskTemplate(
                        id=template_id,
                        stage=stages[pipeline["key"], stage_item["key"]],
                        type=ActivityType(item["type"]),
                        subject=item["subject"],
                        offset_days=item["offset_days"],
                        priority=Priority(item.get("priority", "normalny")),
                        description=item.get("description", ""),
                        created_at=now,
                    )
                )
