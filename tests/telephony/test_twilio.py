import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from receptionist.telephony.twilio import (
    FRAME_BYTES,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    ProtocolError,
    Start,
    Stop,
    clear_message,
    compute_signature,
    iter_frames,
    mark_message,
    media_message,
    parse_message,
    twiml_connect_stream,
    validate_signature,
)

STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0"
CALL = "CA362f1b5b5e0d2a4c3f0b5c6d7e8f9a0b"
ACCOUNT = "AC25e16e9a716a4a1786a7c83f58e30482"

# Sample messages following the fields documented at
# https://www.twilio.com/docs/voice/media-streams/websocket-messages
CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "accountSid": ACCOUNT,
        "streamSid": STREAM,
        "callSid": CALL,
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"to": "+18005551212", "token": "abc.def"},
    },
    "streamSid": STREAM,
}
MEDIA: dict[str, Any] = {
    "event": "media",
    "sequenceNumber": "3",
    "media": {
        "track": "inbound",
        "chunk": "1",
        "timestamp": "5",
        "payload": base64.b64encode(b"\xff" * 160).decode(),
    },
    "streamSid": STREAM,
}
MARK = {"event": "mark", "sequenceNumber": "4", "streamSid": STREAM, "mark": {"name": "reply-1"}}
DTMF = {
    "event": "dtmf",
    "streamSid": STREAM,
    "sequenceNumber": "5",
    "dtmf": {"track": "inbound_track", "digit": "0"},
}
STOP = {
    "event": "stop",
    "sequenceNumber": "6",
    "streamSid": STREAM,
    "stop": {"accountSid": ACCOUNT, "callSid": CALL},
}


def test_parse_connected() -> None:
    assert parse_message(json.dumps(CONNECTED)) == Connected(protocol="Call", version="1.0.0")


def test_parse_start() -> None:
    msg = parse_message(json.dumps(START))
    assert msg == Start(
        stream_sid=STREAM,
        account_sid=ACCOUNT,
        call_sid=CALL,
        tracks=("inbound",),
        custom_parameters={"to": "+18005551212", "token": "abc.def"},
        media_format=MediaFormat(encoding="audio/x-mulaw", sample_rate=8000, channels=1),
        sequence_number=1,
    )
    assert isinstance(msg, Start) and msg.media_format.is_mulaw_8k_mono


def test_parse_start_without_custom_parameters() -> None:
    data = json.loads(json.dumps(START))
    del data["start"]["customParameters"]
    msg = parse_message(json.dumps(data))
    assert isinstance(msg, Start) and msg.custom_parameters == {}


def test_parse_media() -> None:
    assert parse_message(json.dumps(MEDIA)) == Media(
        stream_sid=STREAM, track="inbound", chunk=1, timestamp_ms=5, payload=b"\xff" * 160, sequence_number=3
    )


def test_parse_mark_dtmf_stop() -> None:
    assert parse_message(json.dumps(MARK)) == Mark(stream_sid=STREAM, name="reply-1", sequence_number=4)
    assert parse_message(json.dumps(DTMF)) == Dtmf(
        stream_sid=STREAM, track="inbound_track", digit="0", sequence_number=5
    )
    assert parse_message(json.dumps(STOP)) == Stop(
        stream_sid=STREAM, account_sid=ACCOUNT, call_sid=CALL, sequence_number=6
    )


def test_parse_accepts_bytes_and_integer_numbers() -> None:
    data = {**MEDIA, "sequenceNumber": 3, "media": {**MEDIA["media"], "chunk": 1, "timestamp": 5}}
    msg = parse_message(json.dumps(data).encode())
    assert isinstance(msg, Media) and (msg.chunk, msg.timestamp_ms, msg.sequence_number) == (1, 5, 3)


def _without(message: dict[str, Any], *path: str) -> str:
    data = json.loads(json.dumps(message))
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return json.dumps(data)


def _with(message: dict[str, Any], value: object, *path: str) -> str:
    data = json.loads(json.dumps(message))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data)


MALFORMED = {
    "not json": "{event: media",
    "empty": "",
    "not an object": "[1, 2]",
    "no event": json.dumps({"streamSid": STREAM}),
    "event not a string": json.dumps({"event": 7}),
    "unknown event": json.dumps({"event": "hangup", "streamSid": STREAM}),
    "connected without version": _without(CONNECTED, "version"),
    "start without start": _without(START, "start"),
    "start without callSid": _without(START, "start", "callSid"),
    "start without streamSid": _without(START, "start", "streamSid"),
    "start tracks not a list": _with(START, "inbound", "start", "tracks"),
    "start parameters not strings": _with(START, {"n": 1}, "start", "customParameters"),
    "start without mediaFormat": _without(START, "start", "mediaFormat"),
    "start bad sampleRate": _with(START, "fast", "start", "mediaFormat", "sampleRate"),
    "start boolean channels": _with(START, True, "start", "mediaFormat", "channels"),
    "bad sequenceNumber": _with(START, "-1", "sequenceNumber"),
    "media without media": _without(MEDIA, "media"),
    "media without payload": _without(MEDIA, "media", "payload"),
    "media payload not a string": _with(MEDIA, 12, "media", "payload"),
    "media bad base64": _with(MEDIA, "not base64!", "media", "payload"),
    "media truncated base64": _with(MEDIA, "//8", "media", "payload"),
    "media without streamSid": _without(MEDIA, "streamSid"),
    "media bad chunk": _with(MEDIA, "one", "media", "chunk"),
    "media without timestamp": _without(MEDIA, "media", "timestamp"),
    "media without track": _without(MEDIA, "media", "track"),
    "mark without name": _without(MARK, "mark", "name"),
    "mark not an object": _with(MARK, "reply-1", "mark"),
    "dtmf without digit": _without(DTMF, "dtmf", "digit"),
    "stop without callSid": _without(STOP, "stop", "callSid"),
    "stop without streamSid": _without(STOP, "streamSid"),
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_messages_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_message(text)


def test_non_utf8_bytes_raise_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="JSON"):
        parse_message(b"\xff\xfe{")


def test_payload_cap_is_enforced_before_and_after_decoding() -> None:
    big = _with(MEDIA, base64.b64encode(b"\xff" * 161).decode(), "media", "payload")
    with pytest.raises(ProtocolError, match="larger than 160 bytes"):
        parse_message(big, max_payload_bytes=160)
    huge = _with(MEDIA, "A" * 10_000_000, "media", "payload")
    with pytest.raises(ProtocolError, match="larger than"):
        parse_message(huge)
    assert isinstance(parse_message(json.dumps(MEDIA), max_payload_bytes=160), Media)


def test_outbound_media_round_trips_through_the_parser_shape() -> None:
    audio = bytes(range(256))
    data = json.loads(media_message(STREAM, audio))
    assert data == {
        "event": "media",
        "streamSid": STREAM,
        "media": {"payload": base64.b64encode(audio).decode()},
    }
    # Twilio's echo adds track/chunk/timestamp; with those the parser recovers the same bytes.
    data["media"].update(track="outbound", chunk="1", timestamp="0")
    msg = parse_message(json.dumps(data))
    assert isinstance(msg, Media) and msg.payload == audio


def test_outbound_mark_parses_as_the_echo_and_clear_has_the_documented_shape() -> None:
    assert parse_message(mark_message(STREAM, "reply-2")) == Mark(stream_sid=STREAM, name="reply-2")
    assert json.loads(clear_message(STREAM)) == {"event": "clear", "streamSid": STREAM}


def test_iter_frames_splits_into_20ms_frames_padded_with_silence() -> None:
    frames = list(iter_frames(b"\x01" * 400))
    assert [len(f) for f in frames] == [FRAME_BYTES] * 3
    assert frames[2] == b"\x01" * 80 + b"\xff" * 80
    assert [len(f) for f in iter_frames(b"\x01" * 400, pad=False)] == [160, 160, 80]
    assert list(iter_frames(b"")) == []
    with pytest.raises(ValueError):
        list(iter_frames(b"\x00", frame_bytes=0))


def test_twiml_connect_stream_escapes_attributes() -> None:
    twiml = twiml_connect_stream(
        "wss://example.com/media?a=1&b=2", {"to": "+18005551212", "note": '<"Tom & Jerry\'s">'}
    )
    assert twiml.startswith('<Response><Connect><Stream url="wss://example.com/media?a=1&amp;b=2">')
    assert '<Parameter name="note" value="&lt;&quot;Tom &amp; Jerry\'s&quot;&gt;"/>' in twiml
    root = ET.fromstring(twiml)
    stream = root.find("./Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://example.com/media?a=1&b=2"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert params == {"to": "+18005551212", "note": '<"Tom & Jerry\'s">'}


def test_twiml_preserves_newlines_and_refuses_bad_input() -> None:
    root = ET.fromstring(twiml_connect_stream("wss://x.test/m", {"n": "a\nb"}))
    assert root.find("./Connect/Stream/Parameter").get("value") == "a\nb"  # type: ignore[union-attr]
    assert twiml_connect_stream("wss://x.test/m") == (
        '<Response><Connect><Stream url="wss://x.test/m"></Stream></Connect></Response>'
    )
    with pytest.raises(ValueError, match="wss://"):
        twiml_connect_stream("http://x.test/m", {})
    with pytest.raises(ValueError, match="control"):
        twiml_connect_stream("wss://x.test/m", {"n": "a\x00b"})


# Twilio's documented example. Computing it with the documented algorithm gives 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
EXPECTED = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_compute_signature_matches_the_documented_example() -> None:
    assert compute_signature(TOKEN, URL, PARAMS) == EXPECTED
    assert compute_signature(TOKEN, URL, dict(reversed(PARAMS.items()))) == EXPECTED  # order-independent


def test_validate_signature() -> None:
    assert validate_signature(TOKEN, URL, PARAMS, EXPECTED)
    assert not validate_signature(TOKEN, URL, {**PARAMS, "Digits": "1235"}, EXPECTED)
    assert not validate_signature(TOKEN, URL, {**PARAMS, "Extra": "x"}, EXPECTED)
    assert not validate_signature(TOKEN, URL.replace("foo=1", "foo=2"), PARAMS, EXPECTED)
    assert not validate_signature("54321", URL, PARAMS, EXPECTED)
    assert not validate_signature(TOKEN, URL, PARAMS, "")
    assert not validate_signature(TOKEN, URL, PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ")
    assert not validate_signature(TOKEN, URL, PARAMS, "non-ascii é")


def test_validate_signature_tolerates_the_default_port() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert validate_signature(TOKEN, with_port, PARAMS, EXPECTED)
    assert validate_signature(TOKEN, URL, PARAMS, compute_signature(TOKEN, with_port, PARAMS))
    assert not validate_signature(TOKEN, "https://mycompany.com:8443/myapp.php?foo=1&bar=2", PARAMS, EXPECTED)
