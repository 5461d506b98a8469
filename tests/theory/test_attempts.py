"""The clock, the answer journal and submission: the server decides, nothing acknowledged is lost."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from examplatform.bank.items import ItemType
from examplatform.core.errors import Conflict, DomainError
from examplatform.extensions import db
from examplatform.theory import attempts as A
from examplatform.theory.models import AttemptStatus, FinishReason, JournalEntry


@pytest.fixture
def running(prepared, factories):
    attempt = prepared["forms"][0].attempt
    A.start(attempt, actor=prepared["candidates"][0], now=factories.now)
    db.session.commit()
    return attempt, prepared["operator"], factories.now


def _single(attempt):
    return next(fi for fi in attempt.form.items if fi.item_version.type is ItemType.SINGLE)


def test_deadline_is_start_plus_limit(running):
    attempt, _op, t0 = running
    assert attempt.deadline_at == t0 + timedelta(minutes=60)
    assert A.remaining_seconds(attempt, t0 + timedelta(minutes=15)) == 45 * 60


def test_paused_attempt_does_not_lose_time(running):
    attempt, op, t0 = running
    A.pause(attempt, actor=op, now=t0 + timedelta(minutes=10), reason="awaria zasilania")
    assert A.remaining_seconds(attempt, t0 + timedelta(minutes=40)) == 50 * 60  # frozen while paused
    A.resume(attempt, actor=op, now=t0 + timedelta(minutes=17), reason="zasilanie przywrócone")
    assert attempt.deadline_at == t0 + timedelta(minutes=67)
    assert A.remaining_seconds(attempt, t0 + timedelta(minutes=17)) == 50 * 60


def test_extension_and_accommodation_move_the_deadline(running):
    attempt, op, t0 = running
    A.extend(attempt, minutes=10, actor=op, now=t0, reason="problem z przeglądarką")
    assert attempt.deadline_at == t0 + timedelta(minutes=70)
    A.accommodate(attempt, multiplier=1.5, actor=op, now=t0, reason="orzeczenie o niepełnosprawności")
    assert attempt.deadline_at == t0 + timedelta(minutes=100)  # 60 × 1.5 + 10
    A.credit(attempt, seconds=90, actor=op, now=t0, reason="zanik sieci w sali")
    assert attempt.deadline_at == t0 + timedelta(minutes=101, seconds=30)


def test_operator_actions_need_reasons_and_are_audited(running):
    from examplatform.audit.models import AuditEntry

    attempt, op, t0 = running
    with pytest.raises(DomainError, match="powód"):
        A.extend(attempt, minutes=5, actor=op, now=t0, reason=" ")
    db.session.rollback()
    A.extend(attempt, minutes=5, actor=op, now=t0, reason="restart komputera")
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.operator.extended")).one()
    assert entry.reason == "restart komputera" and entry.actor_id == op.id and '"minutes":5' in entry.details


def test_accommodation_before_the_start_applies_at_the_start(prepared, factories):
    attempt = prepared["forms"][1].attempt
    A.accommodate(attempt, multiplier=2.0, actor=prepared["operator"], now=factories.now, reason="dysleksja")
    A.start(attempt, actor=prepared["candidates"][1], now=factories.now)
    assert attempt.deadline_at == factories.now + timedelta(minutes=120)


def test_sweeper_submits_expired_attempts_at_their_deadline(running):
    attempt, _op, t0 = running
    assert A.sweep(t0 + timedelta(minutes=60, seconds=5)) == 0  # grace period
    assert A.sweep(t0 + timedelta(minutes=61)) == 1
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.finish_reason is FinishReason.DEADLINE
    assert attempt.submitted_at == attempt.deadline_at and attempt.receipt


def test_saves_are_idempotent_by_sequence_number(running):
    attempt, _op, t0 = running
    fi = _single(attempt)
    option = fi.order[0]
    first = A.save_answer(attempt, seq=1, position=fi.position, value=option, flagged=False, now=t0)
    again = A.save_answer(attempt, seq=1, position=fi.position, value=option, flagged=False, now=t0)
    assert not first.duplicate and again.duplicate
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 1
    with pytest.raises(Conflict):
        A.save_answer(attempt, seq=1, position=fi.position, value=fi.order[1], flagged=False, now=t0)


def test_out_of_order_save_does_not_overwrite_a_newer_answer(running):
    attempt, _op, t0 = running
    fi = _single(attempt)
    A.save_answer(attempt, seq=5, position=fi.position, value=fi.order[2], flagged=False, now=t0)
    late = A.save_answer(attempt, seq=4, position=fi.position, value=fi.order[1], flagged=False, now=t0)
    assert not late.applied
    assert A.answers_of(attempt)[fi.position] == fi.order[2]
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 2  # both kept as evidence
    assert attempt.last_seq == 5


def test_answers_must_fit_the_form(running):
    attempt, _op, t0 = running
    with pytest.raises(DomainError, match="nie ma zadania nr 41"):
        A.save_answer(attempt, seq=1, position=41, value="A", flagged=False, now=t0)
    fi = _single(attempt)
    with pytest.raises(DomainError, match="Niepoprawna odpowiedź"):
        A.save_answer(attempt, seq=2, position=fi.position, value="Z", flagged=False, now=t0)
    with pytest.raises(DomainError, match="Niepoprawna odpowiedź"):
        A.save_answer(attempt, seq=3, position=fi.position, value=["A"], flagged=False, now=t0)


def test_in_flight_save_is_accepted_in_grace_and_late_save_refused(running):
    attempt, _op, _t0 = running
    fi = _single(attempt)
    deadline = attempt.deadline_at
    assert A.save_answer(
        attempt, seq=1, position=fi.position, value=fi.order[0], flagged=False, now=deadline + timedelta(seconds=10)
    ).applied
    with pytest.raises(A.AttemptClosed):
        A.save_answer(
            attempt, seq=2, position=fi.position, value=fi.order[1], flagged=False, now=deadline + timedelta(seconds=25)
        )
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.submitted_at == deadline
    assert A.answers_of(attempt)[fi.position] == fi.order[0]


def test_paused_attempt_refuses_new_answers_after_grace(running):
    attempt, op, t0 = running
    fi = _single(attempt)
    A.pause(attempt, actor=op, now=t0, reason="przerwa techniczna")
    assert A.save_answer(
        attempt, seq=1, position=fi.position, value=fi.order[0], flagged=False, now=t0 + timedelta(seconds=5)
    ).applied  # was already on its way
    with pytest.raises(A.AttemptClosed):
        A.save_answer(
            attempt, seq=2, position=fi.position, value=fi.order[1], flagged=False, now=t0 + timedelta(minutes=2)
        )


def test_submission_is_exactly_once_with_a_stable_receipt(running):
    attempt, _op, t0 = running
    fi = _single(attempt)
    A.save_answer(attempt, seq=1, position=fi.position, value=fi.order[0], flagged=True, now=t0)
    receipt, new = A.submit(attempt, actor=attempt.form.enrolment.candidate, now=t0 + timedelta(minutes=30))
    again, new_again = A.submit(attempt, actor=attempt.form.enrolment.candidate, now=t0 + timedelta(minutes=31))
    assert new and not new_again and receipt == again == A.receipt_of(attempt)
    assert len(receipt) == 64
    with pytest.raises(A.AttemptClosed):
        A.save_answer(
            attempt, seq=2, position=fi.position, value=fi.order[1], flagged=False, now=t0 + timedelta(minutes=32)
        )


def test_terminate_keeps_the_answers(running):
    attempt, op, t0 = running
    fi = _single(attempt)
    A.save_answer(attempt, seq=1, position=fi.position, value=fi.order[0], flagged=False, now=t0)
    A.terminate(attempt, actor=op, now=t0 + timedelta(minutes=5), reason="niesamodzielna praca")
    assert attempt.finish_reason is FinishReason.TERMINATED and A.answers_of(attempt)
    with pytest.raises(A.AttemptClosed):
        A.extend(attempt, minutes=5, actor=op, now=t0, reason="za późno")


def test_heartbeat_gap_proposes_the_credit(running):
    attempt, _op, t0 = running
    assert A.heartbeat_gap(attempt, t0 + timedelta(seconds=95)) == 95


def test_journal_is_append_only_in_the_database(running):
    attempt, _op, t0 = running
    fi = _single(attempt)
    A.save_answer(attempt, seq=1, position=fi.position, value=fi.order[0], flagged=False, now=t0)
    db.session.commit()
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE answer_journal SET value = '\"Z\"'"))


def test_sweep_command_expires_overdue_attempts(running, csrf_app):
    attempt, _op, t0 = running
    attempt.started_at = t0 - timedelta(hours=2)
    A.accommodate(attempt, multiplier=1.0, actor=_op, now=t0, reason="przeliczenie terminu")
    db.session.commit()
    result = csrf_app.test_cli_runner().invoke(args=["theory", "sweep"])
    assert result.exit_code == 0 and "zakończono z upływem czasu: 1" in result.output
    db.session.refresh(attempt)
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.finish_reason is FinishReason.DEADLINE


def test_connection_gap_is_recorded_for_the_evidence(running):
    from examplatform.theory.results import evidence

    attempt, _op, t0 = running
    A.touch(attempt, t0 + timedelta(seconds=30))  # normal heartbeat
    A.touch(attempt, t0 + timedelta(seconds=130))  # 100 s of silence
    db.session.commit()
    gaps = evidence(attempt)["connection_gaps"]
    assert [g["seconds"] for g in gaps] == [100]
