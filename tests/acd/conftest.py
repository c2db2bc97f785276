"""Every ACD scenario runs on both stores: in-process, and Redis under a key prefix of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.store import AcdStore
from tests.acd.helpers import Scenario


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[AcdStore]:
    from receptionist.acd.redis_store import RedisStore

    store = RedisStore.from_url(redis_url, prefix=f"test-acd-{uuid.uuid4().hex[:12]}")
    yield store
    store.clear()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> AcdStore:
    if request.param == "memory":
        return MemoryStore()
    redis_store: AcdStore = request.getfixturevalue("redis_store")
    return redis_store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def acd(store: AcdStore, clock: FakeClock) -> Acd:
    return Acd(store, clock=clock)


@pytest.fixture
def sc(acd: Acd, clock: FakeClock) -> Scenario:
    return Scenario(acd, clock)
