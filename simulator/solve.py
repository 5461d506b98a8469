"""Run a task's reference solve: its HTTP steps against an instance through a Flask test client, CSRF on.

A step is either an HTTP request (method, path below ``/i/<token>/``, form data, expected status, ids to save
from the redirect) or an answer step, which types the value the task's ``answer_equals`` check computes from
the live instance into the task panel. Placeholders in paths and data: ``{{ saved.<name> }}`` (an id saved by
an earlier step), ``{{ seed.<entity>.<key> }}`` (the id of a seeded record), ``{{ var.<name> }}`` (a task
variable) and ``{{ business_date }}``. Offer-template tags (``{{ firma.nazwa }}`` …) are sent as written, so a
solve can create an offer template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import checks, evaluation
from simulator.checks.snapshot import plain
from simulator.scenario import Scenario
from simulator.scenario_tasks import PLACEHOLDER, offer_tag
from simulator.storage import Store, store_for

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class SolveError(AssertionError):
    """A reference-solve step did not get the answer it expects."""


@dataclass
class StepResult:
    """What one step sent and got back."""

    index: int
    method: str
    path: str
    status: int
    location: str


def _substitute(text: str, saved: dict[str, str], snap, scenario: Scenario) -> str:
    def one(match: re.Match) -> str:
        if offer_tag(match.group(1)):
            return match.group(0)
        parts = match.group(1).split(".", 2)
        if parts[0] == "saved":
            return saved[parts[1]]
        if parts[0] == "seed":
            return str(snap.seed_ids[parts[1]][parts[2]])
        if parts[0] == "var":
            return str(snap.variables[parts[1]])
        if parts[0] == "business_date":
            return snap.business_date.isoformat()
        raise SolveError(f"nieznane odwołanie {match.group(0)}")

    return PLACEHOLDER.sub(one, text)


def expected_answer(root: Path | Store, instance_id: str, scenario: Scenario, task: dict[str, Any], answer: str) -> str:
    """Return the text a perfect candidate types for ``answer``: the value its check computes right now."""
    kind = checks.get_type("answer_equals")
    with store_for(root).connect(instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, task)
        for check in task["checks"]:
            if check["type"] == "answer_equals" and check["params"]["answer"] == answer:
                value = kind.expected_value(snap, check["params"])
                return str(plain(value))
    raise SolveError(f"żadne sprawdzenie nie czyta odpowiedzi „{answer}”")


def run_solve(
    client, token: str, root: Path | Store, instance_id: str, task: dict[str, Any], *, prefix: str = ""
) -> list[StepResult]:
    """Drive the task's solve steps through ``client``; raise ``SolveError`` at the first unexpected answer."""
    scenario = evaluation.instance_scenario(root, instance_id)
    base = f"{prefix}/i/{token}/"
    page = client.get(base + "zadania")
    found = CSRF.search(page.get_data(as_text=True))
    csrf = found.group(1) if found else ""
    saved: dict[str, str] = {}
    results = []
    for index, step in enumerate(task["solve"]):
        if "answer" in step:
            value = expected_answer(root, instance_id, scenario, task, step["answer"])
            method, path, data, expect = "POST", "zadania", {"task": task["key"], step["answer"]: value}, 302
        else:
            with store_for(root).connect(instance_id) as conn:
                snap = evaluation.snapshot_for(conn, scenario, task)
                path = _substitute(step["path"], saved, snap, scenario)
                data = {
                    name: [_substitute(str(v), saved, snap, scenario) for v in value]
                    if isinstance(value, list)
                    else _substitute(str(value), saved, snap, scenario)
                    for name, value in (step.get("data") or {}).items()
                }
            method = step["method"]
            expect = step.get("expect", 302 if method == "POST" else 200)
        if method == "POST":
            response = client.post(base + path, data={"csrf_token": csrf, **data})
        else:
            response = client.get(base + path, query_string=data)
        location = response.headers.get("Location", "")
        if response.status_code != expect:
            body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
            errors = re.findall(r"(?:invalid-feedback|alert-danger)[^>]*>([^<]+)<", response.get_data(as_text=True))
            raise SolveError(
                f"zadanie {task['key']}, krok {index} ({method} {path}): status {response.status_code}, "
                f"oczekiwano {expect}; błędy: {errors or body[:300]}"
            )
        for name, pattern in (step.get("save") or {}).items():
            match = re.search(pattern, location) or re.search(pattern, response.get_data(as_text=True))
            if match is None:
                raise SolveError(f"zadanie {task['key']}, krok {index}: nie znaleziono „{pattern}” w odpowiedzi")
            saved[name] = match.group(1)
        results.append(StepResult(index, method, path, response.status_code, location))
    return results
