"""Users, browser sessions and API tokens on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receptionist.calls import utcnow
from receptionist.storage.accounts import (
    ApiTokenRepository,
    DuplicateEmail,
    UserRepository,
    WebSessionRepository,
)
from receptionist.storage.database import Database
from receptionist.storage.errors import UnknownTenant
from tests.storage.conftest import ACME, GLOBEX

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"  # shape only: never verified
HEX = "ab" * 32


def test_users_are_found_by_their_normalised_email(db: Database, tenants: tuple[str, str]) -> None:
    users = UserRepository(db)
    owner = users.create("  Olly@Acme.EXAMPLE ", "Olly", HASH, "owner", tenant_id=ACME)
    admin = users.create("admin@example.com", "Ada", HASH, "admin")
    users.create("gina@globex.example", "Gina", HASH, "owner", tenant_id=GLOBEX)
    agent = users.create("ann@agents.example", "Ann", HASH, "agent", agent_id="ann")

    assert owner.email == "olly@acme.example"
    assert users.by_email("OLLY@acme.example ") == owner
    assert users.get(owner.id) == owner
    assert users.by_email("nobody@acme.example") is None
    assert users.get("0" * 32) is None
    assert [u.email for u in users.list()] == [
        "admin@example.com",
        "ann@agents.example",
        "gina@globex.example",
        "olly@acme.example",
    ]
    assert users.list(ACME) == [owner]
    assert (admin.tenant_id, agent.agent_id, agent.tenant_id) == (None, "ann", None)
    assert HASH not in repr(owner)  # records never print the hash


def test_an_email_is_taken_once_whatever_its_case(db: Database, tenants: tuple[str, str]) -> None:
    users = UserRepository(db)
    users.create("olly@acme.example", "Olly", HASH, "owner", tenant_id=ACME)
    with pytest.raises(DuplicateEmail):
        users.create("OLLY@acme.example", "Other Olly", HASH, "admin")
    assert len(users.list()) == 1


def test_roles_need_their_tenant_or_agent_id(db: Database, tenants: tuple[str, str]) -> None:
    users = UserRepository(db)
    with pytest.raises(ValueError, match="owner needs a tenant"):
        users.create("o@x.example", "O", HASH, "owner")
    with pytest.raises(ValueError, match="agent needs an agent id"):
        users.create("a@x.example", "A", HASH, "agent")
    with pytest.raises(ValueError, match="role must be one of"):
        users.create("r@x.example", "R", HASH, "root")
    with pytest.raises(ValueError, match="not an e-mail"):
        users.create("nobody", "N", HASH, "admin")
    with pytest.raises(UnknownTenant):
        users.create("o@x.example", "O", HASH, "owner", tenant_id="no-such-tenant")
    assert users.list() == []


def test_a_password_hash_can_be_replaced(db: Database, tenants: tuple[str, str]) -> None:
    users = UserRepository(db)
    user = users.create("admin@example.com", "Ada", HASH, "admin")
    assert users.set_password_hash(user.id, HASH + "x")
    assert users.get(user.id).password_hash == HASH + "x"  # type: ignore[union-attr]
    assert not users.set_password_hash("0" * 32, HASH)


def test_disabling_a_user_ends_their_sessions(db: Database, tenants: tuple[str, str]) -> None:
    users, sessions = UserRepository(db), WebSessionRepository(db)
    user = users.create("admin@example.com", "Ada", HASH, "admin")
    sessions.create(user.id, HEX, "csrf", utcnow() + timedelta(hours=1))
    assert users.disable(user.id)
    disabled = users.get(user.id)
    assert disabled is not None and disabled.disabled
    assert sessions.get_valid(HEX) is None
    assert not users.disable("0" * 32)


def test_sessions_are_valid_until_they_expire(db: Database, tenants: tuple[str, str]) -> None:
    users, sessions = UserRepository(db), WebSessionRepository(db)
    ada = users.create("admin@example.com", "Ada", HASH, "admin")
    olly = users.create("olly@acme.example", "Olly", HASH, "owner", tenant_id=ACME)
    now = utcnow()
    live = sessions.create(ada.id, "a" * 64, "csrf-a", now + timedelta(hours=1))
    sessions.create(ada.id, "b" * 64, "csrf-b", now - timedelta(seconds=1))
    sessions.create(olly.id, "c" * 64, "csrf-c", now + timedelta(hours=1))
    sessions.create(olly.id, "d" * 64, "csrf-d", now - timedelta(hours=1))

    assert sessions.get_valid("a" * 64) == live
    assert live.csrf == "csrf-a" and "csrf-a" not in repr(live)
    assert sessions.get_valid("b" * 64) is None  # expired
    assert sessions.get_valid("a" * 64, now=now + timedelta(hours=2)) is None
    assert sessions.get_valid("e" * 64) is None

    assert sessions.purge_expired(user_id=ada.id) == 1
    assert sessions.purge_expired() == 1  # olly's
    assert sessions.purge_expired() == 0
    assert sessions.delete("a" * 64)
    assert not sessions.delete("a" * 64)
    sessions.create(olly.id, "f" * 64, "csrf-f", now + timedelta(hours=1))
    assert sessions.delete_for_user(olly.id) == 2
    assert sessions.get_valid("c" * 64) is None


def test_api_tokens_are_found_until_revoked_and_only_by_their_owner(
    db: Database, tenants: tuple[str, str]
) -> None:
    users, tokens = UserRepository(db), ApiTokenRepository(db)
    ada = users.create("admin@example.com", "Ada", HASH, "admin")
    olly = users.create("olly@acme.example", "Olly", HASH, "owner", tenant_id=ACME)
    report = tokens.create(ada.id, "report", "1" * 64)
    other = tokens.create(ada.id, "other", "2" * 64)
    ollys = tokens.create(olly.id, "olly's", "3" * 64)
    assert report.last_used_at is None and report.revoked_at is None

    assert [t.name for t in tokens.list_for_user(ada.id)] == ["report", "other"]
    assert not tokens.revoke(olly.id, report.id)  # not his
    assert tokens.revoke(ada.id, other.id)
    assert not tokens.revoke(ada.id, other.id)  # already revoked
    assert tokens.find_valid("2" * 64) is None
    assert [t.name for t in tokens.list_for_user(ada.id)] == ["report"]
    assert [t.name for t in tokens.list_for_user(ada.id, include_revoked=True)] == ["report", "other"]
    assert tokens.find_valid("f" * 64) is None
    found = tokens.find_valid("3" * 64)
    assert found is not None and (found.id, found.user_id, found.name) == (ollys.id, olly.id, "olly's")


def test_using_a_token_is_noted_at_most_once_a_minute(db: Database, tenants: tuple[str, str]) -> None:
    users, tokens = UserRepository(db), ApiTokenRepository(db)
    ada = users.create("admin@example.com", "Ada", HASH, "admin")
    tokens.create(ada.id, "report", "1" * 64)
    start = utcnow()

    first = tokens.find_valid("1" * 64, now=start)
    assert first is not None and first.last_used_at == start
    again = tokens.find_valid("1" * 64, now=start + timedelta(seconds=30))
    assert again is not None and again.last_used_at == start
    later = tokens.find_valid("1" * 64, now=start + timedelta(seconds=61))
    assert later is not None and later.last_used_at == start + timedelta(seconds=61)
