"""Small helpers for views: the client address, safe redirects, ids in URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # SQL INTEGER, the type of every id column: a larger number is no record's id


def bounded_int(raw: str) -> int:
    """Return a whole number ``0 … MAX_ID`` a query string sent; ``ValueError`` for anything else.

    As ``type=bounded_int`` of ``request.args.get`` a bad value gives the default, as ``type=int`` does, and so
    does a number no INTEGER column holds.
    """
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValueError(f"not a whole number within INTEGER: {text[:40]!r}")
    return int(text)


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
