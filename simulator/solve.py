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

from lxml import html

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


def form_values(page: str, path: str) -> dict[str, str | list[str]]:
    """Return what the page's form for ``path`` would send unchanged, as a browser sends it (checked boxes,
    selected options, typed text; several values of one name as a list), without the CSRF token."""
    forms = [f for f in html.fromstring(page).forms if (f.method or "GET").upper() == "POST"]
    matching = [f for f in forms if not f.action or f.action.rstrip("/").endswith(path.rstrip("/"))]
    if not matching:
        raise SolveError(f"na stronie {path} nie ma formularza wysyłanego na tę ścieżkę")
    values: dict[str, str | list[str]] = {}
    for name, value in matching[0].form_values():
        if name == "csrf_token":
            continue
        if name in values:
            earlier = values[name]
            values[name] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
        else:
            values[name] = value
    return values


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
    client,
    token: str,
    root: Path | Store,
    instance_id: str,
    task: dict[str, Any],
    *,
    prefix: str = "",
    saved: dict[str, str] | None = None,
    setup: bool = True,
) -> list[StepResult]:
    """Drive the task's steps through ``client``; raise ``SolveError`` at the first unexpected answer.

    On its own (``setup`` true) the task first runs its ``setup`` steps, which recreate what the tasks it builds
    on leave behind. After those tasks in the same instance (``setup`` false) it runs only its ``solve`` steps,
    with the ids they saved given in ``saved``. ``saved`` is updated with the ids this task's steps save.
    """
    scenario = evaluation.instance_scenario(root, instance_id)
    base = f"{prefix}/i/{token}/"
    page = client.get(base + "zadania")
    found = CSRF.search(page.get_data(as_text=True))
    csrf = found.group(1) if found else ""
    saved = {} if saved is None else saved
    results = []
    steps = [*(task.get("setup", []) if setup else []), *task["solve"]]
    for index, step in enumerate(steps):
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
        if step.get("form"):
            # as a person editing a record: the form as the page shows it, with only the named fields changed
            shown = client.get(base + path)
            data = {**form_values(shown.get_data(as_text=True), path), **data}
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


def solve_in_order(client, token: str, root: Path | Store, instance_id: str, *, prefix: str = "") -> None:
    """Solve every task of the instance's scenario in order in this one instance, as a candidate who does the
    whole exam right would: a task that builds on earlier ones skips its ``setup`` and uses the ids their steps
    saved (each task starts from the names of the tasks it names in ``builds_on``, not from every earlier task's)."""
    scenario = evaluation.instance_scenario(root, instance_id)
    left: dict[str, dict[str, str]] = {}
    for task in scenario.tasks:
        saved: dict[str, str] = {}
        for earlier in task.get("builds_on", []):
            saved.update(left[earlier])
        run_solve(client, token, root, instance_id, task, prefix=prefix, saved=saved, setup=False)
        left[task["key"]] = saved
