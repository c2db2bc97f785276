"""Browser tests: the whole service on a loopback port, driven by Debian's chromium through Playwright.

Chromium comes from the system (``/usr/bin/chromium``, or ``RECEPTIONIST_TEST_CHROMIUM``), never from
``playwright install``. Without it the tests are skipped locally and fail when ``CI=true``.
Screenshots worth keeping are written to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.live import LiveServer, serve
from tests.helpers import ROOT, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

DEFAULT_CHROMIUM = "/usr/bin/chromium"
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
#: flags for calls: a fake microphone (a WAV, when given) and audio that plays without a click
MEDIA_FLAGS = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
)

NewPage = Callable[..., "Page"]
LaunchBrowser = Callable[..., "Browser"]


def chromium_path() -> str | None:
    """``RECEPTIONIST_TEST_CHROMIUM`` if set, else Debian's chromium; None when it is not there."""
    wanted = os.environ.get("RECEPTIONIST_TEST_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    return DEFAULT_CHROMIUM if Path(DEFAULT_CHROMIUM).is_file() else shutil.which("chromium")


# Module scope, not session: Playwright's sync API keeps an event loop running on the main thread while
# it is open, and every asyncio test after it (pytest-asyncio's Runner) would then fail to start.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        where = os.environ.get("RECEPTIONIST_TEST_CHROMIUM") or DEFAULT_CHROMIUM
        unavailable(f"chromium is not installed at {where} (apt-get install chromium)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def launch_browser(playwright: Playwright) -> Iterator[LaunchBrowser]:
    """Start a headless chromium; ``microphone``: a WAV its fake microphone plays (once per process)."""
    browsers: list[Browser] = []

    def launch(*, microphone: Path | None = None, extra: Sequence[str] = ()) -> Browser:
        args = [*MEDIA_FLAGS, *extra]
        if microphone is not None:
            args.append(f"--use-file-for-fake-audio-capture={microphone}%noloop")
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture(scope="module")
def browser(launch_browser: LaunchBrowser) -> Browser:
    """The shared chromium (a silent fake microphone)."""
    return launch_browser()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """A page in a fresh context (its own cookies) per call; ``browser=`` to use another chromium,
    ``viewport=`` for a phone."""
    contexts: list[BrowserContext] = []

    def make(*, on: Browser | None = None, viewport: ViewportSize | None = None) -> Page:
        context = (on or browser).new_context(viewport=viewport or DESKTOP, permissions=["microphone"])
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service without speech models (pages only), one per test module."""
    with serve(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the screenshots the docs show are written."""
    folder = ROOT / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
