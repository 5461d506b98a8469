"""Fill a fresh CRM database with a scenario's seed data (done once per scenario, into its template).

Records get explicit ids in the order they are listed, so the per-seed variations can address them by
their position in the scenario file.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from simulator.crm import validators as v
from simulator.crm.enums import (
    AcquisitionMethod,
    ActivityStatus,
    ActivityType,
    CompanySize,
    ContactChannel,
    Currency,
    CustomerType,
    DataSource,
    LegalForm,
    LossReason,
    OpportunityStatus,
    Priority,
    SaleForm,
    VatRate,
    Voivodeship,
)
from simulator.crm.models import (
    Account,
    Activity,
    Contact,
    CrmUser,
    InstanceMeta,
    Opportunity,
    Pipeline,
    Product,
    Stage,
    StageHistory,
)
from simulator.scenario import Scenario
from simulator.scenario_rules import parse_amount
from simulator.seed_ext import seed_extensions
from simulator.seed_offers import seed_offers_and_reports


def _opt(enum, value: str | None):
    return enum(value) if value else None


def _norm(normalise, value: str | None) -> str:
    return normalise(value) if value else ""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def seed_scenario(session: Session, scenario: Scenario, now: datetime) -> None:
    """Insert the scenario's users, seed records and instance settings (the caller commits)."""
    data, seed = scenario.data, scenario.seed
    users: dict[str, CrmUser] = {}
    for i, item in enumerate(data["users"], start=1):
        users[item["key"]] = CrmUser(
            id=i, key=item["key"], full_name=item["name"], email=item.get("email", ""), is_me=item.get("me", False)
        )
    session.add_all(users.values())
    stamp = {"created_at": now, "updated_at": now}
    accounts: dict[str, Account] = {}
    for i, item in enumerate(seed.get("accounts", []), start=1):
        accounts[item["key"]] = Account(
            id=i,
            name=item["name"],
            nip=v.normalise_nip(item["nip"]) if item.get("nip") else None,
            regon=v.normalise_regon(item["regon"]) if item.get("regon") else None,
            krs=v.normalise_krs(item["krs"]) if item.get("krs") else None,
            legal_form=_opt(LegalForm, item.get("legal_form")),
            pesel=v.normalise_pesel(item["pesel"]) if item.get("pesel") else None,
            street=item.get("street", ""),
            postal_code=_norm(v.normalise_postal_code, item.get("postal_code")),
            city=item.get("city", ""),
            voivodeship=_opt(Voivodeship, item.get("voivodeship")),
            pkd=_norm(v.normalise_pkd, item.get("pkd")),
            size=_opt(CompanySize, item.get("size")),
            email=_norm(v.normalise_email, item.get("email")),
            phone=_norm(v.normalise_phone, item.get("phone")),
            website=item.get("website", ""),
            data_source=DataSource(item["data_source"]),
            acquisition_method=_opt(AcquisitionMethod, item.get("acquisition_method")),
            preferred_channel=_opt(ContactChannel, item.get("preferred_channel")),
            owner=users[item["owner"]],
            notes=item.get("notes", ""),
            **stamp,
        )
    session.add_all(accounts.values())
    contacts: dict[str, Contact] = {}
    for i, item in enumerate(seed.get("contacts", []), start=1):
        contacts[item["key"]] = Contact(
            id=i,
            first_name=item["first_name"],
            last_name=item["last_name"],
            account=accounts[item["account"]] if item.get("account") else None,
            position=item.get("position", ""),
            email=_norm(v.normalise_email, item.get("email")),
            phone=_norm(v.normalise_phone, item.get("phone")),
            pesel=v.normalise_pesel(item["pesel"]) if item.get("pesel") else None,
            birth_date=_day(item.get("birth_date")),
            data_source=DataSource(item["data_source"]),
            acquisition_method=_opt(AcquisitionMethod, item.get("acquisition_method")),
            preferred_channel=_opt(ContactChannel, item.get("preferred_channel")),
            notes=item.get("notes", ""),
            **stamp,
        )
    session.add_all(contacts.values())
    for i, item in enumerate(seed.get("products", []), start=1):
        session.add(
            Product(
                id=i,
                code=item.get("code", ""),
                name=item["name"],
                unit=item["unit"],
                net_price=parse_amount(item["net_price"]),
                vat_rate=VatRate(str(item["vat_rate"])),
                description=item.get("description", ""),
                active=item.get("active", True),
                **stamp,
            )
        )
    stages = _pipelines(session, seed, now)
    opportunities = _opportunities(
        session, scenario, accounts=accounts, contacts=contacts, users=users, stages=stages, now=now
    )
    _activities(
        session,
        scenario,
        accounts=accounts,
        contacts=contacts,
        users=users,
        stages=stages,
        opportunities=opportunities,
        now=now,
    )
    seed_extensions(session, scenario, users=users, accounts=accounts, contacts=contacts, stages=stages, now=now)
    session.add_all(
        InstanceMeta(key=key, value=value)
        for key, value in {
            "scenario_id": scenario.id,
            "scenario_title": scenario.title,
            "scenario_digest": scenario.digest,
            "company_name": data.get("company", {}).get("name", ""),
            "business_date": scenario.business_date.isoformat(),
            "instance_id": "",
            "seed": "",
        }.items()
    )
    session.flush()
    seed_offers_and_reports(session, scenario, now)


def _pipelines(session: Session, seed: dict, now: datetime) -> dict[tuple[str, str], Stage]:
    stages: dict[tuple[str, str], Stage] = {}
    stage_id = 0
    for i, item in enumerate(seed.get("pipelines", []), start=1):
        pipeline = Pipeline(
            id=i,
            name=item["name"],
            description=item.get("description", ""),
            customer_type=CustomerType(item["customer_type"]) if item.get("customer_type") else None,
            sale_form=SaleForm(item["sale_form"]) if item.get("sale_form") else None,
            product_line=item.get("product_line", ""),
            created_at=now,
        )
        session.add(pipeline)
        for position, stage_item in enumerate(item["stages"], start=1):
            stage_id += 1
            stage = Stage(
                id=stage_id,
                pipeline=pipeline,
                name=stage_item["name"],
                position=position,
                probability=stage_item["probability"],
            )
            stage.required_types = stage_item.get("required_activities", [])
            stages[item["key"], stage_item["key"]] = stage
    return stages


def _opportunities(session, scenario, *, accounts, contacts, users, stages, now) -> dict[str, Opportunity]:
    opportunities: dict[str, Opportunity] = {}
    for i, item in enumerate(scenario.seed.get("opportunities", []), start=1):
        stage = stages[item["pipeline"], item["stage"]]
        status = OpportunityStatus(item.get("status", "otwarta"))
        manual = "probability" in item
        probability = item["probability"] if manual else stage.probability
        closed_on = None
        if status != OpportunityStatus.OPEN:
            probability, manual = (100 if status == OpportunityStatus.WON else 0), False
            closed_on = _day(item.get("closed_on")) or scenario.business_date
        opportunity = Opportunity(
            id=i,
            name=item["name"],
            account=accounts[item["account"]],
            contact=contacts[item["contact"]] if item.get("contact") else None,
            value=parse_amount(item["value"]),
            currency=Currency(item.get("currency", Currency.PLN)),
            pipeline=stage.pipeline,
            stage=stage,
            probability=probability,
            probability_manual=manual,
            expected_close=_day(item.get("expected_close")),
            owner=users[item["owner"]],
            status=status,
            loss_reason=_opt(LossReason, item.get("loss_reason")),
            loss_note=item.get("loss_note", ""),
            closed_on=closed_on,
            created_at=now,
            updated_at=now,
        )
        opportunity.history.append(
            StageHistory(
                from_stage=None,
                to_stage=stage,
                from_status=None,
                to_status=status,
                probability=probability,
                via="dane początkowe",
                actor_label="system",
                business_date=closed_on or scenario.business_date,
                changed_at=now,
            )
        )
        session.add(opportunity)
        opportunities[item["key"]] = opportunity
    return opportunities


def _activities(session, scenario, *, accounts, contacts, users, stages, opportunities, now) -> None:
    for i, item in enumerate(scenario.seed.get("activities", []), start=1):
        opportunity = opportunities.get(item.get("opportunity", ""))
        account = accounts.get(item.get("account", "")) or (opportunity.account if opportunity else None)
        stage = None
        if opportunity is not None and item.get("stage"):
            pipeline_key = _pipeline_key(scenario, item["opportunity"])
            stage = stages[pipeline_key, item["stage"]]
        status = ActivityStatus(item.get("status", "nierozpoczete"))
        percent = 100 if status == ActivityStatus.DONE else item.get("percent_complete", 0)
        fields: dict[str, Any] = {
            "id": i,
            "type": ActivityType(item["type"]),
            "subject": item["subject"],
            "description": item.get("description", ""),
            "due_date": date.fromisoformat(item["due_date"]),
            "due_time": time.fromisoformat(item["due_time"]) if item.get("due_time") else None,
            "priority": Priority(item.get("priority", "normalny")),
            "status": status,
            "percent_complete": percent,
            "owner": users[item["owner"]],
            "account": account,
            "contact": contacts.get(item.get("contact", "")),
            "opportunity": opportunity,
            "stage": stage,
            "completed_on": date.fromisoformat(item["due_date"]) if status == ActivityStatus.DONE else None,
            "created_at": now,
            "updated_at": now,
        }
        session.add(Activity(**fields))


def _pipeline_key(scenario: Scenario, opportunity_key: str) -> str:
    for item in scenario.seed.get("opportunities", []):
        if item["key"] == opportunity_key:
            return item["pipeline"]
    raise KeyError(opportunity_key)
