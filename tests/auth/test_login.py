"""Login, logout, throttling, CSRF and cookies."""

import re

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import Role
from examplatform.extensions import db


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_login_page_is_polish(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="pl">' in page
    assert "Logowanie" in page and "Zaloguj się" in page and "Nie pamiętasz hasła?" in page


def test_login_and_logout_are_audited(client, auth, factories):
    user = factories.user("kasia@test.example", roles=(Role.CANDIDATE,))
    response = auth.login(user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Dzień dobry" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/").headers["Location"].startswith("/auth/login")
    actions = _actions()
    assert actions[-2:] == ["auth.login.success", "auth.logout"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login.success"))
    assert entry.actor_id == user.id and entry.ip == "127.0.0.1"


def test_wrong_password_gives_polish_message_and_is_audited(client, auth, factories):
    factories.user("kasia@test.example")
    response = auth.login("kasia@test.example", "zle-haslo-123")
    assert response.status_code == 401
    assert "Nieprawidłowy adres e-mail lub hasło." in response.get_data(as_text=True)
    failure = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login.failure")).one()
    assert failure.actor_label == "kasia@test.example"


def test_unknown_email_gets_the_same_answer(auth):
    response = auth.login("nikt@test.example", "cokolwiek-123")
    assert response.status_code == 401
    assert "Nieprawidłowy adres e-mail lub hasło." in response.get_data(as_text=True)


def test_missing_and_oversized_fields_are_explained(client):
    response = client.post("/auth/login", data={"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and page.count("To pole jest wymagane.") == 2
    response = client.post("/auth/login", data={"email": "a" * 250 + "@x.pl", "password": "p" * 200})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Najwyżej 254 znaków." in page and "Najwyżej 128 znaków." in page
    assert "a" * 250 + "@x.pl" in page  # what the user typed stays in the form


def test_inactive_account_cannot_log_in(auth, factories):
    user = factories.user()
    user.is_active = False
    db.session.commit()
    assert auth.login(user.email).status_code == 401


def test_next_parameter_cannot_redirect_off_site(client, factories):
    user = factories.user(roles=(Role.CANDIDATE,))
    for target, expected in (("/messages/", "/messages/"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": factories.password})
        assert response.headers["Location"] == expected
        client.post("/auth/logout")


def test_failed_logins_are_throttled_per_account_with_polish_message(client, auth, factories):
    user = factories.user()
    for _ in range(5):
        assert auth.login(user.email, "zle-haslo-123").status_code == 401
    response = auth.login(user.email, "zle-haslo-123")
    assert response.status_code == 429
    assert "Zbyt wiele prób" in response.get_data(as_text=True)
    # the right password does not get through either until the window passes
    assert auth.login(user.email).status_code == 429
    # another account from the same address (an exam room behind NAT) is not blocked
    other = factories.user()
    assert auth.login(other.email).status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(client, auth, factories):
    user = factories.user()
    for _ in range(7):
        assert auth.login(user.email).status_code == 302
        auth.logout()


@pytest.fixture
def csrf_client(app):
    return app.test_client()


def test_form_without_csrf_token_is_rejected_in_polish_and_audited(csrf_client, factories):
    user = factories.user()
    response = csrf_client.post("/auth/login", data={"email": user.email, "password": factories.password})
    assert response.status_code == 400
    assert "brak ważnego tokenu CSRF" in response.get_data(as_text=True)
    assert "security.csrf_rejected" in _actions()
    assert "auth.login.success" not in _actions()


def test_forged_csrf_token_is_rejected(csrf_client, factories):
    user = factories.user()
    csrf_client.get("/auth/login")
    response = csrf_client.post(
        "/auth/login", data={"email": user.email, "password": factories.password, "csrf_token": "forged.token.value"}
    )
    assert response.status_code == 400


def test_real_csrf_token_is_accepted(csrf_client, factories):
    user = factories.user()
    page = csrf_client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_client.post(
        "/auth/login", data={"email": user.email, "password": factories.password, "csrf_token": token}
    )
    assert response.status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth, factories):
    user = factories.user()
    response = auth.login(user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("examplatform_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_forbid_inline_scripts_and_framing(client):
    response = client.get("/auth/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_passwords_are_hashed_with_scrypt(factories):
    user = factories.user()
    assert user.password_hash.startswith("scrypt:") and factories.password not in user.password_hash
