"""Playback phase inside a plan segment: the cycle, what plays when, whole plays.

Within a segment the cycle starts at the segment's (true) start and runs on
wall-clock time, so a player joining mid-segment picks the item that should
be on now. Equal-priority entries take turns one item at a time in creation
order; a shorter playlist starts again; the cycle ends when the longest one
has played each item once. An item that would run past the segment's end is
cut (interrupted, reason "boundary") and is not a planned whole play.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from signage.domain.errors import ValidationError
from signage.domain.plan import LiveEntry, Segment, SegmentKind
from signage.domain.plan_clock import from_ticks, to_ticks
from signage.domain.schedule import require_aware

BOUNDARY = "boundary"
_TICKS_PER_MS = 1_000


@dataclass(frozen=True, slots=True)
class PlaylistItem:
    """One playlist item: the creative, the asset it plays, and how long (ms)."""

    creative_id: int
    asset_key: str
    duration_ms: int

    def __post_init__(self) -> None:
        if self.duration_ms <= 0:
            raise ValidationError("duration", "an item must last longer than zero")


# Approvals snapshot playlists, so one playlist id can hold other items under
# another approval: playlists are looked up by (approval id, playlist id).
Playlists = Mapping[tuple[int, int], Sequence[PlaylistItem]]


@dataclass(frozen=True, slots=True)
class CycleSlot:
    """One turn of the cycle: which entry plays which item, from which offset."""

    live: LiveEntry
    item: PlaylistItem
    offset_ms: int


@dataclass(frozen=True, slots=True)
class Cycle:
    """The repeating order of a segment's content; empty when nothing plays."""

    slots: tuple[CycleSlot, ...]
    length_ms: int


class PlayKey(NamedTuple):
    """What planned plays are counted by."""

    approval_id: int
    entry_id: int
    creative_id: int


@dataclass(frozen=True, slots=True)
class ScheduledPlay:
    """One planned play of an item, `[start, end)`; `cut` when the segment ends first."""

    start: datetime
    end: datetime
    live: LiveEntry
    item: PlaylistItem
    cut: bool

    @property
    def reason(self) -> str | None:
        """Why the play stops early ("boundary"), or None when it runs whole."""
        return BOUNDARY if self.cut else None

    @property
    def key(self) -> PlayKey:
        """The counting key of this play."""
        return PlayKey(self.live.approval_id, self.live.entry.id, self.item.creative_id)


def cycle_for(segment: Segment, playlists: Playlists) -> Cycle:
    """The cycle of a segment: one item per playlist per round, in creation order."""
    if segment.kind is not SegmentKind.CONTENT:
        return Cycle((), 0)
    lists = [(live, playlists[live.playlist_key]) for live in segment.live]
    rounds = max((len(items) for _, items in lists), default=0)
    slots: list[CycleSlot] = []
    offset = 0
    for turn in range(rounds):
        for live, items in lists:
            if items:
                item = items[turn % len(items)]
                slots.append(CycleSlot(live, item, offset))
                offset += item.duration_ms
    return Cycle(tuple(slots), offset)


def _play(segment: Segment, cycle: Cycle, index: int, cycle_start: int) -> ScheduledPlay:
    slot = cycle.slots[index]
    start = cycle_start + slot.offset_ms * _TICKS_PER_MS
    full_end = start + slot.item.duration_ms * _TICKS_PER_MS
    segment_end = to_ticks(segment.end)
    return ScheduledPlay(
        from_ticks(start),
        from_ticks(min(full_end, segment_end)),
        slot.live,
        slot.item,
        full_end > segment_end,
    )


def _locate(segment: Segment, cycle: Cycle, at: datetime) -> tuple[int, int]:
    """(slot index, tick where its cycle started) of the play running at `at`."""
    origin = to_ticks(segment.start)
    length = cycle.length_ms * _TICKS_PER_MS
    turns, into = divmod(to_ticks(at) - origin, length)
    offsets = [slot.offset_ms * _TICKS_PER_MS for slot in cycle.slots]
    return bisect_right(offsets, into) - 1, origin + turns * length


def item_at(segment: Segment, playlists: Playlists, at: datetime) -> ScheduledPlay | None:
    """The play that should be on at `at`, or None when the segment plays nothing then."""
    require_aware(at, "at")
    cycle = cycle_for(segment, playlists)
    if not cycle.slots or not segment.covers(at):
        return None
    index, cycle_start = _locate(segment, cycle, at)
    return _play(segment, cycle, index, cycle_start)


def plays_between(
    segment: Segment, playlists: Playlists, start: datetime, end: datetime
) -> Iterator[ScheduledPlay]:
    """Every planned play of the segment that overlaps `[start, end)`, in order."""
    require_aware(start, "start")
    require_aware(end, "end")
    cycle = cycle_for(segment, playlists)
    low, high = max(start, segment.start), min(end, segment.end)
    if not cycle.slots or low >= high:
        return
    index, cycle_start = _locate(segment, cycle, low)
    length = cycle.length_ms * _TICKS_PER_MS
    while True:
        play = _play(segment, cycle, index, cycle_start)
        if play.start >= high:
            return
        yield play
        index += 1
        if index == len(cycle.slots):
            index, cycle_start = 0, cycle_start + length


def _whole_before(segment: Segment, cycle: Cycle, before: int) -> Counter[PlayKey]:
    """Whole plays (not cut) that start before the tick `before`."""
    origin, segment_end = to_ticks(segment.start), to_ticks(segment.end)
    length = cycle.length_ms * _TICKS_PER_MS
    turns = max(0, before - origin) // length
    counts: Counter[PlayKey] = Counter()
    last_turn = origin + turns * length
    for slot in cycle.slots:
        key = PlayKey(slot.live.approval_id, slot.live.entry.id, slot.item.creative_id)
        start = last_turn + slot.offset_ms * _TICKS_PER_MS
        whole = start < before and start + slot.item.duration_ms * _TICKS_PER_MS <= segment_end
        counts[key] += turns + whole
    return counts


def planned_plays(
    segment: Segment,
    playlists: Playlists,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Counter[PlayKey]:
    """Whole planned plays that start within `[start, end)` (default: the whole segment)."""
    cycle = cycle_for(segment, playlists)
    if not cycle.slots:
        return Counter()
    low = to_ticks(max(start, segment.start) if start is not None else segment.start)
    high = to_ticks(min(end, segment.end) if end is not None else segment.end)
    if low >= high:
        return Counter()
    counts = _whole_before(segment, cycle, high)
    counts.subtract(_whole_before(segment, cycle, low))
    return +counts
