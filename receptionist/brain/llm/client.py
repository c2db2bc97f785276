"""The OpenAI-compatible client, and what its errors mean for a live call.

``max_retries=0``: a retry would multiply the caller's wait; on failure the session falls back to the
offline brain instead. Failure reasons name the kind of error and the HTTP status, never the server's
message body (some servers echo part of the API key in it).
"""

from __future__ import annotations

import httpx
import openai

from receptionist.brain.base import BrainFailure
from receptionist.config.settings import Settings


def make_client(settings: Settings) -> openai.AsyncOpenAI:
    """A client for ``settings.llm_base_url``; raises ``ValueError`` when the LLM is not configured."""
    if not settings.llm_enabled:
        raise ValueError("the LLM brain needs RECEPTIONIST_LLM_BASE_URL and RECEPTIONIST_LLM_MODEL")
    return openai.AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        max_retries=0,
        # a backstop only: the brain enforces the first-chunk, between-chunk and per-turn limits itself
        timeout=openai.Timeout(settings.llm_total_timeout_s, connect=settings.llm_timeout_s),
    )


def failure_from(error: Exception, *, partial: str = "") -> BrainFailure:
    """The :class:`BrainFailure` for an error raised by the client, the HTTP stream or chunk parsing."""
    match error:
        case openai.APITimeoutError():
            return BrainFailure("the LLM server timed out", retryable=True, partial=partial)
        case openai.APIConnectionError():
            return BrainFailure("cannot reach the LLM server", retryable=True, partial=partial)
        case openai.APIStatusError(status_code=status):
            retryable = status == 429 or status >= 500
            reason = f"the LLM server answered HTTP {status}"
            return BrainFailure(reason, retryable=retryable, partial=partial)
        case openai.APIError():
            return BrainFailure("the LLM server reported an error mid-reply", retryable=True, partial=partial)
        case httpx.HTTPError():  # openai versions that let transport errors out of a stream
            return BrainFailure(
                f"the LLM reply stream broke ({type(error).__name__})", retryable=True, partial=partial
            )
    return BrainFailure(f"LLM client error ({type(error).__name__})", retryable=False, partial=partial)
