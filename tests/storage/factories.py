"""Building calls the way a conversation leaves them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from receptionist.calls import (
    Briefing,
    Call,
    CallSummary,
    EscalationRequest,
    EscalationTrigger,
    Message,
    Outcome,
    Role,
    Turn,
    Urgency,
)
from receptionist.storage.records import DeliveryChannel, NewDelivery

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def call(tenant_id: str, *, started: datetime = T0, turns: int = 2, **fields: object) -> Call:
    c = Call(tenant_id=tenant_id, caller_number="+15550100", dialled_number="+15550199", started_at=started)
    for name, value in fields.items():
        setattr(c, name, value)
    for i in range(turns):
        role = Role.CALLER if i % 2 == 0 else Role.RECEPTIONIST
        c.turns.append(Turn(role=role, text=f"turn {i}", at=started + timedelta(seconds=10 * (i + 1))))
    return c


def ended(c: Call, outcome: Outcome = Outcome.RESOLVED, *, after: timedelta = timedelta(minutes=3)) -> Call:
    c.outcome = outcome
    c.ended_at = c.started_at + after
    return c


def message(**fields: object) -> Message:
    values: dict[str, object] = {
        "name": "Dana Scully",
        "phone": "+15550100",
        "reason": "the boiler is leaking",
        "urgency": Urgency.URGENT,
        "best_time": "after 5pm",
    }
    values.update(fields)
    return Message(**values)  # type: ignore[arg-type]


def summary(text: str = "Caller reported a leak.") -> CallSummary:
    return CallSummary(text=text, source="offline", reason="leak", action_items=("call back", "send plumber"))


def webhook(n: int = 0) -> NewDelivery:
    return NewDelivery(
        channel=DeliveryChannel.WEBHOOK,
        target="https://owner.example/hook",
        payload={"n": n},
        secret_env="HOOK",
    )


def email(n: int = 0) -> NewDelivery:
    return NewDelivery(channel=DeliveryChannel.EMAIL, target="owner@example.com", payload={"n": n})


def escalation(queue: str = "front-desk") -> EscalationRequest:
    briefing = Briefing(
        tenant_name="Acme", caller_name="Dana", caller_number="+15550100", concern="leak",
        reason="caller asked for a person", summary="leak", transcript=(),
    )  # fmt: skip
    return EscalationRequest(
        queue=queue,
        priority=2,
        reason="caller asked",
        trigger=EscalationTrigger.CALLER_REQUEST,
        briefing=briefing,
    )
