"""`flask practical sweep`: finish (freeze and check) practical parts whose time is over."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from examplatform.core.clock import utcnow
from examplatform.extensions import db


@click.group("practical", help="Część praktyczna (symulator CRM).")
def practical() -> None:
    pass


@practical.command("sweep")
@click.option("--every", type=int, default=0, help="Powtarzaj co tyle sekund (0 = jeden przebieg).")
@click.option("--rounds", type=int, default=0, help="Zakończ po tylu przebiegach (0 = bez końca, gdy --every > 0).")
@with_appcontext
def sweep(every: int, rounds: int) -> None:
    """Freeze the instances of candidates whose time is over and store their check results."""
    from examplatform.practical.services import sweep as sweep_once

    done = 0
    while True:
        finished = sweep_once(utcnow())
        db.session.commit()
        done += 1
        click.echo(f"{utcnow():%H:%M:%S} zakończono z upływem czasu: {finished}")
        if every <= 0 or (rounds and done >= rounds):
            return
        time.sleep(every)
