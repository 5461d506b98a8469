"""Forms are generated when the session is prepared, from a stored seed, and reproduce exactly."""

import json
from collections import Counter

from sqlalchemy import func, select

from examplatform.bank.items import ItemType
from examplatform.bank.models import ItemVersion
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification
from examplatform.theory.blueprints import DEFAULT_ALLOCATION
from examplatform.theory.formgen import generate_form, prepare_session, reproduce
from examplatform.theory.models import Attempt, AttemptStatus, TestForm


def test_each_candidate_gets_a_full_form_by_the_default_blueprint(prepared):
    assert len(prepared["forms"]) == 3
    for form in prepared["forms"]:
        criteria = Counter(fi.item_version.criterion for fi in form.items)
        assert dict(criteria) == DEFAULT_ALLOCATION and len(form.items) == 40
        assert len({fi.item_version.item_key for fi in form.items}) == 40  # no repeats
        assert [fi.position for fi in form.items] == list(range(1, 41))
        assert form.attempt.status is AttemptStatus.READY
        assert form.snapshot["time_limit_minutes"] == 60 and form.snapshot["pass_percent"] == 70


def test_forms_reproduce_exactly_from_seed_and_trace(prepared):
    for form in prepared["forms"]:
        assert reproduce(form)
    form = prepared["forms"][0]
    form.seed += 1  # any other seed gives another form
    assert not reproduce(form)
    db.session.rollback()


def test_used_items_are_counted_and_frozen(prepared):
    used = db.session.scalars(select(ItemVersion).where(ItemVersion.exposure_count > 0)).all()
    assert sum(v.exposure_count for v in used) == 120
    assert all(v.first_used_at is not None for v in used)


def test_least_exposed_items_come_first(prepared):
    # three forms of 6 items from the 1.3.2 pool: exposure spreads before any item repeats
    pool = db.session.scalar(select(func.count()).select_from(ItemVersion).where(ItemVersion.criterion == "1.3.2"))
    counts = Counter(
        fi.item_version.item_key
        for form in prepared["forms"]
        for fi in form.items
        if fi.item_version.criterion == "1.3.2"
    )
    assert pool >= 18 and max(counts.values()) == 1


def test_preparing_twice_adds_no_second_form(prepared):
    again = prepare_session(
        prepared["session"], actor=None, now=prepared["forms"][0].created_at, qualification=current_qualification()
    )
    assert again == []
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 3


def test_option_orders_are_stored_and_ordering_items_never_show_the_answer(prepared, factories):
    for form in prepared["forms"]:
        for fi in form.items:
            item = fi.item_version.to_item()
            order = json.loads(fi.option_order)
            if item.type is ItemType.MATCHING:
                assert sorted(order["responses"]) == sorted(c.id for c in item.responses)
            elif item.type is ItemType.TRUEFALSE:
                assert order == []
            else:
                assert sorted(order) == sorted(c.id for c in item.options)
                if item.type is ItemType.ORDERING:
                    assert tuple(order) != item.key


def test_candidate_does_not_see_the_same_items_at_a_resit(prepared, factories):
    candidate = prepared["candidates"][0]
    first = {fi.item_version.item_key for fi in prepared["forms"][0].items}
    resit = factories.session(prepared["institution"], [candidate])
    form = generate_form(resit.enrolments[0], prepared["forms"][0].snapshot, now=factories.now, seed=7)
    second = {fi.item_version.item_key for fi in form.items}
    by_criterion = Counter(k.rsplit("-", 1)[0] for k in first & second)
    # repeats only where a criterion's pool is too small for two disjoint draws (none in the real bank)
    assert not by_criterion, by_criterion


def test_form_codes_are_unique_and_readable(prepared):
    codes = [f.code for f in db.session.scalars(select(TestForm))]
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("T-") and len(c) == 10 and not set(c[2:]) & set("01IO") for c in codes)
