"""An owner and the provider in a real browser: yesterday's call found on the business's clock, another
business's call refused with the 404 page, and every page usable on a phone (axe-core, no sideways
scrolling)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from receptionist.calls import Call, CallSummary, Outcome, Role, Turn
from receptionist.storage.call_repository import CallRepository
from tests.browser.conftest import DESKTOP, PHONE, NewPage
from tests.browser.live import ADMIN, ALEX, DENTAL_ID, SOFTWARE_ID, LiveServer, owner
from tests.browser.pages import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

NEW_YORK = ZoneInfo("America/New_York")
SUMMARY = "Dana Whitfield asked to move her cleaning to next week; she will take any afternoon."


@dataclass(frozen=True)
class StoredCalls:
    dental: Call  # yesterday, late in the evening in New York: already today in UTC
    software: Call


def _yesterday_evening(zone: ZoneInfo) -> datetime:
    today = datetime.now(zone).date()
    return datetime.combine(today - timedelta(days=1), time(23, 30), tzinfo=zone)


def _store(server: LiveServer, tenant_id: str, started: datetime, lines: list[tuple[Role, str]]) -> Call:
    call = Call(tenant_id=tenant_id, caller_number="+16175550123", channel="twilio", started_at=started)
    call.turns = [
        Turn(role, text, started + timedelta(seconds=8 * i)) for i, (role, text) in enumerate(lines)
    ]
    call.concern = "appointment" if tenant_id == DENTAL_ID else "support"
    repository = CallRepository(server.db, tenant_id)
    repository.start(call)
    call.outcome, call.ended_at = Outcome.RESOLVED, started + timedelta(minutes=2)
    summary = CallSummary(
        text=SUMMARY, source="offline", reason="move a cleaning", action_items=("call Dana",)
    )
    repository.finish(call, summary, [])
    return call


@pytest.fixture(scope="module")
def stored(live_server: LiveServer) -> StoredCalls:
    dental = _store(
        live_server,
        DENTAL_ID,
        _yesterday_evening(NEW_YORK),
        [
            (Role.RECEPTIONIST, "Thank you for calling Bright Smile Dental. How can I help you today?"),
            (Role.CALLER, "Hi, this is Dana Whitfield, I need to move my cleaning to next week."),
            (Role.RECEPTIONIST, "Of course. I'll pass that to the front desk. Which days suit you?"),
            (Role.CALLER, "Any afternoon is fine, thank you."),
        ],
    )
    software = _store(
        live_server,
        SOFTWARE_ID,
        _yesterday_evening(ZoneInfo("Europe/London")),
        [(Role.CALLER, "Nobody at Acme can sign in since this morning.")],
    )
    return StoredCalls(dental=dental, software=software)


def test_owner_finds_yesterdays_call_with_its_summary(
    live_server: LiveServer, stored: StoredCalls, new_page: NewPage, screenshots: Path
) -> None:
    page = new_page()
    log_in(page, live_server.url, owner(DENTAL_ID))
    assert page.url.endswith(f"/dashboard/{DENTAL_ID}/calls")

    row = page.locator(f'[data-testid="call-row"][data-call-id="{stored.dental.id}"]')
    shown = stored.dental.started_at.astimezone(NEW_YORK)
    assert shown.strftime("%Y-%m-%d %H:%M") in row.locator("time").inner_text()  # New York's evening
    assert shown.date() != stored.dental.started_at.astimezone(ZoneInfo("UTC")).date()
    assert "move her cleaning" in row.inner_text()
    assert page.get_by_test_id("call-row").count() == 1  # only this business's calls
    page.screenshot(path=screenshots / "dashboard-calls.png", full_page=True)

    row.get_by_test_id("call-link").click()
    page.wait_for_url(f"**/dashboard/{DENTAL_ID}/calls/{stored.dental.id}")
    assert page.get_by_test_id("call-summary").inner_text() == SUMMARY
    transcript = page.get_by_test_id("transcript").inner_text()
    assert "move my cleaning to next week" in transcript
    assert "Any afternoon is fine" in transcript
    assert shown.strftime("%d %B %Y, %H:%M") in page.locator("h1").inner_text()
    page.screenshot(path=screenshots / "dashboard-call.png", full_page=True)

    for path in (
        f"/dashboard/{SOFTWARE_ID}/calls/{stored.software.id}",  # the other business's page
        f"/dashboard/{DENTAL_ID}/calls/{stored.software.id}",  # its call id under my business
        f"/dashboard/{SOFTWARE_ID}/calls",
    ):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 404, path
        assert page.locator("h1").inner_text() == "Not found"
        assert "Nobody at Acme" not in page.content()


def _axe(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    violations: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return violations


def _page_problems(page: Page, name: str) -> list[str]:
    """Serious or critical axe violations and sideways scrolling; moderate ones are printed."""
    problems: list[str] = []
    for v in _axe(page):
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"]][:5]
        line = f"{name}: {v['id']} ({v['impact']}): {v['help']} at {targets}"
        if v["impact"] in ("serious", "critical"):
            problems.append(line)
        else:
            print(line)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner + 1:
        wide = page.evaluate(
            """(inner) => [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > inner + 1)
                .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                  + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))""",
            inner,
        )
        problems.append(f"{name}: scrolls sideways ({width} px wide in {inner} px): {wide}")
    return problems


def test_pages_pass_axe_on_a_phone_sized_screen(
    live_server: LiveServer, stored: StoredCalls, new_page: NewPage, screenshots: Path
) -> None:
    base, dental = live_server.url, f"/dashboard/{DENTAL_ID}"
    problems: list[str] = []

    anonymous = new_page(viewport=PHONE)
    for name, path in (("login", "/login"), ("softphone", "/softphone")):
        anonymous.goto(base + path)
        anonymous.wait_for_load_state("networkidle")
        problems += _page_problems(anonymous, name)

    owner_page = new_page(viewport=PHONE)
    log_in(owner_page, base, owner(DENTAL_ID))
    for name, path in (
        ("calls", f"{dental}/calls"),
        ("call", f"{dental}/calls/{stored.dental.id}"),
        ("messages", f"{dental}/messages"),
        ("stats", f"{dental}/stats"),
        ("profile", f"{dental}/profile"),
    ):
        owner_page.goto(base + path)
        problems += _page_problems(owner_page, name)
        if name in ("calls", "call", "stats"):
            owner_page.screenshot(
                path=screenshots / f"{'dashboard-' if name != 'stats' else ''}{name}-phone.png",
                full_page=True,
            )
    owner_page.set_viewport_size(DESKTOP)
    owner_page.goto(f"{base}{dental}/stats")
    owner_page.screenshot(path=screenshots / "stats.png", full_page=True)

    admin = new_page(viewport=PHONE)
    log_in(admin, base, ADMIN)
    admin.goto(f"{base}/admin")
    problems += _page_problems(admin, "admin")

    agent = new_page(viewport=PHONE)
    log_in(agent, base, ALEX)
    agent.goto(f"{base}/console")
    agent.get_by_test_id("queue-rows").locator("tr").first.wait_for()
    problems += _page_problems(agent, "console")

    assert not problems, "\n".join(problems)
