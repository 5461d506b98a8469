"""The interview bank: every I criterion covered, located errors for broken files."""

import pytest

from examplatform.commission.interview import coverage, load_interview_bank
from examplatform.core.content import ContentError
from examplatform.qualification.loader import load_qualification_file
from tests.conftest import PROJECT_ROOT

BANK = PROJECT_ROOT / "question_bank" / "interview" / "questions.yaml"
Q = load_qualification_file(PROJECT_ROOT / "question_bank" / "qualification" / "13881.yaml")
I_CRITERIA = {c.code for c in Q.criteria_by_method("I")}


def test_every_interview_criterion_has_at_least_four_questions():
    questions = load_interview_bank(BANK, I_CRITERIA)
    counts = coverage(questions)
    assert set(counts) == I_CRITERIA == {"1.1.2", "1.1.3", "1.1.5", "1.2.1", "1.3.3", "2.1.2", "2.3.5", "2.5.5"}
    assert min(counts.values()) >= 4
    assert all(q.threshold <= len(q.elements) for q in questions)


def test_broken_interview_file_gives_located_errors(tmp_path):
    text = BANK.read_text(encoding="utf-8")
    broken = tmp_path / "questions.yaml"
    broken.write_text(text.replace('criterion: "1.1.2"', 'criterion: "1.3.1"', 1), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_interview_bank(broken, I_CRITERIA)
    messages = [str(e) for e in err.value.errors]
    assert any("kryterium 1.3.1 nie jest weryfikowane rozmową" in m and f"{broken}:" in m for m in messages)
