"""`flask practical sweep`: finish (freeze and check) practical parts whose time is over;
`flask practical upgrade-instances`: bring CRM instances of an earlier release up to the current schema."""

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


@practical.command("upgrade-instances")
@with_appcontext
def upgrade_instances() -> None:
    """After deploying a release that adds CRM tables or columns: bring every instance up to date now (each is
    otherwise brought up when first opened), so that the commission's read-only views keep working."""
    from simulator import api

    done = api.upgrade_instances()
    for instance_id, changes in done.items():
        click.echo(f"{instance_id}: {'; '.join(changes)}")
    click.echo(f"Uzupełniono instancji: {len(done)}.")
