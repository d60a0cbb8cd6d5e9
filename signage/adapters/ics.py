"""iCalendar files (icalendar library) from calendar events."""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar, Event, vRecur

from signage.services.calendar import CalendarEvent

_BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}


class IcsWriter:
    """Writes one VCALENDAR with a weekly-recurring VEVENT per event, zones included."""

    def write(self, name: str, events: list[CalendarEvent]) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", "-//Signage//campaign schedule//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", name)
        for item in events:
            event = Event()
            event.add("uid", item.uid)
            event.add("summary", item.summary)
            event.add("description", item.description)
            event.add("location", item.where)
            event.add("dtstart", item.start)
            event.add("dtend", item.end)
            event.add("dtstamp", item.start.astimezone(UTC))
            rule = {"freq": "weekly", "byday": [_BYDAY[d] for d in item.weekdays]}
            rule["until"] = item.until.astimezone(UTC)
            event.add("rrule", vRecur(rule))
            calendar.add_component(event)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())
