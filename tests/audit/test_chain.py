"""The audit log is append-only and hash-chained; tampering is detected and named."""

import itertools

import pytest
from sqlalchemy import select, text

from examplatform.audit.models import AppendOnlyViolation, AuditEntry
from examplatform.audit.services import record, verify_chain
from examplatform.extensions import db


@pytest.fixture
def entries(csrf_app, fixed_now):
    for n in range(5):
        record(
            "test.event",
            actor=None,
            now=fixed_now,
            object_type="thing",
            object_id=n,
            reason=f"powód {n}",
            details={"n": n, "tekst": "zażółć gęślą jaźń"},
        )
    db.session.commit()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _tamper(sql: str, **params) -> None:
    """Change the table behind the application's back, as an attacker with database access would."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        conn.execute(text(sql), params)
        if dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))


def test_entries_form_a_chain(entries):
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    result = verify_chain()
    assert result.ok and result.checked == 5 and result.head_hash == entries[-1].entry_hash


def test_orm_refuses_to_change_an_entry(entries):
    entries[1].reason = "inny powód"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()


def test_orm_refuses_to_delete_an_entry(entries):
    db.session.delete(entries[1])
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET reason = 'x' WHERE seq = 2", "DELETE FROM audit_entry WHERE seq = 2"]
)
def test_database_refuses_update_and_delete(entries, statement):
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify_chain().ok


def test_altered_entry_is_named(entries):
    _tamper("UPDATE audit_entry SET reason = 'podmieniony' WHERE seq = 3")
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 3 and result.broken_id == entries[2].id
    assert result.checked == 2
    assert "został zmieniony" in result.problem


def test_removed_entry_is_named(entries):
    _tamper("DELETE FROM audit_entry WHERE seq = 2")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2
    assert "usunięto" in result.problem


def test_rehashed_entry_breaks_the_link_to_the_next(entries):
    """Recomputing the hash of an altered row does not help: the next row still points at the old hash."""
    from examplatform.audit.services import compute_hash

    victim = entries[1]
    victim_copy = AuditEntry(**{c.name: getattr(victim, c.name) for c in AuditEntry.__table__.columns})
    victim_copy.reason = "podmieniony"
    new_hash = compute_hash(victim_copy)
    db.session.expunge_all()
    _tamper("UPDATE audit_entry SET reason = 'podmieniony', entry_hash = :h WHERE seq = 2", h=new_hash)
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3
    assert "łańcuch przerwany" in result.problem


def test_cli_verify_exits_non_zero_and_names_the_entry(entries, csrf_app):
    runner = csrf_app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "sprawdzono 5 wpisów" in ok.output
    _tamper("UPDATE audit_entry SET details = '{}' WHERE seq = 4")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "nr 4" in broken.output and f"id {entries[3].id}" in broken.output


def test_verify_page_shows_broken_chain_to_auditor(entries, client, factories):
    institution = factories.institution()
    from examplatform.auth.models import Role

    auditor = factories.user(roles=(Role.QA_AUDITOR,), institution=institution)
    client.post("/auth/login", data={"email": auditor.email, "password": factories.password})
    assert b'data-testid="audit-ok"' in client.get("/audit/verify").data
    _tamper("UPDATE audit_entry SET actor_label = 'ktoś' WHERE seq = 1")
    page = client.get("/audit/verify").get_data(as_text=True)
    assert 'data-testid="audit-broken"' in page and "wpis nr 1" in page
