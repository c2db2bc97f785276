"""The agent API: presence (log in/out, pause, ready), offers (accept/decline), calls (complete, wrap-up
notes) and the live queues of the tenants the agent serves.

An agent acts only on their own offer and on calls they handled, and only in tenants they serve; any
other id is 404, the same answer as an id that does not exist, so nothing leaks across tenants.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query

from receptionist.acd.agents_file import AgentAccount
from receptionist.acd.events import QueueEventKind
from receptionist.acd.model import AgentState, CallState, Party
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventRepository
from receptionist.storage.wrapup_notes import WrapUpNoteRepository
from receptionist.web.context import AgentDep, ApiContext, ContextDep
from receptionist.web.errors import ApiError, not_found
from receptionist.web.schemas import AgentOut, LoginRequest, NoteOut, NoteRequest, PauseRequest, QueueOut

router = APIRouter(tags=["agent"])

_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
OfferId = Annotated[str, Path(pattern=_ID)]
CallId = Annotated[str, Path(pattern=_ID)]


async def agent_view(context: ApiContext, agent: AgentAccount) -> AgentOut:
    snapshot = await context.service.agent(agent.agent_id)
    offer = await context.service.open_offer(agent.agent_id) if snapshot is not None else None
    return AgentOut.of(agent, snapshot, offer)


async def _state(context: ApiContext, agent: AgentAccount) -> AgentState:
    snapshot = await context.service.agent(agent.agent_id)
    if snapshot is None:
        raise ApiError(409, "this agent is not configured in the call distributor", code="not_configured")
    return snapshot.state


@router.get("/me")
async def me(context: ContextDep, agent: AgentDep) -> AgentOut:
    """The agent's state, with the offer ringing for them (and its briefing) if any."""
    return await agent_view(context, agent)


@router.post("/login")
async def login(context: ContextDep, agent: AgentDep, body: LoginRequest | None = None) -> AgentOut:
    """Log in, available at once (or paused, to go ready later). Logging in again changes nothing."""
    if await _state(context, agent) is AgentState.LOGGED_OUT:
        await context.service.login(agent.agent_id)
        if body is not None and body.paused:
            await context.service.pause(agent.agent_id, body.reason)
    return await agent_view(context, agent)


@router.post("/logout")
async def logout(context: ContextDep, agent: AgentDep) -> AgentOut:
    """Log off (not while an offer rings or a call is on); logging off again changes nothing."""
    if await _state(context, agent) is not AgentState.LOGGED_OUT:
        await context.service.logoff(agent.agent_id)
    return await agent_view(context, agent)


@router.post("/pause")
async def pause(context: ContextDep, agent: AgentDep, body: PauseRequest) -> AgentOut:
    await context.service.pause(agent.agent_id, body.reason)
    return await agent_view(context, agent)


@router.post("/ready")
async def ready(context: ContextDep, agent: AgentDep) -> AgentOut:
    """Take calls now: ends a pause or wrap-up (logs in if logged out); already available is fine."""
    state = await _state(context, agent)
    if state is AgentState.PAUSED:
        await context.service.unpause(agent.agent_id)
    elif state is AgentState.WRAP_UP:
        await context.service.ready(agent.agent_id)
    elif state is AgentState.LOGGED_OUT:
        await context.service.login(agent.agent_id)
    elif state is not AgentState.AVAILABLE:
        raise ApiError(409, f"cannot go ready while {state.value}")
    return await agent_view(context, agent)


@router.post("/offers/{offer_id}/accept")
async def accept(context: ContextDep, agent: AgentDep, offer_id: OfferId) -> AgentOut:
    """Take the call offered: the caller is bridged to the agent."""
    await _own_offer(context, agent, offer_id)
    await context.service.accept(agent.agent_id, offer_id)
    return await agent_view(context, agent)


@router.post("/offers/{offer_id}/decline")
async def decline(context: ContextDep, agent: AgentDep, offer_id: OfferId) -> AgentOut:
    """Pass on the call offered: the ACD offers it to the next agent."""
    await _own_offer(context, agent, offer_id)
    await context.service.decline(agent.agent_id, offer_id)
    return await agent_view(context, agent)


@router.post("/calls/{call_id}/complete")
async def complete(context: ContextDep, agent: AgentDep, call_id: CallId) -> AgentOut:
    """End the agent's connected call (they hang up); wrap-up follows as the queue says."""
    call = await context.service.call(call_id)
    if (
        call is None
        or not agent.serves(call.queue.tenant_id)
        or call.agent_id != agent.agent_id
        or call.state is not CallState.CONNECTED
    ):
        raise not_found("connected call")
    await context.service.complete(call_id, Party.AGENT)  # the caller's hold session ends the bridge
    return await agent_view(context, agent)


@router.post("/calls/{call_id}/notes", status_code=201)
async def add_note(context: ContextDep, agent: AgentDep, call_id: CallId, body: NoteRequest) -> NoteOut:
    """Wrap-up notes on a call the agent handled, kept with the call's tenant."""
    tenant = await _handled_by(context, agent, call_id)
    db = _database(context)
    note = await asyncio.to_thread(WrapUpNoteRepository(db, tenant).add, call_id, agent.agent_id, body.text)
    return NoteOut.of(note)


@router.get("/calls/{call_id}/notes")
async def notes(context: ContextDep, agent: AgentDep, call_id: CallId) -> list[NoteOut]:
    tenant = await _handled_by(context, agent, call_id)
    found = await asyncio.to_thread(WrapUpNoteRepository(_database(context), tenant).for_call, call_id)
    return [NoteOut.of(n) for n in found]


@router.get("/queues")
async def queues(
    context: ContextDep, agent: AgentDep, tenant: Annotated[str | None, Query(max_length=64)] = None
) -> list[QueueOut]:
    """The live state of every queue of the tenants the agent serves (or of one of them)."""
    if tenant is not None and not agent.serves(tenant):
        raise not_found("tenant")
    tenants = {tenant} if tenant is not None else set(agent.tenants)
    return [QueueOut.of(await context.service.queue_status(key)) for key in context.service.queues(tenants)]


# -- access -----------------------------------------------------------------------------------------


async def _own_offer(context: ApiContext, agent: AgentAccount, offer_id: str) -> None:
    offer = await context.service.open_offer(agent.agent_id)
    if offer is None or offer.offer_id != offer_id or not agent.serves(offer.tenant_id):
        raise not_found("offer")


async def _handled_by(context: ApiContext, agent: AgentAccount, call_id: str) -> str:
    """The tenant of a call the agent was connected to; 404 for any other call."""
    call = await context.service.call(call_id)
    if call is not None and call.agent_id == agent.agent_id and agent.serves(call.queue.tenant_id):
        return call.queue.tenant_id
    if context.db is not None:  # the ACD forgets ended calls after a while; the stored log does not
        for tenant in sorted(agent.tenants):
            repo = QueueEventRepository(context.db, tenant)
            events = await asyncio.to_thread(repo.list, call_id=call_id, agent_id=agent.agent_id, limit=100)
            if any(e.kind is QueueEventKind.CONNECT for e in events):
                return tenant
    raise not_found("call")


def _database(context: ApiContext) -> Database:
    if context.db is None:
        raise ApiError(503, "notes need a database", code="unavailable")
    return context.db
