"""A call summary written by the LLM, as structured output (LangChain, OpenAI function calling).

Any failure (no LLM configured, server error, timeout, output that does not fit the schema) raises
:class:`~receptionist.brain.base.BrainFailure`, so the caller writes the offline summary instead.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import openai
from pydantic import BaseModel, ConfigDict, Field

from receptionist.brain.base import BrainFailure
from receptionist.brain.llm.client import failure_from
from receptionist.brain.llm.prompt import load_template
from receptionist.calls import Call, CallSummary, Role
from receptionist.config.profile import BusinessProfile
from receptionist.config.settings import Settings

log = logging.getLogger(__name__)

SUMMARY_PLACEHOLDERS = frozenset({"business_name", "concerns"})


class CallSummaryReport(BaseModel):
    """The summary of one call, for the business owner and the staff."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="two or three sentences: who called, what they wanted, what was done")
    reason: str | None = Field(description="the caller's reason in a few words, or null if unclear")
    action_items: list[str] = Field(description="what the business should do next; empty if nothing")


def call_record(call: Call) -> str:
    """The call as the data the summariser reads: collected facts, then the transcript."""
    draft = call.draft
    lines = [
        f"Concern: {call.concern or 'unknown'}",
        f"Caller ID: {call.caller_number or 'withheld'}",
    ]
    if call.message is not None:
        m = call.message
        lines.append(
            f"Message saved: from {m.name}, call back on {m.phone}, urgency {m.urgency.value}: {m.reason}"
        )
        if m.best_time:
            lines.append(f"Best time to call back: {m.best_time}")
    elif draft.name or draft.phone or draft.reason:
        lines.append(f"Message not completed: name={draft.name}, phone={draft.phone}, reason={draft.reason}")
    if call.escalation is not None:
        status = call.handoff_status.value if call.handoff_status else "pending"
        lines.append(f"Asked for a person ({call.escalation.trigger.value}): {status}")
    if call.outcome is not None:
        lines.append(f"Outcome: {call.outcome.value}")
    lines.append("Transcript:")
    speaker = {Role.CALLER: "Caller", Role.RECEPTIONIST: "Receptionist"}
    lines.extend(f"{speaker[t.role]}: {t.text}" for t in call.turns)
    return "\n".join(lines)


async def summarise_with_llm(
    call: Call, profile: BusinessProfile, settings: Settings, *, prompts_dir: Path
) -> CallSummary:
    """Summarise ``call`` with the configured LLM; raise :class:`BrainFailure` on any failure."""
    if not settings.llm_enabled:
        raise BrainFailure("no LLM configured", retryable=False)
    try:
        report = await _ask(call, profile, settings, prompts_dir)
    except BrainFailure as e:
        raise _failed(call, e) from e
    except TimeoutError as e:
        raise _failed(call, BrainFailure("the LLM summary timed out", retryable=True)) from e
    except ValueError as e:  # JSON, pydantic validation, LangChain output parser, a bad prompt file
        failure = BrainFailure(f"the LLM summary failed ({type(e).__name__})", retryable=False)
        raise _failed(call, failure) from e
    except Exception as e:  # server or transport: the offline summary takes over
        raise _failed(call, failure_from(e)) from e
    if report is None or not report.summary.strip():
        # no tool call, arguments that are not JSON (LangChain drops those) or an empty summary
        raise _failed(call, BrainFailure("the LLM returned no summary", retryable=False))
    return CallSummary(
        text=report.summary.strip(),
        source="llm",
        reason=(report.reason or "").strip() or None,
        action_items=tuple(item.strip() for item in report.action_items if item.strip()),
    )


async def _ask(
    call: Call, profile: BusinessProfile, settings: Settings, prompts_dir: Path
) -> CallSummaryReport | None:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as e:  # pragma: no cover - a core dependency, but say how to fix a broken install
        raise BrainFailure(
            "langchain-openai is not installed: pip install langchain-openai", retryable=False
        ) from e
    template = load_template(prompts_dir, "summary.md", SUMMARY_PLACEHOLDERS)
    system = template.substitute(
        business_name=profile.name,
        concerns="\n".join(f"- {c.id}: {c.description}" for c in profile.concerns),
    )
    # our own HTTP client, closed after the call (LangChain's default one is cached and never closed)
    http = openai.DefaultAsyncHttpxClient(timeout=settings.llm_total_timeout_s)
    try:
        model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_total_timeout_s,
            max_retries=0,
            use_responses_api=False,  # any OpenAI-compatible server speaks chat completions
            http_async_client=http,
        )
        structured = model.with_structured_output(CallSummaryReport, method="function_calling")
        # the limit covers the request only, not importing LangChain or building the model
        async with asyncio.timeout(settings.llm_total_timeout_s):
            report = await structured.ainvoke([("system", system), ("human", call_record(call))])
    finally:
        await http.aclose()
    return report if isinstance(report, CallSummaryReport) else None


def _failed(call: Call, failure: BrainFailure) -> BrainFailure:
    log.warning("LLM summary failed for call %s: %s", call.id, failure.reason)
    return failure
