"""SQLAlchemy Core repository of play records: append-only chains and the quarantine."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.adapters.db.play_insert import store_plays
from signage.domain.playlog import PlayRecord
from signage.services.device_ports import QuarantinedPlay, StoredPlay

pr = t.play_records.c
q = t.play_quarantine.c


def _play(row: Any) -> StoredPlay:
    data = json.loads(row.canonical)
    record = PlayRecord(**{**data, "signature": row.signature})
    return StoredPlay(record, row.hash, row.canonical, row.received_at, row.note)


class SqlPlayRepository:
    """Append-only: inserts and reads, nothing else."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, device_id: int, play: StoredPlay) -> bool:
        # A savepoint: a taken id or seq undoes this insert only, not the whole batch.
        return store_plays(self.conn, device_id, [play])

    def get(self, record_id: str) -> StoredPlay | None:
        row = self.conn.execute(select(t.play_records).where(pr.id == record_id)).first()
        return _play(row) if row else None

    def at_seq(self, device_id: int, seq: int) -> StoredPlay | None:
        row = self.conn.execute(
            select(t.play_records).where(pr.device_id == device_id, pr.seq == seq)
        ).first()
        return _play(row) if row else None

    def for_device(self, device_id: int, limit: int = 100) -> Sequence[StoredPlay]:
        rows = self.conn.execute(
            select(t.play_records)
            .where(pr.device_id == device_id)
            .order_by(pr.seq.desc())
            .limit(limit)
        )
        return [_play(r) for r in rows]

    def count_for(self, device_id: int) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(t.play_records).where(pr.device_id == device_id)
            ).scalar_one()
        )

    def quarantine(
        self,
        device_id: int,
        record_id: str | None,
        reason: str,
        body: str,
        at: datetime,
    ) -> None:
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.play_quarantine).values(
                        device_id=device_id,
                        record_id=record_id[:80] if record_id else None,
                        reason=reason,
                        body=body,
                        body_sha256=digest,
                        received_at=at,
                    )
                )
        except IntegrityError:
            pass  # the same bytes were quarantined before (a resent batch)

    def quarantined(self, device_id: int, limit: int = 100) -> Sequence[QuarantinedPlay]:
        rows = self.conn.execute(
            select(t.play_quarantine)
            .where(q.device_id == device_id)
            .order_by(q.id.desc())
            .limit(limit)
        )
        return [
            QuarantinedPlay(r.id, r.device_id, r.record_id, r.reason, r.body, r.received_at)
            for r in rows
        ]
