"""Meaning checks of a scenario's seed data: unique keys, resolvable references, valid Polish identifiers."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from simulator.content import LocatedDocument, LocatedError
from simulator.crm import validators as v

COLLECTIONS = ("accounts", "contacts", "products", "pipelines", "opportunities", "activities")

# field -> normaliser used for seed values (the same functions the CRM forms use)
ACCOUNT_FIELDS = {
    "nip": v.normalise_nip,
    "regon": v.normalise_regon,
    "krs": v.normalise_krs,
    "pesel": v.normalise_pesel,
    "postal_code": v.normalise_postal_code,
    "pkd": v.normalise_pkd,
    "phone": v.normalise_phone,
    "email": v.normalise_email,
}
CONTACT_FIELDS = {"pesel": v.normalise_pesel, "phone": v.normalise_phone, "email": v.normalise_email}


def parse_amount(raw: Any) -> Decimal:
    """Return a seed amount as Decimal (numbers and strings such as "12500.50")."""
    return Decimal(str(raw))


class _Checker:
    def __init__(self, doc: LocatedDocument) -> None:
        self.doc = doc
        self.errors: list[LocatedError] = []
        self.data = doc.data

    def error(self, pointer: tuple, message: str) -> None:
        self.errors.append(self.doc.error(pointer, message))

    def keys(self, items: list[dict], pointer: tuple) -> dict[str, dict]:
        seen: dict[str, dict] = {}
        for index, item in enumerate(items):
            key = item.get("key")
            if key is None:
                continue
            if key in seen:
                self.error((*pointer, index, "key"), f"klucz „{key}” powtórzony")
            seen[key] = item
        return seen

    def ref(self, item: dict, field: str, known: dict, pointer: tuple, what: str) -> dict | None:
        key = item.get(field)
        if key is None:
            return None
        if key not in known:
            self.error((*pointer, field), f"nie ma {what} o kluczu „{key}”")
            return None
        return known[key]

    def values(self, item: dict, fields: dict, pointer: tuple) -> None:
        for field, normalise in fields.items():
            if item.get(field):
                try:
                    normalise(item[field])
                except v.InvalidValue as exc:
                    self.error((*pointer, field), str(exc))

    def day(self, item: dict, field: str, pointer: tuple) -> date | None:
        if field not in item:
            return None
        try:
            return date.fromisoformat(item[field])
        except ValueError:
            self.error((*pointer, field), f"niepoprawna data „{item[field]}”")
            return None


def check_seed(doc: LocatedDocument) -> list[LocatedError]:
    """Return every meaning problem of the scenario's users and seed data, located."""
    c = _Checker(doc)
    data = doc.data
    seed = data["seed"]
    users = c.keys(data["users"], ("users",))
    if sum(1 for u in data["users"] if u.get("me")) != 1:
        c.error(("users",), "dokładnie jeden użytkownik musi mieć „me: true” (konto kandydata)")
    known = {name: c.keys(seed.get(name, []), ("seed", name)) for name in COLLECTIONS}
    _accounts(c, seed, users)
    _contacts(c, seed, known["accounts"])
    _products(c, seed)
    stages = _pipelines(c, seed)
    _opportunities(c, seed, known, users, stages)
    _activities(c, seed, known, users, stages)
    _name_pools(c, data, seed)
    return c.errors


def _accounts(c: _Checker, seed: dict, users: dict) -> None:
    for i, item in enumerate(seed.get("accounts", [])):
        pointer = ("seed", "accounts", i)
        c.values(item, ACCOUNT_FIELDS, pointer)
        c.ref(item, "owner", users, pointer, "użytkownika")
        errors = v.legal_form_errors(item.get("legal_form"), pesel=item.get("pesel"), krs=item.get("krs"))
        for field, message in errors.items():
            c.error((*pointer, field), message)


def _contacts(c: _Checker, seed: dict, accounts: dict) -> None:
    for i, item in enumerate(seed.get("contacts", [])):
        pointer = ("seed", "contacts", i)
        c.values(item, CONTACT_FIELDS, pointer)
        c.ref(item, "account", accounts, pointer, "firmy")
        born = c.day(item, "birth_date", pointer)
        try:
            pesel = v.normalise_pesel(item["pesel"]) if item.get("pesel") else None
        except v.InvalidValue:
            continue
        if pesel and born:
            try:
                v.check_pesel_birth_date(pesel, born)
            except v.InvalidValue as exc:
                c.error((*pointer, "birth_date"), str(exc))
        if pesel and item.get("sex") and v.pesel_sex(pesel) != item["sex"]:
            c.error((*pointer, "sex"), f"płeć „{item['sex']}” nie zgadza się z numerem PESEL")


def _products(c: _Checker, seed: dict) -> None:
    for i, item in enumerate(seed.get("products", [])):
        try:
            parse_amount(item["net_price"])
        except InvalidOperation:
            c.error(("seed", "products", i, "net_price"), "niepoprawna kwota")


def _pipelines(c: _Checker, seed: dict) -> dict[str, dict[str, dict]]:
    stages: dict[str, dict[str, dict]] = {}
    for i, item in enumerate(seed.get("pipelines", [])):
        stages[item["key"]] = c.keys(item["stages"], ("seed", "pipelines", i, "stages"))
    return stages


def _opportunities(c: _Checker, seed: dict, known: dict, users: dict, stages: dict) -> None:
    try:
        business_date = date.fromisoformat(str(c.data.get("business_date")))
    except ValueError:
        business_date = date.max  # reported by the schema
    for i, item in enumerate(seed.get("opportunities", [])):
        pointer = ("seed", "opportunities", i)
        account = c.ref(item, "account", known["accounts"], pointer, "firmy")
        contact = c.ref(item, "contact", known["contacts"], pointer, "osoby")
        if account and contact and contact.get("account") != account["key"]:
            c.error((*pointer, "contact"), f"osoba „{contact['key']}” nie należy do firmy „{account['key']}”")
        pipeline = c.ref(item, "pipeline", known["pipelines"], pointer, "lejka")
        if pipeline and item["stage"] not in stages.get(pipeline["key"], {}):
            c.error((*pointer, "stage"), f"lejek „{pipeline['key']}” nie ma etapu „{item['stage']}”")
        c.ref(item, "owner", users, pointer, "użytkownika")
        c.day(item, "expected_close", pointer)
        if item.get("status") == "przegrana" and not item.get("loss_reason"):
            c.error((*pointer, "loss_reason"), "przegrana szansa musi mieć powód utraty")
        if item.get("loss_reason") and item.get("status") != "przegrana":
            c.error((*pointer, "loss_reason"), "powód utraty podaje się tylko dla przegranej szansy")
        closed_on = c.day(item, "closed_on", pointer)
        if closed_on and item.get("status", "otwarta") == "otwarta":
            c.error((*pointer, "closed_on"), "datę zamknięcia podaje się tylko dla wygranej lub przegranej szansy")
        elif not closed_on and item.get("status", "otwarta") != "otwarta" and "closed_on" not in item:
            # without it every seeded deal would close on the exam day: reports by closing date would be false
            c.error((*pointer, "closed_on"), "wygrana lub przegrana szansa musi mieć datę zamknięcia (closed_on)")
        elif closed_on and closed_on > business_date:
            c.error((*pointer, "closed_on"), f"data zamknięcia jest po dacie biznesowej ({business_date})")


def _activities(c: _Checker, seed: dict, known: dict, users: dict, stages: dict) -> None:
    for i, item in enumerate(seed.get("activities", [])):
        pointer = ("seed", "activities", i)
        c.ref(item, "owner", users, pointer, "użytkownika")
        account = c.ref(item, "account", known["accounts"], pointer, "firmy")
        contact = c.ref(item, "contact", known["contacts"], pointer, "osoby")
        opportunity = c.ref(item, "opportunity", known["opportunities"], pointer, "szansy")
        c.day(item, "due_date", pointer)
        if "due_time" in item:
            try:
                time.fromisoformat(item["due_time"])
            except ValueError:
                c.error((*pointer, "due_time"), f"niepoprawna godzina „{item['due_time']}”")
        if account and contact and contact.get("account") != account["key"]:
            c.error((*pointer, "contact"), f"osoba „{contact['key']}” nie należy do firmy „{account['key']}”")
        if account and opportunity and opportunity["account"] != account["key"]:
            c.error((*pointer, "opportunity"), "szansa dotyczy innej firmy niż działanie")
        if "stage" in item:
            if not opportunity:
                c.error((*pointer, "stage"), "etap można wskazać tylko razem z szansą")
            elif item["stage"] not in stages.get(opportunity["pipeline"], {}):
                c.error((*pointer, "stage"), f"lejek szansy nie ma etapu „{item['stage']}”")


def _name_pools(c: _Checker, data: dict, seed: dict) -> None:
    pools = data.get("variations", {}).get("contact_names")
    if not pools:
        return
    contacts = seed.get("contacts", [])
    keys = {item["key"] for item in contacts}
    for index, key in enumerate(pools.get("keep", [])):
        if key not in keys:
            c.error(("variations", "contact_names", "keep", index), f"nie ma osoby o kluczu „{key}”")
    keep = set(pools.get("keep", []))
    for sex, pool_name in (("K", "female"), ("M", "male")):
        count = sum(1 for item in contacts if item.get("sex") == sex and item["key"] not in keep)
        pool = pools.get(pool_name)
        if count and (pool is None or min(len(pool["first_names"]), len(pool["last_names"])) < count):
            c.error(
                ("variations", "contact_names"),
                f"pula „{pool_name}” musi mieć co najmniej {count} imion i {count} nazwisk "
                f"(tyle osób z płcią „{sex}” jest w danych)",
            )
