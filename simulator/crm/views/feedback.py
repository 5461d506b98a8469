"""Refusals of small action forms that redirect back: logged like every refusal, then told to the user."""

from __future__ import annotations

from flask import flash

from simulator.crm.services.common import CrmError
from simulator.crm.views.context import refuse


def refuse_and_tell(form, exc: CrmError | None, **where) -> None:
    """Log a refused form and flash its messages (the page it came from is shown again after a redirect)."""
    refuse(form, exc, flash_unplaced=False, **where)
    if exc is not None:
        messages = [exc.message]
    else:
        messages = [m for ms in form.errors.values() for m in ms if isinstance(m, str)]
    flash("Nie zapisano: " + " ".join(messages), "danger")
