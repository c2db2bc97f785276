"""The receptionist's tools as an LLM sees them: JSON schemas, argument checks and dispatch to CallTools.

One :class:`ToolSpec` per tool is the single source of both the strict JSON schema sent to the model
and the check applied to the arguments it sends back. Every schema describes the current call only:
no tool takes an id, so a call for an unknown tool or with an extra argument (``call_id``...) is an
attempt to reach outside the call and is *refused*, never executed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from receptionist.brain.tools import CallTools, ToolResult
from receptionist.calls import EscalationTrigger, Urgency
from receptionist.config.profile import BusinessProfile, HandlingAction

REFUSAL = "not available: tools act on the current call only"

ParamType = Literal["string", "boolean"]
URGENCIES = tuple(u.value for u in Urgency)


class MalformedToolCall(Exception):
    """The model's arguments are not valid JSON or do not fit the tool's schema."""


class OutOfScopeToolCall(Exception):
    """The model asked for a tool that does not exist or passed arguments no tool takes."""


@dataclass(frozen=True, slots=True)
class Param:
    type: ParamType
    description: str
    required: bool = False  # optional parameters are sent as nullable, as OpenAI strict mode requires
    enum: tuple[str, ...] | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type if self.required else [self.type, "null"],
            "description": self.description,
        }
        if self.enum is not None:
            out["enum"] = [*self.enum] if self.required else [*self.enum, None]
        return out

    def check(self, name: str, value: Any) -> None:
        if value is None:
            if self.required:
                raise MalformedToolCall(f"argument {name!r} is required")
            return
        python_type = str if self.type == "string" else bool
        if not isinstance(value, python_type):
            raise MalformedToolCall(f"argument {name!r} must be a {self.type}")
        if self.enum is not None and value not in self.enum:
            raise MalformedToolCall(f"argument {name!r} must be one of {', '.join(self.enum)}")


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    params: dict[str, Param] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        """The tool in the chat-completions ``tools`` format, strict, with no extra properties."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "strict": True,
                "parameters": {
                    "type": "object",
                    "properties": {n: p.schema() for n, p in self.params.items()},
                    "required": list(self.params),
                    "additionalProperties": False,
                },
            },
        }

    def parse(self, raw: str) -> dict[str, Any]:
        """The arguments as a dict with every parameter present (``None`` when not given)."""
        if not raw.strip():
            raw = "{}"  # some servers send "" for a tool without parameters
        try:
            args = json.loads(raw)
        except json.JSONDecodeError as e:
            raise MalformedToolCall(f"{self.name}: arguments are not valid JSON ({e.msg})") from None
        if not isinstance(args, dict):
            raise MalformedToolCall(f"{self.name}: arguments must be a JSON object")
        extra = sorted(set(args) - set(self.params))
        if extra:
            raise OutOfScopeToolCall(f"{self.name}: unexpected arguments {', '.join(extra)}")
        for name, param in self.params.items():
            try:
                param.check(name, args.get(name))
            except MalformedToolCall as e:
                raise MalformedToolCall(f"{self.name}: {e}") from None
        return {name: args.get(name) for name in self.params}


def tool_specs(profile: BusinessProfile) -> dict[str, ToolSpec]:
    """The tools offered to the model for one tenant, keyed by name."""
    specs = [
        ToolSpec(
            "record_concern",
            "Record what the call is about, as soon as you know. Returns how to handle it.",
            {
                "concern_id": Param(
                    "string",
                    "the id of the caller's concern",
                    required=True,
                    enum=tuple(c.id for c in profile.concerns),
                )
            },
        ),
        ToolSpec(
            "answer_faq",
            "Look up the business's answer to a caller's question.",
            {"question": Param("string", "the caller's question, in their words", required=True)},
        ),
        ToolSpec("business_hours", "The opening hours, and whether the business is open right now."),
        ToolSpec(
            "take_message",
            "Add details to the caller's message; call again as you learn more. The message is saved once "
            "it has a name, a phone number the caller confirmed after you read it back, and a reason.",
            {
                "name": Param("string", "the caller's name"),
                "phone": Param("string", "the number to call back, as the caller said it"),
                "reason": Param("string", "what the message is about, in one or two sentences"),
                "urgency": Param("string", "how urgent the caller says it is", enum=URGENCIES),
                "best_time": Param("string", "when the caller would like to be called back"),
                "phone_confirmed": Param(
                    "boolean", "true once the caller confirmed the number read back; false if it was wrong"
                ),
            },
        ),
        ToolSpec(
            "request_human",
            "Ask for a person to take the call. Returns whether someone is available.",
            {
                "reason": Param("string", "why the caller needs a person", required=True),
                "urgent": Param("boolean", "true only for an emergency"),
            },
        ),
        ToolSpec("get_call_notes", "What this call has collected so far (concern and message details)."),
        ToolSpec("end_call", "End the call after saying goodbye."),
    ]
    return {s.name: s for s in specs}


def result_json(result: ToolResult) -> str:
    """A tool's result as the JSON text of a ``tool`` message."""
    body: dict[str, Any] = {"ok": result.ok, **result.data}
    if result.error:
        body["error"] = result.error
    return json.dumps(body, default=str, ensure_ascii=False)


def refusal_json() -> str:
    return json.dumps({"ok": False, "error": REFUSAL})


async def dispatch(tools: CallTools, name: str, args: dict[str, Any]) -> ToolResult:
    """Run one checked tool call on the current call."""
    match name:
        case "record_concern":
            return tools.record_concern(args["concern_id"])
        case "answer_faq":
            # the FAQ index may run an embedding model: keep it off the event loop
            return await asyncio.to_thread(tools.answer_faq, args["question"])
        case "business_hours":
            return tools.business_hours()
        case "take_message":
            return tools.take_message(**args)
        case "request_human":
            trigger = _trigger(tools, urgent=args["urgent"])
            return await tools.request_human(reason=args["reason"], trigger=trigger)
        case "get_call_notes":
            return tools.get_call_notes()
        case "end_call":
            return tools.end_call()
    raise OutOfScopeToolCall(f"unknown tool {name!r}")


def _trigger(tools: CallTools, *, urgent: bool) -> EscalationTrigger:
    """Why the model asked for a person: an emergency, the concern's handling, or the caller's wish."""
    if urgent:
        return EscalationTrigger.EMERGENCY
    concern = tools.profile.concern(tools.call.concern) if tools.call.concern else None
    if concern is not None and concern.handling.action is HandlingAction.TRANSFER:
        return EscalationTrigger.CONCERN
    return EscalationTrigger.CALLER_REQUEST
