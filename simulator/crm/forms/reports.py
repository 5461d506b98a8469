"""The report builder form (sent with GET, so a report is a shareable address) and the save form."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, Optional

from simulator.crm.forms.fields import REQUIRED, CrmForm, OptionalSelect, options
from simulator.crm.services.report_sources import SOURCES
from simulator.crm.services.reports import CHARTS, FUNCTIONS, OPERATORS, PRESETS

FILTER_ROWS = 3
AGGREGATE_ROWS = 3
NONE = [("", "— brak —")]


class ReportBuilderForm(CrmForm):
    """Every part of a report definition as flat fields (f1_field, a1_fn …) so it works without JavaScript."""

    class Meta:
        csrf = False

    source = SelectField("Źródło danych", choices=options((s.key, s.label) for s in SOURCES.values()))
    columns = SelectMultipleField(
        "Kolumny", widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput()
    )
    group1 = OptionalSelect("Grupuj według")
    group2 = OptionalSelect("…a następnie według")
    chart = SelectField("Prezentacja", choices=options(CHARTS.items()))
    chart_measure = SelectField(
        "Miara na wykresie",
        default="0",
        description="Która funkcja raportu (grupowanie, porównanie okresów) jest na wykresie; "
        "lista odświeża się po kliknięciu „Pokaż”.",
    )
    compare_field = OptionalSelect("Porównaj okresy według daty")
    compare_preset = SelectField("Okres", choices=options(PRESETS.items()), default="quarter")
    a_from = DateField("Okres bieżący od", [Optional()], format="%Y-%m-%d")
    a_to = DateField("Okres bieżący do", [Optional()], format="%Y-%m-%d")
    b_from = DateField("Okres poprzedni od", [Optional()], format="%Y-%m-%d")
    b_to = DateField("Okres poprzedni do", [Optional()], format="%Y-%m-%d")
    pivot_rows = OptionalSelect("Tabela przestawna: wiersze")
    pivot_columns = OptionalSelect("Tabela przestawna: kolumny")
    pivot_fn = SelectField("Tabela przestawna: funkcja", choices=options(FUNCTIONS.items()))
    pivot_field = OptionalSelect("Tabela przestawna: pole")

    def fill_choices(self, source_key: str) -> None:
        """Offer the fields of the chosen source in every field select."""
        source = SOURCES.get(source_key) or next(iter(SOURCES.values()))
        pairs = [(f.key, f.label) for f in source.fields]
        self.columns.choices = options(pairs)
        for name in ("group1", "group2", "pivot_rows", "pivot_columns", "pivot_field"):
            self[name].choices = options(NONE + pairs)
        self.compare_field.choices = options(NONE + [(f.key, f.label) for f in source.fields if f.kind == "date"])


def add_repeated_fields(form_class: type) -> type:
    """Add the numbered filter and aggregate rows to a builder form class."""
    for i in range(1, FILTER_ROWS + 1):
        setattr(form_class, f"f{i}_field", OptionalSelect(f"Filtr {i}: pole"))
        setattr(form_class, f"f{i}_op", SelectField(f"Filtr {i}: warunek", choices=options(OPERATORS.items())))
        setattr(form_class, f"f{i}_value", StringField(f"Filtr {i}: wartość / od"))
        setattr(form_class, f"f{i}_to", StringField(f"Filtr {i}: do"))
    for i in range(1, AGGREGATE_ROWS + 1):
        setattr(form_class, f"a{i}_fn", OptionalSelect(f"Funkcja {i}", choices=options(NONE + list(FUNCTIONS.items()))))
        setattr(form_class, f"a{i}_field", OptionalSelect(f"Funkcja {i}: pole"))
    return form_class


class BuilderForm(ReportBuilderForm):
    """The builder with its numbered filter and aggregate rows."""

    def fill_choices(self, source_key: str) -> None:
        """Offer the chosen source's fields in the numbered rows too."""
        super().fill_choices(source_key)
        for i in range(1, FILTER_ROWS + 1):
            self[f"f{i}_field"].choices = self.group1.choices
        for i in range(1, AGGREGATE_ROWS + 1):
            self[f"a{i}_field"].choices = self.group1.choices
        self.fill_measures()

    def fill_measures(self) -> None:
        """Offer the functions of the aggregate rows as the measure to plot, by their labels and positions 1…n
        in the definition (empty rows left out, as ``definition`` leaves them out); a choice that names no function
        (the rows changed since it was made) stays selected, so the refusal shows next to it."""
        source = SOURCES.get(self.source.data or "") or next(iter(SOURCES.values()))
        labels = {f.key: f.label for f in source.fields}
        names = []
        for i in range(1, AGGREGATE_ROWS + 1):
            fn, key = self[f"a{i}_fn"].data, self[f"a{i}_field"].data
            if fn:
                names.append(
                    "Liczba" if fn == "count" else f"{FUNCTIONS.get(fn, fn).capitalize()}: {labels.get(key, '…')}"
                )
        pairs = [(str(i), f"{i + 1}. {name}") for i, name in enumerate(names or ["Liczba"])]
        chosen = str(self.chart_measure.data if self.chart_measure.data is not None else "0")
        if chosen not in {value for value, _ in pairs}:
            what = f"{int(chosen) + 1}. (brak takiej funkcji)" if chosen.isdecimal() else f"„{chosen}”"
            pairs.append((chosen, what))
        self.chart_measure.choices = options(pairs)

    def definition(self) -> dict[str, Any]:
        """Return the report definition the fields describe (validated by the report service)."""
        day = lambda f: f.data.isoformat() if f.data else ""  # noqa: E731
        return {
            "source": self.source.data,
            "columns": list(self.columns.data or []),
            "filters": [
                {
                    "field": self[f"f{i}_field"].data,
                    "op": self[f"f{i}_op"].data,
                    "value": self[f"f{i}_value"].data,
                    "to": self[f"f{i}_to"].data,
                }
                for i in range(1, FILTER_ROWS + 1)
                if self[f"f{i}_field"].data
            ],
            "group_by": [g for g in (self.group1.data, self.group2.data) if g],
            "aggregates": [
                {"fn": self[f"a{i}_fn"].data, "field": self[f"a{i}_field"].data}
                for i in range(1, AGGREGATE_ROWS + 1)
                if self[f"a{i}_fn"].data
            ],
            "compare": {
                "field": self.compare_field.data,
                "preset": self.compare_preset.data,
                "a_from": day(self.a_from),
                "a_to": day(self.a_to),
                "b_from": day(self.b_from),
                "b_to": day(self.b_to),
            }
            if self.compare_field.data
            else None,
            "pivot": {
                "rows": self.pivot_rows.data,
                "columns": self.pivot_columns.data,
                "fn": self.pivot_fn.data,
                "field": self.pivot_field.data,
            }
            if self.pivot_rows.data and self.pivot_columns.data
            else None,
            "chart": self.chart.data or "table",
            "chart_measure": self.chart_measure.data,
        }

    def load(self, definition: dict[str, Any]) -> None:
        """Fill the fields from a saved definition (for editing it in the builder)."""
        self.source.data = definition["source"]
        self.columns.data = definition.get("columns") or []
        groups = definition.get("group_by") or []
        self.group1.data, self.group2.data = [*groups, "", ""][:2]
        for i, item in enumerate((definition.get("filters") or [])[:FILTER_ROWS], start=1):
            self[f"f{i}_field"].data, self[f"f{i}_op"].data = item["field"], item["op"]
            self[f"f{i}_value"].data, self[f"f{i}_to"].data = item.get("value", ""), item.get("to", "")
        for i, item in enumerate((definition.get("aggregates") or [])[:AGGREGATE_ROWS], start=1):
            self[f"a{i}_fn"].data, self[f"a{i}_field"].data = item["fn"], item.get("field", "")
        compare = definition.get("compare") or {}
        self.compare_field.data, self.compare_preset.data = compare.get("field", ""), compare.get("preset", "quarter")
        pivot = definition.get("pivot") or {}
        self.pivot_rows.data, self.pivot_columns.data = pivot.get("rows", ""), pivot.get("columns", "")
        self.pivot_fn.data, self.pivot_field.data = pivot.get("fn", "count"), pivot.get("field", "")
        self.chart.data = definition.get("chart", "table")
        self.chart_measure.data = str(definition.get("chart_measure", 0))
        self.fill_measures()


add_repeated_fields(BuilderForm)


class SaveReportForm(CrmForm):
    """Save the current builder definition under a name."""

    name = StringField("Nazwa raportu", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    definition = StringField("Definicja (JSON)", [InputRequired(REQUIRED)])
