"""Error pages, security headers and template filters of the simulator app."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.dates import format_datetime, get_timezone
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from simulator.crm import validators as v
from simulator.crm.services.common import NotFoundError
from simulator.crm.services.opportunities import money


class RecordIdConverter(IntegerConverter):
    """``<int:…>`` in the simulator's URLs, bounded by the ids' SQL INTEGER: a larger number is a 404."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", v.MAX_ID)
        super().__init__(url_map, *args, **kwargs)


log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
TITLES = {
    400: "Niepoprawne żądanie",
    403: "Brak uprawnień",
    404: "Nie znaleziono",
    405: "Niedozwolona metoda",
    410: "Instancja wygasła",
    413: "Za duże dane",
    423: "Instancja zamrożona",
    429: "Limit wyczerpany",
    500: "Błąd serwera",
}
TEXTS = {
    400: "Serwer nie mógł przetworzyć żądania. Sprawdź dane i spróbuj ponownie.",
    403: "Nie masz uprawnień do tej operacji.",
    404: "Nie ma takiej strony albo rekordu. Sprawdź adres – link do instancji jest osobisty.",
    405: "Ta strona nie obsługuje takiego żądania.",
    413: "Przesłany formularz jest za duży.",
    423: "Instancja jest zamrożona – zmiany nie są już możliwe.",
    500: "Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę.",
}
WARSAW = get_timezone("Europe/Warsaw")


def render_error(code: int, message: str | None = None):
    """Render the Polish error page (or JSON for API clients)."""
    title = TITLES.get(code, TITLES[500] if code >= 500 else TITLES[400])
    text = message or TEXTS.get(code, TEXTS[400])
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": text, "status": code}, code
    return render_template("sim/error.html", code=code, title=title, message=text), code


def _log_csrf_rejection(exc: CSRFError) -> None:
    """Record a rejected form in the instance's log when the token names one."""
    from simulator.crm.services.common import record
    from simulator.crm.views.context import load_instance, where

    if request.blueprint != "crm" or not load_instance():
        return
    record(
        g.ctx,
        "csrf_rejected",
        summary="Odrzucono formularz bez ważnego tokenu CSRF",
        details={**where(), "reason": exc.description},
    )
    g.db.commit()


def _log_not_found(what: str) -> None:
    """Record a request for a record or page that does not exist: in the instance's log when the token opened
    one (e.g. another candidate's record id), else (unknown or forged token) in the server log, without the token."""
    from simulator.crm.services.common import record
    from simulator.crm.views.context import where

    ctx, session = g.get("ctx"), g.get("db")
    if ctx is None or session is None:
        if request.blueprint == "crm":
            log.warning(
                "simulator: unknown instance token: %s %s from %s",
                request.method,
                request.url_rule.rule if request.url_rule else "?",
                request.remote_addr,
            )
        return
    session.rollback()
    record(ctx, "not_found", summary=f"Odwołanie do nieistniejącego rekordu lub strony ({what})", details=where())
    session.commit()


def register_errors(app: Flask) -> None:
    """Answer every error with a Polish page; never leak a traceback."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        _log_csrf_rejection(exc)
        return render_error(
            400,
            "Formularz wygasł lub nie pochodzi z tej strony (brak ważnego tokenu CSRF). "
            "Odśwież stronę i wyślij formularz ponownie.",
        )

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError):
        _log_not_found(str(exc.args[0]) if exc.args else "rekord")
        return render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 404:
            _log_not_found(request.path.rsplit("/", 1)[-1][:40] or "strona")
        custom = exc.description if exc.description != type(exc).description else None
        return render_error(exc.code or 500, custom)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("simulator: unhandled error on %s %s", request.method, request.endpoint)
        session = g.get("db")
        if session is not None:
            session.rollback()
        return render_error(500)


def register_headers(app: Flask) -> None:
    """Send the same security headers as the platform; never cache instance pages (tokens in URLs)."""

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if request.blueprint == "crm":
            response.headers["Cache-Control"] = "no-store"
        return response


def register_filters(app: Flask) -> None:
    """Polish formatting of dates, money, NIP and phone numbers in templates."""

    @app.template_filter("d")
    def _date(value: date | None) -> str:
        return value.strftime("%d.%m.%Y") if value else ""

    @app.template_filter("dt")
    def _datetime(value: datetime | None) -> str:
        return format_datetime(value, "dd.MM.yyyy HH:mm:ss", tzinfo=WARSAW, locale="pl") if value else ""

    @app.template_filter("money")
    def _money(value: Decimal | None, currency: str | None = None) -> str:
        return money(value, currency) if value is not None else ""

    app.add_template_filter(v.format_nip, "nip")
    app.add_template_filter(v.format_phone, "phone")


def static_version(app: Flask) -> str:
    """Return a cache-busting tag for the simulator's own static files."""
    folder = Path(app.static_folder or "")
    stamps = [int(p.stat().st_mtime) for p in folder.glob("*") if p.is_file()]
    return str(max(stamps, default=0))
