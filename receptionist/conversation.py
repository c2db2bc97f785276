"""One call from greeting to stored record; the same object for typed text, a phone line or a browser.

Every caller turn is cleaned and redacted before anything else sees it, recorded on the call, answered
by the brain, and persisted as it happens, so a call that fails halfway still keeps what was said.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from receptionist.brain.base import Brain
from receptionist.brain.redaction import redact
from receptionist.brain.tools import CallTools
from receptionist.calls import (
    Call,
    CallSummary,
    EscalationRequest,
    HandoffStatus,
    Outcome,
    Role,
    Turn,
    utcnow,
)
from receptionist.config.profile import BusinessProfile
from receptionist.escalation.summary import LLMSummariser, summarise
from receptionist.notify.payloads import deliveries_for
from receptionist.storage.records import NewDelivery

log = logging.getLogger(__name__)

#: A caller turn longer than this is stored cut here (with a marker); the brain sees far less.
MAX_TURN_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SORRY = "I'm sorry, something went wrong on my side."


class CallStore(Protocol):
    """What a conversation needs from storage (``CallRepository`` is one)."""

    def start(self, call: Call) -> None: ...
    def add_turn(self, call_id: str, seq: int, turn: Turn) -> None: ...
    def record_escalation(self, call_id: str, request: EscalationRequest, status: HandoffStatus) -> None: ...
    def finish(self, call: Call, summary: CallSummary | None, deliveries: Sequence[NewDelivery]) -> None: ...


class HeldCall(Protocol):
    """Takes the caller's turns instead of the brain while a human is being found for them
    (the warm transfer, :class:`receptionist.acd.transfer.WarmTransfer`)."""

    def respond(self, caller_text: str) -> AsyncIterator[str]: ...

    async def hang_up(self) -> Outcome | None:
        """The call is closing while held: leave the queue; the outcome that earned, if any."""
        ...


#: Called once when a reply leaves the call QUEUED for a human; returns who takes the caller's turns.
OnQueued = Callable[["Conversation"], Awaitable[HeldCall | None]]


def clean_caller_text(text: str) -> str:
    """Strip control characters and cap the length; what remains is what the caller said."""
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > MAX_TURN_CHARS:
        text = text[:MAX_TURN_CHARS] + " […]"
    return text


@dataclass
class Conversation:
    """A live call: greet, take turns, close with exactly one outcome."""

    profile: BusinessProfile
    tools: CallTools
    brain: Brain
    store: CallStore | None = None
    rescue: Brain | None = None  # answers if ``brain`` breaks unexpectedly (the offline brain)
    llm_summariser: LLMSummariser | None = None
    clock: Callable[[], datetime] = utcnow
    summary: CallSummary | None = None
    on_queued: OnQueued | None = None  # the warm transfer starts here once the ACD has queued the call
    held: HeldCall | None = None  # while set, caller turns go here instead of to the brain
    _stored_turns: int = 0
    _stored_escalation: HandoffStatus | None = None  # the last step of the escalation written
    _closed: bool = False
    _hold_started: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _close_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def call(self) -> Call:
        return self.tools.call

    @property
    def ended(self) -> bool:
        return self.call.ended

    def greeting(self) -> str:
        open_now = self.profile.is_open(self.clock())
        return " ".join((self.profile.greeting if open_now else self.profile.after_hours_greeting).split())

    async def open(self) -> str:
        """Start the call: store it and return the greeting, already recorded as the first turn."""
        await self._persist(self.store.start if self.store else None, self.call)
        text = self.greeting()
        await self._record(Role.RECEPTIONIST, text)
        return text

    async def reply(self, caller_text: str) -> AsyncIterator[str]:
        """Answer one caller turn, streaming the reply in pieces."""
        async with self._lock:
            if self.call.ended:
                return
            redacted = redact(clean_caller_text(caller_text))
            await self._record(Role.CALLER, redacted.text)
            pieces: list[str] = []
            held = self.held
            try:
                responder = (
                    held.respond(redacted.text) if held else self.brain.respond(self.tools, redacted.text)
                )
                async for piece in responder:
                    pieces.append(piece)
                    yield piece
            except Exception:
                log.exception("brain %s crashed on call %s", self.brain.name, self.call.id)
                async for piece in self._rescue(redacted.text, already_said=bool(pieces)):
                    pieces.append(piece)
                    yield piece
            await self._record(Role.RECEPTIONIST, " ".join(pieces))
            await self._store_escalation()
            await self._enter_hold()

    async def speak(self, text: str) -> None:
        """Record what the receptionist says between replies (a hold announcement, a hand-back)."""
        async with self._lock:
            if not self.call.ended:
                await self._record(Role.RECEPTIONIST, text)

    async def record_bridged(self, role: Role, text: str) -> None:
        """A turn after the call was put through to an agent (the conversation is already stored as
        transferred): what the caller and the agent said, kept on the call's transcript."""
        async with self._lock:
            turn = self.call.add_turn(role, text)
            if self.store is not None:
                await self._persist(self.store.add_turn, self.call.id, len(self.call.turns) - 1, turn)

    async def say(self, caller_text: str) -> str:
        """``reply`` collected into one string (text channels, tests)."""
        return " ".join([p async for p in self.reply(caller_text)])

    async def close(self, *, outcome: Outcome | None = None) -> CallSummary:
        """End the call (hang-up, goodbye or failure) and store it with its summary and deliveries."""
        async with self._close_lock:  # a hold session may close it (bridged) as the caller hangs up
            return await self._close(outcome)

    async def _close(self, outcome: Outcome | None) -> CallSummary:
        if self._closed and self.summary is not None:
            return self.summary
        self._closed = True
        held, self.held = self.held, None
        if held is not None:  # hung up while waiting for a human: the queue records it
            try:
                held_outcome = await held.hang_up()
                outcome = outcome or held_outcome
            except Exception:
                log.exception("leaving the queue failed as call %s closed", self.call.id)
        call = self.call
        call.ended = True
        call.outcome = outcome or self.tools.final_outcome()
        call.ended_at = self.clock()
        self.summary = await summarise(call, self.profile, self.llm_summariser)
        deliveries = deliveries_for(self.profile, call, self.summary)
        await self._store_escalation()
        if self.store is not None:
            await asyncio.to_thread(self.store.finish, call, self.summary, deliveries)
        return self.summary

    # -- internals ---------------------------------------------------------------------------------

    async def _rescue(self, text: str, *, already_said: bool) -> AsyncIterator[str]:
        if self.rescue is not None and self.rescue is not self.brain:
            try:
                async for piece in self.rescue.respond(self.tools, text):
                    yield piece
                return
            except Exception:
                log.exception("rescue brain also failed on call %s", self.call.id)
        if not already_said:
            yield _SORRY
        self.call.ended = True
        self.call.outcome = Outcome.FAILED

    async def _record(self, role: Role, text: str) -> None:
        turn = self.call.add_turn(role, text)
        seq = len(self.call.turns) - 1
        # turns are written in order; after a failed write, ``finish`` stores the rest
        stored = self.store is not None and self._stored_turns == seq
        if stored and await self._persist(
            self.store.add_turn if self.store else None, self.call.id, seq, turn
        ):
            self._stored_turns += 1

    async def _enter_hold(self) -> None:
        """Once the ACD has queued the call, hand its turns to the hold session (the warm transfer)."""
        queued = self.call.handoff_status is HandoffStatus.QUEUED and not self.call.ended
        if queued and self.on_queued is not None and not self._hold_started:
            self._hold_started = True
            try:
                self.held = await self.on_queued(self)
            except Exception:
                log.exception("the hold session of call %s did not start", self.call.id)

    async def _store_escalation(self) -> None:
        call = self.call
        status = call.handoff_status
        if call.escalation is None or status is None or status is self._stored_escalation:
            return  # each step once: queued, then connected (the transfer history)
        if self.store is None or await self._persist(
            self.store.record_escalation, call.id, call.escalation, status
        ):
            self._stored_escalation = status

    async def _persist(self, fn: Callable[..., None] | None, *args: object) -> bool:
        """Write now if storage answers; if not, the call goes on and ``finish`` writes what is missing."""
        if fn is None:
            return True
        try:
            await asyncio.to_thread(fn, *args)
        except Exception:
            log.exception("storage write failed during call %s; will retry when the call ends", self.call.id)
            return False
        return True
