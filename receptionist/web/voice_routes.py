"""Routes that bring calls in: the Twilio voice webhook and Media Streams socket, and the browser softphone.

- ``POST /twilio/voice``: Twilio's voice webhook. The request must carry a valid ``X-Twilio-Signature``
  for ``settings.public_url`` + path (without a configured auth token every request is refused with 403,
  unless the router is built with ``allow_unsigned_webhooks=True``, for local development only). ``To``
  picks the business (an unknown number hears a polite refusal). With a free line the answer is
  ``<Connect><Stream>`` to ``/twilio/media`` carrying a signed, single-use token; the line stays
  reserved until the stream connects or the token expires.
- At capacity the caller is not left in silence: they hear that the lines are busy and hold
  (``<Pause>`` then ``<Redirect>`` back here, ``busy_holds`` times, so a line freed meanwhile answers
  them), then are asked to leave a message (``<Record>``); ``POST /twilio/voicemail`` stores it as a
  message for the business (caller ID as the number, the recording's URL in the reason).
- ``WS /twilio/media``: :func:`~receptionist.telephony.media_stream.serve_twilio_stream`.
- ``GET /softphone`` (the page), ``GET /softphone/businesses``, ``POST /softphone/token`` and
  ``WS /softphone/ws?token=...``: :func:`~receptionist.telephony.softphone.serve_softphone`.

Every entry point is rate limited per client address (HTTP 429; a socket is closed with 1013). Behind a
proxy, run uvicorn with ``--proxy-headers --forwarded-allow-ips=...`` so the address is the caller's.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocketDisconnect

from receptionist.app import UnknownTenant
from receptionist.calls import Role
from receptionist.config.settings import Settings
from receptionist.telephony import media_stream, softphone
from receptionist.telephony.media_stream import Reservations, SocketClosed, StreamOptions
from receptionist.telephony.softphone import SoftphoneOptions
from receptionist.telephony.switchboard import LineBusy, Switchboard
from receptionist.telephony.tokens import TokenSigner
from receptionist.telephony.twilio import twiml_connect_stream, validate_signature
from receptionist.web.errors import error_response
from receptionist.web.ratelimit import Rate, RateLimiter

log = logging.getLogger(__name__)

XML = "application/xml"
REFUSAL = "Sorry, this number is not in service with us. Please check the number and call again. Goodbye."
_CSP = (
    "default-src 'self'; script-src 'self' blob:; connect-src 'self' ws: wss:; "
    "media-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
)


@dataclass(frozen=True, kw_only=True)
class VoiceLimits:
    """Rates per client address, sizes, and how a caller at capacity is treated."""

    webhook: Rate = field(default_factory=lambda: Rate(rate_per_s=5.0, burst=50))  # Twilio shares addresses
    token: Rate = field(default_factory=lambda: Rate(rate_per_s=0.5, burst=10))
    socket: Rate = field(default_factory=lambda: Rate(rate_per_s=1.0, burst=20))
    max_form_bytes: int = 32 * 1024
    busy_holds: int = 2  # "please hold" rounds before a caller at capacity is asked for a message
    busy_hold_s: int = 10
    voicemail_max_s: int = 120


class JavaScriptResponse(Response):
    """A script (so the schema documents ``text/javascript``, not JSON)."""

    media_type = "text/javascript"


class SoftphoneTokenRequest(BaseModel):
    """Which business the browser calls: by id or by one of its phone numbers."""

    tenant_id: str | None = Field(default=None, max_length=128)
    number: str | None = Field(default=None, max_length=40)


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """An operation's request body for the OpenAPI schema, where the route reads the body itself (to
    rate limit and bound it before parsing)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


#: Twilio posts its webhook parameters as a form (the signature covers them all)
_TWILIO_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        },
    }
}
_TWILIO_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "CallSid and To are required"},
    403: {"description": "an invalid X-Twilio-Signature, or no Twilio auth token configured"},
    413: {"description": "the form is too large"},
    429: {"description": "too many requests from this address; see Retry-After"},
}


class SoftphoneTokenOut(BaseModel):
    token: str
    ws_url: str
    sample_rate: int
    tenant_id: str
    name: str
    expires_in_s: float


def voice_router(
    switchboard: Switchboard,
    signer: TokenSigner,
    settings: Settings,
    *,
    limits: VoiceLimits | None = None,
    allow_unsigned_webhooks: bool = False,
    stream_options: StreamOptions | None = None,
    softphone_options: SoftphoneOptions | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> APIRouter:
    """The call routes, wired to one switchboard. ``allow_unsigned_webhooks``: accept Twilio webhooks
    without a signature when no auth token is configured (development only; never on a public host)."""
    lim = limits or VoiceLimits()
    webhook_limit = RateLimiter(lim.webhook, clock=clock)
    token_limit = RateLimiter(lim.token, clock=clock)
    socket_limit = RateLimiter(lim.socket, clock=clock)
    reservations = Reservations(switchboard, timeout_s=signer.ttl_s + 5.0)
    auth_token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    if auth_token is None and allow_unsigned_webhooks:
        log.warning("Twilio webhooks are accepted WITHOUT signatures (development mode)")
    router = APIRouter()

    async def twilio_form(request: Request) -> dict[str, str] | Response:
        """The webhook's parameters, or the response refusing it (rate, size, signature)."""
        limited = _rate_limited(webhook_limit, request)
        if limited is not None:
            return limited
        body = await _body(request, lim.max_form_bytes)
        if body is None:
            return error_response(413, "payload_too_large", "the form is too large")
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if auth_token is None:
            if allow_unsigned_webhooks:
                return params
            log.warning("refused a Twilio webhook: no Twilio auth token is configured")
            return error_response(403, "forbidden", "Twilio webhooks are not configured on this server")
        url = _public_url(request, settings) + _path_and_query(request)
        signature = request.headers.get("x-twilio-signature", "")
        if not validate_signature(auth_token, url, params, signature):
            log.warning("refused a Twilio webhook with a bad signature from %s", _client(request))
            return error_response(403, "forbidden", "invalid X-Twilio-Signature")
        return params

    @router.post("/twilio/voice", name="twilio_voice", openapi_extra=_TWILIO_FORM, responses=_TWILIO_ERRORS)
    async def twilio_voice(request: Request) -> Response:
        params = await twilio_form(request)
        if isinstance(params, Response):
            return params
        call_sid, dialled, caller = params.get("CallSid"), params.get("To"), params.get("From")
        if not call_sid or not dialled:
            return error_response(400, "bad_request", "CallSid and To are required")
        try:
            tenant = switchboard.tenant_for(dialled)
        except UnknownTenant:
            log.info("Twilio call %s to %s: no business on that number", call_sid, dialled)
            return _twiml(_say(REFUSAL), "<Hangup/>")
        name = tenant.profile.name
        try:
            reservations.hold(call_sid)
        except LineBusy:
            attempt = _int(request.query_params.get("attempt"), default=0, high=lim.busy_holds)
            log.info("Twilio call %s to %s: at capacity (round %d)", call_sid, name, attempt)
            return _busy(request, settings, lim, name, attempt)
        token = signer.issue("twilio", tenant.profile.tenant_id, call_sid, caller=caller, dialled=dialled)
        stream = _ws_url(_public_url(request, settings), request.url_for("twilio_media").path, secure=True)
        return Response(twiml_connect_stream(stream, {"token": token}), media_type=XML)

    @router.post(
        "/twilio/voicemail", name="twilio_voicemail", openapi_extra=_TWILIO_FORM, responses=_TWILIO_ERRORS
    )
    async def twilio_voicemail(request: Request) -> Response:
        params = await twilio_form(request)
        if isinstance(params, Response):
            return params
        recording, dialled = params.get("RecordingUrl"), params.get("To", "")
        duration = _int(params.get("RecordingDuration"), default=0, high=24 * 3600)
        if not recording or duration <= 0:
            return _twiml(_say("We did not get a message. Goodbye."), "<Hangup/>")
        try:
            tenant_id = switchboard.tenant_for(dialled).profile.tenant_id
        except UnknownTenant:
            return _twiml(_say(REFUSAL), "<Hangup/>")
        try:
            await _store_voicemail(switchboard, tenant_id, params, recording, duration)
        except Exception:  # the caller has done their part; the recording stays at Twilio
            log.exception("storing the voicemail %s failed", recording)
        return _twiml(_say("Thank you. We have your message and will call you back. Goodbye."), "<Hangup/>")

    @router.websocket("/twilio/media", name="twilio_media")
    async def twilio_media(websocket: WebSocket) -> None:
        await websocket.accept()
        if not socket_limit.allow(_client(websocket)):
            await websocket.close(media_stream.TRY_AGAIN_LATER, "rate limited")
            return
        await media_stream.serve_twilio_stream(
            StarletteSocket(websocket), switchboard, signer, reservations=reservations, options=stream_options
        )

    @router.get("/softphone", name="softphone_page", response_class=HTMLResponse)
    async def softphone_page() -> Response:
        return HTMLResponse(_static("softphone.html"), headers={"Content-Security-Policy": _CSP})

    @router.get("/softphone/softphone.js", name="softphone_script", response_class=JavaScriptResponse)
    async def softphone_script() -> Response:
        return JavaScriptResponse(_static("softphone.js"))

    @router.get("/softphone/businesses", name="softphone_businesses")
    async def softphone_businesses() -> list[dict[str, object]]:
        return [
            {"tenant_id": t.profile.tenant_id, "name": t.profile.name, "numbers": t.profile.e164_numbers()}
            for t in switchboard.receptionist.tenants.values()
        ]

    @router.post(
        "/softphone/token",
        name="softphone_token",
        openapi_extra=_json_body(SoftphoneTokenRequest),
        responses={
            200: {"model": SoftphoneTokenOut},
            404: {"description": "no business with that id or number"},
            413: {"description": "the body is larger than 4 KB"},
            422: {"description": "the body names no business"},
            429: {"description": "too many requests from this address; see Retry-After"},
            503: {"description": "every line is busy; see Retry-After"},
        },
    )
    async def softphone_token(request: Request) -> Response:
        limited = _rate_limited(token_limit, request)
        if limited is not None:
            return limited
        body = await _body(request, 4096)
        try:
            wanted = SoftphoneTokenRequest.model_validate_json(body or b"")
        except ValidationError:
            return error_response(422, "invalid_request", 'send {"tenant_id": "..."} or {"number": "..."}')
        try:
            if wanted.tenant_id:
                tenant = switchboard.receptionist.tenant(wanted.tenant_id)
            elif wanted.number:
                tenant = switchboard.tenant_for(wanted.number)
            else:
                return error_response(422, "invalid_request", "name a business: tenant_id or number")
        except UnknownTenant:
            return error_response(404, "not_found", "no such business")
        if not switchboard.has_room():
            return error_response(
                503, "busy", softphone.BUSY_MESSAGE, headers={"Retry-After": "30"}
            )  # the socket would say the same; tell the page before it opens the microphone
        profile = tenant.profile
        numbers = profile.e164_numbers()
        dialled = numbers[0] if numbers else None
        token = signer.issue("softphone", profile.tenant_id, uuid.uuid4().hex, dialled=dialled)
        ws = _ws_url(_public_url(request, settings), request.url_for("softphone_socket").path)
        out = SoftphoneTokenOut(
            token=token,
            ws_url=f"{ws}?token={token}",
            sample_rate=softphone.SAMPLE_RATE,
            tenant_id=profile.tenant_id,
            name=profile.name,
            expires_in_s=signer.ttl_s,
        )
        return JSONResponse(out.model_dump())

    @router.websocket("/softphone/ws", name="softphone_socket")
    async def softphone_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        if not socket_limit.allow(_client(websocket)):
            await websocket.send_text(json.dumps({"type": "error", "message": "too many calls; slow down"}))
            await websocket.close(media_stream.TRY_AGAIN_LATER, "rate limited")
            return
        await softphone.serve_softphone(
            StarletteSocket(websocket),
            switchboard,
            signer,
            websocket.query_params.get("token"),
            options=softphone_options,
        )

    return router


class StarletteSocket:
    """A Starlette WebSocket as the transports' socket: disconnects become :class:`SocketClosed`."""

    def __init__(self, websocket: WebSocket) -> None:
        self._ws = websocket

    async def receive(self) -> str | bytes:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError, OSError) as e:
            raise SocketClosed(str(e)) from e
        if message["type"] == "websocket.disconnect":
            raise SocketClosed(f"closed by the client ({message.get('code')})")
        if message.get("text") is not None:
            return str(message["text"])
        return bytes(message.get("bytes") or b"")

    async def receive_text(self) -> str:
        data = await self.receive()
        return data if isinstance(data, str) else data.decode("utf-8", "replace")

    async def send_text(self, data: str) -> None:
        try:
            await self._ws.send_text(data)
        except (WebSocketDisconnect, RuntimeError, OSError) as e:
            raise SocketClosed(str(e)) from e

    async def send_bytes(self, data: bytes) -> None:
        try:
            await self._ws.send_bytes(data)
        except (WebSocketDisconnect, RuntimeError, OSError) as e:
            raise SocketClosed(str(e)) from e

    async def close(self, code: int = media_stream.NORMAL, reason: str = "") -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self._ws.close(code, reason)


# -- helpers -----------------------------------------------------------------------------------------------


def _client(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def _rate_limited(limiter: RateLimiter, request: Request) -> Response | None:
    key = _client(request)
    if limiter.allow(key):
        return None
    retry = max(1, round(limiter.retry_after(key)))
    return error_response(
        429, "too_many_requests", "too many requests; slow down", headers={"Retry-After": str(retry)}
    )


async def _body(request: Request, max_bytes: int) -> bytes | None:
    """The request body, or None if it is larger than ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _public_url(connection: HTTPConnection, settings: Settings) -> str:
    """This server's base URL as Twilio and browsers reach it (``settings.public_url``, else the request's)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(connection.base_url).rstrip("/")


def _path_and_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _ws_url(base: str, path: str, *, secure: bool | None = None) -> str:
    """``base`` + ``path`` as a WebSocket URL (wss for https; ``secure`` forces wss, as Twilio needs)."""
    parts = urlsplit(base)
    scheme = "wss" if secure or parts.scheme in ("https", "wss") else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, "", ""))


def _int(value: str | None, *, default: int, high: int) -> int:
    if value is None or not value.isascii() or not value.isdigit():
        return default
    return min(int(value), high)


@functools.cache
def _static(name: str) -> str:
    return (resources.files("receptionist.web") / "static" / name).read_text(encoding="utf-8")


def _say(text: str) -> str:
    return f"<Say>{escape(text)}</Say>"


def _twiml(*verbs: str) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"
    return Response(body, media_type=XML)


def _busy(request: Request, settings: Settings, lim: VoiceLimits, business: str, attempt: int) -> Response:
    """At capacity: hold (and try again) ``busy_holds`` times, then take a voicemail."""
    base = _public_url(request, settings)
    if attempt < lim.busy_holds:
        said = (
            f"Thank you for calling {business}. All our lines are busy at the moment. Please hold."
            if attempt == 0
            else "Thank you for holding. All our lines are still busy."
        )
        retry = f"{base}{request.url_for('twilio_voice').path}?attempt={attempt + 1}"
        return _twiml(
            _say(said),
            f'<Pause length="{lim.busy_hold_s}"/>',
            f'<Redirect method="POST">{escape(retry)}</Redirect>',
        )
    action = f"{base}{request.url_for('twilio_voicemail').path}"
    said = (
        f"Sorry, all our lines at {business} are busy. Please leave your name, your number and a short "
        "message after the tone, then hang up or press the pound key. We will call you back."
    )
    return _twiml(
        _say(said),
        f'<Record action="{escape(action)}" method="POST" maxLength="{lim.voicemail_max_s}" '
        'timeout="5" playBeep="true" finishOnKey="#"/>',
        _say("We did not get a message. Goodbye."),
        "<Hangup/>",
    )


async def _store_voicemail(
    switchboard: Switchboard, tenant_id: str, params: Mapping[str, str], recording: str, duration: int
) -> None:
    """A recorded message is a call like any other: stored with a message (caller ID as the number)."""
    rx = switchboard.receptionist
    conversation = rx.conversation(
        tenant_id, caller_number=params.get("From"), dialled_number=params.get("To"), channel="twilio"
    )
    conversation.call.add_turn(
        Role.RECEPTIONIST, "All our lines are busy. Please leave a message after the tone."
    )
    conversation.call.add_turn(Role.CALLER, f"(voicemail, {duration} s: {recording})")
    reason = f"Voicemail left while all lines were busy ({duration} s): {recording}"
    result = conversation.tools.take_message(
        name="Caller (see voicemail)", phone=params.get("From"), reason=reason, phone_confirmed=True
    )
    if not result.data.get("saved"):
        log.warning("voicemail of call %s has no callable caller ID: %s", params.get("CallSid"), recording)
    await conversation.close()
