"""Tenant isolation over the whole route table of the process ``receptionist serve`` builds.

Every route of the app has a rule here (:data:`RULES`, :data:`SOCKETS`, :data:`MOUNTS`), and
:func:`test_every_route_has_a_rule` fails when the app has a route without one, so a new route cannot
escape these checks. Each HTTP rule is run with the path filled with tenant B's real ids (its call,
message, the offer ringing for B's agent, an API token of B's owner...) for every kind of user, and, as a
control that the route works at all, with tenant A's ids for A's own users: anonymous visitors get 401 (the
API) or the login page (pages) unless the route is public by design; A's owner and A's agent get 404 on
anything of B's, exactly as for ids that do not exist; the admin (and B's own users) get B's data. No
response to someone who may not read B contains B's caller name, number or words.

Signed-in users come both ways: by session cookie (with the session's CSRF token on unsafe requests, so a
404 comes from scoping rather than the CSRF check) and by API token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from receptionist.calls import Call
from receptionist.dashboard.profiles import ProfileStore
from receptionist.web.auth.sessions import SESSION_COOKIE
from tests.web.seeded_site import AGENT_OF, SECOND_AGENT, A, B, Site, Who, build_site, escalation, leaked

pytestmark = pytest.mark.timeout(120)

Fill = Literal["A", "B"]
Credential = Literal["cookie", "token"]
LOGIN = (303, "/login?next=")  # a page sends anonymous visitors to the login form
Expect = int | tuple[int, str]  # a status, or a redirect and the start of its Location


@dataclass(frozen=True)
class Live:
    """One tenant's calls in the ACD: connected to its agent with a login, and ringing for the other."""

    connected_call_id: str
    offer_id: str


@dataclass
class World:
    site: Site
    client: TestClient
    live: dict[str, Live]

    def ids(self, tenant_id: str, *, owner: Who) -> dict[str, str]:
        """The path parameters naming ``tenant_id``'s things."""
        stored = self.site.tenants[tenant_id]
        return {
            "tenant_id": tenant_id,
            "call_id": stored.call_id,
            "message_id": stored.message_id,
            "offer_id": self.live[tenant_id].offer_id,
            "token_id": str(self.site.spare_token(owner)),
        }


# -- the rules ---------------------------------------------------------------------------------------------

Body = Callable[[World, str], dict[str, Any]]  # (world, tenant) -> httpx request keywords


def _none(_world: World, _tenant: str) -> dict[str, Any]:
    return {}


def _profile_json(world: World, tenant_id: str) -> dict[str, Any]:
    """The tenant's current profile, sent back unchanged (a save that must succeed for its readers)."""
    current = _current_profile(world, tenant_id)
    return {"json": {"yaml": current[0], "version": current[1]}}


def _profile_form(world: World, tenant_id: str) -> dict[str, Any]:
    yaml_text, version = _current_profile(world, tenant_id)
    return {"data": {"yaml": yaml_text, "version": str(version)}}


def _current_profile(world: World, tenant_id: str) -> tuple[str, int]:
    rx = world.site.server.receptionist
    found = ProfileStore(world.site.db).current(tenant_id, rx.tenants[tenant_id].profile)
    assert found is not None
    return found.yaml, found.version


def _json(value: Any) -> Body:
    return lambda _world, _tenant: {"json": value}


def _form(value: dict[str, str]) -> Body:
    return lambda _world, _tenant: {"data": dict(value)}


def _tenant_query(_world: World, tenant_id: str) -> dict[str, Any]:
    return {"params": {"tenant": tenant_id}}


def _softphone(_world: World, tenant_id: str) -> dict[str, Any]:
    return {"json": {"tenant_id": tenant_id}}


@dataclass(frozen=True)
class Rule:
    """What each user gets from one route and method: ``b`` with B's ids in the path, ``a`` (the
    control) with A's. ``reads_b``: who may see B's data in the answer."""

    b: dict[Who, Expect]
    a: dict[Who, Expect] = field(default_factory=dict)
    body: Body = _none
    reads_b: frozenset[Who] = frozenset({"admin", "owner_b"})
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> another id of the tenant's


def tenant_api(status: int = 200, body: Body = _none) -> Rule:
    """An owner's dashboard API route: the tenant's owner and the admin only."""
    return Rule(
        b={"anonymous": 401, "owner_a": 404, "agent_a": 404, "agent_b": 404, "admin": status, "owner_b": status},
        a={"owner_a": status},
        body=body,
    )  # fmt: skip


def tenant_page(ok: Expect = 200, body: Body = _none) -> Rule:
    """A dashboard page: the login form for visitors, the 404 page for anyone but the owner and admin."""
    return Rule(
        b={"anonymous": LOGIN, "owner_a": 404, "agent_a": 404, "agent_b": 404, "admin": ok, "owner_b": ok},
        a={"owner_a": ok},
        body=body,
    )  # fmt: skip


def agent_api(b_agent: Expect | None, a_agent: Expect | None, body: Body = _none, **ids: str) -> Rule:
    """An agent route naming a call or an offer: only the agent who has it, in a tenant they serve.
    ``None``: not run for that agent here (it would change the call; see the last test)."""
    b: dict[Who, Expect] = {"anonymous": 401, "owner_a": 401, "owner_b": 401, "admin": 401, "agent_a": 404}
    if b_agent is not None:
        b["agent_b"] = b_agent
    a: dict[Who, Expect] = {"agent_a": a_agent} if a_agent is not None else {}
    return Rule(b=b, a=a, body=body, reads_b=frozenset({"agent_b"}), ids=ids)


def presence(agent: int, body: Body = _none) -> Rule:
    """The agent's own presence: no ids in the path; 401 for anyone not an agent."""
    return Rule(b={"anonymous": 401, "owner_a": 401, "admin": 401, "agent_a": agent}, body=body)


def same_for_all(status: Expect, body: Body = _none, who: tuple[Who, ...] | None = None) -> Rule:
    """A route public by design: the same answer whoever asks, and never anyone's calls."""
    everyone: tuple[Who, ...] = who or ("anonymous", "owner_a", "agent_a", "admin")
    return Rule(b=dict.fromkeys(everyone, status), body=body, reads_b=frozenset())


def signed_in(status: int, body: Body = _none) -> Rule:
    """Routes about the signed-in user themselves."""
    return Rule(b={"anonymous": 401, "owner_a": status, "agent_a": status, "admin": status}, body=body)


WRONG_LOGIN = {"email": "owner@dental.example", "password": "not the password"}

RULES: dict[tuple[str, str], Rule] = {
    # FastAPI's own documentation: public
    ("/openapi.json", "GET"): same_for_all(200),
    ("/docs", "GET"): same_for_all(200),
    ("/docs/oauth2-redirect", "GET"): same_for_all(200),
    ("/redoc", "GET"): same_for_all(200),
    # the agent API
    ("/api/agent/me", "GET"): presence(200),
    ("/api/agent/login", "POST"): presence(200),
    ("/api/agent/logout", "POST"): presence(409),  # ann is on a call
    ("/api/agent/pause", "POST"): presence(409, _json({"reason": "lunch"})),  # not on a call
    ("/api/agent/ready", "POST"): presence(409),  # on a call: not ready
    ("/api/agent/offers/{offer_id}/accept", "POST"): agent_api(404, None),  # dee's offer, not dan's
    ("/api/agent/offers/{offer_id}/decline", "POST"): agent_api(404, None),
    ("/api/agent/calls/{call_id}/complete", "POST"): agent_api(None, None, call_id="connected_call_id"),
    ("/api/agent/calls/{call_id}/notes", "POST"): agent_api(201, 201, _json({"text": "called back"})),
    ("/api/agent/calls/{call_id}/notes", "GET"): agent_api(200, 200),
    ("/api/agent/queues", "GET"): agent_api(200, 200, _tenant_query),
    # accounts
    ("/api/auth/login", "POST"): same_for_all(401, _json(WRONG_LOGIN), ("anonymous", "owner_a", "agent_a")),
    ("/api/auth/logout", "POST"): same_for_all(204),
    ("/api/me", "GET"): signed_in(200),
    ("/login", "POST"): same_for_all(
        (303, "/login?error=1"), _form(WRONG_LOGIN), ("anonymous", "owner_a", "agent_a")
    ),
    ("/logout", "POST"): same_for_all((303, "/login"), _form({})),
    ("/api/tokens", "GET"): signed_in(200),
    ("/api/tokens", "POST"): signed_in(201, _json({"name": "a script"})),
    ("/api/tokens/{token_id}", "DELETE"): Rule(
        b={"anonymous": 401, "owner_a": 404, "agent_a": 404, "admin": 404, "owner_b": 204},
        a={"owner_a": 204},
    ),
    # the owner's dashboard API
    ("/api/tenants", "GET"): signed_in(200),
    ("/api/tenants/{tenant_id}/calls", "GET"): tenant_api(),
    ("/api/tenants/{tenant_id}/calls/{call_id}", "GET"): tenant_api(),
    ("/api/tenants/{tenant_id}/messages", "GET"): tenant_api(),
    ("/api/tenants/{tenant_id}/messages/{message_id}/handled", "POST"): tenant_api(),
    ("/api/tenants/{tenant_id}/stats", "GET"): tenant_api(),
    ("/api/tenants/{tenant_id}/profile", "GET"): tenant_api(),
    ("/api/tenants/{tenant_id}/profile", "PUT"): tenant_api(body=_profile_json),
    ("/api/admin/usage", "GET"): Rule(
        b={"anonymous": 401, "owner_a": 404, "agent_a": 404, "owner_b": 404, "admin": 200}
    ),
    # operations: anonymous by design
    ("/healthz", "GET"): same_for_all(200),
    ("/readyz", "GET"): same_for_all(200),
    ("/metrics", "GET"): same_for_all(200),
    # the pages
    ("/", "GET"): Rule(
        b={
            "anonymous": (303, "/login"),
            "owner_a": (303, f"/dashboard/{A}/calls"),
            "agent_a": (303, "/console"),
            "admin": (303, "/admin"),
        }
    ),
    ("/login", "GET"): Rule(b={"anonymous": 200, "owner_a": (303, "/"), "agent_a": (303, "/")}),
    ("/dashboard", "GET"): Rule(
        b={"anonymous": LOGIN, "owner_a": (303, f"/dashboard/{A}/calls"), "agent_a": 404, "admin": 200}
    ),
    ("/admin", "GET"): Rule(b={"anonymous": LOGIN, "owner_a": 404, "agent_a": 404, "admin": 200}),
    ("/dashboard/{tenant_id}/calls", "GET"): tenant_page(),
    ("/dashboard/{tenant_id}/calls/{call_id}", "GET"): tenant_page(),
    ("/dashboard/{tenant_id}/messages", "GET"): tenant_page(),
    ("/dashboard/{tenant_id}/messages/{message_id}/handled", "POST"): tenant_page(
        (303, "/dashboard/"), _form({"state": "all"})
    ),
    ("/dashboard/{tenant_id}/stats", "GET"): tenant_page(),
    ("/dashboard/{tenant_id}/profile", "GET"): tenant_page(),
    ("/dashboard/{tenant_id}/profile", "POST"): tenant_page((303, "/dashboard/"), _profile_form),
    ("/console", "GET"): Rule(b={"anonymous": LOGIN, "owner_a": 404, "admin": 404, "agent_a": 200}),
    # calls coming in: Twilio signs its webhooks (none is configured here); the softphone is public
    ("/twilio/voice", "POST"): same_for_all(403, _form({"CallSid": "CA1", "To": "+15550100"})),
    ("/twilio/voicemail", "POST"): same_for_all(403, _form({"RecordingUrl": "https://x", "To": "+15550100"})),
    ("/softphone", "GET"): same_for_all(200),
    ("/softphone/softphone.js", "GET"): same_for_all(200),
    ("/softphone/businesses", "GET"): same_for_all(200),
    ("/softphone/token", "POST"): same_for_all(200, _softphone),
}
SOCKETS = frozenset(
    {"/api/agent/ws", "/api/agent/calls/{call_id}/audio", "/twilio/media", "/softphone/ws"}
)  # see the socket tests below
MOUNTS = {"/static": "/static/app.css"}  # the stylesheet and scripts, public


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (path template, method) of the app; ``WS`` for sockets, ``MOUNT`` for mounted apps. HEAD is
    left out where GET is there: the same endpoint answers it."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        assert isinstance(path, str), route
        if isinstance(route, WebSocketRoute):
            found.add((path, "WS"))
        elif isinstance(route, Mount):
            found.add((path, "MOUNT"))
        elif isinstance(route, Route):
            methods = set(context.methods or ())
            if "GET" in methods:
                methods.discard("HEAD")
            found |= {(path, method) for method in methods}
        else:
            found.add((path, f"unknown route type {type(route).__name__}"))
    return found


# -- the app -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    site = build_site(tmp_path_factory.mktemp("isolation"))
    with TestClient(site.server.app) as client:
        assert client.portal is not None
        live = {t: client.portal.call(_put_calls_in_the_acd, site, t) for t in (A, B)}
        assert client.get("/readyz").status_code in (200, 503)  # starts the (stand-in) models loading
        yield World(site=site, client=client, live=live)


async def _put_calls_in_the_acd(site: Site, tenant_id: str) -> Live:
    """A call connected to the tenant's agent with a login, and another ringing for its second agent."""
    service, queue = site.server.service, "front-desk" if tenant_id == B else "reception"
    stored = site.tenants[tenant_id]
    agent, second = AGENT_OF[tenant_id], SECOND_AGENT[tenant_id]
    await service.login(agent)
    connected = Call(tenant_id=tenant_id, caller_number=stored.caller_number, id=f"live-{tenant_id}")
    await service.enqueue_escalation(
        connected, escalation(stored.caller_name, stored.caller_number, "x", queue=queue)
    )
    offer = await service.open_offer(agent)
    assert offer is not None
    await service.accept(agent, offer.offer_id)
    await service.login(second)
    ringing = Call(tenant_id=tenant_id, caller_number=stored.caller_number, id=f"ringing-{tenant_id}")
    await service.enqueue_escalation(
        ringing, escalation(stored.caller_name, stored.caller_number, "y", queue=queue)
    )
    offer = await service.open_offer(second)
    assert offer is not None
    return Live(connected_call_id=connected.id, offer_id=offer.offer_id)


def request(
    world: World, who: Who, credential: Credential, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """One request as ``who``: a fresh session cookie and its CSRF token (header and form field), or an
    API token."""
    client = world.client
    client.cookies.clear()
    headers: dict[str, str] = {}
    if who != "anonymous" and credential == "token":
        headers["Authorization"] = f"Bearer {world.site.api_tokens[who]}"
    elif who != "anonymous":
        session = world.site.session(who)
        client.cookies.set(SESSION_COOKIE, session.token)
        headers["X-CSRF-Token"] = session.csrf
        if "data" in kwargs:
            kwargs["data"] = {**kwargs["data"], "csrf_token": session.csrf}
    try:
        return client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
    finally:
        client.cookies.clear()


def check(response: httpx.Response, expected: Expect) -> None:
    status, location = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, response.text[:500]
    if location is not None:
        assert response.headers["location"].startswith(location), response.headers["location"]


# -- every route has a rule ----------------------------------------------------------------------------


def test_every_route_has_a_rule(world: World) -> None:
    """A route added to the app without a rule here fails this test: decide who may call it first."""
    ruled = set(RULES) | {(p, "WS") for p in SOCKETS} | {(p, "MOUNT") for p in MOUNTS}
    actual = app_routes(world.site.server.app)
    assert actual - ruled == set(), "routes without an isolation rule"
    assert ruled - actual == set(), "rules for routes that no longer exist"


# -- every HTTP route, every user ----------------------------------------------------------------------------


def _cases() -> Iterator[Any]:
    for (path, method), rule in RULES.items():
        for fill, expectations in (("B", rule.b), ("A", rule.a)):
            for who, expected in expectations.items():
                credentials: tuple[Credential, ...] = (
                    ("cookie",) if who == "anonymous" else ("cookie", "token")
                )
                for credential in credentials:
                    case_id = f"{method} {path} {fill}-ids as {who} by {credential}"
                    yield pytest.param(path, method, fill, who, credential, expected, id=case_id)


@pytest.mark.parametrize(("path", "method", "fill", "who", "credential", "expected"), list(_cases()))
def test_route(
    world: World, path: str, method: str, fill: Fill, who: Who, credential: Credential, expected: Expect
) -> None:
    rule = RULES[(path, method)]
    tenant_id = B if fill == "B" else A
    owner: Who = "owner_b" if fill == "B" else "owner_a"
    ids = world.ids(tenant_id, owner=owner)
    ids |= {name: getattr(world.live[tenant_id], attr) for name, attr in rule.ids.items()}
    response = request(world, who, credential, method, path.format(**ids), **rule.body(world, tenant_id))
    check(response, expected)
    if fill == "A" or who not in rule.reads_b:
        assert leaked(world.site, B, response.text) == [], "B's call shown to someone who may not read B"
    if not rule.reads_b:  # public routes show nobody's calls
        assert leaked(world.site, A, response.text) == []


def test_reading_b_shows_b_data_to_its_readers(world: World) -> None:
    """The control for the leak checks: B's call detail does contain B's caller for B's owner and the
    admin (so their absence elsewhere means something)."""
    b = world.site.tenants[B]
    for who in ("owner_b", "admin"):
        detail = request(world, who, "token", "GET", f"/api/tenants/{B}/calls/{b.call_id}")
        assert detail.status_code == 200
        assert leaked(world.site, B, detail.text), f"{who} should see B's call"
    notes = request(world, "agent_b", "token", "GET", f"/api/agent/calls/{b.call_id}/notes")
    assert leaked(world.site, B, notes.text)


def test_lists_name_only_the_tenants_one_may_read(world: World) -> None:
    for who, expected in (("owner_a", [A]), ("owner_b", [B]), ("admin", [A, B]), ("agent_a", [])):
        tenants = request(world, who, "token", "GET", "/api/tenants").json()
        assert sorted(t["id"] for t in tenants) == expected, who
    queues = request(world, "agent_a", "token", "GET", "/api/agent/queues").json()
    assert queues and {q["tenant_id"] for q in queues} == {A}
    console = request(world, "agent_a", "cookie", "GET", "/console")
    assert B not in console.text and "Bright Smile" not in console.text


def test_agents_file_tokens_reach_only_their_tenant(world: World) -> None:
    """The other way into the agent API: an agents-file token (not a user's API token)."""
    b = world.site.tenants[B]
    for agent_id in ("ann", "bob"):
        auth = {"Authorization": f"Bearer {world.site.agent_tokens[agent_id]}"}
        client = world.client
        assert client.get(f"/api/agent/calls/{b.call_id}/notes", headers=auth).status_code == 404
        assert client.get("/api/agent/queues", headers=auth, params={"tenant": B}).status_code == 404
        offer = world.live[B].offer_id
        assert client.post(f"/api/agent/offers/{offer}/accept", headers=auth).status_code == 404
        assert client.post(f"/api/agent/calls/live-{B}/complete", headers=auth).status_code == 404
        # and an agents-file token is nobody on the owner's API
        assert client.get(f"/api/tenants/{B}/calls", headers=auth).status_code == 401


# -- the sockets ----------------------------------------------------------------------------------------------


def _closed_without_hello(world: World, path: str, first: str | None, **kwargs: Any) -> int:
    """Open ``path`` and send ``first``; the close code the server answered with (never a ``hello``)."""
    try:
        with world.client.websocket_connect(path, **kwargs) as ws:
            if first is not None:
                ws.send_text(first)
            while True:
                message = ws.receive()
                if message["type"] == "websocket.close":
                    return int(message["code"])
                text = message.get("text") or ""
                assert '"hello"' not in text and '"connected"' not in text, text
                assert leaked(world.site, B, text) == []
    except WebSocketDisconnect as exc:
        return exc.code
    except WebSocketDenialResponse as exc:  # refused before the handshake completed
        return exc.status_code


def test_the_agent_socket_refuses_anonymous_and_owner(world: World) -> None:
    world.client.cookies.clear()
    assert _closed_without_hello(world, "/api/agent/ws", '{"type": "ping"}') == 1008
    bearer = {"Authorization": f"Bearer {world.site.api_tokens['owner_a']}"}
    assert _closed_without_hello(world, "/api/agent/ws", None, headers=bearer) == 1008
    owner_token = json.dumps({"type": "auth", "token": world.site.api_tokens["owner_b"]})
    assert _closed_without_hello(world, "/api/agent/ws", owner_token) == 1008
    session = world.site.session("owner_a")
    world.client.cookies.set(SESSION_COOKIE, session.token)
    try:
        assert _closed_without_hello(world, "/api/agent/ws", '{"type": "ping"}') == 1008
    finally:
        world.client.cookies.clear()


def test_the_agent_socket_shows_an_agent_only_their_tenant(world: World) -> None:
    session = world.site.session("agent_a")
    world.client.cookies.set(SESSION_COOKIE, session.token)
    try:
        with world.client.websocket_connect("/api/agent/ws") as ws:
            hello = ws.receive_json()
            ws.close()
    finally:
        world.client.cookies.clear()
    assert hello["type"] == "hello" and hello["agent"]["agent_id"] == "ann"
    assert {q["tenant_id"] for q in hello["queues"]} == {A}
    assert B not in json.dumps(hello) and leaked(world.site, B, json.dumps(hello)) == []


def test_the_agent_audio_socket_refuses_everyone_but_the_calls_agent(world: World) -> None:
    """B's connected call: refused to anonymous visitors, to A's agent (cookie or agents-file token) and
    to B's owner. (Its own agent is refused too here, as the call has no voice line.)"""
    path = f"/api/agent/calls/{world.live[B].connected_call_id}/audio"
    world.client.cookies.clear()
    assert _closed_without_hello(world, path, '{"type": "ping"}') == 1008
    ann = {"Authorization": f"Bearer {world.site.agent_tokens['ann']}"}
    assert _closed_without_hello(world, path, None, headers=ann) == 1008
    for who in ("agent_a", "owner_b"):
        session = world.site.session(who)  # type: ignore[arg-type]
        world.client.cookies.set(SESSION_COOKIE, session.token)
        try:
            assert _closed_without_hello(world, path, '{"type": "ping"}') == 1008
        finally:
            world.client.cookies.clear()


def test_the_call_sockets_need_a_signed_token(world: World) -> None:
    """Public sockets, but a call starts only with a token this server signed."""
    start = {
        "event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
        "start": {"streamSid": "MZ1", "accountSid": "AC1", "callSid": "CA1", "tracks": ["inbound"],
                  "customParameters": {"token": "forged.token"},
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
    }  # fmt: skip
    world.client.cookies.clear()
    assert _closed_without_hello(world, "/twilio/media", json.dumps(start)) == 1008
    assert _closed_without_hello(world, "/softphone/ws?token=forged.token", None) == 1008
    session = world.site.session("admin")  # signing in opens no call either
    world.client.cookies.set(SESSION_COOKIE, session.token)
    try:
        assert _closed_without_hello(world, "/softphone/ws", None) == 1008
    finally:
        world.client.cookies.clear()


def test_static_files_are_public(world: World) -> None:
    for path in MOUNTS.values():
        response = world.client.get(path)
        assert response.status_code == 200 and leaked(world.site, B, response.text) == []


# -- the agent routes that change a call, last: each with its own agent's real ids ----------------------------


def test_an_agent_acts_on_their_own_calls_and_offers(world: World) -> None:
    """The controls for accept, decline and complete (B's ids answered 404 above): each works for the
    agent whose offer or call it is."""
    site, client = world.site, world.client
    dan = {"Authorization": f"Bearer {site.api_tokens['agent_b']}"}
    dee = {"Authorization": f"Bearer {site.agent_tokens['dee']}"}
    completed = client.post(f"/api/agent/calls/{world.live[B].connected_call_id}/complete", headers=dan)
    assert completed.status_code == 200, completed.text
    assert client.post(f"/api/agent/offers/{world.live[B].offer_id}/decline", headers=dee).status_code == 200
    offer = client.get("/api/agent/me", headers=dee).json()["offer"]
    assert offer is None or offer["offer_id"] != world.live[B].offer_id
    ann = {"Authorization": f"Bearer {site.api_tokens['agent_a']}"}
    bob = {"Authorization": f"Bearer {site.agent_tokens['bob']}"}
    accepted = client.post(f"/api/agent/offers/{world.live[A].offer_id}/accept", headers=bob)
    assert accepted.status_code == 200, accepted.text
    assert (
        client.post(f"/api/agent/calls/{world.live[A].connected_call_id}/complete", headers=ann).status_code
        == 200
    )
    # and the finished calls are still nobody else's
    assert (
        client.post(f"/api/agent/calls/ringing-{A}/notes", headers=dan, json={"text": "x"}).status_code == 404
    )
