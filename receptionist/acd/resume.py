"""Handing a held call back to the brain to take a message (or confirm a callback's details).

The receptionist says why (the caller chose it, or nobody answered) and asks for the first piece of
the message still missing, setting ``call.awaiting`` exactly as the offline brain does; from the next
caller turn on, whichever brain answers carries on from the call's state (the LLM brain from the
transcript). The question texts are the offline brain's own (``offline_replies.yaml``).
"""

from __future__ import annotations

from receptionist.brain.phone import read_back
from receptionist.brain.tools import CallTools
from receptionist.calls import HandoffStatus, Slot
from receptionist.prompts import Replies


def hand_back(tools: CallTools, replies: Replies) -> str:
    """Mark the call as one for a message (no human after all) and return the next question to ask."""
    call = tools.call
    call.handoff_status = HandoffStatus.UNAVAILABLE  # asking for a person again now gets a message
    if not call.draft.reason and call.escalation is not None:
        tools.take_message(save=False, reason=call.escalation.reason)
    return next_question(tools, replies)


def next_question(tools: CallTools, replies: Replies) -> str:
    call, draft = tools.call, tools.call.draft
    region = tools.profile.country
    if call.message is not None:
        return _ask(tools, replies, Slot.ANYTHING_ELSE, "anything_else_what")
    if not draft.name:
        return _ask(tools, replies, Slot.NAME, "ask_name")
    if not draft.phone:
        if call.caller_number:
            number = read_back(call.caller_number, region)
            return _ask(tools, replies, Slot.PHONE, "ask_phone_caller_id", name=draft.name, number=number)
        return _ask(tools, replies, Slot.PHONE, "ask_phone", name=draft.name)
    if not draft.phone_confirmed:
        return _ask(
            tools, replies, Slot.PHONE_CONFIRM, "confirm_phone", number=read_back(draft.phone, region)
        )
    if not draft.reason:
        return _ask(tools, replies, Slot.REASON, "ask_reason")
    return _ask(tools, replies, Slot.BEST_TIME, "ask_best_time")


def _ask(tools: CallTools, replies: Replies, slot: Slot, key: str, **values: object) -> str:
    call = tools.call
    call.awaiting = slot
    count = call.said.get(key, 0)
    call.said[key] = count + 1
    return replies.say(key, count, business=tools.profile.name, **values)
