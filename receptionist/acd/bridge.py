"""A caller bridged to an agent once the receptionist leaves: two participants that hear each other.

In text mode a participant is a :class:`TextParticipant` (a queue of what it hears, read by its
transport: the caller's chat, the agent's WebSocket). The voice issue fills the same two-method
:class:`Participant` with audio (a SIP leg, a LiveKit track); the hold session and the agent API do not
change. Bridges live in the process that holds the caller's session (:class:`Bridges`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from receptionist.acd.model import Party


class Participant(Protocol):
    """One side of a call: hears what is said to it, and is told when the call ends."""

    async def hear(self, text: str) -> None: ...

    async def hang_up(self) -> None: ...


@runtime_checkable
class BridgeListener(Protocol):
    """A participant that wants to know the bridge it is on (a voice line: its caller now talks to a
    person, not the brain)."""

    def on_bridged(self, bridge: Bridge) -> None: ...


class TextParticipant:
    """A participant whose transport reads what it hears from a queue (``async for text in p``)."""

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.heard: list[str] = []  # everything ever heard, in order
        self.hung_up = False

    async def hear(self, text: str) -> None:
        self.heard.append(text)
        self._inbox.put_nowait(text)

    async def hang_up(self) -> None:
        if not self.hung_up:
            self.hung_up = True
            self._inbox.put_nowait(None)

    def drain(self) -> list[str]:
        """What it heard since the last read, without waiting."""
        out: list[str] = []
        while not self._inbox.empty():
            text = self._inbox.get_nowait()
            if text is not None:
                out.append(text)
        return out

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            text = await self._inbox.get()
            if text is None:
                return
            yield text


@dataclass
class Bridge:
    """The caller and the agent on one call, after the receptionist left."""

    call_id: str
    agent_id: str
    caller: Participant
    agent: Participant
    ended_by: Party | None = None
    #: tells the ACD the caller hung up (set by the hold desk); the ACD's event then ends the bridge
    on_caller_left: Callable[[], Awaitable[None]] | None = None
    #: keeps what the agent types to the caller on the call's transcript (set by the hold desk)
    on_agent_text: Callable[[str], Awaitable[None]] | None = None

    @property
    def ended(self) -> bool:
        return self.ended_by is not None

    async def from_caller(self, text: str) -> None:
        if not self.ended:
            await self.agent.hear(text)

    async def from_agent(self, text: str) -> None:
        """A line the agent typed: the caller hears it (spoken, on a voice call) and it is kept."""
        if not self.ended:
            if self.on_agent_text is not None:
                await self.on_agent_text(text)
            await self.caller.hear(text)

    async def caller_left(self) -> None:
        """The caller's line dropped or they hung up, on a voice or text transport."""
        if not self.ended and self.on_caller_left is not None:
            await self.on_caller_left()

    async def end(self, by: Party) -> None:
        """Both sides are told the call is over (the ACD is told by whoever hung up, not here)."""
        if self.ended:
            return
        self.ended_by = by
        await self.caller.hang_up()
        await self.agent.hang_up()


ParticipantFactory = Callable[[str], Participant]  # call id -> the agent's side of that call


@dataclass
class Bridges:
    """The bridges of this process, by call id, and the agents' consoles connected to this process.

    An agent console (the agent's WebSocket) attaches a factory; a bridge opened for that agent then
    speaks to it directly. Without one, the agent's side is a :class:`TextParticipant` to read later.
    """

    _bridges: dict[str, Bridge] = field(default_factory=dict)
    _consoles: dict[str, ParticipantFactory] = field(default_factory=dict)

    def attach_agent(self, agent_id: str, factory: ParticipantFactory) -> None:
        self._consoles[agent_id] = factory

    def detach_agent(self, agent_id: str, factory: ParticipantFactory) -> None:
        if self._consoles.get(agent_id) is factory:
            del self._consoles[agent_id]

    def open(self, call_id: str, agent_id: str, caller: Participant) -> Bridge:
        console = self._consoles.get(agent_id)
        agent = console(call_id) if console is not None else TextParticipant()
        bridge = Bridge(call_id=call_id, agent_id=agent_id, caller=caller, agent=agent)
        self._bridges[call_id] = bridge
        if isinstance(caller, BridgeListener):
            caller.on_bridged(bridge)
        return bridge

    def get(self, call_id: str) -> Bridge | None:
        return self._bridges.get(call_id)

    def remove(self, call_id: str) -> Bridge | None:
        return self._bridges.pop(call_id, None)

    async def close(self, call_id: str, by: Party) -> None:
        bridge = self._bridges.pop(call_id, None)
        if bridge is not None:
            await bridge.end(by)
