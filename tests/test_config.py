"""Configuration: environment overrides, database selection, the generated secret key."""

import stat

from config import DevelopmentConfig, environment_overrides, normalise_database_url
from examplatform import create_app


def test_environment_overrides_are_typed():
    overrides = environment_overrides(
        DevelopmentConfig,
        {
            "EXAMPLATFORM_PASSWORD_MIN_LENGTH": "14",
            "EXAMPLATFORM_SESSION_COOKIE_SECURE": "true",
            "EXAMPLATFORM_RATELIMIT_ENABLED": "false",
            "OTHER": "x",
        },
    )
    assert overrides == {"PASSWORD_MIN_LENGTH": 14, "SESSION_COOKIE_SECURE": True, "RATELIMIT_ENABLED": False}


def test_database_url_selects_postgresql_with_psycopg_driver():
    overrides = environment_overrides(DevelopmentConfig, {"DATABASE_URL": "postgresql://u@db/exam"})
    assert overrides["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/exam"
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_default_database_is_sqlite_in_instance_folder_with_wal(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLATFORM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'examplatform.sqlite3'}"
    from examplatform.extensions import db

    with app.app_context():
        mode = db.session.execute(db.text("PRAGMA journal_mode")).scalar()
        db.engine.dispose()
    assert mode == "wal"


def test_secret_key_is_generated_once_into_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLATFORM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("EXAMPLATFORM_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLATFORM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EXAMPLATFORM_SECRET_KEY", "from-env")
    assert create_app().config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_instance_secret_key_is_ignored_by_git():
    from tests.conftest import PROJECT_ROOT

    ignored = (PROJECT_ROOT / ".gitignore").read_text()
    assert "/instance/*" in ignored


def test_simulator_is_mounted_under_sim(client):
    response = client.get("/sim/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "component": "crm-simulator"}
