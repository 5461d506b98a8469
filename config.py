"""Configuration classes; every setting can be overridden from the environment.

Precedence (lowest to highest): the class defaults below, ``instance/config.py``,
environment variables ``EXAMPLATFORM_<NAME>`` (``DATABASE_URL`` for the database), and the
mapping passed to ``create_app(config=...)``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import ClassVar

ENV_PREFIX = "EXAMPLATFORM_"


class Config:
    """Defaults shared by every environment."""

    # SECRET_KEY is deliberately absent: it comes from the environment or instance/secret_key.
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: a SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "examplatform_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # an exam day

    BABEL_DEFAULT_LOCALE = "pl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Warsaw"
    LANGUAGES: ClassVar[list[str]] = ["pl", "en"]

    RATELIMIT_ENABLED = True  # declared so that EXAMPLATFORM_RATELIMIT_ENABLED=false is read as a bool
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins per account; per address the limit is looser, because a whole exam room
    # usually reaches the server from one NAT address.
    LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
    LOGIN_RATE_LIMIT_PER_IP = "60 per minute"
    RESET_RATE_LIMIT = "5 per hour"

    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (nginx: 1). With 0 the headers are
    # ignored, so a client cannot choose the address that login limits and practice-instance limits count.
    PROXY_HOPS = 0

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    PASSWORD_RESET_TTL_MINUTES = 60
    PASSWORD_MIN_LENGTH = 10
    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

    QUALIFICATION_FILE = "question_bank/qualification/13881.yaml"
    BANK_FOLDER = "question_bank/theory/items"
    INTERVIEW_BANK_FILE = "question_bank/interview/questions.yaml"
    MIN_ITEMS_PER_T_CRITERION = 12
    # How often the page reports and resyncs the clock when no save was acknowledged in between; a beat is
    # stored when the last stored contact is 25 s old, so a stored contact is at most ~40 s old while online
    # (offline and connection gaps count from 60 s).
    THEORY_HEARTBEAT_MS = 20000


class DevelopmentConfig(Config):
    """The default: one machine, embedded SQLite."""


class ProductionConfig(Config):
    """Behind TLS; the database and rate-limit store come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


class TestingConfig(Config):
    """For the test suite (the fixtures choose the database)."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  (tests only)
    RATELIMIT_ENABLED = True
    SERVER_NAME = None


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def _coerce(raw: str, default: object) -> object:
    """Turn an environment string into the type of the default it overrides."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, (dict, list)):
        return json.loads(raw)
    if isinstance(default, timedelta):
        return timedelta(seconds=int(raw))
    return raw


def environment_overrides(base: type[Config], environ: os._Environ | dict | None = None) -> dict:
    """Collect ``EXAMPLATFORM_*`` settings (and ``DATABASE_URL``) from the environment."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, object] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        name = key[len(ENV_PREFIX) :]
        overrides[name] = _coerce(raw, getattr(base, name, None))
    if environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    return overrides


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
