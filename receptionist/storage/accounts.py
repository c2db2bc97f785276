"""Web accounts: users, their browser sessions and their API tokens.

Secrets never reach this module in the clear: users carry an argon2id hash of their password, sessions
and API tokens are stored as the SHA-256 of the random token the client holds. Callers hash; storage
looks hashes up.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from receptionist.calls import utcnow
from receptionist.storage import _convert
from receptionist.storage.database import Database
from receptionist.storage.errors import StorageError, UnknownTenant
from receptionist.storage.tables import ApiTokenTable, TenantTable, UserTable, WebSessionTable

ROLES = frozenset({"admin", "owner", "agent"})
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class DuplicateEmail(StorageError, ValueError):
    """Another user already has this e-mail address (compared lower-case)."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person who signs in to the web pages. ``role`` is ``admin``, ``owner`` or ``agent``."""

    id: str
    email: str
    name: str
    role: str
    tenant_id: str | None
    agent_id: str | None
    created_at: datetime
    disabled_at: datetime | None
    password_hash: str = field(repr=False)  # argon2id PHC string; kept out of reprs and logs

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True, slots=True)
class WebSessionRecord:
    """A browser login. ``id`` is the hex SHA-256 of the cookie's token; ``csrf`` is echoed by forms."""

    id: str
    user_id: str
    csrf: str = field(repr=False)
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """A user's REST API token, without the token (only its hash is stored, and not handed out)."""

    id: int
    user_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def normalise_email(email: str) -> str:
    """E-mail addresses are compared and stored stripped and lower-case."""
    return email.strip().lower()


def check_role(role: str, tenant_id: str | None, agent_id: str | None) -> None:
    """What the table's CHECK constraints say, as a readable :class:`ValueError` before the database."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}, not {role!r}")
    if role == "owner" and not tenant_id:
        raise ValueError("an owner needs a tenant")
    if role == "agent" and not agent_id:
        raise ValueError("an agent needs an agent id (their id in the agents file)")


class UserRepository:
    """Users of every tenant (the admin and agents belong to none)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        email: str,
        name: str,
        password_hash: str,
        role: str,
        tenant_id: str | None = None,
        agent_id: str | None = None,
    ) -> UserRecord:
        """A new user. :class:`DuplicateEmail` if the address is taken, :class:`UnknownTenant` if the
        tenant does not exist, :class:`ValueError` if the role and its tenant or agent id do not fit."""
        email = normalise_email(email)
        if "@" not in email:
            raise ValueError("not an e-mail address")
        check_role(role, tenant_id, agent_id)
        row = UserTable(
            id=uuid.uuid4().hex,
            email=email,
            name=name.strip() or email,
            password_hash=password_hash,
            role=role,
            tenant_id=tenant_id,
            agent_id=agent_id,
        )
        try:
            with self._db.session() as session:
                if tenant_id is not None and session.get(TenantTable, tenant_id) is None:
                    raise UnknownTenant(tenant_id)
                if _by_email(session, email) is not None:
                    raise DuplicateEmail(email)
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError:  # a concurrent create of the same address won the race
            if self.by_email(email) is not None:
                raise DuplicateEmail(email) from None
            raise

    def by_email(self, email: str) -> UserRecord | None:
        with self._db.session() as session:
            row = _by_email(session, normalise_email(email))
            return _user(row) if row is not None else None

    def get(self, user_id: str) -> UserRecord | None:
        with self._db.session() as session:
            row = session.get(UserTable, user_id)
            return _user(row) if row is not None else None

    def list(self, tenant_id: str | None = None) -> builtins.list[UserRecord]:
        """Every user, or the users of one tenant (its owners), by e-mail address."""
        query = select(UserTable).order_by(UserTable.email)
        if tenant_id is not None:
            query = query.where(UserTable.tenant_id == tenant_id)
        with self._db.session() as session:
            return [_user(r) for r in session.scalars(query)]

    def set_password_hash(self, user_id: str, password_hash: str) -> bool:
        """Replace the user's hash (a new password, or a rehash with current parameters)."""
        with self._db.session() as session:
            result = session.execute(
                update(UserTable).where(UserTable.id == user_id).values(password_hash=password_hash)
            )
            return _convert.rowcount(result) > 0

    def disable(self, user_id: str) -> bool:
        """Disable the user and end their browser sessions; False if there is no such user. Their API
        tokens stay (listed, revocable) but open nothing while the user is disabled."""
        with self._db.session() as session:
            row = session.get(UserTable, user_id)
            if row is None:
                return False
            if row.disabled_at is None:
                row.disabled_at = utcnow()
            session.execute(delete(WebSessionTable).where(WebSessionTable.user_id == user_id))
            return True


class WebSessionRepository:
    """Browser sessions, by the hash of their cookie's token."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, user_id: str, token_sha256_hex: str, csrf: str, expires_at: datetime
    ) -> WebSessionRecord:
        with self._db.session() as session:
            row = WebSessionTable(id=token_sha256_hex, user_id=user_id, csrf=csrf, expires_at=expires_at)
            session.add(row)
            session.flush()
            return _session(row)

    def get_valid(self, token_sha256_hex: str, *, now: datetime | None = None) -> WebSessionRecord | None:
        """The session with this hash if it has not expired."""
        with self._db.session() as session:
            row = session.get(WebSessionTable, token_sha256_hex)
            if row is None or row.expires_at <= (now or utcnow()):
                return None
            return _session(row)

    def delete(self, token_sha256_hex: str) -> bool:
        with self._db.session() as session:
            result = session.execute(delete(WebSessionTable).where(WebSessionTable.id == token_sha256_hex))
            return _convert.rowcount(result) > 0

    def delete_for_user(self, user_id: str) -> int:
        """End every session of this user (signed out everywhere); how many there were."""
        with self._db.session() as session:
            result = session.execute(delete(WebSessionTable).where(WebSessionTable.user_id == user_id))
            return _convert.rowcount(result)

    def purge_expired(self, *, now: datetime | None = None, user_id: str | None = None) -> int:
        """Delete expired sessions (of one user, if given); how many."""
        query = delete(WebSessionTable).where(WebSessionTable.expires_at <= (now or utcnow()))
        if user_id is not None:
            query = query.where(WebSessionTable.user_id == user_id)
        with self._db.session() as session:
            return _convert.rowcount(session.execute(query))


class ApiTokenRepository:
    """Users' API tokens, by the hash of the token."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, user_id: str, name: str, token_hash: str) -> ApiTokenRecord:
        with self._db.session() as session:
            row = ApiTokenTable(user_id=user_id, name=name, token_hash=token_hash)
            session.add(row)
            session.flush()
            return _token(row)

    def find_valid(self, token_hash: str, *, now: datetime | None = None) -> ApiTokenRecord | None:
        """The unrevoked token with this hash; notes its use (at most once a minute, to spare writes)."""
        now = now or utcnow()
        with self._db.session() as session:
            row = session.scalars(
                select(ApiTokenTable).where(
                    ApiTokenTable.token_hash == token_hash, ApiTokenTable.revoked_at.is_(None)
                )
            ).one_or_none()
            if row is None:
                return None
            if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
                row.last_used_at = now
                session.flush()
            return _token(row)

    def list_for_user(self, user_id: str, *, include_revoked: bool = False) -> list[ApiTokenRecord]:
        """The user's tokens, oldest first."""
        query = select(ApiTokenTable).where(ApiTokenTable.user_id == user_id)
        if not include_revoked:
            query = query.where(ApiTokenTable.revoked_at.is_(None))
        with self._db.session() as session:
            return [_token(r) for r in session.scalars(query.order_by(ApiTokenTable.id))]

    def revoke(self, user_id: str, token_id: int) -> bool:
        """Revoke one of this user's tokens; False if they have no such unrevoked token (another user's
        token is not theirs to revoke, and looks the same as none)."""
        with self._db.session() as session:
            result = session.execute(
                update(ApiTokenTable)
                .where(
                    ApiTokenTable.id == token_id,
                    ApiTokenTable.user_id == user_id,
                    ApiTokenTable.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            return _convert.rowcount(result) > 0


def _by_email(session: Session, email: str) -> UserTable | None:
    return session.scalars(select(UserTable).where(UserTable.email == email)).one_or_none()


def _user(row: UserTable) -> UserRecord:
    return UserRecord(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        tenant_id=row.tenant_id,
        agent_id=row.agent_id,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        password_hash=row.password_hash,
    )


def _session(row: WebSessionTable) -> WebSessionRecord:
    return WebSessionRecord(
        id=row.id, user_id=row.user_id, csrf=row.csrf, created_at=row.created_at, expires_at=row.expires_at
    )


def _token(row: ApiTokenTable) -> ApiTokenRecord:
    return ApiTokenRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
