"""The deadline sweepers' command loop, shared by `flask theory sweep` and `flask practical sweep`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import click

from examplatform.core.clock import utcnow
from examplatform.extensions import db


def sweep_loop(sweep_once: Callable[[datetime], int], *, every: int, rounds: int) -> None:
    """Run ``sweep_once`` and commit; repeat every ``every`` seconds (``rounds`` times, 0 = forever)."""
    done = 0
    while True:
        finished = sweep_once(utcnow())
        db.session.commit()
        done += 1
        click.echo(f"{utcnow():%H:%M:%S} zakończono z upływem czasu: {finished}")
        if every <= 0 or (rounds and done >= rounds):
            return
        time.sleep(every)
