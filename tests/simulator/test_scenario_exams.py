"""The two parallel exam scenarios: they load, their identifiers are real, their templates build and vary per seed.

Their task drafts (``tasks-draft.md`` beside each scenario) must cover every criterion the qualification
verifies by simulation (method S) and keep the same shape, so either scenario can be given at an exam.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select
from stdnum.pl import nip, pesel, regon

from simulator import api
from simulator.actionlog import Actor
from simulator.crm.enums import ActivityStatus, ActivityType
from simulator.crm.models import CrmUser
from simulator.crm.models.goals import GoalMetric
from simulator.crm.services import goals
from simulator.crm.services.activities import list_activities
from simulator.crm.services.common import Ctx
from simulator.scenario import PROJECT_ROOT, load_scenario
from simulator.storage import store_for
from tests.simulator.conftest import instance_rows

EXAMS = ("egzamin-b2b-it", "egzamin-b2c-ubezpieczenia")
QUALIFICATION = PROJECT_ROOT / "question_bank" / "qualification" / "13881.yaml"
TASK = re.compile(r"^### (z\d\d) – .+$", re.M)
CRITERIA = re.compile(r"^\*\*Kryteria:\*\* (.+)$", re.M)
MINUTES = re.compile(r"^\*\*Czas:\*\* (\d+) min$", re.M)


def _simulation_criteria() -> set[str]:
    data = yaml.safe_load(QUALIFICATION.read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if "S" in (node.get("methods") or []) and str(node.get("code", "")).count(".") == 2:
                found.add(str(node["code"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


@pytest.fixture(params=EXAMS)
def exam(request):
    return load_scenario(request.param)


def test_exam_scenario_has_the_size_the_exam_needs(exam):
    seed = exam.seed
    assert exam.kind == "exam" and exam.business_date.year == 2026
    assert 20 <= len(seed["accounts"]) <= 25 and 22 <= len(seed["contacts"]) <= 28
    assert 10 <= len(seed["products"]) <= 15 and any(p.get("active") is False for p in seed["products"])
    assert len(seed["pipelines"]) == 2
    assert all(5 <= len(p["stages"]) <= 7 for p in seed["pipelines"])
    assert all(any(s.get("tasks") for s in p["stages"]) for p in seed["pipelines"])
    # activities: the work of the business week and a month of the candidate's completed history (the April
    # baseline of task z15's goal)
    assert 12 <= len(seed["opportunities"]) <= 30 and 15 <= len(seed["activities"]) <= 35
    statuses = [o.get("status", "otwarta") for o in seed["opportunities"]]
    assert statuses.count("wygrana") >= 2 and statuses.count("przegrana") >= 2
    assert any("probability" in o for o in seed["opportunities"])  # a manual probability to notice
    assert {p["legal_basis"] for p in seed["purposes"]} >= {"a", "b", "c", "f"}
    assert any(c.get("withdrawn_on") for c in seed["consents"])
    assert 1 <= len(seed["requests"]) <= 2 and 1 <= len(seed["goals"]) <= 2 and 2 <= len(seed["segments"]) <= 3
    assert [u for u in exam.data["users"] if u.get("me")] and 3 <= len(exam.data["users"]) - 1 <= 3


def test_exam_identifiers_have_valid_checksums(exam):
    for account in exam.seed["accounts"]:
        assert not account.get("nip") or nip.is_valid(account["nip"]), account["key"]
        assert not account.get("regon") or regon.is_valid(account["regon"]), account["key"]
    for record in exam.data["registers"]["gus"]:
        assert not record.get("nip") or nip.is_valid(record["nip"]), record["name"]
        assert regon.is_valid(record["regon"]), record["name"]
    people = [c for c in exam.seed["contacts"] if c.get("pesel")]
    assert people
    for person in people:
        assert pesel.is_valid(person["pesel"]), person["key"]
        assert str(pesel.get_birth_date(person["pesel"])) == person["birth_date"], person["key"]
        assert (pesel.get_gender(person["pesel"]) == "F") == (person["sex"] == "K"), person["key"]


def test_exam_registers_hold_every_kind_of_deliberate_mismatch(exam):
    registers, accounts = exam.data["registers"], exam.seed["accounts"]
    crm_nips = {a["nip"] for a in accounts if a.get("nip")}
    crm_regons = {a["regon"] for a in accounts if a.get("regon")}
    gus = registers["gus"]
    assert any(r.get("unit_type") == "LP" and r["regon"] in crm_regons for r in gus)  # a local unit's REGON in CRM
    assert any(r.get("status") == "wykreślony" and r.get("nip") in crm_nips for r in gus)
    assert any(r.get("nip") and r["nip"] not in crm_nips and r.get("unit_type") != "LP" for r in gus)  # to create
    assert any(not v["valid"] and v["nip"] in crm_nips for v in registers["vies"])
    by_nip = {a["nip"]: a for a in accounts if a.get("nip")}
    renamed = [r for r in gus if r.get("nip") in by_nip and by_nip[r["nip"]].get("street")]
    assert any(
        by_nip[r["nip"]]["street"] != r["street"]
        or by_nip[r["nip"]]["name"].split()[0].upper() not in r["name"].upper()
        for r in renamed
    )  # a registered name or address that differs


def test_exam_template_builds_and_each_seed_varies_names_and_amounts(exam, sandbox_root):
    first = api.provision(exam.id, "kandydat-A", 1, root=sandbox_root)
    second = api.provision(exam.id, "kandydat-B", 2, root=sandbox_root)

    def rows(info, query):
        return instance_rows(sandbox_root, info.instance_id, query)

    counts = {t: rows(first, f"SELECT count(*) FROM {t}")[0][0] for t in ("account", "contact", "activity")}
    business_date = rows(first, "SELECT value FROM instance_meta WHERE key = 'business_date'")[0][0]
    assert business_date == str(exam.business_date)
    assert counts == {
        "account": len(exam.seed["accounts"]),
        "contact": len(exam.seed["contacts"]),
        "activity": len(exam.seed["activities"]),
    }

    names = "SELECT first_name || ' ' || last_name FROM contact ORDER BY id"
    values = "SELECT value FROM opportunity ORDER BY id"
    assert rows(first, names) != rows(second, names) and rows(first, values) != rows(second, values)
    kept = set(exam.variations["contact_names"]["keep"])
    for index, person in enumerate(exam.seed["contacts"]):
        if person["key"] in kept:
            assert rows(first, names)[index][0] == f"{person['first_name']} {person['last_name']}"


def test_exam_products_carry_the_vat_rate_of_their_trade():
    it, insurance = (load_scenario(sid).seed["products"] for sid in EXAMS)
    assert {p["vat_rate"] for p in it} == {"23"}
    assert {p["vat_rate"] for p in insurance} == {"zw"}  # art. 43 ust. 1 pkt 37 ustawy o VAT


def test_exam_scenarios_are_parallel_in_size():
    b2b, b2c = (load_scenario(sid).seed for sid in EXAMS)
    for section in ("accounts", "contacts", "products", "opportunities", "activities", "consents"):
        assert abs(len(b2b[section]) - len(b2c[section])) <= 0.2 * max(len(b2b[section]), len(b2c[section])), section
    assert [len(p["stages"]) >= 5 for p in b2b["pipelines"]] == [len(p["stages"]) >= 5 for p in b2c["pipelines"]]


def test_parallel_exam_tasks_weigh_the_same():
    """Parallel forms: a candidate's chance must not depend on the form drawn. Every task zNN has, in both
    scenarios, the same criteria, the same time guide, the same sum of check points and as many critical checks."""
    b2b, b2c = (load_scenario(sid).tasks for sid in EXAMS)
    assert [t["key"] for t in b2b] == [t["key"] for t in b2c]

    def weight(task: dict) -> tuple:
        checks = task["checks"]
        return (
            task["criteria"],
            task["minutes"],
            sum(c["points"] for c in checks),
            sum(1 for c in checks if c.get("critical")),
        )

    assert {t["key"]: weight(t) for t in b2b} == {t["key"]: weight(t) for t in b2c}


def test_exam_seed_has_closed_opportunities_in_both_quarters_the_comparison_reads(exam, sandbox_root):
    """Task z24 compares Q1 2026 with Q4 2025 by closing date: both quarters are over on the business date and hold
    won opportunities of several owners, and a lost one in Q1 is what a report without the status filter would add.
    The other closed deals closed in April and May, before the business date."""
    closed = [o for o in exam.seed["opportunities"] if o.get("closed_on")]

    def owners(status: str, start: str, end: str) -> set[str]:
        return {o["owner"] for o in closed if o.get("status") == status and start <= o["closed_on"] <= end}

    q4, q1 = owners("wygrana", "2025-10-01", "2025-12-31"), owners("wygrana", "2026-01-01", "2026-03-31")
    assert len(q4) >= 3 and len(q1) >= 4 and q4 <= q1
    assert owners("przegrana", "2026-01-01", "2026-03-31")
    assert str(exam.business_date) > "2026-04-01"
    # every seeded won or lost deal has its own closing date (none closes on the exam day); the rest of them
    # closed in the current quarter, outside both compared ones
    assert len(closed) == sum(1 for o in exam.seed["opportunities"] if o.get("status") in ("wygrana", "przegrana"))
    assert all("2026-04-01" <= o["closed_on"] < str(exam.business_date) for o in closed if o["closed_on"] >= "2026-04")

    info = api.provision(exam.id, "kandydat-kwartaly", 1, root=sandbox_root)
    seeded = [
        row[0] for row in instance_rows(sandbox_root, info.instance_id, "SELECT closed_on FROM opportunity ORDER BY id")
    ]
    expected = [
        o.get("closed_on") or str(exam.business_date) if o.get("status") in ("wygrana", "przegrana") else None
        for o in exam.seed["opportunities"]
    ]
    assert seeded == expected


def test_smart_goal_baseline_is_what_the_crm_shows_for_april(exam, sandbox_root):
    """Task z15 states the candidate's April result and checks it as the goal's baseline: it must be exactly what
    the CRM computes for April 2026 – the goal service's own measure (done activities of the metric's type owned by
    the candidate, by completion date) and the activity list filtered by owner, type, status and date – and the
    target must be the baseline grown by the percentage the instructions give."""
    task = next(t for t in exam.tasks if t["key"] == "z15")
    check = next(c for c in task["checks"] if c["type"] == "field_equals" and c["params"]["entity"] == "goal")
    metric = GoalMetric(check["params"]["where"]["metric"])
    baseline, target = check["params"]["fields"]["baseline"], check["params"]["fields"]["target"]
    assert metric in (GoalMetric.MEETINGS, GoalMetric.CALLS)
    stated = re.search(r"wynik\s+z\s+kwietnia\s+2026\s+r\.\s+to\s+(\d+)\s", task["instructions"])
    growth = re.search(r"wzrostu\s+o\s+(\d+)%", task["instructions"])
    assert stated and growth, task["instructions"]
    assert int(stated.group(1)) == baseline
    assert Decimal(baseline) * (100 + int(growth.group(1))) / 100 == target
    solved = next(step["data"] for step in task["solve"] if step.get("path") == "goals/new")
    assert (int(solved["baseline"]), int(solved["target"])) == (baseline, target)

    april = date(2026, 4, 1), date(2026, 4, 30)
    for seed in (1, 2):
        info = api.provision(exam.id, f"kandydat-cel-{seed}", seed, root=sandbox_root)
        session = store_for(sandbox_root).open_session(info.instance_id)
        try:
            ctx = Ctx(session, Actor("candidate", "test"), now=datetime.now(UTC), business_date=exam.business_date)
            me = session.scalars(select(CrmUser).where(CrmUser.is_me)).one()
            assert me.key == "ja"
            assert goals.measure(ctx, metric, me.id, *april) == baseline
            kind = ActivityType.MEETING if metric == GoalMetric.MEETINGS else ActivityType.CALL
            listed = list_activities(
                ctx,
                date_from=april[0],
                date_to=april[1],
                owner_id=me.id,
                status=ActivityStatus.DONE.value,
                type_=kind.value,
            )
            assert len(listed) == baseline
        finally:
            session.close()


def _draft(scenario_id: str) -> str:
    return (PROJECT_ROOT / "question_bank" / "practical" / scenario_id / "tasks-draft.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("scenario_id", EXAMS)
def test_task_draft_covers_every_simulation_criterion(scenario_id):
    text = _draft(scenario_id)
    keys = TASK.findall(text)
    assert 20 <= len(keys) <= 24 and keys == [f"z{i:02d}" for i in range(1, len(keys) + 1)]
    codes = [c.strip() for line in CRITERIA.findall(text) for c in line.split(",")]
    assert len(CRITERIA.findall(text)) == len(keys)
    required = _simulation_criteria()
    assert len(required) == 29
    assert required <= set(codes), sorted(required - set(codes))
    assert set(codes) <= required, sorted(set(codes) - required)
    minutes = [int(m) for m in MINUTES.findall(text)]
    assert len(minutes) == len(keys) and 120 <= sum(minutes) <= 150


def test_task_drafts_have_the_same_shape():
    b2b, b2c = (_draft(sid) for sid in EXAMS)
    assert TASK.findall(b2b) == TASK.findall(b2c)
    assert CRITERIA.findall(b2b) == CRITERIA.findall(b2c)
    assert MINUTES.findall(b2b) == MINUTES.findall(b2c)


def test_task_drafts_name_only_seeded_records(exam):
    text = _draft(exam.id)
    seed = exam.seed
    known = {
        "account": {a["key"] for a in seed["accounts"]},
        "contact": {c["key"] for c in seed["contacts"]},
        "opportunity": {o["key"] for o in seed["opportunities"]},
        "product": {p["key"] for p in seed["products"]},
        "pipeline": {p["key"] for p in seed["pipelines"]},
        "user": {u["key"] for u in exam.data["users"]},
    }
    refs = re.findall(r"\{\{ (\w+)\.([a-z0-9-]+)\.\w+ \}\}", text)
    assert refs
    for kind, key in refs:
        assert key in known.get(kind, set()), f"{kind}.{key}"
    assert date(2026, 1, 1) <= exam.business_date <= date(2026, 12, 31)
