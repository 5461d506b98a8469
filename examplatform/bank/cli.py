"""`flask bank …`: validate, sync, stats, import and export the item bank."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from examplatform.core.clock import utcnow
from examplatform.core.content import ContentError
from examplatform.extensions import db

FORMATS = ("qti", "gift", "moodlexml")


def _criteria() -> set[str]:
    from examplatform.qualification.services import current_qualification

    return {c.code for c in current_qualification().criteria}


def _fail(exc: ContentError) -> None:
    for error in exc.errors:
        click.echo(str(error), err=True)
    click.echo(f"Błędów: {len(exc.errors)}. Nic nie zostało zapisane.", err=True)
    sys.exit(1)


def coverage_gaps(usable: Counter) -> list[str]:
    """Name the T criteria with fewer usable (reviewed) items than the configured minimum."""
    from examplatform.qualification.services import current_qualification

    minimum = current_app.config["MIN_ITEMS_PER_T_CRITERION"]
    return [
        f"{c.code}: {usable.get(c.code, 0)} zadań zatwierdzonych (wymagane co najmniej {minimum})"
        for c in current_qualification().criteria_by_method("T")
        if usable.get(c.code, 0) < minimum
    ]


@click.group("bank", help="Bank zadań testowych.")
def bank() -> None:
    pass


@bank.command("validate")
@click.argument("folder", required=False)
@with_appcontext
def validate(folder: str | None) -> None:
    """Check the bank files (schema, keys, criteria, coverage of T criteria); exit 1 on any problem."""
    from examplatform.bank.files import load_bank
    from examplatform.bank.items import ItemStatus

    folder = folder or current_app.config["BANK_FOLDER"]
    try:
        items = load_bank(folder, _criteria())
    except ContentError as exc:
        _fail(exc)
    usable = Counter(i.criterion for i in items if i.status is ItemStatus.REVIEWED)
    gaps = coverage_gaps(usable)
    criteria = len({i.criterion for i in items})
    click.echo(f"OK: {folder}: {len(items)} zadań, zatwierdzonych {sum(usable.values())}, kryteriów {criteria}")
    if gaps:
        click.echo("Za mało zadań dla kryteriów weryfikowanych testem:\n  " + "\n  ".join(gaps), err=True)
        sys.exit(1)


@bank.command("sync")
@click.argument("folder", required=False)
@with_appcontext
def sync(folder: str | None) -> None:
    """Store new and edited item versions from the files (a used version never changes)."""
    from examplatform.bank.services import sync_from_files

    try:
        report = sync_from_files(folder or current_app.config["BANK_FOLDER"], _criteria(), actor=None, now=utcnow())
    except ContentError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"Dodano {len(report.added)}, zmieniono {len(report.updated)}, bez zmian {report.unchanged}.")


@bank.command("stats")
@with_appcontext
def stats() -> None:
    """Print items per criterion, type and status."""
    from examplatform.bank.services import stats as bank_stats

    counts = bank_stats()
    for title, key in (("Kryterium", "criterion"), ("Typ", "type"), ("Status", "status")):
        click.echo(f"{title}:")
        for name, n in sorted(counts[key].items()):
            extra = f"  (zatwierdzonych: {counts['usable_by_criterion'].get(name, 0)})" if key == "criterion" else ""
            click.echo(f"  {name:<16} {n:>4}{extra}")
    click.echo(f"Razem: {sum(counts['status'].values())}")


@bank.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["gift", "moodlexml"]), help="Domyślnie według rozszerzenia.")
@click.option("--criterion", help="Kryterium dla pytań bez kategorii.")
@with_appcontext
def import_file(file: Path, fmt: str | None, criterion: str | None) -> None:
    """Import GIFT or Moodle XML as draft items: all or nothing, errors located in the file."""
    from examplatform.bank.interchange.gift import parse_gift
    from examplatform.bank.interchange.moodlexml import parse_moodle_xml
    from examplatform.bank.services import add_items
    from examplatform.core.content import LocatedError

    fmt = fmt or ("moodlexml" if file.suffix.lower() == ".xml" else "gift")
    try:
        if fmt == "gift":
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise ContentError([LocatedError(str(file), None, "plik nie jest zapisany w UTF-8")]) from exc
            items = parse_gift(text, file=str(file), criterion=criterion)
        else:
            items = parse_moodle_xml(file.read_bytes(), file=str(file), criterion=criterion)
        known = _criteria()
        unknown = [
            LocatedError(str(file), None, f"{i.id}: kryterium {i.criterion} nie istnieje")
            for i in items
            if i.criterion not in known
        ]
        if unknown:
            raise ContentError(unknown)
        report = add_items(items, actor=None, now=utcnow(), origin_label=str(file))
    except ContentError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"Zaimportowano {len(report.added)} zadań jako szkice (zmieniono {len(report.updated)}).")


@bank.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Plik wynikowy.")
@click.option("--status", default="reviewed", show_default=True, help="Które zadania (draft/reviewed/retired/all).")
@with_appcontext
def export(fmt: str, output: Path | None, status: str) -> None:
    """Export the bank as a QTI 2.1 package, GIFT or Moodle XML."""
    from examplatform.bank.interchange.gift import export_gift
    from examplatform.bank.interchange.moodlexml import export_moodle_xml
    from examplatform.bank.interchange.qti import export_qti_package
    from examplatform.bank.services import items_of, search

    items = items_of(search(status="" if status == "all" else status, limit=100_000))
    if fmt == "qti":
        data = export_qti_package(items)
    elif fmt == "gift":
        data = export_gift(items).encode()
    else:
        data = export_moodle_xml(items)
    output = output or Path(f"bank-13881.{ {'qti': 'zip', 'gift': 'gift.txt', 'moodlexml': 'xml'}[fmt] }")
    output.write_bytes(data)
    click.echo(f"Zapisano {len(items)} zadań do {output} ({len(data)} B).")
