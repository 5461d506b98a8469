"""Load on the on-screen theory test: N candidates start together, answer 40 items, save every change, submit.

Prepares a fresh database directly (the real item bank, one session, forms generated before the start, PIN,
every candidate checked in and authorised), starts gunicorn the way the README does on 127.0.0.1, and drives
the candidates over HTTP with aiohttp, each with its own cookie jar, as test.js does in a browser: log in
(warm-up, not measured), start within a window with the PIN (the reply is the test page with its state), answer
every item after a think time with a save on every change (some changed twice, some resent with the same
seq), heartbeats, submit.

Prints p50/p95/p99 of start, save and submit, the save throughput, errors, and the LOST ANSWERS found by
reading the database afterwards (every acknowledged save must be in the answer journal and the newest one per
item must be the current answer). Baseline in the same run and server: GET /health (SELECT 1), closed loop at
the same concurrency as a closed-loop save burst; the ratio save / bare makes machines comparable.

Think time: the form has 40 items and a 60-minute limit, i.e. 90 s per item if the time is used; the default
mean of 20 s (10-30 s) is every candidate at once answering four and a half times faster than that, so the
offered load (about 2,000 / 20 / 1.075 = 93 changes/s plus heartbeats) is well above a real room's (~25/s).
--think 3 with --candidates 300 offers the same change rate in a 3-minute run (a quick check).
Smoke: --candidates 50 --think 0.2 (about 40 s). Default: 2,000 candidates on SQLite (a temp file), the test
phase stopped after --max-seconds (1,200) if unfinished, then checked and reported all the same;
--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench for PostgreSQL (that schema is emptied).
--url http://127.0.0.1:PORT drives an already running server on data made by --setup-only (same --database-url).
Needs aiohttp (not a platform dependency): pip install aiohttp==3.14.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import aiohttp
except ImportError:  # a benchmark-only dependency
    aiohttp = None

PASSWORD = "Obciazenie-13881-bench"  # every benchmark candidate's password (one hash for all)
EMAIL_DOMAIN = "bench.example"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_ATTR = re.compile(r'value="([^"]+)"')
DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
INITIAL_STATE = re.compile(r'<script type="application/json" id="initial-state">(.*?)</script>', re.S)
SAVE_RETRIES = 6


# --- set-up (direct Python, on the database the server will use) ------------------------------------------


@dataclass
class Seat:
    """One candidate as the load generator knows them."""

    index: int
    email: str
    attempt_id: int
    burst: bool = False


@dataclass
class Prepared:
    url: str
    session_code: str
    session_id: int
    pin: str
    seats: list[Seat]
    timings: dict[str, float] = field(default_factory=dict)


def _app(url: str):
    from examplatform import create_app

    # The secret key of the server's instance folder (EXAMPLATFORM_INSTANCE_PATH), not the tests' fixed one:
    # the session PIN is an HMAC under it.
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": None})


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _bulk_candidates(session, total: int, burst: int, now) -> None:
    """Insert candidate accounts, their role and enrolment in bulk, all with one password hash."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from examplatform.auth.models import Role, RoleAssignment, User
    from examplatform.extensions import db
    from examplatform.sessions.models import Enrolment

    password_hash = generate_password_hash(PASSWORD)  # scrypt once, as the platform would, reused for all
    rows = []
    for i in range(1, total + 1):
        prefix = "burst" if i > total - burst else "kandydat"
        rows.append(
            {
                "email": f"{prefix}{i:05d}@{EMAIL_DOMAIN}",
                "full_name": f"Kandydat Obciążeniowy {i:05d}",
                "password_hash": password_hash,
                "session_token": secrets.token_urlsafe(16),
                "created_at": now,
                "password_changed_at": now,
                "is_active": True,
            }
        )
    db.session.execute(insert(User), rows)
    candidates = db.session.scalars(
        select(User.id).where(User.email.like(f"%@{EMAIL_DOMAIN}"), User.email != f"operator@{EMAIL_DOMAIN}")
    ).all()
    db.session.execute(
        insert(RoleAssignment), [{"user_id": uid, "role": Role.CANDIDATE, "granted_at": now} for uid in candidates]
    )
    db.session.execute(
        insert(Enrolment), [{"session_id": session.id, "candidate_id": uid, "created_at": now} for uid in candidates]
    )


def _operator_and_session(now, *, workstations: int):
    """An institution with a centre, its exam operator, and one validation session on screen."""
    from examplatform.auth import services as auth_services
    from examplatform.auth.models import Role
    from examplatform.extensions import db
    from examplatform.institutions import services as inst
    from examplatform.institutions.models import Voivodeship
    from examplatform.sessions.models import TheoryMode, ValidationSession

    operator = auth_services.create_user(
        email=f"operator@{EMAIL_DOMAIN}", full_name="Operator Testu Obciążeniowego", password=PASSWORD, now=now
    )
    institution = inst.create_institution(
        None,
        now=now,
        name="Instytucja testu obciążeniowego",
        short_name="BENCH",
        nip=None,
        address="ul. Testowa 1, 00-001 Warszawa",
        email=f"biuro@{EMAIL_DOMAIN}",
    )
    auth_services.grant_role(
        operator, Role.OPERATOR, institution_id=institution.id, actor=None, now=now, reason="test obciążeniowy"
    )
    centre = inst.add_centre(
        None,
        institution,
        now=now,
        name="Ośrodek testu obciążeniowego",
        street="ul. Testowa 1",
        postal_code="00-001",
        city="Warszawa",
        voivodeship=Voivodeship.MAZOWIECKIE,
        workstations=max(workstations, 1),
    )
    session = ValidationSession(
        institution=institution,
        centre=centre,
        code=f"BENCH-{now:%Y%m%d-%H%M%S}",
        starts_at=now + timedelta(minutes=5),
        theory_mode=TheoryMode.SCREEN,
        created_at=now,
    )
    db.session.add(session)
    db.session.flush()
    return operator, session


def prepare(url: str, candidates: int, burst: int) -> Prepared:
    """Create a migrated database with the bank, one prepared session, PIN, check-in and authorisation."""
    from flask_migrate import upgrade

    from examplatform.bank.services import sync_from_files
    from examplatform.core.clock import utcnow
    from examplatform.extensions import db
    from examplatform.qualification.services import current_qualification
    from examplatform.theory import console
    from examplatform.theory.formgen import prepare_session

    timings: dict[str, float] = {}
    mark = time.perf_counter()
    if url.startswith("postgresql"):
        _empty_postgres(url)
    app = _app(url)
    with app.app_context():
        upgrade()
        now = utcnow()
        qualification = current_qualification()
        sync_from_files(app.config["BANK_FOLDER"], {c.code for c in qualification.criteria}, actor=None, now=now)
        db.session.commit()
        timings["migrate + bank"] = time.perf_counter() - mark
        mark = time.perf_counter()
        operator, session = _operator_and_session(now, workstations=candidates + burst)
        _bulk_candidates(session, candidates + burst, burst, now)
        db.session.commit()
        db.session.expire(session)
        timings["users + enrolments"] = time.perf_counter() - mark
        mark = time.perf_counter()
        forms = prepare_session(session, actor=operator, now=now, qualification=qualification)
        db.session.commit()
        timings["forms (prepare_session)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        pin = console.rotate_pin(session, actor=operator, now=now)
        for form in forms:
            console.check_in(form.attempt, actor=operator, now=now, note="dowód osobisty (test obciążeniowy)")
            console.authorise(form.attempt, actor=operator, now=now)
        db.session.commit()
        timings["PIN, check-in, authorise"] = time.perf_counter() - mark
        code, session_id = session.code, session.id
        db.session.remove()
        db.engine.dispose()
    seats = load_seats(url, code, candidates, burst)[0]
    return Prepared(url, code, session_id, pin, seats, timings)


def load_seats(url: str, session_code: str, candidates: int | None, burst: int):
    """Read the session's authorised, not started attempts (for --url: data made earlier)."""
    from sqlalchemy import select

    from examplatform.auth.models import User
    from examplatform.extensions import db
    from examplatform.sessions.models import Enrolment, ValidationSession
    from examplatform.theory.models import Attempt, AttemptStatus, TestForm

    app = _app(url)
    with app.app_context():
        session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == session_code))
        if session is None:
            raise SystemExit(f"no session {session_code!r} in {url}")
        query = (
            select(User.email, Attempt.id, Attempt.status, Attempt.authorised_at)
            .join(Enrolment, Enrolment.candidate_id == User.id)
            .join(TestForm, TestForm.enrolment_id == Enrolment.id)
            .join(Attempt, Attempt.form_id == TestForm.id)
            .where(Enrolment.session_id == session.id)
            .order_by(Attempt.id)
        )
        rows = db.session.execute(query).all()
        session_id = session.id
        db.session.remove()
        db.engine.dispose()
    rows = [r for r in rows if r.status is AttemptStatus.READY and r.authorised_at is not None]
    bursts = [r for r in rows if r.email.startswith("burst")][:burst]
    mains = [r for r in rows if not r.email.startswith("burst")]
    if candidates is not None:
        mains = mains[:candidates]
    seats = [Seat(i, r.email, r.id) for i, r in enumerate(mains)]
    seats += [Seat(len(seats) + i, r.email, r.id, burst=True) for i, r in enumerate(bursts)]
    return seats, session_id


def rotate_pin(url: str, session_code: str) -> str:
    """Set a new session PIN for --url mode (only its hash is stored, so the old one cannot be read)."""
    from sqlalchemy import select

    from examplatform.auth.models import User
    from examplatform.core.clock import utcnow
    from examplatform.extensions import db
    from examplatform.sessions.models import ValidationSession
    from examplatform.theory import console

    app = _app(url)
    with app.app_context():
        session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == session_code))
        operator = db.session.scalar(select(User).where(User.email == f"operator@{EMAIL_DOMAIN}"))
        pin = console.rotate_pin(session, actor=operator, now=utcnow())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return pin


# --- the server ----------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child before exec: if this benchmark is killed outright, gunicorn gets SIGTERM (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log: Path
    description: str


def start_server(args, url: str, workdir: Path) -> Server:
    """gunicorn with the app factory, as in the README, on a free port of 127.0.0.1 (own process group)."""
    port = _free_port()
    instance = workdir / "instance"
    instance.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "EXAMPLATFORM_INSTANCE_PATH": str(instance),
            # Production counts failed logins per account and logins per address; here every candidate comes
            # from 127.0.0.1, which a real exam room never does at this scale. RATELIMIT_ENABLED=false would
            # not work: config.py has no default for it, so the string "false" arrives, and it is truthy.
            "EXAMPLATFORM_LOGIN_RATE_LIMIT_PER_IP": "1000000 per minute",
        }
    )
    worker_class = "sync" if args.threads <= 1 else "gthread"
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    cmd += shlex.split(args.gunicorn_args or "")
    cmd.append("examplatform:create_app()")
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
            preexec_fn=_die_with_parent,  # noqa: PLW1509  (no threads yet: before the event loop)
        )
    server = Server(
        process,
        f"http://127.0.0.1:{port}",
        log,
        f"gunicorn {worker_class} workers={args.workers}"
        + (f" threads={args.threads}" if worker_class == "gthread" else "")
        + (f" {args.gunicorn_args}" if args.gunicorn_args else ""),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.base + "/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer /health within 60 s:\n{log.read_text()[-3000:]}")


def stop_server(server: Server | None) -> None:
    """Stop gunicorn and its workers (the whole process group it leads)."""
    if server is None or server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)
    except ProcessLookupError:
        pass


def process_cpu(pgid: int | None, database: str | None) -> tuple[dict[int, float], dict[int, float]]:
    """CPU seconds (user + system) per live process: the server's process group, and the PostgreSQL
    backends serving ``database`` (their title is "postgres: ... user database address state")."""
    ticks = os.sysconf("SC_CLK_TCK")
    server: dict[int, float] = {}
    backends: dict[int, float] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / ticks  # after the command: state, ppid, pgrp, ...
            if pgid is not None and int(fields[2]) == pgid:
                server[int(proc.name)] = seconds
            elif database and f" {database} " in (proc / "cmdline").read_bytes().decode(errors="replace"):
                backends[int(proc.name)] = seconds
        except (OSError, IndexError, ValueError):
            continue
    return server, backends


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine since boot (all cores), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# --- measurements ----------------------------------------------------------------------------------------


class Stats:
    """Latencies per kind of request, and every unexpected outcome."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.samples: list[str] = []
        self.counts: Counter = Counter()
        self.span: dict[str, list[float]] = {}  # kind -> [first sent, last answered] (monotonic)
        self.seconds: dict[str, Counter] = defaultdict(Counter)  # kind -> answers per whole second

    def peak(self, kind: str, window: int) -> float:
        """The highest rate of expected answers of ``kind`` over ``window`` consecutive seconds."""
        per_second = self.seconds[kind]
        if not per_second:
            return 0.0
        low, high = min(per_second), max(per_second)
        window = min(window, high - low + 1)
        return (
            max(sum(per_second[t] for t in range(s, s + window)) for s in range(low, max(low, high - window) + 1))
            / window
        )

    def ok(self, kind: str, sent: float, answered: float) -> None:
        self.latency[kind].append(answered - sent)
        self.seconds[kind][int(answered)] += 1
        span = self.span.setdefault(kind, [sent, answered])
        span[0], span[1] = min(span[0], sent), max(span[1], answered)

    def error(self, kind: str, what: str, detail: str = "") -> None:
        self.errors[(kind, what)] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{kind} {what} {detail[:160]}".strip())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]  # nearest rank


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(stats: Stats, kind: str, http, method: str, path: str, *, expect=(200,), **kwargs) -> Reply | None:
    """One request; its latency is kept when the status is the expected one, anything else is an error."""
    started = time.monotonic()
    try:
        async with http.request(method, path, allow_redirects=False, **kwargs) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.error(kind, type(exc).__name__, str(exc))
        return None
    if status in expect:
        stats.ok(kind, started, time.monotonic())
    else:
        stats.error(kind, f"HTTP {status}", body.decode("utf-8", "replace"))
    return Reply(status, body)


# --- one candidate ---------------------------------------------------------------------------------------


def answer_for(item: dict, rng: random.Random, previous: Any = None) -> Any:
    """A well-formed answer to the item as the page would send it, different from ``previous`` if possible."""
    for _ in range(8):
        kind = item["type"]
        if kind == "single":
            value = rng.choice(item["options"])["id"]
        elif kind == "truefalse":
            value = rng.random() < 0.5
        elif kind == "multiple":
            ids = [o["id"] for o in item["options"]]
            value = sorted(rng.sample(ids, rng.randint(1, len(ids))))
        elif kind == "ordering":
            value = [o["id"] for o in item["options"]]
            rng.shuffle(value)
        else:  # matching
            responses = [r["id"] for r in item["responses"]]
            value = {p["id"]: rng.choice(responses) for p in item["premises"]}
        if value != previous:
            return value
    return value


@dataclass
class Candidate:
    seat: Seat
    rng: random.Random
    http: Any = None
    csrf: str = ""
    items: list = field(default_factory=list)
    seq: int = 0
    sent: dict[int, tuple[int, Any]] = field(default_factory=dict)  # seq -> (position, value)
    acked: set[int] = field(default_factory=set)
    receipt: str | None = None
    closed: bool = False  # the server no longer takes answers (409)
    logged_in: bool = False
    started: bool = False
    last_contact: float = 0.0  # monotonic time of the last acknowledged save or heartbeat

    @property
    def base(self) -> str:
        return f"/test/{self.seat.attempt_id}"

    def json_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "X-CSRFToken": self.csrf}


class Run:
    """Settings and shared state of one load run."""

    def __init__(self, args, stats: Stats, pin: str, deadline: float) -> None:
        self.args, self.stats, self.pin, self.deadline = args, stats, pin, deadline

    def left(self) -> float:
        return self.deadline - time.monotonic()

    async def think(self, candidate: Candidate, scale: float = 1.0) -> None:
        mean = self.args.think * scale
        await asyncio.sleep(max(0.0, min(candidate.rng.uniform(0.5 * mean, 1.5 * mean), self.left())))

    async def login(self, c: Candidate) -> None:
        """GET the login form, POST the credentials, open the start page (the candidate waits there)."""
        page = await call(self.stats, "login page", c.http, "GET", "/auth/login")
        token = _form_token(page)
        if token is None:
            return
        data = {"csrf_token": token, "email": c.seat.email, "password": self.args.password}
        reply = await call(self.stats, "login", c.http, "POST", "/auth/login", data=data, expect=(302,))
        if reply is None or reply.status != 302:
            return
        start_page = await call(self.stats, "start page", c.http, "GET", c.base)
        c.csrf = _form_token(start_page) or ""
        c.logged_in = bool(c.csrf)

    async def start(self, c: Candidate, kind: str = "start") -> None:
        """POST the PIN: the reply is the test page (data-csrf and the state with the items, as test.js reads it)."""
        began = time.perf_counter()
        data = {"csrf_token": c.csrf, "pin": self.pin}
        page = await call(self.stats, kind, c.http, "POST", c.base + "/start", data=data, expect=(200,))
        if page is None or page.status != 200:
            return
        text = page.body.decode()
        match, embedded = DATA_CSRF.search(text), INITIAL_STATE.search(text)
        if match is None or embedded is None:
            self.stats.error(kind, "no data-csrf or no initial state in the test page")
            return
        c.csrf = match.group(1)
        body = json.loads(embedded.group(1))
        if body["status"] != "in_progress" or len(body["items"]) == 0:
            self.stats.error(kind, f"status {body['status']}, {len(body['items'])} items")
            return
        c.items, c.seq = sorted(body["items"], key=lambda i: i["position"]), body["last_seq"]
        self.stats.latency[kind + " → items on screen"].append(time.perf_counter() - began)
        c.started = True

    async def send(self, c: Candidate, seq: int, kind: str = "save") -> bool:
        """POST one journalled change until the server acknowledges it (bounded retries, as test.js does)."""
        position, value = c.sent[seq]
        body = {"seq": seq, "position": position, "value": value, "flagged": seq % 23 == 0, "client_at": ""}
        delay = 0.5
        for _ in range(SAVE_RETRIES):
            reply = await call(
                self.stats, kind, c.http, "POST", c.base + "/answers", json=body, headers=c.json_headers()
            )
            if reply is not None and reply.status == 200:
                ack = reply.json()
                if ack["seq"] != seq or not (ack["applied"] or ack["duplicate"]):
                    self.stats.error(kind, "odd acknowledgement", reply.body.decode())
                c.acked.add(seq)
                c.last_contact = time.monotonic()
                self.stats.counts[kind + " acknowledged"] += 1
                return True
            if reply is not None and reply.status == 409:
                c.closed = True
                return False
            if (reply is not None and reply.status < 500) or self.left() < delay:
                return False  # a refusal is final (counted as an error); no time left for another try
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8)
        return False

    async def resend(self, c: Candidate, seq: int) -> None:
        """Send an acknowledged change again with the same seq: it must come back as a duplicate."""
        position, value = c.sent[seq]
        body = {"seq": seq, "position": position, "value": value, "flagged": seq % 23 == 0, "client_at": ""}
        reply = await call(
            self.stats,
            "save (same seq again)",
            c.http,
            "POST",
            c.base + "/answers",
            json=body,
            headers=c.json_headers(),
        )
        if reply is not None and reply.status == 200 and not reply.json()["duplicate"]:
            self.stats.error("save (same seq again)", "not reported as duplicate", reply.body.decode())

    async def pump(self, c: Candidate, queue: asyncio.Queue) -> None:
        """Send queued changes one at a time in seq order, like the page's local buffer."""
        while True:
            seq = await queue.get()
            try:
                if seq is None:
                    return
                if not c.closed and await self.send(c, seq) and c.rng.random() < self.args.duplicates:
                    await self.resend(c, seq)
            finally:
                queue.task_done()

    async def heartbeats(self, c: Candidate) -> None:
        await asyncio.sleep(c.rng.uniform(0, self.args.heartbeat))
        for _ in range(10_000):
            if c.closed or self.left() <= 0:
                return
            # as test.js: a beat only after a whole interval without an acknowledged save
            if time.monotonic() - c.last_contact >= 0.9 * self.args.heartbeat:
                reply = await call(
                    self.stats, "heartbeat", c.http, "POST", c.base + "/heartbeat", json={}, headers=c.json_headers()
                )
                if reply is not None and reply.status == 200:
                    c.last_contact = time.monotonic()
            await asyncio.sleep(self.args.heartbeat)

    def change(self, c: Candidate, queue: asyncio.Queue, item: dict, previous: Any) -> Any:
        value = answer_for(item, c.rng, previous)
        c.seq += 1
        c.sent[c.seq] = (item["position"], value)
        queue.put_nowait(c.seq)
        self.stats.counts["changes"] += 1
        return value

    async def take(self, c: Candidate, start_at: float) -> None:
        """Start at ``start_at``, answer every item after a think time, wait for the saves, submit."""
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await self.start(c)
        if not c.started:
            return
        queue: asyncio.Queue = asyncio.Queue()
        pump = asyncio.create_task(self.pump(c, queue))
        beat = asyncio.create_task(self.heartbeats(c))
        try:
            for item in c.items:
                await self.think(c)
                if c.closed or self.left() <= 0:
                    break
                value = self.change(c, queue, item, None)
                if c.rng.random() < self.args.changes:  # second thoughts about the same item
                    await self.think(c, 0.5)
                    self.change(c, queue, item, value)
            queue.put_nowait(None)
            try:
                await asyncio.wait_for(asyncio.shield(pump), timeout=max(self.left(), 0.1))
            except TimeoutError:  # --max-seconds: not the server's error, reported as unfinished
                return
            if not c.closed and self.left() > 0:
                await self.submit(c)
        finally:
            beat.cancel()
            pump.cancel()

    async def submit(self, c: Candidate, kind: str = "submit") -> None:
        reply = await call(
            self.stats, kind, c.http, "POST", c.base + "/submit", json={"last_seq": c.seq}, headers=c.json_headers()
        )
        if reply is not None and reply.status == 200:
            c.receipt = reply.json()["receipt"]
            c.closed = True

    async def burst(self, c: Candidate, until: float) -> None:
        """Closed loop: save changes back to back, no think time, until ``until``; then submit."""
        for _ in range(1_000_000):
            if time.monotonic() >= until or c.closed:
                break
            item = c.items[c.rng.randrange(len(c.items))]
            c.seq += 1
            c.sent[c.seq] = (item["position"], answer_for(item, c.rng))
            await self.send(c, c.seq, kind="save (burst)")
        await self.submit(c, kind="submit (burst)")


def _form_token(reply: Reply | None) -> str | None:
    if reply is None or reply.status != 200:
        return None
    tag = CSRF_INPUT.search(reply.body.decode())
    value = VALUE_ATTR.search(tag.group(0)) if tag else None
    return value.group(1) if value else None


async def bare_loop(stats: Stats, http, until: float) -> int:
    done = 0
    for _ in range(10_000_000):
        if time.monotonic() >= until:
            break
        reply = await call(stats, "bare GET /health", http, "GET", "/health")
        done += reply is not None and reply.status == 200
    return done


# --- the whole drive ---------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    wall: float
    server_cpu: float
    database_cpu: float  # PostgreSQL backends of the benchmark's database (SQLite runs inside the server)
    client_cpu: float
    machine_cpu: float  # every process on the machine, these included


class Clock:
    """Wall and CPU time of consecutive phases: server, database, this process, the whole machine."""

    def __init__(self, pgid: int | None, database: str | None) -> None:
        self.pgid, self.database = pgid, database
        self.phases: list[Phase] = []
        self._reset()

    def _reset(self) -> None:
        self._wall, self._client, self._machine = time.monotonic(), _own_cpu(), machine_cpu_seconds()
        self._server, self._db = process_cpu(self.pgid, self.database)

    def done(self, name: str) -> Phase:
        server, backends = process_cpu(self.pgid, self.database)

        def grown(now: dict[int, float], before: dict[int, float]) -> float:
            return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())

        phase = Phase(
            name,
            time.monotonic() - self._wall,
            grown(server, self._server),
            grown(backends, self._db),
            _own_cpu() - self._client,
            machine_cpu_seconds() - self._machine,
        )
        self.phases.append(phase)
        self._reset()
        return phase


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


async def drive(args, base: str, prepared: Prepared, pgid: int | None) -> dict:
    """Log everyone in, start the main candidates together, let them work, then the baseline and the burst."""
    stats = Stats()
    run = Run(args, stats, prepared.pin, time.monotonic() + args.max_login_seconds)
    connector = aiohttp.TCPConnector(limit=args.connections, keepalive_timeout=1.0)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    master = random.Random(args.seed)
    people = [Candidate(seat, random.Random(master.random())) for seat in prepared.seats]
    for c in people:
        c.http = aiohttp.ClientSession(
            base_url=base,
            connector=connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: accept cookies from an IP address
            timeout=timeout,
        )
    clock = Clock(pgid, urlsplit(prepared.url).path.lstrip("/") if prepared.url.startswith("postgres") else None)
    result: dict[str, Any] = {"stats": stats, "people": people, "clock": clock}
    try:
        await _logins(run, people)
        clock.done("logins (warm-up, not measured)")
        mains = [c for c in people if c.logged_in and not c.seat.burst]
        t0 = time.monotonic() + 1.0
        run.deadline = t0 + args.max_seconds  # the test phase has its own bound, whatever the logins took
        await _bounded(
            [asyncio.create_task(run.take(c, t0 + master.uniform(0, args.start_window))) for c in mains], run
        )
        result["test_phase"] = clock.done("test (start, items, submit)")
        await _settle(stats, connector, base)
        clock.done("settle (server drains what the stopped candidates left)")
        async with aiohttp.ClientSession(base_url=base, connector=connector, connector_owner=False) as bare:
            until = time.monotonic() + args.baseline_seconds
            counts = await asyncio.gather(*(bare_loop(stats, bare, until) for _ in range(args.concurrency)))
        result["bare"] = clock.done("baseline GET /health"), sum(counts)
        bursts = [c for c in people if c.logged_in and c.seat.burst]
        run.deadline = time.monotonic() + args.baseline_seconds + 120  # the burst has its own bound
        if bursts:
            await asyncio.gather(*(run.start(c, kind="start (burst)") for c in bursts))
            clock.done("burst candidates start")
            until = time.monotonic() + args.baseline_seconds
            await asyncio.gather(*(run.burst(c, until) for c in bursts if c.started))
            result["burst"] = clock.done("save burst (closed loop, then submit)")
    finally:
        await asyncio.gather(*(c.http.close() for c in people))
        await connector.close()
    return result


async def _settle(stats: Stats, connector, base: str) -> None:
    """Wait (at most 300 s) until the server answers /health quickly again, before the baseline."""
    probe = Stats()
    until = time.monotonic() + 300
    async with aiohttp.ClientSession(base_url=base, connector=connector, connector_owner=False) as http:
        while time.monotonic() < until:
            began = time.monotonic()
            reply = await call(probe, "settle", http, "GET", "/health")
            if reply is not None and reply.status == 200 and time.monotonic() - began < 0.05:
                return
            await asyncio.sleep(0.5)
    stats.error("settle", "server still busy 300 s after the test phase")


async def _logins(run: Run, people: list[Candidate]) -> None:
    """Spread the logins over the warm-up window, a bounded number at a time."""
    gate = asyncio.Semaphore(run.args.login_concurrency)
    rng = random.Random(run.args.seed + 1)

    async def one(c: Candidate, at: float) -> None:
        await asyncio.sleep(at)
        async with gate:
            if run.left() > 0:
                await run.login(c)

    await _bounded([asyncio.create_task(one(c, rng.uniform(0, run.args.login_window))) for c in people], run)


async def _bounded(tasks: list[asyncio.Task], run: Run) -> None:
    """Wait for the tasks until the run's deadline; cancel whatever is left then."""
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=max(run.left(), 0.1))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            run.stats.error("client", type(task.exception()).__name__, repr(task.exception()))


# --- after the run: nothing acknowledged may be missing ----------------------------------------------------


def check_lost(url: str, people: list[Candidate]) -> dict[str, int]:
    """Compare every acknowledged save with the answer journal and the current answers in the database."""
    from sqlalchemy import select

    from examplatform.extensions import db
    from examplatform.theory.models import Answer, Attempt, AttemptStatus, JournalEntry

    by_attempt = {c.seat.attempt_id: c for c in people if c.sent}
    journal: dict[int, dict[int, tuple[int, Any]]] = defaultdict(dict)
    current: dict[int, dict[int, tuple[int, Any]]] = defaultdict(dict)
    app = _app(url)
    with app.app_context():
        for row in db.session.execute(
            select(JournalEntry.attempt_id, JournalEntry.seq, JournalEntry.position, JournalEntry.value)
        ):
            if row.attempt_id in by_attempt:
                journal[row.attempt_id][row.seq] = (row.position, json.loads(row.value))
        for row in db.session.execute(select(Answer.attempt_id, Answer.position, Answer.seq, Answer.value)):
            if row.attempt_id in by_attempt:
                current[row.attempt_id][row.position] = (row.seq, json.loads(row.value))
        statuses = dict(
            db.session.execute(
                select(Attempt.id, Attempt.receipt).where(Attempt.status == AttemptStatus.SUBMITTED)
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    out = Counter()
    for attempt_id, c in by_attempt.items():
        newest: dict[int, int] = {}
        for seq in sorted(c.acked):
            out["acknowledged"] += 1
            if journal[attempt_id].get(seq) != c.sent[seq]:
                out["lost: acknowledged save missing from the journal"] += 1
            newest[c.sent[seq][0]] = seq
        for position, seq in newest.items():
            stored = current[attempt_id].get(position)
            if stored is None or stored[0] < seq:
                out["lost: current answer older than the last acknowledged"] += 1
            elif stored[0] == seq and stored[1] != c.sent[seq][1]:
                out["lost: current answer differs from the acknowledged value"] += 1
            elif stored[0] > seq and c.sent.get(stored[0]) != (position, stored[1]):
                out["lost: current answer is a change the candidate never sent"] += 1
        if c.receipt is not None and statuses.get(attempt_id) != c.receipt:
            out["receipt not matching the submitted attempt"] += 1
    out["attempts checked"] = len(by_attempt)
    return out


# --- printing ----------------------------------------------------------------------------------------------


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<34} {0:>7}"
    ms = [v * 1000 for v in values]
    return (
        f"  {name:<34} {len(ms):>7} {percentile(ms, 50):>9.0f} {percentile(ms, 95):>9.0f}"
        f" {percentile(ms, 99):>9.0f} {max(ms):>9.0f}"
    )


def database_kind(url: str) -> str:
    if url.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file {url.split('///', 1)[-1]})"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return f"PostgreSQL {version} ({urlsplit(url).hostname})"


ORDER = (
    "login page",
    "login",
    "start page",
    "start",
    "start → items on screen",
    "save",
    "save (same seq again)",
    "heartbeat",
    "submit",
    "bare GET /health",
    "start (burst)",
    "save (burst)",
    "submit (burst)",
)


def _print_settings(args, prepared: Prepared, result: dict, *, server_text: str, db_text: str) -> None:
    people: list[Candidate] = result["people"]
    mains = [c for c in people if not c.seat.burst]
    cpu = platform.processor() or platform.machine()
    model = next((ln.split(":", 1)[1].strip() for ln in _cpuinfo() if ln.startswith("model name")), cpu)
    print(f"machine: {os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}")
    print(f"python: {platform.python_version()}  aiohttp {aiohttp.__version__}  database: {db_text}")
    print(f"server: {server_text}")
    print(
        f"settings: candidates {len(mains)} (+{len(people) - len(mains)} for the burst), think mean {args.think} s"
        f" (uniform ±50 %), second change {args.changes:.0%}, resend same seq {args.duplicates:.0%},"
        f" heartbeat {args.heartbeat:g} s, start window {args.start_window:g} s, login window {args.login_window:g} s,"
        f" connections {args.connections or 'unlimited'}, baseline/burst {args.concurrency} concurrent for"
        f" {args.baseline_seconds:g} s, test phase at most {args.max_seconds:g} s, seed {args.seed}"
    )
    if prepared.timings:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in prepared.timings.items())
        print(f"set-up: {sum(prepared.timings.values()):.1f} s ({parts})")
    own_server = result["clock"].pgid is not None
    for phase in result["clock"].phases:
        if phase.wall < 0.5:
            continue
        others = max(0.0, phase.machine_cpu - phase.server_cpu - phase.database_cpu - phase.client_cpu)
        capacity = phase.wall * (os.cpu_count() or 1)
        server = f"server {phase.server_cpu / capacity:.0%}, " if own_server else ""
        if prepared.url.startswith("postgres"):
            server += f"PostgreSQL {phase.database_cpu / capacity:.0%}, "
        print(
            f"phase {phase.name}: {phase.wall:.1f} s; CPU {server}load generator {phase.client_cpu / capacity:.0%},"
            f" other processes{'' if own_server else ' (the server among them)'} {others / capacity:.0%}"
            f" of {os.cpu_count()} cores"
        )


def _cpu_per_request(phase: Phase, requests: int) -> str:
    """CPU per request: unlike rates and latencies, hardly changed by other processes on the machine."""
    if phase.server_cpu <= 0:
        return " CPU not measured (a server given by --url)"
    text = f" CPU {phase.server_cpu / requests * 1000:.1f} ms/request"
    if phase.database_cpu:
        text += f" + PostgreSQL {phase.database_cpu / requests * 1000:.1f} ms"
    return text


def _print_baseline(args, result: dict, save_rate: float) -> None:
    stats: Stats = result["stats"]
    bare_phase, bare_count = result.get("bare", (None, 0))
    if not bare_phase or not bare_count:
        return
    bare_rate = bare_count / bare_phase.wall
    print(
        f"\nbaseline GET /health (SELECT 1): {bare_rate:.0f} req/s, {args.concurrency} concurrent, closed loop;"
        f" server{_cpu_per_request(bare_phase, bare_count)}"
    )
    first, last = stats.span.get("save (burst)", (0.0, 0.0))
    burst = result.get("burst")
    if burst and last > first:
        saved = stats.counts["save (burst) acknowledged"]
        burst_rate = saved / (last - first)
        print(
            f"save burst, same client and concurrency, closed loop: {burst_rate:.0f} saves/s;"
            f" server{_cpu_per_request(burst, saved)}"
        )
        print(f"ratio save / bare (closed loop, same concurrency): {burst_rate / bare_rate:.2f}")
    print(f"ratio test-phase save throughput / bare: {save_rate / bare_rate:.2f}")


def report(args, prepared: Prepared, result: dict, *, server_text: str, lost: Counter, db_text: str) -> None:
    stats: Stats = result["stats"]
    mains = [c for c in result["people"] if not c.seat.burst]
    _print_settings(args, prepared, result, server_text=server_text, db_text=db_text)
    print(f"\n  {'latency (ms)':<34} {'n':>7} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
    for name in sorted(stats.latency, key=lambda k: (ORDER.index(k) if k in ORDER else len(ORDER), k)):
        print(_row(name, stats.latency[name]))
    saves = stats.counts["save acknowledged"]
    first, last = stats.span.get("save", (0.0, 0.0))
    save_rate = saves / (last - first) if last > first else 0.0
    print(
        f"\nsaves: {saves} acknowledged of {stats.counts['changes']} changes; {save_rate:.1f} saves/s between the"
        f" first and the last save ({last - first:.1f} s); busiest 10 s: {stats.peak('save', 10):.1f} saves/s"
        f" (the think times offer about {len(mains) / (args.think * (1 + args.changes / 2)):.0f} changes/s)"
    )
    saved = sorted(len({c.sent[seq][0] for seq in c.acked}) for c in mains if c.started)
    if saved:
        print(
            f"items with an acknowledged answer per started candidate: median {saved[len(saved) // 2]},"
            f" min {saved[0]}, max {saved[-1]} of {len(mains[0].items) or 40}"
        )
    logged_in = sum(1 for c in mains if c.logged_in)
    started = sum(1 for c in mains if c.started)
    submitted = sum(1 for c in mains if c.receipt)
    print(
        f"candidates: {len(mains)}; logged in {logged_in}, started {started}, submitted {submitted}"
        + (f" — {logged_in - submitted} stopped by --max-seconds {args.max_seconds:g}" if logged_in > submitted else "")
    )
    errors = sum(stats.errors.values())
    print(f"errors: {errors}")
    for (kind, what), n in stats.errors.most_common():
        print(f"  {n:>6} × {kind}: {what}")
    for sample in stats.samples:
        print(f"    e.g. {sample}")
    lost_total = sum(n for k, n in lost.items() if k.startswith(("lost", "receipt")))
    print(
        f"LOST ANSWERS: {lost_total} (acknowledged saves checked: {lost['acknowledged']},"
        f" attempts: {lost['attempts checked']})"
    )
    for k, n in lost.items():
        if k.startswith(("lost", "receipt")) and n:
            print(f"  {n:>6} × {k}")
    _print_baseline(args, result, save_rate)
    p95 = percentile(stats.latency["save"], 95) * 1000 if stats.latency["save"] else float("nan")
    met = p95 < 300 and errors == 0 and lost_total == 0
    print(
        f"target (issue 3: p95 save < 300 ms, 0 errors, 0 lost): {'met' if met else 'NOT met'} (p95 save {p95:.0f} ms)"
    )


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


# --- main ------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--candidates", type=int, default=None, help="candidates in the main run (default 2000; --url: all ready)")
    add("--think", type=float, default=20.0, help="mean think time per item in seconds (uniform ±50 %%)")
    add("--start-window", type=float, default=None, help="start spread in seconds (default min(30, 20×think))")
    add("--login-window", type=float, default=None, help="login spread in seconds (default min(30, 20×think))")
    add("--login-concurrency", type=int, default=16, help="logins in flight at once (scrypt is slow on purpose)")
    add("--changes", type=float, default=0.15, help="share of items changed a second time")
    add("--duplicates", type=float, default=0.05, help="share of saves resent with the same seq after the ack")
    add("--heartbeat", type=float, default=20.0, help="seconds between heartbeats (the page's default)")
    add("--concurrency", type=int, default=16, help="closed-loop clients for the baseline and the save burst")
    add("--baseline-seconds", type=float, default=5.0, help="duration of the baseline and of the save burst")
    add("--connections", type=int, default=0, help="client connection pool (0: unlimited, one per request)")
    add("--request-timeout", type=float, default=300.0, help="seconds before a request is given up")
    add("--max-seconds", type=float, default=1200.0, help="limit of the test phase (then: stop, check, report)")
    add("--max-login-seconds", type=float, default=900.0, help="limit of the login warm-up")
    add("--seed", type=int, default=13881)
    add(
        "--workers",
        type=int,
        default=4,
        help="gunicorn workers (4 × 2 threads: the best of 3×4, 5 sync, 2×8, 4×2 measured on 2 cores)",
    )
    add("--threads", type=int, default=2, help="threads per worker (gthread; 1: sync workers)")
    add("--gunicorn-args", default="", help="extra gunicorn arguments, e.g. '--keep-alive 5'")
    add("--database-url", default=None, help="PostgreSQL URL (schema emptied!); default: a temp SQLite file")
    add("--url", default=None, help="drive this running server (127.0.0.1 only) on data made by --setup-only")
    add("--session-code", default=None, help="with --url: the session to use")
    add("--password", default=PASSWORD, help="with --url: the candidates' password")
    add("--setup-only", action="store_true", help="prepare the database, print the session code, stop")
    add("--keep", action="store_true", help="keep the temp folder (database, gunicorn log)")
    args = parser.parse_args()
    args.start_window = min(30.0, 20 * args.think) if args.start_window is None else args.start_window
    args.login_window = min(30.0, 20 * args.think) if args.login_window is None else args.login_window
    if args.url:
        host = urlsplit(args.url).hostname
        if host not in LOCAL_HOSTS:
            parser.error("--url: only a server on this machine (127.0.0.1 / localhost) may be loaded")
        if not (args.database_url and args.session_code):
            parser.error("--url needs --database-url and --session-code (to read the candidates and check answers)")
    return args


def main() -> None:
    args = parse_args()
    if aiohttp is None:
        raise SystemExit("aiohttp is missing: .venv/bin/pip install aiohttp==3.14.5")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks, stop the server
    workdir = Path(tempfile.mkdtemp(prefix="bench-theory-"))
    os.environ["EXAMPLATFORM_INSTANCE_PATH"] = str(workdir / "instance")  # nothing touches ./instance
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    server = None
    try:
        if args.url:
            seats, session_id = load_seats(url, args.session_code, args.candidates, args.concurrency)
            prepared = Prepared(url, args.session_code, session_id, rotate_pin(url, args.session_code), seats)
            base, server_text, pgid = args.url.rstrip("/"), f"given: {args.url}", None
        else:
            prepared = prepare(url, args.candidates or 2000, args.concurrency)
            if args.setup_only:
                print(f"prepared {len(prepared.seats)} candidates in session {prepared.session_code} at {url}")
                args.keep = args.keep or not args.database_url
                return
            server = start_server(args, url, workdir)
            base, server_text, pgid = server.base, f"{server.description} at {server.base}", server.process.pid
        if not prepared.seats:
            raise SystemExit("no authorised, not started attempts to drive")
        result = asyncio.run(drive(args, base, prepared, pgid))
        stop_server(server)
        lost = check_lost(url, result["people"])
        report(args, prepared, result, server_text=server_text, lost=lost, db_text=database_kind(url))
    finally:
        stop_server(server)
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
