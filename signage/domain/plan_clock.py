"""Local wall-clock readings mapped to real instants, for the plan engine.

The engine works on integer microseconds since the Unix epoch ("ticks"),
which keeps interval arithmetic exact and fast. A daily window is a range of
wall-clock readings; the real instants whose reading lies in that range are
found per stretch of constant UTC offset, so DST gaps shorten a window and
DST folds lengthen it (or split it in two), as the schedule rules require.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

TICKS_PER_SECOND = 1_000_000
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
# Offset changes are found by sampling every hour; no zone changes twice in one.
_SCAN_STEP = 3_600
# Real offsets stay within ±26 h of UTC, so this margin always brackets a day.
_MARGIN = 2 * _SECONDS_PER_DAY

Interval = tuple[int, int]


def to_ticks(at: datetime) -> int:
    """Microseconds since the epoch for an aware instant."""
    return (at - EPOCH) // timedelta(microseconds=1)


def from_ticks(ticks: int) -> datetime:
    """The aware UTC instant for microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=ticks)


def ordinal_ticks(ordinal: int) -> int:
    """Wall-clock ticks (a reading, not an instant) of local midnight on a date ordinal."""
    return (ordinal - _EPOCH_ORDINAL) * TICKS_PER_DAY


def local_date(zone: ZoneInfo, ticks: int) -> date:
    """The local calendar date at a real instant."""
    return from_ticks(ticks).astimezone(zone).date()


def _offset_seconds(zone: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@lru_cache(maxsize=65_536)
def _changes_on_utc_day(zone_name: str, day_index: int) -> tuple[tuple[int, int], ...]:
    """(second, new offset) for each offset change within one UTC day."""
    zone = ZoneInfo(zone_name)
    first = day_index * _SECONDS_PER_DAY
    changes: list[tuple[int, int]] = []
    before = _offset_seconds(zone, first)
    for step_end in range(first + _SCAN_STEP, first + _SECONDS_PER_DAY + 1, _SCAN_STEP):
        after = _offset_seconds(zone, step_end)
        if after != before:
            low, high = step_end - _SCAN_STEP, step_end
            # Invariant: offset(low) == before, offset(high) == after.
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_seconds(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            # A change exactly at the next midnight is kept here: the next
            # day's scan starts from the new offset and would not see it.
            changes.append((high, after))
            before = after
    return tuple(changes)


@lru_cache(maxsize=4_096)
def offset_pieces(zone_name: str, first_day: int, last_day: int) -> tuple[tuple[int, int], ...]:
    """(start tick, offset ticks) of each constant-offset stretch over UTC days first..last.

    The first stretch starts at the first day's midnight UTC; each runs until
    the next one starts (the last one to the end of `last_day`).
    """
    zone = ZoneInfo(zone_name)
    pieces = [(first_day * TICKS_PER_DAY, _offset_seconds(zone, first_day * _SECONDS_PER_DAY))]
    for day_index in range(first_day, last_day + 1):
        for second, offset in _changes_on_utc_day(zone_name, day_index):
            pieces.append((second * TICKS_PER_SECOND, offset))
    return tuple((start, offset * TICKS_PER_SECOND) for start, offset in pieces)


@lru_cache(maxsize=65_536)
def instants_for_wall(zone_name: str, wall_start: int, wall_end: int) -> tuple[Interval, ...]:
    """Real `[from, to)` tick intervals whose wall reading lies in `[wall_start, wall_end)`."""
    first_day = (wall_start // TICKS_PER_SECOND - _MARGIN) // _SECONDS_PER_DAY
    last_day = (wall_end // TICKS_PER_SECOND + _MARGIN) // _SECONDS_PER_DAY
    pieces = offset_pieces(zone_name, first_day, last_day)
    result: list[Interval] = []
    for index, (piece_start, offset) in enumerate(pieces):
        piece_end = pieces[index + 1][0] if index + 1 < len(pieces) else None
        low = max(piece_start, wall_start - offset)
        high = wall_end - offset if piece_end is None else min(piece_end, wall_end - offset)
        if low < high:
            if result and result[-1][1] == low:
                low = result.pop()[0]
            result.append((low, high))
    return tuple(result)
