"""Meaning checks of the scenario sections for roles, register fixtures, RODO, goals, segments and task templates."""

from __future__ import annotations

from decimal import InvalidOperation

from simulator.content import LocatedDocument, LocatedError
from simulator.crm import validators as v
from simulator.crm.models.segments import SegmentEntity, SegmentKind
from simulator.crm.services.segments import check_conditions
from simulator.scenario_rules import _Checker, parse_amount

DEFAULT_ROLE_KEYS = ("admin", "kierownik", "handlowiec")
GUS_FIELDS = {
    "nip": v.normalise_nip,
    "regon": v.normalise_regon,
    "krs": v.normalise_krs,
    "postal_code": v.normalise_postal_code,
    "pkd": v.normalise_pkd,
}


def check_extensions(doc: LocatedDocument) -> list[LocatedError]:
    """Return every located meaning problem of the sections added for segments, registers, RODO and goals."""
    c = _Checker(doc)
    data, seed = doc.data, doc.data["seed"]
    roles = c.keys(data.get("roles", []), ("roles",)) or {key: {} for key in DEFAULT_ROLE_KEYS}
    users = {u["key"]: u for u in data["users"]}
    for i, user in enumerate(data["users"]):
        c.ref(user, "role", roles, ("users", i), "roli")
    registers = data.get("registers", {})
    for i, item in enumerate(registers.get("gus", [])):
        c.values(item, GUS_FIELDS, ("registers", "gus", i))
        c.day(item, "end_date", ("registers", "gus", i))
        for field, message in v.legal_form_errors(item.get("legal_form"), pesel=None, krs=item.get("krs")).items():
            c.error(("registers", "gus", i, field), message)
        if item.get("unit_type") == "F" and item.get("legal_form", "jdg") != "jdg":
            c.error(("registers", "gus", i, "legal_form"), "podmiot typu F to osoba fizyczna: forma prawna „jdg”")
    for i, item in enumerate(registers.get("vies", [])):
        c.values(item, {"nip": v.normalise_nip}, ("registers", "vies", i))
    contacts = {item["key"]: item for item in seed.get("contacts", [])}
    accounts = {item["key"]: item for item in seed.get("accounts", [])}
    pipelines = {item["key"]: item for item in seed.get("pipelines", [])}
    purposes = c.keys(seed.get("purposes", []), ("seed", "purposes"))
    for i, item in enumerate(seed.get("consents", [])):
        pointer = ("seed", "consents", i)
        c.ref(item, "contact", contacts, pointer, "osoby")
        c.ref(item, "purpose", purposes, pointer, "celu przetwarzania")
        given, withdrawn = c.day(item, "given_on", pointer), c.day(item, "withdrawn_on", pointer)
        if given and withdrawn and withdrawn < given:
            c.error((*pointer, "withdrawn_on"), "zgody nie można wycofać przed jej udzieleniem")
    for i, item in enumerate(seed.get("requests", [])):
        c.ref(item, "contact", contacts, ("seed", "requests", i), "osoby")
        c.day(item, "received_on", ("seed", "requests", i))
    _goals(c, seed, users, pipelines)
    _segments(c, seed, users, accounts, contacts)
    return c.errors


def _goals(c: _Checker, seed: dict, users: dict, pipelines: dict) -> None:
    c.keys(seed.get("goals", []), ("seed", "goals"))
    for i, item in enumerate(seed.get("goals", [])):
        pointer = ("seed", "goals", i)
        c.ref(item, "owner", users, pointer, "użytkownika")
        c.ref(item, "pipeline", pipelines, pointer, "lejka")
        start, end = c.day(item, "period_from", pointer), c.day(item, "period_to", pointer)
        if start and end and end < start:
            c.error((*pointer, "period_to"), "koniec okresu celu jest przed jego początkiem")
        for field in ("target", "baseline"):
            try:
                amount = parse_amount(item.get(field, 0))
            except InvalidOperation:
                c.error((*pointer, field), "niepoprawna liczba")
                continue
            if field == "target" and amount <= 0:
                c.error((*pointer, field), "wartość docelowa musi być większa od zera")


def _segments(c: _Checker, seed: dict, users: dict, accounts: dict, contacts: dict) -> None:
    c.keys(seed.get("segments", []), ("seed", "segments"))
    for i, item in enumerate(seed.get("segments", [])):
        pointer = ("seed", "segments", i)
        c.ref(item, "owner", users, pointer, "użytkownika")
        entity, kind = SegmentEntity(item["entity"]), SegmentKind(item["kind"])
        known = accounts if entity == SegmentEntity.ACCOUNT else contacts
        for j, key in enumerate(item.get("members", [])):
            if key not in known:
                c.error(
                    (*pointer, "members", j), f"nie ma {'firmy' if known is accounts else 'osoby'} o kluczu „{key}”"
                )
        if kind == SegmentKind.STATIC and item.get("conditions"):
            c.error((*pointer, "conditions"), "lista statyczna nie ma warunków")
        if kind == SegmentKind.RULES:
            if item.get("members"):
                c.error((*pointer, "members"), "członków segmentu regułowego wyznaczają warunki")
            problems = check_conditions(entity, item.get("conditions", []))
            if not item.get("conditions"):
                problems.append("segment regułowy musi mieć co najmniej jeden warunek")
            for problem in problems:
                c.error((*pointer, "conditions"), problem)
