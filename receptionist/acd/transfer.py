"""Warm transfer: a queued caller holds, hears where they stand, and ends up with an agent or a message.

```
           agent accepts (CONNECT)                 call completes
HOLDING ---------------------------> BRIDGED -------------------------> ENDED
   |  \\                                 |  agent transfers it on (TRANSFER)
   |   \\ caller: "message" / 1,        +-----------------------------> HOLDING
   |    \\ "call me back" / 2 (EXITWITHKEY), or nobody answered (OVERFLOW to message / callback)
   |     +------------------------------> MESSAGE | CALLBACK   (the brain takes the message)
   | caller hangs up (ABANDON)
   +-------------------------------------> ABANDONED
```

A :class:`WarmTransfer` starts when the receptionist has said it is connecting the caller (the
conversation's ``on_queued`` hook: :mod:`receptionist.acd.desk`). While HOLDING it takes the caller's
turns instead of the brain (a choice, or else where they stand) and announces position and expected
wait every ``announce_every_s``. It follows its call's queue events (:class:`AcdService` subscription) and
acts on them: CONNECT bridges the caller to the agent and closes the conversation ``transferred``; an
OVERFLOW to a message or a callback hands the call back to the brain, which takes the message (so the
caller is never stuck). The ACD itself tries the next agent after a decline or a ring-out.

Everything the receptionist says outside a reply goes to the conversation's transcript and to the
caller's :class:`Participant` (text: a queue the chat reads; voice: speech). Phase changes happen under
one lock that is never held while waiting on the conversation, so hold events, the caller's turns and a
hang-up can race safely.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from receptionist.acd.bridge import Bridge, Bridges, Participant
from receptionist.acd.errors import AcdError, IllegalCallState, UnknownCall
from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K
from receptionist.acd.fanout import Subscription
from receptionist.acd.hold import caller_choice, position_text, team_name
from receptionist.acd.model import CallerChoice, CallResult, CallSnapshot, CallState, Party
from receptionist.acd.resume import hand_back
from receptionist.acd.service import AcdService
from receptionist.calls import Call, HandoffStatus, Outcome, Role
from receptionist.conversation import Conversation
from receptionist.prompts import Replies

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Phase(StrEnum):
    HOLDING = "holding"  # queued: the caller hears announcements and may choose a message or callback
    BRIDGED = "bridged"  # an agent took the call; the receptionist has left
    MESSAGE = "message"  # back with the brain, taking a message (the caller's choice, or nobody answered)
    CALLBACK = "callback"  # back with the brain, taking the details of a callback the ACD scheduled
    ABANDONED = "abandoned"  # the caller hung up while queued
    ENDED = "ended"  # the bridged call is over


_BACK_TO_BRAIN = {CallerChoice.MESSAGE: Phase.MESSAGE, CallerChoice.CALLBACK: Phase.CALLBACK}


@dataclass(frozen=True, slots=True)
class _Effect:
    """What a phase change makes the receptionist do once the lock is released."""

    say: str | None = None
    close: Outcome | None = None


class WarmTransfer:
    """One queued call, from "please hold" to an agent, a message, a callback or a hang-up."""

    def __init__(
        self,
        conversation: Conversation,
        service: AcdService,
        *,
        prompts: Replies,
        replies: Replies,
        caller: Participant,
        bridges: Bridges,
        announce_every_s: float | None = 30.0,
        sleep: Sleep = asyncio.sleep,
        on_done: Callable[[WarmTransfer], None] | None = None,
    ) -> None:
        self.conversation = conversation
        self.service = service
        self.caller = caller
        self.phase = Phase.HOLDING
        self.bridge: Bridge | None = None
        self._prompts = prompts
        self._replies = replies
        self._bridges = bridges
        self._every = announce_every_s
        self._sleep = sleep
        self._on_done = on_done
        self._lock = asyncio.Lock()  # phase changes; never held while waiting on the conversation
        self._voice = asyncio.Lock()  # one utterance at a time
        self._sub: Subscription | None = None
        self._follower: asyncio.Task[None] | None = None
        self._announcer: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()
        self._announced = 0

    @property
    def call(self) -> Call:
        return self.conversation.call

    @property
    def call_id(self) -> str:
        return self.conversation.call.id

    @property
    def team(self) -> str:
        escalation = self.call.escalation
        return team_name(escalation.queue if escalation else "team")

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow the call's events, catch up with what happened before, and start announcing."""
        self._sub = self.service.subscribe(calls=(self.call_id,))
        self._follower = asyncio.create_task(self._follow(self._sub), name=f"hold-events-{self.call_id}")
        self._announcer = asyncio.create_task(self._open(), name=f"hold-announce-{self.call_id}")

    async def settled(self) -> None:
        """Wait until the opening announcement is out and every event delivered so far is handled."""
        await self._opened.wait()
        if self._sub is not None:
            await self._sub.join()

    async def stop(self) -> None:
        """Stop following the call (process shutdown); the ACD keeps it."""
        self._close_subscription()
        tasks = [
            t for t in (self._follower, self._announcer) if t is not None and t is not asyncio.current_task()
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the caller ---------------------------------------------------------------------------------

    async def respond(self, caller_text: str) -> AsyncIterator[str]:
        """A caller turn while held (the conversation's ``held``): a choice, or where they stand."""
        if self.phase is Phase.HOLDING:
            choice = caller_choice(caller_text)
            text = await self._choose(choice) if choice is not None else await self._where(options=True)
            if text:
                yield text
                return
        if self.phase in (Phase.MESSAGE, Phase.CALLBACK):  # an overflow got there first
            async for piece in self.conversation.brain.respond(self.conversation.tools, caller_text):
                yield piece
            return
        yield self._prompts.say("one_moment")  # leaving the queue or being put through right now

    async def press(self, key: str) -> None:
        """A DTMF key while held (voice): 1 = message, 2 = callback; anything else repeats the options."""
        choice = caller_choice(key)
        text = await self._choose(choice) if choice is not None else await self._where(options=True)
        if text:
            await self._say(text)

    async def hang_up(self) -> Outcome | None:
        """The caller hung up (the conversation is closing): leave the queue; the outcome it earned."""
        outcome: Outcome | None = None
        async with self._lock:
            if self.phase is Phase.HOLDING:
                outcome = await self._abandon()
        self._finish()
        return outcome

    async def caller_hung_up_bridged(self) -> None:
        """The caller left a bridged call (the conversation closed when the agent took it)."""
        if self.phase is Phase.BRIDGED:
            await self._safely(self.service.complete(self.call_id, Party.CALLER))

    async def announce(self, *, options: bool = False) -> str | None:
        """Tell the caller where they stand now (the periodic announcement); None if no longer queued."""
        text = await self._where(options=options)
        if text and await self._say(text, while_holding=True):
            return text
        return None

    # -- events -------------------------------------------------------------------------------------

    async def _follow(self, sub: Subscription) -> None:
        async for event in sub:
            try:
                await self._on_event(event)
            except Exception:
                log.exception("hold session of call %s failed on %s", self.call_id, event.kind)
            finally:
                sub.task_done()

    async def _on_event(self, e: QueueEvent) -> None:
        if e.kind is K.CONNECT and e.agent_id is not None:
            await self._apply(await self._locked(self._to_bridged, e.agent_id))
        elif e.kind is K.OVERFLOW:
            to = str(e.data.get("to", ""))
            if to in ("message", "callback"):  # "queue:<name>": still held, in another queue
                choice = CallerChoice(to)
                await self._apply(await self._locked(self._to_brain, choice, True))
        elif e.kind in (K.COMPLETE_CALLER, K.COMPLETE_AGENT):
            await self._bridge_over(Party.CALLER if e.kind is K.COMPLETE_CALLER else Party.AGENT)
        elif e.kind is K.TRANSFER:
            await self._transferred_on()
        elif e.kind is K.ABANDON:
            await self._apply(await self._locked(self._to_abandoned))

    async def _open(self) -> None:
        """Catch up with what happened before we listened, announce, then keep announcing."""
        try:
            snapshot = await self.service.call(self.call_id)
            effect = await self._locked(self._catch_up, snapshot)
            if effect is not None:
                await self._apply(effect)
            elif self.phase is Phase.HOLDING:
                await self.announce(options=True)
        except Exception:
            log.exception("hold session of call %s could not start announcing", self.call_id)
        finally:
            self._opened.set()
        await self._keep_announcing()

    async def _keep_announcing(self) -> None:
        while self._every is not None and self.phase is Phase.HOLDING:
            await self._sleep(self._every)
            if self.phase is Phase.HOLDING:
                await self.announce()

    # -- phase changes (under the lock; they return what to say or do afterwards) ---------------------

    async def _locked(
        self, change: Callable[..., Awaitable[_Effect | None]], *args: object
    ) -> _Effect | None:
        async with self._lock:
            return await change(*args)

    async def _catch_up(self, snapshot: CallSnapshot | None) -> _Effect | None:
        if snapshot is None or self.phase is not Phase.HOLDING:
            return None
        if snapshot.state is CallState.CONNECTED and snapshot.agent_id is not None:
            return await self._to_bridged(snapshot.agent_id)
        if snapshot.state is CallState.ENDED and snapshot.result in (CallResult.MESSAGE, CallResult.CALLBACK):
            return await self._to_brain(CallerChoice(snapshot.result.value), True)
        return None

    async def _to_bridged(self, agent_id: str) -> _Effect | None:
        if self.phase is not Phase.HOLDING:
            return None
        self.phase = Phase.BRIDGED
        self.bridge = self._bridges.open(self.call_id, agent_id, caller=self.caller)
        self.bridge.on_caller_left = self.caller_hung_up_bridged
        self.bridge.on_agent_text = functools.partial(self.conversation.record_bridged, Role.AGENT)
        self.conversation.held = None
        self.call.handoff_status = HandoffStatus.CONNECTED
        self._finish()
        return _Effect(say=self._prompts.say("putting_through"), close=Outcome.TRANSFERRED)

    async def _to_brain(self, choice: CallerChoice, overflow: bool) -> _Effect | None:
        if self.phase is not Phase.HOLDING:
            return None
        self.phase = _BACK_TO_BRAIN[choice]
        self.conversation.held = None
        if choice is CallerChoice.CALLBACK:
            self.call.outcome = Outcome.CALLBACK_SCHEDULED  # the ACD queued the callback task already
        question = hand_back(self.conversation.tools, self._replies)
        key = f"{'overflow' if overflow else 'chose'}_{choice.value}"
        self._finish()
        return _Effect(say=f"{self._prompts.say(key, team=self.team)} {question}")

    async def _to_abandoned(self) -> _Effect | None:
        if self.phase is not Phase.HOLDING:
            return None
        self.phase = Phase.ABANDONED
        self.conversation.held = None
        self._finish()
        return _Effect(close=Outcome.ABANDONED)

    async def _choose(self, choice: CallerChoice) -> str | None:
        async with self._lock:
            if self.phase is not Phase.HOLDING:
                return None
            try:
                await self.service.leave(self.call_id, choice)
            except (IllegalCallState, UnknownCall):
                # connected or gone a moment ago: its event is on the way; say what the state is now
                snapshot = await self.service.call(self.call_id)
                if snapshot is not None and snapshot.state is CallState.CONNECTED:
                    return self._prompts.say("just_picked_up")
                effect = await self._catch_up(snapshot)
                return effect.say if effect is not None else None
            except AcdError as exc:
                log.warning(
                    "call %s could not leave the queue (%s); taking the message anyway", self.call_id, exc
                )
            effect = await self._to_brain(choice, False)
        return effect.say if effect is not None else None

    async def _abandon(self) -> Outcome | None:
        try:
            await self.service.abandon(self.call_id)
        except IllegalCallState:  # an agent took it just as the caller hung up
            await self._safely(self.service.complete(self.call_id, Party.CALLER))
            self.phase = Phase.ENDED
            return Outcome.TRANSFERRED
        except UnknownCall:
            self.phase = Phase.ABANDONED
            return None  # it had left the queue already; the brain's outcome stands
        except AcdError as exc:
            log.warning("could not record call %s as abandoned: %s", self.call_id, exc)
        self.phase = Phase.ABANDONED
        return Outcome.ABANDONED

    async def _bridge_over(self, by: Party) -> None:
        async with self._lock:
            if self.phase is not Phase.BRIDGED:
                return
            self.phase = Phase.ENDED
        if by is Party.AGENT:
            await self.caller.hear(self._prompts.say("agent_left"))
        await self._bridges.close(self.call_id, by)
        self._finish()

    async def _transferred_on(self) -> None:
        async with self._lock:
            if self.phase is not Phase.BRIDGED:
                return
            self.phase = Phase.HOLDING
            bridge, self.bridge = self.bridge, None
        await self.caller.hear(self._prompts.say("transferred_on"))
        if bridge is not None:
            self._bridges.remove(self.call_id)
            await bridge.agent.hang_up()
        self._announcer = asyncio.create_task(self._keep_announcing(), name=f"hold-announce-{self.call_id}")

    # -- saying things ------------------------------------------------------------------------------

    async def _apply(self, effect: _Effect | None) -> None:
        if effect is None:
            return
        if effect.say:
            await self._say(effect.say)
        if effect.close is not None:
            await self.conversation.close(outcome=effect.close)

    async def _say(self, text: str, *, while_holding: bool = False) -> bool:
        """Say ``text`` (transcript, then the caller's ear), one utterance at a time, in order; an
        announcement (``while_holding``) is dropped if the call stopped holding while it was prepared."""
        async with self._voice:
            if while_holding and self.phase is not Phase.HOLDING:
                return False
            await self.conversation.speak(text)
            await self.caller.hear(text)
            return True

    async def _where(self, *, options: bool) -> str | None:
        try:
            position = await self.service.position(self.call_id)
        except AcdError as exc:
            log.warning("no position for call %s: %s", self.call_id, exc)
            return None
        if position is None:
            return None
        text = position_text(self._prompts, position, turn=self._announced, team=self.team)
        self._announced += 1
        return f"{text} {self._prompts.say('options')}" if options else text

    async def _safely(self, action: Awaitable[object]) -> None:
        try:
            await action
        except AcdError as exc:
            log.warning("ACD refused an action on call %s: %s", self.call_id, exc)

    def _finish(self) -> None:
        """Stop announcing; stop following the call unless a bridge still needs its end."""
        self._opened.set()  # the opening announcement may never come now
        if self._announcer is not None and self._announcer is not asyncio.current_task():
            self._announcer.cancel()
        if self.phase is not Phase.BRIDGED and self.phase is not Phase.HOLDING:
            self._close_subscription()
            if self._on_done is not None:
                self._on_done(self)

    def _close_subscription(self) -> None:
        if self._sub is not None:
            self._sub.close()
