"""Evidence bundles: a campaign's proof of play, in files that can be checked offline.

Layout (the service zips these paths as they are)::

    manifest.json                     what the bundle covers, every other file's SHA-256,
                                      each device's range, anchoring checkpoint and gaps
    checkpoints.jsonl                 {"checkpoint": {...}, "signature": b64} per line,
                                      consecutive seqs (see evidence_checkpoint)
    server_public_key.pem             the server's Ed25519 key (SubjectPublicKeyInfo PEM)
    plays.csv                         the campaign's plays in the period, the records at
                                      its screens that no campaign can claim (their ids
                                      are not their plan's: excluded, never counted), and
                                      a TOTAL line
    devices/<device id>/public_key.pem
    devices/<device id>/chain.jsonl   one record per line, by seq: a full record (every
                                      field, signature, and "hash") or, for other
                                      campaigns, {"id", "seq", "prev_hash", "hash"}

Each device's chain runs from its first record in the period (any campaign)
up to the head signed by the first checkpoint that covers its last record in
the period. Missing seqs in that range are the known gaps, declared in the
manifest. The device id in a path is percent-encoded.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from signage.domain.errors import ValidationError
from signage.domain.evidence_checkpoint import (
    SignedCheckpoint,
    canonical_json,
    format_utc,
    public_key_pem,
)
from signage.domain.evidence_csv import PlayRow, play_row, plays_csv
from signage.domain.plan_clock import to_ticks
from signage.domain.plan_playback import Playlists
from signage.domain.play_ids import count_by_reason
from signage.domain.playlog import Ident, PlayRecord, missing_ranges
from signage.domain.schedule import require_aware

FORMAT = "signage-evidence/1"
MANIFEST = "manifest.json"
CHECKPOINTS = "checkpoints.jsonl"
SERVER_KEY = "server_public_key.pem"
PLAYS_CSV = "plays.csv"
REDUCED_FIELDS = ("hash", "id", "prev_hash", "seq")

DurationKey = tuple[Ident, Ident, str]


def device_dir(device_id: Ident) -> str:
    """`devices/<id>`: the folder of one device's files."""
    return "devices/" + quote(str(device_id), safe="")


def chain_path(device_id: Ident) -> str:
    """Where a device's chain lies in the bundle."""
    return device_dir(device_id) + "/chain.jsonl"


def key_path(device_id: Ident) -> str:
    """Where a device's public key lies in the bundle."""
    return device_dir(device_id) + "/public_key.pem"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def chain_line(record: PlayRecord, *, full: bool) -> dict[str, object]:
    """A record as a chain line: whole with its hash, or reduced to its links."""
    if full:
        return {**record.to_json(), "hash": record.record_hash()}
    return {
        "id": record.id,
        "seq": record.seq,
        "prev_hash": record.prev_hash,
        "hash": record.record_hash(),
    }


def jsonl(lines: Sequence[object]) -> bytes:
    """One canonical JSON object per line, each ending in a newline."""
    return b"".join(canonical_json(line) + b"\n" for line in lines)


def expected_durations_from(
    playlists: Playlists, asset_durations_ms: Mapping[str, int] | None = None
) -> dict[DurationKey, int]:
    """(approval, playlist, asset) → expected ms: the asset's own length, else the item's."""
    videos = asset_durations_ms or {}
    return {
        (approval_id, playlist_id, item.asset_key): videos.get(item.asset_key, item.duration_ms)
        for (approval_id, playlist_id), items in playlists.items()
        for item in items
    }


@dataclass(frozen=True, slots=True)
class DeviceEvidence:
    """One device's part: its key, its zone, and its chained records (any range, by seq)."""

    device_id: Ident
    location_id: Ident | None
    timezone: str
    public_key: bytes
    records: Sequence[PlayRecord]
    enrolled_at_ms: int | None = None
    # seq → note of records the server excluded at ingest because their ids are not
    # their plan's (`play_ids`): listed in full and in the CSV, never counted.
    excluded: Mapping[int, str] = field(default_factory=dict)

    def listed(self, record: PlayRecord, approvals: Collection[Ident]) -> bool:
        """Whether the bundle shows the record in full and in the CSV."""
        return record.approval_id in approvals or record.seq in self.excluded


@dataclass(frozen=True, slots=True)
class _Slice:
    device: DeviceEvidence
    records: list[PlayRecord]
    first_seq: int
    anchor: SignedCheckpoint
    gaps: list[tuple[int, int]]


def _anchor(
    device: DeviceEvidence, last_seq: int, checkpoints: Sequence[SignedCheckpoint]
) -> SignedCheckpoint:
    for signed in checkpoints:
        head = signed.checkpoint.head_of(device.device_id)
        if head is not None and head.seq >= last_seq:
            return signed
    raise ValidationError(
        "checkpoints",
        f"no checkpoint covers device {device.device_id} up to seq {last_seq} yet; "
        "build the bundle after the next checkpoint",
    )


def _slice(
    device: DeviceEvidence,
    approvals: Collection[Ident],
    low_ms: int,
    high_ms: int,
    checkpoints: Sequence[SignedCheckpoint],
) -> _Slice | None:
    in_period = [r for r in device.records if low_ms <= r.started_at_ms < high_ms]
    if not any(device.listed(r, approvals) for r in in_period):
        return None
    first_seq = min(r.seq for r in in_period)
    anchor = _anchor(device, max(r.seq for r in in_period), checkpoints)
    head = anchor.checkpoint.head_of(device.device_id)
    assert head is not None
    by_seq = {r.seq: r for r in device.records if first_seq <= r.seq <= head.seq}
    if head.seq not in by_seq:
        raise ValidationError("records", f"device {device.device_id} lacks its head {head.seq}")
    seqs = sorted(by_seq)
    gaps = [(low, high) for low, high in missing_ranges(seqs) if low >= first_seq]
    return _Slice(device, [by_seq[seq] for seq in seqs], first_seq, anchor, gaps)


def _checkpoint_run(
    checkpoints: Sequence[SignedCheckpoint], slices: Sequence[_Slice]
) -> list[SignedCheckpoint]:
    """The consecutive checkpoints from the earliest anchor to the latest."""
    low = min(s.anchor.checkpoint.seq for s in slices)
    high = max(s.anchor.checkpoint.seq for s in slices)
    run = sorted(
        (c for c in checkpoints if low <= c.checkpoint.seq <= high), key=lambda c: c.checkpoint.seq
    )
    if [c.checkpoint.seq for c in run] != list(range(low, high + 1)):
        raise ValidationError("checkpoints", f"checkpoints {low}..{high} must all be given")
    return run


def build_bundle(
    *,
    campaign_id: int,
    approval_ids: Collection[int],
    period_start: datetime,
    period_end: datetime,
    devices: Sequence[DeviceEvidence],
    checkpoints: Sequence[SignedCheckpoint],
    server_public_key: bytes,
    expected_durations: Mapping[DurationKey, int],
    created_at: datetime,
) -> dict[str, bytes]:
    """The bundle's files (path → bytes) for a campaign's plays in `[period_start, period_end)`.

    Devices without a play of the campaign in the period are left out. Raises
    ValidationError when no checkpoint covers a device's last record yet.
    """
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        require_aware(value, name)
    require_aware(created_at, "created_at")
    if period_end <= period_start:
        raise ValidationError("period", "the period must end after it starts")
    low_ms, high_ms = _ms(period_start), _ms(period_end)
    ordered = sorted(checkpoints, key=lambda c: c.checkpoint.seq)
    slices = [
        found
        for device in devices
        if (found := _slice(device, approval_ids, low_ms, high_ms, ordered)) is not None
    ]
    if not slices:
        raise ValidationError("period", "no device played the campaign in this period")
    files: dict[str, bytes] = {}
    rows: list[PlayRow] = []
    entries: list[dict[str, object]] = []
    for part in slices:
        device = part.device
        files[chain_path(device.device_id)] = jsonl(
            [chain_line(r, full=device.listed(r, approval_ids)) for r in part.records]
        )
        files[key_path(device.device_id)] = public_key_pem(device.public_key)
        anchor_ms = _ms(part.anchor.checkpoint.created_at)
        rows.extend(
            play_row(
                r,
                timezone=device.timezone,
                expected_ms=_expected(r, expected_durations),
                anchor_ms=anchor_ms,
                enrolled_at_ms=device.enrolled_at_ms,
                excluded_at_ingest=device.excluded.get(r.seq),
            )
            for r in part.records
            if device.listed(r, approval_ids) and low_ms <= r.started_at_ms < high_ms
        )
        head = part.anchor.checkpoint.head_of(device.device_id)
        assert head is not None
        entries.append(
            {
                "device_id": device.device_id,
                "location_id": device.location_id,
                "timezone": device.timezone,
                "enrolled_at_ms": device.enrolled_at_ms,
                "first_seq": part.first_seq,
                "head_seq": head.seq,
                "checkpoint_seq": part.anchor.checkpoint.seq,
                "gaps": [list(gap) for gap in part.gaps],
                "excluded": [[seq, note] for seq, note in sorted(device.excluded.items())],
                "chain": chain_path(device.device_id),
                "public_key": key_path(device.device_id),
            }
        )
    run = _checkpoint_run(ordered, slices)
    files[CHECKPOINTS] = jsonl([c.to_json() for c in run])
    files[SERVER_KEY] = public_key_pem(server_public_key)
    files[PLAYS_CSV] = plays_csv(rows)
    manifest = {
        "format": FORMAT,
        "campaign_id": campaign_id,
        "approval_ids": sorted(approval_ids),
        "period": {"start": format_utc(period_start), "end": format_utc(period_end)},
        "period_ms": [low_ms, high_ms],
        "created_at": format_utc(created_at),
        "expected_durations": [
            {"approval_id": a, "playlist_id": p, "asset_sha256": s, "duration_ms": ms}
            for (a, p, s), ms in sorted(expected_durations.items(), key=str)
        ],
        "devices": entries,
        "checkpoints": [{"seq": c.checkpoint.seq, "digest": c.checkpoint.digest()} for c in run],
        "totals": {
            "plays": len(rows),
            "counted_plays": sum(row.counted for row in rows),
            "counted_ms": sum(row.counted_ms for row in rows),
        },
        "excluded": dict(
            count_by_reason(Counter(r.excluded_reason for r in rows if r.excluded_reason))
        ),
        "files": {path: sha256_hex(data) for path, data in sorted(files.items())},
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    return files


def _expected(record: PlayRecord, durations: Mapping[DurationKey, int]) -> int | None:
    if record.approval_id is None or record.playlist_id is None or record.asset_sha256 is None:
        return None
    return durations.get((record.approval_id, record.playlist_id, record.asset_sha256))


def _ms(at: datetime) -> int:
    return to_ticks(at) // 1000
