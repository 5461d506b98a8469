"""Over a real threaded server: a double-clicked submit yields one submission; racing saves lose nothing."""

import http.cookiejar
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.demo import DEMO_PASSWORD
from examplatform.extensions import db
from examplatform.sessions.models import ValidationSession
from examplatform.theory import console
from examplatform.theory.models import Attempt, JournalEntry


class Browser:
    """One browser: a cookie jar and the CSRF token of its session."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict | None = None, payload=None) -> tuple[int, str]:
        if payload is not None:
            body, ctype = json.dumps(payload).encode(), "application/json"
        else:
            body, ctype = (
                urllib.parse.urlencode({"csrf_token": self.csrf, **(data or {})}).encode(),
                "application/x-www-form-urlencoded",
            )
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": ctype, "X-CSRFToken": self.csrf, "Accept": "application/json"},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except HTTPError as exc:
            return exc.code, exc.read().decode()

    def login(self, email: str) -> None:
        page = self.get("/auth/login")
        self.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _ = self.post("/auth/login", {"email": email, "password": DEMO_PASSWORD})
        assert status == 200  # urllib follows the redirect to the dashboard


@pytest.fixture
def started_attempt(live_server):
    """kandydat1 of the demo session, authorised and started through the real server."""
    with live_server.app.app_context():
        session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == "DEMO-KRK-01"))
        attempt = next(
            a
            for a in db.session.scalars(select(Attempt))
            if a.form.enrolment.candidate.email == "kandydat1@demo.example"
        )
        operator = session.enrolments[0].session.institution.staff[0].user
        pin = console.rotate_pin(session, actor=operator, now=attempt.form.created_at)
        console.check_in(attempt, actor=operator, now=attempt.form.created_at, note="dowód osobisty")
        console.authorise(attempt, actor=operator, now=attempt.form.created_at)
        db.session.commit()
        attempt_id = attempt.id
        db.session.remove()
    browser = Browser(live_server.url)
    browser.login("kandydat1@demo.example")
    status, _ = browser.post(f"/test/{attempt_id}/start", {"pin": pin})
    assert status == 200
    state = json.loads(browser.get(f"/test/{attempt_id}/state"))
    return browser, attempt_id, state


def test_double_submit_yields_one_submission(live_server, started_attempt):
    browser, attempt_id, _state = started_attempt
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _n: browser.post(f"/test/{attempt_id}/submit", payload={}), range(4)))
    assert [status for status, _ in replies] == [200] * 4
    receipts = {json.loads(body)["receipt"] for _, body in replies}
    assert len(receipts) == 1
    with live_server.app.app_context():
        submitted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.attempt_submitted")).all()
        assert len(submitted) == 1
        db.session.remove()


def test_racing_saves_are_all_journalled(live_server, started_attempt):
    browser, attempt_id, state = started_attempt
    singles = [i for i in state["items"] if i["type"] == "single"][:10]
    payloads = [
        {"seq": n, "position": item["position"], "value": item["options"][n % 3]["id"]}
        for n, item in enumerate(singles * 2, start=1)
    ]
    payloads += payloads[:5]  # retries of the same sequence numbers
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda p: browser.post(f"/test/{attempt_id}/answers", payload=p), payloads))
    assert all(status == 200 for status, _ in replies), [r for r in replies if r[0] != 200][:3]
    with live_server.app.app_context():
        seqs = sorted(db.session.scalars(select(JournalEntry.seq).where(JournalEntry.attempt_id == attempt_id)))
        attempt = db.session.get(Attempt, attempt_id)
        current = {a.position: (a.seq, json.loads(a.value)) for a in attempt.answers}
        db.session.remove()
    assert seqs == list(range(1, len(singles) * 2 + 1))  # every change once, retries harmless
    for n, item in enumerate(singles, start=1):  # the newer change (seq n + 10) wins for each item
        newer = n + len(singles)
        assert current[item["position"]] == (newer, item["options"][newer % 3]["id"])
