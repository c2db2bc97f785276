"""The web pages: server-rendered Jinja2 (``receptionist/web/templates``) with small JS modules and one
stylesheet served from ``/static``.

- ``/`` sends each role home; ``/login`` (the form posts to the auth routes); ``/admin`` (every tenant).
- ``/dashboard/{tenant_id}/calls``, ``.../calls/{call_id}``, ``.../messages``, ``.../stats``,
  ``.../profile``: an owner's own business, any business for the admin; anything else is the 404 page.
- ``/console``: the agent console (``console.js``).

Anonymous visitors are redirected to ``/login?next=<page>``. Every page is sent with a
Content-Security-Policy without inline scripts; form posts check the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from receptionist.web.pages import access, calls, console, home, messages, profile, stats

router = APIRouter(include_in_schema=False)
for _module in (home, calls, messages, stats, profile, console):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Add the pages, their error handling and ``/static`` to ``app``."""
    access.install(app)
    app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("receptionist.web", "static")]), name="static")
