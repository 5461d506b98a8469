"""Turn a rendered offer into a standalone HTML document and a PDF (WeasyPrint), with nothing fetched."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "offer.css"

DOCUMENT = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body class="offer-document">
<header class="offer-header"><p class="offer-seller">{{ seller }}</p>
<p class="offer-meta">Oferta nr {{ number }} · {{ issued }} · ważna do {{ valid_until }}</p></header>
<h1 class="offer-title">{{ subject }}</h1>
<div class="offer-body">{{ body }}</div>
</body></html>"""


def document_html(*, subject: str, body: Markup, seller: str, number: str, issued: str, valid_until: str) -> str:
    """Return the offer as a complete HTML document (styles come from the static offer.css)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)  # a fixed trusted layout: the candidate's text arrives escaped in ``body``
    return env.from_string(DOCUMENT).render(
        subject=subject, body=body, seller=seller, number=number, issued=issued, valid_until=valid_until
    )


def _refuse_fetch(url: str, timeout: int = 10, ssl_context=None):
    raise ValueError(f"zasoby zewnętrzne są wyłączone: {url}")


def pdf_bytes(html: str) -> bytes:
    """Render the HTML document to PDF bytes; no URL is ever fetched."""
    from weasyprint import CSS, HTML

    stylesheet = CSS(filename=str(STYLESHEET), url_fetcher=_refuse_fetch)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(stylesheets=[stylesheet])


__all__ = ["document_html", "pdf_bytes"]
