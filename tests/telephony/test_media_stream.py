"""Twilio Media Streams calls: the sink and reservations on their own, then whole calls through uvicorn.

The slow tests run the app on 127.0.0.1 with a real switchboard on the dental profile (SQLite in
``tmp_path``), answer the signed webhook, and connect a protocol-faithful fake Twilio
(``tests/fakes/twilio_client.py``) that streams an espeak-ng caller in real time and plays the reply.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.app import Receptionist
from receptionist.calls import Outcome, Role
from receptionist.storage.records import CallRecord
from receptionist.storage.repository import CallRepository
from receptionist.telephony import mulaw
from receptionist.telephony.media_stream import Reservations, SocketClosed, StreamOptions, TwilioSink
from receptionist.telephony.switchboard import LineBusy, Switchboard
from receptionist.telephony.tokens import TokenSigner
from receptionist.telephony.twilio import compute_signature
from receptionist.voice.session import PRESSED_ZERO, VoiceModels
from receptionist.web.app import create_app
from receptionist.web.voice_routes import voice_router
from tests.fakes.speech import InvoiceCaller, Keys, espeak, sounds_like
from tests.fakes.twilio_client import FakeTwilioCall, RunningServer, running_server
from tests.helpers import build

PUBLIC = "https://rx.example.test"
AUTH_TOKEN = "twilio-auth-token"
DENTAL_NUMBER = "+16175550142"
CALLER_ID = "+16175550123"
TENANT = "bright-smile-dental"


# -- the sink and the reservations, on an in-memory socket -----------------------------------------------


class MemorySocket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: tuple[int, str] | None = None

    async def receive_text(self) -> str:
        raise SocketClosed

    async def send_text(self, data: str) -> None:
        if self.closed_with is not None:
            raise SocketClosed
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = (code, reason)


def tone(samples: int, rate: int = 8000) -> npt.NDArray[np.int16]:
    t = np.arange(samples) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


async def test_the_sink_sends_whole_20ms_mulaw_frames_and_a_mark_per_segment() -> None:
    ws = MemorySocket()
    sink = TwilioSink(ws, "MZ1")
    pcm = tone(250)
    await sink.play(pcm[:100].tobytes())  # less than a frame: nothing yet
    assert ws.sent == []
    await sink.play(pcm[100:].tobytes())
    await sink.segment_end()
    assert [m["event"] for m in ws.sent] == ["media", "media", "mark"]
    assert all(m["streamSid"] == "MZ1" for m in ws.sent)
    payloads = [base64.b64decode(m["media"]["payload"], validate=True) for m in ws.sent[:2]]
    assert [len(p) for p in payloads] == [160, 160]  # the last frame padded with µ-law silence
    decoded = mulaw.decode(b"".join(payloads))
    assert np.abs(decoded[:250].astype(int) - pcm.astype(int)).max() < 300  # µ-law quantisation
    assert np.all(decoded[250:] == 0)
    assert sink.unplayed_marks == 1 and not await sink.drained(0.01)
    sink.played(ws.sent[2]["mark"]["name"])
    assert await sink.drained(0.01)


async def test_clearing_drops_the_partial_frame_and_tells_twilio() -> None:
    ws = MemorySocket()
    sink = TwilioSink(ws, "MZ1")
    await sink.play(tone(100).tobytes())
    await sink.clear()
    await sink.segment_end()
    assert [m["event"] for m in ws.sent] == ["clear", "mark"]  # the cleared samples are never sent


async def test_a_sink_whose_socket_is_gone_stays_quiet() -> None:
    ws = MemorySocket()
    ws.closed_with = (1006, "")
    sink = TwilioSink(ws, "MZ1")
    await sink.play(tone(320).tobytes())  # no exception into the voice pipeline
    assert sink.closed and not await sink.drained(1.0)


async def test_a_reservation_is_claimed_by_its_stream_or_expires() -> None:
    # admission only, no calls: the switchboard needs no receptionist or models for this
    switchboard = Switchboard(None, capacity=2, models=lambda: None)  # type: ignore[arg-type,return-value]
    reservations = Reservations(switchboard, timeout_s=0.05)
    reservations.hold("CA1")
    reservations.hold("CA1")  # the webhook again for the same call
    reservations.hold("CA2")
    assert switchboard.in_progress == 2
    with pytest.raises(LineBusy):
        reservations.hold("CA3")
    assert reservations.claim("CA1") and not reservations.claim("CA1")
    assert switchboard.in_progress == 2  # CA1's line is now its call's, released by ``answer``
    await asyncio.sleep(0.1)
    assert len(reservations) == 0 and switchboard.in_progress == 1  # CA2 never came


# -- whole calls over a real socket (slow: real speech models) -------------------------------------------------


def caller_says(text: str, *, wpm: int = 150) -> npt.NDArray[np.int16]:
    """espeak-ng speech at 8 kHz, as a phone line carries it."""
    return (espeak(text, rate=8000, wpm=wpm) * 32767).astype(np.int16)


@dataclass
class Phone:
    server: RunningServer
    receptionist: Receptionist
    switchboard: Switchboard

    async def dial(self, call_sid: str = "CA" + "c" * 32, **call: Any) -> FakeTwilioCall:
        """Twilio's webhook (signed), then the stream the TwiML names, to this server."""
        params = {"CallSid": call_sid, "AccountSid": "AC" + "1" * 32, "From": CALLER_ID, "To": DENTAL_NUMBER}
        signature = compute_signature(AUTH_TOKEN, PUBLIC + "/twilio/voice", params)
        async with httpx.AsyncClient(base_url=self.server.http) as http:
            response = await http.post(
                "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
            )
        assert response.status_code == 200, response.text
        stream = ET.fromstring(response.text).find("./Connect/Stream")
        assert stream is not None and stream.get("url") == "wss://rx.example.test/twilio/media"
        token = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}["token"]
        fake = FakeTwilioCall(f"{self.server.ws}/twilio/media", token=token, call_sid=call_sid, **call)
        return await fake.connect()

    def stored(self) -> list[CallRecord]:
        assert self.receptionist.db is not None
        repo = CallRepository(self.receptionist.db, TENANT)
        records = [repo.get(row.id) for row in repo.list(limit=10)]
        return [r for r in records if r is not None]

    async def wait_stored(self, timeout: float = 30.0) -> CallRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [r for r in self.stored() if r.call.outcome is not None]
            if done:
                return done[0]
            await asyncio.sleep(0.2)
        raise TimeoutError("the call was not stored with an outcome")


@contextlib.asynccontextmanager
async def phone_line(
    tmp_path: Path, models: VoiceModels, *, options: StreamOptions | None = None
) -> AsyncIterator[Phone]:
    rx = build(tmp_path, public_url=PUBLIC, twilio_auth_token=AUTH_TOKEN)
    switchboard = Switchboard(rx, capacity=2, models=lambda: models)
    router = voice_router(switchboard, TokenSigner(ttl_s=30), rx.settings, stream_options=options)
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    app = create_app(service=service, agents=AgentDirectory([]), voice=router)
    async with running_server(app) as server:
        try:
            yield Phone(server, rx, switchboard)
        finally:
            await switchboard.hang_up_all()


@pytest.mark.slow
@pytest.mark.usefixtures("needs_espeak")
@pytest.mark.timeout(400)
async def test_a_twilio_call_takes_a_message_about_an_invoice(tmp_path: Path, models: VoiceModels) -> None:
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        await call.wait_until_quiet(settle_s=0.8)  # the greeting has played
        line = phone.switchboard.lines[0]
        caller = InvoiceCaller()
        while not call.closed.is_set():
            asked = next(
                t.text for t in reversed(line.conversation.call.turns) if t.role is Role.RECEPTIONIST
            )
            reply = caller.answer(asked)
            if reply is None:
                break
            if isinstance(reply, Keys):
                await call.key_in(reply.keys, settle_s=1.0)
                continue
            # espeak's robotic voice through a 3.4 kHz µ-law channel: a caller who speaks clearly on the
            # phone (130 words a minute, a number read out again more slowly) stays intelligible to tiny.en
            wpm = 130 if caller.tries <= 1 else 110
            await call.speak(caller_says(reply, wpm=wpm), settle_s=1.0)
        with contextlib.suppress(TimeoutError):  # the assertions below say what went wrong
            await call.wait_closed(60)
        record = await phone.wait_stored()
    print("\nreply starts after each caller turn:", [f"{w * 1000:.0f} ms" for w in call.reply_delays()])
    print("\n".join(["the line:", *call.timeline()]))
    print(f"number said aloud {caller.tries} time(s); keyed in: {caller.keyed}")

    assert call.close_code == 1000, (call.close_code, call.close_reason)  # the receptionist said goodbye
    # the receptionist's voice came back as valid 8 kHz µ-law: 20 ms frames of 160 bytes, base64
    payloads = call.media_payloads()
    assert len(payloads) > 50 * 15  # well over 15 s of speech over the call
    assert {len(p) for p in payloads} == {160}
    assert all(o.message["streamSid"] == call.stream_sid for o in call.events("media"))
    audio = call.received_audio()
    assert np.abs(audio).max() > 3000 and np.sqrt(np.mean(audio.astype(float) ** 2)) > 300
    # every reply ended with a mark, and Twilio's echoes confirmed it played
    marks = {o.message["mark"]["name"] for o in call.events("mark")}
    assert len(marks) >= caller.turns - 1 and set(call.marks_echoed) >= marks
    # the call, as stored
    stored = record.call
    transcript = "\n".join(f"{t.role.value}: {t.text}" for t in record.turns)
    print(transcript)
    assert stored.caller_number == CALLER_ID and stored.channel == "twilio"
    assert stored.concern == "billing", transcript
    assert stored.outcome is Outcome.MESSAGE_TAKEN, transcript
    # "John Carter", or a near spelling of it (see sounds_like)
    assert record.message is not None and sounds_like(record.message.name, "John Carter"), transcript
    # the number the caller gave, not the caller ID: said aloud (tiny.en may hear "five" as "time" on
    # 8 kHz µ-law; the brain reads such words as digits inside a run of digits), or, if the line lost a
    # digit on every try, keyed in when the receptionist offered the keypad
    assert caller.tries >= 1 and record.message.phone == "+14155550134", transcript
    assert not caller.keyed or any(t.text == "(keyed in) 4155550134" for t in record.turns), transcript


@pytest.mark.slow
@pytest.mark.usefixtures("needs_espeak")
@pytest.mark.timeout(300)
async def test_speaking_over_the_greeting_clears_twilios_buffer(tmp_path: Path, models: VoiceModels) -> None:
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio(keep_line_open=False)
        await asyncio.sleep(0.5)  # half a second into the greeting
        spoke_at = await call.stream(caller_says("Sorry, I need to talk to somebody about my bill please."))
        deadline = time.monotonic() + 10
        while not call.clears and time.monotonic() < deadline:
            await call.silence(0.1)
        assert call.clears, "no clear was sent"
        delay = call.clears[0] - spoke_at
        print(f"\nbarge-in: clear {delay * 1000:.0f} ms after the caller started speaking")
        assert delay < 3.0
        # the greeting was cut short: less of it played than was sent
        assert call.played_audio().size < call.received_audio().size
        await call.stop()
        await call.wait_closed(30)
        record = await phone.wait_stored()
    assert record.call.outcome is not None


@pytest.mark.slow
@pytest.mark.usefixtures("needs_espeak")
@pytest.mark.timeout(300)
async def test_malformed_messages_mid_call_are_logged_and_ignored(
    tmp_path: Path, models: VoiceModels, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="receptionist.telephony.media_stream")
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        await call.wait_until_quiet(settle_s=0.5)
        media: dict[str, Any] = {"event": "media", "streamSid": call.stream_sid, "sequenceNumber": "9",
                 "media": {"track": "inbound", "chunk": "9", "timestamp": "180"}}  # fmt: skip
        junk = [
            "{not json",
            json.dumps({"event": "bogus", "streamSid": call.stream_sid}),
            json.dumps({**media, "media": {**media["media"], "payload": "@@not base64@@"}}),
            json.dumps({**media, "media": {**media["media"], "payload": base64.b64encode(b"\xff" * 20_000).decode()}}),
            json.dumps([1, 2, 3]),
            json.dumps({**media, "streamSid": "MZ-another-stream", "media": {**media["media"], "payload": ""}}),
            "x" * 70_000,
        ]  # fmt: skip
        for text in junk:
            await call.send_raw(text)
            await call.silence(0.06)
        assert await call.speak(caller_says("What are your opening hours?"))
        await call.stop()
        await call.wait_closed(30)
        record = await phone.wait_stored()
    caller_said = " ".join(t.text.lower() for t in record.turns if t.role.value == "caller")
    assert "hours" in caller_said  # the call went on after the junk
    assert record.call.outcome is not None
    ignored = [r for r in caplog.records if "ignoring malformed message" in r.getMessage()]
    assert len(ignored) == len(junk)
    assert any("larger than" in r.getMessage() for r in ignored)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_flood_of_malformed_messages_ends_the_call_with_an_outcome(
    tmp_path: Path, models: VoiceModels
) -> None:
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        for _ in range(50):
            await call.send_raw('{"event": "nonsense"}')
        await call.wait_closed(30)
        record = await phone.wait_stored()
    assert (call.close_code, call.close_reason) == (1008, "too many malformed messages")
    assert record.call.outcome is Outcome.ABANDONED


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_socket_that_drops_mid_call_still_stores_the_call(
    tmp_path: Path, models: VoiceModels
) -> None:
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        await call.drop()
        record = await phone.wait_stored()
        assert phone.switchboard.lines == []
    assert record.call.outcome is Outcome.ABANDONED
    assert [t.role.value for t in record.turns] == ["receptionist"]  # the greeting


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_silent_caller_is_hung_up_on_and_the_call_stored(
    tmp_path: Path, models: VoiceModels, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="receptionist.telephony.media_stream")
    async with phone_line(tmp_path, models, options=StreamOptions(silence_timeout_s=3.0)) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        deadline = time.monotonic() + 60
        while not call.closed.is_set() and time.monotonic() < deadline:
            await call.silence(0.2)  # the line stays open, nobody speaks
        assert call.closed.is_set(), "the silent call was not ended"
        record = await phone.wait_stored()
    assert call.close_code == 1000
    assert any("said nothing" in r.getMessage() for r in caplog.records)  # the server ended it
    assert record.call.outcome is Outcome.ABANDONED
    assert [t.role.value for t in record.turns] == ["receptionist"]


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_pressing_zero_on_the_phone_asks_for_a_person(tmp_path: Path, models: VoiceModels) -> None:
    async with phone_line(tmp_path, models) as phone:
        call = await phone.dial()
        await call.wait_for_audio()
        await call.wait_until_quiet(settle_s=0.5)
        greeting_frames = len(call.events("media"))
        await call.dtmf("0")
        await call.wait_for_audio_after(greeting_frames)
        await call.wait_until_quiet(settle_s=0.5)
        await call.stop()
        await call.wait_closed(30)
        record = await phone.wait_stored()
    turns = [(t.role.value, t.text) for t in record.turns]
    assert turns[1] == ("caller", PRESSED_ZERO)
    assert turns[2][0] == "receptionist" and "message" in turns[2][1]  # no ACD here: a message is offered
