"""`flask bank validate|sync|stats`."""

import shutil


def test_validate_passes_on_the_real_bank(runner):
    result = runner.invoke(args=["bank", "validate"])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output and "kryteriów 39" in result.output


def test_validate_fails_with_located_errors(runner, tmp_path):
    from tests.bank.test_files import BANK

    folder = tmp_path / "items"
    shutil.copytree(BANK, folder)
    path = folder / "1.1.4.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: reviewed", "status: published", 1), encoding="utf-8"
    )
    result = runner.invoke(args=["bank", "validate", str(folder)])
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "niedozwolona wartość 'published'" in result.output
    assert "Nic nie zostało zapisane." in result.output


def test_validate_reports_thin_coverage(runner, tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    (folder / "1.1.1.yaml").write_text('criterion: "1.1.1"\nitems: []\n', encoding="utf-8")
    result = runner.invoke(args=["bank", "validate", str(folder)])
    assert result.exit_code == 1 and "1.1.1: 0 zadań zatwierdzonych (wymagane co najmniej 12)" in result.output


def test_sync_then_stats(runner):
    first = runner.invoke(args=["bank", "sync"])
    assert first.exit_code == 0 and "Dodano" in first.output
    assert "Dodano 0" in runner.invoke(args=["bank", "sync"]).output
    stats = runner.invoke(args=["bank", "stats"]).output
    for word in ("Kryterium:", "Typ:", "Status:", "matching", "ordering", "reviewed", "Razem:"):
        assert word in stats


GIFT_OK = """$CATEGORY: $course$/13881/1.3.2

::IMP-GIFT-1:: Który organ nadzoruje przestrzeganie RODO w Polsce? {
=Prezes Urzędu Ochrony Danych Osobowych
~Rzecznik Praw Obywatelskich
~Prezes Urzędu Ochrony Konkurencji i Konsumentów
}

::IMP-GIFT-2:: Zgodę na przetwarzanie danych można wycofać w dowolnym momencie. {T}
"""


def test_import_gift_adds_drafts_and_a_broken_file_adds_nothing(runner, tmp_path):
    from sqlalchemy import select

    from examplatform.bank.models import ItemVersion
    from examplatform.extensions import db

    good = tmp_path / "pytania.gift"
    good.write_text(GIFT_OK, encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Zaimportowano 2 zadań jako szkice" in result.output
    stored = db.session.scalars(select(ItemVersion).where(ItemVersion.item_key.like("IMP-GIFT-%"))).all()
    assert {v.status for v in stored} == {"draft"} and {v.criterion for v in stored} == {"1.3.2"}

    broken = tmp_path / "zle.gift"
    broken.write_text(
        GIFT_OK.replace("IMP-GIFT", "IMP-BAD") + "\n::X:: Pytanie bez zamknięcia {\n=a\n", encoding="utf-8"
    )
    result = runner.invoke(args=["bank", "import", str(broken)])
    assert result.exit_code == 1 and f"{broken}:" in result.output and "Nic nie zostało zapisane." in result.output
    assert db.session.scalars(select(ItemVersion).where(ItemVersion.item_key.like("IMP-BAD-%"))).all() == []


def test_import_refuses_unknown_criterion_and_hostile_xml(runner, tmp_path):
    unknown = tmp_path / "x.gift"
    unknown.write_text(GIFT_OK.replace("1.3.2", "9.9.9"), encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(unknown)])
    assert result.exit_code == 1 and "kryterium 9.9.9 nie istnieje" in result.output
    hostile = tmp_path / "x.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>&x;</quiz>')
    result = runner.invoke(args=["bank", "import", str(hostile)])
    assert result.exit_code == 1 and "root:" not in result.output


def test_export_every_format(runner, tmp_path):
    from examplatform.bank.interchange.qti import check_qti_package

    runner.invoke(args=["bank", "sync"])
    for fmt, name in (("qti", "bank.zip"), ("gift", "bank.gift"), ("moodlexml", "bank.xml")):
        out = tmp_path / name
        result = runner.invoke(args=["bank", "export", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 10_000
    assert check_qti_package((tmp_path / "bank.zip").read_bytes()) == []
    assert "$CATEGORY: 13881/1.3.2" in (tmp_path / "bank.gift").read_text(encoding="utf-8")
