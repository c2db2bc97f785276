"""Twilio Media Streams wire format: inbound messages, outbound messages, TwiML and webhook signatures.

Pure functions and typed values only: no sockets, no pipeline. The documented protocol
(https://www.twilio.com/docs/voice/media-streams/websocket-messages): Twilio sends ``connected``,
``start``, ``media`` (base64 8 kHz µ-law), ``dtmf``, ``mark`` and ``stop``; on a bidirectional stream
(``<Connect><Stream>``) the server sends ``media``, ``mark`` and ``clear``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

from receptionist.telephony.mulaw import SILENCE

SAMPLE_RATE = 8000
FRAME_BYTES = 160
"""One 20 ms frame of 8 kHz µ-law."""
DEFAULT_MAX_PAYLOAD_BYTES = 16_000
"""Largest decoded inbound media payload accepted (2 s); Twilio sends 20 ms chunks."""


class ProtocolError(ValueError):
    """A Media Streams message that does not follow the documented protocol. Not retryable."""


@dataclass(frozen=True, slots=True)
class Connected:
    """First message on the socket: which protocol and version follow."""

    protocol: str
    version: str


@dataclass(frozen=True, slots=True)
class MediaFormat:
    """The audio encoding of ``media`` payloads (Twilio: audio/x-mulaw, 8000 Hz, mono)."""

    encoding: str
    sample_rate: int
    channels: int

    @property
    def is_mulaw_8k_mono(self) -> bool:
        return self.encoding == "audio/x-mulaw" and self.sample_rate == SAMPLE_RATE and self.channels == 1


@dataclass(frozen=True, slots=True)
class Start:
    """Stream metadata, sent once after ``connected``."""

    stream_sid: str
    account_sid: str
    call_sid: str
    tracks: tuple[str, ...]
    custom_parameters: Mapping[str, str]
    """The ``<Parameter>`` values set in the TwiML (e.g. the dialled number or a signed token)."""
    media_format: MediaFormat
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class Media:
    """One chunk of caller (or outbound) audio, already base64-decoded."""

    stream_sid: str
    track: str
    chunk: int
    timestamp_ms: int
    """Milliseconds since the stream started."""
    payload: bytes = field(repr=False)
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    """Twilio's echo of a mark we sent: the audio queued before it has played (or was cleared)."""

    stream_sid: str
    name: str
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class Dtmf:
    """A key the caller pressed."""

    stream_sid: str
    track: str
    digit: str
    sequence_number: int | None = None


@dataclass(frozen=True, slots=True)
class Stop:
    """The stream ended (the call hung up or the stream was stopped)."""

    stream_sid: str
    account_sid: str
    call_sid: str
    sequence_number: int | None = None


InboundMessage: TypeAlias = Connected | Start | Media | Mark | Dtmf | Stop


def parse_message(text: str | bytes, *, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> InboundMessage:
    """Parse one WebSocket text message from Twilio; raise ``ProtocolError`` on anything malformed."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"message must be a JSON object, got {type(data).__name__}")
    event = _str(data, "event", "message")
    if event == "connected":
        return Connected(
            protocol=_str(data, "protocol", "connected"), version=_str(data, "version", "connected")
        )
    seq = _optional_int(data, "sequenceNumber", event)
    if event == "start":
        return _parse_start(_obj(data, "start", "start"), seq)
    if event == "media":
        return _parse_media(data, seq, max_payload_bytes)
    if event == "mark":
        mark = _obj(data, "mark", "mark")
        return Mark(
            stream_sid=_str(data, "streamSid", "mark"),
            name=_str(mark, "name", "mark.mark"),
            sequence_number=seq,
        )
    if event == "dtmf":
        dtmf = _obj(data, "dtmf", "dtmf")
        return Dtmf(
            stream_sid=_str(data, "streamSid", "dtmf"),
            track=_str(dtmf, "track", "dtmf.dtmf"),
            digit=_str(dtmf, "digit", "dtmf.dtmf"),
            sequence_number=seq,
        )
    if event == "stop":
        stop = _obj(data, "stop", "stop")
        return Stop(
            stream_sid=_str(data, "streamSid", "stop"),
            account_sid=_str(stop, "accountSid", "stop.stop"),
            call_sid=_str(stop, "callSid", "stop.stop"),
            sequence_number=seq,
        )
    raise ProtocolError(f"unknown event {event!r}")


def _parse_start(start: dict[str, Any], seq: int | None) -> Start:
    tracks = start.get("tracks")
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise ProtocolError("start.start.tracks must be a list of strings")
    params = start.get("customParameters", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise ProtocolError("start.start.customParameters must be an object of strings")
    fmt = _obj(start, "mediaFormat", "start.start")
    return Start(
        stream_sid=_str(start, "streamSid", "start.start"),
        account_sid=_str(start, "accountSid", "start.start"),
        call_sid=_str(start, "callSid", "start.start"),
        tracks=tuple(tracks),
        custom_parameters=dict(params),
        media_format=MediaFormat(
            encoding=_str(fmt, "encoding", "start.mediaFormat"),
            sample_rate=_int(fmt, "sampleRate", "start.mediaFormat"),
            channels=_int(fmt, "channels", "start.mediaFormat"),
        ),
        sequence_number=seq,
    )


def _parse_media(data: dict[str, Any], seq: int | None, max_payload_bytes: int) -> Media:
    media = _obj(data, "media", "media")
    encoded = _str(media, "payload", "media.media")
    # Check the size before decoding so a huge message costs nothing; 4 base64 chars carry 3 bytes.
    if len(encoded) > 4 * -(-max_payload_bytes // 3):
        raise ProtocolError(f"media payload larger than {max_payload_bytes} bytes")
    try:
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"media payload is not valid base64: {exc}") from None
    if len(payload) > max_payload_bytes:
        raise ProtocolError(f"media payload larger than {max_payload_bytes} bytes")
    return Media(
        stream_sid=_str(data, "streamSid", "media"),
        track=_str(media, "track", "media.media"),
        chunk=_int(media, "chunk", "media.media"),
        timestamp_ms=_int(media, "timestamp", "media.media"),
        payload=payload,
        sequence_number=seq,
    )


def _obj(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{where}: field {key!r} missing or not an object")
    return value


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: field {key!r} missing or not a string")
    return value


def _int(data: dict[str, Any], key: str, where: str) -> int:
    """An integer field; Twilio sends some (chunk, timestamp, sequenceNumber) as decimal strings."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ProtocolError(f"{where}: field {key!r} missing or not an integer")


def _optional_int(data: dict[str, Any], key: str, where: str) -> int | None:
    return None if data.get(key) is None else _int(data, key, where)


# Outbound messages (bidirectional streams only).


def media_message(stream_sid: str, mulaw: bytes) -> str:
    """Audio for Twilio to play: raw 8 kHz mono µ-law, no file header."""
    payload = base64.b64encode(mulaw).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> str:
    """Ask Twilio to echo ``name`` back once the audio sent before it has played."""
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Drop all buffered outbound audio at once (barge-in); pending marks are echoed back."""
    return json.dumps({"event": "clear", "streamSid": stream_sid})


def iter_frames(mulaw: bytes, *, frame_bytes: int = FRAME_BYTES, pad: bool = True) -> Iterator[bytes]:
    """Split µ-law audio into 20 ms frames; the last is padded with silence unless ``pad`` is false."""
    if frame_bytes <= 0:
        raise ValueError(f"frame_bytes must be positive, got {frame_bytes}")
    for start in range(0, len(mulaw), frame_bytes):
        frame = mulaw[start : start + frame_bytes]
        if pad and len(frame) < frame_bytes:
            frame += bytes([SILENCE]) * (frame_bytes - len(frame))
        yield frame


# TwiML.


def twiml_connect_stream(ws_url: str, parameters: Mapping[str, str] | None = None) -> str:
    """TwiML answering a call with a bidirectional stream to ``ws_url`` (must be ``wss://``).

    ``parameters`` arrive in the ``start`` message's ``customParameters``.
    """
    if not ws_url.startswith("wss://"):
        raise ValueError(f"Twilio streams need a wss:// URL, got {ws_url!r}")
    params = parameters or {}
    for text in (ws_url, *params.keys(), *params.values()):
        _check_xml_text(text)
    inner = "".join(f"<Parameter name={_attr(k)} value={_attr(v)}/>" for k, v in params.items())
    return f"<Response><Connect><Stream url={_attr(ws_url)}>{inner}</Stream></Connect></Response>"


def _attr(value: str) -> str:
    return '"' + escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'


def _check_xml_text(value: str) -> None:
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in value):
        raise ValueError(f"control characters cannot appear in XML: {value!r}")


# Webhook signatures (X-Twilio-Signature).


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(auth token, full URL + sorted key+value pairs))."""
    signed = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def validate_signature(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """True if ``signature`` (the ``X-Twilio-Signature`` header) matches the request.

    ``url`` is the full URL Twilio requested, query string included. Like Twilio's own libraries, the URL
    is tried with and without the default port, since proxies may add or drop it.
    """
    if not signature or not auth_token:
        return False
    given = signature.encode()
    return any(
        hmac.compare_digest(compute_signature(auth_token, candidate, params).encode(), given)
        for candidate in _url_variants(url)
    )


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    if default_port is None or parts.hostname is None:
        return [url]
    userinfo = parts.netloc.rpartition("@")[0]
    host = (userinfo + "@" if userinfo else "") + (
        f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    )
    try:
        port = parts.port
    except ValueError:
        return [url]
    if port is None:
        with_port = urlunsplit(parts._replace(netloc=f"{host}:{default_port}"))
        return [url, with_port]
    if port == default_port:
        return [url, urlunsplit(parts._replace(netloc=host))]
    return [url]
