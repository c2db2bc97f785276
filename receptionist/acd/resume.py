"""Handing a held call back to the brain to take a message (or confirm a callback's details).

The receptionist says why (the caller chose it, or nobody answered) and asks for the first piece of
the message still missing, with the offline policy's own step (which sets ``call.awaiting``); from the next
caller turn on, whichever brain answers carries on from the call's state (the LLM brain from the
transcript). The question texts are the offline brain's own (``offline_replies.yaml``).
"""

from __future__ import annotations

from receptionist.brain.offline.policy import OfflinePolicy
from receptionist.brain.tools import CallTools
from receptionist.calls import HandoffStatus
from receptionist.prompts import Replies


def hand_back(tools: CallTools, replies: Replies) -> str:
    """Mark the call as one for a message (no human after all) and return the next question to ask."""
    call = tools.call
    call.handoff_status = HandoffStatus.UNAVAILABLE  # asking for a person again now gets a message
    if not call.draft.reason and call.escalation is not None:
        tools.take_message(save=False, reason=call.escalation.reason)
    return OfflinePolicy(replies=replies).next_message_step(tools)
