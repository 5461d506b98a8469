"""The qualification file: complete, exact, and refused with located errors when broken."""

import re
from pathlib import Path

import pytest
import yaml

from examplatform.core.content import ContentError
from examplatform.qualification.loader import load_qualification_file
from tests.conftest import PROJECT_ROOT

QUALIFICATION = PROJECT_ROOT / "question_bank" / "qualification" / "13881.yaml"
OFFICIAL = PROJECT_ROOT / "question_bank" / "qualification" / "source" / "zsk-13881-opis-kwalifikacji.txt"


@pytest.fixture(scope="module")
def q():
    return load_qualification_file(QUALIFICATION)


def test_structure_is_complete(q):
    assert q.code == "13881" and q.prk_level == 4 and q.validity_years == 5
    assert [s.code for s in q.sets] == ["1", "2"]
    assert [o.code for o in q.outcomes] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert len(q.criteria) == 39
    assert q.commission.min_members == 2 and q.commission.min_years_supervising == 5
    assert q.commission.min_education == "secondary" and q.operator.min_education == "secondary"
    assert q.renewal_min_years == 1
    assert q.decision.require_test_passed and set(q.decision.require_all_criteria_met_for_methods) == {"S", "I"}


def test_polish_wording_is_exactly_the_official_text(q):
    official = OFFICIAL.read_text(encoding="utf-8")
    listed = re.findall(r"^- (.+?)[,.]$", official, flags=re.MULTILINE)
    assert [c.text.pl for c in q.criteria] == listed
    for outcome in q.outcomes:
        assert f"{outcome.code[-1]}. {outcome.name.pl}\n" in official


def test_codes_and_methods_follow_the_outline(q):
    outline = PROJECT_ROOT.parent / "shared" / "qualification" / "OUTLINE.md"
    expected = {
        "1.1.1": ("T",),
        "1.1.2": ("T", "I"),
        "1.1.3": ("T", "I"),
        "1.1.4": ("T",),
        "1.1.5": ("S", "I"),
        "1.2.1": ("T", "I"),
        "1.3.3": ("T", "I"),
        "2.1.2": ("S", "I"),
        "2.3.5": ("I",),
        "2.5.3": ("T",),
        "2.5.5": ("S", "I"),
    }
    for code, methods in expected.items():
        assert q.criterion(code).methods == methods
    assert len(q.criteria_by_method("S")) == 29
    if outline.exists():  # the shared outline, when checked out beside the repository, agrees row by row
        rows = re.findall(r"^\| (\d\.\d\.\d) \| .+? \| ([TSI, ]+) \|$", outline.read_text(), flags=re.MULTILINE)
        assert {code: tuple(m.strip() for m in methods.split(",")) for code, methods in rows} == {
            c.code: c.methods for c in q.criteria
        }


def _broken(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(QUALIFICATION.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_unknown_method_is_located(tmp_path):
    path = _broken(tmp_path, lambda d: d["sets"][1]["outcomes"][2]["criteria"][4].update(methods=["X"]))
    with pytest.raises(ContentError) as err:
        load_qualification_file(path)
    (error,) = err.value.errors
    assert error.line == _line_of(path, "- X")
    assert "sets/1/outcomes/2/criteria/4/methods/0" in str(error) and "niedozwolona wartość 'X'" in str(error)
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_missing_field_is_located(tmp_path):
    path = _broken(tmp_path, lambda d: d["sets"][0]["outcomes"][0]["criteria"][1].pop("pl"))
    with pytest.raises(ContentError) as err:
        load_qualification_file(path)
    (error,) = err.value.errors
    assert "brak wymaganego pola: „pl”" in error.message
    assert error.line == _line_of(path, "code: 1.1.2")


def test_misplaced_and_repeated_codes_are_reported(tmp_path):
    def mutate(d):
        d["sets"][0]["outcomes"][0]["criteria"][1]["code"] = "2.1.1"

    path = _broken(tmp_path, mutate)
    with pytest.raises(ContentError) as err:
        load_qualification_file(path)
    messages = [e.message for e in err.value.errors]
    assert "kod kryterium 2.1.1 nie należy do efektu 1.1" in messages
    assert "kod kryterium 2.1.1 powtórzony" in messages


def test_yaml_syntax_error_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text('code: "13881"\nversion: 1\ntitle: {pl: "a", en: "b"\nkind: x\n', encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_qualification_file(path)
    assert err.value.errors[0].line in (3, 4) and "niepoprawny YAML" in err.value.errors[0].message


def test_duplicate_key_is_refused(tmp_path):
    text = QUALIFICATION.read_text(encoding="utf-8").replace("prk_level: 4\n", "prk_level: 4\nprk_level: 5\n", 1)
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_qualification_file(path)
    assert err.value.errors[0].line == _line_of(path, "prk_level: 5")
    assert "powtórzony" in err.value.errors[0].message


def test_missing_file_and_wrong_encoding_are_clear(tmp_path):
    with pytest.raises(ContentError, match="plik nie istnieje"):
        load_qualification_file(tmp_path / "none.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("tytuł: zażółć".encode("iso8859_2"))
    with pytest.raises(ContentError, match="UTF-8"):
        load_qualification_file(latin)


def test_about_page_is_public_and_lists_every_criterion(client, factories):
    factories.institution(name="Instytucja A")
    page = client.get("/kwalifikacja/").get_data(as_text=True)
    q = load_qualification_file(QUALIFICATION)
    for criterion in q.criteria:
        assert f'data-criterion="{criterion.code}"' in page
    assert q.criterion("2.2.2").text.pl in page
    assert "System CRM wykorzystywany w walidacji" in page
    assert 'data-testid="crm-info"' in page and "Instytucja A" in page
    assert "ważny 5 lat" in page


def test_app_refuses_to_start_on_a_broken_qualification_file(tmp_path, database_uri):
    from examplatform import create_app

    path = _broken(tmp_path, lambda d: d.update(prk_level=11))
    with pytest.raises(RuntimeError) as err:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "QUALIFICATION_FILE": str(path)})
    assert f"{path}:" in str(err.value) and "prk_level: wartość musi być ≤ 8" in str(err.value)


def test_cli_validate_lists_located_errors(csrf_app, tmp_path):
    runner = csrf_app.test_cli_runner()
    ok = runner.invoke(args=["qualification", "validate"])
    assert ok.exit_code == 0 and "39 kryteriów" in ok.output
    path = _broken(tmp_path, lambda d: d["sets"][0].pop("name"))
    bad = runner.invoke(args=["qualification", "validate", str(path)])
    assert bad.exit_code == 1 and "brak wymaganego pola: „name”" in bad.output
