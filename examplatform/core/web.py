"""Small helpers for views: the client address, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


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
