"""The candidate's task panel (zadania egzaminacyjne): instructions and answer fields beside the CRM.

Answers are saved in the instance (table ``task_answer``) and every change goes to the action log as
``task.answer_saved``; a frozen instance or the commission's viewer token refuses the POST before it gets here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator import evaluation, practice, tasks
from simulator.checks.normalise import parse_number
from simulator.crm.models import TaskAnswer
from simulator.crm.services.common import record
from simulator.crm.validators import AMBIGUOUS_NUMBER, reads_two_ways
from simulator.crm.views.context import bp, ctx, where
from simulator.scenario import Scenario

MAX_TEXT = 500


def _scenario() -> Scenario:
    return g.store.template_scenario(g.instance.template)


def _views(scenario: Scenario) -> list[tasks.TaskView]:
    return tasks.task_views(g.db.connection(), scenario)


def _render(
    scenario: Scenario,
    errors: dict | None = None,
    sent: dict | None = None,
    failed: str = "",
    status=200,
    *,
    feedback: evaluation.EvaluationResult | None = None,
):
    return render_template(
        "crm/tasks/panel.html",
        tasks=_views(scenario),
        errors=errors or {},
        sent=sent or {},
        failed=failed,
        practice=practice.is_practice(g.instance),
        feedback={t.key: t for t in feedback.tasks} if feedback else None,
        totals=feedback,
    ), status


@bp.get("/zadania")
def task_panel():
    """List the scenario's tasks with their instructions and the answer fields of read-the-value tasks."""
    return _render(_scenario())


@bp.post("/zadania/sprawdz")
def task_self_check():
    """Practice only: check the work so far and say, per task, what is still missing (the checks' messages for
    the candidate, never the commission's). In an exam instance there is no such thing: 404."""
    if not practice.is_practice(g.instance):
        abort(404)
    g.db.rollback()  # the evaluation reads on its own connection; end this request's transaction first
    result = evaluation.evaluate(g.store, g.instance.id)
    record(
        ctx(),
        "practice.self_check",
        entity_type="task",
        summary=f"Samodzielne sprawdzenie ćwiczenia: {result.points:g} z {result.max_points:g} pkt",
        details={"points": result.points, "max_points": result.max_points, **where()},
    )
    g.db.commit()
    return _render(_scenario(), feedback=result)


def _validate(task: dict, form) -> tuple[dict[str, str], dict[str, str]]:
    values, errors = {}, {}
    for answer in task.get("answers", []):
        if answer["key"] not in form:  # a field not sent keeps its saved value
            continue
        raw = (form.get(answer["key"]) or "").strip()
        if len(raw) > MAX_TEXT:
            errors[answer["key"]] = f"Najwyżej {MAX_TEXT} znaków."
        elif raw and answer["kind"] == "number" and reads_two_ways(raw):
            errors[answer["key"]] = AMBIGUOUS_NUMBER.format(raw=raw)
        elif raw and answer["kind"] == "number" and parse_number(raw) is None:
            errors[answer["key"]] = "Podaj liczbę, np. 12 500,50."
        values[answer["key"]] = raw
    return values, errors


@bp.post("/zadania")
def task_answer_save():
    """Save the answers typed for one task (empty clears an answer); every change is logged."""
    scenario = _scenario()
    task = next((t for t in scenario.tasks if t["key"] == request.form.get("task")), None)
    if task is None or not task.get("answers"):
        abort(404)
    values, errors = _validate(task, request.form)
    if errors:
        record(
            ctx(),
            "validation_error",
            entity_type="task",
            summary=f"Błąd walidacji (odpowiedzi do zadania „{task['title']}”): " + "; ".join(errors.values()),
            details={
                "form": "odpowiedzi do zadania",
                "task": task["key"],
                "errors": errors,
                "submitted": values,
                **where(),
            },
        )
        g.db.commit()
        return _render(scenario, errors, values, task["key"], 400)
    existing = {a.answer_key: a for a in g.db.scalars(select(TaskAnswer).where(TaskAnswer.task_key == task["key"]))}
    before, after = {}, {}
    now = datetime.now(UTC)
    for key, value in values.items():
        row = existing.get(key)
        old = row.value if row else ""
        if old == value:
            continue
        before[key], after[key] = old, value
        if row is None:
            g.db.add(TaskAnswer(task_key=task["key"], answer_key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
    if after:
        record(
            ctx(),
            "task.answer_saved",
            entity_type="task",
            summary=f"Zapisano odpowiedź do zadania „{task['title']}”",
            before=before,
            after=after,
            details={"task": task["key"], "answers": after},
        )
        g.db.commit()
        flash(f"Zapisano odpowiedź do zadania „{task['title']}”.", "success")
    else:
        flash("Nic nie zmieniono.", "info")
    return redirect(url_for(".task_panel", _anchor=f"zadanie-{task['key']}"))
