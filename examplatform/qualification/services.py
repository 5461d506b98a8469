"""Access to the qualification in force."""

from flask import current_app

from examplatform.qualification.loader import Qualification, load_qualification


def current_qualification() -> Qualification:
    """Return the qualification configured for this installation (re-read when its file changes)."""
    return load_qualification(current_app.config["QUALIFICATION_FILE"])
