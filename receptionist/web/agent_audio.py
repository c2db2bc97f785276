"""``WS /api/agent/calls/{call_id}/audio``: the agent's microphone and speaker on a bridged voice call.

Binary frames both ways: 16-bit little-endian mono PCM at 16 kHz (the agent's microphone in; the
caller's voice out, as it arrives). Text frames from the server, JSON: ``{"type": "agent_said", "text"}``
(the agent's own words as transcribed into the call) and ``{"type": "ended"}`` when the call is over
(then the socket closes normally). Only the agent the call was put through to may open it,
signed in by session cookie (same origin) or with their bearer token; anyone else, a call that is not
bridged, or a call without audio (a text chat) is refused with 1008 and a reason, like an unknown id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from receptionist.web.agent_socket import authenticate_agent
from receptionist.web.context import ApiContext, get_context

if TYPE_CHECKING:  # the voice extra: imported when a bridged voice call asks for it
    from receptionist.telephony.agent_leg import AgentLeg
    from receptionist.voice.session import VoiceCall

log = logging.getLogger(__name__)

router = APIRouter()

POLICY_VIOLATION = 1008
MAX_BAD_MESSAGES = 20


@router.websocket("/calls/{call_id}/audio")
async def agent_audio(websocket: WebSocket, call_id: str) -> None:
    context = get_context(websocket)
    agent = await authenticate_agent(websocket, context)
    if agent is None:
        return
    line = _line(context, call_id, agent.agent_id)
    if line is None:
        await websocket.close(code=POLICY_VIOLATION, reason="no such call on this agent")
        return
    from receptionist.telephony.agent_leg import AgentLeg

    async def agent_said(text: str) -> None:
        with contextlib.suppress(Exception):  # the socket may be closing: the turn is stored anyway
            await websocket.send_json({"type": "agent_said", "text": text})

    async with AgentLeg(line) as leg:
        leg.on_agent_said = agent_said
        sender = asyncio.create_task(_send_caller(websocket, leg), name=f"agent-audio-{call_id}")
        receiver = asyncio.create_task(_receive_agent(websocket, leg), name=f"agent-mic-{call_id}")
        ended = asyncio.create_task(_until_over(context, call_id), name=f"agent-audio-end-{call_id}")
        await asyncio.wait({sender, receiver, ended}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sender, receiver, ended):
            task.cancel()
        await asyncio.gather(sender, receiver, ended, return_exceptions=True)
    with contextlib.suppress(Exception):
        await websocket.send_json({"type": "ended"})
        await websocket.close()


def _line(context: ApiContext, call_id: str, agent_id: str) -> VoiceCall | None:
    bridge = context.bridges.get(call_id)
    if bridge is None or bridge.ended or bridge.agent_id != agent_id or context.switchboard is None:
        return None
    line = context.switchboard.line(call_id)
    if line is None or line.caller is None or line.output is None:
        return None
    return line


async def _send_caller(websocket: WebSocket, leg: AgentLeg) -> None:
    async for chunk in leg.caller_audio():
        await websocket.send_bytes(chunk)


async def _receive_agent(websocket: WebSocket, leg: AgentLeg) -> None:
    from receptionist.telephony.agent_leg import BadAgentAudio

    bad = 0
    while True:
        try:
            message = await websocket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            continue  # text frames from the agent carry nothing here
        try:
            await leg.play(data)
        except BadAgentAudio as exc:
            bad += 1
            log.warning("call %s: agent audio frame dropped: %s", leg.line.call_id, exc)
            if bad > MAX_BAD_MESSAGES:
                await websocket.close(code=POLICY_VIOLATION, reason="too many malformed audio frames")
                return


async def _until_over(context: ApiContext, call_id: str) -> None:
    while True:
        bridge = context.bridges.get(call_id)
        if bridge is None or bridge.ended:
            return
        await asyncio.sleep(0.25)
