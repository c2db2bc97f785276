from __future__ import annotations

import httpx

from receptionist.notify.payloads import deliveries_for
from receptionist.notify.result import SendStatus
from receptionist.notify.signing import verify_signature
from receptionist.notify.webhook import WebhookSender, encode_body
from tests.fakes.smtp import free_port
from tests.fakes.webhook_receiver import WebhookReceiver

from .helpers import SECRET, as_row, make_call, make_profile, make_settings, webhook_row


async def test_a_delivery_arrives_signed_and_the_receiver_verifies_it(hook: WebhookReceiver) -> None:
    [new] = deliveries_for(make_profile([{"type": "webhook", "url": hook.url}]), make_call(), None)
    row = as_row(new, delivery_id=42)
    result = await WebhookSender(make_settings(), environ={}).send(row)

    assert result.ok
    [request] = hook.requests
    assert request.verified
    assert request.json == row.payload
    assert request.headers["X-Receptionist-Delivery"] == "42"
    assert request.headers["X-Receptionist-Event"] == "message.created"
    assert request.headers["User-Agent"].startswith("receptionist-webhooks/")
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == encode_body(row.payload)

    signature = request.headers["X-Receptionist-Signature"]
    tampered = request.body.replace(b"Jane Doe", b"Jane Roe")
    assert verify_signature(SECRET, signature, request.body)
    assert not verify_signature(SECRET, signature, tampered)


async def test_a_recipient_secret_env_is_used_when_present_else_the_default(hook: WebhookReceiver) -> None:
    hook.secret = "per-recipient"
    environ = {"ACME_HOOK": "per-recipient"}
    sender = WebhookSender(make_settings(), environ=environ)
    assert (await sender.send(webhook_row(hook.url, secret_env="ACME_HOOK"))).ok

    hook.secret = SECRET
    assert (await sender.send(webhook_row(hook.url, secret_env="MISSING_HOOK"))).ok


async def test_a_500_is_retried_and_the_next_attempt_succeeds(hook: WebhookReceiver) -> None:
    hook.fail(times=1)
    sender = WebhookSender(make_settings())
    first = await sender.send(webhook_row(hook.url))
    assert first.status is SendStatus.RETRY
    assert first.error == "HTTP 500 Internal Server Error"
    assert (await sender.send(webhook_row(hook.url))).ok
    assert [r.status for r in hook.requests] == [500, 200]
    assert (
        hook.requests[0].headers["X-Receptionist-Delivery"]
        == hook.requests[1].headers["X-Receptionist-Delivery"]
    )


async def test_a_receiver_that_hangs_times_out_and_is_retried(hook: WebhookReceiver) -> None:
    hook.hang()
    result = await WebhookSender(make_settings(delivery_timeout_s=0.3)).send(webhook_row(hook.url))
    assert result.status is SendStatus.RETRY
    assert result.error == "timed out after 0.3s"


async def test_a_400_is_permanent_but_408_and_429_are_retried(hook: WebhookReceiver) -> None:
    sender = WebhookSender(make_settings())
    hook.respond(400)
    assert (await sender.send(webhook_row(hook.url))).status is SendStatus.PERMANENT
    hook.respond(408)
    assert (await sender.send(webhook_row(hook.url))).status is SendStatus.RETRY
    hook.respond(429)
    assert (await sender.send(webhook_row(hook.url))).status is SendStatus.RETRY


async def test_a_wrong_secret_is_refused_by_the_receiver_and_is_permanent(hook: WebhookReceiver) -> None:
    hook.secret = "the-receivers-idea-of-the-secret"
    result = await WebhookSender(make_settings()).send(webhook_row(hook.url))
    assert result.status is SendStatus.PERMANENT
    assert result.error == "HTTP 401 Unauthorized"
    assert not hook.requests[0].verified


async def test_a_refused_connection_is_retried() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    result = await WebhookSender(make_settings()).send(webhook_row(url))
    assert result.status is SendStatus.RETRY
    assert result.error is not None and result.error.startswith("ConnectError")


async def test_retry_after_is_passed_on_and_a_shared_client_is_used() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "120"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
        result = await WebhookSender(make_settings(), client=client).send(webhook_row("https://x.test/h"))
    assert result.status is SendStatus.RETRY
    assert result.retry_after_s == 120


async def test_redirects_are_not_followed() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://elsewhere.test/"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
        result = await WebhookSender(make_settings(), client=client).send(webhook_row("https://x.test/h"))
    assert result.status is SendStatus.PERMANENT
