"""Location facts are validated in the domain, each refusal naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from signage.domain.errors import ValidationError
from signage.services.locations import location_spec_from

GOOD = {"name": "Circus roundabout", "screen_width": 1920, "screen_height": 1080}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "EST5EDT-ish"}, "timezone"),
        ({"screen_width": 0}, "screen_width"),
        ({"screen_height": -5}, "screen_height"),
        ({"screen_width": "wide"}, "screen_width"),
        ({"screen_width": 100000}, "screen_width"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": "east"}, "longitude"),
        ({"operating_hours": {"mon": "06:00-06:00"}}, "operating_hours.mon"),
        ({"operating_hours": {"tue": "26:00-01:00"}}, "operating_hours.tue"),
        ({"operating_hours": "always"}, "operating_hours"),
        ({"name": "  "}, "name"),
        ({"orientation": "diagonal"}, "orientation"),
        ({"tags": ["ok", "not ok!"]}, "tags"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_location_input_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        location_spec_from({**GOOD, **change}, "Asia/Dushanbe")
    assert excinfo.value.field == field


def test_defaults_zone_orientation_and_always_open() -> None:
    spec = location_spec_from(
        {**GOOD, "screen_width": 1080, "screen_height": 1920}, "Asia/Dushanbe"
    )
    assert spec.timezone == "Asia/Dushanbe"
    assert spec.orientation.value == "portrait"
    assert all(w is not None and w.whole_day for w in spec.operating_hours.days)


def test_tags_are_normalised() -> None:
    spec = location_spec_from({**GOOD, "tags": "Centre, rudaki ,centre"}, "Asia/Dushanbe")
    assert spec.tags == frozenset({"centre", "rudaki"})
