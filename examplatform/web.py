"""Wire the blueprints, error pages, security headers and template helpers into the app."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from examplatform.core.errors import DomainError

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
)

ERROR_TEXTS = {
    400: ("Niepoprawne żądanie", "Serwer nie mógł przetworzyć żądania. Sprawdź dane i spróbuj ponownie."),
    403: (
        "Brak uprawnień",
        "Nie masz uprawnień do tej strony. Jeśli to pomyłka, skontaktuj się z administratorem instytucji.",
    ),
    404: ("Nie znaleziono strony", "Strona o tym adresie nie istnieje albo została usunięta."),
    405: ("Niedozwolona metoda", "Ta strona nie obsługuje takiego żądania."),
    413: ("Plik jest za duży", "Przesłany plik lub formularz przekracza dopuszczalny rozmiar."),
    429: ("Zbyt wiele prób", "Wykonano zbyt wiele prób w krótkim czasie. Odczekaj chwilę i spróbuj ponownie."),
    500: ("Błąd serwera", "Wystąpił nieoczekiwany błąd. Zdarzenie zostało zapisane; spróbuj ponownie za chwilę."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, message: str | None = None):
    """Render a Polish (or English) error page, or JSON for API clients."""
    title, default = ERROR_TEXTS.get(code, ERROR_TEXTS[500] if code >= 500 else ERROR_TEXTS[400])
    text = message or _(default)
    if _wants_json():
        return {"error": _(title), "message": text, "status": code}, code
    return render_template("errors/error.html", code=code, title=_(title), message=text), code


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from examplatform.audit.services import record
        from examplatform.core.clock import utcnow
        from examplatform.extensions import db

        db.session.rollback()
        record(
            "security.csrf_rejected",
            actor=current_user if current_user.is_authenticated else None,
            now=utcnow(),
            details={"path": request.path, "method": request.method, "reason": exc.description},
            ip=request.remote_addr or "",
        )
        db.session.commit()
        return render_error(
            400,
            _(
                "Formularz wygasł lub nie pochodzi z tej strony (brak ważnego tokenu CSRF). "
                "Odśwież stronę i wyślij formularz ponownie."
            ),
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        from examplatform.extensions import db

        db.session.rollback()
        return render_error(exc.status_code, exc.message)

    @app.errorhandler(429)
    def too_many(exc):
        return render_error(
            429,
            _(
                "Zbyt wiele prób w krótkim czasie (limit: %(limit)s). Odczekaj kilka minut i spróbuj ponownie.",
                limit=exc.description,
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # a description given to abort() is ours (already translated); werkzeug's defaults are English
        custom = exc.description if exc.description != type(exc).description else None
        return render_error(exc.code or 500, custom)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        from examplatform.extensions import db

        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)


def _register_template_helpers(app: Flask) -> None:
    from examplatform.navigation import navigation_for

    class LazyNavigation:
        """The menu entries, built only if the page shows the menu (the test page does not)."""

        def __init__(self, user) -> None:
            self.user, self.items = user, None

        def __iter__(self):
            if self.items is None:
                self.items = navigation_for(self.user)
            return iter(self.items)

    @app.context_processor
    def inject():
        return {
            "nav_items": LazyNavigation(current_user),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }

    @app.template_filter("dt")
    def _dt(value, fmt: str = "dd.MM.yyyy HH:mm"):
        return format_datetime(value, fmt) if value else ""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register(app: Flask) -> None:
    """Attach every blueprint and the shared request machinery."""
    from examplatform.audit.views import bp as audit_bp
    from examplatform.auth.views import bp as auth_bp
    from examplatform.bank.views import bp as bank_bp
    from examplatform.commission.views import bp as commission_bp
    from examplatform.institutions.views import bp as institutions_bp
    from examplatform.main.views import bp as main_bp
    from examplatform.notifications.views import bp as notifications_bp
    from examplatform.practical.views import bp as practical_bp
    from examplatform.qualification.views import bp as qualification_bp
    from examplatform.sessions.views import bp as sessions_bp
    from examplatform.theory.views import bp as theory_bp

    for blueprint in (
        main_bp,
        auth_bp,
        qualification_bp,
        institutions_bp,
        audit_bp,
        sessions_bp,
        notifications_bp,
        bank_bp,
        theory_bp,
        commission_bp,
        practical_bp,
    ):
        app.register_blueprint(blueprint)
    _register_error_handlers(app)
    _register_template_helpers(app)
    app.before_request(_refuse_nul)


def _refuse_nul():
    """Refuse a request with a NUL byte in any value: no keyboard types one and PostgreSQL cannot store it.

    The whole request is refused (nothing is saved), with a message saying why, and the attempt is audited.
    """
    names = sorted({name for part in (request.args, request.form) for name, value in part.items() if "\x00" in value})
    if not names:
        return None
    from examplatform.audit.services import record
    from examplatform.core.clock import utcnow
    from examplatform.extensions import db

    record(
        "security.request_refused",
        actor=current_user if current_user.is_authenticated else None,
        now=utcnow(),
        details={"path": request.path, "method": request.method, "reason": "NUL", "fields": names[:50]},
        ip=request.remote_addr or "",
    )
    db.session.commit()
    return render_error(
        400,
        _(
            "Żądanie zawiera niedozwolony znak (bajt zerowy, NUL), którego nie da się zapisać. Usuń go z pola "
            "(zwykle pojawia się po wklejeniu danych z innego programu) i wyślij formularz ponownie."
        ),
    )
