"""``receptionist worker``: the LiveKit Agents worker for production rooms and SIP trunks.

LiveKit dispatches a job per call room. The job joins the room, finds the caller (a SIP participant
carries ``sip.trunkPhoneNumber``, the number dialled, and ``sip.phoneNumber``, the caller ID; a WebRTC
caller's job metadata may name the tenant: ``{"tenant_id": "..."}``), picks the tenant as every other
transport does, and runs the same :class:`~receptionist.voice.session.VoiceCall` with the room as its
audio. :func:`handle_job` takes an optional audio pair instead of the room so that the whole entry
point runs in tests without a LiveKit server.

Run against a server (see docs/architecture.md, "LiveKit worker")::

    export LIVEKIT_URL=wss://... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=...
    receptionist worker --profile examples/dental-clinic.yaml start
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from receptionist.app import Receptionist, Tenant, UnknownTenant
from receptionist.calls import CallSummary
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.session import VoiceCall, VoiceModels, warm_clauses_in_background

log = logging.getLogger(__name__)

AGENT_NAME = "receptionist"
DIALLED_ATTR = "sip.trunkPhoneNumber"
CALLER_ATTR = "sip.phoneNumber"


class _Participant(Protocol):
    @property
    def attributes(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class CallRoute:
    """Who is calling whom, read off the job and the caller's participant."""

    tenant: Tenant
    caller_number: str | None
    dialled_number: str | None
    channel: str


def route_call(receptionist: Receptionist, participant: _Participant, job_metadata: str | None) -> CallRoute:
    """The tenant a job's caller reached: the SIP number dialled, else the tenant named in the job."""
    attrs = dict(participant.attributes or {})
    dialled = attrs.get(DIALLED_ATTR)
    caller = attrs.get(CALLER_ATTR)
    if dialled:
        return CallRoute(receptionist.tenant_for_number(dialled), caller, dialled, "sip")
    try:
        meta = json.loads(job_metadata) if job_metadata else {}
    except ValueError:
        meta = {}
    tenant_id = meta.get("tenant_id") if isinstance(meta, dict) else None
    if not isinstance(tenant_id, str):
        raise UnknownTenant("the job names no tenant and the caller dialled no known number")
    return CallRoute(receptionist.tenant(tenant_id), caller, None, "webrtc")


async def handle_job(
    ctx: Any,
    receptionist: Receptionist,
    models: VoiceModels,
    *,
    audio: tuple[CallerAudio, ReceptionistAudio] | None = None,
) -> CallSummary | None:
    """The job's whole call. ``ctx`` is a ``livekit.agents.JobContext`` (or anything shaped like one)."""
    await ctx.connect()
    participant = await ctx.wait_for_participant()
    try:
        route = route_call(receptionist, participant, getattr(ctx.job, "metadata", None))
    except UnknownTenant as e:
        log.warning("refusing call in room %s: %s", getattr(ctx.room, "name", "?"), e)
        ctx.shutdown(reason="unknown number")
        return None
    conversation = receptionist.conversation(
        route.tenant.profile.tenant_id,
        caller_number=route.caller_number,
        dialled_number=route.dialled_number,
        channel=route.channel,
    )
    caller, output = audio if audio is not None else (None, None)
    line = VoiceCall(conversation, caller=caller, output=output, models=models)
    keys: set[asyncio.Task[None]] = set()

    def on_dtmf(event: Any) -> None:  # rtc.SipDTMF: a SIP caller's keypad
        task = asyncio.create_task(line.press(str(event.digit)))
        keys.add(task)
        task.add_done_callback(keys.discard)

    room = getattr(ctx, "room", None)
    if room is not None and hasattr(room, "on"):
        room.on("sip_dtmf_received", on_dtmf)
    summary = await line.run(room=None if audio is not None else ctx.room)
    ctx.shutdown(reason="call ended")
    return summary


def run_worker(receptionist: Receptionist) -> None:
    """Hand the process to LiveKit's worker CLI (``start``, ``dev``, ...: the remaining argv)."""
    from livekit.agents import JobContext, JobProcess, WorkerOptions, cli

    def prewarm(proc: JobProcess) -> None:
        models = receptionist.voice_models()
        warm_clauses_in_background(models.options.tts)
        proc.userdata["models"] = models

    async def entrypoint(ctx: JobContext) -> None:
        models = ctx.proc.userdata.get("models") or receptionist.voice_models()
        await handle_job(ctx, receptionist, models)

    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm, agent_name=AGENT_NAME))
