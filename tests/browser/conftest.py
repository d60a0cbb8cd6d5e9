"""Browser fixtures: Debian's Chromium driven by Playwright, and the real app on a loopback port.

Chromium is launched exactly as /work/shared/NOTES.md ("Browser tests") measured: the system
binary (no `playwright install`), no sandbox, no GPU and none of the background networking
that this network refuses. scripts/services.sh exports SIGNAGE_CHROMIUM.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import build, make_app, make_settings, need, seed_users

CHROMIUM = os.environ.get("SIGNAGE_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveApp:
    """The app served over HTTP, and its services (to check what was stored)."""

    url: str
    services: Any


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session; skips (fails under CI=true) when it is missing."""
    need(
        os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK),
        f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SIGNAGE_CHROMIUM)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    """The real app (CSRF on) on a fresh database, served by werkzeug on a free loopback port."""
    services = build(make_settings(tmp_path))
    seed_users(services)
    app = make_app(services, csrf=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="signage-live-app", daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", services)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        services.engine.dispose()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page per test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
