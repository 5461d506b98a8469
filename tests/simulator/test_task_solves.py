"""For every task of every scenario in question_bank/practical/: a fresh instance fails the task's checks,
and the instance after the task's reference solve (real HTTP, CSRF on) passes them.

Parametrised over scenario × task at collection time, so a new scenario or task is covered without a change
here. A scenario without tasks contributes nothing.
"""

from __future__ import annotations

import pytest

from simulator import api, evaluation
from simulator.scenario import SCENARIOS_DIR, load_scenario
from simulator.solve import run_solve, solve_in_order
from tests.simulator.conftest import instance_write


def _cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(SCENARIOS_DIR.glob("*/scenario.yaml")):
        scenario = load_scenario(path.parent.name)
        cases.extend((scenario.id, task["key"]) for task in scenario.tasks)
    return cases


CASES = _cases()
SCENARIOS = sorted({scenario for scenario, _ in CASES})


def test_the_practice_scenario_has_tasks_to_prove():
    assert sum(1 for scenario, _ in CASES if scenario == "practice") >= 6


def _task(root, instance_id: str, key: str) -> dict:
    scenario = evaluation.instance_scenario(root, instance_id)
    return next(t for t in scenario.tasks if t["key"] == key)


def _result(root, instance_id: str, key: str):
    return next(t for t in api.evaluate(instance_id, root=root).tasks if t.key == key)


@pytest.mark.parametrize(("scenario_id", "task_key"), CASES, ids=[f"{s}:{t}" for s, t in CASES])
@pytest.mark.parametrize("seed", [3, 11])
def test_fresh_instance_fails_and_reference_solve_passes(csrf_sim_app, sandbox_root, scenario_id, task_key, seed):
    info = api.provision(scenario_id, f"kandydat-{task_key}", seed, root=sandbox_root)
    fresh = _result(sandbox_root, info.instance_id, task_key)
    assert [c for c in fresh.checks if c.passed] == [], "a check passes before the task is done"
    assert fresh.points == 0

    task = _task(sandbox_root, info.instance_id, task_key)
    run_solve(csrf_sim_app.test_client(), info.token, sandbox_root, info.instance_id, task)

    solved = _result(sandbox_root, info.instance_id, task_key)
    failed = [(c.index, c.type, c.detail) for c in solved.checks if not c.passed]
    assert failed == [], f"checks still failing after the reference solve: {failed}"
    assert solved.points == solved.max_points and not solved.critical_failures
    assert api.verify_log(info.instance_id, root=sandbox_root) == (True, None)


@pytest.mark.parametrize(("scenario_id", "task_key"), CASES, ids=[f"{s}:{t}" for s, t in CASES])
def test_solving_one_task_does_not_pass_another(csrf_sim_app, sandbox_root, scenario_id, task_key):
    """A solve earns nothing in other tasks, except in the earlier tasks it declares it builds on (whose
    records its solve must create first)."""
    info = api.provision(scenario_id, "kandydat-izolacja", 5, root=sandbox_root)
    task = _task(sandbox_root, info.instance_id, task_key)
    run_solve(csrf_sim_app.test_client(), info.token, sandbox_root, info.instance_id, task)
    allowed = {task_key, *task.get("builds_on", [])}
    others = [t for t in api.evaluate(info.instance_id, root=sandbox_root).tasks if t.key not in allowed]
    assert [t.key for t in others if t.points > 0] == []


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_the_whole_scenario_solved_in_order_in_one_instance_earns_every_point(csrf_sim_app, sandbox_root, scenario_id):
    """A candidate does every task in one instance, in order: no task's right answer may cost points in another
    (a later task must not undo an earlier one's result, nor create the duplicates an earlier one is checked for)."""
    info = api.provision(scenario_id, "kandydat-calosc", 7, root=sandbox_root)
    solve_in_order(csrf_sim_app.test_client(), info.token, sandbox_root, info.instance_id)
    result = api.evaluate(info.instance_id, root=sandbox_root)
    lost = {
        task.key: [(c.index, c.type, c.detail) for c in task.checks if not c.passed]
        for task in result.tasks
        if task.points != task.max_points
    }
    assert lost == {}
    assert result.points == result.max_points > 0
    assert api.verify_log(info.instance_id, root=sandbox_root) == (True, None)


@pytest.mark.parametrize(
    ("scenario_id", "key", "contact", "slip", "lost", "core"),
    [
        ("egzamin-b2b-it", "z08", "grzegorz-szczepanski", {"position": "Prezes"}, 1 / 2, {"phone": "605 118 443"}),
        (
            "egzamin-b2c-ubezpieczenia",
            "z08",
            "dominik-wrona",
            {"position": "Klientka"},
            1 / 3,
            {"email": "d.wrona@interia.pl"},
        ),
    ],
)
def test_a_slip_outside_the_critical_core_costs_points_but_flags_no_critical_failure(
    csrf_sim_app, sandbox_root, scenario_id, key, contact, slip, lost, core
):
    """A critical check scores all or nothing, so one wrong field of the person's data is a critical failure only
    when it is a field the task cannot do without (how to reach the customer), not the position."""
    info = api.provision(scenario_id, "kandydat-pomylka", 4, root=sandbox_root)
    task = _task(sandbox_root, info.instance_id, key)
    run_solve(csrf_sim_app.test_client(), info.token, sandbox_root, info.instance_id, task)
    contact_id = evaluation.instance_scenario(sandbox_root, info.instance_id).seed_ids["contact"][contact]

    def set_fields(fields: dict) -> None:
        assignments = ", ".join(f"{name} = :{name}" for name in fields)
        instance_write(
            sandbox_root,
            info.instance_id,
            f"UPDATE contact SET {assignments} WHERE id = :id",
            fields | {"id": contact_id},
        )

    set_fields(slip)
    slipped = _result(sandbox_root, info.instance_id, key)
    assert not slipped.critical_failures
    assert slipped.max_points - slipped.points == pytest.approx(lost, abs=0.01)  # of one proportional point
    set_fields(core)
    missed = _result(sandbox_root, info.instance_id, key)
    assert missed.critical_failures == [0] and missed.checks[0].points == 0
