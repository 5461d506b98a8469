"""Small helpers for views: the client address, safe redirects, ids in URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # SQL INTEGER, the type of every id column: a larger number is no record's id


class RecordIdConverter(IntegerConverter):
    """``<int:…>`` in the platform's URLs, bounded by the ids' SQL INTEGER: a larger number is a 404."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def client_ip() -> str:
    """Return the client's address (behind a proxy, configure ProxyFix so this is the real one)."""
    return (request.remote_addr or "")[:45]


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a local path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
