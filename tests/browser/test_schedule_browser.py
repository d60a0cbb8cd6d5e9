"""Scheduling in a browser: playlist, campaign on two screens, four-eyes, timeline, take-down."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.test_locations_browser import _log_in

if TYPE_CHECKING:
    from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser
QUOTE = {"text": "No one shall be subjected to torture.", "language": "en", "author": "UDHR"}


def _prepare(svc: Any) -> tuple[list[Any], str]:
    """Two small screens and a rendered quote video (the worker's part, done up front)."""
    svc.templates.ensure_builtin_templates("test")
    screens = [
        svc.locations.create_location(
            "admin", {"name": name, "screen_width": 320, "screen_height": 180, "tags": ["test"]}
        )
        for name in ("Rudaki screen", "Circus screen")
    ]
    quote = svc.quotes.create_quote("staff", QUOTE)
    template = svc.templates.list_templates()[2].template_id
    creative = svc.creatives.create_quote_creative("staff", quote.id, template, None, "Article 5")
    svc.creatives.request_render("staff", creative.id, (320, 180))
    assert svc.render_queue.run_until_empty("test") == 1
    return screens, creative.name


def test_schedule_submit_approve_see_and_withdraw(live_app: LiveApp, page: Any) -> None:
    from playwright.sync_api import expect

    svc = live_app.services
    screens, creative_name = _prepare(svc)
    today = datetime.now(ZoneInfo("Asia/Dushanbe")).date()
    page.on("dialog", lambda dialog: dialog.accept())

    _log_in(page, live_app.url, "staff")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Playlists").click()
    page.get_by_label("New playlist").fill("Evening quotes")
    page.get_by_role("button", name="Create").click()
    page.get_by_label("Creative").select_option(label=f"{creative_name} (quote)")
    page.get_by_role("button", name="Add item").click()
    expect(page.locator("#total")).to_have_text("10.0 s")

    nav.get_by_role("link", name="Campaigns").click()
    page.get_by_label("Name").fill("Stop torture week")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill((today + timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", name="Stop torture week")).to_be_visible()
    page.get_by_label("Playlist").select_option(label="Evening quotes")
    page.get_by_label("Locations").select_option(["Rudaki screen", "Circus screen"])
    page.get_by_label("Daily window").fill("00:00-24:00")
    page.get_by_role("button", name="Add entry").click()
    expect(page.get_by_text("Entry added.")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".badge")).to_have_text("submitted")
    # The submitter holds no approver role: there is no approve button for them.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    campaign_url = page.url

    page.get_by_role("button", name="Log out").click()
    _log_in(page, live_app.url, "approver")
    page.goto(campaign_url.replace("#entries", ""))
    page.get_by_role("link", name="Review page").click()
    expect(page.get_by_role("heading", name="Target screens")).to_be_visible()
    expect(page.get_by_role("img", name="Article 5 at 320x180")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".badge")).to_have_text("approved")

    page.goto(f"{live_app.url}/locations/{screens[0].id}/schedule?view=week")
    winner = page.locator(".lane.winner")
    # From the approval on, every day of the week shows the campaign on screen.
    expect(winner.locator(".bar.kind-content")).to_have_count(7)
    expect(winner.locator(".bar.kind-content").first).to_have_attribute(
        "title", lambda_title("Stop torture week")
    )
    expect(page.get_by_text("Playing Article 5.")).to_be_visible()

    page.goto(campaign_url.replace("#entries", ""))
    page.get_by_label("Reason for withdrawing").fill("Refused by the city at the last minute")
    page.get_by_role("button", name="Withdraw now").click()
    expect(page.locator(".badge")).to_have_text("withdrawn")

    page.goto(f"{live_app.url}/locations/{screens[0].id}/schedule?view=week")
    # What ran before the withdrawal stays in the picture; nothing runs after it.
    expect(page.locator(".lane.winner .bar.kind-content")).to_have_count(1)
    expect(page.get_by_text("Black: nothing is scheduled")).to_be_visible()
    events = [e.event.action for e in svc.audit.events(_everything())]
    assert "campaign.withdraw" in events


def lambda_title(name: str) -> Any:
    import re

    return re.compile(f"^{re.escape(name)}: ")


def _everything() -> Any:
    from signage.services.ports import AuditFilter

    return AuditFilter(limit=1000)
