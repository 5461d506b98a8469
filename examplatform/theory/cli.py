"""`flask theory …`: prepare a session's forms, and the deadline sweeper."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.extensions import db


@click.group("theory", help="Test teoretyczny.")
def theory() -> None:
    pass


@theory.command("prepare")
@click.argument("session_code")
@with_appcontext
def prepare(session_code: str) -> None:
    """Generate the forms of every candidate enrolled in the session."""
    from examplatform.qualification.services import current_qualification
    from examplatform.sessions.models import ValidationSession
    from examplatform.theory.formgen import prepare_session

    session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == session_code))
    if session is None:
        raise click.ClickException(f"Nie ma sesji {session_code}.")
    try:
        forms = prepare_session(session, actor=None, now=utcnow(), qualification=current_qualification())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Przygotowano formularze: {len(forms)} ({', '.join(f.code for f in forms) or 'wszystkie już były'}).")


@theory.command("sweep")
@click.option("--every", type=int, default=0, help="Powtarzaj co tyle sekund (0 = jeden przebieg).")
@click.option("--rounds", type=int, default=0, help="Zakończ po tylu przebiegach (0 = bez końca, gdy --every > 0).")
@with_appcontext
def sweep(every: int, rounds: int) -> None:
    """Submit attempts whose deadline (plus grace) has passed, with the deadline as their finish time."""
    from examplatform.core.sweeps import sweep_loop
    from examplatform.theory.attempts import sweep as sweep_once

    sweep_loop(sweep_once, every=every, rounds=rounds)
