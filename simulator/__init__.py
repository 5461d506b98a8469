"""The CRM simulator: a second Flask app mounted under /sim by the platform (and runnable alone).

The platform reaches the simulator only through ``simulator.api``; the simulator never imports the platform.
Run it alone with ``flask --app simulator:create_sim_app run`` (instances are provisioned through the API).

Where instances live (``simulator.storage``): SQLite files under ``SANDBOX_ROOT`` by default; with
``DATABASE_URL`` on PostgreSQL (environment ``SIMULATOR_DATABASE_URL``; mounted in the platform, also the
platform's own ``SQLALCHEMY_DATABASE_URI`` when it is PostgreSQL) one schema per instance, in the namespace
``SANDBOX_NAMESPACE`` (``SIMULATOR_SANDBOX_NAMESPACE``), so any app node can serve any candidate.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

MOUNT_POINT = "/sim"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SANDBOX_ROOT = PROJECT_ROOT / "instance" / "sandboxes"

DEFAULTS = {
    "SANDBOX_ROOT": str(DEFAULT_SANDBOX_ROOT),
    "DATABASE_URL": "",  # PostgreSQL: one schema per instance (read from SIMULATOR_DATABASE_URL at app creation)
    "SANDBOX_NAMESPACE": "",  # PostgreSQL: separates simulators (or test runs) sharing one database
    "BOOTSTRAP_SERVE_LOCAL": True,
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # an exam day
    "WTF_I18N_ENABLED": False,  # WTForms' own Polish catalogue (see CrmForm.Meta)
    "SESSION_COOKIE_NAME": "sim_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
}


def create_sim_app(config: dict | None = None) -> Flask:
    """Build the simulator application."""
    app = Flask(__name__)
    from simulator import practice
    from simulator.storage import ENVIRONMENT

    app.config.update(DEFAULTS)
    app.config.update(practice.DEFAULTS)
    app.config.update({k: os.environ[v] for k, v in ENVIRONMENT.items() if os.environ.get(v)})
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        # standalone runs only: forms of a previous run become invalid after a restart
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["SANDBOX_ROOT"] = str(Path(app.config["SANDBOX_ROOT"]).resolve())

    from simulator import web
    from simulator.crm.views import bp
    from simulator.extensions import bootstrap, csrf

    csrf.init_app(app)
    bootstrap.init_app(app)
    app.url_map.converters["int"] = web.RecordIdConverter  # before the routes are added
    app.register_blueprint(bp)
    app.register_blueprint(practice.bp)

    @app.get("/health")
    def health():
        return {"status": "ok", "component": "crm-simulator"}

    web.register_errors(app)
    web.register_headers(app)
    web.register_filters(app)
    app.jinja_env.globals["static_version"] = web.static_version(app)
    return app


def mount(platform: Flask) -> None:
    """Serve the simulator under /sim within the platform's WSGI application.

    Sandboxes live in the platform's instance folder (``<instance>/sandboxes``) unless the platform
    sets ``SIMULATOR_SANDBOX_ROOT``. When the platform's database is PostgreSQL (or the platform sets
    ``SIMULATOR_DATABASE_URL``, or the environment does) they are schemas of that database instead, in the
    namespace ``SIMULATOR_SANDBOX_NAMESPACE`` (default: none).
    """
    from simulator.storage import is_postgres

    root = platform.config.get("SIMULATOR_SANDBOX_ROOT") or Path(platform.instance_path) / "sandboxes"
    platform_db = platform.config.get("SQLALCHEMY_DATABASE_URI") or ""
    database_url = (
        platform.config.get("SIMULATOR_DATABASE_URL")
        or os.environ.get("SIMULATOR_DATABASE_URL")
        or (platform_db if is_postgres(platform_db) else "")
    )
    sim = create_sim_app(
        {
            "SECRET_KEY": platform.config["SECRET_KEY"],
            "TESTING": platform.config.get("TESTING", False),
            "SANDBOX_ROOT": str(root),
            "DATABASE_URL": database_url,
            "SANDBOX_NAMESPACE": platform.config.get("SIMULATOR_SANDBOX_NAMESPACE")
            or os.environ.get("SIMULATOR_SANDBOX_NAMESPACE", ""),
            "WTF_CSRF_ENABLED": platform.config.get("WTF_CSRF_ENABLED", True),
            "SESSION_COOKIE_PATH": MOUNT_POINT,
            "SESSION_COOKIE_SECURE": platform.config.get("SESSION_COOKIE_SECURE", False),
        }
    )
    platform.extensions["simulator"] = sim
    platform.wsgi_app = DispatcherMiddleware(platform.wsgi_app, {MOUNT_POINT: sim})
