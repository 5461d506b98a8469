"""The shared content loader (used by the platform and the simulator alike)."""

import pytest

from contentlib import ContentError, parse_yaml


def test_impossible_date_is_a_located_error_not_a_crash():
    with pytest.raises(ContentError) as err:
        parse_yaml("name: test\nbusiness_date: 2026-02-30\n", "scenario.yaml")
    (error,) = err.value.errors
    assert error.line == 2 and "niepoprawna data" in error.message and str(error).startswith("scenario.yaml:2:")


def test_lines_are_recorded_for_every_node():
    doc = parse_yaml("a:\n  - x: 1\n  - x: 2\n", "f.yaml")
    assert doc.line_of(("a", 1, "x")) == 3 and doc.line_of(("a", 9)) == 2  # falls back to the list itself
