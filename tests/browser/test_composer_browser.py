"""The composer in a real browser: upload, quote, render with a live progress bar, preview."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from signage.jobs.runner import Worker
from tests.browser.test_locations_browser import _log_in

if TYPE_CHECKING:
    from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser


@pytest.fixture
def worker(live_app: LiveApp) -> Iterator[Worker]:
    """The real worker (render queue included) beside the live server."""
    live_app.services.templates.ensure_builtin_templates("test")
    runner = Worker(live_app.services, "browser-worker")
    runner.render_poll_s = 0.2
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(timeout=60)


def test_staff_upload_quote_render_and_preview(
    live_app: LiveApp, worker: Worker, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    photo = tmp_path / "portrait.jpg"
    Image.new("RGB", (600, 800), (150, 110, 90)).save(photo, "JPEG")
    _log_in(page, live_app.url, "staff")
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Media").click()
    page.get_by_label("Image or video").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("portrait.jpg uploaded.")).to_be_visible()
    expect(page.locator("figure.tile")).to_have_count(1)

    nav.get_by_role("link", name="Quotes").click()
    page.get_by_label("Quote", exact=True).fill(
        "Ҳеҷ кас набояд ба шиканҷа гирифтор шавад. Хомӯшӣ ғамро зиёд мекунад; қонун ҳимоя мекунад."
    )
    page.get_by_label("Language", exact=True).select_option("tg")
    page.get_by_label("Author", exact=True).fill("Эъломияи умумии ҳуқуқи башар")
    page.get_by_label("Author's role").fill("моддаи 5")
    page.get_by_role("button", name="Save quote").click()
    expect(page.get_by_role("heading", name="Quote 1")).to_be_visible()

    nav.get_by_role("link", name="Creatives").click()
    page.get_by_label("Quote", exact=True).select_option(index=0)
    page.get_by_label("Template").select_option(label="Portrait beside the text")
    page.get_by_label("Photo (optional)").select_option(label="portrait.jpg")
    page.get_by_role("button", name="Create quote video").click()
    preview = page.get_by_role("img", name="Still preview")
    expect(preview).to_be_visible()
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=preview.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", preview.element_handle()) == 960

    page.get_by_label("Screen sizes (e.g. 1920x1080, 1080x1920)").fill("320x180")
    page.get_by_role("button", name="Render").click()
    expect(page.get_by_text("1 render(s) queued")).to_be_visible()
    bar = page.get_by_role("progressbar", name="Render progress 320×180")
    expect(bar).to_have_attribute("value", "100", timeout=60_000)
    row = page.locator("tr[data-job]")
    expect(row.locator(".status")).to_have_text("done")
    expect(row.get_by_role("link", name="video")).to_be_visible()

    (job,) = live_app.services.creatives.render_jobs()
    assert job.status.value == "done"
    assert live_app.services.media.path_of(job.asset_sha256).stat().st_size > 1000
