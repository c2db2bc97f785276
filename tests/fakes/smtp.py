"""A real SMTP server on 127.0.0.1 (aiosmtpd, in its own thread) that keeps what it receives.

with FakeSmtpServer() as smtp:
    smtp.fail_rcpt("550 5.1.1 no such user")      # the next RCPT TO is refused
    smtp.fail_data("451 4.3.0 try later", times=2)  # the next two DATA commands are deferred
    ...
    smtp.messages[0].message["Subject"]
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage


class _Handler:
    def __init__(self, server: FakeSmtpServer) -> None:
        self._server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self._server._scripted("rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._server._scripted("data")
        if reply:
            return reply
        raw = bytes(envelope.content)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._server._lock:
            self._server.messages.append(
                ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), raw, message)
            )
        return "250 Message accepted for delivery"


class FakeSmtpServer:
    """Accepts mail on ``host:port``; scripted replies (``fail_rcpt``/``fail_data``) come first.

    With ``credentials=(user, password)`` it offers AUTH (over plain TCP, test only) and requires it.
    """

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[ReceivedMail] = []
        self.logins: list[str] = []
        self._credentials = credentials
        self._script: dict[str, list[str]] = {"rcpt": [], "data": []}
        self._lock = threading.Lock()
        kwargs: dict[str, Any] = {}
        if credentials is not None:
            kwargs = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)

    def fail_rcpt(self, reply: str, *, times: int = 1) -> None:
        with self._lock:
            self._script["rcpt"].extend([reply] * times)

    def fail_data(self, reply: str, *, times: int = 1) -> None:
        with self._lock:
            self._script["data"].extend([reply] * times)

    def _scripted(self, stage: str) -> str | None:
        with self._lock:
            return self._script[stage].pop(0) if self._script[stage] else None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mech: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self._credentials is not None
            and (data.login.decode(), data.password.decode()) == self._credentials
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
