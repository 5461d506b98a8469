"""Server-rendered SVG charts (bar, pie, line) with accessible titles and Polish number formatting.

No JavaScript and no external library: every chart is a small, well-formed SVG document with a
``<title>`` and ``<desc>`` (read by screen readers through ``role="img"`` and ``aria-labelledby``), the
values written out as text, and colours given as presentation attributes (the CSP forbids inline styles).
"""

from __future__ import annotations

import math
from decimal import Decimal
from itertools import count
from xml.sax.saxutils import escape

from simulator.crm.services.reports import ChartData

PALETTE = ("#0d6efd", "#fd7e14", "#198754", "#d63384", "#6f42c1", "#20c997", "#ffc107", "#6c757d", "#dc3545")
WIDTH, HEIGHT = 720, 360
_ids = count(1)


def number(value: Decimal | int | float | None, places: int = 2) -> str:
    """Format a number the Polish way: 12 345,67."""
    if value is None:
        return "–"
    return f"{Decimal(value):,.{places}f}".replace(",", " ").replace(".", ",")


def value_text(value: Decimal, kind: str) -> str:
    """Format a chart value: money with zł, a share with % (one decimal at most), counts without decimals."""
    if kind == "money":
        return f"{number(value)} zł"
    whole = value == value.to_integral_value()
    if kind == "percent":
        return f"{number(value, 0 if whole else 1)}%"
    return number(value, 0 if whole else 2)


def _open(title: str, desc: str, height: int = HEIGHT) -> tuple[list[str], str]:
    uid = f"chart{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="crm-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{uid}-t {uid}-d">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
    )
    return [head], uid


def _title(title: str, data: ChartData) -> str:
    """Name the measure plotted in the chart's title: "Raport (Suma: Wartość – porównanie okresów)"."""
    return f"{title} ({data.subject})" if data.subject and data.subject != title else title


def _describe(data: ChartData) -> str:
    parts = []
    for name, values in data.series:
        pairs = ", ".join(f"{label}: {value_text(v, data.kind)}" for label, v in zip(data.labels, values, strict=True))
        parts.append(f"{name} – {pairs}")
    text = "; ".join(parts) or "Brak danych."
    named = data.subject and [data.subject] != [name for name, _ in data.series]  # a lone series names it already
    return f"{data.subject}. {text}" if named else text


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# An average glyph's width in ems of the browser's sans-serif: text is fitted to its room without measuring it.
_EM = 0.6
_CENTRED = 'text-anchor="middle"'


def _chars(room: float, size: int) -> int:
    """Return how many characters of ``size`` px fit in ``room`` px (at least 3: "A…" and a letter)."""
    return max(3, int(room / (size * _EM)))


def _wrap(text: str, limit: int, lines: int = 2) -> list[str]:
    """Break a category label into at most ``lines`` lines of ``limit`` characters, at spaces where it can;
    what does not fit ends in "…" (the full label is in each bar's tooltip and the chart's description)."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= limit:
            line += " " + words.pop(0)
        out.append(line)
    if words:
        out[-1] = f"{out[-1]} {' '.join(words)}"
    return [_short(line, limit) for line in out]


def _category(x: float, y: int, label: str, room: float) -> str:
    """Return a category label centred under ``x``, wrapped to the room its slot has (two lines at most)."""
    lines = _wrap(label, _chars(room, 12))
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text x="{x:.1f}" y="{y}" font-size="12" text-anchor="middle">{spans}</text>'


def _legend(parts: list[str], names: list[str], y: int) -> None:
    x = 60
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(_short(name, 40))}</text>')
        x += 30 + 7 * min(len(name), 40)


def _scale(data: ChartData) -> Decimal:
    top = max((v for _, values in data.series for v in values), default=Decimal(0))
    if data.kind == "percent":  # a share is drawn against the whole: 50% is half the height
        return max(top, Decimal(100))
    return top if top > 0 else Decimal(1)


def bar_chart(title: str, data: ChartData) -> str:
    """Return a vertical bar chart (grouped bars for several series).

    Each bar's value is written above it; when the longest value is wider than a bar's share of its slot, the
    values stand upright (so neighbours never overlap) and the plot is lowered to make room for them.
    """
    parts, _ = _open(_title(title, data), _describe(data))
    left, right, bottom = 60, WIDTH - 20, HEIGHT - 70
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>')
    peak = _scale(data)
    groups, series = max(len(data.labels), 1), max(len(data.series), 1)
    slot = (right - left) / groups
    width = max(slot * 0.8 / series, 2)
    texts = [[value_text(v, data.kind) for v in values] for _, values in data.series]
    longest = max((len(t) for row in texts for t in row), default=0) * 11 * _EM
    upright = longest > slot / series
    top = 12 + math.ceil(longest) if upright else 30
    for g, label in enumerate(data.labels):
        x0 = left + g * slot + slot * 0.1
        for s, (name, values) in enumerate(data.series):
            value, shown = values[g], texts[s][g]
            h = float(value / peak) * (bottom - top) if value > 0 else 0
            x, y = x0 + s * width, bottom - h
            tip = escape(f"{label} – {name}: {shown}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{tip}</title></rect>'
            )
            cx, cy = f"{x + width / 2:.1f}", f"{y - 4:.1f}"
            placed = f'dominant-baseline="middle" transform="rotate(-90 {cx} {cy})"' if upright else _CENTRED
            parts.append(f'<text x="{cx}" y="{cy}" font-size="11" {placed}>{escape(shown)}</text>')
        parts.append(_category(left + g * slot + slot / 2, bottom + 16, label, slot))
    if len(data.series) > 1:
        _legend(parts, [name for name, _ in data.series], HEIGHT - 22)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, data: ChartData) -> str:
    """Return a line chart with one polyline per series and its points labelled."""
    parts, _ = _open(_title(title, data), _describe(data))
    left, right, top, bottom = 60, WIDTH - 30, 30, HEIGHT - 70
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#444"/>')
    peak = _scale(data)
    # each point in the middle of its slot, as a bar would be: the first and last labels stay inside the chart
    slot = (right - left) / max(len(data.labels), 1)
    for i, label in enumerate(data.labels):
        parts.append(_category(left + (i + 0.5) * slot, bottom + 16, label, slot))
    for s, (name, values) in enumerate(data.series):
        colour = PALETTE[s % len(PALETTE)]
        points = [
            (left + (i + 0.5) * slot, bottom - float(max(v, 0) / peak) * (bottom - top)) for i, v in enumerate(values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), value, label in zip(points, values, data.labels, strict=True):
            text = escape(f"{label} – {name}: {value_text(value, data.kind)}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{text}</title></circle>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle">'
                f"{escape(value_text(value, data.kind))}</text>"
            )
    if len(data.series) > 1:
        _legend(parts, [name for name, _ in data.series], HEIGHT - 22)
    parts.append("</svg>")
    return "".join(parts)


def pie_chart(title: str, data: ChartData) -> str:
    """Return one pie per series (a comparison: one per period), each with a legend giving value and share.

    A label keeps its colour in every pie, so the periods (or pivot columns) can be compared slice by slice.
    """
    series = data.series or [("", [])]
    blocks = []
    for name, values in series:
        slices = [(i, label, v) for i, (label, v) in enumerate(zip(data.labels, values, strict=True)) if v > 0]
        blocks.append((name, slices, max(HEIGHT, 60 + 22 * len(slices))))
    several = len(series) > 1
    heading = 28 if several else 0
    parts, _ = _open(_title(title, data), _describe(data), sum(h + heading for _, _, h in blocks))
    top = 0
    for name, slices, height in blocks:
        if several:
            parts.append(f'<text x="20" y="{top + 22}" font-size="15" font-weight="bold">{escape(name)}</text>')
        _pie(parts, slices, data.kind, top + heading, height)
        top += height + heading
    parts.append("</svg>")
    return "".join(parts)


def _pie(parts: list[str], slices: list[tuple[int, str, Decimal]], kind: str, top: int, height: int) -> None:
    """Draw one pie (slices: label index, label, value) and its legend into a block starting at ``top``."""
    total = sum((v for _, _, v in slices), Decimal(0))
    cx, cy, r = 170, top + 180, 140
    angle = -math.pi / 2
    for row, (index, label, value) in enumerate(slices):
        colour = PALETTE[index % len(PALETTE)]
        share = float(value / total)
        tip = escape(f"{label}: {value_text(value, kind)} ({number(Decimal(share * 100), 1)}%)")
        if share >= 0.9999:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"><title>{tip}</title></circle>')
        else:
            end = angle + share * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            parts.append(
                f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                f'fill="{colour}" stroke="#fff"><title>{tip}</title></path>'
            )
            angle = end
        y = top + 40 + 22 * row
        parts.append(f'<rect x="340" y="{y}" width="14" height="14" fill="{colour}"/>')
        parts.append(f'<text x="360" y="{y + 12}" font-size="13">{tip}</text>')
    if not slices:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{top + height / 2}" text-anchor="middle">Brak danych do wykresu.</text>'
        )


def chart_svg(kind: str, title: str, data: ChartData | None) -> str:
    """Return the SVG of the chosen chart kind, or "" for a table or when there is nothing to draw."""
    if data is None or kind == "table" or not data.labels:
        return ""
    drawer = {"bar": bar_chart, "pie": pie_chart, "line": line_chart}[kind]
    return drawer(title, data)


__all__ = ["bar_chart", "chart_svg", "line_chart", "number", "pie_chart", "value_text"]
