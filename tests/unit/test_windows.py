"""Daily windows and operating hours as DESIGN.md's schedule rules define them."""

from __future__ import annotations

import pytest

from signage.domain.errors import ValidationError
from signage.domain.windows import DailyWindow, OperatingHours, parse_weekdays


def test_a_window_may_cross_midnight() -> None:
    window = DailyWindow.parse("22:00-02:00")
    assert (window.start, window.end) == (22 * 60, 2 * 60)
    assert window.crosses_midnight
    assert str(window) == "22:00-02:00"


def test_whole_day_is_written_00_to_24() -> None:
    window = DailyWindow.parse("00:00-24:00")
    assert window.whole_day
    assert not window.crosses_midnight


@pytest.mark.parametrize("text", ["08:00-08:00", "00:00-00:00"])
def test_equal_start_and_end_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="equal"):
        DailyWindow.parse(text)


@pytest.mark.parametrize("text", ["25:00-10:00", "10:60-11:00", "24:00-02:00", "8-9", "noon-dusk"])
def test_malformed_windows_name_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        DailyWindow.parse(text, "operating_hours.mon")
    assert excinfo.value.field == "operating_hours.mon"


def test_operating_hours_round_trip_and_dark_days() -> None:
    hours = OperatingHours.from_mapping({"mon": "06:00-01:00", "sun": None})
    assert hours.window_for(0) == DailyWindow(360, 60)
    assert hours.window_for(6) is None
    assert hours.to_mapping()["mon"] == "06:00-01:00"
    assert hours.to_mapping()["tue"] is None


def test_unknown_weekday_is_refused() -> None:
    with pytest.raises(ValidationError, match="funday"):
        OperatingHours.from_mapping({"funday": "06:00-07:00"})


def test_weekday_names() -> None:
    assert parse_weekdays(["Mon", "sunday"]) == frozenset({0, 6})
    with pytest.raises(ValidationError):
        parse_weekdays([])
