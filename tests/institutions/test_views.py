"""Institution admin screens: staff records, evidence, roles, settings — each validated and audited."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import Role, User
from examplatform.extensions import db
from examplatform.institutions.models import Education, EvidenceDocument, StaffMember
from examplatform.notifications.models import OutboxMessage

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def setup(factories, auth):
    institution = factories.institution(name="Instytucja A")
    admin = factories.user("admin@a.example", roles=(Role.INSTITUTION_ADMIN,), institution=institution)
    auth.login(admin.email)
    return institution, admin


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_staff_and_see_eligibility_with_reason(client, setup):
    institution, _admin = setup
    response = client.post(
        f"/institutions/{institution.id}/staff/new",
        data={
            "full_name": "Zofia Nowicka",
            "email": "Zofia@Test.example",
            "education": "secondary",
            "education_details": "LO nr 1",
        },
    )
    assert response.status_code == 302
    staff = db.session.scalar(select(StaffMember).where(StaffMember.email == "zofia@test.example"))
    page = client.get(f"/institutions/{institution.id}/staff/{staff.id}").get_data(as_text=True)
    assert "nie spełnia wymagań" in page and "0,0 lat (wymagane co najmniej 5)" in page
    start = (staff.created_at - timedelta(days=6 * 365)).date().isoformat()
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/experience",
        data={
            "employer": "Handel S.A.",
            "position": "Kierownik zespołu",
            "start_date": start,
            "supervises_crm_operators": "y",
        },
    )
    assert response.status_code == 302
    listing = client.get(f"/institutions/{institution.id}/staff/").get_data(as_text=True)
    assert "TAK</strong> — Spełnia wymagania" in listing
    assert _audit("staff.created") and _audit("staff.experience_added")


def test_staff_form_errors_are_polish_and_keep_input(client, setup):
    institution, _ = setup
    response = client.post(
        f"/institutions/{institution.id}/staff/new",
        data={
            "full_name": "Zofia Nowicka",
            "email": "to-nie-email",
            "education": "doktorat",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Podaj poprawny adres e-mail." in page and "Zofia Nowicka" in page and "to-nie-email" in page
    assert "Niepoprawny wybór" in page or "Nieprawidłowy wybór" in page or "wybór" in page
    assert db.session.scalars(select(StaffMember)).all() == []


def test_end_before_start_is_refused(client, setup, factories):
    institution, _ = setup
    staff = factories.staff(institution)
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/experience",
        data={
            "employer": "X",
            "position": "Y",
            "start_date": "2020-05-01",
            "end_date": "2019-01-01",
        },
    )
    assert response.status_code == 400
    assert "Data zakończenia nie może być wcześniejsza" in response.get_data(as_text=True)
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/experience",
        data={
            "employer": "X",
            "position": "Y",
            "start_date": "31.02.2020",
        },
    )
    assert response.status_code == 400 and "Y" in response.get_data(as_text=True)


def test_document_upload_is_checked_by_content(client, setup, factories):
    institution, _ = setup
    staff = factories.staff(institution)
    url = f"/institutions/{institution.id}/staff/{staff.id}/documents"
    fake = client.post(
        url,
        data={"kind": "diploma", "title": "Dyplom", "file": (io.BytesIO(b"MZ\x90\x00exe"), "dyplom.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and "Dozwolone są tylko pliki PDF, PNG i JPEG." in fake.get_data(as_text=True)
    empty = client.post(url, data={"kind": "diploma", "title": "Dyplom"}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "Wybierz plik." in empty.get_data(as_text=True)
    ok = client.post(
        url,
        data={"kind": "diploma", "title": "Dyplom", "file": (io.BytesIO(PDF), "dyplom.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    document = db.session.scalars(select(EvidenceDocument)).one()
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    download = client.get(f"{url}/{document.id}")
    assert download.status_code == 200 and download.data == PDF


def test_oversized_document_is_refused(csrf_app, client, setup, factories):
    institution, _ = setup
    staff = factories.staff(institution)
    csrf_app.config["EVIDENCE_MAX_BYTES"] = 1024
    big = PDF + b"0" * 2048
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/documents",
        data={"kind": "diploma", "title": "Dyplom", "file": (io.BytesIO(big), "d.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Plik jest za duży" in response.get_data(as_text=True)


def test_ineligible_person_is_refused_commission_role_with_reason(client, setup, factories):
    institution, _ = setup
    staff = factories.staff(institution, education=Education.SECONDARY, supervising_years=3)
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/roles",
        data={"role": "commission_member", "reason": "skład komisji na grudzień"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nie spełnia wymagań" in page and "3,0 lat" in page
    assert not [e for e in _audit("role.granted") if staff.email in e.details]


def test_granting_a_role_creates_an_account_with_a_set_password_link(client, setup, factories):
    institution, _ = setup
    staff = factories.staff(institution, education=Education.HIGHER, supervising_years=7, email="ekspert@test.example")
    response = client.post(
        f"/institutions/{institution.id}/staff/{staff.id}/roles",
        data={"role": "commission_member", "reason": "skład komisji na grudzień"},
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ekspert@test.example"))
    assert user.has_role(Role.COMMISSION_MEMBER, institution_id=institution.id)
    assert "/auth/reset/" in db.session.scalars(select(OutboxMessage.body)).one()
    (granted,) = [e for e in _audit("role.granted") if '"user":"ekspert@test.example"' in e.details]
    assert granted.reason == "skład komisji na grudzień"
    # an operator may also be a commission member
    staff.it_skills_confirmed = True
    db.session.commit()
    assert (
        client.post(
            f"/institutions/{institution.id}/staff/{staff.id}/roles",
            data={"role": "operator", "reason": "operator sesji"},
        ).status_code
        == 302
    )
    # and revoking needs a reason, which is kept
    assignment = next(a for a in user.roles if a.role == Role.OPERATOR)
    url = f"/institutions/{institution.id}/staff/{staff.id}/roles/{assignment.id}/revoke"
    assert client.post(url, data={"reason": ""}).status_code == 400
    assert client.post(url, data={"reason": "koniec współpracy"}).status_code == 302
    assert _audit("role.revoked")[0].reason == "koniec współpracy"


def test_settings_change_is_audited_with_before_and_after(client, setup):
    institution, _ = setup
    data = {
        "name": institution.name,
        "short_name": institution.short_name,
        "nip": "677-321-45-74",
        "address": institution.address,
        "email": institution.email,
        "crm_system_info": "Symulator CRM platformy, wersja 2: konta, lejki, oferty, raporty.",
        "reason": "aktualizacja opisu",
    }
    assert client.post(f"/institutions/{institution.id}/settings", data=data).status_code == 302
    (entry,) = _audit("institution.settings_changed")
    assert entry.reason == "aktualizacja opisu"
    assert '"nip":{"after":"6773214574","before":null}' in entry.details
    assert "wersja 2" in client.get("/kwalifikacja/").get_data(as_text=True)


def test_settings_need_a_reason_and_a_valid_nip(client, setup):
    institution, _ = setup
    data = {
        "name": institution.name,
        "short_name": "XY",
        "nip": "1234567890",
        "address": "a",
        "email": "a@b.pl",
        "crm_system_info": "Opis systemu CRM wystarczająco długi.",
        "reason": "",
    }
    page = client.post(f"/institutions/{institution.id}/settings", data=data).get_data(as_text=True)
    assert "To pole jest wymagane." in page
    data["reason"] = "zmiana"
    response = client.post(f"/institutions/{institution.id}/settings", data=data)
    assert response.status_code == 400 and "NIP 1234567890 jest niepoprawny" in response.get_data(as_text=True)
    assert _audit("institution.settings_changed") == []


def test_admin_of_one_institution_cannot_touch_another(client, setup, factories):
    other = factories.institution(name="Instytucja B")
    staff = factories.staff(other)
    for url in (
        f"/institutions/{other.id}",
        f"/institutions/{other.id}/staff/",
        f"/institutions/{other.id}/staff/{staff.id}",
        f"/institutions/{other.id}/settings",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/institutions/{other.id}/staff/{staff.id}/roles", data={"role": "operator", "reason": "próba"}
    )
    assert response.status_code == 403


def test_auditor_reads_but_cannot_change(client, auth, factories):
    institution = factories.institution()
    staff = factories.staff(institution)
    auditor = factories.user(roles=(Role.QA_AUDITOR,), institution=institution)
    auth.login(auditor.email)
    assert client.get(f"/institutions/{institution.id}/staff/{staff.id}").status_code == 200
    assert client.get(f"/institutions/{institution.id}/settings").status_code == 403
    page = client.get(f"/institutions/{institution.id}/staff/{staff.id}").get_data(as_text=True)
    assert "Nadaj rolę" not in page


def test_staff_of_unknown_or_foreign_institution_is_404(client, setup, factories):
    institution, _ = setup
    other = factories.institution()
    foreign = factories.staff(other)
    assert client.get(f"/institutions/{institution.id}/staff/{foreign.id}").status_code == 404
    assert client.get("/institutions/99999").status_code == 404
