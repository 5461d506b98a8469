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
