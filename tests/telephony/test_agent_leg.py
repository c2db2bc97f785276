"""A softphone caller asks for a person; an agent takes the call and both sides hear each other.

The whole process as ``receptionist serve`` wires it (:func:`receptionist.server.build_server`), through
uvicorn: the caller is a softphone socket speaking espeak-ng, the agent uses the REST API, the push socket
and the audio socket with a bearer token. Audio is checked by what it says (Whisper on what arrived at
each side), not by byte counts.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from websockets.asyncio.client import ClientConnection, connect

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.config import AgentConfig
from receptionist.calls import Role
from receptionist.config.profile import load_profile
from receptionist.config.settings import Settings
from receptionist.server import Server, build_server
from receptionist.storage.repository import CallRepository
from receptionist.voice.session import VoiceModels
from receptionist.voice.stt import get_transcriber
from tests.fakes.softphone_client import RATE, Browser
from tests.fakes.speech import espeak
from tests.fakes.twilio_client import running_server
from tests.helpers import DENTAL, SOFTWARE

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("needs_espeak"), pytest.mark.timeout(300)]

TENANT = "bright-smile-dental"
FRAME = RATE // 50


def speech(text: str) -> npt.NDArray[np.int16]:
    return (espeak(text, rate=RATE) * 32767).astype(np.int16)


def heard(models: VoiceModels, pcm: bytes) -> str:
    audio = np.frombuffer(pcm, dtype=np.int16)
    return get_transcriber(models.options.stt).transcribe(audio, RATE).lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


class Agent:
    """The agent's console, minus the page: push socket, audio socket, REST calls."""

    def __init__(self, http: httpx.AsyncClient, ws_base: str, token: str) -> None:
        self.http, self.ws_base, self.token = http, ws_base, token
        self.events: list[dict[str, Any]] = []
        self.audio = bytearray()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, path: str) -> Any:
        response = await self.http.post(f"/api/agent{path}", headers=self.headers)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def follow(self, ws: ClientConnection, *, audio: bool = False) -> None:
        async def run() -> None:
            async for message in ws:
                if isinstance(message, bytes):
                    self.audio.extend(message)
                else:
                    self.events.append(json.loads(message))

        self._tasks.append(asyncio.create_task(run()))

    async def event(self, kind: str, *, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events:
                if e["type"] == kind:
                    return e
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no {kind} event; got {[e['type'] for e in self.events]}")

    async def send_speech(self, ws: ClientConnection, pcm: npt.NDArray[np.int16]) -> None:
        """The agent's microphone: 20 ms frames in real time."""
        started = time.monotonic()
        for n, start in enumerate(range(0, pcm.size, FRAME)):
            await asyncio.sleep(max(0.0, started + n * 0.02 - time.monotonic()))
            await ws.send(pcm[start : start + FRAME].tobytes())


@asynccontextmanager
async def served(tmp_path: Path, models: VoiceModels, token: str) -> AsyncIterator[tuple[Server, str]]:
    agents = AgentDirectory(
        [
            AgentAccount(
                AgentConfig(agent_id="alex", tenants=frozenset({TENANT}), name="Alex"),
                bytes.fromhex(hash_token(token)),
            )
        ]
    )
    settings = Settings(data_dir=tmp_path, max_calls=2)
    server = build_server(
        settings,
        [load_profile(DENTAL), load_profile(SOFTWARE)],
        agents=agents,
        demo=False,
        models=lambda: models,
    )
    async with running_server(server.app) as running:
        yield server, running.http


async def test_an_agent_takes_a_softphone_call_and_both_sides_hear_each_other(
    tmp_path: Path, models: VoiceModels
) -> None:
    token = new_token()
    async with served(tmp_path, models, token) as (server, base), httpx.AsyncClient(base_url=base) as http:
        ws_base = base.replace("http://", "ws://")
        agent = Agent(http, ws_base, token)
        async with connect(f"{ws_base}/api/agent/ws", additional_headers=agent.headers) as push:
            agent.follow(push)
            await agent.post("/login")
            grant = (await http.post("/softphone/token", json={"tenant_id": TENANT})).json()
            async with connect(grant["ws_url"]) as ws:
                caller = Browser(ws)
                caller.start()
                await caller.next_event("started")
                await caller.quiet(4.0)  # the greeting
                await caller.speak(speech("Hello. I would like to speak to a person, please."))
                offer = (await agent.event("offer"))["offer"]
                assert offer["tenant_id"] == TENANT and offer["briefing"] is not None
                briefing = offer["briefing"]
                assert "person" in " ".join(t["text"] for t in briefing["transcript"]).lower()
                call_id = offer["call_id"]
                await agent.post(f"/offers/{offer['offer_id']}/accept")
                await agent.event("connected")
                await caller.quiet(3.0)  # "putting you through"
                async with connect(
                    f"{ws_base}/api/agent/calls/{call_id}/audio", additional_headers=agent.headers
                ) as audio:
                    agent.follow(audio, audio=True)
                    await caller.send_pcm(speech("My name is Dana, and I have a question about my bill."))
                    await caller.quiet(2.0)
                    said = await agent.event("caller_said")
                    # the live transcript on the agent's side, and the caller's voice itself (content words;
                    # tiny.en may hear espeak's "bill" as "wheel")
                    assert {"question", "bill", "dana"} & set(words(said["text"])), said
                    arrived = heard(models, bytes(agent.audio))
                    assert {"question", "bill", "dana"} & set(words(arrived)), arrived
                    before = len(b"".join(caller.audio))
                    answer = asyncio.create_task(caller.quiet(6.0))
                    await agent.send_speech(audio, speech("Hello Dana, this is Alex from the front desk."))
                    await answer
                    to_caller = b"".join(caller.audio)[before:]
                    assert "front desk" in heard(models, to_caller)  # the agent's voice reached the caller
                    echoed = await agent.event("agent_said", timeout=20)  # the console's own transcript
                    assert "desk" in echoed["text"].lower()
                await agent.post(f"/calls/{call_id}/complete")
                await asyncio.wait_for(caller.closed.wait(), 20)
            # the call's latencies reached /metrics: the caller's turn transcribed, the receptionist's reply
            scraped = (await http.get("/metrics")).text
            for histogram in ("receptionist_voice_to_voice_seconds", "receptionist_stt_seconds"):
                count = re.search(rf"^{histogram}_count (\S+)$", scraped, re.MULTILINE)
                assert count is not None and float(count.group(1)) >= 1, histogram
                total = re.search(rf"^{histogram}_sum (\S+)$", scraped, re.MULTILINE)
                assert total is not None and 0 < float(total.group(1)) < 30 * float(count.group(1)), histogram
        assert server.receptionist.db is not None
        record = CallRepository(server.receptionist.db, TENANT).get(call_id)
        assert record is not None
        roles = {t.role for t in record.turns}
        assert Role.AGENT in roles, [(t.role, t.text) for t in record.turns]
        agent_words = " ".join(t.text for t in record.turns if t.role is Role.AGENT).lower()
        assert "front desk" in agent_words
