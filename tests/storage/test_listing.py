from __future__ import annotations

import pytest

from receptionist.calls import Outcome
from receptionist.storage.database import Database
from receptionist.storage.repository import CallRepository, MessageRepository

from .factories import at, call, ended, message


@pytest.fixture
def history(db: Database, tenants: tuple[str, str]) -> list[str]:
    """Ten acme calls a minute apart (ids oldest first), concerns and outcomes varying, the last live."""
    acme, globex = tenants
    repo = CallRepository(db, acme)
    ids = []
    for i in range(10):
        c = call(acme, started=at(i), concern="leak" if i % 2 == 0 else "billing")
        if i == 9:
            repo.start(c)
        else:
            repo.finish(ended(c, Outcome.RESOLVED if i % 3 else Outcome.MESSAGE_TAKEN), None, [])
        ids.append(c.id)
    CallRepository(db, globex).finish(ended(call(globex, started=at(5), concern="leak")), None, [])
    return ids


def test_calls_are_listed_newest_first(db: Database, tenants: tuple[str, str], history: list[str]) -> None:
    rows = CallRepository(db, tenants[0]).list()
    assert [r.id for r in rows] == history[::-1]
    assert rows[0].outcome is None  # the call in progress is listed too


def test_pages_cover_every_call_exactly_once(
    db: Database, tenants: tuple[str, str], history: list[str]
) -> None:
    repo = CallRepository(db, tenants[0])
    pages = [repo.list(limit=3, offset=o) for o in range(0, 12, 3)]
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [r.id for p in pages for r in p] == history[::-1]
    assert repo.list(limit=3, offset=10) == []


def test_ties_on_start_time_still_page_stably(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    same = [call(acme, started=at(0)) for _ in range(5)]
    for c in same:
        repo.start(c)
    paged = [r.id for o in range(5) for r in repo.list(limit=1, offset=o)]
    assert sorted(paged) == sorted(c.id for c in same)
    assert len(set(paged)) == 5


def test_filters(db: Database, tenants: tuple[str, str], history: list[str]) -> None:
    repo = CallRepository(db, tenants[0])
    assert [r.id for r in repo.list(concern="leak")] == history[8::-2]
    assert {r.id for r in repo.list(outcome=Outcome.MESSAGE_TAKEN)} == {history[i] for i in (0, 3, 6)}
    billing_resolved = repo.list(concern="billing", outcome=Outcome.RESOLVED)
    assert [r.id for r in billing_resolved] == [history[7], history[5], history[1]]
    # since inclusive, until exclusive
    assert [r.id for r in repo.list(since=at(7), until=at(9))] == [history[8], history[7]]
    assert repo.list(concern="nothing like it") == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (501, 0), (10, -1)])
def test_bad_pages_are_refused(db: Database, tenants: tuple[str, str], limit: int, offset: int) -> None:
    with pytest.raises(ValueError):
        CallRepository(db, tenants[0]).list(limit=limit, offset=offset)
    with pytest.raises(ValueError):
        MessageRepository(db, tenants[0]).list(limit=limit, offset=offset)


def test_messages_list_get_and_mark_handled(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    calls = CallRepository(db, acme)
    messages = []
    for i in range(4):
        c = call(acme, started=at(i), message=message(name=f"caller {i}"))
        calls.finish(ended(c, Outcome.MESSAGE_TAKEN), None, [])
        assert c.message is not None
        messages.append(c.message.id)
    repo = MessageRepository(db, acme)

    assert [m.id for m in repo.list()] == messages[::-1]
    assert repo.list(handled=True) == []

    assert repo.mark_handled(messages[1], at=at(100)) is True
    assert repo.mark_handled(messages[1], at=at(200)) is True  # already handled: keeps the first time
    assert repo.mark_handled("f" * 32) is False

    handled = repo.get(messages[1])
    assert handled is not None and handled.handled_at == at(100) and handled.name == "caller 1"
    assert [m.id for m in repo.list(handled=True)] == [messages[1]]
    assert [m.id for m in repo.list(handled=False)] == [messages[3], messages[2], messages[0]]
    assert [m.id for m in repo.list(handled=False, limit=2, offset=1)] == [messages[2], messages[0]]
