"""The agent API over HTTP and a real WebSocket: presence, offers pushed with their briefing, accepting,
tenant isolation, authentication and the error shape."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from receptionist.acd.bridge import TextParticipant
from receptionist.acd.memory import MemoryStore
from tests.web.conftest import ACME, DENTAL, Api

pytestmark = pytest.mark.timeout(30)


def receive_until(ws: WebSocketTestSession, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read pushed messages until one of ``kind``; returns it and everything before it."""
    before: list[dict[str, Any]] = []
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message, before
        before.append(message)


def receive_all(ws: WebSocketTestSession, *kinds: str) -> dict[str, dict[str, Any]]:
    """Read until a message of each of ``kinds`` came (pushes and replies interleave); the first of each."""
    found: dict[str, dict[str, Any]] = {}
    while not set(kinds) <= set(found):
        message: dict[str, Any] = ws.receive_json()
        found.setdefault(message["type"], message)
    return found


def everything_pushed(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """All messages pushed so far: ping, and read up to the pong."""
    ws.send_json({"type": "ping"})
    return receive_until(ws, "pong")[1]


def test_an_agent_logs_in_goes_ready_gets_an_offer_pushed_and_accepts(api: Api) -> None:
    response = api.post("ann", "/login", {"paused": True, "reason": "coffee"})
    assert response.status_code == 200
    assert response.json()["state"] == "paused" and response.json()["pause_reason"] == "coffee"
    assert api.post("dan", "/login").json()["state"] == "available"

    with (
        api.client.websocket_connect("/api/agent/ws", headers=api.auth("ann")) as ann,
        api.client.websocket_connect("/api/agent/ws", headers=api.auth("dan")) as dan,
    ):
        hello = ann.receive_json()
        assert hello["type"] == "hello" and hello["agent"]["state"] == "paused"
        assert {(q["tenant_id"], q["queue"]) for q in hello["queues"]} == {(ACME, "sales"), (ACME, "support")}
        assert dan.receive_json()["type"] == "hello"

        assert api.post("ann", "/ready").json()["state"] == "available"
        api.escalate("call-1")

        offer, before = receive_until(ann, "offer")
        assert any(m["type"] == "queue" and m["queue"]["queue"] == "support" for m in before)
        o = offer["offer"]
        assert (o["call_id"], o["tenant_id"], o["queue"], o["reason"]) == (
            "call-1",
            ACME,
            "support",
            "nobody can sign in",
        )
        assert o["expires_at"] is not None
        b = o["briefing"]
        assert (b["caller_name"], b["caller_number"], b["concern"]) == (
            "Dana Whitfield",
            "+442079460111",
            "support",
        )
        assert b["summary"] == "Dana Whitfield: sign-in outage"
        assert [t["text"] for t in b["transcript"]] == ["Hello, Acme Cloud.", "Nobody can sign in."]
        assert api.get("ann", "/me").json()["offer"]["offer_id"] == o["offer_id"]

        # another tenant's agent never sees it, and cannot touch it
        assert all(m["type"] != "offer" for m in everything_pushed(dan))
        refused = api.post("dan", f"/offers/{o['offer_id']}/accept")
        assert refused.status_code == 404
        assert refused.json() == {"error": {"code": "not_found", "message": "no such offer"}}
        assert api.post("dan", "/calls/call-1/complete").status_code == 404
        assert api.post("dan", "/calls/call-1/notes", {"text": "peek"}).status_code == 404

        accepted = api.post("ann", f"/offers/{o['offer_id']}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["state"] == "on_call" and accepted.json()["call_id"] == "call-1"
        connected, _ = receive_until(ann, "connected")
        assert connected["call_id"] == "call-1"
        again = api.post("ann", f"/offers/{o['offer_id']}/accept")
        assert again.status_code == 404  # no longer an open offer

        done = api.post("ann", "/calls/call-1/complete")
        assert done.status_code == 200 and done.json()["state"] in ("wrap_up", "available")
        ended, _ = receive_until(ann, "call_ended")
        assert ended == {"type": "call_ended", "call_id": "call-1", "by": "agent"}

    note = api.post("ann", "/calls/call-1/notes", {"text": "Reset SSO certificate; customer happy."})
    assert note.status_code == 201 and note.json()["agent_id"] == "ann"
    listed = api.get("ann", "/calls/call-1/notes").json()
    assert [n["text"] for n in listed] == ["Reset SSO certificate; customer happy."]
    assert api.get("dan", "/calls/call-1/notes").status_code == 404


def test_declining_passes_the_offer_to_the_next_agent_over_the_socket(api: Api) -> None:
    api.post("ann", "/login")
    api.post("bob", "/login")
    with (
        api.client.websocket_connect("/api/agent/ws", headers=api.auth("ann")) as ann,
        api.client.websocket_connect("/api/agent/ws", headers=api.auth("bob")) as bob,
    ):
        ann.receive_json(), bob.receive_json()
        api.escalate("call-2")
        first = receive_until(ann, "offer")[0]["offer"]  # ann has been idle longest
        ann.send_json({"type": "decline", "offer_id": first["offer_id"]})
        got = receive_all(ann, "ok", "offer_ended")
        assert got["ok"] == {"type": "ok", "request": "decline", "offer_id": first["offer_id"]}
        assert got["offer_ended"]["reason"] == "declined" and got["offer_ended"]["call_id"] == "call-2"
        second = receive_until(bob, "offer")[0]["offer"]
        assert second["call_id"] == "call-2" and second["offer_id"] != first["offer_id"]
        bob.send_json({"type": "accept", "offer_id": second["offer_id"]})
        assert receive_until(bob, "connected")[0]["call_id"] == "call-2"


def test_a_socket_may_authenticate_with_its_first_message(api: Api) -> None:
    with api.client.websocket_connect("/api/agent/ws") as ws:
        ws.send_json({"type": "auth", "token": api.tokens["bob"]})
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["agent"]["agent_id"] == "bob"


def test_bad_tokens_are_refused(api: Api) -> None:
    response = api.client.post("/api/agent/login", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert api.client.get("/api/agent/me").status_code == 401
    assert api.client.get("/api/agent/me", headers={"Authorization": api.tokens["ann"]}).status_code == 401
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        api.client.websocket_connect("/api/agent/ws", headers={"Authorization": "Bearer nope"}),
    ):
        pass
    assert refused.value.code == 1008
    with api.client.websocket_connect("/api/agent/ws") as ws:
        ws.send_json({"type": "auth", "token": "nope"})
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_malformed_and_oversize_bodies_are_4xx_with_the_error_shape(api: Api) -> None:
    api.post("ann", "/login")
    headers = {**api.auth("ann"), "Content-Type": "application/json"}
    broken = api.client.post("/api/agent/pause", headers=headers, content=b'{"reason": "lunch"')
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_json"
    wrong = api.post("ann", "/pause", {"reason": "lunch", "extra": 1})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_request"
    assert api.post("ann", "/pause", {"reason": ["x"]}).status_code == 422
    huge = api.client.post(
        "/api/agent/pause", headers=headers, content=b'{"reason": "' + b"x" * 10_000 + b'"}'
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    binary = api.client.post("/api/agent/pause", headers=headers, content=b"\xff\xfe\x00")
    assert 400 <= binary.status_code < 500
    assert api.post("ann", "/pause", {"reason": "lunch"}).json()["state"] == "paused"
    assert api.get("ann", "/nowhere").json()["error"]["code"] == "not_found"
    bad_id = api.post("ann", "/offers/..%2F..%2Fetc/accept")
    assert 400 <= bad_id.status_code < 500


def test_conflicts_are_409(api: Api) -> None:
    api.post("ann", "/login")
    api.escalate("call-3")
    response = api.post("ann", "/pause", {"reason": "lunch"})  # an offer is ringing
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert api.post("ann", "/logout").status_code == 409


def test_live_queues_cover_only_the_agents_tenants(api: Api) -> None:
    api.post("ann", "/login")
    api.escalate("call-4", queue="sales")
    queues = api.get("ann", "/queues").json()
    assert [(q["tenant_id"], q["queue"], q["queued"]) for q in queues] == [
        (ACME, "sales", 1),
        (ACME, "support", 0),
    ]
    assert api.get("ann", f"/queues?tenant={DENTAL}").status_code == 404
    assert [q["queue"] for q in api.get("dan", "/queues").json()] == ["front-desk"]


def test_socket_messages_that_are_not_json_get_an_error_and_the_socket_stays(api: Api) -> None:
    with api.client.websocket_connect("/api/agent/ws", headers=api.auth("ann")) as ws:
        ws.receive_json()
        ws.send_text("{nope")
        error = receive_until(ws, "error")[0]
        assert error["error"]["code"] == "invalid_json"
        ws.send_json({"type": "accept"})
        assert receive_until(ws, "error")[0]["error"]["code"] == "invalid_request"
        ws.send_json({"type": "accept", "offer_id": "o999"})
        assert receive_until(ws, "error")[0]["error"]["code"] == "not_found"
        ws.send_json({"type": "ping"})
        assert receive_until(ws, "pong")[0] == {"type": "pong"}


def test_in_text_mode_the_bridged_caller_and_agent_talk_over_the_socket(api: Api) -> None:
    api.post("ann", "/login")
    with api.client.websocket_connect("/api/agent/ws", headers=api.auth("ann")) as ann:
        ann.receive_json()
        api.escalate("call-5")
        offer = receive_until(ann, "offer")[0]["offer"]
        api.post("ann", f"/offers/{offer['offer_id']}/accept")
        receive_until(ann, "connected")
        caller = TextParticipant()

        async def bridge_and_speak() -> None:  # what the caller's hold session does on CONNECT
            bridge = api.bridges.open("call-5", "ann", caller=caller)
            await bridge.from_caller("Hello, is anyone there?")

        api.run(bridge_and_speak)
        said = receive_until(ann, "caller_said")[0]
        assert said == {"type": "caller_said", "call_id": "call-5", "text": "Hello, is anyone there?"}
        ann.send_json({"type": "say", "call_id": "call-5", "text": "Hi, Ann here. How can I help?"})
        ann.send_json({"type": "say", "call_id": "call-4", "text": "wrong call"})
        assert receive_until(ann, "error")[0]["error"]["code"] == "not_found"
        assert caller.heard == ["Hi, Ann here. How can I help?"]


def test_notes_can_be_added_after_the_distributor_forgot_the_call(api: Api) -> None:
    """The ACD keeps ended calls for a while only; the stored queue log still proves who handled one."""
    api.post("ann", "/login")
    api.escalate("call-6")
    offer = api.get("ann", "/me").json()["offer"]
    api.post("ann", f"/offers/{offer['offer_id']}/accept")
    api.post("ann", "/calls/call-6/complete")
    assert api.run(api.service.flush)
    forgetful = MemoryStore()  # as after a restart of the in-process store
    api.service.acd.store = forgetful
    api.run(api.service.pump)
    assert api.run(api.service.call, "call-6") is None
    assert api.post("ann", "/calls/call-6/notes", {"text": "Called back later."}).status_code == 201
    assert api.post("bob", "/calls/call-6/notes", {"text": "not mine"}).status_code == 404
