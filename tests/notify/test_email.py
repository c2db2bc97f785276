from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import SecretStr

from receptionist.notify.email import EmailSender
from receptionist.notify.payloads import deliveries_for
from receptionist.notify.result import SendStatus
from receptionist.storage.records import Delivery
from tests.fakes.smtp import FakeSmtpServer, free_port

from .helpers import as_row, make_call, make_profile, make_settings

OWNER = "owner@example.org"


def _email_row(name: str = "Jane Doe", delivery_id: int = 7) -> Delivery:
    profile = make_profile([{"type": "email", "address": OWNER}])
    [new] = deliveries_for(profile, make_call(name=name), None)
    return as_row(new, delivery_id)


def _sender(smtp: FakeSmtpServer, **overrides: Any) -> EmailSender:
    return EmailSender(make_settings(smtp_host=smtp.host, smtp_port=smtp.port, **overrides))


async def test_the_email_reaches_the_smtp_server_with_subject_body_and_headers(smtp: FakeSmtpServer) -> None:
    result = await _sender(smtp).send(_email_row())

    assert result.ok
    [mail] = smtp.messages
    assert mail.rcpt_tos == (OWNER,)
    assert mail.mail_from == "receptionist@example.org"
    msg = mail.message
    assert msg["Subject"] == "New message from Jane Doe, (415) 555-0134 — urgent"
    assert msg["From"] == "Bright Smile Dental receptionist <receptionist@example.org>"
    assert msg["To"] == OWNER
    assert msg["Message-ID"] == "<receptionist.call-1.7@example.org>"
    assert msg["X-Receptionist-Delivery"] == "7"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Phone:     (415) 555-0134" in text.get_content()
    assert "Needs to move her cleaning to next week" in text.get_content()
    assert "tel:+14155550134" in html.get_content()


async def test_a_451_is_retried_and_a_550_is_permanent(smtp: FakeSmtpServer) -> None:
    sender = _sender(smtp)
    smtp.fail_data("451 4.3.0 try later")
    deferred = await sender.send(_email_row())
    assert deferred.status is SendStatus.RETRY
    assert deferred.error == "SMTP 451 4.3.0 try later"

    smtp.fail_rcpt("550 5.1.1 no such user")
    refused = await sender.send(_email_row())
    assert refused.status is SendStatus.PERMANENT
    assert refused.error == "SMTP 550 5.1.1 no such user"

    smtp.fail_rcpt("452 4.2.2 mailbox full")
    assert (await sender.send(_email_row())).status is SendStatus.RETRY
    smtp.fail_data("554 5.6.0 content rejected")
    assert (await sender.send(_email_row())).status is SendStatus.PERMANENT

    assert smtp.messages == []
    assert (await sender.send(_email_row())).ok


async def test_header_injection_in_the_name_stays_in_the_subject_and_body(smtp: FakeSmtpServer) -> None:
    name = "Eve\r\nBcc: victim@example.com\r\nX-Evil: 1"
    result = await _sender(smtp).send(_email_row(name=name))

    assert result.ok
    [mail] = smtp.messages
    assert mail.rcpt_tos == (OWNER,)
    assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
    assert mail.message["Subject"].startswith("New message from Eve Bcc: victim@example.com X-Evil: 1,")
    body = mail.message.get_body(("plain",))
    assert body is not None
    assert "Name:      Eve Bcc: victim@example.com X-Evil: 1" in body.get_content()
    assert b"\nBcc:" not in mail.raw and b"\nX-Evil:" not in mail.raw


async def test_a_tampered_payload_subject_is_still_one_line(smtp: FakeSmtpServer) -> None:
    row = _email_row()
    payload = {**row.payload, "subject": "Hi\r\nBcc: victim@example.com", "from_name": "A\nB"}
    result = await _sender(smtp).send(dataclasses.replace(row, payload=payload))
    assert result.ok
    assert smtp.messages[0].message["Subject"] == "Hi Bcc: victim@example.com"
    assert smtp.messages[0].message["Bcc"] is None


async def test_a_malformed_payload_or_address_is_permanent(smtp: FakeSmtpServer) -> None:
    row = _email_row()
    assert (await _sender(smtp).send(dataclasses.replace(row, payload={}))).status is SendStatus.PERMANENT
    bad_target = dataclasses.replace(row, target="owner@example.org\r\nBcc: x@example.com")
    assert (await _sender(smtp).send(bad_target)).status is SendStatus.PERMANENT
    assert smtp.messages == []


async def test_an_smtp_server_that_is_down_is_retried() -> None:
    sender = EmailSender(make_settings(smtp_port=free_port(), delivery_timeout_s=1))
    result = await sender.send(_email_row())
    assert result.status is SendStatus.RETRY
    assert result.error is not None and "ConnectionRefused" in result.error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_it_logs_in_when_credentials_are_configured() -> None:
    with FakeSmtpServer(credentials=("mailer", "hunter2")) as smtp:
        good = _sender(smtp, smtp_username="mailer", smtp_password=SecretStr("hunter2"))
        assert (await good.send(_email_row())).ok
        assert smtp.logins == ["mailer"]

        wrong = _sender(smtp, smtp_username="mailer", smtp_password=SecretStr("nope"))
        result = await wrong.send(_email_row())
        assert result.status is SendStatus.RETRY  # the operator's configuration: fix it and the queue drains
        assert result.error is not None and result.error.startswith("SMTP 535")
