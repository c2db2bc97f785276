"""Accounts on the web: passwords, login and logout by cookie, CSRF, API tokens, rate limiting, the agent
API and socket by cookie, the login form's redirects, demo accounts and the ``users`` command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.calls import utcnow
from receptionist.cli import app as cli_app
from receptionist.storage.accounts import ApiTokenRepository, UserRepository, WebSessionRepository
from receptionist.storage.database import Database
from receptionist.storage.tenants import TenantRepository
from receptionist.web.app import create_app
from receptionist.web.auth.demo import DEMO_PASSWORD, ensure_demo_accounts
from receptionist.web.auth.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from receptionist.web.auth.sessions import SESSION_COOKIE, token_sha256
from tests.web.auth_fixtures import (
    ACME,
    ADMIN,
    AGENT,
    DENTAL,
    ORIGIN,
    OWNER,
    PASSWORD,
    AuthApp,
    auth_app,
    make_agents,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def auth(db: Database) -> Iterator[AuthApp]:
    with auth_app(db) as app:
        yield app


# -- passwords ---------------------------------------------------------------------------------------


def test_passwords_are_argon2id_hashes_that_verify_only_the_password() -> None:
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough secret")
    assert not verify_password(hashed, "a long enough secreT")
    assert not verify_password("not a hash", "a long enough secret")
    assert not verify_password(hashed, "x" * 5000)
    assert not needs_rehash(hashed)
    with pytest.raises(WeakPassword, match="at least 10 characters"):
        hash_password("too short")


def test_old_parameters_are_rehashed_at_the_next_login(sqlite_db: Database) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak) and needs_rehash("garbage") and verify_password(weak, PASSWORD)
    with auth_app(sqlite_db) as auth:
        users = UserRepository(sqlite_db)
        users.set_password_hash(auth.user(OWNER).id, weak)
        assert auth.login(OWNER).status_code == 200
        rehashed = users.by_email(OWNER)
        assert rehashed is not None and rehashed.password_hash != weak
        assert not needs_rehash(rehashed.password_hash) and verify_password(rehashed.password_hash, PASSWORD)


# -- sessions ----------------------------------------------------------------------------------------


def test_login_sets_a_session_cookie_and_me_says_who(auth: AuthApp) -> None:
    response = auth.login("  Owner@ACME.example.com ")
    assert response.status_code == 200
    body = response.json()
    assert body["user"] | {"id": None} == {
        "id": None, "email": OWNER, "name": "Olly Owner", "role": "owner", "tenant_id": ACME,
        "agent_id": None, "served": [],
    }  # fmt: skip
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=43200"):
        assert flag in set_cookie
    assert "secure" not in set_cookie.lower()

    cookie = auth.session_cookie()
    assert len(cookie) >= 43  # 256 random bits
    sessions = WebSessionRepository(auth.db)
    assert sessions.get_valid(cookie) is None  # the database holds only the hash
    stored = sessions.get_valid(token_sha256(cookie))
    assert stored is not None and stored.csrf == body["csrf_token"]

    me = auth.client.get("/api/me")
    assert me.status_code == 200
    assert me.json() == body


def test_cookies_are_secure_when_configured(sqlite_db: Database) -> None:
    with auth_app(sqlite_db, secure_cookies=True, session_ttl_s=600) as auth:
        set_cookie = auth.login(ADMIN).headers["set-cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "Max-Age=600" in set_cookie


def test_anonymous_requests_get_401(auth: AuthApp) -> None:
    response = auth.client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    auth.client.cookies.set(SESSION_COOKIE, "made-up")
    assert auth.client.get("/api/me").status_code == 401


def test_logout_ends_the_session(auth: AuthApp) -> None:
    csrf = auth.signed_in(ADMIN)
    cookie = auth.session_cookie()
    response = auth.client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert (
        f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    assert auth.client.get("/api/me").status_code == 401
    replay = auth.other_client()
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/api/me").status_code == 401


def test_an_expired_session_signs_nobody_in(auth: AuthApp) -> None:
    token = "an-expired-session-token-of-enough-length-000"
    WebSessionRepository(auth.db).create(
        auth.user(ADMIN).id, token_sha256(token), "csrf", utcnow() - timedelta(seconds=1)
    )
    auth.client.cookies.set(SESSION_COOKIE, token)
    assert auth.client.get("/api/me").status_code == 401


def test_a_new_login_replaces_the_old_session(auth: AuthApp) -> None:
    auth.signed_in(ADMIN)
    first = auth.session_cookie()
    auth.signed_in(OWNER)
    assert auth.session_cookie() != first
    assert WebSessionRepository(auth.db).get_valid(token_sha256(first)) is None


# -- wrong credentials, disabled users, rate limits ------------------------------------------------


def test_wrong_password_unknown_email_and_disabled_user_get_the_same_401(auth: AuthApp) -> None:
    UserRepository(auth.db).disable(auth.user(AGENT).id)
    wrong = auth.login(OWNER, "not the password")
    unknown = auth.login("nobody@acme.example.com")
    disabled = auth.login(AGENT)
    not_an_email = auth.login("nobody")
    for response in (wrong, unknown, disabled, not_an_email):
        assert response.status_code == 401
        assert (
            response.json()
            == wrong.json()
            == {"error": {"code": "unauthorized", "message": "wrong e-mail address or password"}}
        )
        assert "set-cookie" not in response.headers


def test_disabling_a_user_ends_their_session_and_tokens(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    token = auth.client.post("/api/tokens", json={"name": "t"}, headers={"X-CSRF-Token": csrf}).json()[
        "token"
    ]
    UserRepository(auth.db).disable(auth.user(OWNER).id)
    assert auth.client.get("/api/me").status_code == 401
    assert auth.other_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert auth.login(OWNER).status_code == 401


def test_logins_are_limited_per_address(sqlite_db: Database) -> None:
    with auth_app(sqlite_db, login_attempts_per_minute=3) as auth:
        for _ in range(3):
            assert auth.login(OWNER, "wrong password").status_code == 401
        refused = auth.login(ADMIN)  # another address, same client: still refused
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        assert auth.login(ADMIN, client=auth.other_client("10.0.0.2")).status_code == 200


def test_logins_are_limited_per_email(sqlite_db: Database) -> None:
    with auth_app(sqlite_db, login_attempts_per_minute=2) as auth:
        for n in range(2):
            assert (
                auth.login(OWNER, "wrong password", client=auth.other_client(f"10.0.1.{n}")).status_code
                == 401
            )
        assert auth.login(OWNER, client=auth.other_client("10.0.1.9")).status_code == 429
        assert auth.login(ADMIN, client=auth.other_client("10.0.1.9")).status_code == 200


# -- CSRF --------------------------------------------------------------------------------------------


def test_unsafe_cookie_requests_need_the_csrf_header(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    missing = auth.client.post("/api/tokens", json={"name": "report"})
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "csrf"
    wrong = auth.client.post("/api/tokens", json={"name": "report"}, headers={"X-CSRF-Token": csrf + "x"})
    assert wrong.status_code == 403
    ok = auth.client.post("/api/tokens", json={"name": "report"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert auth.client.get("/api/tokens").status_code == 200  # safe methods need nothing


def test_cross_origin_unsafe_requests_are_refused(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    headers = {"X-CSRF-Token": csrf}
    foreign = auth.client.post(
        "/api/tokens", json={"name": "x"}, headers=headers | {"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "csrf"
    null = auth.client.post("/api/tokens", json={"name": "x"}, headers=headers | {"Origin": "null"})
    assert null.status_code == 403
    same = auth.client.post("/api/tokens", json={"name": "x"}, headers=headers | {"Origin": ORIGIN})
    assert same.status_code == 201
    login = auth.other_client().post(
        "/api/auth/login",
        json={"email": ADMIN, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert login.status_code == 403


def test_bearer_token_requests_need_no_csrf_token(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    token = auth.client.post("/api/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": csrf}).json()[
        "token"
    ]
    script = auth.other_client()
    created = script.post("/api/tokens", json={"name": "more"}, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201


# -- API tokens --------------------------------------------------------------------------------------


def test_api_tokens_are_shown_once_listed_used_and_revoked(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    headers = {"X-CSRF-Token": csrf}
    created = auth.client.post("/api/tokens", json={"name": "reporting"}, headers=headers)
    assert created.status_code == 201
    new = created.json()
    assert new["token"].startswith("rcpt_") and new["name"] == "reporting" and new["last_used_at"] is None
    record = ApiTokenRepository(auth.db).find_valid(token_sha256(new["token"]))
    assert record is not None and record.id == new["id"]  # stored as its hash

    script = auth.other_client()
    bearer = {"Authorization": f"Bearer {new['token']}"}
    me = script.get("/api/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == OWNER and me.json()["csrf_token"] is None

    listed = auth.client.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["reporting"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None

    admin = auth.other_client()
    admin_csrf = _sign_in(admin, ADMIN)
    assert admin.delete(f"/api/tokens/{new['id']}", headers={"X-CSRF-Token": admin_csrf}).status_code == 404

    assert auth.client.delete(f"/api/tokens/{new['id']}", headers=headers).status_code == 204
    assert script.get("/api/me", headers=bearer).status_code == 401
    assert auth.client.delete(f"/api/tokens/{new['id']}", headers=headers).status_code == 404
    assert auth.client.get("/api/tokens").json() == []
    assert auth.client.delete("/api/tokens/999999", headers=headers).status_code == 404


def _sign_in(client: TestClient, email: str) -> str:
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    csrf: str = response.json()["csrf_token"]
    return csrf


# -- agents --------------------------------------------------------------------------------------------


def test_an_agent_signed_in_by_cookie_uses_the_agent_api(auth: AuthApp) -> None:
    response = auth.login(AGENT)
    assert response.json()["user"]["served"] == [ACME]
    csrf = response.json()["csrf_token"]
    me = auth.client.get("/api/agent/me")
    assert me.status_code == 200
    assert me.json()["agent_id"] == "ann"
    assert auth.client.post("/api/agent/login").status_code == 403  # CSRF applies to the agent API too
    assert auth.client.post("/api/agent/login", headers={"X-CSRF-Token": csrf}).status_code == 200
    # the agents-file token still works, with no cookie
    token = auth.agent_tokens["dan"]
    dan = auth.other_client().get("/api/agent/me", headers={"Authorization": f"Bearer {token}"})
    assert dan.status_code == 200 and dan.json()["agent_id"] == "dan"


def test_non_agents_and_agents_missing_from_the_file_are_not_agents(auth: AuthApp) -> None:
    auth.signed_in(OWNER)
    assert auth.client.get("/api/agent/me").status_code == 401
    gone = auth.other_client()
    _sign_in(gone, "gone@agents.example.com")
    assert gone.get("/api/me").json()["user"]["served"] == []
    assert gone.get("/api/agent/me").status_code == 401


def test_the_agent_socket_accepts_a_same_origin_session_cookie(auth: AuthApp) -> None:
    auth.signed_in(AGENT)
    with auth.client.websocket_connect("/api/agent/ws", headers={"Origin": ORIGIN}) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["agent"]["agent_id"] == "ann"
    with auth.client.websocket_connect("/api/agent/ws") as ws:  # no Origin: not a browser, still the cookie
        assert ws.receive_json()["type"] == "hello"


def test_the_agent_socket_ignores_the_cookie_from_another_origin(auth: AuthApp) -> None:
    auth.signed_in(AGENT)
    with auth.client.websocket_connect("/api/agent/ws", headers={"Origin": "https://evil.example"}) as ws:
        ws.send_json({"type": "auth", "token": "not-a-token"})  # falls back to the token flow
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008


# -- the login form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "next_", "location"),
    [
        (OWNER, "/calls?page=2", "/calls?page=2"),
        (OWNER, "", "/dashboard"),
        (ADMIN, "//evil.example/x", "/dashboard"),
        (ADMIN, "https://evil.example/", "/dashboard"),
        (ADMIN, "/\\evil.example", "/dashboard"),
        (AGENT, "javascript:alert(1)", "/console"),
        (AGENT, "", "/console"),
    ],
)
def test_the_login_form_redirects_to_next_or_home(
    sqlite_db: Database, email: str, next_: str, location: str
) -> None:
    with auth_app(sqlite_db) as auth:
        response = auth.client.post(
            "/login", data={"email": email, "password": PASSWORD, "next": next_}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == location
        assert auth.client.get("/api/me").json()["user"]["email"] == email


def test_a_failed_form_login_goes_back_to_the_form(sqlite_db: Database) -> None:
    with auth_app(sqlite_db, login_attempts_per_minute=2) as auth:
        data = {"email": OWNER, "password": "wrong password", "next": "/calls"}
        response = auth.client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?error=1&next=%2Fcalls"
        assert "set-cookie" not in response.headers
        evil = auth.client.post("/login", data=data | {"next": "//evil.example"}, follow_redirects=False)
        assert evil.headers["location"] == "/login?error=1"
        throttled = auth.client.post("/login", data=data, follow_redirects=False)
        assert throttled.headers["location"] == "/login?error=limited&next=%2Fcalls"


def test_the_logout_form_needs_the_csrf_token(auth: AuthApp) -> None:
    csrf = auth.signed_in(OWNER)
    missing = auth.client.post("/logout", data={}, follow_redirects=False)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
    wrong = auth.client.post("/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert auth.client.get("/api/me").status_code == 200
    done = auth.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert auth.client.get("/api/me").status_code == 401


# -- demo accounts and the command line ------------------------------------------------------------------


def test_demo_accounts_are_created_once(db: Database) -> None:
    tenants = TenantRepository(db)
    tenants.upsert(ACME, "Acme Cloud Software")
    tenants.upsert(DENTAL, "Bright Smile Dental")
    agents, _ = make_agents()
    first = ensure_demo_accounts(db, tenants=[ACME, DENTAL], agents=agents)
    again = ensure_demo_accounts(db, tenants=[ACME, DENTAL], agents=agents)
    assert first == again
    assert [(a.email, a.role.value, a.tenant_id) for a in first] == [
        ("admin@example.com", "admin", None),
        (f"owner@{ACME}.example.com", "owner", ACME),
        (f"owner@{DENTAL}.example.com", "owner", DENTAL),
        ("ann@agents.example.com", "agent", None),
        ("dan@agents.example.com", "agent", None),
    ]
    assert {a.password for a in first} == {DEMO_PASSWORD}
    users = UserRepository(db).list()
    assert len(users) == 5
    assert verify_password(users[0].password_hash, DEMO_PASSWORD)


def test_the_users_command_adds_and_lists_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RECEPTIONIST_DATABASE_URL", url)
    monkeypatch.setenv("RECEPTIONIST_NEW_PASSWORD", "a good long password")
    runner = CliRunner()
    added = runner.invoke(cli_app, ["users", "add", "--email", "Boss@Example.com", "--role", "admin"])
    assert added.exit_code == 0, added.output
    assert "boss@example.com (admin)" in added.output and "a good long password" not in added.output
    again = runner.invoke(cli_app, ["users", "add", "--email", "boss@example.com", "--role", "admin"])
    assert again.exit_code == 1
    owner = runner.invoke(cli_app, ["users", "add", "--email", "o@example.com", "--role", "owner"])
    assert owner.exit_code == 2 and "owner needs a tenant" in owner.output
    monkeypatch.delenv("RECEPTIONIST_NEW_PASSWORD")
    prompted = runner.invoke(
        cli_app, ["users", "add", "--email", "two@example.com", "--role", "admin"], input="short\nshort\n"
    )
    assert prompted.exit_code == 2 and "at least 10 characters" in prompted.output
    listed = runner.invoke(cli_app, ["users", "list", "--json"])
    assert listed.exit_code == 0
    assert '"email": "boss@example.com"' in listed.output and "argon2" not in listed.output
    db = Database(url)
    user = UserRepository(db).by_email("boss@example.com")
    assert user is not None and verify_password(user.password_hash, "a good long password")
    db.dispose()


def test_without_a_database_nobody_signs_in_but_agent_tokens_work() -> None:
    agents, tokens = make_agents()
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    for account in agents:
        service.configure_agent(account.config)
    with TestClient(create_app(service=service, agents=agents)) as client:
        assert client.get("/api/me").status_code == 401
        login = client.post("/api/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert login.status_code == 503
        me = client.get("/api/agent/me", headers={"Authorization": f"Bearer {tokens['ann']}"})
        assert me.status_code == 200
