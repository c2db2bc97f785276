"""The issue's acceptance: a caller on the browser softphone asks for a person, an agent at the console
takes the call, and the two hear each other — checked on the server, where each side's audio arrives
transcribed. Both sides are real chromium processes whose fake microphones play espeak-ng WAVs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pytest

from receptionist.calls import Role
from receptionist.storage.call_repository import CallRepository
from receptionist.voice.stt import get_transcriber
from tests.browser.conftest import DESKTOP, PHONE, LaunchBrowser, NewPage
from tests.browser.live import ALEX, DENTAL_ID, LiveServer, owner, serve
from tests.browser.pages import log_in
from tests.fakes.spoken_wav import write_spoken_wav

if TYPE_CHECKING:
    from playwright.sync_api import Page, WebSocket

    from receptionist.voice.session import VoiceModels

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

AGENT_GREETS = "Hello, this is Alex from the front desk. How can I help you?"
CALLER_ASKS = "Hello, I would like to speak to a person please."
CALLER_THEN = "My name is Dana and I have a question about my bill."
NOTES = "Customer asked about a bill; called back tomorrow"
#: the caller waits for the greeting, asks for a person, waits on hold for the agent, then speaks again
#: (several times, since when the agent answers depends on the models' speed)
_AGAIN: list[str | float] = [CALLER_THEN, 12.0]
CALLER_SCRIPT: list[str | float] = [12.0, CALLER_ASKS, 22.0, *(_AGAIN * 3), 60.0]
#: the agent's microphone opens when they accept the call
AGENT_SCRIPT: list[str | float] = [1.5, AGENT_GREETS, 6.0, AGENT_GREETS, 60.0]


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory, models: VoiceModels) -> Iterator[LiveServer]:
    """The service with the speech models the other voice tests share."""
    with serve(tmp_path_factory.mktemp("voice-server"), models=lambda: models) as server:
        yield server


class SoftphoneEvents:
    """The JSON events the softphone page receives on its call socket (``started``, ``transcript``...)."""

    def __init__(self, page: Page) -> None:
        self.events: list[dict[str, Any]] = []
        self._audio: bytearray | None = None  # what the caller's speaker got since record_audio()
        page.on("websocket", self._opened)

    def _opened(self, socket: WebSocket) -> None:
        if "/softphone/ws" in socket.url:
            socket.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            self.events.append(json.loads(payload))
        elif self._audio is not None:
            self._audio += payload

    def record_audio(self) -> None:
        self._audio = bytearray()

    def audio(self) -> npt.NDArray[np.int16]:
        return np.frombuffer(bytes(self._audio or b""), dtype="<i2")

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("type") == kind), None)

    def said_by(self, role: str) -> str:
        return " ".join(e["text"] for e in self.events if e.get("type") == "transcript" and e["role"] == role)


def wait_for(page: Page, check: Callable[[], Any], *, timeout_s: float, what: str) -> Any:
    """Poll ``check`` (letting the page's events in between) until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(250)


def has_any(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(w in lowered for w in words)


def stored_agent_words(server: LiveServer, call_id: str) -> str:
    record = CallRepository(server.db, DENTAL_ID).get(call_id)
    return " ".join(t.text for t in record.turns if t.role is Role.AGENT) if record else ""


@pytest.mark.usefixtures("needs_espeak")
def test_a_softphone_caller_asks_for_a_person_and_an_agent_takes_the_call(
    voice_server: LiveServer,
    models: VoiceModels,
    launch_browser: LaunchBrowser,
    new_page: NewPage,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    base = voice_server.url
    agent_browser = launch_browser(microphone=write_spoken_wav(tmp_path / "agent.wav", AGENT_SCRIPT))
    caller_browser = launch_browser(microphone=write_spoken_wav(tmp_path / "caller.wav", CALLER_SCRIPT))

    agent = new_page(on=agent_browser)
    log_in(agent, base, ALEX)
    assert agent.url.endswith("/console")
    agent.get_by_test_id("status-ready").click()
    agent.get_by_test_id("agent-state").filter(has_text="ready for calls").wait_for()

    caller = new_page(on=caller_browser, viewport=PHONE)
    events = SoftphoneEvents(caller)
    caller.goto(f"{base}/softphone")
    caller.locator("#business option[value='bright-smile-dental']").wait_for(state="attached")
    caller.locator("#business").select_option(DENTAL_ID)
    caller.locator("#call").click()
    started = wait_for(caller, lambda: events.first("started"), timeout_s=30, what="the call to start")
    call_id = started["call_id"]

    # the offer, with the receptionist's briefing: who, why, and the conversation so far
    offer = agent.get_by_test_id("offer-panel")
    offer.wait_for(state="visible", timeout=90_000)
    assert agent.get_by_test_id("briefing-business").inner_text() == "Bright Smile Dental"
    assert agent.get_by_test_id("briefing-summary").inner_text().strip()
    briefing = agent.get_by_test_id("briefing-transcript").inner_text()
    assert has_any(briefing, ("person", "speak")), briefing
    assert agent.get_by_test_id("offer-countdown").inner_text().endswith(" s")
    agent.screenshot(path=screenshots / "console-offer.png", full_page=True)
    agent.set_viewport_size(PHONE)
    agent.screenshot(path=screenshots / "console-offer-phone.png", full_page=True)
    agent.set_viewport_size(DESKTOP)
    events.record_audio()  # from now on the caller hears the agent, not the receptionist
    agent.get_by_test_id("offer-accept").click()
    agent.get_by_test_id("call-panel").wait_for(state="visible")
    agent.get_by_test_id("audio-status").filter(has_text="the caller hears you").wait_for(timeout=30_000)

    # the caller's words reach the agent (transcribed from the caller's line after the transfer) ...
    live = agent.get_by_test_id("transcript")
    wait_for(
        agent,
        lambda: has_any(live.inner_text(), ("bill", "dana")),
        timeout_s=90,
        what=f"the caller's second sentence in the console's transcript: {CALLER_THEN!r}",
    )
    # ... and the agent's words reach the caller's side of the call, transcribed into its turns
    said = wait_for(
        agent,
        lambda: stored_agent_words(voice_server, call_id),
        timeout_s=60,
        what=f"the agent's words among the stored turns: {AGENT_GREETS!r}",
    )
    assert has_any(said, ("alex", "front", "desk", "help")), said
    wait_for(caller, lambda: events.said_by("agent"), timeout_s=30, what="the agent's words on the softphone")
    assert caller.locator("#transcript .turn.agent .speaker").first.inner_text() == "Agent"
    heard = get_transcriber(models.options.stt).transcribe(events.audio(), started["sample_rate"])
    assert has_any(heard, ("alex", "front", "desk", "help")), f"the caller's speaker got: {heard!r}"
    agent.screenshot(path=screenshots / "console-call.png", full_page=True)
    agent.set_viewport_size(PHONE)
    agent.screenshot(path=screenshots / "console-call-phone.png", full_page=True)
    agent.set_viewport_size(DESKTOP)

    # the agent hangs up and writes the wrap-up notes; the owner reads them on the call's page
    agent.get_by_test_id("call-hangup").click()
    agent.get_by_test_id("call-panel").wait_for(state="hidden")
    agent.get_by_test_id("wrapup-notes").fill(NOTES)
    agent.get_by_test_id("wrapup-save").click()
    agent.get_by_test_id("saved-notes").filter(has_text=NOTES).wait_for()
    wait_for(caller, lambda: events.first("ended"), timeout_s=30, what="the softphone to hear the call end")

    owner_page = new_page()
    log_in(owner_page, base, owner(DENTAL_ID))
    owner_page.goto(f"{base}/dashboard/{DENTAL_ID}/calls/{call_id}")
    assert NOTES in owner_page.get_by_test_id("call-notes").inner_text()
    assert owner_page.get_by_test_id("call-outcome").inner_text() == "transferred"
    transcript = owner_page.get_by_test_id("transcript")
    assert has_any(transcript.inner_text(), ("bill", "dana")), transcript.inner_text()
    assert transcript.locator(".turn.agent .speaker").first.inner_text() == "Agent"
    owner_page.screenshot(path=screenshots / "dashboard-transferred-call.png", full_page=True)
