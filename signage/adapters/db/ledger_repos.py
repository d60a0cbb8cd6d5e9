"""SQLAlchemy Core repositories of the ledger: bulk ingest and reports, checkpoints.

Append-only: these classes insert and read; none of them updates or deletes a record.
(The report rollups they add to are derived data, kept in `rollups`.)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.adapters.db.play_insert import store_plays
from signage.adapters.db.rollups import BUCKET_US, epoch_us, from_us, play_group
from signage.domain.evidence_checkpoint import ChainHead
from signage.domain.ledger import Link, StoredCheckpointRow
from signage.domain.play_ids import ID_REASONS
from signage.domain.playlog import PlayRecord
from signage.domain.reconcile_types import BUCKET_MS, PlayFact, PlayGroup
from signage.services.device_ports import QuarantinedPlay, StoredPlay
from signage.services.ledger_ports import ExcludedRecords, HeartbeatBucket, HeartbeatMark

pr = t.play_records.c
q = t.play_quarantine.c
cp = t.checkpoints.c
hb = t.device_heartbeats.c
ru = t.play_rollups.c
hr = t.heartbeat_rollups.c
_FACT_COLUMNS = (
    pr.id,
    pr.device_id,
    pr.seq,
    pr.started_at_ms,
    pr.ended_at_ms,
    pr.status,
    pr.reason,
    pr.asset_sha256,
    pr.playlist_id,
    pr.entry_id,
    pr.approval_id,
    pr.clock_verified,
    pr.note,
)
# SQLite allows 32766 parameters per statement; stay well below on every database.
CHUNK = 900
SPANS_PER_QUERY = 100


def _chunks(items: Collection[Any]) -> list[list[Any]]:
    ordered = sorted(items, key=str)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def _span_chunks(spans: Sequence[Any]) -> list[Sequence[Any]]:
    # A few ranges per statement: SQLite parses a long OR chain as a deep expression tree.
    return [spans[i : i + SPANS_PER_QUERY] for i in range(0, len(spans), SPANS_PER_QUERY)]


def _record(canonical: str, signature: str) -> PlayRecord:
    return PlayRecord(**{**json.loads(canonical), "signature": signature})


def _stored(row: Any) -> StoredPlay:
    return StoredPlay(
        _record(row.canonical, row.signature), row.hash, row.canonical, row.received_at, row.note
    )


class SqlLedgerRepository:
    """Bulk ingest and report reads over play records (append-only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def hashes_for(self, record_ids: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in _chunks(record_ids):
            rows = self.conn.execute(select(pr.id, pr.hash).where(pr.id.in_(part)))
            found.update({row.id: row.hash for row in rows})
        return found

    def links_at(self, device_id: int, seqs: Collection[int]) -> dict[int, Link]:
        found: dict[int, Link] = {}
        if not seqs:
            return found
        low, high = min(seqs), max(seqs)
        columns = (pr.seq, pr.id, pr.prev_hash, pr.hash)
        if high - low < 4 * len(seqs):
            # A contiguous batch: one range scan of the (device_id, seq) index.
            query = select(*columns).where(pr.device_id == device_id, pr.seq >= low, pr.seq <= high)
            for row in self.conn.execute(query):
                if row.seq in seqs:
                    found[row.seq] = Link(row.seq, row.id, row.prev_hash, row.hash)
            return found
        for part in _chunks(seqs):
            query = select(*columns).where(pr.device_id == device_id, pr.seq.in_(part))
            for row in self.conn.execute(query):
                found[row.seq] = Link(row.seq, row.id, row.prev_hash, row.hash)
        return found

    def known_assets(self, shas: Collection[str]) -> set[str]:
        known: set[str] = set()
        for part in _chunks(shas):
            rows = self.conn.execute(select(t.assets.c.sha256).where(t.assets.c.sha256.in_(part)))
            known.update(row.sha256 for row in rows)
        return known

    def add_many(self, device_id: int, plays: Sequence[StoredPlay]) -> bool:
        if not plays:
            return True
        # A savepoint: a taken id or seq undoes this batch's inserts only.
        return store_plays(self.conn, device_id, plays)

    def heads(self) -> dict[int, ChainHead]:
        top = select(pr.device_id, func.max(pr.seq).label("seq")).group_by(pr.device_id).subquery()
        query = select(pr.device_id, pr.seq, pr.hash).join(
            top, (pr.device_id == top.c.device_id) & (pr.seq == top.c.seq)
        )
        rows = self.conn.execute(query)
        return {int(row.device_id): ChainHead(int(row.seq), row.hash) for row in rows}

    def audit_head(self) -> ChainHead | None:
        row = self.conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).first()
        if row is None or int(row.seq) == 0:
            return None
        return ChainHead(int(row.seq), row.hash)

    def links(self, device_id: int) -> list[Link]:
        query = (
            select(pr.seq, pr.id, pr.prev_hash, pr.hash)
            .where(pr.device_id == device_id)
            .order_by(pr.seq)
        )
        return [Link(r.seq, r.id, r.prev_hash, r.hash) for r in self.conn.execute(query)]

    def device_ids(self) -> list[int]:
        query = select(pr.device_id).group_by(pr.device_id).order_by(pr.device_id)
        return [int(row.device_id) for row in self.conn.execute(query)]

    def records(self, device_id: int, low_seq: int, high_seq: int) -> list[PlayRecord]:
        query = (
            select(pr.canonical, pr.signature)
            .where(pr.device_id == device_id, pr.seq >= low_seq, pr.seq <= high_seq)
            .order_by(pr.seq)
        )
        return [_record(row.canonical, row.signature) for row in self.conn.execute(query)]

    def _tuples(self, query: Any) -> list[Any]:
        result = self.conn.execute(query)
        # Plain tuples from the DB-API cursor: many rows through Row objects cost double.
        raw = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        return raw

    def _facts(self, query: Any) -> list[PlayFact]:
        return [PlayFact(*row[:11], bool(row[11]), row[12]) for row in self._tuples(query)]

    def facts_for_approvals(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[PlayFact]:
        if not approval_ids:
            return []
        return self._facts(
            select(*_FACT_COLUMNS).where(
                pr.approval_id.in_(sorted(approval_ids)),
                pr.started_at_ms >= low_ms,
                pr.started_at_ms < high_ms,
            )
        )

    def facts_starting_in(
        self, approval_ids: Collection[int], device_id: int, spans: Sequence[tuple[int, int]]
    ) -> list[PlayFact]:
        found: list[PlayFact] = []
        if not approval_ids:
            return found
        for part in _span_chunks(spans):
            query = select(*_FACT_COLUMNS).where(
                pr.device_id == device_id,
                pr.approval_id.in_(sorted(approval_ids)),
                or_(*(and_(pr.started_at_ms >= a, pr.started_at_ms < b) for a, b in part)),
            )
            found.extend(self._facts(query))
        return found

    def play_groups(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[PlayGroup]:
        if not approval_ids or high_ms <= low_ms:
            return []
        query = select(t.play_rollups).where(
            ru.approval_id.in_(sorted(approval_ids)),
            ru.bucket >= low_ms // BUCKET_MS,
            ru.bucket <= (high_ms - 1) // BUCKET_MS,
        )
        return [play_group(row) for row in self._tuples(query)]

    def stored_plays(
        self, approval_ids: Collection[int], low_ms: int, high_ms: int
    ) -> list[tuple[StoredPlay, int]]:
        if not approval_ids:
            return []
        query = (
            select(t.play_records)
            .where(
                pr.approval_id.in_(sorted(approval_ids)),
                pr.started_at_ms >= low_ms,
                pr.started_at_ms < high_ms,
            )
            .order_by(pr.device_id, pr.seq)
        )
        return [(_stored(row), int(row.device_id)) for row in self.conn.execute(query)]

    def first_seq_from(self, device_id: int, low_ms: int) -> int | None:
        query = select(func.min(pr.seq)).where(
            pr.device_id == device_id, pr.started_at_ms >= low_ms
        )
        value = self.conn.execute(query).scalar()
        return int(value) if value is not None else None

    def excluded(
        self,
        device_ids: Collection[int] | None,
        low_ms: int,
        high_ms: int,
        limit: int | None,
        approval_ids: Collection[int] | None = None,
    ) -> ExcludedRecords:
        where = [pr.note.is_not(None), pr.started_at_ms >= low_ms, pr.started_at_ms < high_ms]
        if device_ids is not None:
            where.append(pr.device_id.in_(sorted(device_ids)))
        if approval_ids is not None:
            # Records whose ids are not their plan's belong to no campaign: every report of
            # their screen lists them.
            unclaimed = [pr.note.startswith(code + ":") for code in ID_REASONS]
            where.append(or_(pr.approval_id.in_(sorted(approval_ids)), *unclaimed))
        query = select(t.play_records).where(*where).order_by(pr.started_at_ms.desc())
        rows = self.conn.execute(query if limit is None else query.limit(limit))
        plays = [(_stored(row), int(row.device_id)) for row in rows]
        counted = self.conn.execute(select(pr.note, func.count()).where(*where).group_by(pr.note))
        return ExcludedRecords(plays, {str(note): int(n) for note, n in counted})

    def quarantined(
        self, device_ids: Collection[int] | None, since: datetime, until: datetime, limit: int
    ) -> list[QuarantinedPlay]:
        query = select(t.play_quarantine).where(q.received_at >= since, q.received_at < until)
        if device_ids is not None:
            query = query.where(q.device_id.in_(sorted(device_ids)))
        query = query.order_by(q.id.desc()).limit(limit)
        return [
            QuarantinedPlay(r.id, r.device_id, r.record_id, r.reason, r.body, r.received_at)
            for r in self.conn.execute(query)
        ]

    def heartbeat_marks(
        self, device_ids: Collection[int], since: datetime, until: datetime
    ) -> list[HeartbeatMark]:
        if not device_ids:
            return []
        query = (
            select(hb.device_id, hb.at, hb.plan_ready)
            .where(hb.device_id.in_(sorted(device_ids)), hb.at >= since, hb.at < until)
            .order_by(hb.at, hb.id)
        )
        return [
            HeartbeatMark(int(r.device_id), r.at, r.plan_ready) for r in self.conn.execute(query)
        ]

    def heartbeat_marks_within(
        self, device_ids: Collection[int], spans: Sequence[tuple[datetime, datetime]]
    ) -> list[HeartbeatMark]:
        if not device_ids or not spans:
            return []
        rows: list[Any] = []
        for part in _span_chunks(spans):
            query = select(hb.id, hb.device_id, hb.at, hb.plan_ready).where(
                hb.device_id.in_(sorted(device_ids)),
                or_(*(and_(hb.at >= a, hb.at < b) for a, b in part)),
            )
            rows.extend(self.conn.execute(query))
        rows.sort(key=lambda r: (r.at, r.id))
        return [HeartbeatMark(int(r.device_id), r.at, r.plan_ready) for r in rows]

    def heartbeat_buckets(
        self, device_ids: Collection[int], since: datetime, until: datetime
    ) -> list[HeartbeatBucket]:
        if not device_ids or until <= since:
            return []
        # The table's columns in order: device, bucket, first, last, beats, gap, not ready.
        query = select(t.heartbeat_rollups).where(
            hr.device_id.in_(sorted(device_ids)),
            hr.bucket >= epoch_us(since) // BUCKET_US,
            hr.bucket <= (epoch_us(until) - 1) // BUCKET_US,
        )
        return [
            HeartbeatBucket(
                device_id=device_id,
                start=from_us(bucket * BUCKET_US),
                end=from_us((bucket + 1) * BUCKET_US),
                first_at=from_us(first_us),
                last_at=from_us(last_us),
                beats=beats,
                max_gap=None if gap_us < 0 else timedelta(microseconds=gap_us),
                not_ready=not_ready,
            )
            for device_id, bucket, first_us, last_us, beats, gap_us, not_ready in self._tuples(
                query
            )
        ]


def _checkpoint(row: Any) -> StoredCheckpointRow:
    return StoredCheckpointRow(int(row.seq), row.document, row.digest, row.signature)


class SqlCheckpointRepository:
    """The server's signed checkpoints (append-only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, seq: int, created_at: datetime, document: str, digest: str, signature: str
    ) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.checkpoints).values(
                        seq=seq,
                        created_at=created_at,
                        document=document,
                        digest=digest,
                        signature=signature,
                    )
                )
        except IntegrityError:
            return False
        return True

    def latest(self) -> StoredCheckpointRow | None:
        row = self.conn.execute(select(t.checkpoints).order_by(cp.seq.desc()).limit(1)).first()
        return _checkpoint(row) if row else None

    def since(self, created_at: datetime) -> list[StoredCheckpointRow]:
        query = select(t.checkpoints).where(cp.created_at >= created_at).order_by(cp.seq)
        return [_checkpoint(row) for row in self.conn.execute(query)]

    def all(self) -> list[StoredCheckpointRow]:
        query = select(t.checkpoints).order_by(cp.seq)
        return [_checkpoint(row) for row in self.conn.execute(query)]

    def recent(self, limit: int) -> list[tuple[StoredCheckpointRow, datetime]]:
        query = select(t.checkpoints).order_by(cp.seq.desc()).limit(limit)
        return [(_checkpoint(row), row.created_at) for row in self.conn.execute(query)]
