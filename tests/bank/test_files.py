"""The item bank files: the real bank is complete and sound; broken files give located errors."""

import shutil
from collections import Counter
from pathlib import Path

import pytest

from examplatform.bank.files import load_bank
from examplatform.bank.items import ItemStatus, ItemType
from examplatform.core.content import ContentError
from examplatform.qualification.loader import load_qualification_file
from tests.conftest import PROJECT_ROOT

BANK = PROJECT_ROOT / "question_bank" / "theory" / "items"
Q = load_qualification_file(PROJECT_ROOT / "question_bank" / "qualification" / "13881.yaml")
CRITERIA = {c.code for c in Q.criteria}


@pytest.fixture(scope="module")
def items():
    return load_bank(BANK, CRITERIA)


def test_bank_has_at_least_200_items_of_every_type(items):
    assert len(items) >= 200
    assert {i.type for i in items} == set(ItemType)
    assert len({(i.id, i.version) for i in items}) == len(items)


def test_every_t_criterion_has_at_least_12_reviewed_items(items):
    usable = Counter(i.criterion for i in items if i.status is ItemStatus.REVIEWED)
    for criterion in Q.criteria_by_method("T"):
        assert usable[criterion.code] >= 12, criterion.code


def test_simulator_criteria_with_knowledge_have_items(items):
    per = Counter(i.criterion for i in items)
    for code in ("2.1.1", "2.1.2", "2.2.2", "2.3.4", "2.4.6", "2.5.5", "1.2.4"):
        assert per[code] >= 4, code


def test_every_item_cites_a_source_and_multiple_choice_says_so(items):
    for item in items:
        assert len(item.source) >= 3, item.id
        if item.type is ItemType.MULTIPLE:
            assert "Zaznacz wszystkie poprawne odpowiedzi" in item.stem, item.id


def test_item_ids_carry_their_criterion(items):
    for item in items:
        assert item.id.startswith(f"T-{item.criterion}-"), item.id


def _copy_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "items"
    shutil.copytree(BANK, folder)
    return folder


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_key_outside_the_options_is_located(tmp_path):
    folder = _copy_bank(tmp_path)
    path = folder / "1.3.2.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('key: "C"', 'key: "Z"', 1), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_bank(folder, CRITERIA)
    (error,) = err.value.errors
    item_line = max(
        n
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip().startswith("- id:") and n < _line(path, 'key: "Z"')
    )
    assert error.file == str(path) and error.line == item_line
    assert "klucz 'Z' nie wskazuje żadnej z odpowiedzi" in error.message


def test_schema_errors_are_located_and_every_file_is_reported(tmp_path):
    folder = _copy_bank(tmp_path)
    first, second = folder / "1.1.1.yaml", folder / "2.5.3.yaml"
    first.write_text(first.read_text(encoding="utf-8").replace("type: single", "type: essay", 1), encoding="utf-8")
    second.write_text(second.read_text(encoding="utf-8").replace("difficulty: ", "difficulty: 7", 1), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_bank(folder, CRITERIA)
    files = {e.file for e in err.value.errors}
    assert files == {str(first), str(second)}
    essay = next(e for e in err.value.errors if e.file == str(first))
    assert essay.line == _line(first, "type: essay") and "niedozwolona wartość 'essay'" in essay.message


def test_duplicate_id_across_files_and_wrong_file_name(tmp_path):
    folder = _copy_bank(tmp_path)
    shutil.copy(folder / "1.1.1.yaml", folder / "copy.yaml")
    with pytest.raises(ContentError) as err:
        load_bank(folder, CRITERIA)
    messages = " | ".join(e.message for e in err.value.errors)
    assert "musi się nazywać 1.1.1.yaml" in messages


def test_unknown_criterion_is_refused(tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    (folder / "9.9.9.yaml").write_text('criterion: "9.9.9"\nitems: []\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"kryterium 9\.9\.9 nie istnieje"):
        load_bank(folder, CRITERIA)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(ContentError, match="brak plików"):
        load_bank(tmp_path, CRITERIA)
