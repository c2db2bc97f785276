"""The offline brain's dialogue policy: what to do and say next, from the call's state and one turn.

The policy keeps no state of its own. Everything it needs is on the :class:`~receptionist.calls.Call`
(the concern, the message draft, what was last asked), so it can pick up a conversation that the LLM
brain started — which is what happens when the LLM fails mid-call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from receptionist.brain import phone as phones
from receptionist.brain.offline import slots
from receptionist.brain.offline.understand import Understanding
from receptionist.brain.phone import read_back
from receptionist.brain.tools import CallTools
from receptionist.calls import KEYPAD_CHANNELS, EscalationTrigger, HandoffStatus, Slot, Urgency
from receptionist.config.profile import BusinessProfile, HandlingAction
from receptionist.prompts import Replies

CALLER_ID_OFFERS = frozenset({"ask_phone_caller_id", "offer_caller_id"})
"""Replies that offer the caller ID as the callback number: a yes right after one of them accepts it."""

_URGENCY_ORDER = (Urgency.LOW, Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY)
_SKIP_WORDS = frozenset({"no", "nope", "not really", "doesn't matter", "whenever", "any time", "anytime"})


#: an FAQ match this close answers even when the concern is one for the team (message or transfer)
FAQ_STRONG = 0.68
#: a classifier score above which a request for a person is taken to be about that concern
CONFIDENT = 0.5


def person_concern(profile: BusinessProfile) -> str | None:
    """The profile's concern for "let me talk to a person", if it has one: most examples ask for one."""
    for concern in profile.concerns:
        if sum(slots.wants_human(e) for e in concern.examples) * 2 > len(concern.examples):
            return concern.id
    return None


@dataclass(frozen=True)
class OfflinePolicy:
    replies: Replies
    person_concern: str | None = None  # see :func:`person_concern`

    async def reply(self, tools: CallTools, u: Understanding) -> str:
        call = tools.call
        if u.empty:
            return self._say(tools, "empty")
        if _URGENCY_ORDER.index(u.urgency) > _URGENCY_ORDER.index(call.draft.urgency):
            call.draft.urgency = u.urgency
        if u.emergency and call.escalation is None:
            return await self._emergency(tools, u)
        if u.language is not None:
            call.misunderstandings += 1
            self._note_reason(tools, f"caller spoke {u.language}")
            return self._say(tools, "other_language") + " " + self.next_message_step(tools)
        self._capture(tools, u)
        if call.awaiting is not None:
            answered = await self._answer_awaited(tools, u)
            if answered is not None:
                return answered
        return await self._new_request(tools, u)

    # -- a new request -----------------------------------------------------------------------------

    async def _new_request(self, tools: CallTools, u: Understanding) -> str:
        call = tools.call
        if call.concern is None and slots.is_greeting_only(u.text):
            return self._say(tools, "greeting_back")  # they paused after "good morning": not a request
        prediction = u.prediction
        placed = prediction.concern if prediction is not None else None
        if u.wants_human and placed != self.person_concern:
            # "a person, please" alone is not about, say, billing; "someone about my bill" is
            topic = u.topic.concern if u.topic is not None and u.topic.score >= CONFIDENT else None
            placed = topic or self.person_concern
        if call.concern is None and placed is not None:
            tools.record_concern(placed)
        if u.wants_human:
            return await self._escalate(tools, u, EscalationTrigger.CALLER_REQUEST)
        if u.goodbye and (placed is None or call.answered_questions or call.message):
            return self._goodbye(tools)
        if u.asks_hours:
            return self._hours(tools)
        faq = await asyncio.to_thread(tools.answer_faq, u.text)
        placed_concern = tools.profile.concern(placed) if placed else None
        handling = placed_concern.handling.action if placed_concern else None
        if faq.ok and (faq.data["score"] >= FAQ_STRONG or handling in (None, HandlingAction.FAQ)):
            # a close FAQ match answers; a looser one only when the concern isn't for a person to handle
            call.misunderstandings = 0
            return self._say(tools, "faq_answer", answer=faq.data["answer"])
        if placed is None:
            call.misunderstandings += 1
            if call.misunderstandings >= tools.profile.escalation.misunderstanding_limit:
                lead = self._say(tools, "escalation_limit")
                return lead + " " + await self._escalate(tools, u, EscalationTrigger.MISUNDERSTANDING)
            return self._say(tools, "not_understood")
        call.misunderstandings = 0
        concern = tools.profile.concern(placed)
        assert concern is not None  # the classifier only knows the profile's concerns
        self._note_reason(tools, u.text)
        action = concern.handling.action
        if action is HandlingAction.MESSAGE and tools.vip_caller():
            return await self._escalate(tools, u, EscalationTrigger.RULE)
        if action is HandlingAction.TRANSFER:
            return await self._escalate(tools, u, EscalationTrigger.CONCERN)
        if action is HandlingAction.FAQ:
            return self._say(tools, "faq_unknown") + " " + self.next_message_step(tools)
        return self._say(tools, "concern_message") + " " + self.next_message_step(tools)

    # -- answers to what we asked ------------------------------------------------------------------

    async def _answer_awaited(self, tools: CallTools, u: Understanding) -> str | None:
        call, draft = tools.call, tools.call.draft
        awaiting = call.awaiting
        if awaiting is Slot.NAME:
            if draft.name:
                return self.next_message_step(tools)
            if u.wants_human:
                return None
            call.misunderstandings += 1
            return self._say(tools, "ask_name_spell")
        if awaiting is Slot.PHONE:
            if draft.phone:
                return self.next_message_step(tools)
            offered_caller_id = call.last_said in CALLER_ID_OFFERS and call.caller_number is not None
            if offered_caller_id and (u.yes_no is False or slots.other_number(u.text)):
                return self._say(tools, "ask_phone", name=draft.name or "")
            if offered_caller_id and u.yes_no is True:
                tools.take_message(save=False, phone=call.caller_number, phone_confirmed=True)
                return self.next_message_step(tools)
            if u.goodbye:
                return self._goodbye(tools)
            call.misunderstandings += 1
            if (
                call.caller_number
                and call.misunderstandings >= 2
                and not offered_caller_id
                and not call.said.get("offer_caller_id")
            ):
                # a number that will not come through the line: the one they call from is a fair offer
                # (once: a caller who said no to it wants to give another, and hears the keypad offered)
                number = read_back(call.caller_number, tools.profile.country)
                return self._say(tools, "offer_caller_id", number=number)
            return self._ask_phone_again(tools, u)
        if awaiting is Slot.PHONE_CONFIRM:
            if u.phone and draft.phone and not draft.phone_confirmed and u.yes_no is None:
                return self.next_message_step(tools)  # a corrected number: read it back again
            if u.yes_no is True:
                tools.take_message(save=False, phone_confirmed=True)
                return self.next_message_step(tools)
            if u.yes_no is False:
                tools.take_message(save=False, phone_confirmed=False)
                return self._say(tools, "ask_phone_again")
            return self._say(tools, "confirm_unclear")
        if awaiting is Slot.REASON:
            if u.wants_human:
                return None
            tools.take_message(save=False, reason=u.text)
            return self.next_message_step(tools)
        if awaiting is Slot.BEST_TIME:
            when = slots.best_time(u.text)
            skipped = u.yes_no is False or u.text.lower().strip(" .!") in _SKIP_WORDS
            draft.best_time = when or ("any time" if skipped else u.text[:200])
            return self.next_message_step(tools)
        if awaiting is Slot.ANYTHING_ELSE:
            call.awaiting = None
            if u.goodbye or (u.yes_no is False and len(u.text.split()) <= 6):
                return self._goodbye(tools)
            if u.yes_no is True and len(u.text.split()) <= 3:
                return self._say(tools, "anything_else_what")
            return None
        return None

    # -- message taking ----------------------------------------------------------------------------

    def _capture(self, tools: CallTools, u: Understanding) -> None:
        """Take any name or number the caller volunteers, whatever was asked."""
        call, draft = tools.call, tools.call.draft
        if call.message is not None:
            return
        if draft.name is None:
            name = u.name or (slots.name_from_answer(u.text) if call.awaiting is Slot.NAME else None)
            if name:
                tools.take_message(save=False, name=name)
        if u.phone and u.phone != draft.phone:
            tools.take_message(save=False, phone=u.phone)
            call.pending_digits = ""
        elif call.awaiting is Slot.PHONE and not u.phone:
            # a number read out in two breaths ("four one five" ... "five five five, zero one three four")
            # arrives as two turns: keep the digits, and a later run that completes them is the number
            # (only the start of one: digits that were a whole try, said wrong, are replaced by the next)
            digits = phones.digit_run(u.text)
            begun = call.pending_digits if len(call.pending_digits) < phones.MIN_DIGITS else ""
            merged = phones.find_phone(begun + digits, tools.profile.country) if digits and begun else None
            if merged:
                tools.take_message(save=False, phone=merged)  # read back before it is used
                call.pending_digits = ""
            elif digits:
                call.pending_digits = (begun + digits)[-phones.MAX_DIGITS :]

    def _ask_phone_again(self, tools: CallTools, u: Understanding) -> str:
        """Ask for the number once more, saying what was heard: the start of one ("four one five, and
        the rest?"), or digits that make no number, read back so the caller hears what went missing.
        On a line with a keypad, keying the number in is offered too."""
        call = tools.call
        heard = call.pending_digits if phones.digit_run(u.text) else ""  # this try's digits (and its start)
        keypad = call.channel in KEYPAD_CHANNELS
        if 0 < len(heard) < phones.MIN_DIGITS:
            return self._say(tools, "ask_phone_rest", digits=phones.read_digits(heard))
        if heard:
            key = "ask_phone_heard_keypad" if keypad else "ask_phone_heard"
            return self._say(tools, key, digits=phones.read_digits(heard))
        return self._say(tools, "ask_phone_again_keypad" if keypad else "ask_phone_again")

    def _note_reason(self, tools: CallTools, reason: str) -> None:
        if not tools.call.draft.reason:
            tools.take_message(save=False, reason=reason)

    def next_message_step(self, tools: CallTools) -> str:
        """Ask for the next missing piece of the message, or save it when nothing is missing.

        Public because a call handed back from the queue (:mod:`receptionist.acd.resume`) continues here."""
        call, draft = tools.call, tools.call.draft
        region = tools.profile.country
        if call.message is not None:
            call.awaiting = Slot.ANYTHING_ELSE
            return self._say(tools, "anything_else_what")
        if not draft.name:
            call.awaiting = Slot.NAME
            return self._say(tools, "ask_name")
        if not draft.phone:
            call.awaiting = Slot.PHONE
            if call.caller_number:
                return self._say(
                    tools,
                    "ask_phone_caller_id",
                    name=draft.name,
                    number=read_back(call.caller_number, region),
                )
            return self._say(tools, "ask_phone", name=draft.name)
        if not draft.phone_confirmed:
            call.awaiting = Slot.PHONE_CONFIRM
            return self._say(tools, "confirm_phone", number=read_back(draft.phone, region))
        if not draft.reason:
            call.awaiting = Slot.REASON
            return self._say(tools, "ask_reason")
        if draft.best_time is None:
            call.awaiting = Slot.BEST_TIME
            return self._say(tools, "ask_best_time")
        result = tools.take_message()
        if not result.data.get("saved"):  # cannot happen with a complete draft; say so rather than loop
            call.awaiting = Slot.NAME
            return self._say(tools, "ask_name")
        call.awaiting = Slot.ANYTHING_ELSE
        key = (
            "message_saved_urgent"
            if draft.urgency in (Urgency.URGENT, Urgency.EMERGENCY)
            else "message_saved"
        )
        return self._say(tools, key, name=draft.name, number=read_back(draft.phone, region))

    # -- people ------------------------------------------------------------------------------------

    async def _escalate(self, tools: CallTools, u: Understanding, trigger: EscalationTrigger) -> str:
        call = tools.call
        reason = call.draft.reason or (u.text if len(u.text.split()) > 3 else "asked to speak with someone")
        await tools.request_human(reason=reason, trigger=trigger, summary=_one_line(tools))
        status = call.handoff_status
        team = _team(call.escalation.queue if call.escalation else tools.profile.escalation.human_queue)
        if status in (HandoffStatus.QUEUED, HandoffStatus.CONNECTED):
            call.awaiting = None
            return self._say(tools, "connecting", team=team)
        self._note_reason(tools, reason)
        return self._say(tools, "human_unavailable", team=team) + " " + self.next_message_step(tools)

    async def _emergency(self, tools: CallTools, u: Understanding) -> str:
        instruction = tools.profile.escalation.emergency_instruction
        tools.call.draft.urgency = Urgency.EMERGENCY
        self._capture(tools, u)
        await tools.request_human(reason=u.text, trigger=EscalationTrigger.EMERGENCY)
        status = tools.call.handoff_status
        if status in (HandoffStatus.QUEUED, HandoffStatus.CONNECTED):
            tools.call.awaiting = None
            team = _team(tools.call.escalation.queue if tools.call.escalation else "team")
            return (
                self._say(tools, "emergency", instruction=instruction)
                + " "
                + self._say(tools, "connecting", team=team)
            )
        self._note_reason(tools, u.text)
        lead = self._say(tools, "emergency_message", instruction=instruction)
        return lead + " " + self.next_message_step(tools)

    # -- small answers -----------------------------------------------------------------------------

    def _hours(self, tools: CallTools) -> str:
        tools.call.misunderstandings = 0
        data = tools.business_hours().data
        if data["closed_today_because"]:
            return self._say(
                tools, "hours_closed_today", hours=data["hours"], reason=data["closed_today_because"]
            )
        return self._say(tools, "hours_open" if data["open_now"] else "hours_closed", hours=data["hours"])

    def _goodbye(self, tools: CallTools) -> str:
        tools.end_call()
        tools.call.awaiting = None
        if tools.call.message is not None:
            return self._say(tools, "goodbye_message", name=tools.call.message.name)
        return self._say(tools, "goodbye")

    def _say(self, tools: CallTools, key: str, **values: object) -> str:
        """The reply for ``key``; saying the same kind of thing again uses its next variant."""
        said = tools.call.said
        count = said.get(key, 0)
        said[key] = count + 1
        tools.call.last_said = key
        return self.replies.say(key, count, business=tools.profile.name, **values)


def _team(queue: str) -> str:
    words = queue.replace("-", " ").replace("_", " ")
    return words if words.endswith("team") else f"{words} team"


def _one_line(tools: CallTools) -> str:
    call = tools.call
    who = call.draft.name or "The caller"
    about = call.concern or "an unplaced concern"
    return f"{who} is calling about {about}: {call.draft.reason or call.caller_text[:200]}"
