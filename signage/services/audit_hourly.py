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
    zones = inputs.locations
    expected: dict[tuple[object, ...], int | None] = {}
    # One dict look-up per record instead of a method call (facts name int device ids).
    location_at: dict[int | str, int] = {i: d.location_id for i, d in inputs.devices.items()}

    for fact in inputs.facts:
        if not low <= fact.started_at_ms < high:
            continue
        location_id = location_at.get(fact.device_id)
        if location_id is None or location_id not in zones:
            continue
        hour, day = inputs.local_hour(location_id, fact.started_at_ms)
        if not inputs.first_day <= day <= inputs.last_day:
            continue
        item = (location_id, fact.approval_id, fact.playlist_id, fact.asset_sha256)
        if item not in expected:
            expected[item] = inputs.expected_ms(fact)
        if _counted(expected[item], fact):
            counted[hour] += 1
        else:
            other[hour] += 1
    # Groups were chosen so that all their records fall alike here (`hourly_alike`).
    for group in inputs.groups:
        if not low <= group.min_started_ms < high:
            continue
        location_id = location_at.get(group.device_id)
        if location_id is None or location_id not in zones:
            continue
        hour, day = inputs.local_hour(location_id, group.min_started_ms)
        if not inputs.first_day <= day <= inputs.last_day:
            continue
        if group_counted(inputs, group):
            counted[hour] += group.plays
        else:
            other[hour] += group.plays
    return tuple((hour, counted[hour], other[hour]) for hour in range(24))
