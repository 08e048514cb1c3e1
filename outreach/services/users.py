"""Staff accounts: argon2id password hashes, roles, and the failed-login count behind the login rate limit.

Failed logins are AuditEntry rows, so the limit holds across web processes without any extra state. So are the
changes that end a member's sessions (signing out, a password reset, deactivation): a session begun before one
of them is over. Passwords are judged by zxcvbn, which knows common passwords, names, words and keyboard runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, and_, col, func, or_, select
from zxcvbn import zxcvbn

from outreach.contacts import normalise_email, normalise_phone
from outreach.models import AuditEntry, Role, StaffUser
from outreach.services.facts import audit

MIN_PASSWORD_LENGTH = 12
LOGIN_WINDOW = timedelta(minutes=15)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable", beyond an online attack's reach
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
DEACTIVATE, PASSWORD_RESET, ROLE_CHANGE = "user.deactivate", "user.password_reset", "user.role"
CONTACT_CHANGE = "user.contact"
ENDS_SESSIONS = (DEACTIVATE, PASSWORD_RESET)  # audited with the member's username as the detail

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UserError(ValueError):
    """A username, password or role that cannot be used; the message says why."""


def normalise_username(raw: str) -> str:
    return raw.strip().lower()[:64]


def check_username(raw: str) -> str:
    username = normalise_username(raw)
    if not USERNAME_PATTERN.match(username):
        raise UserError(f"username {raw!r}: use 1-64 letters, digits, dots, dashes or underscores")
    return username


def check_password(password: str, username: str = "") -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    # zxcvbn's time grows with length; past 100 characters a password is long enough anyway.
    verdict = zxcvbn(password[:100], user_inputs=[username] if username else [])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        hint = verdict["feedback"]["warning"] or "Add another word or two. Uncommon words are better."
        raise UserError(f"password: too easy to guess. {hint}")
    return password


def check_role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise UserError(f"role {raw!r}: choose one of {', '.join(r.value for r in Role)}") from None


def create_user(
    session: Session, username: str, password: str, role: str, actor: str, hasher: PasswordHasher = _hasher
) -> StaffUser:
    """Add a staff account; raise UserError (and add nothing) when any part is unusable or the name is taken."""
    username, role = check_username(username), check_role(role)
    check_password(password, username)
    if find_user(session, username) is not None:
        raise UserError(f"username {username!r} is already taken")
    user = StaffUser(username=username, password_hash=hasher.hash(password), role=role)
    session.add(user)
    audit(session, actor, "user.create", detail=f"{username} as {role.value}")
    session.flush()
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == normalise_username(username))).first()


def list_users(session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(StaffUser.username)))


def active_user(session: Session, user_id: int) -> StaffUser | None:
    user = session.get(StaffUser, user_id)
    return user if user is not None and user.active else None


@dataclass(frozen=True)
class Account:
    """An active account whose password was just checked."""

    id: int
    username: str
    password_hash: str


def check_login(session: Session, username: str, password: str) -> Account | None:
    """The active account with this password, or None. Unknown names cost as much time as wrong passwords.

    The password is checked after the session's transaction has ended: the hash is slow on purpose, and on SQLite
    a write transaction holds the database's one write lock (outreach.db). Give it a read-only session."""
    user = find_user(session, username)
    account = Account(user.id, user.username, user.password_hash) if user is not None and user.active else None
    session.rollback()
    if not _verify(account.password_hash if account else _dummy_hash(), password):
        return None
    return account


def signed_in(session: Session, account: Account, password: str, address: str, now: datetime) -> StaffUser | None:
    """Record the sign-in (upgrading an old password hash on the way); None if the account went meanwhile."""
    fresh = _hasher.hash(password) if _hasher.check_needs_rehash(account.password_hash) else None
    user = active_user(session, account.id)
    if user is None:
        return None
    if fresh:
        user.password_hash = fresh
        session.add(user)
    audit(session, user.username, "login", detail=_from(address), at=now)
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this password, or None (check_login, then the user's row)."""
    account = check_login(session, username, password)
    return active_user(session, account.id) if account else None


def failed_logins(session: Session, username: str, address: str, now: datetime) -> int:
    """Failed logins for this username from this address in the last 15 minutes."""
    return session.exec(
        select(func.count(col(AuditEntry.id))).where(
            AuditEntry.at > now - LOGIN_WINDOW,
            AuditEntry.actor == normalise_username(username),
            AuditEntry.action == LOGIN_FAILED,
            AuditEntry.detail == _from(address),
        )
    ).one()


def retry_after(session: Session, username: str, address: str, now: datetime) -> timedelta:
    """How long until the oldest counted failure leaves the window."""
    oldest = session.exec(
        select(func.min(AuditEntry.at)).where(
            AuditEntry.at > now - LOGIN_WINDOW,
            AuditEntry.actor == normalise_username(username),
            AuditEntry.action == LOGIN_FAILED,
            AuditEntry.detail == _from(address),
        )
    ).one()
    return max(oldest + LOGIN_WINDOW - now, timedelta(0)) if oldest else timedelta(0)


def record_failed_login(session: Session, username: str, address: str, now: datetime) -> None:
    audit(session, normalise_username(username), LOGIN_FAILED, detail=_from(address), at=now)


def record_logout(session: Session, username: str, now: datetime) -> None:
    audit(session, username, LOGOUT, at=now)


def logged_out_since(session: Session, username: str, since: datetime) -> bool:
    """Whether the user's sessions were ended after `since`: by signing out (which ends every session begun
    before it), a password reset or deactivation."""
    return (
        session.exec(
            select(AuditEntry.id)
            .where(
                AuditEntry.at > since,
                or_(
                    and_(AuditEntry.actor == username, AuditEntry.action == LOGOUT),
                    and_(col(AuditEntry.action).in_(ENDS_SESSIONS), AuditEntry.detail == username),
                ),
            )
            .limit(1)
        ).first()
        is not None
    )


def deactivate(session: Session, username: str, actor: str, now: datetime) -> StaffUser:
    """Close an account: it can no longer sign in, and its open sessions end at their next request."""
    user = _existing(session, username)
    if user.active:
        _keep_an_admin(session, user, "deactivate")
        user.active = False
        session.add(user)
        audit(session, actor, DEACTIVATE, detail=user.username, at=now)
    return user


def reset_password(
    session: Session, username: str, password: str, actor: str, now: datetime, hasher: PasswordHasher = _hasher
) -> StaffUser:
    """Set a new password (judged as at creation); the member's open sessions end."""
    user = _existing(session, username)
    check_password(password, user.username)
    user.password_hash = hasher.hash(password)
    session.add(user)
    audit(session, actor, PASSWORD_RESET, detail=user.username, at=now)
    return user


def change_role(session: Session, username: str, role: str, actor: str, now: datetime) -> StaffUser:
    """Give an account another role; it applies from the member's next request."""
    user, new_role = _existing(session, username), check_role(role)
    if user.role != new_role.value:
        if new_role != Role.admin:
            _keep_an_admin(session, user, f"make {new_role.value}")
        audit(session, actor, ROLE_CHANGE, detail=f"{user.username}: {user.role} to {new_role.value}", at=now)
        user.role = new_role.value
        session.add(user)
    return user


def set_contact(
    session: Session,
    username: str,
    actor: str,
    now: datetime,
    *,
    region: str,
    email: str | None = None,
    phone: str | None = None,
) -> StaffUser:
    """Set a member's own email and phone (None leaves one as it is, "" clears it): the only staff addresses a
    test send may go to. Raises UserError for an address that is not one."""
    user = _existing(session, username)
    try:
        email = user.email if email is None else (normalise_email(email) if email.strip() else "")
        phone = user.phone if phone is None else (normalise_phone(phone, region) if phone.strip() else "")
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if (email, phone) != (user.email, user.phone):
        user.email, user.phone = email, phone
        session.add(user)
        shown = f"email {email or '(none)'}, phone {phone or '(none)'}"
        audit(session, actor, CONTACT_CHANGE, detail=f"{user.username}: {shown}", at=now)
    return user


def own_addresses(session: Session, username: str) -> dict[str, str]:
    """channel -> the active member's own address, for the channels they gave one."""
    user = find_user(session, username)
    if user is None or not user.active:
        return {}
    return {channel: address for channel, address in (("email", user.email), ("sms", user.phone)) if address}


def _existing(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise UserError(f"there is no staff account named {normalise_username(username)!r}")
    return user


def _keep_an_admin(session: Session, user: StaffUser, change: str) -> None:
    """Refuse to take away the last active admin: nobody could manage accounts from the dashboard any more."""
    if user.role != Role.admin.value or not user.active:
        return
    # Locking the admins' rows serialises two admins removing each other at once (PostgreSQL; SQLite's
    # transactions are serial already).
    admins = session.exec(
        select(StaffUser.id).where(StaffUser.role == Role.admin.value, StaffUser.active).with_for_update()
    ).all()
    if len(admins) <= 1:
        raise UserError(
            f"cannot {change} {user.username}: it is the last active admin account; make another account admin first"
        )


def _from(address: str) -> str:
    return f"from {address}"


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not a real password, only here to spend the same time")
