"""Segments: static lists kept by hand; rule-based segments recompute their members when the data changes."""

from __future__ import annotations

import re

from tests.simulator.conftest import text_of

RULES = {
    "name": "Firmy średnie z Poznania",
    "kind": "regulowy",
    "entity": "firma",
    "conditions-0-field": "size",
    "conditions-0-op": "eq",
    "conditions-0-value": "średnie",
    "conditions-1-field": "voivodeship",
    "conditions-1-op": "eq",
    "conditions-1-value": "wielkopolskie",
}


def _members(crm, segment_id: int) -> list[str]:
    html = crm.get(f"segments/{segment_id}").get_data(as_text=True)
    table = html.split('data-testid="members"')[1].split("</table>")[0]
    return re.findall(r'/(?:accounts|contacts)/\d+">([^<]+)</a>', table)


def test_seeded_rule_segment_computes_its_members_live(crm):
    expected = crm.sql(
        "SELECT a.name FROM account a WHERE a.size = 'średnie' AND (SELECT coalesce(sum(value), 0) FROM opportunity o "
        "WHERE o.account_id = a.id AND o.status = 'otwarta') >= 2000000 ORDER BY a.name"
    )
    assert _members(crm, 2) == [name for (name,) in expected]
    assert expected  # the seed variations keep at least one member


def test_rule_segment_membership_follows_data_changes(crm):
    assert crm.post("segments/new", RULES).status_code == 302
    segment_id = crm.one("SELECT max(id) FROM segment")
    assert _members(crm, segment_id) == ["Techbud sp. z o.o."]
    page = text_of(crm.get(f"segments/{segment_id}"))
    assert "wielkość firmy jest równe średnie" in page and "Członkowie: 1" in page
    # Meblomax (średnie, kujawsko-pomorskie) moves to Wielkopolska: it joins without touching the segment
    crm.post("accounts/9/edit", {"name": "Meblomax sp. z o.o.", "data_source": "targi", "owner_id": "3",
                                 "size": "średnie", "voivodeship": "wielkopolskie"})  # fmt: skip
    assert _members(crm, segment_id) == ["Meblomax sp. z o.o.", "Techbud sp. z o.o."]
    crm.post("accounts/1/edit", {"name": "Techbud sp. z o.o.", "data_source": "targi", "owner_id": "1", "size": "duże",
                                 "voivodeship": "wielkopolskie"})  # fmt: skip
    assert _members(crm, segment_id) == ["Meblomax sp. z o.o."]
    assert crm.log("segment.created")[-1]["after"]["conditions"][0] == {"field": "size", "op": "eq", "value": "średnie"}


def test_consent_condition_for_contacts(crm):
    data = {"name": "Zgoda na e-mail", "kind": "regulowy", "entity": "osoba", "conditions-0-field": "consent",
            "conditions-0-op": "has", "conditions-0-value": "email"}  # fmt: skip
    assert crm.post("segments/new", data).status_code == 302
    segment_id = crm.one("SELECT max(id) FROM segment")
    before = _members(crm, segment_id)
    assert len(before) == 2  # two active e-mail marketing consents in the seed; the withdrawn one does not count
    consent_id = crm.one("SELECT id FROM consent WHERE channel = 'email' AND withdrawn_on IS NULL LIMIT 1")
    assert crm.post(f"consents/{consent_id}/withdraw").status_code == 302
    assert len(_members(crm, segment_id)) == 1


def test_vague_or_wrong_conditions_are_refused_and_logged(crm):
    cases = [
        ({"conditions-0-field": "", "conditions-1-field": ""}, "co najmniej jeden warunek"),
        ({"conditions-0-value": "gigantyczne"}, "nie jest dozwoloną wartością"),
        ({"conditions-1-field": "open_value", "conditions-1-op": "eq", "conditions-1-value": "5"}, "wybierz operator"),
        ({"conditions-1-field": "position", "conditions-1-op": "contains"}, "dotyczy tylko segmentu osób"),
        ({"name": ""}, "To pole jest wymagane"),
    ]
    for changes, message in cases:
        response = crm.post("segments/new", {**RULES, **changes})
        assert response.status_code == 200 and message in text_of(response), changes
    assert crm.one("SELECT count(*) FROM segment") == 2
    assert len(crm.log("validation_error")) == len(cases)


def test_static_list_add_and_remove(crm):
    assert _members(crm, 1) == ["Meblomax sp. z o.o.", "Techbud sp. z o.o."]
    assert crm.post("segments/1/members", {"record_id": "3"}).status_code == 302
    assert crm.post("segments/1/members", {"record_id": "3"}).status_code == 302  # twice: still one entry
    assert _members(crm, 1) == ["Hurtownia Medyczna Salus S.A.", "Meblomax sp. z o.o.", "Techbud sp. z o.o."]
    assert crm.post("segments/1/members/remove", {"record_id": "1"}).status_code == 302
    assert _members(crm, 1) == ["Hurtownia Medyczna Salus S.A.", "Meblomax sp. z o.o."]
    assert [e["action"] for e in crm.log() if e["action"].startswith("segment.")] == [
        "segment.member_added",
        "segment.member_removed",
    ]
    assert "Liczba członków" in text_of(crm.get("segments/"))


def test_static_list_has_no_conditions_and_rule_segment_no_manual_members(crm):
    response = crm.post("segments/new", {**RULES, "kind": "statyczny"})
    assert "Lista statyczna nie ma warunków" in text_of(response)
    response = crm.post("segments/2/members", {"record_id": "3"}, follow_redirects=True)
    assert "wyznaczają warunki" in text_of(response)
    assert crm.one("SELECT count(*) FROM segment_member WHERE segment_id = 2") == 0


def test_open_value_condition_counts_only_opportunities_in_pln(crm):
    rule = {"name": "Duże lejki", "kind": "regulowy", "entity": "firma", "conditions-0-field": "open_value"}
    rule |= {"conditions-0-op": "gte", "conditions-0-value": "5000000"}
    assert crm.post("segments/new", rule).status_code == 302
    segment_id = crm.one("SELECT max(id) FROM segment")
    assert _members(crm, segment_id) == []
    deal = {"name": "Wdrożenie w Wiedniu", "account_id": "1", "value": "9000000", "stage_id": "1", "owner_id": "1"}
    assert crm.post("opportunities/new", {**deal, "currency": "EUR"}).status_code == 302
    assert _members(crm, segment_id) == []  # 9 000 000 EUR is not 9 000 000 zł
    assert crm.post("opportunities/new", {**deal, "currency": "PLN"}).status_code == 302
    assert _members(crm, segment_id) == [crm.one("SELECT name FROM account WHERE id = 1")]
