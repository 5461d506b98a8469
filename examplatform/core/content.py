"""Content loading with located errors: the shared implementation lives in ``contentlib``."""

from contentlib import ContentError, LocatedDocument, LocatedError, Pointer, parse_yaml, read_yaml, validate_schema  # noqa: F401
