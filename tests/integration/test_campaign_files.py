"""Campaign files round-trip; the demo is imported, submitted and approved once rendered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import yaml

from signage.domain.plan import SegmentKind
from signage.services.campaign_files import shift_dates
from tests.conftest import build, make_settings, seed_users

DUSHANBE = ZoneInfo("Asia/Dushanbe")
DEMO = Path(__file__).resolve().parents[2] / "playlists" / "dushanbe-2022.yaml"
SMALL = {
    "format": "signage-campaign/1",
    "campaign": {"name": "Small", "starts_on": "2026-06-01", "ends_on": "2026-06-03"},
    "locations": [
        {
            "name": "Tiny screen",
            "timezone": "Asia/Dushanbe",
            "screen_width": 320,
            "screen_height": 180,
            "operating_hours": {"mon": "06:00-23:00", "tue": "06:00-23:00", "wed": "06:00-23:00"},
        },
    ],
    "quotes": [
        {
            "key": "q1",
            "language": "en",
            "text": "No one shall be subjected to torture.",
            "author": "UDHR",
            "author_role": "Article 5",
            "template": "Colour field with large quotation marks",
        },
    ],
    "playlists": [{"name": "One", "items": [{"quote": "q1"}]}],
    "entries": [
        {
            "playlist": "One",
            "locations": ["Tiny screen"],
            "window": "20:00-02:00",
            "weekdays": ["mon", "tue", "wed"],
            "priority": 40,
        },
    ],
}


def users(svc: Any) -> dict[str, Any]:
    return seed_users(svc)


def upcoming() -> tuple[dict[str, Any], date]:
    """SMALL moved to start tomorrow (approvals act from now on), every day open."""
    tomorrow = datetime.now(DUSHANBE).date() + timedelta(days=1)
    every_day = {day: "06:00-23:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    location = SMALL["locations"][0] | {"operating_hours": every_day}
    entry = SMALL["entries"][0] | {"weekdays": list(every_day)}
    document = SMALL | {"locations": [location], "entries": [entry]}
    return shift_dates(document, tomorrow), tomorrow


@pytest.fixture
def svc(tmp_path: Path) -> Any:
    services = build(make_settings(tmp_path / "a"))
    services.templates.ensure_builtin_templates("test")
    yield services
    services.engine.dispose()


def test_the_demo_file_imports_once(svc: Any) -> None:
    staff = users(svc)["staff"]
    document = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    first = svc.campaign_files.import_file(staff, document)
    assert (first.locations_created, first.quotes_created, first.entries_added) == (7, 6, 2)
    assert first.campaign_created
    assert len(first.playlists) == 2
    again = svc.campaign_files.import_file(staff, document)
    assert again.campaign_id == first.campaign_id
    assert (again.locations_created, again.quotes_created, again.entries_added) == (0, 0, 0)
    assert not again.campaign_created
    assert again.playlists == []
    assert len(svc.campaign_content.entries(first.campaign_id)) == 2
    # 6 quotes × 3 screen sizes (1920×1080, 1080×1920, 1152×576), asked for once.
    assert len(svc.creatives.render_jobs()) == 18


def test_export_then_import_elsewhere_gives_the_same_file(svc: Any, tmp_path: Path) -> None:
    staff = users(svc)["staff"]
    report = svc.campaign_files.import_file(staff, yaml.safe_load(DEMO.read_text()))
    exported = svc.campaign_files.export_file(report.campaign_id)
    other = build(make_settings(tmp_path / "b"))
    other.templates.ensure_builtin_templates("test")
    other_staff = users(other)["staff"]
    text = yaml.safe_dump(exported, allow_unicode=True, sort_keys=False)
    again = other.campaign_files.import_file(other_staff, yaml.safe_load(text))
    assert other.campaign_files.export_file(again.campaign_id) == exported
    assert len(exported["locations"]) == 7
    assert {e["playlist"] for e in exported["entries"]} == {
        "Article 5 in three languages",
        "Silence lets torture go on",
    }
    other.engine.dispose()


def test_start_today_moves_the_campaign_and_its_entries() -> None:
    moved = shift_dates(
        SMALL
        | {
            "entries": [
                SMALL["entries"][0] | {"first_date": "2026-06-02", "last_date": "2026-06-03"}
            ]
        },
        date(2026, 11, 28),
    )
    assert moved["campaign"]["starts_on"] == "2026-11-28"
    assert moved["campaign"]["ends_on"] == "2026-11-30"
    assert (moved["entries"][0]["first_date"], moved["entries"][0]["last_date"]) == (
        "2026-11-29",
        "2026-11-30",
    )


def test_bad_files_name_the_field_and_write_no_campaign(svc: Any) -> None:
    staff = users(svc)["staff"]
    broken = SMALL | {"entries": [SMALL["entries"][0] | {"locations": ["Nowhere"]}]}
    with pytest.raises(Exception, match="unknown location 'Nowhere'") as excinfo:
        svc.campaign_files.import_file(staff, broken)
    assert getattr(excinfo.value, "field", "") == "entries[0].locations"
    with pytest.raises(Exception, match="signage-campaign/1"):
        svc.campaign_files.import_file(staff, {"format": "something-else"})


def test_demo_approval_waits_for_renders_then_the_screen_plays(svc: Any) -> None:
    people = users(svc)
    document, day = upcoming()
    report = svc.campaign_files.import_file(people["staff"], document)
    svc.campaigns.submit(people["staff"], report.campaign_id)
    assert svc.demo_approver.approve_when_ready(report.campaign_id, "approver") is False
    assert svc.render_queue.run_until_empty("test") == 1
    assert svc.demo_approver.approve_when_ready(report.campaign_id, "approver") is True
    assert svc.campaigns.get_campaign(report.campaign_id).state.value == "approved"
    location = svc.locations.list_locations()[0]
    at = datetime.combine(day, time(21, 0), DUSHANBE)  # inside the 20:00-02:00 window
    on_air = svc.plans.what_is_on(location.id, at)
    assert on_air.segment is not None
    assert on_air.segment.kind is SegmentKind.CONTENT
    # 23:30 local is outside the screen's operating hours even though the window runs on.
    late = svc.plans.what_is_on(location.id, at + timedelta(hours=2, minutes=30))
    assert late.segment is not None
    assert late.segment.kind is SegmentKind.CLOSED


def test_the_calendar_export_opens_as_weekly_events_in_the_screen_zone(svc: Any) -> None:
    staff = users(svc)["staff"]
    report = svc.campaign_files.import_file(staff, SMALL)
    calendar = icalendar.Calendar.from_ical(svc.calendar.campaign_calendar(report.campaign_id))
    (event,) = [c for c in calendar.walk("VEVENT")]
    start = event.decoded("dtstart")
    assert start.tzinfo is not None
    assert str(start.tzinfo) == "Asia/Dushanbe"
    assert (start.date(), start.hour) == (date(2026, 6, 1), 20)
    assert event.decoded("dtend") - start == timedelta(hours=6)
    rule = event["rrule"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["MO", "TU", "WE"]
    assert "Tiny screen" in str(event["location"])
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]


def test_the_timeline_shows_each_campaign_and_the_winner(svc: Any) -> None:
    people = users(svc)
    document, day = upcoming()
    report = svc.campaign_files.import_file(people["staff"], document)
    svc.campaigns.submit(people["staff"], report.campaign_id)
    svc.render_queue.run_until_empty("test")
    svc.campaigns.approve(people["approver"], report.campaign_id)
    location = svc.locations.list_locations()[0]
    lanes = svc.timeline.timeline(location.id, datetime.combine(day, time(9), DUSHANBE), 1)
    assert [lane.label for lane in lanes] == ["On screen", "Small"]
    winner_bars = [b for b in lanes[0].days[0].bars if b.kind == "content"]
    assert [b.label for b in winner_bars] == ["Small"]
    # 20:00-23:00 local: the window clipped by operating hours.
    assert winner_bars[0].width == pytest.approx(3 / 24)
    assert winner_bars[0].left == pytest.approx(20 / 24)
    # The campaign's own lane shows the same evening (it is the only one).
    assert [b.left for b in lanes[1].days[0].bars] == [pytest.approx(20 / 24)]
