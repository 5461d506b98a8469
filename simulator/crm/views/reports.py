"""Reports (raporty): the builder, saved reports, CSV/XLSX exports and the dashboard; runs and exports are logged."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from simulator.crm.forms.reports import AGGREGATE_ROWS, FILTER_ROWS, BuilderForm, SaveReportForm
from simulator.crm.models.reports import SavedReport
from simulator.crm.services import currency
from simulator.crm.services import report_runs as svc
from simulator.crm.services.charts import bar_chart, chart_svg, number
from simulator.crm.services.common import CrmError, record
from simulator.crm.services.opportunities import money
from simulator.crm.services.reports import ChartData, ReportResult
from simulator.crm.views.context import bp, ctx, get_or_404, where

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_cell(value: Any, kind: str) -> str:
    """Format a report value for the page: amounts in zł (or their currency), Polish decimals, dates, percentages."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if kind == "money" and isinstance(value, (int, Decimal)):
        return money(Decimal(value), currency.currency_of(value))
    if kind == "percent":
        return f"{number(value, 1)}%"
    if isinstance(value, Decimal):
        return number(value, 0 if value == value.to_integral_value() else 2)
    return str(value)


bp.add_app_template_filter(report_cell, "report_cell")


def builder_args(definition: dict[str, Any]) -> MultiDict:
    """Return the builder's query arguments describing a definition (for links to edit and export it)."""
    args = MultiDict({"source": definition["source"], "chart": definition.get("chart", "table")})
    args["chart_measure"] = str(definition.get("chart_measure") or 0)
    for column in definition.get("columns") or []:
        args.add("columns", column)
    for name, value in zip(("group1", "group2"), definition.get("group_by") or [], strict=False):
        args[name] = value
    for i, item in enumerate((definition.get("filters") or [])[:FILTER_ROWS], start=1):
        args.update({f"f{i}_field": item["field"], f"f{i}_op": item["op"], f"f{i}_value": item.get("value", "")})
        args[f"f{i}_to"] = item.get("to", "")
    for i, item in enumerate((definition.get("aggregates") or [])[:AGGREGATE_ROWS], start=1):
        args.update({f"a{i}_fn": item["fn"], f"a{i}_field": item.get("field", "")})
    if definition.get("compare"):
        compare = definition["compare"]
        args.update({"compare_field": compare["field"], "compare_preset": compare["preset"]})
        args.update({k: compare[k] for k in ("a_from", "a_to", "b_from", "b_to") if compare.get(k)})
    if definition.get("pivot"):
        pivot = definition["pivot"]
        args.update({"pivot_rows": pivot["rows"], "pivot_columns": pivot["columns"], "pivot_fn": pivot["fn"]})
        args["pivot_field"] = pivot.get("field", "")
    return args


def _chart(definition: dict[str, Any], result: ReportResult, title: str) -> Markup:
    return Markup(chart_svg(definition["chart"], title, result.chart))  # noqa: S704  (escaped by the chart code)


def _builder_form() -> BuilderForm:
    form = BuilderForm(formdata=request.args if request.args else None)
    form.fill_choices(request.args.get("source", "opportunities"))
    return form


@bp.get("/reports/")
def report_list():
    """List saved reports with links to the builder and the dashboard."""
    reports = list(g.db.scalars(select(SavedReport).order_by(SavedReport.name)))
    return render_template("crm/reports/list.html", reports=reports)


@bp.get("/reports/builder")
def report_builder():
    """Build a report from a source: columns, filters, grouping, aggregates, period comparison, pivot, chart."""
    form = _builder_form()
    definition = result = chart = None
    error = None
    if "source" in request.args:
        try:  # the report service checks every key and value of the definition itself
            definition, result = svc.execute(ctx(), form.definition())
        except CrmError as exc:
            error = exc.message
            for name, messages in exc.field_errors.items():  # shown next to the field it concerns, too
                if name != "definition" and name in form:
                    form[name].errors = list(messages)
        if error:
            _log_definition_error(error)
        else:
            svc.log_run(ctx(), definition, result)
            chart = _chart(definition, result, "Raport")
        g.db.commit()
    save = SaveReportForm(formdata=None)
    if definition:
        save.definition.data = json.dumps(definition, ensure_ascii=False)
    return render_template(
        "crm/reports/builder.html",
        form=form,
        definition=definition,
        result=result,
        chart=chart,
        error=error,
        save=save,
        args=request.args,
    )


@bp.post("/reports/save")
def report_save():
    """Save the builder's current definition under a name."""
    form = SaveReportForm()
    try:
        definition = json.loads(form.definition.data or "")
    except ValueError:
        definition = None
    if form.validate_on_submit():
        try:
            report = svc.save_report(ctx(), form.name.data or "", definition)
        except CrmError as exc:
            g.db.rollback()
            flash(f"Nie zapisano raportu: {exc.message}", "danger")
        else:
            g.db.commit()
            flash(f"Zapisano raport „{report.name}”.", "success")
            return redirect(url_for(".report_view", report_id=report.id))
    else:
        flash("Nie zapisano raportu: podaj nazwę.", "danger")
    record(
        ctx(),
        "validation_error",
        entity_type="report",
        summary="Błąd zapisu raportu",
        details={"form": "zapis raportu", "submitted": form.submitted(), **where()},
    )
    g.db.commit()
    args = builder_args(definition) if isinstance(definition, dict) and definition.get("source") else {}
    return redirect(url_for(".report_builder", **args))


def _saved(report_id: int) -> tuple[SavedReport, dict[str, Any], ReportResult]:
    report = get_or_404(SavedReport, report_id)
    definition, result = svc.execute(ctx(), json.loads(report.definition))
    return report, definition, result


@bp.get("/reports/<int:report_id>")
def report_view(report_id: int):
    """Run a saved report on the live data and show it."""
    report, definition, result = _saved(report_id)
    svc.log_run(ctx(), definition, result, report=report)
    g.db.commit()
    return render_template(
        "crm/reports/view.html",
        report=report,
        definition=definition,
        result=result,
        chart=_chart(definition, result, report.name),
        args=builder_args(definition),
    )


def _export(definition: dict, result: ReportResult, fmt: str, title: str, report: SavedReport | None) -> Response:
    content = svc.csv_bytes(result) if fmt == "csv" else svc.xlsx_bytes(result, title)
    svc.log_export(ctx(), definition, fmt, content, report=report)
    g.db.commit()
    filename = f"raport-{report.id if report else 'ad-hoc'}.{fmt}"
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/reports/<int:report_id>/export.csv")
def report_export_csv(report_id: int):
    """Export a saved report to CSV (UTF-8 with BOM, semicolons) for Polish Excel."""
    report, definition, result = _saved(report_id)
    return _export(definition, result, "csv", report.name, report)


@bp.get("/reports/<int:report_id>/export.xlsx")
def report_export_xlsx(report_id: int):
    """Export a saved report to XLSX."""
    report, definition, result = _saved(report_id)
    return _export(definition, result, "xlsx", report.name, report)


def _log_definition_error(error: str) -> None:
    """Record a report definition the builder or an export refused (the caller commits)."""
    record(
        ctx(),
        "validation_error",
        entity_type="report",
        summary=f"Błąd definicji raportu: {error}",
        details={"form": "kreator raportów", "errors": {"definition": [error]}, **where()},
    )


def _export_adhoc(fmt: str) -> Response:
    form = _builder_form()
    try:
        definition, result = svc.execute(ctx(), form.definition())
    except CrmError as exc:
        g.db.rollback()
        _log_definition_error(exc.message)
        g.db.commit()
        flash(exc.message, "danger")
        return redirect(url_for(".report_builder", **request.args))
    return _export(definition, result, fmt, "Raport", None)


@bp.get("/reports/export.csv")
def report_export_adhoc_csv():
    """Export the builder's current (unsaved) report to CSV."""
    return _export_adhoc("csv")


@bp.get("/reports/export.xlsx")
def report_export_adhoc_xlsx():
    """Export the builder's current (unsaved) report to XLSX."""
    return _export_adhoc("xlsx")


@bp.get("/reports/dashboard")
def report_dashboard():
    """Show pipeline value per stage (count, sum, weighted) and task completion by owner and priority."""
    stages = svc.pipeline_by_stage(ctx())
    by_owner, by_priority = svc.task_completion(ctx())
    svc.log_dashboard(ctx(), stages)
    g.db.commit()
    labels = [f"{s.stage}" for s in stages]
    pipeline_chart = bar_chart(
        "Wartość otwartych szans w PLN według etapów",
        ChartData(labels, [("Wartość", [s.value for s in stages]), ("Ważona", [s.weighted for s in stages])], "money"),
    )
    completion_chart = bar_chart(
        "Realizacja zadań według osób (%)",
        ChartData([c.label for c in by_owner], [("% zakończonych", [c.percent for c in by_owner])], "percent"),
    )
    return render_template(
        "crm/reports/dashboard.html",
        stages=stages,
        by_owner=by_owner,
        by_priority=by_priority,
        count=sum(s.count for s in stages),
        total=currency.combined(s.total for s in stages),
        pipeline_chart=Markup(pipeline_chart),  # noqa: S704  (escaped by the chart code)
        completion_chart=Markup(completion_chart),  # noqa: S704
    )
