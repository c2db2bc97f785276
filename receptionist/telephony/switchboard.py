"""The switchboard: admits voice calls up to the process's capacity and keeps the lines in progress.

Every transport asks it for a line: the dialled number (or the softphone's chosen business) picks the
tenant, the capacity check says whether the receptionist can take one more conversation, and the line
runs in its own task until the caller hangs up or the call ends. The hold desk asks it for the caller's
side of a queued call (:meth:`participant`), so hold announcements are spoken on the line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from receptionist.acd.bridge import Bridge, Participant, TextParticipant
from receptionist.app import Receptionist, Tenant, UnknownTenant
from receptionist.calls import Call, CallSummary
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.session import VoiceCall, VoiceModels
from receptionist.voice.timing import VoiceTimers

log = logging.getLogger(__name__)

__all__ = ["LineBusy", "Switchboard", "UnknownTenant"]


class LineBusy(RuntimeError):
    """The process is carrying as many calls as it is configured for."""


@dataclass
class _VoiceParticipant:
    """The caller's side of a held or bridged call: what it hears is spoken on the line."""

    line: VoiceCall

    async def hear(self, text: str) -> None:
        await self.line.speak(text, record=False)  # the hold desk records what it says itself

    async def hang_up(self) -> None:
        self.line.hang_up()

    def on_bridged(self, bridge: Bridge) -> None:
        self.line.bridge = bridge


class Switchboard:
    def __init__(
        self,
        receptionist: Receptionist,
        *,
        capacity: int,
        models: Callable[[], VoiceModels] | None = None,
        timers: VoiceTimers | None = None,
    ) -> None:
        self.receptionist = receptionist
        self.timers = timers or VoiceTimers()  # every line reports its latencies here (``/metrics``)
        self.capacity = capacity
        self._models_loader = models or receptionist.voice_models
        self._models: VoiceModels | None = None
        self._lines: dict[str, VoiceCall] = {}
        self._tasks: dict[str, asyncio.Task[CallSummary]] = {}
        self._reserved = 0

    # -- admission ------------------------------------------------------------------------------------

    def tenant_for(self, dialled: str) -> Tenant:
        """The business on ``dialled`` (E.164 or any format); UnknownTenant if none."""
        return self.receptionist.tenant_for_number(dialled)

    @property
    def in_progress(self) -> int:
        return len(self._lines) + self._reserved

    def has_room(self) -> bool:
        return self.in_progress < self.capacity

    def reserve(self) -> None:
        """Hold a place for a call whose audio is on its way (webhook answered, socket not yet open)."""
        if not self.has_room():
            raise LineBusy(f"at capacity ({self.capacity} calls)")
        self._reserved += 1

    def release(self) -> None:
        self._reserved = max(0, self._reserved - 1)

    async def models(self) -> VoiceModels:
        if self._models is None:
            self._models = await asyncio.to_thread(self._models_loader)
        return self._models

    # -- lines ------------------------------------------------------------------------------------------

    async def answer(
        self,
        tenant_id: str,
        *,
        caller: CallerAudio,
        output: ReceptionistAudio,
        caller_number: str | None = None,
        dialled_number: str | None = None,
        channel: str,
        reserved: bool = False,
    ) -> VoiceCall:
        """Start a line (greeting included) and return it; it runs until it ends on its own."""
        if reserved:
            self.release()
        if not self.has_room():
            raise LineBusy(f"at capacity ({self.capacity} calls)")
        self.receptionist.tenant(tenant_id)  # UnknownTenant before anything starts
        models = await self.models()
        conversation = self.receptionist.conversation(
            tenant_id, caller_number=caller_number, dialled_number=dialled_number, channel=channel
        )
        line = VoiceCall(conversation, caller=caller, output=output, models=models, timers=self.timers)
        self._lines[line.call_id] = line
        task = asyncio.create_task(line.run(), name=f"call-{line.call_id}")
        self._tasks[line.call_id] = task
        task.add_done_callback(lambda _t: self._ended(line.call_id))
        return line

    def _ended(self, call_id: str) -> None:
        self._lines.pop(call_id, None)
        task = self._tasks.pop(call_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("call %s ended with an error", call_id, exc_info=task.exception())

    def line(self, call_id: str) -> VoiceCall | None:
        return self._lines.get(call_id)

    @property
    def lines(self) -> list[VoiceCall]:
        return list(self._lines.values())

    def participant(self, call: Call) -> Participant:
        """The caller's side of a queued call: speech on its line, or text if it is not a voice call."""
        line = self._lines.get(call.id)
        return _VoiceParticipant(line) if line is not None else TextParticipant()

    async def hang_up_all(self) -> None:
        for line in list(self._lines.values()):
            line.hang_up()
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
