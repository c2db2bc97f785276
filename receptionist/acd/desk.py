"""The hold desk: a :class:`WarmTransfer` for every call the ACD queues, started by the conversation's
``on_queued`` hook, and the registry a transport asks for a call's hold session or bridge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from receptionist.acd.bridge import Bridges, Participant, TextParticipant
from receptionist.acd.hold import load_hold_prompts
from receptionist.acd.service import AcdService
from receptionist.acd.transfer import Sleep, WarmTransfer
from receptionist.calls import Call
from receptionist.conversation import Conversation
from receptionist.prompts import DEFAULT_PROMPTS_DIR, load_replies


class TransferDesk:
    """Starts a :class:`WarmTransfer` for each call the ACD queues: the conversations' ``on_queued`` hook."""

    def __init__(
        self,
        service: AcdService,
        *,
        bridges: Bridges | None = None,
        prompts_dir: Path = DEFAULT_PROMPTS_DIR,
        announce_every_s: float | None = 30.0,
        sleep: Sleep = asyncio.sleep,
        caller_participant: Callable[[Call], Participant] | None = None,
    ) -> None:
        self.service = service
        self.bridges = bridges or Bridges()
        self.announce_every_s = announce_every_s
        self._prompts = load_hold_prompts(prompts_dir)
        self._replies = load_replies(prompts_dir)
        self._sleep = sleep
        self._participant = caller_participant or (lambda _call: TextParticipant())
        self._active: dict[str, WarmTransfer] = {}

    async def hold(self, conversation: Conversation) -> WarmTransfer:
        transfer = WarmTransfer(
            conversation,
            self.service,
            prompts=self._prompts,
            replies=self._replies,
            caller=self._participant(conversation.call),
            bridges=self.bridges,
            announce_every_s=self.announce_every_s,
            sleep=self._sleep,
            on_done=self._done,
        )
        self._active[transfer.call_id] = transfer
        await transfer.start()
        return transfer

    def _done(self, transfer: WarmTransfer) -> None:
        self._active.pop(transfer.call_id, None)

    @property
    def active(self) -> list[WarmTransfer]:
        """The hold sessions of this process still following their calls."""
        return list(self._active.values())

    def get(self, call_id: str) -> WarmTransfer | None:
        """The hold session of a call in this process (held or bridged)."""
        return self._active.get(call_id)

    async def stop(self) -> None:
        for transfer in list(self._active.values()):
            await transfer.stop()
        self._active.clear()
