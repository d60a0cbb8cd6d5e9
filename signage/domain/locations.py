"""Billboard locations: where a screen stands, its zone, size and hours."""

from __future__ import annotations

import enum
import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from signage.domain.errors import ValidationError
from signage.domain.windows import OperatingHours

MAX_SCREEN_PIXELS = 16384
_TAG = re.compile(r"^[\w-]{1,40}$")


class Orientation(enum.StrEnum):
    """How the screen is mounted."""

    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


@dataclass(frozen=True, slots=True)
class LocationSpec:
    """The editable facts of a location, validated on construction."""

    name: str
    address: str
    latitude: float | None
    longitude: float | None
    timezone: str
    screen_width: int
    screen_height: int
    orientation: Orientation
    operating_hours: OperatingHours
    tags: frozenset[str]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("name", "must not be empty")
        if len(self.name) > 120:
            raise ValidationError("name", "must have at most 120 characters")
        if len(self.address) > 300:
            raise ValidationError("address", "must have at most 300 characters")
        _check_coordinate("latitude", self.latitude, 90.0)
        _check_coordinate("longitude", self.longitude, 180.0)
        validate_timezone(self.timezone)
        for field, value in (
            ("screen_width", self.screen_width),
            ("screen_height", self.screen_height),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(field, "must be a whole number of pixels")
            if not 0 < value <= MAX_SCREEN_PIXELS:
                raise ValidationError(field, f"must be between 1 and {MAX_SCREEN_PIXELS} pixels")
        for tag in self.tags:
            if not _TAG.match(tag):
                raise ValidationError("tags", f"'{tag}' must be 1–40 letters, digits, '_' or '-'")

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for audit snapshots and API answers."""
        return {
            "name": self.name,
            "address": self.address,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "timezone": self.timezone,
            "screen_width": self.screen_width,
            "screen_height": self.screen_height,
            "orientation": self.orientation.value,
            "operating_hours": self.operating_hours.to_mapping(),
            "tags": sorted(self.tags),
        }


@dataclass(frozen=True, slots=True)
class Location:
    """A stored location."""

    id: int
    spec: LocationSpec

    def as_dict(self) -> dict[str, Any]:
        """Plain values including the id."""
        return {"id": self.id, **self.spec.as_dict()}


def _check_coordinate(field: str, value: float | None, limit: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, "must be a number")
    if not -limit <= value <= limit:
        raise ValidationError(field, f"must lie between -{limit:g} and {limit:g}")


def validate_timezone(name: str, field: str = "timezone") -> str:
    """An IANA zone name that zoneinfo knows."""
    if not name or ("/" not in name and name != "UTC"):
        raise ValidationError(field, f"'{name}' is not an IANA time zone such as Asia/Dushanbe")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            field, f"'{name}' is not an IANA time zone such as Asia/Dushanbe"
        ) from None
    return name


def normalise_tags(values: list[str] | tuple[str, ...] | frozenset[str] | str) -> frozenset[str]:
    """Tags from a list or a comma-separated text, trimmed and lower-cased."""
    items = values.split(",") if isinstance(values, str) else list(values)
    return frozenset(t.strip().lower() for t in items if t.strip())
