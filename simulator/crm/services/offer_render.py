"""Render offer templates safely: a sandboxed Jinja2 environment that knows only the documented tags.

The candidate writes plain text with tags such as ``{{ firma.nazwa }}``. Literal text is HTML-escaped
(so a template cannot inject markup into the preview the commission sees), tag values are escaped too,
and only ``{{ pozycje }}`` inserts markup: the table of line items. Any unknown tag, any attribute not
in the picker and any Python attribute at all stops the rendering with a Polish message naming the tag.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from simulator.crm.enums import VatRate
from simulator.crm.services.common import CrmError

CENT = Decimal("0.01")
MAX_REPEAT = 10_000

# The variable picker: every tag a template may use, with its Polish description.
VARIABLES: list[tuple[str, str]] = [
    ("firma.nazwa", "Nazwa firmy klienta"),
    ("firma.nip", "NIP klienta (np. 779-463-05-39)"),
    ("firma.adres", "Adres klienta: ulica, kod pocztowy i miejscowość"),
    ("firma.miasto", "Miejscowość klienta"),
    ("firma.email", "E-mail firmy klienta"),
    ("osoba.imie", "Imię osoby kontaktowej"),
    ("osoba.nazwisko", "Nazwisko osoby kontaktowej"),
    ("osoba.imie_nazwisko", "Imię i nazwisko osoby kontaktowej"),
    ("osoba.stanowisko", "Stanowisko osoby kontaktowej"),
    ("osoba.email", "E-mail osoby kontaktowej (dane osobowe: ukryty w podglądzie roli, która go nie widzi)"),
    ("szansa.nazwa", "Nazwa szansy sprzedaży"),
    ("szansa.wartosc", "Wartość szansy sprzedaży w jej walucie (np. 12 345,67 zł albo 12 345,67 EUR)"),
    ("szansa.waluta", "Waluta szansy sprzedaży: kod ISO 4217 (PLN, EUR, USD)"),
    ("oferta.numer", "Numer oferty (np. OF/2026/03/001)"),
    ("pozycje", "Tabela pozycji oferty: produkt, ilość, cena netto, wartość netto, stawka VAT"),
    ("suma_netto", "Razem netto"),
    ("suma_vat", "Razem VAT"),
    ("suma_brutto", "Razem brutto"),
    ("data", "Data oferty (data biznesowa, dd.mm.rrrr)"),
    ("waznosc_do", "Termin ważności oferty (dd.mm.rrrr)"),
    ("opiekun.imie_nazwisko", "Imię i nazwisko opiekuna handlowego"),
    ("opiekun.email", "E-mail opiekuna handlowego"),
    ("sprzedawca.nazwa", "Nazwa Twojej firmy (sprzedawcy)"),
]
# Fields of one row when looping: {% for p in pozycje %}{{ p.nazwa }}{% endfor %}
ROW_FIELDS: list[tuple[str, str]] = [
    ("lp", "Liczba porządkowa"),
    ("nazwa", "Nazwa produktu lub usługi"),
    ("ilosc", "Ilość"),
    ("jm", "Jednostka miary"),
    ("cena_netto", "Cena jednostkowa netto"),
    ("wartosc_netto", "Wartość netto pozycji"),
    ("stawka_vat", "Stawka VAT (23%, 8%, 5%, 0%, zw.)"),
]
TOP_LEVEL = frozenset(path.split(".")[0] for path, _ in VARIABLES)
DOCUMENTED = frozenset(path for path, _ in VARIABLES)


def money(value: Decimal) -> str:
    """Format an amount the Polish way: 12 345,67 zł."""
    return f"{value:,.2f} zł".replace(",", " ").replace(".", ",")


def quantity_text(value: Decimal) -> str:
    """Format a quantity without needless decimals: 25, 2,5."""
    value = Decimal(value)
    text = f"{value.quantize(Decimal(1))}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
    return text.replace(".", ",")


@dataclass(frozen=True)
class Line:
    """One line item with its computed net value."""

    name: str
    unit: str
    quantity: Decimal
    net_price: Decimal
    vat_rate: VatRate

    @property
    def net(self) -> Decimal:
        return (self.quantity * self.net_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateTotal:
    """The sums of one VAT rate (a row of the VAT summary, as on a Polish invoice)."""

    rate: VatRate
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True)
class Totals:
    """Net, VAT and gross of an offer, with the summary by VAT rate."""

    by_rate: list[RateTotal]
    net: Decimal
    vat: Decimal
    gross: Decimal


def compute_totals(lines: list[Line]) -> Totals:
    """Sum net values per VAT rate, compute VAT once per rate (rounded half up to grosze), then the totals."""
    nets: dict[VatRate, Decimal] = {}
    for line in lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, Decimal("0.00")) + line.net
    by_rate = []
    for rate in VatRate:  # fixed order: 23, 8, 5, 0, zw
        if rate in nets:
            vat = (nets[rate] * rate.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            by_rate.append(RateTotal(rate, nets[rate], vat))
    net = sum((r.net for r in by_rate), Decimal("0.00"))
    vat = sum((r.vat for r in by_rate), Decimal("0.00"))
    return Totals(by_rate, net, vat, net + vat)


class Namespace(Mapping):
    """A read-only group of documented tag values (``firma``, ``osoba`` …); nothing else is reachable.

    ``used`` collects the keys whose values the rendering read (so a page knows which personal data it showed).
    """

    def __init__(self, prefix: str, values: Mapping[str, Any]) -> None:
        self._prefix, self._values = prefix, dict(values)
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        self.used.add(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        return ""


class ItemTable:
    """The ``{{ pozycje }}`` tag: prints as the table of line items and can be looped over."""

    def __init__(self, lines: list[Line], totals: Totals) -> None:
        self._rows = [
            Namespace(
                "pozycja",
                {
                    "lp": i,
                    "nazwa": line.name,
                    "ilosc": quantity_text(line.quantity),
                    "jm": line.unit,
                    "cena_netto": money(line.net_price),
                    "wartosc_netto": money(line.net),
                    "stawka_vat": line.vat_rate.label,
                },
            )
            for i, line in enumerate(lines, start=1)
        ]
        self._totals = totals

    def __iter__(self) -> Iterator[Namespace]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __html__(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("Lp.", "Nazwa", "Ilość", "J.m.", "Cena netto", "Wartość netto", "VAT"))
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="{"num" if k not in ("nazwa", "jm") else "txt"}">{escape(r[k])}</td>'
                for k in ("lp", "nazwa", "ilosc", "jm", "cena_netto", "wartosc_netto", "stawka_vat")
            )
            + "</tr>"
            for r in self._rows
        )
        rates = "".join(
            f'<tr><td colspan="5" class="num">Stawka {escape(r.rate.label)}: netto {money(r.net)}, '
            f'VAT {money(r.vat)}, brutto</td><td class="num" colspan="2">{money(r.gross)}</td></tr>'
            for r in self._totals.by_rate
        )
        return (
            f'<table class="offer-items"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"<tfoot>{rates}</tfoot></table>"
        )

    def __str__(self) -> str:
        return self.__html__()


class EscapeLiteralText(Extension):
    """Escape the template's own text, so only tag output (and the item table) can carry markup."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                yield Token(token.lineno, "data", str(escape(token.value)))
            else:
                yield token


class OfferEnvironment(SandboxedEnvironment):
    """A sandbox where a name resolves only to documented tags and no Python attribute is ever reachable."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self.getitem(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Namespace) and isinstance(argument, str) and argument in obj:
            return obj[argument]
        if isinstance(obj, Namespace):
            hint = f"Nieznany znacznik „{{{{ {obj._prefix}.{argument} }}}}”."
        else:
            hint = f"Niedozwolone odwołanie „{argument}” – w szablonie działają tylko znaczniki z listy."
        return self.undefined(hint=hint, obj=obj, name=str(argument))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("Potęgowanie nie jest dostępne w szablonach ofert.")
        if isinstance(left, (str, list)) or isinstance(right, (str, list)):
            count = right if isinstance(left, (str, list)) else left
            if not isinstance(count, int) or count > MAX_REPEAT:
                raise SecurityError("Zbyt duże powielenie tekstu w szablonie.")
        return super().call_binop(context, operator, left, right)


_env = OfferEnvironment(undefined=StrictUndefined, autoescape=True, extensions=[EscapeLiteralText])
_env.globals.clear()  # no range, cycler, joiner, namespace, lipsum, dict
_env.filters["kwota"] = lambda value: money(Decimal(str(value)))


def _attribute_paths(tree: nodes.Template) -> set[str]:
    """Return ``name.attr`` paths of the documented namespaces used with a dot or brackets."""
    paths = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(target, nodes.Name) and target.name in TOP_LEVEL and isinstance(key, str):
            paths.add(f"{target.name}.{key}")
    return paths


def check_template(source: str) -> None:
    """Refuse a template with a syntax error, an unknown tag or an attribute outside the picker."""
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as exc:
        raise CrmError(f"Błąd składni szablonu w wierszu {exc.lineno}: {exc.message}") from exc
    names = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    unknown = sorted(
        (meta.find_undeclared_variables(tree) | (names & {"self", "loop", "varargs", "kwargs"})) - TOP_LEVEL
    )
    if unknown:
        names = ", ".join(f"„{{{{ {name} }}}}”" for name in unknown)
        raise CrmError(f"Nieznany znacznik {names}. Użyj znaczników z listy obok edytora.")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", "")
        if (isinstance(key, str) and key.startswith("_")) or isinstance(node.node, nodes.Const):
            raise CrmError(f"Niedozwolone odwołanie „{key}” – w szablonie działają tylko znaczniki z listy obok.")
    for path in sorted(_attribute_paths(tree)):
        if path not in DOCUMENTED:
            raise CrmError(f"Nieznany znacznik „{{{{ {path} }}}}”. Użyj znaczników z listy obok edytora.")


def render(source: str, context: Mapping[str, Any]) -> Markup:
    """Render a template with the given tag values; raise ``CrmError`` with a Polish message on any problem."""
    check_template(source)
    try:
        return Markup(_env.from_string(source).render(**context))  # noqa: S704  (escaped by the sandbox)
    except UndefinedError as exc:
        message = str(exc)
        if "Nieznany" not in message and "Niedozwolone" not in message:
            message = f"Nieznany znacznik w szablonie ({message})."
        raise CrmError(message + " Generowanie oferty przerwano.") from exc
    except SecurityError as exc:
        raise CrmError(f"Szablon próbuje wykonać niedozwoloną operację ({exc}). Generowanie przerwano.") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise CrmError(f"Szablonu nie da się wypełnić: {exc}") from exc


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render a one-line template (the e-mail subject) as plain text."""
    return render(source, context).striptags()
