"""Headless Chromium against a live server, with the real content loaded."""

import os
import shutil

import pytest

from charts.loader import import_charts, parse_charts
from layers.importer import import_document, import_figures, parse_figures
from tests.conftest import CONTENT_DOCUMENT, STACK_AS_OF

# Playwright's sync API runs an event loop in this thread, which Django would
# otherwise take for async code and refuse database access from.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    # Back then loads the page again instead of restoring it from memory:
    # the path on which a cached fragment could show up in place of a page.
    "--disable-features=BackForwardCache",
]
DESKTOP = {"width": 1280, "height": 900}


def scroll_to_the_end(page):
    """Scroll down the way a reader does, a screen at a time."""
    while not page.evaluate(
        "window.scrollY + window.innerHeight >= document.body.scrollHeight - 2"
    ):
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(60)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, transactional_db, stack_document):
    """The live server's address, with the content and its figures loaded."""
    import_document(stack_document, as_of=STACK_AS_OF)
    figures = CONTENT_DOCUMENT.with_name("figures.md").read_text(encoding="utf-8")
    import_figures(parse_figures(figures))
    return live_server.url


@pytest.fixture
def charted(site):
    """The live site with the charts that ship with the content too."""
    text = CONTENT_DOCUMENT.with_name("charts.md").read_text(encoding="utf-8")
    import_charts(parse_charts(text))
    return site


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
