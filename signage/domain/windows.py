"""Daily time windows and weekly operating hours, in local wall-clock minutes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from signage.domain.errors import ValidationError

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(text: str, field: str, *, allow_24: bool = False) -> int:
    """Minutes after midnight for an `HH:MM` reading; `24:00` only when allowed."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValidationError(field, f"'{text}' is not a time of day in HH:MM form")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValidationError(field, f"'{text}' is outside 00:00–23:59" + (" or 24:00" * allow_24))
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    """`HH:MM` for minutes after midnight (1440 prints as 24:00)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """`[start, end)` in local wall-clock minutes; `end < start` runs past midnight.

    The window belongs, for dates and weekdays, to the day it starts on.
    `00:00–24:00` is the whole day; `start == end` is refused as ambiguous.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise ValidationError("window", "start must lie in 00:00–23:59")
        if not 0 < self.end <= MINUTES_PER_DAY:
            raise ValidationError("window", "end must lie in 00:01–24:00")
        if self.start == self.end:
            raise ValidationError(
                "window", "start and end are equal; write 00:00-24:00 for the whole day"
            )

    @classmethod
    def parse(cls, text: str, field: str = "window") -> DailyWindow:
        """Read `HH:MM-HH:MM` (en dash accepted)."""
        parts = re.split(r"\s*[-–]\s*", text.strip())
        if len(parts) != 2:
            raise ValidationError(field, f"'{text}' is not a window like 08:00-22:00")
        start = parse_clock(parts[0], field)
        end = parse_clock(parts[1], field, allow_24=True)
        if end == start:
            raise ValidationError(
                field, "start and end are equal; write 00:00-24:00 for the whole day"
            )
        if end == 0:
            end = MINUTES_PER_DAY
        try:
            return cls(start, end)
        except ValidationError as exc:
            raise ValidationError(field, exc.reason) from None

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the next local day."""
        return self.end < self.start

    @property
    def whole_day(self) -> bool:
        """True for 00:00–24:00."""
        return self.start == 0 and self.end == MINUTES_PER_DAY

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


ALL_DAY = DailyWindow(0, MINUTES_PER_DAY)


@dataclass(frozen=True, slots=True)
class OperatingHours:
    """One window (or None for dark all day) per weekday, Monday first."""

    days: tuple[DailyWindow | None, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValidationError("operating_hours", "needs exactly seven weekdays")

    @classmethod
    def always(cls) -> OperatingHours:
        """Lit around the clock every day."""
        return cls((ALL_DAY,) * 7)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, str | None], field: str = "operating_hours"
    ) -> OperatingHours:
        """Read `{"mon": "06:00-23:00", ..., "sun": None}`; missing days are dark."""
        unknown = sorted(set(data) - set(WEEKDAYS))
        if unknown:
            raise ValidationError(field, f"unknown weekday(s): {', '.join(unknown)}")
        days: list[DailyWindow | None] = []
        for day in WEEKDAYS:
            text = data.get(day)
            days.append(None if not text else DailyWindow.parse(text, f"{field}.{day}"))
        return cls(tuple(days))

    def to_mapping(self) -> dict[str, str | None]:
        """The inverse of `from_mapping`."""
        return {
            day: (str(w) if w is not None else None)
            for day, w in zip(WEEKDAYS, self.days, strict=True)
        }

    def window_for(self, weekday: int) -> DailyWindow | None:
        """The window that starts on `weekday` (0 = Monday)."""
        return self.days[weekday]


def parse_weekdays(values: Iterable[str], field: str = "weekdays") -> frozenset[int]:
    """Weekday numbers (0 = Monday) from names like `mon`; refuses unknown names."""
    result = set()
    for value in values:
        key = value.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ValidationError(field, f"'{value}' is not a weekday")
        result.add(WEEKDAYS.index(key))
    if not result:
        raise ValidationError(field, "at least one weekday is needed")
    return frozenset(result)
