"""The call routes without speech models: the Twilio webhook (signatures, tenants, capacity, voicemail),
the Media Streams and softphone sockets' refusals, the softphone page and tokens, and rate limits.

A refused socket never reaches the voice pipeline, so these run against a receptionist whose brains are
scripted (no embedding model) and a real switchboard.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.calls import Outcome
from receptionist.config import Settings
from receptionist.storage.database import Database
from receptionist.storage.message_repository import MessageRepository
from receptionist.storage.repository import CallRepository
from receptionist.telephony.media_stream import StreamOptions
from receptionist.telephony.switchboard import Switchboard
from receptionist.telephony.tokens import TokenSigner
from receptionist.telephony.twilio import compute_signature
from receptionist.web.app import create_app
from receptionist.web.ratelimit import Rate, RateLimiter
from receptionist.web.voice_routes import VoiceLimits, voice_router
from tests.helpers import light_receptionist

pytestmark = pytest.mark.timeout(30)

PUBLIC = "https://rx.example.test"
AUTH_TOKEN = "twilio-auth-token"
DENTAL_NUMBER = "+16175550142"
CALLER = "+16175550123"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Phone:
    client: TestClient
    switchboard: Switchboard
    signer: TokenSigner
    clock: Clock
    db: Database | None

    def webhook(
        self,
        path: str = "/twilio/voice",
        *,
        to: str = DENTAL_NUMBER,
        call_sid: str = "CA" + "a" * 32,
        sign_with: str | None = AUTH_TOKEN,
        url: str | None = None,
        **extra: str,
    ) -> Any:
        params = {"CallSid": call_sid, "AccountSid": "AC" + "b" * 32, "From": CALLER, "To": to,
                  "CallStatus": "ringing", "Direction": "inbound", **extra}  # fmt: skip
        headers = {}
        if sign_with is not None:
            headers["X-Twilio-Signature"] = compute_signature(sign_with, url or PUBLIC + path, params)
        return self.client.post(path, data=params, headers=headers)


def make_phone(
    tmp_path: Path,
    *,
    capacity: int = 2,
    db: Database | None = None,
    auth_token: str | None = AUTH_TOKEN,
    limits: VoiceLimits | None = None,
    **router_options: Any,
) -> Iterator[Phone]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=PUBLIC, twilio_auth_token=auth_token)
    switchboard = Switchboard(light_receptionist(settings, db), capacity=capacity)
    clock = Clock()
    signer = TokenSigner(b"s" * 32, ttl_s=30, clock=clock)
    router = voice_router(
        switchboard, signer, settings, limits=limits, clock=clock,
        stream_options=StreamOptions(start_timeout_s=1.0), **router_options,
    )  # fmt: skip
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        yield Phone(client, switchboard, signer, clock, db)


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Phone]:
    yield from make_phone(tmp_path)


def twiml(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.text)


# -- the voice webhook --------------------------------------------------------------------------------


def test_a_signed_call_to_a_business_is_answered_with_a_stream_and_a_token(phone: Phone) -> None:
    root = twiml(phone.webhook())
    stream = root.find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == "wss://rx.example.test/twilio/media"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    grant = phone.signer.verify(params["token"], "twilio", consume=False)
    assert grant.tenant_id == "bright-smile-dental"
    assert (grant.ref, grant.caller, grant.dialled) == ("CA" + "a" * 32, CALLER, DENTAL_NUMBER)
    assert phone.switchboard.in_progress == 1  # the line is held for the stream on its way


def test_twilio_retrying_the_webhook_does_not_take_a_second_line(phone: Phone) -> None:
    twiml(phone.webhook())
    twiml(phone.webhook())
    assert phone.switchboard.in_progress == 1


def test_any_formatting_of_the_dialled_number_finds_the_business(phone: Phone) -> None:
    root = twiml(phone.webhook(to="(617) 555-0142"))
    assert root.find("./Connect/Stream") is not None


@pytest.mark.parametrize(
    ("sign_with", "url"),
    [(None, None), ("another-token", None), (AUTH_TOKEN, "https://elsewhere.example/twilio/voice")],
    ids=["missing", "wrong-key", "wrong-url"],
)
def test_a_webhook_without_a_valid_signature_is_refused(
    phone: Phone, sign_with: str | None, url: str | None
) -> None:
    response = phone.webhook(sign_with=sign_with, url=url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert phone.switchboard.in_progress == 0


def test_a_tampered_form_is_refused(phone: Phone) -> None:
    params = {"CallSid": "CA1", "From": CALLER, "To": DENTAL_NUMBER}
    signature = compute_signature(AUTH_TOKEN, PUBLIC + "/twilio/voice", params)
    response = phone.client.post(
        "/twilio/voice", data={**params, "From": "+15005550006"}, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_without_an_auth_token_webhooks_are_refused_unless_unsigned_is_allowed(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, auth_token=None):
        assert phone.webhook().status_code == 403
    for phone in make_phone(tmp_path, auth_token=None, allow_unsigned_webhooks=True):
        assert twiml(phone.webhook(sign_with=None)).find("./Connect/Stream") is not None


def test_an_unknown_number_gets_a_polite_refusal(phone: Phone) -> None:
    root = twiml(phone.webhook(to="+15005550006"))
    say = root.find("Say")
    assert say is not None and "not in service" in (say.text or "")
    assert root.find("Hangup") is not None and root.find("Connect") is None
    assert phone.switchboard.in_progress == 0


def test_a_webhook_without_to_is_a_bad_request(phone: Phone) -> None:
    assert phone.webhook(to="").status_code == 400


def test_at_capacity_the_caller_holds_then_leaves_a_message(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, capacity=1, limits=VoiceLimits(busy_holds=2, busy_hold_s=7)):
        twiml(phone.webhook(call_sid="CA-first"))  # takes the only line
        root = twiml(phone.webhook(call_sid="CA-second"))
        assert "lines are busy" in (root.findtext("Say") or "") and "Bright Smile Dental" in (
            root.findtext("Say") or ""
        )
        pause = root.find("Pause")
        assert pause is not None and pause.get("length") == "7"
        redirect = root.findtext("Redirect")
        assert redirect == f"{PUBLIC}/twilio/voice?attempt=1"
        # Twilio follows the redirect (signed for the URL with its query) and, still busy, holds again
        root = twiml(phone.webhook("/twilio/voice?attempt=1", call_sid="CA-second"))
        assert root.findtext("Redirect") == f"{PUBLIC}/twilio/voice?attempt=2"
        root = twiml(phone.webhook("/twilio/voice?attempt=2", call_sid="CA-second"))
        record = root.find("Record")
        assert record is not None and record.get("action") == f"{PUBLIC}/twilio/voicemail"
        assert "leave your name, your number and a short message" in (root.findtext("Say") or "")
        assert root.find("Hangup") is not None  # after the recording times out, not silence
        assert phone.switchboard.in_progress == 1


def test_a_caller_holding_gets_the_line_once_it_is_free(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, capacity=1):
        twiml(phone.webhook(call_sid="CA-first"))
        assert twiml(phone.webhook(call_sid="CA-second")).find("Redirect") is not None
        phone.switchboard.release()  # the first call's stream never came (or its call ended)
        root = twiml(phone.webhook("/twilio/voice?attempt=1", call_sid="CA-second"))
        assert root.find("./Connect/Stream") is not None


def test_a_voicemail_is_stored_as_a_message_for_the_business(tmp_path: Path, sqlite_db: Database) -> None:
    for phone in make_phone(tmp_path, db=sqlite_db):
        root = twiml(
            phone.webhook(
                "/twilio/voicemail", RecordingUrl="https://api.twilio.com/rec/RE1", RecordingDuration="14"
            )
        )
        assert "we have your message" in (root.findtext("Say") or "").lower()
    calls = CallRepository(sqlite_db, "bright-smile-dental").list(limit=5)
    assert len(calls) == 1 and calls[0].outcome is Outcome.MESSAGE_TAKEN and calls[0].channel == "twilio"
    [message] = MessageRepository(sqlite_db, "bright-smile-dental").list()
    assert message.phone == CALLER
    assert "https://api.twilio.com/rec/RE1" in message.reason


def test_an_empty_recording_is_not_stored(tmp_path: Path, sqlite_db: Database) -> None:
    for phone in make_phone(tmp_path, db=sqlite_db):
        root = twiml(phone.webhook("/twilio/voicemail", RecordingDuration="0"))
        assert "did not get a message" in (root.findtext("Say") or "")
    assert CallRepository(sqlite_db, "bright-smile-dental").list(limit=5) == []


def test_the_webhook_is_rate_limited_per_client(tmp_path: Path) -> None:
    limits = VoiceLimits(webhook=Rate(rate_per_s=1.0, burst=3))
    for phone in make_phone(tmp_path, limits=limits):
        codes = [phone.webhook(to="+15005550006").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = phone.webhook()
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "too_many_requests"
        phone.clock.now += 1.0  # one token back
        assert phone.webhook(to="+15005550006").status_code == 200


def test_an_oversized_form_is_refused(phone: Phone) -> None:
    response = phone.client.post("/twilio/voice", content=b"x" * 40_000,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 413


# -- the Media Streams socket: refusals before any audio -----------------------------------------------


def start_message(
    token: str | None, *, call_sid: str = "CA" + "a" * 32, fmt: dict[str, Any] | None = None
) -> str:
    params = {"token": token} if token is not None else {}
    return json.dumps({
        "event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
        "start": {"streamSid": "MZ1", "accountSid": "AC1", "callSid": call_sid, "tracks": ["inbound"],
                  "customParameters": params,
                  "mediaFormat": fmt or {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
    })  # fmt: skip


def refused(phone: Phone, *messages: str) -> dict[str, Any]:
    """Open the media socket, send ``messages``, return the close message the server sent."""
    with phone.client.websocket_connect("/twilio/media") as ws:
        ws.send_text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        for message in messages:
            ws.send_text(message)
        closing: dict[str, Any] = dict(ws.receive())
    assert closing["type"] == "websocket.close"
    return closing


def token_from(response: Any) -> str:
    stream = twiml(response).find("./Connect/Stream")
    assert stream is not None
    param = stream.find("Parameter")
    assert param is not None
    return str(param.get("value"))


def test_a_stream_without_a_token_is_refused(phone: Phone) -> None:
    assert refused(phone, start_message(None)) == {
        "type": "websocket.close",
        "code": 1008,
        "reason": "invalid token",
    }


def test_a_forged_token_is_refused(phone: Phone) -> None:
    forged = TokenSigner(b"x" * 32).issue("twilio", "bright-smile-dental", "CA" + "a" * 32)
    assert refused(phone, start_message(forged))["code"] == 1008


def test_an_expired_token_is_refused(phone: Phone) -> None:
    token = token_from(phone.webhook())
    phone.clock.now += 31
    assert refused(phone, start_message(token))["code"] == 1008


def test_a_softphone_token_does_not_open_a_media_stream(phone: Phone) -> None:
    token = phone.client.post("/softphone/token", json={"tenant_id": "bright-smile-dental"}).json()["token"]
    assert refused(phone, start_message(token))["code"] == 1008


def test_a_token_is_good_for_one_stream_only(phone: Phone) -> None:
    token = token_from(phone.webhook())
    phone.signer.verify(token, "twilio")  # someone used it already
    assert refused(phone, start_message(token))["reason"] == "invalid token"


def test_a_token_for_another_call_is_refused(phone: Phone) -> None:
    token = token_from(phone.webhook())
    closing = refused(phone, start_message(token, call_sid="CA-someone-else"))
    assert closing["code"] == 1008 and "issued for call" in closing["reason"]
    assert phone.switchboard.in_progress == 0  # the reservation went back


def test_a_stream_in_another_audio_format_is_refused(phone: Phone) -> None:
    token = token_from(phone.webhook())
    assert phone.switchboard.in_progress == 1
    fmt = {"encoding": "audio/x-l16", "sampleRate": 16000, "channels": 1}
    closing = refused(phone, start_message(token, fmt=fmt))
    assert closing["code"] == 1003 and "unsupported media format" in closing["reason"]
    assert phone.switchboard.in_progress == 0  # the line reserved for it is free again


def test_a_stream_that_never_starts_is_closed(phone: Phone) -> None:
    assert refused(phone)["reason"] == "no start message"


def test_junk_before_start_is_ignored_until_too_much(phone: Phone) -> None:
    closing = refused(phone, *(["{not json"] * 50))
    assert closing == {"type": "websocket.close", "code": 1008, "reason": "no start message"}


def test_a_stop_before_start_just_closes(phone: Phone) -> None:
    stop = json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {"accountSid": "AC1", "callSid": "CA1"}})
    assert refused(phone, stop)["code"] == 1000


def test_media_sockets_are_rate_limited(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, limits=VoiceLimits(socket=Rate(rate_per_s=0.1, burst=1))):
        refused(phone, start_message(None))
        with phone.client.websocket_connect("/twilio/media") as ws:
            assert ws.receive() == {"type": "websocket.close", "code": 1013, "reason": "rate limited"}


# -- the softphone: page, token, socket refusals -------------------------------------------------------------


def test_the_softphone_page_and_script_are_served_without_external_resources(phone: Phone) -> None:
    page = phone.client.get("/softphone")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="softphone/softphone.js"' in page.text and "http" not in page.text.replace("https://", "")
    assert 'for="business"' in page.text and 'role="status"' in page.text and 'name="viewport"' in page.text
    script = phone.client.get("/softphone/softphone.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (
        "getUserMedia" in script.text and "/static/pcm-audio.js" in script.text and "//cdn" not in script.text
    )


def test_the_softphone_lists_the_businesses(phone: Phone) -> None:
    businesses = phone.client.get("/softphone/businesses").json()
    dental = next(b for b in businesses if b["tenant_id"] == "bright-smile-dental")
    assert dental == {
        "tenant_id": "bright-smile-dental",
        "name": "Bright Smile Dental",
        "numbers": [DENTAL_NUMBER],
    }
    assert len(businesses) == 2


@pytest.mark.parametrize("body", [{"tenant_id": "bright-smile-dental"}, {"number": "617-555-0142"}])
def test_a_softphone_token_names_the_business_and_the_socket(phone: Phone, body: dict[str, str]) -> None:
    out = phone.client.post("/softphone/token", json=body).json()
    assert out["sample_rate"] == 16_000 and out["name"] == "Bright Smile Dental"
    assert out["ws_url"] == f"wss://rx.example.test/softphone/ws?token={out['token']}"
    grant = phone.signer.verify(out["token"], "softphone", consume=False)
    assert grant.tenant_id == "bright-smile-dental" and grant.dialled == DENTAL_NUMBER


def test_softphone_token_requests_that_name_nothing_are_refused(phone: Phone) -> None:
    assert phone.client.post("/softphone/token", json={"tenant_id": "nobody"}).status_code == 404
    assert phone.client.post("/softphone/token", json={"number": "+15005550006"}).status_code == 404
    assert phone.client.post("/softphone/token", json={}).status_code == 422
    assert phone.client.post("/softphone/token", content=b"[1, 2").status_code == 422


def test_softphone_tokens_are_rate_limited(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, limits=VoiceLimits(token=Rate(rate_per_s=0.5, burst=2))):
        codes = [phone.client.post("/softphone/token", json={"tenant_id": "bright-smile-dental"}).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [200, 200, 429]


def test_at_capacity_the_softphone_is_told_before_and_on_the_socket(tmp_path: Path) -> None:
    for phone in make_phone(tmp_path, capacity=1):
        token = phone.client.post("/softphone/token", json={"tenant_id": "bright-smile-dental"}).json()[
            "token"
        ]
        twiml(phone.webhook())  # a phone call takes the only line meanwhile
        busy = phone.client.post("/softphone/token", json={"tenant_id": "bright-smile-dental"})
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
        with phone.client.websocket_connect(f"/softphone/ws?token={token}") as ws:
            event = ws.receive_json()
            assert event["type"] == "busy" and "busy" in event["message"]
            assert ws.receive() == {"type": "websocket.close", "code": 1013, "reason": "all lines busy"}


@pytest.mark.parametrize("token", ["", "garbage", "twilio"])
def test_a_softphone_socket_needs_a_softphone_token(phone: Phone, token: str) -> None:
    if token == "twilio":
        token = token_from(phone.webhook())
    with phone.client.websocket_connect(f"/softphone/ws?token={token}") as ws:
        assert ws.receive_json() == {"type": "error", "message": "invalid or expired token"}
        assert ws.receive() == {"type": "websocket.close", "code": 1008, "reason": "invalid token"}


# -- mounted in the API app ---------------------------------------------------------------------------------


def test_the_api_app_mounts_the_call_routes_when_given_them(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=PUBLIC, twilio_auth_token=AUTH_TOKEN)
    switchboard = Switchboard(light_receptionist(settings), capacity=1)
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    router = voice_router(switchboard, TokenSigner(), settings)
    with TestClient(create_app(service=service, agents=AgentDirectory([]), voice=router)) as client:
        assert client.get("/softphone/businesses").status_code == 200
        assert client.get("/api/agent/me").status_code == 401  # the agent API is still there
    with TestClient(create_app(service=service, agents=AgentDirectory([]))) as client:
        assert client.get("/softphone/businesses").status_code == 404


# -- the rate limiter itself -----------------------------------------------------------------------------------


def test_a_bucket_refills_at_its_rate_and_never_beyond_its_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(rate_per_s=2.0, burst=2), clock=clock)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")  # another address has its own bucket
    assert limiter.retry_after("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.allow("a") and not limiter.allow("a")
    clock.now += 100
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]


def test_the_limiter_forgets_addresses_rather_than_grow_without_bound() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(rate_per_s=1.0, burst=1), max_keys=3, clock=clock)
    for key in "abcdef":
        assert limiter.allow(key)
    assert len(limiter) == 3
    assert not limiter.allow("f")  # the most recent stay limited


def test_a_rate_must_make_sense() -> None:
    with pytest.raises(ValueError):
        Rate(rate_per_s=0, burst=1)
    with pytest.raises(ValueError):
        Rate(rate_per_s=1, burst=0)
