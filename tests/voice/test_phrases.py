import asyncio
import threading

import numpy as np
import pytest

from receptionist.voice.phrases import PhraseCache
from receptionist.voice.tts import TtsOptions


class CountingSpeaker:
    """A scripted voice: one sample per character of the spoken text, and a log of what it rendered."""

    sample_rate = 8_000

    def __init__(self, *, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.rendered: list[str] = []
        self.delay = delay
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def render(self, spoken: str) -> np.ndarray:
        if self.delay:
            threading.Event().wait(self.delay)
        if self.fail_on is not None and self.fail_on in spoken:
            raise RuntimeError("the voice broke")
        with self._lock:
            self.rendered.append(spoken)
        return np.ones(len(spoken), dtype=np.int16)


def _cache(speaker: CountingSpeaker, *, max_phrases: int = 64) -> PhraseCache:
    return PhraseCache(load=lambda _options: speaker, max_phrases=max_phrases)


async def test_a_phrase_is_rendered_once_and_replayed() -> None:
    speaker = CountingSpeaker()
    cache = _cache(speaker)
    first = await cache.get_or_synthesize("One moment please.")
    again = await cache.get_or_synthesize("One moment please.")
    assert again is first
    assert speaker.rendered == ["One moment please."]
    assert first.sample_rate == 8_000 and first.duration == len("One moment please.") / 8_000
    assert first.pcm.dtype == np.int16
    with pytest.raises(ValueError):
        first.pcm[0] = 5  # shared by every call: read-only


async def test_the_key_is_the_text_as_spoken() -> None:
    speaker = CountingSpeaker()
    cache = _cache(speaker)
    a = await cache.get_or_synthesize("Call us at 555-0134.")
    b = await cache.get_or_synthesize("Call  us at 555 0134.")
    c = await cache.get_or_synthesize("**Call** us at 555-0134.")
    assert a is b is c
    assert speaker.rendered == ["Call us at five five five, zero one three four."]
    assert cache.get("Call us at 555-0134.") is a
    assert cache.get("Something else.") is None


async def test_each_voice_has_its_own_entry() -> None:
    speaker = CountingSpeaker()
    cache = _cache(speaker)
    await cache.get_or_synthesize("Hello.")
    await cache.get_or_synthesize("Hello.", options=TtsOptions(length_scale=1.2))
    assert len(cache) == 2 and len(speaker.rendered) == 2


async def test_the_cache_is_bounded_least_recently_used_first_and_warmed_phrases_stay() -> None:
    speaker = CountingSpeaker()
    cache = _cache(speaker, max_phrases=2)
    await cache.warm(["Thank you for calling.", "Please hold."])
    for text in ["One.", "Two.", "One.", "Three."]:  # "Two." is the least recently used when "Three." comes
        await cache.get_or_synthesize(text)
    assert cache.get("Two.") is None
    assert cache.get("One.") is not None and cache.get("Three.") is not None
    assert cache.get("Thank you for calling.") is not None and cache.get("Please hold.") is not None
    assert len(cache) == 4


async def test_concurrent_requests_render_a_phrase_once() -> None:
    speaker = CountingSpeaker(delay=0.05)
    cache = _cache(speaker)
    phrases = await asyncio.gather(*(cache.get_or_synthesize("Please hold.") for _ in range(5)))
    assert all(p is phrases[0] for p in phrases)
    assert speaker.rendered == ["Please hold."]


async def test_a_caller_hanging_up_does_not_cancel_the_phrase_for_the_others() -> None:
    speaker = CountingSpeaker(delay=0.05)
    cache = _cache(speaker)
    impatient = asyncio.create_task(cache.get_or_synthesize("Please hold."))
    patient = asyncio.create_task(cache.get_or_synthesize("Please hold."))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert (await patient).spoken == "Please hold."


async def test_a_failed_render_is_not_cached() -> None:
    speaker = CountingSpeaker(fail_on="broken")
    cache = _cache(speaker)
    with pytest.raises(RuntimeError):
        await cache.get_or_synthesize("A broken phrase.")
    assert len(cache) == 0
    speaker.fail_on = None
    assert (await cache.get_or_synthesize("A broken phrase.")).pcm.size > 0


@pytest.mark.slow
async def test_warm_renders_real_speech_with_piper() -> None:
    cache = PhraseCache()
    greeting, hold = await cache.warm(["Thank you for calling, how can I help?", "One moment please."])
    assert greeting.sample_rate == 22_050
    assert 1.0 < greeting.duration < 5.0 and 0.4 < hold.duration < 3.0
    assert await cache.get_or_synthesize("One moment please.") is hold
