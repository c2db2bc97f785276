"""Whole voice calls through the real pipeline (Silero → Whisper → offline brain → Piper), no server.

The caller is espeak-ng (never the receptionist's own voice). Calls run ``fast``: each caller turn is fed
as soon as the previous reply has been heard, so these tests take seconds per turn, not real time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from receptionist.calls import CallSummary, Outcome
from receptionist.conversation import Conversation
from receptionist.storage.repository import CallRepository
from receptionist.telephony.livekit_worker import handle_job
from receptionist.telephony.wavfile import CollectedAudio, call_from_wav, split_turns, write_wav
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.session import VoiceCall, VoiceModels
from tests.fakes.speech import INVOICE_CALL, conversation, espeak, silence, sounds_like
from tests.helpers import DENTAL, ROOT, build

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("needs_espeak")]


def _wav(tmp_path: Path, turns: list[str], gap_s: float = 1.5, wpm: int = 150) -> Path:
    audio, _spans = conversation(turns, gap_s=gap_s, wpm=wpm)
    path = tmp_path / "caller.wav"
    write_wav(path, (audio * 32767).astype(np.int16), 16_000)
    return path


def test_turns_are_split_at_silences() -> None:
    audio, spans = conversation(["Good morning.", "I need to move my appointment."], gap_s=1.2)
    turns = split_turns(audio, 16_000)
    assert len(turns) == len(spans)
    assert split_turns(silence(3.0), 16_000) == []


async def test_a_file_call_takes_a_message_with_an_e164_number(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    conv = rx.conversation("bright-smile-dental", channel="file")
    # a WAV cannot answer back, so the caller speaks clearly (130 words a minute) to be understood first time
    result = await call_from_wav(conv, _wav(tmp_path, INVOICE_CALL, wpm=130), models=models, fast=True)
    call = conv.call
    transcript = "\n".join(f"{t.role.value}: {t.text}" for t in call.turns)
    assert call.concern == "billing", transcript
    assert call.outcome is Outcome.MESSAGE_TAKEN, transcript
    assert call.message is not None and call.message.phone == "+14155550134"
    # "John Carter", or a near spelling of it (see sounds_like)
    assert sounds_like(call.message.name, "John Carter"), call.message.name
    # the receptionist spoke: several seconds of non-silent 16 kHz audio
    assert result.audio.size > 16_000 * 10 and np.abs(result.audio).max() > 1_000
    assert rx.db is not None
    stored = CallRepository(rx.db, "bright-smile-dental").get(call.id)
    assert stored is not None and stored.call.outcome is Outcome.MESSAGE_TAKEN


def test_cli_call_json_prints_exactly_one_object(tmp_path: Path) -> None:
    wav = _wav(tmp_path, ["Hi, what are your opening hours?", "no, that's all, goodbye"])
    proc = subprocess.run(
        [sys.executable, "-m", "receptionist.cli", "call", str(wav), "--profile", str(DENTAL), "--fast",
         "--json", "--out", str(tmp_path / "reply.wav")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={"RECEPTIONIST_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)  # one object, nothing else on stdout
    assert set(data) >= {"turns", "concern", "outcome", "message"}
    assert data["turns"][0]["role"] == "receptionist"
    assert any(t["role"] == "caller" and "hour" in t["text"].lower() for t in data["turns"])
    assert data["outcome"] in {o.value for o in Outcome}
    assert data["message"] is None
    assert (tmp_path / "reply.wav").stat().st_size > 44


def test_cli_call_refuses_a_file_that_is_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    proc = subprocess.run(
        [sys.executable, "-m", "receptionist.cli", "call", str(bad), "--profile", str(DENTAL), "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"RECEPTIONIST_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "not a readable WAV" in proc.stderr
    assert proc.stdout == ""


async def test_silence_only_ends_with_a_recorded_outcome(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    conv = rx.conversation("bright-smile-dental", channel="file")
    path = tmp_path / "silence.wav"
    write_wav(path, np.zeros(16_000 * 4, dtype=np.int16), 16_000)
    await call_from_wav(conv, path, models=models, fast=True)
    assert conv.call.outcome is not None
    assert [t.role.value for t in conv.call.turns] == ["receptionist"]  # only the greeting


async def test_a_long_monologue_is_transcribed_and_the_call_ends(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    conv = rx.conversation("bright-smile-dental", channel="file")
    sentence = espeak("I keep getting charged for a cleaning that I never had and I would like that fixed")
    repeats = round(600 / (sentence.size / 16_000))  # ten minutes with no pause long enough to end a turn
    monologue = np.concatenate([sentence] * repeats)
    path = tmp_path / "monologue.wav"
    write_wav(path, (monologue * 32767).astype(np.int16), 16_000)
    await call_from_wav(conv, path, models=models, fast=True)
    caller_text = conv.call.caller_text.lower()
    # fed all at once, the whole ten minutes reaches speech-to-text (sentence by sentence, answered as it
    # goes) before the call ends
    assert caller_text.count("charged") >= repeats * 9 // 10, (caller_text.count("charged"), repeats)
    assert conv.call.outcome is not None


@dataclass
class _FakeParticipant:
    attributes: dict[str, str]


@dataclass
class _FakeJob:
    metadata: str = ""


@dataclass
class _FakeJobContext:
    """The parts of ``livekit.agents.JobContext`` the entry point uses."""

    participant: _FakeParticipant
    job: _FakeJob = field(default_factory=_FakeJob)
    room: Any = None
    connected: bool = False
    shutdown_reason: str | None = None

    async def connect(self) -> None:
        self.connected = True

    async def wait_for_participant(self) -> _FakeParticipant:
        return self.participant

    def shutdown(self, reason: str = "") -> None:
        self.shutdown_reason = reason


async def test_worker_entry_point_runs_the_same_session_over_an_audio_pair(
    tmp_path: Path, models: VoiceModels
) -> None:
    rx = build(tmp_path)
    ctx = _FakeJobContext(
        _FakeParticipant({"sip.trunkPhoneNumber": "+16175550142", "sip.phoneNumber": "+16175550123"})
    )
    caller = CallerAudio(16_000)
    sink = CollectedAudio(sample_rate=16_000, realtime=False)
    output = ReceptionistAudio(sink, 16_000, realtime=False)

    async def caller_side() -> None:
        for n, text in enumerate(["Where is your office?", "no, that is all, thank you, goodbye"], start=1):
            while len(sink.first_audio_at) < n:  # wait for the greeting, then for each reply
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            caller.push(espeak(text))
            caller.push_silence(1.5)

    speaker = asyncio.create_task(caller_side())
    summary = await asyncio.wait_for(handle_job(ctx, rx, models, audio=(caller, output)), timeout=180)
    speaker.cancel()
    assert ctx.connected and ctx.shutdown_reason == "call ended"
    assert summary is not None
    assert rx.db is not None
    rows = CallRepository(rx.db, "bright-smile-dental").list(limit=5)
    assert len(rows) == 1 and rows[0].channel == "sip"
    stored = CallRepository(rx.db, "bright-smile-dental").get(rows[0].id)
    assert stored is not None and stored.call.caller_number == "+16175550123"
    assert "harbor" in " ".join(t.text.lower() for t in stored.turns)  # the office address was given


@dataclass
class _FakeRoom:
    """A room's event registration, as ``rtc.Room.on``; the test fires the events."""

    handlers: dict[str, list[Any]] = field(default_factory=dict)

    def on(self, event: str, callback: Any) -> None:
        self.handlers.setdefault(event, []).append(callback)

    def emit(self, event: str, payload: Any) -> None:
        for callback in self.handlers.get(event, []):
            callback(payload)


@dataclass
class _SipDtmf:  # the fields of rtc.SipDTMF the worker reads
    code: int
    digit: str


async def test_a_sip_caller_keys_in_the_callback_number(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    room = _FakeRoom()
    ctx = _FakeJobContext(
        _FakeParticipant({"sip.trunkPhoneNumber": "+16175550142", "sip.phoneNumber": "+16175550123"}),
        room=room,
    )
    caller = CallerAudio(16_000)
    sink = CollectedAudio(sample_rate=16_000, realtime=False)
    output = ReceptionistAudio(sink, 16_000, realtime=False)

    async def reply(n: int) -> None:  # wait for the n-th speech from the receptionist, then a pause
        while len(sink.first_audio_at) < n:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)

    async def caller_side() -> None:
        for n, text in enumerate(
            ["I would like to leave a message about my bill.", "My name is Dana Whitfield."], 1
        ):
            await reply(n)
            caller.push(espeak(text))
            caller.push_silence(1.5)
        await reply(3)  # "... is the number you're calling from ... the best one?": keys instead
        for key in "6175550188#":
            room.emit("sip_dtmf_received", _SipDtmf(code=0, digit=key))
            caller.push_silence(0.2)
        for n, text in enumerate(["yes", "any time", "no, that is all, thank you, goodbye"], 4):
            await reply(n)  # the number read back; when to call; anything else
            caller.push(espeak(text))
            caller.push_silence(1.5)

    speaker = asyncio.create_task(caller_side())
    summary = await asyncio.wait_for(handle_job(ctx, rx, models, audio=(caller, output)), timeout=240)
    speaker.cancel()
    assert summary is not None and rx.db is not None
    rows = CallRepository(rx.db, "bright-smile-dental").list(limit=5)
    stored = CallRepository(rx.db, "bright-smile-dental").get(rows[0].id)
    assert stored is not None
    transcript = "\n".join(f"{t.role.value}: {t.text}" for t in stored.turns)
    keyed = [i for i, t in enumerate(stored.turns) if t.text == "(keyed in) 6175550188"]
    assert keyed, transcript
    read_back = stored.turns[keyed[0] + 1].text
    assert "six one seven, five five five, zero one eight eight" in read_back and "right" in read_back, (
        transcript
    )
    assert stored.message is not None and stored.message.phone == "+16175550188", transcript


async def test_worker_refuses_an_unknown_number(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    ctx = _FakeJobContext(_FakeParticipant({"sip.trunkPhoneNumber": "+15005550006"}))
    assert await handle_job(ctx, rx, models, audio=(CallerAudio(16_000), _null_output())) is None
    assert ctx.shutdown_reason == "unknown number"


def _null_output() -> ReceptionistAudio:
    return ReceptionistAudio(CollectedAudio(sample_rate=16_000, realtime=False), 16_000, realtime=False)


async def test_pressing_zero_asks_for_a_person(tmp_path: Path, models: VoiceModels) -> None:
    rx = build(tmp_path)
    conv = rx.conversation("bright-smile-dental", channel="file")
    caller = CallerAudio(16_000)
    line = VoiceCall(conv, caller=caller, output=_null_output(), models=models)
    runner = asyncio.create_task(line.run())
    assert await line.wait_heard(1, timeout=60)
    await line.press("0")
    assert await line.wait_heard(2, timeout=60)
    line.hang_up()
    await runner
    caller_turns = [t.text for t in conv.call.turns if t.role.value == "caller"]
    assert caller_turns and "pressed 0" in caller_turns[0]
    assert conv.call.escalation is not None or conv.call.outcome in (Outcome.MESSAGE_TAKEN, Outcome.ABANDONED)


def _quiet_line(
    tmp_path: Path, models: VoiceModels, *, reprompt_s: float
) -> tuple[Conversation, VoiceCall, asyncio.Task[CallSummary]]:
    """A call running on a line where the caller says nothing; reprompts come after ``reprompt_s``."""
    conv = build(tmp_path).conversation("bright-smile-dental", channel="file")
    line = VoiceCall(conv, caller=CallerAudio(16_000), output=_null_output(), models=models)
    line.reprompt_s = reprompt_s
    return conv, line, asyncio.create_task(line.run())


async def test_a_silent_caller_is_asked_again_twice_then_left_to_the_silence_timeout(
    tmp_path: Path, models: VoiceModels
) -> None:
    conv, line, runner = _quiet_line(tmp_path, models, reprompt_s=1.0)
    assert await line.wait_heard(1, timeout=60)  # the greeting
    assert await line.wait_heard(3, timeout=30)  # asked again, twice
    await asyncio.sleep(2.5)  # no third time
    line.hang_up()
    await runner
    said = [t.text for t in conv.call.turns if t.role.value == "receptionist"]
    assert len(said) == 3, said
    assert said[1] == "Are you still there? How can I help you today?", said
    assert said[2].endswith("How can I help you today?") and said[2] != said[1], said


async def test_a_reply_cut_short_by_a_sound_that_said_nothing_is_said_again(
    tmp_path: Path, models: VoiceModels
) -> None:
    from livekit.agents import llm
    from livekit.agents.voice.events import ConversationItemAddedEvent

    conv, line, runner = _quiet_line(tmp_path, models, reprompt_s=1.0)
    assert await line.wait_heard(1, timeout=60)
    greeting = conv.call.turns[0].text
    assert line.session is not None  # LiveKit reports the greeting as interrupted (a cough stopped it)
    cut = llm.ChatMessage(role="assistant", content=[greeting], interrupted=True)
    line.session.emit("conversation_item_added", ConversationItemAddedEvent(item=cut))
    assert await line.wait_heard(3, timeout=30)  # said again, and once more (nothing said in between)
    line.hang_up()
    await runner
    said = [t.text for t in conv.call.turns if t.role.value == "receptionist"]
    assert said[1:] == [f"Sorry, I'll say that again. {greeting}", greeting], said
