"""Retention: transcripts and recording links of old calls are deleted; the record of the call stays.

What goes, for every call that *ended* before the cutoff (every tenant; a call in progress, whose outcome
is still NULL, is never touched):

- its **turns** — the transcript, the caller's own words;
- its **recording links** — a voicemail's Twilio ``RecordingUrl``, stored in the caller's turn
  (``(voicemail, N s: URL)``, see ``receptionist.web.voice_routes``) and quoted in the message's reason,
  the summary and the notification payloads: each quote is replaced by ``(recording deleted)``.
  No audio is ever stored here: the recording itself stays at Twilio, so set the account's recording
  retention there (or delete recordings through its API) to the same period.

What stays: the call row (channel, numbers, times, concern, outcome), the message, the escalations, the
outbox rows and the wrap-up notes, for statistics, billing and the owner's records. Summaries are
owner-facing records written from the facts collected (the concern, the message), so they stay too,
unless ``clear_summaries=True`` deletes them as well, for a business whose summaries must not outlive
the transcripts.

This is a system-wide job, like the routing worker's queue-log writer: it serves every tenant, and only
deletes or scrubs; nothing here reads a tenant's data out. Work is done in batches of calls, one
transaction each, so a large backlog never holds a long lock and a crash loses at most one batch's work
(the next run picks it up: running twice changes nothing the second time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from receptionist.calls import Role, utcnow
from receptionist.storage.database import Database
from receptionist.storage.tables import CallTable, MessageTable, OutboxTable, SummaryTable, TurnTable

log = logging.getLogger(__name__)

VOICEMAIL_TURN = re.compile(r"^\(voicemail, \d+ s: (?P<url>\S+)\)$")  # written by voice_routes
RECORDING_REMOVED = "(recording deleted)"


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What a purge deleted (or, in a dry run, would delete)."""

    calls: int = 0  # calls that lost a transcript, a recording link or a summary
    turns: int = 0
    summaries_cleared: int = 0
    recordings: int = 0  # recording links removed

    def __add__(self, other: RetentionResult) -> RetentionResult:
        return RetentionResult(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def purge_transcripts(
    db: Database,
    *,
    older_than: datetime,
    batch: int = 1000,
    dry_run: bool = False,
    clear_summaries: bool = False,
) -> RetentionResult:
    """Delete the transcripts and recording links of calls that ended before ``older_than`` (aware).
    ``dry_run``: count what would go and change nothing."""
    if older_than.tzinfo is None:
        raise ValueError("older_than must be timezone-aware")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    total, after = RetentionResult(), ""
    while True:
        with db.session() as session:
            ids = _candidates(session, older_than, after=after, limit=batch, summaries=clear_summaries)
            if ids:
                total += _purge(session, ids, dry_run=dry_run, clear_summaries=clear_summaries)
        if len(ids) < batch:
            return total
        after = ids[-1]


def _candidates(
    session: Session, older_than: datetime, *, after: str, limit: int, summaries: bool
) -> list[str]:
    """The next ``limit`` ended calls (by id, after ``after``) that still have something to purge."""
    wanted: ColumnElement[bool] = exists().where(
        TurnTable.call_id == CallTable.id, TurnTable.tenant_id == CallTable.tenant_id
    )
    if summaries:
        wanted = or_(
            wanted,
            exists().where(
                SummaryTable.call_id == CallTable.id, SummaryTable.tenant_id == CallTable.tenant_id
            ),
        )
    query = (
        select(CallTable.id)
        .where(
            CallTable.outcome.is_not(None),  # NULL: in progress, never touched
            CallTable.ended_at.is_not(None),
            CallTable.ended_at < older_than,
            CallTable.id > after,
            wanted,
        )
        .order_by(CallTable.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _purge(session: Session, ids: Sequence[str], *, dry_run: bool, clear_summaries: bool) -> RetentionResult:
    links = _recording_links(session, ids)
    turns = _count(session, TurnTable, TurnTable.call_id.in_(ids))
    summaries = _count(session, SummaryTable, SummaryTable.call_id.in_(ids)) if clear_summaries else 0
    if not dry_run:
        _scrub_links(session, links, summaries_deleted=clear_summaries)
        session.execute(delete(TurnTable).where(TurnTable.call_id.in_(ids)))
        if clear_summaries:
            session.execute(delete(SummaryTable).where(SummaryTable.call_id.in_(ids)))
    return RetentionResult(
        calls=len(ids),
        turns=turns,
        summaries_cleared=summaries,
        recordings=sum(len(urls) for urls in links.values()),
    )


def _count(session: Session, table: type[TurnTable | SummaryTable], where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(table).where(where)) or 0


def _recording_links(session: Session, ids: Sequence[str]) -> dict[str, set[str]]:
    """Each call's voicemail recording URLs, read from its caller turns."""
    rows = session.execute(
        select(TurnTable.call_id, TurnTable.text).where(
            TurnTable.call_id.in_(ids),
            TurnTable.role == Role.CALLER.value,
            TurnTable.text.startswith("(voicemail, "),
        )
    )
    links: dict[str, set[str]] = defaultdict(set)
    for call_id, text in rows:
        match = VOICEMAIL_TURN.match(text)
        if match:
            links[call_id].add(match["url"])
    return links


def _scrub_links(session: Session, links: dict[str, set[str]], *, summaries_deleted: bool) -> None:
    """Replace every quote of a call's recording URLs in its message, summary and outbox rows."""
    if not links:
        return
    ids = list(links)
    for message in session.scalars(select(MessageTable).where(MessageTable.call_id.in_(ids))):
        message.reason = _scrub(message.reason, links[message.call_id])
    if not summaries_deleted:
        for summary in session.scalars(select(SummaryTable).where(SummaryTable.call_id.in_(ids))):
            urls = links[summary.call_id]
            summary.text = _scrub(summary.text, urls)
            summary.reason = _scrub(summary.reason, urls)
            summary.action_items = _scrub(summary.action_items, urls)
    for row in session.scalars(select(OutboxTable).where(OutboxTable.call_id.in_(ids))):
        if row.call_id is not None:
            row.payload = _scrub(row.payload, links[row.call_id])  # a new value: JSON is not tracked in place


def _scrub(value: Any, urls: Collection[str]) -> Any:
    if isinstance(value, str):
        for url in urls:
            value = value.replace(url, RECORDING_REMOVED)
        return value
    if isinstance(value, list):
        return [_scrub(v, urls) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, urls) for k, v in value.items()}
    return value


class RetentionTask:
    """Runs :func:`purge_transcripts` every ``interval_s`` with a cutoff ``days`` before now, in a thread.

    A failed run is logged and tried again at the next interval. ``last_result`` is the latest run's.
    """

    def __init__(
        self,
        db: Database,
        days: int,
        *,
        interval_s: float = 3600.0,
        batch: int = 1000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if days < 1:
            raise ValueError("days must be at least 1")
        self.db = db
        self.days = days
        self.interval_s = interval_s
        self.batch = batch
        self.clock = clock
        self.last_result: RetentionResult | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop; the first purge runs at once."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        """Stop the loop (a purge in progress finishes its batch in its thread)."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    async def run_once(self) -> RetentionResult:
        cutoff = self.clock() - timedelta(days=self.days)
        result = await asyncio.to_thread(purge_transcripts, self.db, older_than=cutoff, batch=self.batch)
        self.last_result = result
        if result.calls:
            log.info(
                "retention: %d calls older than %d days lost %d turns and %d recording links",
                result.calls, self.days, result.turns, result.recordings,
            )  # fmt: skip
        return result

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("retention run failed; trying again in %.0f s", self.interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)
