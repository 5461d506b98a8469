"""Accounts: authentication, passwords, reset tokens, roles."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from examplatform.audit.services import record
from examplatform.auth.models import PasswordResetToken, Role, RoleAssignment, User
from examplatform.core.errors import Conflict, DomainError, NotFound
from examplatform.extensions import db
from examplatform.notifications.services import queue_message

UNUSABLE_PASSWORD = "!"  # noqa: S105  (never equal to a hash: the account cannot log in)

# Verified against when the e-mail is unknown, so a failed login takes the same time either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))

COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "password123",
        "haslo12345",
        "hasło12345",
        "qwerty1234",
        "zaq12wsxcde",
        "polska1234",
        "administrator",
        "1q2w3e4r5t",
        "0987654321",
        "1111111111",
        "aaaaaaaaaa",
        "qazwsxedcr",
        "password1234",
        "zaq1@wsx",
        "qwerty123456",
    }
)


class InvalidCredentials(DomainError):
    status_code = 401


class PasswordRejected(DomainError):
    """The new password does not meet the policy."""


def normalise_email(value: str) -> str:
    return value.strip().lower()


def hash_password(password: str) -> str:
    """Hash with scrypt (werkzeug's current default, memory-hard)."""
    return generate_password_hash(password)


def check_password_policy(password: str, *, email: str, min_length: int) -> None:
    """Refuse passwords that are short, common or built from the e-mail address."""
    if len(password) < min_length:
        raise PasswordRejected(_("Hasło musi mieć co najmniej %(n)d znaków.", n=min_length))
    if len(password) > 128:
        raise PasswordRejected(_("Hasło może mieć najwyżej 128 znaków."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        raise PasswordRejected(_("To hasło jest zbyt łatwe do odgadnięcia. Wybierz inne."))
    local = email.split("@", maxsplit=1)[0].lower()
    if len(local) >= 4 and local in lowered:
        raise PasswordRejected(_("Hasło nie może zawierać nazwy konta z adresu e-mail."))


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(*, email: str, full_name: str, password: str | None, now: datetime, actor: User | None = None) -> User:
    """Create an account; without a password it cannot log in until a reset sets one."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise Conflict(_("Konto z adresem %(email)s już istnieje.", email=email))
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else UNUSABLE_PASSWORD,
        created_at=now,
        password_changed_at=now if password else None,
    )
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, now=now, object_type="user", object_id=user.id, details={"email": email})
    return user


def authenticate(email: str, password: str, *, now: datetime, ip: str) -> User:
    """Return the user whose credentials these are; record success or failure in the audit log."""
    user = find_user_by_email(email)
    valid = check_password_hash(
        user.password_hash if user and user.password_hash != UNUSABLE_PASSWORD else _DUMMY_HASH, password
    )
    if user is None or not valid or not user.is_active:
        record(
            "auth.login.failure",
            actor=user,
            actor_label=normalise_email(email)[:300],
            now=now,
            ip=ip,
            details={"reason": "inactive" if user is not None and valid else "bad_credentials"},
        )
        raise InvalidCredentials(_("Nieprawidłowy adres e-mail lub hasło."))
    user.last_login_at = now
    record("auth.login.success", actor=user, now=now, ip=ip)
    return user


def log_logout(user: User, *, now: datetime, ip: str) -> None:
    record("auth.logout", actor=user, now=now, ip=ip)


def change_password(user: User, current: str, new: str, *, now: datetime, ip: str, min_length: int) -> None:
    """Change the user's password after checking the current one; other sessions are logged out."""
    if user.password_hash == UNUSABLE_PASSWORD or not check_password_hash(user.password_hash, current):
        record("auth.password.change_refused", actor=user, now=now, ip=ip)
        raise InvalidCredentials(_("Obecne hasło jest nieprawidłowe."))
    check_password_policy(new, email=user.email, min_length=min_length)
    if check_password_hash(user.password_hash, new):
        raise PasswordRejected(_("Nowe hasło musi różnić się od obecnego."))
    _set_password(user, new, now)
    record("auth.password.changed", actor=user, now=now, ip=ip)


def _set_password(user: User, new: str, now: datetime) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.rotate_session_token()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(
    email: str, *, now: datetime, ip: str, ttl_minutes: int, link_for: Callable[[str], str]
) -> None:
    """Send a one-time reset link to the account's outbox; say nothing about unknown addresses."""
    user = find_user_by_email(email)
    record(
        "auth.password.reset_requested",
        actor=user,
        actor_label=normalise_email(email)[:300],
        now=now,
        ip=ip,
        details={"known_account": user is not None},
    )
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + timedelta(minutes=ttl_minutes)
        )
    )
    queue_message(
        to_email=user.email,
        user_id=user.id,
        kind="password_reset",
        subject=_("Ustawienie nowego hasła"),
        body=_(
            "Aby ustawić nowe hasło, otwórz link (ważny %(minutes)d minut, jednorazowy):\n%(link)s\n\n"
            "Jeśli to nie Ty prosiłeś/prosiłaś o zmianę hasła, zignoruj tę wiadomość.",
            minutes=ttl_minutes,
            link=link_for(token),
        ),
        now=now,
    )


def _usable_token(token: str, now: datetime) -> PasswordResetToken:
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.is_active:
        raise NotFound(_("Link do ustawienia hasła jest nieprawidłowy, wygasł albo został już użyty. Poproś o nowy."))
    return row


def check_reset_token(token: str, *, now: datetime) -> User:
    """Return the user a valid reset token belongs to, or raise NotFound."""
    return _usable_token(token, now).user


def reset_password(token: str, new: str, *, now: datetime, ip: str, min_length: int) -> User:
    """Set a new password with a one-time token; the token and all older ones are spent."""
    row = _usable_token(token, now)
    user = row.user
    check_password_policy(new, email=user.email, min_length=min_length)
    _set_password(user, new, now)
    for other in db.session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
    ):
        other.used_at = now
    record("auth.password.reset", actor=user, now=now, ip=ip)
    return user


def grant_role(
    user: User, role: Role, *, institution_id: int | None, actor: User | None, now: datetime, reason: str
) -> RoleAssignment:
    """Give ``user`` a role in an institution; refuse duplicates."""
    if role is Role.PLATFORM_ADMIN:
        institution_id = None
    elif role is not Role.CANDIDATE and institution_id is None:
        raise DomainError(_("Rola %(role)s wymaga wskazania instytucji.", role=role.label))
    if any(a.role == role and a.institution_id == institution_id for a in user.roles):
        raise Conflict(_("%(name)s ma już rolę: %(role)s.", name=user.full_name, role=role.label))
    assignment = RoleAssignment(
        user=user, role=role, institution_id=institution_id, granted_at=now, granted_by_id=actor.id if actor else None
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "role.granted",
        actor=actor,
        now=now,
        institution_id=institution_id,
        object_type="user",
        object_id=user.id,
        reason=reason,
        details={"role": str(role), "user": user.email},
    )
    return assignment


def revoke_role(assignment: RoleAssignment, *, actor: User, now: datetime, reason: str) -> None:
    """Take a role away; the audit log keeps who held it and why it ended."""
    user = assignment.user
    record(
        "role.revoked",
        actor=actor,
        now=now,
        institution_id=assignment.institution_id,
        object_type="user",
        object_id=user.id,
        reason=reason,
        details={"role": str(assignment.role), "user": user.email},
    )
    user.roles.remove(assignment)
    db.session.flush()
