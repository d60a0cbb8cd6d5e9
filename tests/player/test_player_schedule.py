"""What a plan says to show at an instant: round robin, joining, cuts, black, horizon."""

from __future__ import annotations

from typing import Any

import pytest
from signage_player.errors import PlanError
from signage_player.schedule import (
    assets_needed,
    black_reason,
    cycle,
    cycle_duration_ms,
    first_removal,
    next_boundary,
    parse_plan,
    scheduled_at,
    segment_at,
)

from tests.player.player_fakes import PlaylistSpec, plan_doc, segment

S = 1000
H0 = 1_760_000_000_000  # horizon start
A1, A2, A3 = ("a" * 63 + "1"), ("a" * 63 + "2"), ("a" * 63 + "3")
B1 = "b" * 64
LONG = PlaylistSpec(7, 2, [(A1, 10 * S), (A2, 10 * S), (A3, 10 * S)])
SHORT = PlaylistSpec(8, 5, [(B1, 5 * S)])


def two_entry_plan(seg_end: int = H0 + 3600 * S, **kw: Any) -> dict[str, Any]:
    return plan_doc(
        [
            segment(H0, seg_end, entries=[(1, LONG), (2, SHORT)]),
            segment(seg_end, H0 + 7200 * S, "nothing"),
        ],
        [LONG, SHORT],
        **kw,
    )


def shown(doc: dict[str, Any], t: int) -> tuple[str, int, int] | None:
    on = scheduled_at(parse_plan(doc), t)
    return None if on is None else (on.slot.item.asset_sha256, on.start_ms, on.end_ms)


def test_round_robin_restarts_the_shorter_playlist_and_ends_with_the_longest() -> None:
    plan = parse_plan(two_entry_plan())
    slots = cycle(plan, plan.segments[0])
    assert [(s.entry.entry_id, s.item.asset_sha256) for s in slots] == [
        (1, A1),
        (2, B1),
        (1, A2),
        (2, B1),
        (1, A3),
        (2, B1),
    ]
    assert [s.offset_ms for s in slots] == [0, 10 * S, 15 * S, 25 * S, 30 * S, 40 * S]
    assert cycle_duration_ms(slots) == 45 * S
    # The cycle repeats from the segment's start on the wall clock.
    assert shown(two_entry_plan(), H0 + 45 * S) == (A1, H0 + 45 * S, H0 + 55 * S)
    assert shown(two_entry_plan(), H0 + 90 * S + 27 * S) == (B1, H0 + 115 * S, H0 + 120 * S)


def test_a_player_starting_mid_segment_joins_the_item_on_now() -> None:
    plan = parse_plan(two_entry_plan())
    on = scheduled_at(plan, H0 + 45 * S + 18_500)
    assert on is not None
    assert on.slot.item.asset_sha256 == A2
    assert on.start_ms == H0 + 60 * S
    assert on.offset_ms == 3_500
    assert on.end_ms == H0 + 70 * S
    assert on.cut_reason is None


def test_an_item_running_past_the_segment_end_is_cut_at_the_boundary() -> None:
    doc = two_entry_plan(seg_end=H0 + 22 * S)
    on = scheduled_at(parse_plan(doc), H0 + 16 * S)
    assert on is not None
    assert on.slot.item.asset_sha256 == A2
    assert (on.natural_end_ms, on.end_ms) == (H0 + 25 * S, H0 + 22 * S)
    assert on.cut_reason == "boundary"
    assert next_boundary(parse_plan(doc), H0 + 16 * S) == H0 + 22 * S


@pytest.mark.parametrize("kind", ["nothing", "closed", "blank"])
def test_nothing_and_blank_segments_are_black(kind: str) -> None:
    doc = plan_doc(
        [
            segment(H0, H0 + 60 * S, kind),
            segment(H0 + 60 * S, H0 + 120 * S, entries=[(1, SHORT)]),
        ],
        [SHORT],
    )
    plan = parse_plan(doc)
    assert scheduled_at(plan, H0 + 10 * S) is None
    assert black_reason(plan, H0 + 10 * S) == kind
    assert next_boundary(plan, H0 + 10 * S) == H0 + 60 * S
    assert shown(doc, H0 + 61 * S) == (B1, H0 + 60 * S, H0 + 65 * S)


def test_past_the_horizon_is_black_and_nothing_changes_any_more() -> None:
    doc = two_entry_plan(horizon=(H0, H0 + 7200 * S))
    plan = parse_plan(doc)
    end = H0 + 7200 * S
    assert segment_at(plan, end) is None
    assert black_reason(plan, end + 1) == "horizon_end"
    assert next_boundary(plan, end + 1) is None
    assert black_reason(plan, H0 - 1) == "before_horizon"


def test_an_item_cut_by_the_horizon_says_so() -> None:
    doc = plan_doc(
        [segment(H0, H0 + 100 * S, entries=[(1, LONG)])], [LONG], horizon=(H0, H0 + 25 * S)
    )
    on = scheduled_at(parse_plan(doc), H0 + 21 * S)
    assert on is not None
    assert on.end_ms == H0 + 25 * S
    assert on.cut_reason == "horizon_end"


def test_a_segment_keeps_its_true_start_before_the_horizon() -> None:
    doc = plan_doc(
        [segment(H0 - 12 * S, H0 + 100 * S, entries=[(1, LONG)])],
        [LONG],
        horizon=(H0, H0 + 100 * S),
    )
    # 12 s into the segment: the second item, 2 s in.
    on = scheduled_at(parse_plan(doc), H0)
    assert on is not None
    assert (on.slot.item.asset_sha256, on.offset_ms) == (A2, 2 * S)


def test_assets_needed_are_listed_soonest_first_and_only_from_now_on() -> None:
    first = PlaylistSpec(1, 1, [(B1, 5 * S)])
    doc = plan_doc(
        [
            segment(H0, H0 + 60 * S, entries=[(1, first)]),
            segment(H0 + 60 * S, H0 + 120 * S, entries=[(2, LONG)]),
        ],
        [first, LONG],
    )
    plan = parse_plan(doc)
    assert assets_needed(plan, H0) == [B1, A1, A2, A3]
    assert assets_needed(plan, H0 + 61 * S) == [A1, A2, A3]


def test_removal_is_a_missing_approval_or_black_ahead() -> None:
    doc = plan_doc(
        [
            segment(H0, H0 + 60 * S, entries=[(1, LONG)]),
            segment(H0 + 60 * S, H0 + 120 * S, "blank"),
        ],
        [LONG],
    )
    plan = parse_plan(doc)
    assert first_removal(plan, 99, H0, H0 + 10 * S) == (H0, "withdrawn")
    assert first_removal(plan, 2, H0, H0 + 50 * S) is None
    assert first_removal(plan, 2, H0 + 55 * S, H0 + 65 * S) == (H0 + 60 * S, "blank")


def test_withdrawal_mid_day_is_withdrawn_though_the_morning_stays_in_the_plan() -> None:
    # The server keeps the part of today before a withdrawal: the approval is in the plan,
    # but nowhere from now on, so the play on screen is cut as `withdrawn`.
    doc = plan_doc(
        [
            segment(H0, H0 + 60 * S, entries=[(1, LONG)]),
            segment(H0 + 60 * S, H0 + 7200 * S, "nothing"),
        ],
        [LONG],
    )
    plan = parse_plan(doc)
    assert first_removal(plan, 2, H0 + 61 * S, H0 + 70 * S) == (H0 + 61 * S, "withdrawn")
    assert first_removal(plan, 2, H0 + 55 * S, H0 + 65 * S) == (H0 + 60 * S, "plan_changed")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["segments"][1].update(start_ms=H0 + 10 * S), "overlaps"),
        (lambda d: d["segments"][1].update(start_ms=H0 + 3700 * S), "ends before|gap"),
        (lambda d: d["segments"][0]["entries"][0].update(playlist="9:9"), "unknown playlist"),
        (lambda d: d["assets"].pop(A1), "lacks"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["playlists"]["2:7"]["items"][0].update(duration_ms=0), "positive"),
        (lambda d: d["horizon"].update(start_ms=H0 - 1), "cover"),
    ],
)
def test_a_broken_plan_is_refused(change: Any, message: str) -> None:
    doc = two_entry_plan()
    change(doc)
    with pytest.raises(PlanError, match=message):
        parse_plan(doc)
