"""Language and time zone selection (Polish first)."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_login import current_user


def supported_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Pick the language: the one chosen in this session, else the user's, else Polish."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in supported_languages():
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported_languages():
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
