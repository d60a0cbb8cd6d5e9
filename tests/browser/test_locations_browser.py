"""The Locations pages in a real browser: log in, create a location, see a field error."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import PASSWORD, counts

if TYPE_CHECKING:
    from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser

# Set to a file path (e.g. /tmp/signage-locations.png) to keep a picture of the Locations page.
SCREENSHOT = os.environ.get("SIGNAGE_LOCATIONS_SCREENSHOT", "")


def _log_in(page: Any, base_url: str, username: str = "admin") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def _fill_location(page: Any, name: str, timezone: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Time zone (IANA)").fill(timezone)
    page.get_by_label("Screen width (px)").fill("1920")
    page.get_by_label("Screen height (px)").fill("1080")
    page.get_by_label("Monday").fill("22:00-02:00")


def test_admin_creates_a_location_and_sees_a_time_zone_error(live_app: LiveApp, page: Any) -> None:
    from playwright.sync_api import expect

    _log_in(page, live_app.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Locations").click()
    expect(page.get_by_role("heading", name="Locations")).to_be_visible()
    expect(page.get_by_text("No locations yet.")).to_be_visible()

    page.get_by_role("link", name="New location").click()
    expect(page.get_by_role("heading", name="New location")).to_be_visible()
    _fill_location(page, "Rudaki Avenue", "Asia/Dushanbe")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{live_app.url}/locations")
    expect(page.get_by_role("status")).to_have_text("Location Rudaki Avenue created.")
    rows = page.locator("table.locations tbody tr")
    expect(rows).to_have_count(1)
    row = rows.filter(has_text="Rudaki Avenue")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Asia/Dushanbe")
    expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"1920×1080\s+landscape"))
    expect(row.locator("td.hours")).to_contain_text("mon 22:00-02:00")
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
    before = counts(live_app.services)

    page.get_by_role("link", name="New location").click()
    _fill_location(page, "Olympus Mons", "Mars/Olympus")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="New location")).to_be_visible()
    timezone_field = page.locator(".field").filter(has=page.get_by_label("Time zone (IANA)"))
    expect(timezone_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(timezone_field.get_by_role("alert")).to_contain_text("is not an IANA time zone")
    expect(page.get_by_label("Time zone (IANA)")).to_have_value("Mars/Olympus")
    assert page.get_by_role("alert").count() == 1
    assert counts(live_app.services) == before

    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("table.locations tbody tr")).to_have_count(1)
    expect(page.get_by_text("Olympus Mons")).to_have_count(0)


def test_anonymous_visit_to_locations_shows_the_login_form(live_app: LiveApp, page: Any) -> None:
    from playwright.sync_api import expect

    response = page.goto(f"{live_app.url}/locations")
    assert response is not None
    assert response.status == 401
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_text("Rudaki Avenue")).to_have_count(0)
