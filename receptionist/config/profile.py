"""Business profiles: what one tenant's receptionist knows and does, written by the owner in YAML.

``load_profile(path)`` validates the file once; errors name the file and the field
(``examples/dental.yaml: concerns.2.handling.queue: ...``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_AUTOMATED = re.compile(r"\b(automated|virtual|ai|artificial intelligence|digital)\b", re.IGNORECASE)
_RECORDED = re.compile(r"\brecord", re.IGNORECASE)


class ProfileError(ValueError):
    """A profile that cannot be used, with the file and field named in the message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HandlingAction(StrEnum):
    TRANSFER = "transfer"
    MESSAGE = "message"
    FAQ = "faq"


class Handling(_Strict):
    """What the receptionist does once it knows the caller's concern."""

    action: HandlingAction
    queue: str | None = Field(default=None, pattern=_ID)

    @model_validator(mode="after")
    def _queue_for_transfer(self) -> Handling:
        if self.action is HandlingAction.TRANSFER and not self.queue:
            raise ValueError("a 'transfer' handling needs a queue")
        return self


class Concern(_Strict):
    id: str = Field(pattern=_ID)
    description: str = Field(min_length=3)
    examples: list[str] = Field(min_length=1, max_length=40)
    handling: Handling

    @field_validator("examples")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not e.strip() for e in v):
            raise ValueError("examples must not be empty strings")
        return v


class FaqEntry(_Strict):
    question: str = Field(min_length=3)
    answer: str = Field(min_length=1)
    phrasings: list[str] = Field(default_factory=list, description="other ways callers ask this")


class Closure(_Strict):
    date: date
    reason: str = "closed"


class TimeRange(_Strict):
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        m = _RANGE.match(text)
        if not m:
            raise ValueError(f"{text!r} is not a range like '09:00-17:30'")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise ValueError(f"{text!r} is not a valid time range")
        end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        start = time(h1, m1)
        if end <= start:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start=start, end=end)

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end


class EmailRecipient(_Strict):
    type: Literal["email"] = "email"
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class WebhookRecipient(_Strict):
    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(
        default=None, description="environment variable holding this webhook's HMAC secret"
    )


Recipient = Annotated[EmailRecipient | WebhookRecipient, Field(discriminator="type")]


class EscalationRules(_Strict):
    human_queue: str = Field(default="front-desk", pattern=_ID, description="where 'a person, please' goes")
    emergency_instruction: str = (
        "If this is a life-threatening emergency, please hang up and call your local emergency number."
    )
    emergency_queue: str | None = Field(default=None, pattern=_ID)
    misunderstanding_limit: int = Field(default=2, ge=1, le=5)
    vip_numbers: list[str] = Field(default_factory=list)
    vip_priority: int = Field(default=5, ge=0, le=10)
    urgent_priority: int = Field(default=8, ge=0, le=10)


class BusinessProfile(_Strict):
    """One tenant's receptionist, as its owner configures it."""

    tenant_id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    country: str = Field(min_length=2, max_length=2, description="ISO region for phone numbers")
    timezone: str
    recording: bool = False
    numbers: list[str] = Field(default_factory=list, description="numbers this business is reached on")
    greeting: str
    after_hours_greeting: str
    hours: dict[str, list[TimeRange]] = Field(default_factory=dict)
    closures: list[Closure] = Field(default_factory=list)
    concerns: list[Concern] = Field(min_length=1)
    faq: list[FaqEntry] = Field(default_factory=list)
    escalation: EscalationRules = Field(default_factory=EscalationRules)
    recipients: list[Recipient] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        v = v.upper()
        if v not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{v!r} is not a supported ISO country code")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"{v!r} is not a known IANA timezone such as 'America/New_York'") from e
        return v

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        out: dict[str, list[TimeRange]] = {}
        for day, ranges in v.items():
            key = str(day).lower()
            if key not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")
            items = [ranges] if isinstance(ranges, str) else (ranges or [])
            out[key] = [r if isinstance(r, TimeRange) else TimeRange.parse(str(r)) for r in items]
        return out

    @model_validator(mode="after")
    def _checks(self) -> BusinessProfile:
        for field_name in ("greeting", "after_hours_greeting"):
            text = getattr(self, field_name)
            if not _AUTOMATED.search(text):
                raise ValueError(
                    f"{field_name} must tell callers they are speaking with an automated assistant"
                )
            if self.recording and not _RECORDED.search(text):
                raise ValueError(f"{field_name} must say the call is recorded, since recording is on")
        ids = [c.id for c in self.concerns]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"concern ids must be unique; repeated: {', '.join(dupes)}")
        for n in [*self.numbers, *self.escalation.vip_numbers]:
            if normalise_number(n, self.country) is None:
                raise ValueError(f"{n!r} is not a valid phone number for region {self.country}")
        return self

    # -- derived views -------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def e164_numbers(self) -> list[str]:
        return [e for n in self.numbers if (e := normalise_number(n, self.country))]

    def concern(self, concern_id: str) -> Concern | None:
        return next((c for c in self.concerns if c.id == concern_id), None)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if any(c.date == local.date() for c in self.closures):
            return False
        ranges = self.hours.get(WEEKDAYS[local.weekday()], [])
        return any(r.contains(local.time()) for r in ranges)

    def closure_on(self, at: datetime) -> Closure | None:
        local = at.astimezone(self.zone).date()
        return next((c for c in self.closures if c.date == local), None)

    def hours_sentence(self) -> str:
        """The opening hours in words, grouping days with the same hours."""
        if not self.hours:
            return "We don't have regular opening hours on file."
        groups: list[tuple[list[str], str]] = []
        for day in WEEKDAYS:
            ranges = self.hours.get(day, [])
            spoken = " and ".join(f"{_clock(r.start)} to {_clock(r.end)}" for r in ranges) or "closed"
            if groups and groups[-1][1] == spoken:
                groups[-1][0].append(day)
            else:
                groups.append(([day], spoken))
        parts = []
        for days, spoken in groups:
            joiner = " and " if len(days) == 2 else " to "
            span = days[0].title() if len(days) == 1 else f"{days[0].title()}{joiner}{days[-1].title()}"
            parts.append(f"{span}: {spoken}")
        return "Our hours are " + "; ".join(parts) + "."


def _clock(t: time) -> str:
    if t >= time(23, 59):
        return "midnight"
    if t == time(12, 0):
        return "noon"
    hour = t.hour % 12 or 12
    suffix = "a.m." if t.hour < 12 else "p.m."
    return f"{hour}:{t.minute:02d} {suffix}" if t.minute else f"{hour} {suffix}"


def normalise_number(text: str, region: str) -> str | None:
    """``text`` as E.164 if it is a valid phone number in ``region`` (or international), else None."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def load_profile(path: str | Path) -> BusinessProfile:
    """Read and validate one profile file; raise :class:`ProfileError` naming file and field."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ProfileError(f"{p}: no such profile file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ProfileError(f"{p}: cannot read: {e}") from e
    except yaml.YAMLError as e:
        raise ProfileError(f"{p}: not valid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise ProfileError(f"{p}: a profile must be a YAML mapping of fields, got {type(raw).__name__}")
    try:
        return BusinessProfile.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{p}: {loc}: {msg}")
        raise ProfileError("\n".join(lines)) from None
