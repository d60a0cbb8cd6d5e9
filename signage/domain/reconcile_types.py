"""The inputs and rows of planned-versus-actual reconciliation (see `reconcile`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from signage.domain.errors import ValidationError
from signage.domain.playlog import PlayRecord
from signage.domain.reconcile_tally import Tally
from signage.domain.schedule import PlanLocation

Ident = int | str
STATUSES = ("completed", "interrupted", "failed")
NOT_IN_PLAYLIST = "asset not in the approved playlist"


@dataclass(frozen=True, slots=True)
class PlayFact:
    """What reconciliation needs of one chained play record (ids as the device sent them)."""

    id: str
    device_id: Ident
    seq: int
    started_at_ms: int
    ended_at_ms: int
    status: str
    reason: str | None
    asset_sha256: str | None
    playlist_id: Ident | None
    entry_id: Ident | None
    approval_id: Ident | None
    clock_verified: bool
    excluded_reason: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")

    @classmethod
    def from_record(cls, record: PlayRecord, excluded_reason: str | None = None) -> PlayFact:
        """The facts of a parsed record; `excluded_reason` when it is implausible."""
        return cls(
            id=record.id,
            device_id=record.device_id,
            seq=record.seq,
            started_at_ms=record.started_at_ms,
            ended_at_ms=record.ended_at_ms,
            status=record.status,
            reason=record.reason,
            asset_sha256=record.asset_sha256,
            playlist_id=record.playlist_id,
            entry_id=record.entry_id,
            approval_id=record.approval_id,
            clock_verified=record.clock_verified,
            excluded_reason=excluded_reason,
        )


# 15 minutes: play groups are bucketed by start (every zone offset in use is a multiple,
# which the judge checks rather than assumes).
BUCKET_MS = 900_000


@dataclass(frozen=True, slots=True)
class PlayGroup:
    """Records of one device, bucket and kind, summed (times in ms since the epoch)."""

    device_id: int
    bucket: int  # started_at_ms // BUCKET_MS
    approval_id: int | None
    playlist_id: int | None
    entry_id: int | None
    asset_sha256: str | None
    status: str
    clock_verified: bool
    excluded_reason: str | None
    plays: int
    duration_ms: int  # the sum of ended - started
    min_duration_ms: int
    max_duration_ms: int
    min_started_ms: int
    max_started_ms: int
    max_ended_ms: int


@dataclass(frozen=True, slots=True)
class LocationFacts:
    """One location with its play records and its device's online intervals (aware, `[a, b)`).

    `groups` stand for further records, each judged whole (`GroupJudge`); any record is in
    `records` or in one group, never both.
    """

    location: PlanLocation
    records: Sequence[PlayFact] = ()
    online: Sequence[tuple[datetime, datetime]] = ()
    groups: Sequence[PlayGroup] = ()


@dataclass(frozen=True, slots=True)
class EntryTally:
    """One schedule entry's figures within a day row."""

    entry_id: Ident | None
    tally: Tally


@dataclass(frozen=True, slots=True)
class CreativeTally:
    """One creative's figures within a day row, by the asset it plays there."""

    asset_sha256: str | None
    creative_ids: tuple[int, ...]
    tally: Tally


@dataclass(frozen=True, slots=True)
class DayReconciliation:
    """Planned versus actual for one campaign at one location on one local day."""

    campaign_id: int
    location_id: int
    day: date
    timezone: str
    local_start: datetime
    local_end: datetime
    total: Tally
    entries: tuple[EntryTally, ...]
    creatives: tuple[CreativeTally, ...]

    @property
    def utc_start(self) -> datetime:
        """Where the local day starts, in UTC."""
        return self.local_start.astimezone(UTC)

    @property
    def utc_end(self) -> datetime:
        """Where the local day ends, in UTC."""
        return self.local_end.astimezone(UTC)

    @property
    def length(self) -> timedelta:
        """How long the local day really is (23 h or 25 h on DST days)."""
        return self.utc_end - self.utc_start


@dataclass(frozen=True, slots=True)
class Unattributed:
    """A record in the period that names no known approval, so no campaign can claim it."""

    record_id: str
    device_id: Ident
    seq: int
    approval_id: Ident | None


@dataclass(frozen=True, slots=True)
class LocationReconciliation:
    """Every campaign-day row of one location, and the records no campaign could claim."""

    location_id: int
    rows: tuple[DayReconciliation, ...]
    unattributed: tuple[Unattributed, ...]
