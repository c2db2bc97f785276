"""Small text helpers shared by the brains."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    """Split a reply into sentences so speech can start with the first one."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
