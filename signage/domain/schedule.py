"""Schedule value types the plan engine reads: locations, entries, approvals, blanks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from signage.domain.errors import ValidationError
from signage.domain.windows import DailyWindow, OperatingHours

DEFAULT_TIME_ZONE = "Asia/Dushanbe"
MIN_PRIORITY = 0
MAX_PRIORITY = 100


def require_aware(value: datetime, field_name: str) -> None:
    """Refuse a naive datetime: every instant in the domain is a real instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field_name, "must carry a time zone (aware datetime)")


def zone_for(name: str, field_name: str = "timezone") -> ZoneInfo:
    """The IANA zone called `name`, or a ValidationError naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(field_name, f"'{name}' is not an IANA time zone") from None


@dataclass(frozen=True, slots=True)
class PlanLocation:
    """What the plan engine needs to know of one billboard location (one version)."""

    id: int
    timezone: str = DEFAULT_TIME_ZONE
    hours: OperatingHours = field(default_factory=OperatingHours.always)
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        zone_for(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        """The location's IANA zone (ZoneInfo caches instances per name)."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class DateRange:
    """Local calendar dates `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError("dates", "the last date lies before the first")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @property
    def days(self) -> int:
        """How many local dates the range spans."""
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEntry:
    """Playlist × targets × local dates × daily window × weekdays × priority.

    Targets are location ids and/or tags, resolved against a location with
    `applies_to`. `order` is the creation order (smaller first); equal
    priorities take turns in that order.
    """

    id: int
    playlist_id: int
    campaign_id: int
    location_ids: frozenset[int] = frozenset()
    tags: frozenset[str] = frozenset()
    dates: DateRange
    window: DailyWindow
    weekdays: frozenset[int] = frozenset(range(7))
    priority: int
    order: int = 0

    def __post_init__(self) -> None:
        if not self.location_ids and not self.tags:
            raise ValidationError("targets", "name at least one location or tag")
        if not self.weekdays:
            raise ValidationError("weekdays", "at least one weekday is needed")
        if not self.weekdays <= frozenset(range(7)):
            raise ValidationError("weekdays", "weekdays are numbered 0 (Monday) to 6")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ValidationError("priority", "must be a whole number")
        if not MIN_PRIORITY <= self.priority <= MAX_PRIORITY:
            raise ValidationError(
                "priority", f"must lie in {MIN_PRIORITY}–{MAX_PRIORITY} (0 is idle content)"
            )

    def applies_to(self, location_id: int, tags: frozenset[str]) -> bool:
        """True when the entry targets this location by id or by one of its tags."""
        return location_id in self.location_ids or not self.tags.isdisjoint(tags)

    def runs_on(self, day: date) -> bool:
        """True when a window starting on local date `day` belongs to this entry."""
        return day in self.dates and day.weekday() in self.weekdays

    @property
    def sort_key(self) -> tuple[int, int]:
        """Creation order, ties broken by id: the round-robin order."""
        return (self.order, self.id)


@dataclass(frozen=True, slots=True)
class Approval:
    """An immutable snapshot of a campaign's entries, in force over `[start, until)`.

    `until` is None while the approval is neither superseded nor withdrawn.
    """

    id: int
    campaign_id: int
    start: datetime
    until: datetime | None
    entries: tuple[ScheduleEntry, ...]

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        if self.until is not None:
            require_aware(self.until, "until")
            if self.until <= self.start:
                raise ValidationError("until", "an approval must end after it starts")
        for entry in self.entries:
            if entry.campaign_id != self.campaign_id:
                raise ValidationError("entries", f"entry {entry.id} is of another campaign")

    def in_force_at(self, at: datetime) -> bool:
        """True when the approval is in force at the aware instant `at`."""
        return self.start <= at and (self.until is None or at < self.until)

    def ended(self, at: datetime) -> Approval:
        """This approval superseded or withdrawn at `at`."""
        return Approval(self.id, self.campaign_id, self.start, at, self.entries)


@dataclass(frozen=True, slots=True)
class Blank:
    """An emergency blank for one location (or all when None), over `[start, until)`."""

    id: int
    location_id: int | None
    start: datetime
    until: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        if self.until is not None:
            require_aware(self.until, "until")
            if self.until <= self.start:
                raise ValidationError("until", "a blank must be lifted after it starts")

    def applies_to(self, location_id: int) -> bool:
        """True when the blank covers this location."""
        return self.location_id is None or self.location_id == location_id

    def in_force_at(self, at: datetime) -> bool:
        """True when the blank is in force at the aware instant `at`."""
        return self.start <= at and (self.until is None or at < self.until)
