"""Small steps through the pages, as a person does them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.live import DEMO_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page


def log_in(page: Page, base_url: str, email: str, *, next_path: str = "") -> None:
    """Sign in through the login form; waits for the page the form leads to."""
    page.goto(f"{base_url}/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_test_id("login-submit").click()
    assert "/login" not in page.url, f"{email} could not sign in: {page.url}"
