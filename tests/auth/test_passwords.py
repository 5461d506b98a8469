"""Password change and reset by a one-time token."""

import re
from datetime import timedelta

from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import PasswordResetToken
from examplatform.extensions import db
from examplatform.notifications.models import OutboxMessage

NEW = "Nowe-Haslo-Kandydata-7"


def _reset_link(email: str) -> str:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_email == email).order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"http://localhost(/auth/reset/\S+)", message.body).group(1)


def test_change_password_logs_out_other_sessions(csrf_app, client, auth, factories):
    user = factories.user()
    other_device = csrf_app.test_client()
    other_device.post("/auth/login", data={"email": user.email, "password": factories.password})
    assert other_device.get("/").status_code == 200
    auth.login(user.email)
    response = client.post(
        "/auth/password", data={"current_password": factories.password, "new_password": NEW, "confirm": NEW}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert other_device.get("/").status_code == 302  # the other one is logged out
    auth.logout()
    assert auth.login(user.email, NEW).status_code == 302
    assert "auth.password.changed" in db.session.scalars(select(AuditEntry.action)).all()


def test_change_password_explains_each_problem(client, auth, factories):
    user = factories.user("marta.nowak@test.example")
    auth.login(user.email)
    cases = [
        ({"current_password": "zle", "new_password": NEW, "confirm": NEW}, "Obecne hasło jest nieprawidłowe."),
        (
            {"current_password": factories.password, "new_password": "krotkie", "confirm": "krotkie"},
            "co najmniej 10 znaków",
        ),
        ({"current_password": factories.password, "new_password": "1234567890", "confirm": "1234567890"}, "zbyt łatwe"),
        (
            {"current_password": factories.password, "new_password": "marta.nowak-2026", "confirm": "marta.nowak-2026"},
            "nazwy konta",
        ),
        (
            {"current_password": factories.password, "new_password": NEW, "confirm": NEW + "x"},
            "Hasła nie są takie same.",
        ),
        (
            {"current_password": factories.password, "new_password": factories.password, "confirm": factories.password},
            "musi różnić się",
        ),
    ]
    for data, message in cases:
        response = client.post("/auth/password", data=data)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user.email).status_code == 302  # the old password still works


def test_reset_flow_uses_a_one_time_token(client, auth, factories):
    user = factories.user()
    response = client.post("/auth/reset", data={"email": user.email})
    assert response.status_code == 302
    link = _reset_link(user.email)
    stored = db.session.scalars(select(PasswordResetToken)).one()
    assert link.rsplit("/", 1)[1] not in stored.token_hash  # only the digest is stored
    assert "Ustaw nowe hasło" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert auth.login(user.email, NEW).status_code == 302
    auth.logout()
    again = client.post(link, data={"new_password": "Jeszcze-Inne-Haslo-9", "confirm": "Jeszcze-Inne-Haslo-9"})
    assert again.status_code == 404
    assert "został już użyty" in again.get_data(as_text=True)


def test_reset_for_unknown_email_reveals_nothing(client):
    response = client.post("/auth/reset", data={"email": "nikt@test.example"}, follow_redirects=True)
    assert "Jeśli konto o tym adresie istnieje" in response.get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_bad_and_expired_tokens_get_a_polish_404(client, factories):
    for token in ("nieistniejacy-token", "x" * 500):
        response = client.get(f"/auth/reset/{token}")
        assert response.status_code == 404
        assert "Link do ustawienia hasła jest nieprawidłowy" in response.get_data(as_text=True)
    user = factories.user()
    client.post("/auth/reset", data={"email": user.email})
    link = _reset_link(user.email)
    token = db.session.scalars(select(PasswordResetToken)).one()
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    assert client.get(link).status_code == 404


def test_weak_password_on_reset_keeps_token_usable(client, factories):
    user = factories.user()
    client.post("/auth/reset", data={"email": user.email})
    link = _reset_link(user.email)
    response = client.post(link, data={"new_password": "qwerty1234", "confirm": "qwerty1234"})
    assert response.status_code == 400 and "zbyt łatwe" in response.get_data(as_text=True)
    assert client.post(link, data={"new_password": NEW, "confirm": NEW}).status_code == 302
