"""Ports of the ledger: bulk ingest and report reads of play records, checkpoints, signing.

Both repositories are append-only: they insert and read, and have no method
that updates or deletes (a test checks the adapters expose none).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from signage.domain.evidence_checkpoint import ChainHead
from signage.domain.ledger import Link, StoredCheckpointRow
from signage.domain.play_ids import count_by_reason
from signage.domain.playlog import PlayRecord
from signage.domain.reconcile_types import PlayFact, PlayGroup
from signage.services.device_ports import QuarantinedPlay, StoredPlay


class ServerSigner(Protocol):
    """The server's Ed25519 key (an adapter: services stay free of crypto libraries)."""

    def sign(self, message: bytes) -> str:
        """The standard-base64 Ed25519 signature of `message`."""
        ...

    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        ...


@dataclass(frozen=True, slots=True)
class HeartbeatMark:
    """One heartbeat reduced to what uptime needs: when, and whether its plan's media were ready."""

    device_id: int
    at: datetime
    plan_ready: bool | None


@dataclass(frozen=True, slots=True)
class HeartbeatBucket:
    """A device's heartbeats in one 15-minute bucket `[start, end)`, summed.

    `max_gap` is the longest wait between consecutive heartbeats, None when one arrived
    after a later one (then only the rows tell); `not_ready` counts plan_ready false.
    """

    device_id: int
    start: datetime
    end: datetime
    first_at: datetime
    last_at: datetime
    beats: int
    max_gap: timedelta | None
    not_ready: int


@dataclass(frozen=True, slots=True)
class ExcludedRecords:
    """Records kept in their chains but out of the counts: up to a limit, newest first, and
    the number of all of them per exclusion note."""

    plays: list[tuple[StoredPlay, int]]  # with the id of the device whose chain holds it
    by_note: dict[str, int]

    @property
    def total(self) -> int:
        """How many records were excluded, listed or not."""
        return sum(self.by_note.values())

    @property
    def by_reason(self) -> list[tuple[str, int]]:
        """The counts per named reason (`id_type`, `not_in_plan`, …), largest first."""
        return count_by_reason(self.by_note)


class LedgerRepository(Protocol):
    """Bulk reads and writes over the chains (append-only)."""

    def hashes_for(self, record_ids: Collection[str]) -> dict[str, str]:
        """Stored record id → hash, for the ids that are stored."""
        ...

    def links_at(self, device_id: int, seqs: Collection[int]) -> dict[int, Link]:
        """The device's stored links at these seqs."""
        ...

    def known_assets(self, shas: Collection[str]) -> set[str]:
        """Which of these asset hashes the server knows."""
        ...

    def add_many(self, device_id: int, plays: Sequence[StoredPlay]) -> bool:
        """Insert all or none; False (nothing written) when an id or seq is taken."""
        ...

    def heads(self) -> dict[int, ChainHead]:
        """Every device's record with the highest seq: (seq, hash)."""
        ...

    def audit_head(self) -> ChainHead | None:
        """The audit trail's last event (seq, hash), or None before the first."""
        ...

    def links(self, device_id: int) -> list[Link]:
        """The device's whole stored chain as links, by seq."""
        ...

    def device_ids(self) -> list[int]:
        """Devices that have at least one stored record."""
        ...

    def records(self, device_id: int, low_seq: int, high_seq: int) -> list[PlayRecord]:
        """The device's full records with `low_seq <= seq <= high_seq`, by seq."""
        ...

    def facts_for_approvals(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[PlayFact]:
        """Records of these approvals that start in `[low_ms, high_ms)` (note as exclusion)."""
        ...

    def facts_starting_in(
        self, approval_ids: Collection[int], device_id: int, spans: Sequence[tuple[int, int]]
    ) -> list[PlayFact]:
        """The device's records of these approvals starting in any `[low_ms, high_ms)` span."""
        ...

    def play_groups(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[PlayGroup]:
        """Rolled-up records of these approvals, in the buckets that meet `[low_ms, high_ms)`.

        A bucket at either end may hold records outside the span.
        """
        ...

    def stored_plays(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[tuple[StoredPlay, int]]:
        """Full records (and device ids) of these approvals starting in `[low_ms, high_ms)`."""
        ...

    def first_seq_from(self, device_id: int, low_ms: int) -> int | None:
        """The lowest seq of the device's records starting at or after `low_ms`."""
        ...

    def excluded(
        self,
        device_ids: Collection[int] | None,
        low_ms: int,
        high_ms: int,
        limit: int | None,
        approval_ids: Collection[int] | None = None,
    ) -> ExcludedRecords:
        """Chained records starting in `[low_ms, high_ms)` that were kept out of the counts
        at ingest (with their note), newest first, and how many there are per note.

        With `approval_ids`, only those of these approvals and those no campaign can
        claim (excluded for ids that are not their plan's: `play_ids.ID_REASONS`).
        """
        ...

    def quarantined(
        self, device_ids: Collection[int] | None, since: datetime, until: datetime, limit: int
    ) -> list[QuarantinedPlay]:
        """Records refused outside the chains, received in `[since, until)`, newest first."""
        ...

    def heartbeat_marks(
        self, device_ids: Collection[int], since: datetime, until: datetime
    ) -> list[HeartbeatMark]:
        """The devices' heartbeats in `[since, until)`, by time (then by arrival)."""
        ...

    def heartbeat_marks_within(
        self, device_ids: Collection[int], spans: Sequence[tuple[datetime, datetime]]
    ) -> list[HeartbeatMark]:
        """The devices' heartbeats inside any of the disjoint `[since, until)` spans, by time."""
        ...

    def heartbeat_buckets(
        self, device_ids: Collection[int], since: datetime, until: datetime
    ) -> list[HeartbeatBucket]:
        """The devices' heartbeat buckets that meet `[since, until)` (the end ones may reach
        outside it)."""
        ...


class CheckpointRepository(Protocol):
    """Signed checkpoints (append-only)."""

    def add(
        self, seq: int, created_at: datetime, document: str, digest: str, signature: str
    ) -> bool:
        """Insert one; False (nothing written) when its seq is taken."""
        ...

    def latest(self) -> StoredCheckpointRow | None: ...

    def since(self, created_at: datetime) -> list[StoredCheckpointRow]:
        """The checkpoints created at or after the instant, by seq."""
        ...

    def all(self) -> list[StoredCheckpointRow]:
        """Every checkpoint, by seq."""
        ...

    def recent(self, limit: int) -> list[tuple[StoredCheckpointRow, datetime]]:
        """The newest checkpoints with their creation instants, newest first."""
        ...


class SpreadsheetWriter(Protocol):
    """Writes sheets of rows as a workbook (an adapter: openpyxl)."""

    def workbook(
        self, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]
    ) -> bytes:
        """An XLSX file: per sheet a title, a header row and the rows; text never a formula."""
        ...


class BundleArchiver(Protocol):
    """Packs an evidence bundle's files into one archive (an adapter: zip)."""

    def pack(self, files: Mapping[str, bytes]) -> bytes:
        """The archive's bytes."""
        ...
