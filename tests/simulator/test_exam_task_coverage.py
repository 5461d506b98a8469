"""Every exam scenario: its scenario.yaml tasks (not only the draft) cover every criterion the qualification
verifies by simulation (method S), there are enough tasks for a whole exam, and each task keeps the key, criteria
and time its draft (the design record) gives it."""

from __future__ import annotations

import pytest

from simulator import api
from simulator.scenario import load_scenario
from tests.simulator.test_scenario_exams import CRITERIA, MINUTES, TASK, _draft, _simulation_criteria

CONVERTED = tuple(s.id for s in api.scenarios() if s.kind == "exam")


def test_both_parallel_exam_scenarios_are_here():
    assert CONVERTED == ("egzamin-b2b-it", "egzamin-b2c-ubezpieczenia")


@pytest.mark.parametrize("scenario_id", CONVERTED)
def test_converted_exam_tasks_cover_every_simulation_criterion(scenario_id):
    tasks = load_scenario(scenario_id).tasks
    assert len(tasks) >= 20
    required = _simulation_criteria()
    assert len(required) == 29
    covered = {code for task in tasks for code in task["criteria"]}
    assert required <= covered, sorted(required - covered)
    evidenced = {
        code for task in tasks for check in task["checks"] for code in check.get("criteria") or task["criteria"]
    }
    assert required <= evidenced, sorted(required - evidenced)


@pytest.mark.parametrize("scenario_id", CONVERTED)
def test_converted_exam_tasks_follow_their_draft(scenario_id):
    tasks = load_scenario(scenario_id).tasks
    text = _draft(scenario_id)
    assert [task["key"] for task in tasks] == TASK.findall(text)
    assert [task["criteria"] for task in tasks] == [
        [c.strip() for c in line.split(",")] for line in CRITERIA.findall(text)
    ]
    assert [task["minutes"] for task in tasks] == [int(m) for m in MINUTES.findall(text)]
