"""The validation and certification platform for qualification 13881."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secret_key(app: Flask) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first run."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(50):  # the creating worker may not have finished writing yet
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and start again")


def _configure(app: Flask, config: dict | None) -> None:
    name = os.environ.get("EXAMPLATFORM_CONFIG", "development")
    base = config_module.CONFIGS.get(name)
    if base is None:
        raise RuntimeError(f"EXAMPLATFORM_CONFIG={name!r}: use one of {', '.join(config_module.CONFIGS)}")
    if config and config.get("TESTING"):
        base = config_module.TestingConfig
    app.config.from_object(base)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.environment_overrides(base))
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = Path(app.instance_path) / "examplatform.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    # content paths are relative to the project
    for name in ("QUALIFICATION_FILE", "BANK_FOLDER", "INTERVIEW_BANK_FILE"):
        if not Path(app.config[name]).is_absolute():
            app.config[name] = str(PROJECT_ROOT / app.config[name])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL for concurrent readers, enforced foreign keys, and patience with a busy writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _check_content(app: Flask) -> None:
    """Refuse to start on a broken qualification file, naming every problem with its file and line."""
    from examplatform.core.content import ContentError
    from examplatform.qualification.loader import load_qualification

    try:
        load_qualification(app.config["QUALIFICATION_FILE"])
    except ContentError as exc:
        raise RuntimeError("Plik kwalifikacji jest niepoprawny:\n" + str(exc)) from exc


def create_app(config: dict | None = None) -> Flask:
    """Build the platform application; ``config`` overrides every other setting."""
    instance_path = os.environ.get("EXAMPLATFORM_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    _configure(app, config)

    from examplatform import models  # noqa: F401  (every model registered before mapping)
    from examplatform.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from examplatform.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    limiter.init_app(app)
    from examplatform.auth.views import init_login

    init_login(app, login_manager)

    from examplatform import web
    from examplatform.core.web import RecordIdConverter

    app.url_map.converters["int"] = RecordIdConverter  # before the routes are added
    web.register(app)

    from examplatform.cli import register_cli

    register_cli(app)

    _check_content(app)

    from simulator import mount

    mount(app)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:  # outermost, so the platform and the simulator under /sim see the same client address
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
