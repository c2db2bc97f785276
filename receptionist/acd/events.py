"""The queue event log, in the spirit of Asterisk's ``queue_log``: one record per thing that happened.

Statistics (service level, speed of answer, abandonment, handle time, occupancy) are computed from these
records alone, so they can be recomputed for any period and checked against hand-worked timelines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class QueueEventKind(StrEnum):
    ENTER = "ENTERQUEUE"  # data: position, priority
    OFFER = "RINGING"  # an agent is offered the call; data: offer_id
    RING_NO_ANSWER = "RINGNOANSWER"  # data: ring_s
    DECLINE = "REJECT"  # the agent declined the offer
    WITHDRAW = (
        "RINGCANCELED"  # an open offer was withdrawn (taken elsewhere, caller left); data: offer_id, reason
    )
    CONNECT = "CONNECT"  # data: wait_s, ring_s
    ABANDON = "ABANDON"  # caller hung up while waiting; data: position, original_position, wait_s
    EXIT_TIMEOUT = "EXITWITHTIMEOUT"  # max wait reached; data: position, wait_s, overflow
    EXIT_EMPTY = "EXITEMPTY"  # no agent logged in; data: position, wait_s, overflow
    EXIT_CALLER = "EXITWITHKEY"  # caller chose a message or callback while waiting; data: choice, wait_s
    OVERFLOW = "OVERFLOW"  # moved to another queue / message / callback; data: to
    COMPLETE_CALLER = "COMPLETECALLER"  # caller hung up after connect; data: wait_s, talk_s
    COMPLETE_AGENT = "COMPLETEAGENT"  # agent ended the call; data: wait_s, talk_s
    TRANSFER = "TRANSFER"  # agent transferred the call on; data: to
    WRAPUP_END = "WRAPUPEND"  # data: wrap_s
    PAUSE = "PAUSE"  # data: reason
    UNPAUSE = "UNPAUSE"
    LOGIN = "AGENTLOGIN"
    LOGOFF = "AGENTLOGOFF"  # data: logged_in_s


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One line of the queue log. ``queue`` is the queue's name within the tenant."""

    at: datetime
    tenant_id: str
    queue: str | None
    kind: QueueEventKind
    call_id: str | None = None
    agent_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
