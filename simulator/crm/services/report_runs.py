"""Run, save and export reports (CSV for Polish Excel, XLSX) and compute the dashboard; all logged."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from simulator.crm.enums import ActivityStatus, OpportunityStatus, Priority
from simulator.crm.models import Activity, CrmUser, Opportunity, Pipeline
from simulator.crm.models.reports import SavedReport
from simulator.crm.services import currency
from simulator.crm.services.common import CrmError, Ctx, record
from simulator.crm.services.currency import Total
from simulator.crm.services.report_sources import SOURCES
from simulator.crm.services.reports import ReportResult, run, validate

MONEY_FORMAT = '#,##0.00 "zł"'
CURRENCY_FORMAT = '#,##0.00 "{}"'  # an amount in another currency keeps its code


def execute(ctx: Ctx, definition: Any) -> tuple[dict[str, Any], ReportResult]:
    """Validate a definition and compute it on the instance's live data."""
    normalised = validate(definition)
    rows = SOURCES[normalised["source"]].load(ctx.session)
    return normalised, run(normalised, rows, ctx.business_date)


def log_run(ctx: Ctx, definition: dict[str, Any], result: ReportResult, *, report: SavedReport | None = None) -> None:
    """Record that a report was run (which definition, how many rows)."""
    name = f"„{report.name}”" if report else "ad hoc"
    record(
        ctx,
        "report.run",
        entity_type="report",
        entity_id=report.id if report else None,
        summary=f"Uruchomiono raport {name} ({SOURCES[definition['source']].label}, wierszy: {len(result.rows)})",
        details={"definition": definition, "rows": len(result.rows), "mode": result.mode},
    )


def save_report(ctx: Ctx, name: str, definition: Any, report: SavedReport | None = None) -> SavedReport:
    """Save a new report definition, or overwrite an existing one."""
    if not name.strip():
        raise CrmError("Podaj nazwę raportu.", {"name": ["Podaj nazwę raportu."]})
    normalised = validate(definition)
    text = json.dumps(normalised, ensure_ascii=False, sort_keys=True)
    if report is None:
        report = SavedReport(name=name.strip(), owner_id=ctx.me_id, definition=text, created_at=ctx.now)
        ctx.session.add(report)
        before: dict[str, Any] = {}
    else:
        before = {"name": report.name, "definition": json.loads(report.definition)}
        report.name, report.definition = name.strip(), text
    report.updated_at = ctx.now
    ctx.session.flush()
    record(
        ctx,
        "report.saved",
        entity_type="report",
        entity_id=report.id,
        summary=f"Zapisano definicję raportu „{report.name}”",
        before=before,
        after={"name": report.name, "definition": normalised},
    )
    return report


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}".replace(".", ",")
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    return str(value)


def csv_bytes(result: ReportResult) -> bytes:
    """Return the report as CSV for Polish Excel: UTF-8 with BOM, semicolons, decimal commas, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.label for c in result.columns])
    writer.writerows([_csv_cell(v) for v in row] for row in result.rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(result: ReportResult, title: str) -> bytes:
    """Return the report as an XLSX workbook with typed cells (numbers, amounts in zł or their currency, dates)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Raport"
    sheet.append([c.label for c in result.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in result.rows:
        sheet.append(row)
        for cell, column, value in zip(sheet[sheet.max_row], result.columns, row, strict=True):
            if column.kind == "money":
                code = currency.currency_of(value)
                cell.number_format = MONEY_FORMAT if code == currency.BASE else CURRENCY_FORMAT.format(code)
            elif isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
    for letter_index, column in enumerate(result.columns, start=1):
        sheet.column_dimensions[sheet.cell(1, letter_index).column_letter].width = min(max(len(column.label), 12), 40)
    book.properties.title = title[:200]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def log_export(ctx: Ctx, definition: dict[str, Any], fmt: str, content: bytes, *, report: SavedReport | None) -> None:
    """Record an export with its format, size and SHA-256."""
    name = f"„{report.name}”" if report else "ad hoc"
    record(
        ctx,
        "report.exported",
        entity_type="report",
        entity_id=report.id if report else None,
        summary=f"Wyeksportowano raport {name} do {fmt.upper()}",
        details={
            "format": fmt,
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "definition": definition,
        },
    )


@dataclass
class StageValue:
    """Open opportunities of one stage: their count, and the value and weighted value of those in PLN."""

    pipeline: str
    stage: str
    probability: int
    count: int
    total: Total

    @property
    def value(self) -> Decimal:
        return self.total.value

    @property
    def weighted(self) -> Decimal:
        return self.total.weighted


@dataclass
class Completion:
    """Tasks of one owner or priority: how many, how many done, the share done."""

    label: str
    total: int
    done: int

    @property
    def percent(self) -> Decimal:
        if not self.total:
            return Decimal("0.0")
        return (Decimal(self.done) * 100 / self.total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pipeline_by_stage(ctx: Ctx) -> list[StageValue]:
    """Return every stage of every pipeline with its open opportunities' count and PLN (weighted) value."""
    found = []
    opportunities = list(ctx.session.scalars(select(Opportunity).where(Opportunity.status == OpportunityStatus.OPEN)))
    for pipeline in ctx.session.scalars(select(Pipeline).order_by(Pipeline.name)):
        for stage in pipeline.stages:
            members = [o for o in opportunities if o.stage_id == stage.id]
            total = currency.total(members)
            found.append(StageValue(pipeline.name, stage.name, stage.probability, len(members), total))
    return found


def task_completion(ctx: Ctx) -> tuple[list[Completion], list[Completion]]:
    """Return task completion by owner and by priority (cancelled activities do not count)."""
    activities = list(ctx.session.scalars(select(Activity).where(Activity.status != ActivityStatus.CANCELLED)))
    by_owner = []
    for user in ctx.session.scalars(select(CrmUser).order_by(CrmUser.is_me.desc(), CrmUser.full_name)):
        mine = [a for a in activities if a.owner_id == user.id]
        by_owner.append(Completion(user.full_name, len(mine), sum(1 for a in mine if a.is_done)))
    by_priority = []
    for priority in reversed(list(Priority)):
        members = [a for a in activities if a.priority == priority]
        by_priority.append(Completion(priority.label, len(members), sum(1 for a in members if a.is_done)))
    return by_owner, by_priority


def log_dashboard(ctx: Ctx, stages: list[StageValue]) -> None:
    """Record that the dashboard was shown, with the pipeline totals it showed (PLN; what was left out)."""
    total = currency.combined(s.total for s in stages)
    record(
        ctx,
        "report.dashboard_viewed",
        entity_type="report",
        summary="Wyświetlono pulpit raportów (lejek i realizacja zadań)",
        details={
            "open_count": sum(s.count for s in stages),
            "open_value": total.value,
            "weighted_value": total.weighted,
            **({"left_out_by_currency": dict(total.left_out)} if total.left_out else {}),
        },
    )
