"""The SQLAlchemy tables. These classes never leave ``receptionist.storage``; repositories hand out records.

Every table but ``tenants`` carries ``tenant_id``. Rows that belong to a call reference it through the
composite key ``(call_id, tenant_id)``, so the database itself refuses a turn, message, escalation,
summary or delivery filed under a different tenant than its call.

Changing anything here needs a new migration in ``migrations/versions``; ``tests/storage`` fails while the
migrated schema and this metadata differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from receptionist.acd.events import QueueEventKind
from receptionist.calls import Outcome, utcnow
from receptionist.storage.records import DeliveryStatus
from receptionist.storage.utc import UTCDateTime

# Deterministic constraint names, identical on SQLite and PostgreSQL, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TENANT_ID = 64
CALL_ID = 32  # uuid4().hex


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def phone_digits(number: str | None) -> str | None:
    """The digits of a phone number, as the caller search compares them (``+1 (617) 555-0123`` ->
    ``16175550123``); None when there are none."""
    digits = "".join(ch for ch in number or "" if "0" <= ch <= "9")
    return digits or None


def reversed_phone_digits(number: str | None) -> str | None:
    """:func:`phone_digits` backwards, so that "ends with" is a prefix an index can seek."""
    digits = phone_digits(number)
    return digits[::-1] if digits is not None else None


def _caller_number(context: DefaultExecutionContext) -> str | None:
    """The ``caller_number`` of the row being inserted (each row of an executemany or multi-VALUES)."""
    params: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    number = params.get("caller_number")
    return number if isinstance(number, str) else None


def _caller_digits(context: DefaultExecutionContext) -> str | None:
    return phone_digits(_caller_number(context))


def _caller_digits_reversed(context: DefaultExecutionContext) -> str | None:
    return reversed_phone_digits(_caller_number(context))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


def _call_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["call_id", "tenant_id"], ["calls.id", "calls.tenant_id"])


class TenantTable(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(TENANT_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallTable(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(_in("outcome", [o.value for o in Outcome]), name="outcome"),
        UniqueConstraint("id", "tenant_id"),  # target of the children's (call_id, tenant_id) keys
        Index("ix_calls_tenant_started", "tenant_id", "started_at"),
        Index("ix_calls_tenant_concern", "tenant_id", "concern"),
        Index("ix_calls_tenant_outcome", "tenant_id", "outcome"),
        # The statistics' GROUP BY reads the period's calls from this index alone (no table lookups).
        Index("ix_calls_tenant_started_concern_outcome", "tenant_id", "started_at", "concern", "outcome"),
        # The caller search: the number starts with the typed digits, or ends with them.
        Index("ix_calls_tenant_caller_digits", "tenant_id", "caller_digits"),
        Index("ix_calls_tenant_caller_digits_reversed", "tenant_id", "caller_digits_reversed"),
    )

    id: Mapped[str] = mapped_column(String(CALL_ID), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"))
    channel: Mapped[str] = mapped_column(String(32))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    dialled_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    concern: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(32))  # NULL while the call is in progress
    # Derived from caller_number for the caller search (never shown): filled on insert when not given.
    caller_digits: Mapped[str | None] = mapped_column(String(32), default=_caller_digits)
    caller_digits_reversed: Mapped[str | None] = mapped_column(String(32), default=_caller_digits_reversed)


class TurnTable(Base):
    __tablename__ = "turns"
    __table_args__ = (_call_fk(), UniqueConstraint("call_id", "seq"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID))
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID))
    seq: Mapped[int]  # index in Call.turns
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class MessageTable(Base):
    __tablename__ = "messages"
    __table_args__ = (
        _call_fk(),
        UniqueConstraint("call_id"),
        Index("ix_messages_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(CALL_ID), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID))
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    best_time: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


class EscalationTable(Base):
    __tablename__ = "escalations"
    __table_args__ = (_call_fk(), Index("ix_escalations_call", "call_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID))
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID))
    queue: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SummaryTable(Base):
    __tablename__ = "summaries"
    __table_args__ = (_call_fk(),)

    call_id: Mapped[str] = mapped_column(String(CALL_ID), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    action_items: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxTable(Base):
    """Notifications waiting to be delivered, written in the same transaction as the call they report.

    ``claimed_until`` is a lease: :meth:`OutboxRepository.due` sets it atomically, and a row whose lease
    has not expired is invisible to other workers. A worker that dies mid-delivery loses its lease and the
    row becomes due again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        _call_fk(),
        CheckConstraint(_in("status", [s.value for s in DeliveryStatus]), name="status"),
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_tenant_call", "tenant_id", "call_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"))
    call_id: Mapped[str | None] = mapped_column(String(CALL_ID))
    message_id: Mapped[str | None] = mapped_column(String(CALL_ID), ForeignKey("messages.id"))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]]
    secret_env: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class QueueEventTable(Base):
    """The ACD's queue log, one row per :class:`receptionist.acd.events.QueueEvent`; rows are never updated.

    ``call_id`` has no foreign key: a queued item may be a scheduled callback task rather than a stored
    call, and the log must be writable before (or without) the call's own row. ``id`` breaks ties between
    events with the same ``at``, so reading in ``(at, id)`` order replays the log as it was written.
    """

    __tablename__ = "queue_events"
    __table_args__ = (
        CheckConstraint(_in("kind", [k.value for k in QueueEventKind]), name="kind"),
        Index("ix_queue_events_tenant_at", "tenant_id", "at"),
        Index("ix_queue_events_tenant_queue_at", "tenant_id", "queue", "at"),
        Index("ix_queue_events_tenant_call", "tenant_id", "call_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"))
    queue: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class WrapUpNoteTable(Base):
    """An agent's wrap-up notes on a call they handled; rows are only added.

    ``call_id`` has no foreign key, like ``queue_events``: the call may be a callback task (``<id>-cb``)
    with no row in ``calls``. ``agent_id`` is the agent's id in the agents file.
    """

    __tablename__ = "wrapup_notes"
    __table_args__ = (Index("ix_wrapup_notes_tenant_call", "tenant_id", "call_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"))
    call_id: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserTable(Base):
    """A person who logs in to the web pages: the provider's admin, a business owner (one tenant) or an
    agent (``agent_id`` in the agents file, which says which tenants they serve).

    ``email`` is stored lower-case. ``password_hash`` is an argon2id hash (PHC string); never a password.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ["admin", "owner", "agent"]), name="role"),
        CheckConstraint("role <> 'owner' OR tenant_id IS NOT NULL", name="owner_has_tenant"),
        CheckConstraint("role <> 'agent' OR agent_id IS NOT NULL", name="agent_has_agent_id"),
        UniqueConstraint("email"),
    )

    id: Mapped[str] = mapped_column(String(CALL_ID), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str | None] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]


class WebSessionTable(Base):
    """A browser's login. ``id`` is the sha256 of the cookie's token, so a leaked table opens no session;
    ``csrf`` is the token forms and fetches must echo back."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(CALL_ID), ForeignKey("users.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ApiTokenTable(Base):
    """A REST API token of a user, stored as its sha256 only; the token itself is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"), Index("ix_api_tokens_user", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(CALL_ID), ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ProfileTable(Base):
    """A business profile edited on the dashboard: the YAML text, validated like the file, which it
    overrides from then on. ``version`` counts saves, so two editors cannot overwrite each other unseen."""

    __tablename__ = "tenant_profiles"

    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID), ForeignKey("tenants.id"), primary_key=True)
    yaml: Mapped[str] = mapped_column(Text)
    version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(CALL_ID))
