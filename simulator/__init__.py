"""The CRM simulator: a second Flask app mounted under /sim by the platform (and runnable alone).

The platform reaches the simulator only through ``simulator.api``; the simulator never imports the platform.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

MOUNT_POINT = "/sim"


def create_sim_app(config: dict | None = None) -> Flask:
    """Build the simulator application."""
    app = Flask(__name__)
    app.config.update(config or {})

    @app.get("/health")
    def health():
        return {"status": "ok", "component": "crm-simulator"}

    return app


def mount(platform: Flask) -> None:
    """Serve the simulator under /sim within the platform's WSGI application."""
    sim = create_sim_app(
        {"SECRET_KEY": platform.config["SECRET_KEY"], "TESTING": platform.config.get("TESTING", False)}
    )
    platform.extensions["simulator"] = sim
    platform.wsgi_app = DispatcherMiddleware(platform.wsgi_app, {MOUNT_POINT: sim})
