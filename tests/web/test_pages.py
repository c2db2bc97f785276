"""The web pages over a real SQLite database and real sessions: who sees which page (others' pages are
the 404 page, anonymous visitors go to the login form), calls shown on the tenant's clock, the inbox's
"mark handled" form and its CSRF check, the profile editor's validation errors, and the static files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.app import Receptionist
from receptionist.calls import Call, CallSummary, Message, Outcome, Role, Turn, Urgency
from receptionist.config import Settings
from receptionist.storage.accounts import UserRepository
from receptionist.storage.call_repository import CallRepository
from receptionist.storage.database import Database
from receptionist.storage.message_repository import MessageRepository
from receptionist.storage.queue_events import QueueEventWriter
from receptionist.web.app import create_app
from receptionist.web.auth.sessions import SESSION_COOKIE, start_session
from tests.helpers import SOFTWARE as SOFTWARE_YAML
from tests.helpers import light_receptionist

pytestmark = pytest.mark.timeout(60)

ACME = "acme-cloud"  # Europe/London
DENTAL = "bright-smile-dental"  # America/New_York
ADMIN, OWNER, DENTIST, AGENT = (
    "admin@example.com",
    "owner@acme.example",
    "owner@dental.example",
    "ann@example",
)


@dataclass
class Site:
    client: TestClient
    db: Database
    rx: Receptionist
    csrf: dict[str, str]
    tokens: dict[str, str]

    def as_user(self, email: str | None) -> TestClient:
        """The shared client, signed in as ``email`` (anonymous for None)."""
        self.client.cookies.clear()
        if email is not None:
            self.client.cookies.set(SESSION_COOKIE, self.tokens[email])
        return self.client

    def get(self, email: str | None, path: str) -> Any:
        return self.as_user(email).get(path, follow_redirects=False)


@pytest.fixture
def site(sqlite_db: Database, tmp_path: Path) -> Iterator[Site]:
    rx = light_receptionist(Settings(_env_file=None, data_dir=tmp_path), sqlite_db)  # type: ignore[call-arg]
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()), sink=QueueEventWriter(sqlite_db))
    service.configure_queue(QueueConfig(tenant_id=ACME, name="support"))
    config = AgentConfig(agent_id="ann", tenants=frozenset({ACME}), name="Ann")
    agents = AgentDirectory([AgentAccount(config, bytes.fromhex(hash_token(new_token())))])
    service.configure_agent(config)
    users = UserRepository(sqlite_db)
    created = [
        users.create(ADMIN, "Ada Admin", "unused-hash", "admin"),
        users.create(OWNER, "Olly Owner", "unused-hash", "owner", tenant_id=ACME),
        users.create(DENTIST, "Dee Dentist", "unused-hash", "owner", tenant_id=DENTAL),
        users.create(AGENT, "Ann Lee", "unused-hash", "agent", agent_id="ann"),
    ]
    sessions = {u.email: start_session(sqlite_db, u.id, ttl_s=3600) for u in created}
    app = create_app(service=service, agents=agents, db=sqlite_db, receptionist=rx)
    with TestClient(app) as client:
        yield Site(
            client=client,
            db=sqlite_db,
            rx=rx,
            csrf={email: s.csrf for email, s in sessions.items()},
            tokens={email: s.token for email, s in sessions.items()},
        )


def store_call(
    db: Database,
    tenant_id: str,
    *,
    at: datetime,
    outcome: Outcome = Outcome.MESSAGE_TAKEN,
    concern: str | None = "billing",
    message: Message | None = None,
    summary: CallSummary | None = None,
    turns: tuple[tuple[Role, str], ...] = ((Role.RECEPTIONIST, "Hello."), (Role.CALLER, "Hi.")),
) -> Call:
    call = Call(tenant_id=tenant_id, caller_number="+16175550123", started_at=at, concern=concern)
    call.turns = [Turn(role, text, at + timedelta(seconds=5 * i)) for i, (role, text) in enumerate(turns)]
    call.outcome, call.ended_at, call.message = outcome, at + timedelta(minutes=2), message
    CallRepository(db, tenant_id).finish(call, summary, [])
    return call


def location(response: Any) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


# -- who sees what -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "home"),
    [(None, "/login"), (OWNER, f"/dashboard/{ACME}/calls"), (ADMIN, "/admin"), (AGENT, "/console")],
)
def test_the_start_page_sends_each_role_home(site: Site, email: str | None, home: str) -> None:
    assert location(site.get(email, "/")) == home


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        f"/dashboard/{ACME}/calls",
        f"/dashboard/{ACME}/calls/abc",
        f"/dashboard/{ACME}/messages",
        f"/dashboard/{ACME}/stats",
        f"/dashboard/{ACME}/profile",
        "/admin",
        "/console",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_form(site: Site, path: str) -> None:
    assert location(site.get(None, path)) == f"/login?next={path}"


def test_the_login_form_keeps_next_and_says_when_the_password_was_wrong(site: Site) -> None:
    page = site.get(None, "/login?error=1&next=/dashboard/acme-cloud/stats")
    assert page.status_code == 200
    assert "Wrong e-mail or password" in page.text
    assert 'name="next" value="/dashboard/acme-cloud/stats"' in page.text
    assert 'for="email"' in page.text and 'for="password"' in page.text
    assert "Too many attempts" in site.get(None, "/login?error=throttled").text
    fresh = site.get(None, "/login?next=https://evil.example/")
    assert "Wrong e-mail" not in fresh.text and "evil.example" not in fresh.text


@pytest.mark.parametrize(
    ("email", "path"),
    [
        (OWNER, f"/dashboard/{ACME}/calls"),
        (OWNER, f"/dashboard/{ACME}/messages"),
        (OWNER, f"/dashboard/{ACME}/stats"),
        (OWNER, f"/dashboard/{ACME}/profile"),
        (ADMIN, f"/dashboard/{DENTAL}/calls"),
        (ADMIN, "/dashboard"),
        (ADMIN, "/admin"),
        (AGENT, "/console"),
    ],
)
def test_each_page_renders_for_its_role_with_the_page_security_headers(
    site: Site, email: str, path: str
) -> None:
    page = site.get(email, path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert '<html lang="en">' in page.text and '<main id="main"' in page.text
    assert f'<meta name="csrf-token" content="{site.csrf[email]}">' in page.text
    assert 'action="/logout"' in page.text and f'name="csrf_token" value="{site.csrf[email]}"' in page.text
    assert "<script>" not in page.text and not re.search(r"(src|href)=\"(https?:)?//", page.text)
    assert len(re.findall(r"<h1[ >]", page.text)) == 1


@pytest.mark.parametrize(
    ("email", "path"),
    [
        (OWNER, f"/dashboard/{DENTAL}/calls"),
        (OWNER, f"/dashboard/{DENTAL}/messages"),
        (OWNER, f"/dashboard/{DENTAL}/stats"),
        (OWNER, f"/dashboard/{DENTAL}/profile"),
        (ADMIN, "/dashboard/no-such-business/calls"),
        (OWNER, "/admin"),
        (OWNER, "/console"),
        (AGENT, f"/dashboard/{ACME}/calls"),
        (AGENT, "/dashboard"),
        (AGENT, "/admin"),
    ],
)
def test_pages_of_another_tenant_or_role_are_the_not_found_page(site: Site, email: str, path: str) -> None:
    page = site.get(email, path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no such page" in page.text


def test_another_tenants_call_is_not_found_under_ones_own_tenant(site: Site) -> None:
    call = store_call(site.db, DENTAL, at=datetime(2026, 11, 25, 14, 5, tzinfo=UTC))
    assert site.get(DENTIST, f"/dashboard/{DENTAL}/calls/{call.id}").status_code == 200
    assert site.get(OWNER, f"/dashboard/{ACME}/calls/{call.id}").status_code == 404
    assert site.get(OWNER, f"/dashboard/{DENTAL}/calls/{call.id}").status_code == 404


def test_the_admin_sees_every_business_with_its_usage(site: Site) -> None:
    store_call(site.db, DENTAL, at=datetime.now(UTC) - timedelta(minutes=5))
    page = site.get(ADMIN, "/admin")
    assert "Bright Smile Dental" in page.text and "Acme Cloud Software" in page.text
    row = re.search(r'data-tenant-id="bright-smile-dental">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert '<td data-label="Calls">1</td>' in row.group(1) and '<td data-label="Minutes">2</td>' in row.group(
        1
    )
    picker = site.get(ADMIN, "/dashboard")
    assert (
        f'href="/dashboard/{DENTAL}/calls"' in picker.text
        and f'href="/dashboard/{ACME}/calls"' in picker.text
    )
    assert location(site.get(OWNER, "/dashboard")) == f"/dashboard/{ACME}/calls"


# -- calls -----------------------------------------------------------------------------------------------


def test_a_call_shows_its_conversation_summary_and_message_on_the_tenants_clock(site: Site) -> None:
    at = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)  # 09:05 in New York
    message = Message(
        name="Dana Whitfield", phone="+16175550123", reason="A cracked crown", urgency=Urgency.URGENT
    )
    summary = CallSummary(
        text="Dana has a cracked crown and wants an appointment.",
        source="offline",
        action_items=("Call Dana back about the crown",),
    )
    turns = (
        (Role.RECEPTIONIST, "Bright Smile Dental, how can I help?"),
        (Role.CALLER, "My crown is cracked."),
    )
    call = store_call(site.db, DENTAL, at=at, message=message, summary=summary, turns=turns)
    page = site.get(DENTIST, f"/dashboard/{DENTAL}/calls/{call.id}")
    assert page.status_code == 200
    text = page.text
    assert "Wednesday 25 November 2026, 09:05" in text and "America/New_York" in text
    assert '<time datetime="2026-11-25T09:05:05">09:05:05</time>' in text  # the caller's turn
    assert "Bright Smile Dental, how can I help?" in text and "My crown is cracked." in text
    assert 'data-testid="call-summary">Dana has a cracked crown' in text
    assert "Call Dana back about the crown" in text
    assert "A cracked crown" in text and "message taken" in text
    listing = site.get(DENTIST, f"/dashboard/{DENTAL}/calls")
    row = re.search(r'data-testid="call-row".*?</tr>', listing.text, re.S)
    assert (
        row is not None and "2026-11-25 09:05" in row.group(0) and "Dana has a cracked crown" in row.group(0)
    )
    assert f'href="/dashboard/{DENTAL}/calls/{call.id}"' in row.group(0)


def test_the_call_list_filters_and_pages_by_cursor(site: Site) -> None:
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    for i in range(30):
        outcome = Outcome.RESOLVED if i % 3 == 0 else Outcome.MESSAGE_TAKEN
        store_call(site.db, ACME, at=start + timedelta(hours=i), outcome=outcome)
    first = site.get(OWNER, f"/dashboard/{ACME}/calls")
    assert first.text.count('data-testid="call-row"') == 25
    more = re.search(r'href="(\?cursor=[^"]+)" rel="next"', first.text)
    assert more is not None
    second = site.get(OWNER, f"/dashboard/{ACME}/calls{more.group(1)}")
    assert second.text.count('data-testid="call-row"') == 5 and 'rel="next"' not in second.text
    resolved = site.get(OWNER, f"/dashboard/{ACME}/calls?outcome=resolved")
    assert resolved.text.count('data-testid="call-row"') == 10
    one_day = site.get(OWNER, f"/dashboard/{ACME}/calls?from=2026-03-03&to=2026-03-03")
    assert one_day.text.count('data-testid="call-row"') == 18  # 00:00 to 17:00 on 3 March
    wrong = site.get(OWNER, f"/dashboard/{ACME}/calls?from=yesterday&cursor=garbage")
    assert wrong.status_code == 200 and "not a date" in wrong.text and "out of date" in wrong.text


# -- messages ---------------------------------------------------------------------------------------------


def test_marking_a_message_handled_needs_the_forms_csrf_token(site: Site) -> None:
    message = Message(name="Dana Whitfield", phone="+442079460111", reason="Invoice question")
    store_call(site.db, ACME, at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC), message=message)
    inbox = site.get(OWNER, f"/dashboard/{ACME}/messages")
    assert "Invoice question" in inbox.text and 'data-testid="message-handle"' in inbox.text
    action = f"/dashboard/{ACME}/messages/{message.id}/handled"
    assert f'action="{action}"' in inbox.text
    client = site.as_user(OWNER)
    refused = client.post(action, data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert client.post(action, data={}, follow_redirects=False).status_code == 403
    assert MessageRepository(site.db, ACME).get(message.id).handled_at is None  # type: ignore[union-attr]
    done = client.post(action, data={"csrf_token": site.csrf[OWNER], "state": "open"}, follow_redirects=False)
    assert location(done) == f"/dashboard/{ACME}/messages?state=open&done={message.id}"
    assert MessageRepository(site.db, ACME).get(message.id).handled_at is not None  # type: ignore[union-attr]
    after = site.get(OWNER, location(done))
    assert "Marked the message handled" in after.text and "Invoice question" not in after.text
    assert "Invoice question" in site.get(OWNER, f"/dashboard/{ACME}/messages?state=handled").text


def test_another_tenants_message_cannot_be_marked(site: Site) -> None:
    message = Message(name="Dana", phone="+16175550123", reason="Crown")
    store_call(site.db, DENTAL, at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC), message=message)
    client = site.as_user(OWNER)
    for path in (
        f"/dashboard/{ACME}/messages/{message.id}/handled",
        f"/dashboard/{DENTAL}/messages/{message.id}/handled",
    ):
        response = client.post(path, data={"csrf_token": site.csrf[OWNER]}, follow_redirects=False)
        assert response.status_code == 404
    assert MessageRepository(site.db, DENTAL).get(message.id).handled_at is None  # type: ignore[union-attr]


# -- statistics ---------------------------------------------------------------------------------------------


def test_statistics_draw_charts_with_text_alternatives_and_tables(site: Site) -> None:
    day = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)  # 10:30 in London (summer time)
    store_call(site.db, ACME, at=day, concern="billing", outcome=Outcome.RESOLVED)
    store_call(site.db, ACME, at=day + timedelta(minutes=5), concern="billing", outcome=Outcome.TRANSFERRED)
    store_call(site.db, ACME, at=day + timedelta(hours=3), concern="support", outcome=Outcome.MESSAGE_TAKEN)
    page = site.get(OWNER, f"/dashboard/{ACME}/stats?period=custom&from=2026-06-10&to=2026-06-10")
    assert page.status_code == 200
    text = page.text
    assert 'data-testid="figure-calls">3<' in text and 'data-testid="figure-ai-resolved">2<' in text
    assert 'data-testid="figure-transferred">1<' in text
    assert '<title id="concern-title">Calls by concern</title>' in text
    assert "billing: 2; support: 1" in text  # the chart's description
    assert "<title>10: 2</title>" in text and "<title>13: 1</title>" in text  # local hours
    assert '<th scope="row">billing</th><td>2</td>' in text
    bad = site.get(OWNER, f"/dashboard/{ACME}/stats?period=custom&from=2026-06-10&to=2026-01-01")
    assert bad.status_code == 200 and "ends before it starts" in bad.text


# -- the profile --------------------------------------------------------------------------------------------


def _profile_form(site: Site) -> tuple[str, str]:
    page = site.get(OWNER, f"/dashboard/{ACME}/profile")
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None and "tenant_id: acme-cloud" in page.text
    return SOFTWARE_YAML.read_text(encoding="utf-8"), version.group(1)


def test_a_profile_with_mistakes_is_not_saved_and_each_mistake_is_named(site: Site) -> None:
    text, version = _profile_form(site)
    broken = text.replace("timezone: Europe/London", "timezone: Mars/Olympus")
    client = site.as_user(OWNER)
    form = {"csrf_token": site.csrf[OWNER], "version": version, "yaml": broken}
    response = client.post(f"/dashboard/{ACME}/profile", files={k: (None, v) for k, v in form.items()})
    assert response.status_code == 422
    assert "<code>timezone</code>" in response.text and "Mars/Olympus" in response.text
    assert "Not saved" in response.text
    not_yaml = {**form, "yaml": "name: [unclosed"}
    assert client.post(f"/dashboard/{ACME}/profile", data=not_yaml).status_code == 422
    stale = {**form, "yaml": text, "version": "7"}
    conflict = client.post(f"/dashboard/{ACME}/profile", data=stale)
    assert conflict.status_code == 409 and "someone else saved the profile" in conflict.text
    forged = client.post(
        f"/dashboard/{ACME}/profile", data={**form, "csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403


@pytest.mark.slow  # the saved profile retrains the business's offline brain (embedding model)
def test_the_admin_can_save_a_businesss_profile_and_new_calls_use_it(site: Site) -> None:
    text, version = _profile_form(site)
    client = site.as_user(ADMIN)
    form = {
        "csrf_token": site.csrf[ADMIN],
        "version": version,
        "yaml": text.replace("Acme Cloud Software", "Acme"),
    }
    saved = client.post(f"/dashboard/{ACME}/profile", data=form, follow_redirects=False)
    assert location(saved) == f"/dashboard/{ACME}/profile?saved=1"
    assert site.rx.tenants[ACME].profile.name == "Acme"
    page = client.get(location(saved))
    assert "Saved as version 1" in page.text and 'name="version" value="1"' in page.text


# -- the console and the static files ------------------------------------------------------------------------


def test_the_console_carries_the_testids_and_loads_its_script(site: Site) -> None:
    page = site.get(AGENT, "/console")
    assert '<script type="module" src="/static/console.js"></script>' in page.text
    for testid in ("status-ready", "status-pause", "pause-reason", "status-logout", "offer-panel", "offer-accept",
                   "offer-decline", "offer-countdown", "briefing-summary", "briefing-transcript", "transcript",
                   "say-text", "call-hangup", "wrapup-notes", "wrapup-save", "queue-rows", "announcer"):  # fmt: skip
        assert f'data-testid="{testid}"' in page.text, testid
    assert "Acme Cloud Software" in page.text  # the served businesses' names, for the queue table
    assert 'aria-live="assertive"' in page.text


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/static/app.css", ":focus-visible"),
        ("/static/console.js", "/api/agent/ws"),
        ("/static/pcm-audio.js", "audioWorklet"),
        ("/static/pcm-worklet.js", "registerProcessor"),
        ("/static/softphone.js", "/static/pcm-audio.js"),
    ],
)
def test_static_files_are_served(site: Site, path: str, needle: str) -> None:
    response = site.get(None, path)
    assert response.status_code == 200 and needle in response.text
    assert "//cdn" not in response.text
