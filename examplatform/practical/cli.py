"""`flask practical sweep`: finish (freeze and check) practical parts whose time is over."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("practical", help="Część praktyczna (symulator CRM).")
def practical() -> None:
    pass


@practical.command("sweep")
@click.option("--every", type=int, default=0, help="Powtarzaj co tyle sekund (0 = jeden przebieg).")
@click.option("--rounds", type=int, default=0, help="Zakończ po tylu przebiegach (0 = bez końca, gdy --every > 0).")
@with_appcontext
def sweep(every: int, rounds: int) -> None:
    """Freeze the instances of candidates whose time is over and store their check results."""
    from examplatform.core.sweeps import sweep_loop
    from examplatform.practical.services import sweep as sweep_once

    sweep_loop(sweep_once, every=every, rounds=rounds)
