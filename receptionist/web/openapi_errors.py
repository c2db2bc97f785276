"""The error answers of every operation, in the OpenAPI schema, worked out from what each route depends on.

Errors all have one shape (:mod:`receptionist.web.errors`), and most come from the same few places, so
they are documented here once rather than on each route:

- 401: the route needs a signed-in user or an agent (it depends on ``current_principal`` or
  ``current_agent``);
- 403: any unsafe method (POST, PUT, PATCH, DELETE): the CSRF middleware refuses a cookie request without
  ``X-CSRF-Token`` or from another site's page;
- 404: the path has parameters (an id that does not exist, or that this user may not read: the two answer
  alike), the route is the provider's (others get 404, as if it did not exist) or works the call
  distributor (an unknown call or queue);
- 409 and 503: the route works the call distributor (it depends on ``current_agent``): an offer or state
  that moved on, or a store that did not answer;
- 413: the route takes a body (the body-size limit);
- 422: the route takes parameters or a body (the details name the fields).

What a route documents itself (``responses=``) wins. :func:`install` adds the rest when the schema is
first built, so a new route is documented without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from receptionist.web.auth.deps import current_principal, require_admin
from receptionist.web.context import current_agent

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ERROR_SCHEMA = "ErrorBody"


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"code": "...", "message": "...", "details": ...}}``."""

    error: ErrorDetail


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _has_params(dependant: Dependant, kind: str) -> bool:
    """Whether the route or any of its dependencies takes ``kind`` parameters ("path", "query", "header")."""
    return bool(getattr(dependant, f"{kind}_params")) or any(
        _has_params(d, kind) for d in dependant.dependencies
    )


def route_errors(route: APIRoute, method: str) -> dict[int, str]:
    """The error statuses ``route`` can answer for ``method``, with what each means."""
    calls = set(_calls(route.dependant))
    path = _has_params(route.dependant, "path")  # in a dependency too ({tenant_id})
    agent = current_agent in calls
    errors: dict[int, str] = {}
    if agent or current_principal in calls:
        errors[401] = "not signed in (no session cookie or API token)" + (
            ", or not an agent" if agent else ""
        )
    if method in UNSAFE_METHODS:
        errors[403] = "by session cookie without the X-CSRF-Token header or from another site's page"
    if path or agent or require_admin in calls:
        errors[404] = "no such resource, or one this user may not read"
    if agent:
        errors[409] = "the offer or the agent's state has moved on"
        errors[503] = "the call distributor is unavailable; try again"
    if route.body_field is not None:
        errors[413] = "the body is larger than the limit"
    if (
        route.body_field is not None
        or path
        or any(_has_params(route.dependant, k) for k in ("query", "header"))
    ):
        errors[422] = "the request is not valid (the details name the fields)"
    return errors


def install(app: FastAPI) -> None:
    """Build the app's OpenAPI schema with every operation's error answers (once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas[ERROR_SCHEMA] = body
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}
        for context in iter_route_contexts(app.routes):  # routes of included routers too, with prefixes
            route = context.original_route
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in context.methods or route.methods or ():
                operation = schema["paths"].get(context.path, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status, meaning in route_errors(route, method).items():
                    responses.setdefault(str(status), {"description": meaning})
                for status, documented in responses.items():
                    if (
                        status.isdigit()
                        and int(status) >= 400
                        and (status == "422" or "content" not in documented)
                    ):
                        documented["content"] = content  # our shape (not FastAPI's HTTPValidationError)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
