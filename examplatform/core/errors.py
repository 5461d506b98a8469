"""Domain errors raised by services and turned into Polish messages by views."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is user-facing (already translated)."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
