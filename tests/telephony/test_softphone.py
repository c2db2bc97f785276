"""The browser softphone's socket through uvicorn: 16 kHz PCM both ways, JSON control and events.

The "browser" here is a websockets client that sends espeak-ng speech in 20 ms frames in real time, as
the page's AudioWorklet does, and plays what comes back on a real-time clock (``clear`` stops it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect

from receptionist.calls import Outcome
from receptionist.storage.repository import CallRepository
from receptionist.telephony.softphone import SoftphoneOptions
from receptionist.telephony.switchboard import Switchboard
from receptionist.telephony.tokens import TokenSigner
from receptionist.voice.session import PRESSED_ZERO, VoiceModels
from receptionist.web.voice_routes import voice_router
from tests.fakes.softphone_client import RATE, Browser
from tests.fakes.speech import espeak
from tests.fakes.twilio_client import running_server
from tests.helpers import build

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("needs_espeak"), pytest.mark.timeout(300)]

TENANT = "bright-smile-dental"


@pytest.fixture(scope="module")
def models() -> VoiceModels:
    return VoiceModels.load()


def speech(text: str) -> npt.NDArray[np.int16]:
    return (espeak(text, rate=RATE) * 32767).astype(np.int16)


@dataclass
class Site:
    http: str
    receptionist: Any

    @contextlib.asynccontextmanager
    async def call(self, business: dict[str, str]) -> AsyncIterator[Browser]:
        async with httpx.AsyncClient(base_url=self.http) as client:
            grant = (await client.post("/softphone/token", json=business)).json()
        assert grant["sample_rate"] == RATE and grant["ws_url"].startswith("ws://127.0.0.1:")
        async with connect(grant["ws_url"]) as ws:
            browser = Browser(ws)
            browser.start()
            yield browser


@contextlib.asynccontextmanager
async def softphone_site(tmp_path: Path, models: VoiceModels) -> AsyncIterator[Site]:
    rx = build(tmp_path)  # no public_url: the socket's URL comes from the request
    switchboard = Switchboard(rx, capacity=2, models=lambda: models)
    app = FastAPI()
    options = SoftphoneOptions(silence_timeout_s=30)
    app.include_router(voice_router(switchboard, TokenSigner(), rx.settings, softphone_options=options))
    async with running_server(app) as server:
        try:
            yield Site(server.http, rx)
        finally:
            await switchboard.hang_up_all()


async def test_a_browser_call_gets_spoken_answers_and_an_ended_event(
    tmp_path: Path, models: VoiceModels
) -> None:
    async with softphone_site(tmp_path, models) as site, site.call({"tenant_id": TENANT}) as browser:
        started = await browser.next_event("started")
        assert started["sample_rate"] == RATE and started["business"] == "Bright Smile Dental"
        await browser.next_event("segment_end")  # the greeting was sent whole
        await browser.speak(speech("Hi, what are your opening hours?"))
        await browser.speak(speech("no, that is all, thank you, goodbye"))
        await asyncio.wait_for(browser.closed.wait(), 60)

    ended = browser.of("ended")
    assert len(ended) == 1 and ended[0]["outcome"] in {o.value for o in Outcome}
    assert browser.close_code == 1000
    assert all(len(chunk) % 2 == 0 for chunk in browser.audio)
    pcm = np.frombuffer(b"".join(browser.audio), dtype="<i2")
    assert pcm.size > RATE * 5 and np.abs(pcm).max() > 3000  # seconds of speech at 16 kHz
    said = [(e["role"], e["text"]) for e in browser.of("transcript")]
    assert said[0][0] == "receptionist" and any(r == "caller" and "hour" in t.lower() for r, t in said)
    assert said[-1][0] == "receptionist" and "goodbye" in said[-1][1].lower()
    rows = CallRepository(site.receptionist.db, TENANT).list(limit=5)
    assert len(rows) == 1 and rows[0].channel == "softphone" and rows[0].outcome == ended[0]["outcome"]
    assert rows[0].id == started["call_id"] == ended[0]["call_id"]


async def test_bad_frames_are_refused_and_pressing_zero_asks_for_a_person(
    tmp_path: Path, models: VoiceModels
) -> None:
    async with softphone_site(tmp_path, models) as site, site.call({"number": "+1 617 555 0142"}) as browser:
        await browser.next_event("segment_end")  # the greeting
        bad: list[str | bytes] = [
            b"\x00" * 321,  # odd length: not 16-bit PCM
            b"\x00" * 40_000,  # too long for one frame
            b"",
            "not json",
            json.dumps({"type": "dance"}),
            json.dumps({"type": "dtmf", "digit": "x"}),
        ]
        for frame in bad:
            await browser.ws.send(frame)
        await browser.quiet(0.5)
        errors = browser.of("error")
        assert len(errors) == len(bad)
        assert "even number of bytes" in errors[0]["message"] and "at most" in errors[1]["message"]

        heard_before = len(browser.of("segment_end"))
        await browser.send_json({"type": "dtmf", "digit": "0"})
        await browser.next_event("segment_end", after=heard_before, timeout=60)  # the answer to the key
        await browser.quiet(1.0)
        await browser.send_json({"type": "hangup"})
        await asyncio.wait_for(browser.closed.wait(), 30)

    said = [(e["role"], e["text"]) for e in browser.of("transcript")]
    print("\n" + "\n".join(f"{r}: {t}" for r, t in said) + f"\noutcome: {browser.of('ended')}")
    assert ("caller", PRESSED_ZERO) in said
    answer = said[said.index(("caller", PRESSED_ZERO)) + 1]
    assert answer[0] == "receptionist"
    # no ACD is attached: nobody can take the call, so the receptionist offers to take a message
    assert "message" in answer[1].lower()
    [ended] = browser.of("ended")
    assert ended["outcome"] == Outcome.ABANDONED.value  # hung up before leaving one
    assert browser.close_code == 1000
