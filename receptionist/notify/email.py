"""Email delivery over SMTP (stdlib ``smtplib``, run in a worker thread so the event loop stays free).

Honours ``Settings.smtp_host/port/username/password/starttls/from`` and ``delivery_timeout_s`` (per
socket operation). Port 465 means implicit TLS (SMTPS); ``smtp_starttls`` upgrades a plain connection.

The message is built with :class:`email.message.EmailMessage` and the modern policy: the subject and
display names pass through :func:`~receptionist.notify.payloads.one_line` again here (the payload came
back from the database), headers are set through the header API, never by string concatenation, and
the envelope recipient is the row's target alone — nothing a caller says can add a header or a recipient.
The ``Message-ID`` is derived from the outbox row, so a retried email is recognisably the same email.

What a failure means: a 5xx reply to MAIL, RCPT or DATA (unknown user, rejected content) is permanent
and the delivery is dead. 4xx replies, timeouts, refused connections and dropped sessions are retried,
and so are authentication and STARTTLS failures: they are the operator's configuration, not the
recipient's, and once fixed the queued emails should go out.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from receptionist.config.settings import Settings
from receptionist.notify.payloads import one_line
from receptionist.notify.result import SendResult, short_error
from receptionist.storage.records import Delivery

log = logging.getLogger(__name__)

SMTPS_PORT = 465


class EmailSender:
    """Sends email rows through the configured SMTP server."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def build_message(self, delivery: Delivery, *, now: datetime | None = None) -> EmailMessage:
        """The MIME message for ``delivery``; raises ``ValueError``/``KeyError`` on a malformed payload."""
        payload = delivery.payload
        sender = self._settings.smtp_from
        domain = sender.rpartition("@")[2] or "localhost"
        msg = EmailMessage()
        msg["Subject"] = one_line(str(payload["subject"]))
        msg["From"] = Address(display_name=one_line(str(payload.get("from_name", ""))), addr_spec=sender)
        msg["To"] = Address(addr_spec=delivery.target)
        msg["Date"] = format_datetime(now or datetime.now(UTC))
        msg["Message-ID"] = f"<receptionist.{delivery.call_id or 'none'}.{delivery.id}@{domain}>"
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies, please
        msg["X-Receptionist-Delivery"] = str(delivery.id)
        msg.set_content(str(payload["text"]))
        if payload.get("html"):
            msg.add_alternative(str(payload["html"]), subtype="html")
        return msg

    async def send(self, delivery: Delivery) -> SendResult:
        try:
            msg = self.build_message(delivery)
        except (KeyError, TypeError, ValueError) as e:
            return SendResult.permanent(f"malformed email payload: {short_error(e)}")
        result = await asyncio.to_thread(self._send_blocking, msg, delivery.target)
        log.info("email delivery %s: %s", delivery.id, result.status.value)
        return result

    def _send_blocking(self, msg: EmailMessage, recipient: str) -> SendResult:
        s = self._settings
        try:
            with self._connect() as smtp:
                if s.smtp_starttls and s.smtp_port != SMTPS_PORT:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_username, password)
                smtp.send_message(msg, from_addr=s.smtp_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            reply = "; ".join(_reply(code, text) for code, text in e.recipients.values())
            if codes and all(code >= 500 for code in codes):
                return SendResult.permanent(reply)
            return SendResult.retry(reply)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            reply = _reply(e.smtp_code, e.smtp_error)
            return SendResult.permanent(reply) if e.smtp_code >= 500 else SendResult.retry(reply)
        except smtplib.SMTPResponseException as e:  # connect, HELO, AUTH: the operator's side
            return SendResult.retry(_reply(e.smtp_code, e.smtp_error))
        except (smtplib.SMTPException, OSError) as e:  # timeouts, refused, TLS, dropped session
            return SendResult.retry(short_error(e))
        return SendResult.sent()

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.smtp_port == SMTPS_PORT:
            return smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_s, context=ssl.create_default_context()
            )
        return smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_s)


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"SMTP {code} {' '.join(message.split())}"[:200]
