"""A live server (the session app, in a thread) and a real headless Chromium (Debian's)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on a free loopback port for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run scripts/ensure-chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (own cookies). JavaScript errors and CSP violations are collected
    on ``page.errors`` (4xx answers the test provokes on purpose are not errors)."""
    context = browser.new_context(locale="fr-FR")
    tab = context.new_page()
    tab.errors = []

    def on_console(message) -> None:
        text = message.text
        expected = ("Failed to load resource" in text or "Response Status Error Code 4" in text)
        if message.type == "error" and not expected:
            tab.errors.append(text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.set_default_timeout(15000)
    yield tab
    context.close()
