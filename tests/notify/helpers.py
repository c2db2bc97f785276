"""Builders shared by the notify tests: settings, a profile, a finished call, outbox rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from receptionist.calls import Call, Message, Urgency
from receptionist.config.profile import BusinessProfile
from receptionist.config.settings import Settings
from receptionist.storage.records import Delivery, DeliveryChannel, DeliveryStatus, NewDelivery

SECRET = "test-webhook-secret"
ENDED_AT = datetime(2024, 5, 6, 21, 3, tzinfo=UTC)  # Monday 14:03 in Los Angeles


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secret": SecretStr(SECRET),
        "delivery_timeout_s": 2.0,
        "delivery_max_attempts": 5,
        "delivery_backoff_s": 2.0,
        "smtp_from": "receptionist@example.org",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_profile(recipients: list[dict[str, Any]] | None = None) -> BusinessProfile:
    return BusinessProfile.model_validate(
        {
            "tenant_id": "bright-smile",
            "name": "Bright Smile Dental",
            "country": "US",
            "timezone": "America/Los_Angeles",
            "greeting": "Thanks for calling Bright Smile Dental, this is the automated assistant.",
            "after_hours_greeting": "Bright Smile Dental is closed; this is the automated assistant.",
            "concerns": [
                {
                    "id": "appointment",
                    "description": "book or move an appointment",
                    "examples": ["I need to reschedule"],
                    "handling": {"action": "message"},
                }
            ],
            "recipients": recipients
            if recipients is not None
            else [
                {"type": "email", "address": "owner@example.org"},
                {"type": "webhook", "url": "https://hooks.example.org/rx", "secret_env": "BRIGHT_SMILE_HOOK"},
            ],
        }
    )


def make_call(name: str = "Jane Doe", urgency: Urgency = Urgency.URGENT) -> Call:
    call = Call(tenant_id="bright-smile", caller_number="+14155550134", id="call-1")
    call.message = Message(
        id="msg-1",
        name=name,
        phone="+14155550134",
        reason="Needs to move her cleaning to next week",
        urgency=urgency,
        best_time="after 3 p.m.",
    )
    call.ended_at = ENDED_AT
    return call


def as_row(new: NewDelivery, delivery_id: int = 1, *, call_id: str = "call-1") -> Delivery:
    return Delivery(
        id=delivery_id,
        tenant_id="bright-smile",
        call_id=call_id,
        message_id="msg-1",
        channel=new.channel,
        target=new.target,
        payload=new.payload,
        secret_env=new.secret_env,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=ENDED_AT,
        last_error=None,
        created_at=ENDED_AT,
        sent_at=None,
    )


def webhook_row(url: str, delivery_id: int = 1, *, secret_env: str | None = None) -> Delivery:
    payload = {"type": "message.created", "version": 1, "call_id": "call-1", "message": {"name": "Jane"}}
    return as_row(NewDelivery(DeliveryChannel.WEBHOOK, url, payload, secret_env), delivery_id)
