"""Scoring per item type and policy; totals and breakdowns."""

import pytest

from examplatform.bank.items import Choice, Item, ItemType, Scoring
from examplatform.theory.models import PartialCredit
from examplatform.theory.scoring import score_answers, score_item

OPTS = tuple(Choice(c, f"Odpowiedź {c}") for c in "ABCDE")


def _item(t: ItemType, key, **kw) -> Item:
    defaults = {"options": OPTS if t not in (ItemType.TRUEFALSE, ItemType.MATCHING) else ()}
    return Item(
        id=f"X-{t}", version=1, criterion=kw.pop("criterion", "1.3.2"), type=t, stem="?", key=key, **{**defaults, **kw}
    )


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        (_item(ItemType.SINGLE, "B"), "B", 1.0),
        (_item(ItemType.SINGLE, "B"), "C", 0.0),
        (_item(ItemType.SINGLE, "B"), None, 0.0),
        (_item(ItemType.TRUEFALSE, False), False, 1.0),
        (_item(ItemType.TRUEFALSE, False), True, 0.0),
        (_item(ItemType.ORDERING, ("C", "A", "B", "E", "D")), ["C", "A", "B", "E", "D"], 1.0),
        (_item(ItemType.ORDERING, ("C", "A", "B", "E", "D")), ["A", "C", "B", "E", "D"], 0.0),
        (
            _item(
                ItemType.MATCHING,
                (("1", "b"), ("2", "a")),
                premises=(Choice("1", "x"), Choice("2", "y")),
                responses=(Choice("a", "a"), Choice("b", "b")),
            ),
            {"1": "b", "2": "a"},
            1.0,
        ),
        (
            _item(
                ItemType.MATCHING,
                (("1", "b"), ("2", "a")),
                premises=(Choice("1", "x"), Choice("2", "y")),
                responses=(Choice("a", "a"), Choice("b", "b")),
            ),
            {"1": "b"},
            0.0,
        ),
        (_item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.ALL_OR_NOTHING), ["A", "C"], 1.0),
        (_item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.ALL_OR_NOTHING), ["A"], 0.0),
        (_item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.PARTIAL), ["A"], 0.5),
        (_item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.PARTIAL), ["A", "B"], 0.1667),  # 1/2 − 1/3
        (_item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.PARTIAL), ["B", "D", "E"], 0.0),  # never negative
    ],
)
def test_item_scores(item, value, expected):
    assert score_item(item, value, PartialCredit.PER_ITEM) == expected


def test_policy_none_turns_partial_credit_off():
    item = _item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.PARTIAL)
    assert score_item(item, ["A"], PartialCredit.NONE) == 0.0


def test_totals_and_breakdown_per_criterion_and_outcome():
    items = [
        (1, _item(ItemType.SINGLE, "A", criterion="1.3.2")),
        (2, _item(ItemType.SINGLE, "A", criterion="1.3.1")),
        (3, _item(ItemType.TRUEFALSE, True, criterion="2.5.3")),
        (4, _item(ItemType.MULTIPLE, ("A", "C"), scoring=Scoring.PARTIAL, criterion="1.3.2")),
    ]
    result = score_answers(items, {1: "A", 2: "B", 3: True, 4: ["C"]}, policy=PartialCredit.PER_ITEM, pass_percent=70)
    assert result.score == 2.5 and result.maximum == 4 and result.percent == 62.5 and not result.passed
    assert result.criteria["1.3.2"].score == 1.5 and result.criteria["1.3.2"].maximum == 2
    assert result.outcomes["1.3"].score == 1.5 and result.outcomes["1.3"].maximum == 3
    assert result.outcomes["2.5"].percent == 100.0
    assert [r["points"] for r in result.items] == [1.0, 0.0, 1.0, 0.5]


def test_pass_threshold_is_inclusive():
    items = [(n, _item(ItemType.SINGLE, "A")) for n in range(1, 11)]
    answers = dict.fromkeys(range(1, 8), "A")
    assert score_answers(items, answers, policy=PartialCredit.PER_ITEM, pass_percent=70).passed
