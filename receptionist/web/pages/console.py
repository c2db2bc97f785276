"""The agent console, ``/console``: the page itself; everything live comes by push to ``console.js``.

The script talks to the agent API with the session cookie (``X-CSRF-Token`` on every POST): presence
(``/api/agent/ready``, ``/pause``, ``/logout``), offers (``/offers/{id}/accept|decline``), the call
(``/calls/{id}/complete``, ``/calls/{id}/notes``); it listens on ``/api/agent/ws`` (offers, state,
queues, what the caller says; it sends ``say``) and carries the call's audio on
``/api/agent/calls/{id}/audio`` (16 kHz 16-bit PCM both ways).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from receptionist.web.context import ContextDep
from receptionist.web.pages.access import AgentPageDep, find_tenant
from receptionist.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

PAUSE_REASONS = (
    ("break", "Break"),
    ("lunch", "Lunch"),
    ("meeting", "Meeting"),
    ("training", "Training"),
    ("admin", "Admin work"),
)


@router.get("/console")
async def console_page(request: Request, agent: AgentPageDep, context: ContextDep) -> Response:
    names: dict[str, str] = {}
    for tenant_id in sorted(agent.served):
        tenant = await find_tenant(context, tenant_id)
        names[tenant_id] = tenant.name if tenant is not None else tenant_id
    return render(
        request, "console.html", title="Agent console", tenant_names=names, pause_reasons=PAUSE_REASONS,
        scripts=("console.js",),
    )  # fmt: skip
