"""Command-line tools: create-admin, demo, audit verify, qualification validate, outbox list."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.extensions import db


@click.command("create-admin")
@click.option("--email", required=True, help="Adres e-mail administratora platformy.")
@click.option("--name", "full_name", default="Administrator platformy", show_default=True)
@click.option("--password", envvar="EXAMPLATFORM_ADMIN_PASSWORD", help="Hasło (domyślnie: zapytaj).")
@with_appcontext
def create_admin(email: str, full_name: str, password: str | None) -> None:
    """Create a platform administrator (or give an existing account that role)."""
    from examplatform.auth import services
    from examplatform.auth.models import Role

    with force_locale("pl"):
        now = utcnow()
        user = services.find_user_by_email(email)
        try:
            if user is None:
                if not password:
                    password = click.prompt("Hasło", hide_input=True, confirmation_prompt="Powtórz hasło")
                min_length = current_app.config["PASSWORD_MIN_LENGTH"]
                services.check_password_policy(password, email=email, min_length=min_length)
                user = services.create_user(email=email, full_name=full_name, password=password, now=now)
            if not user.has_role(Role.PLATFORM_ADMIN):
                services.grant_role(
                    user,
                    Role.PLATFORM_ADMIN,
                    institution_id=None,
                    actor=None,
                    now=now,
                    reason="utworzono poleceniem create-admin",
                )
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"Administrator platformy: {user.email}")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    from examplatform.demo import load_demo
    from examplatform.qualification.services import current_qualification

    with force_locale("pl"):
        logins = load_demo(now=utcnow(), qualification=current_qualification())
        db.session.commit()
        click.echo("Dane demonstracyjne gotowe. Konta (hasło dla wszystkich takie samo):")
        for email, password, roles in logins:
            click.echo(f"  {email:<28} {password}   {roles}")


@click.group("audit", help="Dziennik zdarzeń.")
def audit() -> None:
    pass


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming the first broken entry."""
    from examplatform.audit.services import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"OK: łańcuch spójny, sprawdzono {result.checked} wpisów; skrót ostatniego: {result.head_hash}")
        return
    entry_id = f", id {result.broken_id}" if result.broken_id else ""
    click.echo(
        f"BŁĄD: {result.problem} (pierwszy uszkodzony wpis: nr {result.broken_seq}{entry_id}); "
        f"sprawdzono poprawnie {result.checked} wpisów przed nim.",
        err=True,
    )
    sys.exit(1)


@click.group("qualification", help="Opis kwalifikacji.")
def qualification() -> None:
    pass


@qualification.command("validate")
@click.argument("path", required=False)
@with_appcontext
def qualification_validate(path: str | None) -> None:
    """Check a qualification file (default: the configured one); exit 1 listing located errors."""
    from examplatform.core.content import ContentError
    from examplatform.qualification.loader import load_qualification_file

    path = path or current_app.config["QUALIFICATION_FILE"]
    try:
        q = load_qualification_file(path)
    except ContentError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(
        f"OK: {path}: kwalifikacja {q.code} w. {q.version}, {len(q.outcomes)} efektów, {len(q.criteria)} kryteriów"
    )


@click.group("outbox", help="Skrzynka wiadomości wychodzących.")
def outbox() -> None:
    pass


@outbox.command("list")
@click.option("--to", "to_email", default=None, help="Tylko wiadomości do tego adresu.")
@click.option("--limit", default=10, show_default=True)
@with_appcontext
def outbox_list(to_email: str | None, limit: int) -> None:
    """Print the newest outbox messages (in development they are the e-mail channel)."""
    from examplatform.notifications.services import latest_messages

    for message in latest_messages(limit, to_email):
        click.echo(f"--- #{message.id} {message.created_at:%Y-%m-%d %H:%M} do {message.to_email}: {message.subject}")
        click.echo(message.body)


def register_cli(app: Flask) -> None:
    from examplatform.bank.cli import bank
    from examplatform.practical.cli import practical
    from examplatform.theory.cli import theory

    for command in (create_admin, demo, audit, qualification, outbox, bank, theory, practical):
        app.cli.add_command(command)
