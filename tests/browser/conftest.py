"""A real browser against a live server: headless Chromium driven by Playwright (sync API).

The system's Chromium is used (found on PATH at run time; Playwright's own browser download
is not needed). Without it these tests are skipped with the reason.

Two things to know when writing a browser test:
- live_server serves from another thread, so the test's rows must be committed: browser
  tests use `transactional_db` (the `live_server` fixture requests it).
- The sync Playwright API runs an event loop in this thread while a browser is open, and
  Django refuses ORM calls from a thread with a running loop. So create the test data
  first, then call `open_page()`; read the database again only after the browser test ends.
"""

import shutil
from collections.abc import Callable, Iterator

import pytest
from django.utils import translation

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed"
)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (the system package 'chromium')")
    return path


@pytest.fixture
def chinese_site(settings) -> Iterator[None]:
    """The site speaks its own language (zh-hans) instead of the tests' English."""
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def open_page(live_server, chromium_path, chinese_site) -> Iterator[Callable]:
    """`open_page()` launches headless Chromium (Chinese locale) and returns a new page.

    Call it after the test's data is created (see the module docstring). The browser is
    closed when the test ends.
    """
    manager = None

    def open_() -> "playwright_sync.Page":
        nonlocal manager
        manager = playwright_sync.sync_playwright()
        playwright = manager.__enter__()
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True
        )
        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        return context.new_page()

    yield open_
    if manager is not None:
        manager.__exit__(None, None, None)
