"""Plays per hour of the day for a campaign report: counted records and the others.

The hour is the local hour (at the record's location) in which a record starts, in any
zone, whole-hour offsets or not.
"""

from __future__ import annotations

from collections import Counter

from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile import PlayFact
from signage.services.audit_inputs import CampaignInputs, epoch_ms
from signage.services.audit_rollups import group_counted


def _counted(expected: int | None, fact: PlayFact) -> bool:
    return (
        expected is not None
        and fact.excluded_reason is None
        and fact.status == "completed"
        and abs(fact.ended_at_ms - fact.started_at_ms - expected) <= COUNT_TOLERANCE_MS
    )


def plays_per_hour(inputs: CampaignInputs) -> tuple[tuple[int, int, int], ...]:
    """Per local hour of the day (0-23): the records that count and the others."""
    counted: Counter[int] = Counter()
    other: Counter[int] = Counter()
    low, high = epoch_ms(inputs.start), epoch_ms(inputs.end)
    expected: dict[tuple[object, ...], int | None] = {}
    # One dict look-up per record instead of a method call (facts name int device ids).
    location_at: dict[int | str, int] = {i: d.location_id for i, d in inputs.devices.items()}

    def hour_of(device_id: int | str, started_ms: int) -> int | None:
        """The local hour a play starts in; None when it lies outside the report."""
        location_id = location_at.get(device_id)
        if not low <= started_ms < high or location_id not in inputs.locations:
            return None
        assert location_id is not None
        hour, day = inputs.local_hour(location_id, started_ms)
        return hour if inputs.first_day <= day <= inputs.last_day else None

    for fact in inputs.facts:
        hour = hour_of(fact.device_id, fact.started_at_ms)
        if hour is None:
            continue
        item = (fact.device_id, fact.approval_id, fact.playlist_id, fact.asset_sha256)
        if item not in expected:
            expected[item] = inputs.expected_ms(fact)
        (counted if _counted(expected[item], fact) else other)[hour] += 1
    # Groups were chosen so that all their records fall alike here (`hourly_alike`).
    for group in inputs.groups:
        hour = hour_of(group.device_id, group.min_started_ms)
        if hour is not None:
            (counted if group_counted(inputs, group) else other)[hour] += group.plays
    return tuple((hour, counted[hour], other[hour]) for hour in range(24))
