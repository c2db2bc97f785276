"""The agent's WebSocket, ``/api/agent/ws``: offers (with the briefing), their end, the agent's own state
and the live queues of the tenants they serve, all pushed as they happen; accept, decline and (in text
mode) what the agent says to the caller, sent back.

Authentication: the session cookie of a signed-in agent on a same-origin handshake (the console page),
``Authorization: Bearer <token>`` on the handshake, or (browsers cannot set headers) a first message
``{"type": "auth", "token": "..."}`` within ``ws_auth_timeout_s``; otherwise the socket is closed with
1008. Pushed messages (``type``): ``hello``, ``offer``, ``offer_ended`` (reason:
``no_answer``, ``declined``, ``answered_elsewhere``, ``caller_left``, ``abandoned``), ``connected``,
``call_ended``, ``state``, ``queue``, ``caller_said``, ``ok``, ``error``, ``pong``.
A socket too slow to keep up is closed with 1013; the client reconnects and gets a fresh ``hello``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from receptionist.acd.agents_file import AgentAccount
from receptionist.acd.config import QueueKey
from receptionist.acd.errors import AcdError
from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K
from receptionist.acd.fanout import Subscription, SubscriptionClosed
from receptionist.web.agent_routes import agent_view
from receptionist.web.auth.middleware import authenticate_websocket
from receptionist.web.auth.principal import Role
from receptionist.web.context import ApiContext, bearer_token, get_context
from receptionist.web.errors import acd_error
from receptionist.web.schemas import OfferOut, QueueOut

log = logging.getLogger(__name__)
router = APIRouter()

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
_OFFER_ENDS = {K.RING_NO_ANSWER: "no_answer", K.DECLINE: "declined"}


class _Auth(BaseModel):
    type: Literal["auth"]
    token: str = Field(max_length=512)


class _Ping(BaseModel):
    type: Literal["ping"]


class _OfferAction(BaseModel):
    type: Literal["accept", "decline"]
    offer_id: str = Field(pattern=_ID)


class _Say(BaseModel):
    type: Literal["say"]
    call_id: str = Field(pattern=_ID)
    text: str = Field(min_length=1, max_length=4000)


_CLIENT = TypeAdapter(Annotated[_Ping | _OfferAction | _Say, Field(discriminator="type")])


@router.websocket("/ws")
async def agent_socket(websocket: WebSocket) -> None:
    context = get_context(websocket)
    agent = await authenticate_agent(websocket, context)
    if agent is not None:
        await AgentSocket(websocket, context, agent).run()


async def authenticate_agent(websocket: WebSocket, context: ApiContext) -> AgentAccount | None:
    """The agent on this socket (session cookie, bearer token, or a first ``auth`` message), accepted;
    None after refusing it."""
    principal = await authenticate_websocket(websocket, context)  # session cookie, same-origin only
    if principal is not None and principal.role is Role.AGENT and principal.agent_id:
        signed_in = context.agents.get(principal.agent_id)
        if signed_in is not None:
            await websocket.accept()
            return signed_in
    token = bearer_token(websocket.headers.get("authorization"))
    if token is not None:
        agent = context.agents.authenticate(token)
        if agent is None:
            await websocket.close(code=POLICY_VIOLATION, reason="invalid token")  # refuses the handshake
            return None
        await websocket.accept()
        return agent
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), timeout=context.settings.ws_auth_timeout_s)
        agent = context.agents.authenticate(_Auth.model_validate_json(raw).token)
    except (TimeoutError, ValidationError, KeyError):
        agent = None
    except WebSocketDisconnect:
        return None
    if agent is None:
        await websocket.close(code=POLICY_VIOLATION, reason="authenticate first: {type: auth, token}")
    return agent


class _SocketParticipant:
    """The agent's side of a bridged text call: what the caller says is pushed to the socket."""

    def __init__(self, socket: AgentSocket, call_id: str) -> None:
        self._socket = socket
        self._call_id = call_id

    async def hear(self, text: str) -> None:
        await self._socket.send({"type": "caller_said", "call_id": self._call_id, "text": text})

    async def hang_up(self) -> None:
        """``call_ended`` comes from the queue log."""


class AgentSocket:
    """One agent's open socket: pushes what happens, answers what the agent sends."""

    def __init__(self, websocket: WebSocket, context: ApiContext, agent: AgentAccount) -> None:
        self.websocket = websocket
        self.context = context
        self.agent = agent
        self._send_lock = asyncio.Lock()
        self._console = self._participant  # one bound method, so detach finds what attach stored

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json(message)

    def _participant(self, call_id: str) -> _SocketParticipant:
        return _SocketParticipant(self, call_id)

    async def run(self) -> None:
        service, agent_id = self.context.service, self.agent.agent_id
        sub = service.subscribe(agents=(agent_id,), tenants=tuple(sorted(self.agent.tenants)))
        self.context.bridges.attach_agent(agent_id, self._console)
        try:
            await self.send({"type": "hello", **(await self._state()), "queues": await self._queues(None)})
            pusher = asyncio.create_task(self._push(sub))
            receiver = asyncio.create_task(self._receive())
            done, pending = await asyncio.wait({pusher, receiver}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                    await task
            if pusher in done and sub.lagged:
                with contextlib.suppress(Exception):
                    await self.websocket.close(code=TRY_AGAIN_LATER, reason="too far behind; reconnect")
        except WebSocketDisconnect:
            pass
        finally:
            self.context.bridges.detach_agent(agent_id, self._console)
            sub.close()

    # -- pushing ------------------------------------------------------------------------------------

    async def _push(self, sub: Subscription) -> None:
        while True:
            try:
                batch = [await sub.get()]
            except SubscriptionClosed:
                return
            while (more := sub.get_nowait()) is not None:
                batch.append(more)
            changed: set[QueueKey] = set()
            own = False
            for event in batch:
                if event.agent_id == self.agent.agent_id:
                    own = True
                    for message in await self._about_me(event):
                        await self.send(message)
                changed.update(self._queues_touched(event))
                sub.task_done()
            if own:
                await self.send({"type": "state", **(await self._state())})
            if changed:
                for queue in await self._queues(changed):
                    await self.send({"type": "queue", "queue": queue})

    async def _about_me(self, e: QueueEvent) -> list[dict[str, Any]]:
        call = {"call_id": e.call_id}
        if e.kind is K.OFFER:
            offer = await self.context.service.open_offer(self.agent.agent_id)
            if offer is None or offer.offer_id != e.data.get("offer_id"):
                return []  # already gone: its offer_ended follows
            return [{"type": "offer", "offer": OfferOut.of(offer).model_dump(mode="json")}]
        if e.kind in _OFFER_ENDS or e.kind is K.WITHDRAW:
            reason = _OFFER_ENDS.get(e.kind) or str(e.data.get("reason", "withdrawn"))
            return [{"type": "offer_ended", "offer_id": e.data.get("offer_id"), **call, "reason": reason}]
        if e.kind is K.CONNECT:
            return [{"type": "connected", **call}]
        if e.kind in (K.COMPLETE_CALLER, K.COMPLETE_AGENT):
            by = "caller" if e.kind is K.COMPLETE_CALLER else "agent"
            return [{"type": "call_ended", **call, "by": by}]
        if e.kind is K.TRANSFER:
            return [{"type": "call_ended", **call, "by": "agent", "transferred_to": e.data.get("to")}]
        return []

    def _queues_touched(self, e: QueueEvent) -> set[QueueKey]:
        if not self.agent.serves(e.tenant_id):
            return set()
        if e.queue is not None:
            return {QueueKey(e.tenant_id, e.queue)}
        return set(self.context.service.queues({e.tenant_id}))  # presence changed: staffing of all

    async def _state(self) -> dict[str, Any]:
        view = await agent_view(self.context, self.agent)
        return {"agent": view.model_dump(mode="json")}

    async def _queues(self, keys: set[QueueKey] | None) -> list[dict[str, Any]]:
        service = self.context.service
        wanted = service.queues(set(self.agent.tenants))
        out = []
        for key in wanted:
            if keys is None or key in keys:
                try:
                    out.append(QueueOut.of(await service.queue_status(key)).model_dump(mode="json"))
                except AcdError as exc:
                    log.warning("no status for queue %s: %s", key, exc)
        return out

    # -- receiving ----------------------------------------------------------------------------------

    async def _receive(self) -> None:
        limit = self.context.settings.max_ws_message_chars
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            if len(raw) > limit:
                await self._error("too_large", f"messages must be at most {limit} characters")
                continue
            try:
                request = _CLIENT.validate_json(raw)
            except ValidationError as exc:
                invalid = any(e["type"] == "json_invalid" for e in exc.errors())
                code = "invalid_json" if invalid else "invalid_request"
                await self._error(code, "not a valid message", [e["msg"] for e in exc.errors()][:5])
                continue
            await self._handle(request)

    async def _handle(self, request: _Ping | _OfferAction | _Say) -> None:
        if isinstance(request, _Ping):
            await self.send({"type": "pong"})
            return
        if isinstance(request, _Say):
            bridge = self.context.bridges.get(request.call_id)
            if bridge is None or bridge.agent_id != self.agent.agent_id:
                await self._error("not_found", "no such bridged call")
                return
            await bridge.from_agent(request.text)
            return
        service, agent_id = self.context.service, self.agent.agent_id
        offer = await service.open_offer(agent_id)
        if offer is None or offer.offer_id != request.offer_id or not self.agent.serves(offer.tenant_id):
            await self._error("not_found", "no such offer")
            return
        try:
            if request.type == "accept":
                await service.accept(agent_id, request.offer_id)
            else:
                await service.decline(agent_id, request.offer_id)
        except AcdError as exc:
            api = acd_error(exc)
            await self._error(api.code, api.message)
            return
        await self.send({"type": "ok", "request": request.type, "offer_id": request.offer_id})

    async def _error(self, code: str, message: str, details: object = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        await self.send({"type": "error", "error": json.loads(json.dumps(error, default=str))})
