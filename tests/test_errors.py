"""Polish error pages, and JSON errors for API clients."""

import pytest

from examplatform.auth.models import Role
from examplatform.core.guards import public


@pytest.fixture
def failing_app(csrf_app):
    """A second app with one route that fails, so the 500 page can be seen (not part of the real URL map)."""
    from tests.conftest import FreshContextClient, _make_app

    gen = _make_app({**csrf_app.config, "WTF_CSRF_ENABLED": False})
    app = next(gen)

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("boom")

    app.test_client_class = FreshContextClient
    yield app
    next(gen, None)


def test_404_is_polish(client):
    response = client.get("/nie-ma-takiej-strony")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Nie znaleziono strony" in page and '<html lang="pl">' in page


def test_403_is_polish(client, auth, factories):
    candidate = factories.user(roles=(Role.CANDIDATE,))
    auth.login(candidate.email)
    response = client.get("/audit/")
    assert response.status_code == 403 and "Brak uprawnień" in response.get_data(as_text=True)


def test_405_is_polish(client):
    response = client.put("/auth/login")
    assert response.status_code == 405 and "Niedozwolona metoda" in response.get_data(as_text=True)


def test_500_is_polish_and_logged(failing_app, caplog):
    response = failing_app.test_client().get("/boom", allow_server_error=True)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Błąd serwera" in page and "RuntimeError" not in page  # no internals leak to the user
    assert any("unhandled error on GET /boom" in r.getMessage() for r in caplog.records)


def test_api_clients_get_json_errors(client):
    response = client.get("/nie-ma", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["status"] == 404 and response.json["error"] == "Nie znaleziono strony"


def test_oversized_request_is_413_in_polish(csrf_app, client):
    csrf_app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/auth/login", data={"email": "a@b.pl", "password": "x" * 5000})
    assert response.status_code == 413 and "Plik jest za duży" in response.get_data(as_text=True)
