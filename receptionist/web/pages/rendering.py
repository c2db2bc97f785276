"""Server-rendered pages: one Jinja2 environment, one Content-Security-Policy, times in the tenant's zone.

Pages carry no inline script (the policy forbids it): behaviour lives in ``/static/*.js`` modules, and the
CSRF token reaches them through ``<meta name="csrf-token">``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from receptionist.web.auth.principal import Principal

CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; "
    "style-src 'self'; img-src 'self' data:; worker-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show private data; the back button must not show it after logout
}


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("receptionist.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local_time
    env.filters["seconds"] = seconds
    env.filters["percent"] = percent
    env.filters["words"] = words
    return env


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for this request's principal (if any), with the page security headers."""
    principal: Principal | None = getattr(request.state, "principal", None)
    values: Mapping[str, Any] = {
        "principal": principal,
        "csrf": principal.csrf if principal is not None and principal.csrf else "",
        "path": request.url.path,
        "scripts": (),
        **context,
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


# -- filters ------------------------------------------------------------------------------------------------


def local_time(at: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``at`` (naive means UTC, as storage hands it out) on the tenant's clock."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).strftime(fmt)


def seconds(value: float | None) -> str:
    """A duration for people: ``42 s``, ``3 min 5 s``."""
    if value is None:
        return "–"
    total = round(value)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def percent(value: float | None) -> str:
    """A fraction 0..1 as a percentage; a dash when there is nothing to divide."""
    return "–" if value is None else f"{value * 100:.0f} %"


def words(value: object) -> str:
    """An enum value or identifier as words: ``message_taken`` → ``message taken``."""
    if value is None:
        return ""
    return str(getattr(value, "value", value)).replace("_", " ")
