"""The owner's call list and one call in full.

Filters are on UTC instants (``since`` inclusive, ``until`` exclusive, on ``started_at``): the web layer turns
the owner's local dates into instants (:func:`receptionist.dashboard.periods.local_days`), so these services
never guess a time zone.

The list is paged by *keyset* on ``(started_at desc, id desc)``: a cursor is the key of the last row shown,
and the next page starts strictly after it. Unlike an offset, a deep page costs the same as the first one
(the ``ix_calls_tenant_started`` index is walked from the key), and calls stored while someone pages never
shift a row onto two pages or off both. Cursors are opaque to clients (base64 of the key).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, SQLColumnExpression, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from receptionist.calls import CallSummary, Outcome, Turn
from receptionist.storage.call_repository import CallRepository
from receptionist.storage.database import Database
from receptionist.storage.records import EscalationRecord, MessageRecord
from receptionist.storage.tables import (
    CallTable,
    MessageTable,
    QueueEventTable,
    SummaryTable,
    WrapUpNoteTable,
)

MAX_LIMIT = 200
# From this many matching calls on, the caller search walks the list instead of seeking the matches (about
# the square root of ``limit`` x the tenant's calls, where both plans cost the same, for 100,000 calls).
COMMON_CALLER_MATCHES = 2_000
SUMMARY_CHARS = 200
CALLBACK_SUFFIX = "-cb"  # the ACD's callback task for a call (see acd/memory/queueing.py)


class InvalidCursor(ValueError):
    """A cursor this service did not hand out (or one for another ordering)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFilter:
    """Which calls to list; every field narrows the list, None means "any".

    ``since``/``until`` are timezone-aware instants on ``started_at`` (``since`` inclusive, ``until``
    exclusive). ``caller`` matches calls whose caller number, digits only, *starts* with the typed digits
    (country code included, as numbers are shown: ``"+1 617 555"`` finds ``+16175550123``) or *ends* with
    them (``"0123"``, ``"555-0123"``); anything but digits is ignored on both sides. A rare number is two
    index seeks (``calls.caller_digits`` and ``calls.caller_digits_reversed``), not a scan; a common one
    walks the list newest first, which its matches soon fill (see :func:`_common_caller`).
    """

    since: datetime | None = None
    until: datetime | None = None
    concern: str | None = None
    outcome: Outcome | None = None
    caller: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be timezone-aware, not {value!r}")
        if self.caller is not None and not _digits(self.caller):
            raise ValueError("the caller search needs at least one digit")


@dataclass(frozen=True, slots=True)
class CallItem:
    """One row of the call list. ``summary`` is the first :data:`SUMMARY_CHARS` characters, if any."""

    id: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None  # None while the call is in progress
    caller_number: str | None
    concern: str | None
    outcome: Outcome | None  # None while the call is in progress
    summary: str | None
    has_message: bool


@dataclass(frozen=True, slots=True)
class CallPage:
    """One page of the call list; ``next_cursor`` is None on the last page."""

    items: tuple[CallItem, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class QueueEventItem:
    """A line of the queue log about the call (or its callback task)."""

    kind: str
    queue: str | None
    agent_id: str | None
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NoteItem:
    """An agent's wrap-up note on the call (or its callback task)."""

    agent_id: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallDetail:
    """Everything stored about one call: what was said, the outcome, and any hand-off to people."""

    id: str
    channel: str
    caller_number: str | None
    dialled_number: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    concern: str | None
    outcome: Outcome | None
    turns: tuple[Turn, ...]
    summary: CallSummary | None
    message: MessageRecord | None
    escalations: tuple[EscalationRecord, ...]  # the transfer history: queued, connected, unavailable...
    queue_events: tuple[QueueEventItem, ...]
    notes: tuple[NoteItem, ...]


def list_calls(
    db: Database, tenant_id: str, filter: CallFilter, *, limit: int = 50, cursor: str | None = None
) -> CallPage:
    """One page of the tenant's calls, newest first. Raises ValueError (limit) and :class:`InvalidCursor`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    c = CallTable
    after: list[ColumnElement[bool]] = []
    if cursor is not None:
        at, call_id = decode_cursor(cursor)
        # ``started_at <= at`` alone is an index range; the OR then drops the rows at or before the key.
        after = [c.started_at <= at, or_(c.started_at < at, c.id < call_id)]
    with db.session() as session:
        seek = filter.caller is None or not _common_caller(session, tenant_id, _digits(filter.caller))
        where = [c.tenant_id == tenant_id, *_filter_clauses(filter, seek=seek), *after]
        rows = session.execute(_page_query(where, limit)).all()
    items = tuple(_item(r) for r in rows[:limit])
    more = len(rows) > limit
    return CallPage(
        items=items, next_cursor=encode_cursor(items[-1].started_at, items[-1].id) if more else None
    )


def _page_query(where: list[ColumnElement[bool]], limit: int) -> Select[Any]:
    c = CallTable
    has_message = (
        exists()
        .where(MessageTable.call_id == c.id, MessageTable.tenant_id == c.tenant_id)
        .label("has_message")
    )
    return (
        select(
            c.id,
            c.started_at,
            c.ended_at,
            c.caller_number,
            c.concern,
            c.outcome,
            func.substr(SummaryTable.text, 1, SUMMARY_CHARS).label("summary"),
            has_message,
        )
        .select_from(c)
        .outerjoin(SummaryTable, and_(SummaryTable.call_id == c.id, SummaryTable.tenant_id == c.tenant_id))
        .where(*where)
        .order_by(c.started_at.desc(), c.id.desc())
        .limit(limit + 1)
    )


def call_detail(db: Database, tenant_id: str, call_id: str) -> CallDetail | None:
    """The call with its turns, summary, message, escalations, queue log and notes; None if not this tenant's."""
    record = CallRepository(db, tenant_id).get(call_id)
    if record is None:
        return None
    ids = (call_id, call_id + CALLBACK_SUFFIX)
    q, n = QueueEventTable, WrapUpNoteTable
    with db.session() as session:
        events = session.execute(
            select(q.kind, q.queue, q.agent_id, q.at, q.data)
            .where(q.tenant_id == tenant_id, q.call_id.in_(ids))
            .order_by(q.at, q.id)
        ).all()
        notes = session.execute(
            select(n.agent_id, n.text, n.created_at)
            .where(n.tenant_id == tenant_id, n.call_id.in_(ids))
            .order_by(n.created_at, n.id)
        ).all()
    call = record.call
    return CallDetail(
        id=call.id,
        channel=call.channel,
        caller_number=call.caller_number,
        dialled_number=call.dialled_number,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_s=_duration(call.started_at, call.ended_at),
        concern=call.concern,
        outcome=call.outcome,
        turns=record.turns,
        summary=record.summary,
        message=record.message,
        escalations=record.escalations,
        queue_events=tuple(
            QueueEventItem(kind=e.kind, queue=e.queue, agent_id=e.agent_id, at=e.at, data=dict(e.data))
            for e in events
        ),
        notes=tuple(NoteItem(agent_id=x.agent_id, text=x.text, at=x.created_at) for x in notes),
    )


# -- cursors --------------------------------------------------------------------------------------------


def encode_cursor(started_at: datetime, call_id: str) -> str:
    """The opaque cursor after the row ``(started_at, call_id)``."""
    raw = json.dumps([started_at.isoformat(), call_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The key in a cursor from :func:`encode_cursor`; :class:`InvalidCursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, call_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor("the cursor is not one this list handed out") from exc
    if not isinstance(call_id, str) or at.tzinfo is None:
        raise InvalidCursor("the cursor is not one this list handed out")
    return at, call_id


# -- helpers --------------------------------------------------------------------------------------------


def _filter_clauses(f: CallFilter, *, seek: bool) -> list[ColumnElement[bool]]:
    """The filter as SQL; with ``seek`` False the caller search is kept off its indexes (see
    :func:`_common_caller`)."""
    c = CallTable
    where: list[ColumnElement[bool]] = []
    if f.since is not None:
        where.append(c.started_at >= f.since)
    if f.until is not None:
        where.append(c.started_at < f.until)
    if f.concern is not None:
        where.append(c.concern == f.concern)
    if f.outcome is not None:
        where.append(c.outcome == Outcome(f.outcome).value)
    if f.caller is not None:
        typed = _digits(f.caller)
        digits: SQLColumnExpression[Any] = c.caller_digits
        backwards: SQLColumnExpression[Any] = c.caller_digits_reversed
        if not seek:  # ``x || ''`` is the same value, but no index serves it on either database
            digits, backwards = digits.concat(""), backwards.concat("")
        where.append(or_(_starts_with(digits, typed), _starts_with(backwards, typed[::-1])))
    return where


def _common_caller(session: Session, tenant_id: str, typed: str) -> bool:
    """Whether at least :data:`COMMON_CALLER_MATCHES` of the tenant's calls match ``typed`` (counted on the
    two caller indexes, at most that many entries each).

    Few matches: seek them on the caller indexes and sort them, a cost that grows with the matches. Many
    (``"1"`` matches every North American number): walking the calls newest first fills a page after
    about ``limit / share of matches`` calls, which is cheaper than sorting them all.
    """
    c = CallTable
    counts = [
        select(func.count())
        .select_from(
            select(c.tenant_id)
            .where(c.tenant_id == tenant_id, _starts_with(column, key))
            .limit(COMMON_CALLER_MATCHES)
            .subquery()
        )
        .scalar_subquery()
        for column, key in ((c.caller_digits, typed), (c.caller_digits_reversed, typed[::-1]))
    ]
    return (session.scalar(select(counts[0] + counts[1])) or 0) >= COMMON_CALLER_MATCHES


def _starts_with(column: SQLColumnExpression[Any], digits: str) -> ColumnElement[bool]:
    """``column`` (digits only) starts with ``digits``, as a range an index seeks on either database.

    The upper bound is the next digit string of the same length (``"129"`` -> ``"13"``), so the range holds
    nothing but digits and is right under any collation, not only a bytewise one.
    """
    head = digits.rstrip("9")
    if not head:  # all nines: nothing comes after them
        return column >= digits
    return and_(column >= digits, column < head[:-1] + str(int(head[-1]) + 1))


def _digits(text: str) -> str:
    """The typed digits in ASCII (``"٠١٢"`` too is ``"012"``), as :func:`phone_digits` stores them."""
    return "".join(str(int(ch)) for ch in text if ch.isdecimal())


def _duration(started: datetime, ended: datetime | None) -> float | None:
    return (ended - started).total_seconds() if ended is not None else None


def _item(r: Row[Any]) -> CallItem:
    return CallItem(
        id=r.id,
        started_at=r.started_at,
        ended_at=r.ended_at,
        duration_s=_duration(r.started_at, r.ended_at),
        caller_number=r.caller_number,
        concern=r.concern,
        outcome=Outcome(r.outcome) if r.outcome is not None else None,
        summary=r.summary,
        has_message=bool(r.has_message),
    )
