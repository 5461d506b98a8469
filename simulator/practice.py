"""Public practice mode: anyone may open a practice instance of the practice scenario, without logging in.

So that candidates learn the CRM before the exam, ``/cwiczenia/`` opens a fresh instance of a practice
scenario (kind ``practice``, never an exam scenario) with a random seed and redirects to it. Limits, all from
the app's config: at most ``PRACTICE_MAX_INSTANCES`` live at once, at most ``PRACTICE_MAX_PER_CLIENT`` per
client address (only a digest of the address is kept), each living ``PRACTICE_LIFETIME_MINUTES``. Expired
practice instances answer 410 and are deleted by the next opening. Practice instances are marked by their
candidate key ``cwiczenia:<client digest>:<random>``; exam instances are never touched here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, request
from flask_wtf import FlaskForm

from simulator import api
from simulator.registry import InstanceRecord
from simulator.scenario import load_scenario
from simulator.storage import Store, store_for

PREFIX = "cwiczenia:"
DEFAULTS = {
    "PRACTICE_SCENARIO": "practice",
    "PRACTICE_MAX_INSTANCES": 50,
    "PRACTICE_MAX_PER_CLIENT": 3,
    "PRACTICE_LIFETIME_MINUTES": 120,
}

bp = Blueprint("practice", __name__, url_prefix="/cwiczenia")


class OpenForm(FlaskForm):
    """Only the CSRF token: opening an instance is a POST from this page."""


def is_practice(record: InstanceRecord) -> bool:
    return record.candidate_key.startswith(PREFIX)


def expires_at(record: InstanceRecord, lifetime_minutes: int) -> datetime:
    return record.created_at + timedelta(minutes=lifetime_minutes)


def expired(record: InstanceRecord, now: datetime, lifetime_minutes: int) -> bool:
    return is_practice(record) and now >= expires_at(record, lifetime_minutes)


def _client_digest() -> str:
    # the socket's address; behind a proxy the platform's PROXY_HOPS (ProxyFix) makes it the client's. A
    # client-sent X-Forwarded-For is never read here: anyone could fill every practice slot by varying it.
    address = request.remote_addr or ""
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{address}".encode()).hexdigest()[:16]


def _store() -> Store:
    return store_for(current_app.config)


def live_practice(store: Store, now: datetime, lifetime_minutes: int) -> list[InstanceRecord]:
    """Delete expired practice instances; return the practice instances still alive."""
    records = [r for r in store.records() if is_practice(r)]
    alive = []
    for record in records:
        if expired(record, now, lifetime_minutes):
            api.destroy(record.id, root=store)
        else:
            alive.append(record)
    return alive


def _scenario():
    scenario = load_scenario(current_app.config["PRACTICE_SCENARIO"])
    if scenario.kind != "practice":  # an exam scenario is never opened to the public
        raise RuntimeError(f"PRACTICE_SCENARIO {scenario.id!r} is not a practice scenario")
    return scenario


def _page(form: OpenForm, alive: int, message: str | None = None, status: int = 200):
    config = current_app.config
    scenario = _scenario()
    return (
        render_template(
            "sim/practice.html",
            form=form,
            scenario=scenario,
            free=max(0, config["PRACTICE_MAX_INSTANCES"] - alive),
            lifetime=config["PRACTICE_LIFETIME_MINUTES"],
            per_client=config["PRACTICE_MAX_PER_CLIENT"],
            message=message,
        ),
        status,
    )


@bp.get("/")
def index():
    now = datetime.now(UTC)
    alive = live_practice(_store(), now, current_app.config["PRACTICE_LIFETIME_MINUTES"])
    return _page(OpenForm(), len(alive))


@bp.post("/")
def open_instance():
    config = current_app.config
    form = OpenForm()
    now = datetime.now(UTC)
    store = _store()
    alive = live_practice(store, now, config["PRACTICE_LIFETIME_MINUTES"])
    if not form.validate_on_submit():
        return _page(form, len(alive), "Formularz wygasł. Odśwież stronę i spróbuj ponownie.", 400)
    client = _client_digest()
    mine = [r for r in alive if r.candidate_key.startswith(f"{PREFIX}{client}:")]
    if len(mine) >= config["PRACTICE_MAX_PER_CLIENT"]:
        limit = config["PRACTICE_MAX_PER_CLIENT"]
        message = (
            f"Z tego adresu działa już {len(mine)} instancji ćwiczeniowych (limit {limit}). "
            "Wróć do otwartej karty albo poczekaj, aż któraś wygaśnie."
        )
        return _page(form, len(alive), message, 429)
    if len(alive) >= config["PRACTICE_MAX_INSTANCES"]:
        message = "Wszystkie miejsca do ćwiczeń są zajęte. Spróbuj ponownie za kilka minut."
        return _page(form, len(alive), message, 429)  # a limit reached, not a server fault
    created = store.provision(_scenario(), f"{PREFIX}{client}:{secrets.token_hex(4)}", secrets.randbelow(2**31))
    return redirect(f"{request.script_root}/i/{created.token}/")


EXPIRED_MESSAGE = "Ta instancja ćwiczeniowa wygasła. Otwórz nową na stronie trybu ćwiczeń."
