from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.webhook_receiver import WebhookReceiver

from .helpers import SECRET


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
async def hook() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver(secret=SECRET) as receiver:
        yield receiver
