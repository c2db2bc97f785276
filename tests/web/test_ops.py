"""Operations routes on a real app: liveness, readiness against real (and unreachable) databases, and the
Prometheus text a scraper reads, with live gauges that follow the ACD and the switchboard."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.clock import FakeClock
from receptionist.acd.config import QueueConfig
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.redis_store import RedisStore
from receptionist.acd.service import AcdService
from receptionist.config import Settings
from receptionist.storage.database import Database
from receptionist.telephony.switchboard import Switchboard
from receptionist.voice.session import VoiceModels
from receptionist.web import errors, ops_routes
from receptionist.web.app import create_app
from receptionist.web.context import ApiContext
from receptionist.web.metrics import Metrics, RequestTimer
from tests.helpers import light_receptionist

from .conftest import ACME, Api
from .conftest import DENTAL as DENTAL_TENANT

pytestmark = pytest.mark.timeout(30)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def app_on(db: Database | None, *, switchboard: Switchboard | None = None) -> FastAPI:
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    service.configure_queue(QueueConfig(tenant_id=ACME, name="support"))
    return create_app(service=service, agents=AgentDirectory([]), db=db, switchboard=switchboard)


def light_switchboard(tmp_path: Path, loader: Any, capacity: int = 3) -> Switchboard:
    """A real switchboard over scripted brains; ``loader`` stands in for loading the speech models."""
    receptionist = light_receptionist(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    return Switchboard(receptionist, capacity=capacity, models=loader)


# -- liveness and readiness ------------------------------------------------------------------------------


def test_healthz_answers_without_any_dependency(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_on_a_reachable_database(db: Database) -> None:
    with TestClient(app_on(db)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "acd": "ok", "voice_models": "not_needed"},
    }


def test_not_ready_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = Database(f"sqlite:///{folder / 'receptionist.db'}")
    db.migrate()
    with TestClient(app_on(db)) as client:
        assert client.get("/readyz").status_code == 200
        db.dispose()  # close the pooled connections, then take the database away
        shutil.rmtree(folder)
        folder.write_text("a file where the database's directory was")
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == "failed: OperationalError"
    assert body["checks"]["acd"] == "ok"
    assert "receptionist.db" not in response.text  # error types only, never paths or hosts


def test_not_ready_when_postgres_refuses_connections() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/receptionist?connect_timeout=1")
    try:
        with TestClient(app_on(db)) as client:
            response = client.get("/readyz")
    finally:
        db.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed: OperationalError"


def test_ready_once_the_speech_models_are_loaded(tmp_path: Path, sqlite_db: Database) -> None:
    release = threading.Event()
    loaded = cast(VoiceModels, object())  # never used: no call is answered here

    def load() -> VoiceModels:
        release.wait(10)
        return loaded

    switchboard = light_switchboard(tmp_path, load)
    with TestClient(app_on(sqlite_db, switchboard=switchboard)) as client:
        first = client.get("/readyz")
        assert first.status_code == 503
        assert first.json()["checks"]["voice_models"] == "loading"
        release.set()
        deadline = time.monotonic() + 5
        while (response := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["voice_models"] == "ok"


def test_a_failed_model_load_is_reported_and_retried(tmp_path: Path) -> None:
    attempts: list[int] = []

    def load() -> VoiceModels:
        attempts.append(1)
        if len(attempts) == 1:
            raise FileNotFoundError("no whisper model here")
        return cast(VoiceModels, object())

    with TestClient(app_on(None, switchboard=light_switchboard(tmp_path, load))) as client:
        deadline = time.monotonic() + 5
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(client.get("/readyz").json()["checks"]["voice_models"])
            if statuses[-1] == "ok":
                break
    assert "failed: FileNotFoundError" in statuses
    assert statuses[-1] == "ok" and len(attempts) == 2


# -- metrics ---------------------------------------------------------------------------------------------


def test_queue_and_agent_gauges_follow_the_acd(api: Api) -> None:
    before = scrape(api.client)
    assert value(before, "receptionist_queue_waiting", tenant=ACME, queue="support") == 0
    assert value(before, "receptionist_queue_waiting", tenant=DENTAL_TENANT, queue="front-desk") == 0
    assert value(before, "receptionist_agents", state="logged_out") == 3
    assert value(before, "receptionist_acd_up") == 1
    assert value(before, "receptionist_calls_in_progress") is None  # no switchboard in this process

    assert api.post("ann", "/login").status_code == 200  # with nobody logged in a call leaves at once
    api.escalate("call-1")
    api.escalate("call-2")

    after = scrape(api.client)
    assert value(after, "receptionist_queue_waiting", tenant=ACME, queue="support") == 2
    assert value(after, "receptionist_queue_waiting", tenant=ACME, queue="sales") == 0
    assert value(after, "receptionist_agents", state="logged_out") == 2
    assert sum(v for (name, _), v in after.items() if name == "receptionist_agents") == 3


def test_call_gauges_come_from_the_switchboard(tmp_path: Path, sqlite_db: Database) -> None:
    switchboard = light_switchboard(tmp_path, lambda: cast(VoiceModels, object()), capacity=4)
    with TestClient(app_on(sqlite_db, switchboard=switchboard)) as client:
        assert value(scrape(client), "receptionist_calls_in_progress") == 0
        switchboard.reserve()  # a Twilio webhook answered: the line is held for its stream
        samples = scrape(client)
    assert value(samples, "receptionist_calls_in_progress") == 1
    assert value(samples, "receptionist_call_capacity") == 4


def test_request_durations_are_labelled_by_route_template(api: Api) -> None:
    api.client.get("/api/agent/calls/CALL-SECRET-123/notes", headers=api.auth("ann"))
    api.client.get("/no/such/page/7f3a9")
    response = api.client.get("/metrics")
    samples = scrape(api.client)

    count = "receptionist_http_request_duration_seconds_count"
    route = "/api/agent/calls/{call_id}/notes"
    labelled = [dict(labels) for (name, labels), _ in samples.items() if name == count]
    assert {"method": "GET", "route": route, "status": "404"} in labelled  # no call of that id
    assert {"method": "GET", "route": "<unmatched>", "status": "404"} in labelled
    assert value(samples, count, method="GET", route="/metrics", status="200") == 1  # the earlier scrape
    assert "CALL-SECRET-123" not in response.text and "7f3a9" not in response.text


def test_voice_histograms_are_observable_from_app_state(api: Api) -> None:
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    metrics.voice_to_voice.observe(1.4)
    metrics.stt.observe(0.3)
    samples = scrape(api.client)
    assert value(samples, "receptionist_voice_to_voice_seconds_count") == 1
    assert value(samples, "receptionist_voice_to_voice_seconds_bucket", le="1.5") == 1
    assert value(samples, "receptionist_stt_seconds_sum") == pytest.approx(0.3)


def test_each_app_has_its_own_registry(api: Api, sqlite_db: Database) -> None:
    api.client.app.state.metrics.stt.observe(0.2)  # type: ignore[attr-defined]
    with TestClient(app_on(sqlite_db)) as other:
        assert value(scrape(other), "receptionist_stt_seconds_count") == 0


def test_websockets_pass_the_request_timer(api: Api) -> None:
    with api.client.websocket_connect("/api/agent/ws", headers=api.auth("ann")) as ws:
        assert ws.receive_json()["type"] == "hello"
    samples = scrape(api.client)
    assert not [labels for (_, labels), _v in samples.items() if ("route", "/api/agent/ws") in labels]


@pytest.fixture
def guarded(sqlite_db: Database) -> Iterator[TestClient]:
    """An app whose /metrics needs a token."""
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    app = FastAPI()
    app.state.context = ApiContext(service=service, agents=AgentDirectory([]), db=sqlite_db)
    errors.install(app)
    ops_routes.install(app, metrics_token="scrape-token-1")
    with TestClient(app) as client:
        yield client


def test_a_metrics_token_is_enforced_when_set(guarded: TestClient) -> None:
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer scrape-token-2"}).status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Basic scrape-token-1"}).status_code == 401
    samples = scrape(guarded, headers={"Authorization": "Bearer scrape-token-1"})
    assert value(samples, "receptionist_acd_up") == 1
    assert guarded.get("/healthz").status_code == 200 and guarded.get("/readyz").status_code == 200


def test_not_ready_and_acd_down_when_the_acd_store_is_unreachable(sqlite_db: Database) -> None:
    store = RedisStore.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    service = AcdService(Acd(store, clock=FakeClock()), offload=True)
    app = create_app(service=service, agents=AgentDirectory([]), db=sqlite_db)
    with TestClient(app) as client:
        response = client.get("/readyz")
        samples = scrape(client)
    assert response.status_code == 503
    assert response.json()["checks"]["acd"].startswith("failed: ")
    assert response.json()["checks"]["database"] == "ok"
    assert value(samples, "receptionist_acd_up") == 0


def test_a_database_that_does_not_answer_times_out(sqlite_db: Database) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never speaks
        port = silent.getsockname()[1]
        db = Database(f"postgresql://postgres@127.0.0.1:{port}/receptionist?connect_timeout=3")
        app = FastAPI()
        app.state.context = ApiContext(
            service=AcdService(Acd(MemoryStore(), clock=FakeClock())), agents=AgentDirectory([]), db=db
        )
        ops_routes.install(app, check_timeout_s=0.2)
        with TestClient(app) as client:
            started = time.monotonic()
            first, second = client.get("/readyz"), client.get("/readyz")
            elapsed = time.monotonic() - started
        db.dispose()
    assert first.status_code == second.status_code == 503
    assert first.json()["checks"]["database"] == second.json()["checks"]["database"] == "timeout"
    assert elapsed < 2.5  # each probe waited its 0.2 s, not the driver's connect timeout


def test_mounted_apps_are_labelled_by_their_mount_point(tmp_path: Path) -> None:
    (tmp_path / "app.css").write_text("body {}")
    app = FastAPI()
    metrics = Metrics()
    app.add_middleware(RequestTimer, metrics=metrics)
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")
    with TestClient(app) as client:
        client.get("/static/app.css")
        client.get("/static/missing-4c1d.css")
    routes = {
        labels["route"]
        for family in text_string_to_metric_families(generate_latest(metrics.registry).decode())
        for labels in (s.labels for s in family.samples)
        if "route" in labels
    }
    assert routes == {"/static/{path}"}
