"""Playback phase within a segment: round-robin cycles, joining mid-way, cuts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signage.domain.errors import ValidationError
from signage.domain.plan import LiveEntry, Segment, SegmentKind
from signage.domain.plan_playback import (
    CycleSlot,
    PlayKey,
    PlaylistItem,
    ScheduledPlay,
    cycle_for,
    item_at,
    planned_plays,
    plays_between,
)
from signage.domain.schedule import DateRange, ScheduleEntry
from signage.domain.windows import DailyWindow

START = datetime(2026, 5, 1, 5, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def live(number: int, *, order: int, approval: int = 1, playlist: int | None = None) -> LiveEntry:
    """A live entry with the given creation order."""
    return LiveEntry(
        approval,
        ScheduleEntry(
            id=number,
            playlist_id=playlist or number,
            campaign_id=1,
            location_ids=frozenset({1}),
            dates=DateRange(date(2026, 5, 1), date(2026, 5, 1)),
            window=DailyWindow(0, 1440),
            priority=5,
            order=order,
        ),
    )


def items(prefix: str, count: int, seconds: int = 60) -> list[PlaylistItem]:
    """A playlist of `count` items of equal length, creative ids 1.. and keys like a1."""
    return [PlaylistItem(n, f"{prefix}{n}", seconds * 1000) for n in range(1, count + 1)]


def segment(*entries: LiveEntry, minutes: int = 60) -> Segment:
    """A content segment from START lasting `minutes`."""
    return Segment(START, START + minutes * MINUTE, SegmentKind.CONTENT, entries)


def keys(plays: Iterable[ScheduledPlay | CycleSlot]) -> list[str]:
    """The asset keys of a sequence of plays or cycle slots."""
    return [p.item.asset_key for p in plays]


def test_round_robin_takes_one_item_each_in_creation_order_and_restarts_the_shorter() -> None:
    long, short = live(1, order=1), live(2, order=2)
    playlists = {long.playlist_key: items("a", 3), short.playlist_key: items("b", 1)}
    cycle = cycle_for(segment(long, short), playlists)
    assert keys(cycle.slots) == ["a1", "b1", "a2", "b1", "a3", "b1"]
    assert cycle.length_ms == 6 * 60_000
    # Creation order, not id order, decides who goes first.
    first, second = live(1, order=9), live(2, order=3)
    playlists = {first.playlist_key: items("a", 3), second.playlist_key: items("b", 2)}
    cycle = cycle_for(segment(second, first), playlists)
    assert keys(cycle.slots) == ["b1", "a1", "b2", "a2", "b1", "a3"]


def test_the_cycle_repeats_on_wall_clock_time_from_the_segment_start() -> None:
    only = live(1, order=1)
    playlists = {only.playlist_key: items("a", 2, seconds=90)}
    plays = list(plays_between(segment(only, minutes=7), playlists, START, START + 7 * MINUTE))
    assert keys(plays) == ["a1", "a2", "a1", "a2", "a1"]
    assert [p.start - START for p in plays] == [timedelta(seconds=90 * n) for n in range(5)]


def test_a_player_joining_mid_segment_picks_the_item_on_now() -> None:
    only = live(1, order=1)
    playlists = {only.playlist_key: items("a", 3, seconds=120)}
    play = item_at(segment(only), playlists, START + 7 * MINUTE)
    assert play is not None
    assert play.item.asset_key == "a1"  # second cycle: 6:00-8:00
    assert (play.start, play.end) == (START + 6 * MINUTE, START + 8 * MINUTE)
    assert item_at(segment(only), playlists, START - MINUTE) is None
    assert item_at(segment(only), playlists, START + 60 * MINUTE) is None


def test_an_item_running_past_the_segment_end_is_cut_and_not_a_whole_play() -> None:
    only = live(1, order=1)
    playlists = {only.playlist_key: items("a", 1, seconds=120)}
    short = segment(only, minutes=5)
    plays = list(plays_between(short, playlists, short.start, short.end))
    assert [(p.end - p.start, p.cut, p.reason) for p in plays] == [
        (2 * MINUTE, False, None),
        (2 * MINUTE, False, None),
        (MINUTE, True, "boundary"),
    ]
    assert planned_plays(short, playlists) == {PlayKey(1, 1, 1): 2}
    assert short.duration == 5 * MINUTE  # planned seconds are the segment's


def test_playlists_are_the_snapshot_of_each_approval() -> None:
    old, new = live(1, order=1, approval=1, playlist=7), live(2, order=2, approval=2, playlist=7)
    playlists = {old.playlist_key: items("old", 1), new.playlist_key: items("new", 1)}
    assert keys(cycle_for(segment(old, new), playlists).slots) == ["old1", "new1"]


def test_segments_without_content_play_nothing() -> None:
    blank = Segment(START, START + MINUTE, SegmentKind.BLANK)
    assert cycle_for(blank, {}).slots == ()
    assert item_at(blank, {}, START) is None
    assert list(plays_between(blank, {}, START, START + MINUTE)) == []
    assert planned_plays(blank, {}) == {}


def test_an_item_must_last() -> None:
    with pytest.raises(ValidationError) as caught:
        PlaylistItem(1, "a", 0)
    assert caught.value.field == "duration"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 400), min_size=1, max_size=4), min_size=1, max_size=3),
    st.integers(1, 3600),
    st.integers(0, 3600),
    st.integers(0, 3600),
)
def test_whole_plays_counted_by_arithmetic_match_the_plays_listed(
    durations: list[list[int]], seconds: int, offset: int, width: int
) -> None:
    entries = [live(n, order=n) for n in range(1, len(durations) + 1)]
    playlists = {
        e.playlist_key: [PlaylistItem(k, f"{e.entry.id}-{k}", d * 100) for k, d in enumerate(ds)]
        for e, ds in zip(entries, durations, strict=True)
    }
    seg = Segment(START, START + timedelta(seconds=seconds), SegmentKind.CONTENT, tuple(entries))
    low = START + timedelta(seconds=offset)
    high = low + timedelta(seconds=width)
    listed = list(plays_between(seg, playlists, seg.start, seg.end))
    assert listed[0].start == seg.start
    assert listed[-1].end == seg.end
    for earlier, later in pairwise(listed):
        assert earlier.end == later.start
        assert not earlier.cut
    expected: dict[PlayKey, int] = {}
    for play in listed:
        if not play.cut and low <= play.start < high:
            expected[play.key] = expected.get(play.key, 0) + 1
    assert planned_plays(seg, playlists, low, high) == expected
    inside = min(low, seg.end - timedelta(microseconds=1))
    assert item_at(seg, playlists, inside) in listed
