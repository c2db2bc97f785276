"""What is delivered for a finished call: one outbox row per recipient in the business profile.

When something is delivered:

- the call left a message (``call.message``): a ``message.created`` event to every recipient;
- no message, but the caller needed a person urgently (an emergency, or an urgent/emergency concern)
  and was never connected (handoff queued or unavailable when the call ended): an ``escalation.missed``
  event, so the owner hears about an emergency caller who hung up before anyone answered. A false
  alarm here (say, the ACD connected the caller after the receptionist let go) costs an email; a silent
  miss costs far more;
- otherwise nothing: resolved, transferred and abandoned calls are on the dashboard.

Payloads are rendered when the call is stored and kept in the outbox as they are, so a retry sends
exactly what the call produced whatever changes in between. Everything the caller said is data: it is
never trusted as markup or headers (see :func:`one_line` and :mod:`receptionist.notify.email`).

Webhook body (``version`` 1; new fields may be added, a breaking change bumps the version)::

    {"type": "message.created", "version": 1, "tenant_id": "...", "call_id": "...",
     "message": {"id": "...", "name": "...", "phone": "+14155550134", "reason": "...",
                 "urgency": "low|normal|urgent|emergency", "best_time": "..." | null},
     "summary": {"text": "...", "action_items": ["..."]} | null,
     "created_at": "2024-05-06T21:03:00+00:00"}

``escalation.missed`` has ``"message": null`` and, instead, ``"caller": {"name", "phone"}`` (either may
be null) and ``"escalation": {"trigger", "reason", "queue", "priority", "status"}``.

Email payload: ``{"subject", "text", "html", "from_name"}``; :mod:`receptionist.notify.email` turns it
into a MIME message at send time.
"""

from __future__ import annotations

import copy
import html
import unicodedata
from datetime import datetime
from typing import Any

import phonenumbers

from receptionist.brain.phone import display
from receptionist.calls import Call, CallSummary, EscalationTrigger, HandoffStatus, Message, Urgency, utcnow
from receptionist.config.profile import BusinessProfile, EmailRecipient
from receptionist.storage.records import DeliveryChannel, NewDelivery

PAYLOAD_VERSION = 1
MESSAGE_CREATED = "message.created"
ESCALATION_MISSED = "escalation.missed"
_URGENT = (Urgency.URGENT, Urgency.EMERGENCY)
_SUBJECT_NAME_LIMIT = 80
_BREAKING = frozenset({"Cc", "Zl", "Zp"})  # control characters, line and paragraph separators


def deliveries_for(
    profile: BusinessProfile, call: Call, summary: CallSummary | None, *, now: datetime | None = None
) -> list[NewDelivery]:
    """The outbox rows to store with ``call``: one per recipient, or none (see the module docstring)."""
    created = call.ended_at or now or utcnow()
    if call.message is not None:
        event = message_event(profile, call, call.message, summary, created)
        mail = message_email(profile, call, call.message, summary, created)
    elif missed_escalation(call):
        event = missed_event(profile, call, summary, created)
        mail = missed_email(profile, call, summary, created)
    else:
        return []
    out: list[NewDelivery] = []
    for recipient in profile.recipients:
        if isinstance(recipient, EmailRecipient):
            out.append(NewDelivery(DeliveryChannel.EMAIL, recipient.address, copy.deepcopy(mail)))
        else:
            secret_env = recipient.secret_env
            out.append(NewDelivery(DeliveryChannel.WEBHOOK, recipient.url, copy.deepcopy(event), secret_env))
    return out


def missed_escalation(call: Call) -> bool:
    """An urgent request for a person that nobody took, and no message to show for it."""
    esc = call.escalation
    if call.message is not None or esc is None or call.handoff_status is HandoffStatus.CONNECTED:
        return False
    return esc.trigger is EscalationTrigger.EMERGENCY or call.draft.urgency in _URGENT


# -- webhook events ------------------------------------------------------------------------------


def message_event(
    profile: BusinessProfile, call: Call, message: Message, summary: CallSummary | None, created: datetime
) -> dict[str, Any]:
    return {
        "type": MESSAGE_CREATED,
        "version": PAYLOAD_VERSION,
        "tenant_id": profile.tenant_id,
        "call_id": call.id,
        "message": {
            "id": message.id,
            "name": message.name,
            "phone": message.phone,
            "reason": message.reason,
            "urgency": message.urgency.value,
            "best_time": message.best_time,
        },
        "summary": _summary_json(summary),
        "created_at": created.isoformat(),
    }


def missed_event(
    profile: BusinessProfile, call: Call, summary: CallSummary | None, created: datetime
) -> dict[str, Any]:
    esc = call.escalation
    assert esc is not None  # checked by missed_escalation
    return {
        "type": ESCALATION_MISSED,
        "version": PAYLOAD_VERSION,
        "tenant_id": profile.tenant_id,
        "call_id": call.id,
        "message": None,
        "caller": {"name": call.draft.name, "phone": call.draft.phone or call.caller_number},
        "escalation": {
            "trigger": esc.trigger.value,
            "reason": esc.reason,
            "queue": esc.queue,
            "priority": esc.priority,
            "status": call.handoff_status.value if call.handoff_status else None,
        },
        "summary": _summary_json(summary),
        "created_at": created.isoformat(),
    }


def _summary_json(summary: CallSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"text": summary.text, "action_items": list(summary.action_items)}


# -- emails --------------------------------------------------------------------------------------


def message_email(
    profile: BusinessProfile, call: Call, message: Message, summary: CallSummary | None, created: datetime
) -> dict[str, Any]:
    name = one_line(message.name) or "Unknown caller"
    phone = phone_display(message.phone, profile.country)
    subject = f"New message from {_clip(name)}, {phone}{_urgency_suffix(message.urgency)}"
    fields = [
        ("Name", name),
        ("Phone", phone),
        ("Urgency", message.urgency.value.title()),
        ("Best time", one_line(message.best_time or "") or "any time"),
        ("Reason", one_line(message.reason)),
    ]
    intro = f"{name} called {one_line(profile.name)} and left a message."
    return _email(
        profile, call, subject, intro, fields, summary, created, message_id=message.id, tel=message.phone
    )


def missed_email(
    profile: BusinessProfile, call: Call, summary: CallSummary | None, created: datetime
) -> dict[str, Any]:
    esc = call.escalation
    assert esc is not None  # checked by missed_escalation
    emergency = esc.trigger is EscalationTrigger.EMERGENCY or call.draft.urgency is Urgency.EMERGENCY
    urgency = Urgency.EMERGENCY if emergency else Urgency.URGENT
    name = one_line(call.draft.name or "") or "an unknown caller"
    number = call.draft.phone or call.caller_number
    phone = phone_display(number, profile.country) if number else "number unknown"
    subject = f"Missed urgent call from {_clip(name)}, {phone}{_urgency_suffix(urgency)}"
    fields = [
        ("Name", name),
        ("Phone", phone),
        ("Urgency", urgency.value.title()),
        ("Asked for", one_line(esc.reason)),
        ("Queue", esc.queue),
    ]
    intro = (
        f"{name[:1].upper()}{name[1:]} called {one_line(profile.name)} and needed a person urgently, "
        "but nobody took the call and no message was left. Please call back."
    )
    return _email(profile, call, subject, intro, fields, summary, created, message_id=None, tel=number)


def _email(
    profile: BusinessProfile,
    call: Call,
    subject: str,
    intro: str,
    fields: list[tuple[str, str]],
    summary: CallSummary | None,
    created: datetime,
    *,
    message_id: str | None,
    tel: str | None,
) -> dict[str, Any]:
    local = created.astimezone(profile.zone)
    when = f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({profile.timezone})"
    ids = f"Call ID: {call.id}" + (f" · Message ID: {message_id}" if message_id else "")
    summary_text = " ".join(summary.text.split()) if summary else ""
    actions = [one_line(a) for a in summary.action_items] if summary else []
    width = max(len(label) for label, _ in fields) + 2

    text = [intro, ""]
    text += [f"{label + ':':<{width}}{value}" for label, value in fields]
    if summary_text:
        text += ["", "Summary", summary_text, *(f"- {a}" for a in actions)]
    text += ["", f"Received {when}.", ids, "", "-- ", "Sent by your automated receptionist."]

    e = html.escape
    cells = {label: e(value) for label, value in fields}
    if tel and "Phone" in cells:  # one tap to call back from a phone's mail app
        cells["Phone"] = f"<a href='tel:{e(one_line(tel).replace(' ', ''))}'>{cells['Phone']}</a>"
    rows = "".join(
        f"<tr><th align='left'>{e(label)}</th><td>{cell}</td></tr>" for label, cell in cells.items()
    )
    parts = [f"<p>{e(intro)}</p>", f"<table cellpadding='4'>{rows}</table>"]
    if summary_text:
        items = "".join(f"<li>{e(a)}</li>" for a in actions)
        parts += ["<h3>Summary</h3>", f"<p>{e(summary_text)}</p>", f"<ul>{items}</ul>" if items else ""]
    parts += [f"<p><small>Received {e(when)}.<br>{e(ids)}</small></p>"]
    return {
        "subject": one_line(subject),
        "text": "\n".join(text) + "\n",
        "html": "<html><body>" + "".join(parts) + "</body></html>\n",
        "from_name": f"{one_line(profile.name)} receptionist",
    }


def _urgency_suffix(urgency: Urgency) -> str:
    return {Urgency.URGENT: " — urgent", Urgency.EMERGENCY: " — EMERGENCY"}.get(urgency, "")


def _clip(text: str, limit: int = _SUBJECT_NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """``text`` on one line: every run of whitespace or control characters (CR, LF, NUL, U+2028…) is
    one space. Caller-provided text goes through this before it can reach a header or a table cell."""
    cleaned = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in text)
    return " ".join(cleaned.split())


def phone_display(e164: str, region: str) -> str:
    """The number as written in ``region`` (national format at home); as given if it will not parse."""
    try:
        return display(e164, region)
    except phonenumbers.NumberParseException:
        return one_line(e164)
