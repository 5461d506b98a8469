"""The bank screens: browse, preview as the candidate sees it, review."""

import pytest

from examplatform.auth.models import Role
from examplatform.bank.items import ItemStatus


@pytest.fixture
def admin(factories, auth):
    institution = factories.institution()
    user = factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=institution)
    auth.login(user.email)
    return user


def test_preview_shows_no_key_rationale_or_source(client, admin, factories):
    version = factories.item_version()
    page = client.get(f"/bank/{version.id}/preview").get_data(as_text=True)
    assert "Pytanie testowe" in page and 'type="radio"' in page
    assert "item-key" not in page and "Klucz" not in page and "Źródło" not in page


def test_detail_shows_key_to_reviewers_and_review_changes_status(client, admin, factories):
    version = factories.item_version(status=ItemStatus.DRAFT)
    page = client.get(f"/bank/{version.id}").get_data(as_text=True)
    assert 'data-testid="item-key">' in page and "szkic" in page
    response = client.post(f"/bank/{version.id}/review", data={"verdict": "approved", "comment": ""})
    assert response.status_code == 302
    assert "zatwierdzone" in client.get(f"/bank/{version.id}").get_data(as_text=True)
    refused = client.post(f"/bank/{version.id}/review", data={"verdict": "retired", "comment": ""})
    assert refused.status_code == 400 and "Podaj uzasadnienie decyzji." in refused.get_data(as_text=True)
    bad = client.post(f"/bank/{version.id}/review", data={"verdict": "published", "comment": "x"})
    assert bad.status_code == 400


def test_search_page_filters(client, admin, factories):
    factories.item_version()
    page = client.get("/bank/?q=Pytanie+testowe&criterion=1.3.2&status=reviewed&type=single").get_data(as_text=True)
    assert "T-TEST-" in page
    empty = client.get("/bank/?criterion=2.5.3").get_data(as_text=True)
    assert "Brak zadań spełniających kryteria." in empty
    invalid = client.get("/bank/?criterion=nie-ma")
    assert invalid.status_code == 200 and "Kryterium" in invalid.get_data(as_text=True)


def test_every_item_type_renders_for_the_candidate(client, admin, factories, csrf_app):
    from examplatform.bank.files import load_bank
    from examplatform.bank.services import add_items, search
    from tests.bank.test_files import BANK, CRITERIA

    items = load_bank(BANK, CRITERIA)
    one_per_type = {i.type: i for i in items}.values()
    add_items(list(one_per_type), actor=None, now=factories.now, origin_label="test")
    factories.db.session.commit()
    for item in one_per_type:
        version = search(text=item.id)[0]
        response = client.get(f"/bank/{version.id}/preview")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'data-item-type="{item.type.value}"' in page
        assert item.rationale[:40] not in page
