"""The whole service (``build_server``) served by uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from receptionist.config import Settings, load_profile
from receptionist.server import Server, build_server
from receptionist.storage.database import Database
from tests.helpers import DENTAL, SOFTWARE

if TYPE_CHECKING:
    from receptionist.voice.session import VoiceModels

DENTAL_ID = "bright-smile-dental"  # America/New_York
SOFTWARE_ID = "acme-cloud"  # Europe/London
DEMO_PASSWORD = "receptionist-demo"  # the documented demo password
ADMIN = "admin@example.com"
ALEX = "alex@agents.example.com"


def owner(tenant_id: str) -> str:
    """The demo owner login of a business."""
    return f"owner@{tenant_id}.example.com"


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL and the wired process behind it."""

    url: str
    server: Server

    @property
    def db(self) -> Database:
        db = self.server.receptionist.db
        assert db is not None
        return db


@contextmanager
def serve(data_dir: Path, *, models: Callable[[], VoiceModels] | None = None) -> Iterator[LiveServer]:
    """The dental clinic and the software company with demo logins, until the block ends."""
    settings = Settings(_env_file=None, data_dir=data_dir)
    profiles = [load_profile(DENTAL), load_profile(SOFTWARE)]
    server = build_server(settings, profiles, models=models, preload_models=models is not None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.app, log_level="warning", lifespan="on")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        _wait_until(lambda: runner.started or not thread.is_alive(), timeout_s=60)
        if not runner.started:
            raise RuntimeError("the server did not start (see the log above)")
        yield LiveServer(url=f"http://127.0.0.1:{port}", server=server)
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        sock.close()
        if server.receptionist.db is not None:
            server.receptionist.db.dispose()


def _wait_until(done: Callable[[], bool], *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
