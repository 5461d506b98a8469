"""Storing, versioning and reviewing item versions."""

import dataclasses

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import Role
from examplatform.bank import services
from examplatform.bank.items import ItemStatus
from examplatform.bank.models import ItemVersion, ReviewVerdict
from examplatform.core.content import ContentError
from examplatform.core.errors import DomainError
from examplatform.extensions import db
from tests.bank.test_files import BANK, CRITERIA


def test_sync_stores_the_whole_bank_once(csrf_app, factories):
    report = services.sync_from_files(BANK, CRITERIA, actor=None, now=factories.now)
    db.session.commit()
    assert len(report.added) >= 200 and not report.updated
    again = services.sync_from_files(BANK, CRITERIA, actor=None, now=factories.now)
    assert again.unchanged == len(report.added) and not again.added
    counts = services.stats()
    assert sum(counts["status"].values()) == len(report.added)


def test_unused_version_may_be_corrected_in_place(csrf_app, factories):
    version = factories.item_version()
    item = dataclasses.replace(version.to_item(), stem="Poprawiona treść?")
    report = services.add_items([item], actor=None, now=factories.now, origin_label="test")
    assert report.updated == [f"{item.id} w.1"]
    db.session.refresh(version)
    assert version.stem == "Poprawiona treść?"


def test_used_version_is_immutable_and_the_load_is_all_or_nothing(csrf_app, factories):
    used = factories.item_version()
    used.first_used_at, used.exposure_count = factories.now, 1
    db.session.commit()
    changed = dataclasses.replace(used.to_item(), stem="Zmieniona treść?", origin="plik.yaml:12")
    new_item = dataclasses.replace(used.to_item(), id="T-1.3.2-999", origin="plik.yaml:40")
    with pytest.raises(ContentError) as err:
        services.add_items([new_item, changed], actor=None, now=factories.now, origin_label="plik.yaml")
    db.session.rollback()
    (error,) = err.value.errors
    assert error.file == "plik.yaml" and error.line == 12 and "nadaj zmienionej treści wersję 2" in error.message
    assert db.session.scalar(select(ItemVersion).where(ItemVersion.item_key == "T-1.3.2-999")) is None
    # a new version is the way to change it
    v2 = dataclasses.replace(changed, version=2)
    assert services.add_items([v2], actor=None, now=factories.now, origin_label="plik.yaml").added == [f"{v2.id} w.2"]


def test_review_workflow_is_audited(csrf_app, factories):
    reviewer = factories.user(roles=(Role.PLATFORM_ADMIN,))
    version = factories.item_version(status=ItemStatus.DRAFT)
    services.review(version, ReviewVerdict.APPROVED, actor=reviewer, now=factories.now, comment="")
    assert version.status is ItemStatus.REVIEWED
    with pytest.raises(DomainError, match="uzasadnienie"):
        services.review(version, ReviewVerdict.RETIRED, actor=reviewer, now=factories.now, comment=" ")
    services.review(version, ReviewVerdict.RETIRED, actor=reviewer, now=factories.now, comment="nieaktualne przepisy")
    assert version.status is ItemStatus.RETIRED
    with pytest.raises(DomainError, match="nie można podjąć"):
        services.review(version, ReviewVerdict.APPROVED, actor=reviewer, now=factories.now, comment="")
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bank.item_reviewed")).all()
    assert [e.reason for e in entries] == ["", "nieaktualne przepisy"]


def test_search_by_text_criterion_type_and_status(csrf_app, factories):
    services.sync_from_files(BANK, CRITERIA, actor=None, now=factories.now)
    assert all(v.criterion == "1.3.2" for v in services.search(criterion="1.3.2"))
    assert all(v.type == "matching" for v in services.search(item_type="matching"))
    found = services.search(text="PESEL")
    assert found and all("PESEL" in v.stem.upper() or "PESEL" in v.item_key for v in found)
    assert services.search(status="retired") == []
