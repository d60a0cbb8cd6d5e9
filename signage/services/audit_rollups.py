"""The report's reads through the rollups: the same figures without a million rows.

Play groups (records of one device, 15-minute bucket and kind, summed) stand for their
records wherever every record would be judged alike, both by the reconciliation
(`groups_needing_rows`) and by plays per hour (`hourly_alike`); the records of any other
bucket are read and walked one by one, as before. Online spans are rebuilt from heartbeat
buckets whose heartbeats came in order and no further apart than the offline reach (one
span from the first to the last plus the reach); other buckets' heartbeats are read.
Not-ready spans need each not-ready heartbeat's successor: they are read around them.
"""

from __future__ import annotations

from collections.abc import Iterable

from signage.domain.devices import offline_after
from signage.domain.playlog import COUNT_TOLERANCE_MS
from signage.domain.reconcile import PlayGroup, groups_needing_rows
from signage.domain.reconcile_tally import merged
from signage.domain.reconcile_types import BUCKET_MS
from signage.services.audit_inputs import (
    REACH,
    CampaignInputs,
    Span,
    epoch_ms,
    not_ready_spans,
)
from signage.services.ledger_ports import HeartbeatBucket, HeartbeatMark
from signage.services.plans import plan_location
from signage.services.ports import UnitOfWork


def hourly_alike(inputs: CampaignInputs, group: PlayGroup) -> bool:
    """True when plays per hour judge all of the group's records alike.

    All start inside the report's span or all outside it, all in one local hour of one
    day at their location, and all count or none do.
    """
    low, high = epoch_ms(inputs.start), epoch_ms(inputs.end)
    if group.max_started_ms < low or group.min_started_ms >= high:
        return True
    if not low <= group.min_started_ms <= group.max_started_ms < high:
        return False
    location_id = inputs.location_of(group.device_id)
    if location_id is not None and location_id in inputs.locations:
        first = inputs.local_hour(location_id, group.min_started_ms)
        if first != inputs.local_hour(location_id, group.max_started_ms):
            return False
    return group_counted(inputs, group) is not None


def group_counted(inputs: CampaignInputs, group: PlayGroup) -> bool | None:
    """Whether the group's records count for plays per hour; None when some do, some not."""
    expected = inputs.expected_for(
        group.device_id, group.approval_id, group.playlist_id, group.asset_sha256
    )
    if expected is None or group.excluded_reason is not None or group.status != "completed":
        return False
    low, high = expected - COUNT_TOLERANCE_MS, expected + COUNT_TOLERANCE_MS
    if low <= group.min_duration_ms and group.max_duration_ms <= high:
        return True
    if group.max_duration_ms < low or group.min_duration_ms > high:
        return False
    return None


def _spans_of(buckets: Iterable[int], low_ms: int, high_ms: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for bucket in sorted(buckets):
        a = max(bucket * BUCKET_MS, low_ms)
        b = min((bucket + 1) * BUCKET_MS, high_ms)
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)
        elif a < b:
            spans.append((a, b))
    return spans


def read_plays(uow: UnitOfWork, inputs: CampaignInputs) -> None:
    """Fill `inputs.groups` with the groups that stand for their records, and
    `inputs.facts` with the records of every other bucket (as `campaign_inputs` reads them).
    """
    low_ms, high_ms = epoch_ms(inputs.start - REACH), epoch_ms(inputs.end)
    own = inputs.own_ids
    groups = uow.ledger.play_groups(own, low_ms, high_ms)
    # Whether a group may stand in depends on its location's days and playlists.
    by_location: dict[int, list[PlayGroup]] = {}
    rows: set[tuple[int, int]] = set()  # (device, bucket) read row by row
    for group in groups:
        if group.device_id not in inputs.devices:
            continue
        if group.max_started_ms < low_ms or group.min_started_ms >= high_ms:
            continue
        inside = low_ms <= group.min_started_ms <= group.max_started_ms < high_ms
        if not inside or not hourly_alike(inputs, group):
            rows.add((group.device_id, group.bucket))
        else:
            location_id = inputs.devices[group.device_id].location_id
            by_location.setdefault(location_id, []).append(group)
    for location_id, found in by_location.items():
        location = inputs.locations.get(location_id)
        if location is None:
            continue
        mixed = groups_needing_rows(
            plan_location(location),
            found,
            approvals=inputs.approvals,
            playlists=inputs.playlists[location_id],
            first_day=inputs.first_day,
            last_day=inputs.last_day,
            asset_durations_ms=inputs.asset_durations_ms,
            campaign_ids={inputs.campaign.id},
        )
        rows.update((g.device_id, g.bucket) for g in mixed)
    inputs.groups = [
        g for found in by_location.values() for g in found if (g.device_id, g.bucket) not in rows
    ]
    per_device: dict[int, list[int]] = {}
    for device_id, bucket in rows:
        per_device.setdefault(device_id, []).append(bucket)
    inputs.facts = [
        fact
        for device_id, buckets in sorted(per_device.items())
        for fact in uow.ledger.facts_starting_in(
            own, device_id, _spans_of(buckets, low_ms, high_ms)
        )
    ]


def read_heartbeats(uow: UnitOfWork, inputs: CampaignInputs, poll_interval_s: int) -> None:
    """Fill `inputs.beats`: per location, the online spans and the not-ready spans that
    `online_spans` and `not_ready_spans` would make of its heartbeats in the report's span.
    """
    reach = offline_after(poll_interval_s)
    start, end = inputs.start, inputs.end
    by_location: dict[int, list[HeartbeatBucket]] = {lid: [] for lid in inputs.locations}
    for bucket in uow.ledger.heartbeat_buckets(list(inputs.devices), start, end):
        by_location.setdefault(inputs.devices[bucket.device_id].location_id, []).append(bucket)
    beats: dict[int, tuple[list[Span], list[Span]]] = {}
    for location_id, buckets in by_location.items():
        spans: list[Span] = []
        unread: dict[int, list[Span]] = {}
        around: list[Span] = []
        for b in buckets:
            inside = start <= b.start and b.end <= end
            if inside and b.max_gap is not None and b.max_gap <= reach:
                spans.append((b.first_at, b.last_at + reach))
            else:
                unread.setdefault(b.device_id, []).append((max(b.start, start), min(b.end, end)))
            if b.not_ready:
                around.append((max(b.start, start), min(b.end + reach, end)))
        marks: list[HeartbeatMark] = []
        for device_id, device_spans in sorted(unread.items()):
            marks.extend(uow.ledger.heartbeat_marks_within([device_id], merged(device_spans)))
        spans.extend((mark.at, mark.at + reach) for mark in marks)
        not_ready: list[Span] = []
        if around:
            devices = sorted({b.device_id for b in buckets})
            near = uow.ledger.heartbeat_marks_within(devices, merged(around))
            not_ready = not_ready_spans(near, poll_interval_s)
        beats[location_id] = (merged(spans), not_ready)
    inputs.beats = beats


def online_at(inputs: CampaignInputs, location_id: int) -> tuple[list[Span], list[Span]]:
    """A location's online and not-ready spans as read by `read_heartbeats`."""
    assert inputs.beats is not None
    return inputs.beats.get(location_id, ([], []))
