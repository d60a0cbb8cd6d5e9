"""A campaign's schedule as calendar events (one recurring event per entry and zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from signage.domain.errors import NotFoundError, valid_id
from signage.domain.windows import MINUTES_PER_DAY, WEEKDAYS
from signage.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A weekly-recurring window, in the zone of the screens it plays on."""

    uid: str
    summary: str
    description: str
    where: str
    start: datetime
    end: datetime
    weekdays: tuple[str, ...]
    until: datetime


class CalendarWriter(Protocol):
    """Serialises events as an iCalendar document."""

    def write(self, name: str, events: list[CalendarEvent]) -> bytes: ...


def _first_day(first: date, last: date, weekdays: frozenset[int]) -> date | None:
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            return day
        day += timedelta(days=1)
    return None


@dataclass(frozen=True, slots=True)
class CalendarServices:
    """Builds the events; the adapter writes the file."""

    uow_factory: UnitOfWorkFactory
    writer: CalendarWriter

    def campaign_events(self, campaign_id: int) -> list[CalendarEvent]:
        """One event per entry and time zone of its target screens."""
        with self.uow_factory(readonly=True) as uow:
            campaign = uow.campaigns.get(campaign_id) if valid_id(campaign_id) else None
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id} not found")
            locations = list(uow.locations.list())
            entries = list(uow.entries.list_for(campaign_id))
            playlists = {e.playlist_id: uow.playlists.get(e.playlist_id) for e in entries}
        events = []
        for entry in entries:
            targets = [loc for loc in locations if entry.applies_to(loc.id, loc.spec.tags)]
            zones: dict[str, list[str]] = {}
            for loc in targets:
                zones.setdefault(loc.spec.timezone, []).append(loc.spec.name)
            day = _first_day(entry.dates.first, entry.dates.last, entry.weekdays)
            if day is None:
                continue
            playlist = playlists.get(entry.playlist_id)
            for zone_name, names in sorted(zones.items()):
                zone = ZoneInfo(zone_name)
                start_minute, end_minute = entry.window.start, entry.window.end
                length = (end_minute - start_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
                start = datetime.combine(day, time(start_minute // 60, start_minute % 60), zone)
                events.append(
                    CalendarEvent(
                        uid=f"signage-entry-{entry.id}-{zone_name.replace('/', '-')}",
                        summary=f"{campaign.name}: {playlist.name if playlist else 'playlist'}",
                        description=(
                            f"Priority {entry.priority}, window {entry.window}, "
                            f"campaign state {campaign.state.value}"
                        ),
                        where=", ".join(sorted(names)),
                        start=start,
                        end=start + timedelta(minutes=length),
                        weekdays=tuple(WEEKDAYS[d] for d in sorted(entry.weekdays)),
                        until=datetime.combine(entry.dates.last, time(23, 59, 59), zone),
                    )
                )
        return events

    def campaign_calendar(self, campaign_id: int) -> bytes:
        """The campaign's schedule as an .ics file."""
        with self.uow_factory(readonly=True) as uow:
            campaign = uow.campaigns.get(campaign_id) if valid_id(campaign_id) else None
            name = campaign.name if campaign else ""
        return self.writer.write(name, self.campaign_events(campaign_id))
