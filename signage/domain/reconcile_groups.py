"""Play groups: the rolled-up form of many play records, and when one can stand for its rows.

A group gathers the records of one device in one 15-minute bucket (by start) that share
approval, playlist, entry, asset, status, clock verification and exclusion reason, with
their count, summed duration, and the extremes of duration, start and end. Reconciliation
can take a group in place of its records only when every one of them would have been
judged alike, record by record: same local start day, same verdict (counted, off
duration, out of force...) and, where seconds are added, no play reaching past the end of
that day. `GroupJudge` decides this from the extremes alone; any other group's records
must be read and walked one by one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from signage.domain.plan_clock import to_ticks
from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile_tally import TICKS_PER_MS
from signage.domain.reconcile_types import NOT_IN_PLAYLIST, Ident, PlayGroup
from signage.domain.schedule import Approval

# Indexes of a record bucket's sums (plays counted on the start day, ticks per day).
(
    COUNTED,
    DELIVERED,
    UNVERIFIED_PLAYS,
    UNVERIFIED,
    OUT_OF_FORCE_PLAYS,
    OUT_OF_FORCE,
    FAILED,
    INTERRUPTED_PLAYS,
    INTERRUPTED,
    OFF_DURATION,
) = range(10)
SUMS = 10

# approval id -> (campaign, in force from, until or None) in ticks; None: not a wanted campaign
Claims = dict[Ident, tuple[int, int, int | None] | None]


@dataclass(frozen=True, slots=True)
class Verdict:
    """How every record of a group counts: on which day and cell, and in which sums.

    `reason` set: excluded (counted by reason only). Else `plays_at` takes the plays and
    `ticks_at` (unless negative) the summed seconds; `unverified` marks counted plays.
    """

    campaign: int
    day: int
    reason: str | None
    plays_at: int
    ticks_at: int
    unverified: bool


SKIP = None  # a group that adds nothing (another campaign, or wholly outside the days)


def claims_for(approvals: Sequence[Approval], wanted: Callable[[int], bool]) -> Claims:
    """Each approval's campaign and time in force, for the wanted campaigns only."""
    known: Claims = {}
    for approval in approvals:
        until = to_ticks(approval.until) if approval.until is not None else None
        known[approval.id] = (
            (approval.campaign_id, to_ticks(approval.start), until)
            if wanted(approval.campaign_id)
            else None
        )
    return known


class NeedsRowsError(ValueError):
    """A group was given to reconciliation whose records are not all judged alike."""


class GroupJudge:
    """Says whether a group's records all fall alike, given the local days of one location."""

    def __init__(
        self,
        days: Sequence[tuple[object, int, int]],
        claims: Claims,
        expected_ms: Mapping[tuple[Ident, Ident, str], int],
    ) -> None:
        self.days = days
        self.starts = [low for _, low, _ in days]
        self.low, self.high = days[0][1], days[-1][2]
        self.claims = claims
        self.expected_ms = expected_ms

    def _day_of(self, ticks: int) -> int | None:
        if not self.low <= ticks < self.high:
            return None
        return bisect_right(self.starts, ticks) - 1

    def whole(self, group: PlayGroup) -> bool:
        """True when the group can stand for its records."""
        try:
            self.verdict(group)
        except NeedsRowsError:
            return False
        return True

    def verdict(self, group: PlayGroup) -> Verdict | None:
        """The group's verdict, SKIP when it adds nothing; NeedsRowsError when mixed."""
        first = group.min_started_ms * TICKS_PER_MS
        last = group.max_started_ms * TICKS_PER_MS
        day, last_day = self._day_of(first), self._day_of(last)
        outside = group.max_ended_ms * TICKS_PER_MS <= self.low or first >= self.high
        if day is None and last_day is None and outside:
            return SKIP
        if day is None or day != last_day:
            raise NeedsRowsError("the group's plays start on different days")
        if group.playlist_id is None or group.entry_id is None or group.asset_sha256 is None:
            raise NeedsRowsError("ids missing: the records say which")
        approval_id = group.approval_id
        if approval_id is None or approval_id not in self.claims:
            raise NeedsRowsError("unattributed records are listed one by one")
        claim = self.claims[approval_id]
        if claim is None:
            return SKIP
        campaign, in_force_from, in_force_until = claim
        expected = self.expected_ms.get((approval_id, group.playlist_id, group.asset_sha256))
        reason = group.excluded_reason or (NOT_IN_PLAYLIST if expected is None else None)
        if reason is not None:
            return Verdict(campaign, day, reason, -1, -1, False)
        assert expected is not None
        status = group.status
        if status == "failed":
            return Verdict(campaign, day, None, FAILED, -1, False)
        if status == "completed":
            low, high = expected - COUNT_TOLERANCE_MS, expected + COUNT_TOLERANCE_MS
            if group.max_duration_ms < low or group.min_duration_ms > high:
                return Verdict(campaign, day, None, OFF_DURATION, -1, False)
            if not low <= group.min_duration_ms <= group.max_duration_ms <= high:
                raise NeedsRowsError("some plays are off their duration, some not")
        # Seconds are added: every play must lie inside its start day, none backwards.
        if group.min_duration_ms < 0 or group.max_ended_ms * TICKS_PER_MS > self.days[day][2]:
            raise NeedsRowsError("a play reaches past its day")
        if status == "interrupted":
            return Verdict(campaign, day, None, INTERRUPTED_PLAYS, INTERRUPTED, False)
        if in_force_from <= first and (in_force_until is None or last < in_force_until):
            return Verdict(campaign, day, None, COUNTED, DELIVERED, not group.clock_verified)
        if last < in_force_from or (in_force_until is not None and first >= in_force_until):
            return Verdict(campaign, day, None, OUT_OF_FORCE_PLAYS, OUT_OF_FORCE, False)
        raise NeedsRowsError("an approval came into or out of force among the plays")


def add_group(
    verdict: Verdict,
    group: PlayGroup,
    buckets: dict[tuple[int, int, Ident | None, str | None], list[int]],
    excluded: dict[tuple[tuple[int, int, Ident | None, str | None], str], int],
) -> None:
    """Add a judged group's plays and seconds to the record sums of its day and cell."""
    key = (verdict.campaign, verdict.day, group.entry_id, group.asset_sha256)
    if verdict.reason is not None:
        excluded[(key, verdict.reason)] = excluded.get((key, verdict.reason), 0) + group.plays
        return
    sums = buckets.get(key)
    if sums is None:
        sums = buckets[key] = [0] * SUMS
    sums[verdict.plays_at] += group.plays
    if verdict.unverified:
        sums[UNVERIFIED_PLAYS] += group.plays
    if verdict.ticks_at >= 0:
        ticks = group.duration_ms * TICKS_PER_MS
        sums[verdict.ticks_at] += ticks
        if verdict.unverified:
            sums[UNVERIFIED] += ticks
