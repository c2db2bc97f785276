"""Audio for the phrases a receptionist says again and again, rendered once and replayed.

A greeting, "one moment please", the hold lines: rendering them on every call wastes a core and adds a
fraction of a second before the caller hears anything. :class:`PhraseCache` keeps their PCM keyed by
(voice, the text as it will be spoken), so "Call 555-0134." and "Call 555 0134." share one entry.
:meth:`PhraseCache.warm` renders the fixed ones at start-up; a bounded LRU holds the rest.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from receptionist.voice.speakable import speakable
from receptionist.voice.tts import Int16Array, TtsOptions, get_synthesizer


class Speaker(Protocol):
    """What the cache needs from a synthesizer (:class:`~receptionist.voice.tts.PiperSynthesizer` is one)."""

    @property
    def sample_rate(self) -> int: ...

    def render(self, spoken: str) -> Int16Array:
        """Already speakable text → samples, in one piece."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class Phrase:
    """One rendered phrase: mono int16 samples (read-only: the array is shared by every call)."""

    text: str  # as asked for
    spoken: str  # as read by the voice (the cache key)
    pcm: Int16Array
    sample_rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.pcm.size / self.sample_rate


_Key = tuple[TtsOptions, str]


class PhraseCache:
    """Rendered phrases keyed by (voice options, speakable text); at most ``max_phrases`` besides the
    warmed ones, least recently used evicted first. Concurrent requests for one phrase render it once.
    """

    def __init__(
        self,
        options: TtsOptions | None = None,
        *,
        max_phrases: int = 64,
        load: Callable[[TtsOptions], Speaker] = get_synthesizer,
    ) -> None:
        self.options = options or TtsOptions()
        self.max_phrases = max_phrases
        self._load = load
        self._phrases: OrderedDict[_Key, Phrase] = OrderedDict()
        self._pinned: set[_Key] = set()
        self._rendering: dict[_Key, asyncio.Task[Phrase]] = {}

    def __len__(self) -> int:
        return len(self._phrases)

    def _key(self, text: str, options: TtsOptions | None) -> _Key:
        o = options or self.options
        return o, speakable(text, region=o.region)

    def get(self, text: str, *, options: TtsOptions | None = None) -> Phrase | None:
        """The phrase if it is already rendered; never renders."""
        key = self._key(text, options)
        phrase = self._phrases.get(key)
        if phrase is not None:
            self._phrases.move_to_end(key)
        return phrase

    async def get_or_synthesize(self, text: str, *, options: TtsOptions | None = None) -> Phrase:
        """The rendered phrase, rendering it (in a worker thread) on first use."""
        key = self._key(text, options)
        if (phrase := self._phrases.get(key)) is not None:
            self._phrases.move_to_end(key)
            return phrase
        task = self._rendering.get(key)
        if task is None:
            task = asyncio.create_task(self._render(text, key))
            self._rendering[key] = task
            task.add_done_callback(lambda _: self._rendering.pop(key, None))
        return await asyncio.shield(task)  # one caller hanging up does not cancel the others' phrase

    async def warm(self, texts: Iterable[str], *, options: TtsOptions | None = None) -> list[Phrase]:
        """Render ``texts`` now (one after another: start-up should not starve live calls) and keep them."""
        phrases = []
        for text in texts:
            phrase = await self.get_or_synthesize(text, options=options)
            self._pinned.add(self._key(text, options))
            phrases.append(phrase)
        return phrases

    async def _render(self, text: str, key: _Key) -> Phrase:
        options, spoken = key
        speaker = await asyncio.to_thread(self._load, options)
        # one piece, not clause by clause: nothing is waiting on the first clause, and the prosody is whole
        pcm = await asyncio.to_thread(speaker.render, spoken)
        pcm = np.asarray(pcm, dtype=np.int16)
        pcm.flags.writeable = False
        phrase = Phrase(text=text, spoken=spoken, pcm=pcm, sample_rate=speaker.sample_rate)
        self._phrases[key] = phrase
        self._evict()
        return phrase

    def _evict(self) -> None:
        unpinned = [k for k in self._phrases if k not in self._pinned]
        for key in unpinned[: max(0, len(unpinned) - self.max_phrases)]:
            del self._phrases[key]
