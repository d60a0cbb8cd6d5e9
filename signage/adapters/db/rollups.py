"""The report rollups of plays and heartbeats: kept at write time, rebuilt from the rows.

Both tables are derived data (see `tables_ledger`). Plays are summed per device,
15-minute bucket by start and kind; every stored record adds to exactly one rollup row,
in the same transaction (and savepoint) as the record itself. Heartbeats are summed per
device and bucket, with the longest wait between consecutive ones. `rebuild_rollups`
makes both again from the rows with one `INSERT ... SELECT ... GROUP BY` each: the
migration that adds them and the report benchmark use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, delete, text
from sqlalchemy.dialects import postgresql, sqlite

from signage.adapters.db import tables as t
from signage.domain.reconcile_types import BUCKET_MS, PlayGroup
from signage.services.device_ports import StoredPlay

NULL_ID = -(2**63)  # an absent (or non-integer) id in the rollup key
BUCKET_US = BUCKET_MS * 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_PLAY_KEY = (
    "device_id",
    "bucket",
    "approval_id",
    "playlist_id",
    "entry_id",
    "asset_sha256",
    "status",
    "clock_verified",
    "note",
)


def _id_key(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return NULL_ID


def note_key(note: str | None) -> str:
    """The note as kept in the key: '' for none, else '!' and the note (so '' stays apart)."""
    return "" if note is None else "!" + note


def _least(old: Any, new: Any) -> ColumnElement[Any]:
    return case((new < old, new), else_=old)


def _greatest(old: Any, new: Any) -> ColumnElement[Any]:
    return case((new > old, new), else_=old)


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _play_upsert(conn: Connection) -> Any:
    stmt = _insert(conn, t.play_rollups)
    old, new = t.play_rollups.c, stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=list(_PLAY_KEY),
        set_={
            "plays": old.plays + new.plays,
            "duration_ms": old.duration_ms + new.duration_ms,
            "min_duration_ms": _least(old.min_duration_ms, new.min_duration_ms),
            "max_duration_ms": _greatest(old.max_duration_ms, new.max_duration_ms),
            "min_started_ms": _least(old.min_started_ms, new.min_started_ms),
            "max_started_ms": _greatest(old.max_started_ms, new.max_started_ms),
            "max_ended_ms": _greatest(old.max_ended_ms, new.max_ended_ms),
        },
    )


def add_play_rollups(conn: Connection, device_id: int, plays: Sequence[StoredPlay]) -> None:
    """Add newly stored records to their rollup rows (summed per batch first)."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for play in plays:
        r = play.record
        started, ended = r.started_at_ms, r.ended_at_ms
        key = (
            device_id,
            started // BUCKET_MS,
            _id_key(r.approval_id),
            _id_key(r.playlist_id),
            _id_key(r.entry_id),
            r.asset_sha256 or "",
            r.status,
            bool(r.clock_verified),
            note_key(play.note),
        )
        length = ended - started
        found = sums.get(key)
        if found is None:
            sums[key] = [1, length, length, length, started, started, ended]
            continue
        found[0] += 1
        found[1] += length
        found[2] = min(found[2], length)
        found[3] = max(found[3], length)
        found[4] = min(found[4], started)
        found[5] = max(found[5], started)
        found[6] = max(found[6], ended)
    if not sums:
        return
    names = ("plays", "duration_ms", "min_duration_ms", "max_duration_ms")
    names += ("min_started_ms", "max_started_ms", "max_ended_ms")
    rows = [
        dict(zip(_PLAY_KEY, key, strict=True)) | dict(zip(names, values, strict=True))
        for key, values in sums.items()
    ]
    conn.execute(_play_upsert(conn), rows)


def epoch_us(at: datetime) -> int:
    """Integer microseconds since the epoch."""
    return (at - _EPOCH) // _US


def from_us(us: int) -> datetime:
    """The aware UTC instant of epoch microseconds."""
    return _EPOCH + timedelta(microseconds=us)


def add_heartbeat_rollup(
    conn: Connection, device_id: int, at: datetime, plan_ready: bool | None
) -> None:
    """Count one stored heartbeat in its bucket; one that arrives late spoils the gap."""
    us = epoch_us(at)
    stmt = _insert(conn, t.heartbeat_rollups)
    old, new = t.heartbeat_rollups.c, stmt.excluded
    gap = new.last_us - old.last_us
    stmt = stmt.values(
        device_id=device_id,
        bucket=us // BUCKET_US,
        first_us=us,
        last_us=us,
        beats=1,
        max_gap_us=0,
        not_ready=1 if plan_ready is False else 0,
    ).on_conflict_do_update(
        index_elements=["device_id", "bucket"],
        set_={
            "first_us": _least(old.first_us, new.first_us),
            "last_us": _greatest(old.last_us, new.last_us),
            "beats": old.beats + 1,
            "max_gap_us": case(
                (old.max_gap_us < 0, -1),
                (new.last_us < old.last_us, -1),
                (gap > old.max_gap_us, gap),
                else_=old.max_gap_us,
            ),
            "not_ready": old.not_ready + new.not_ready,
        },
    )
    conn.execute(stmt)


def _floor_div(expression: str, by: int) -> str:
    # SQL division truncates towards zero; this floors like Python's `//`.
    return f"(({expression}) - ((({expression}) % {by}) + {by}) % {by}) / {by}"


# Built from constants only (no input reaches the text).
_PLAYS_SQL = f"""
INSERT INTO play_rollups (device_id, bucket, approval_id, playlist_id, entry_id, asset_sha256,
    status, clock_verified, note, plays, duration_ms, min_duration_ms, max_duration_ms,
    min_started_ms, max_started_ms, max_ended_ms)
SELECT device_id, bucket, approval_id, playlist_id, entry_id, asset_sha256, status,
    clock_verified, note, COUNT(*), SUM(length), MIN(length), MAX(length),
    MIN(started_at_ms), MAX(started_at_ms), MAX(ended_at_ms)
FROM (
    SELECT device_id, {_floor_div("started_at_ms", BUCKET_MS)} AS bucket,
        COALESCE(approval_id, :null_id) AS approval_id,
        COALESCE(playlist_id, :null_id) AS playlist_id,
        COALESCE(entry_id, :null_id) AS entry_id,
        COALESCE(asset_sha256, '') AS asset_sha256, status, clock_verified,
        CASE WHEN note IS NULL THEN '' ELSE '!' || note END AS note,
        ended_at_ms - started_at_ms AS length, started_at_ms, ended_at_ms
    FROM play_records
) AS plays
GROUP BY device_id, bucket, approval_id, playlist_id, entry_id, asset_sha256, status,
    clock_verified, note
"""  # noqa: S608

_MICROSECONDS = {
    # SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
    "sqlite": "CAST(strftime('%s', at) AS INTEGER) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM at) * 1000000 AS BIGINT)",
}


def _heartbeats_sql(dialect: str) -> str:
    us = _MICROSECONDS[dialect]
    return f"""
INSERT INTO heartbeat_rollups (device_id, bucket, first_us, last_us, beats, max_gap_us,
    not_ready)
SELECT device_id, bucket, MIN(us), MAX(us), COUNT(*), COALESCE(MAX(gap), 0),
    SUM(CASE WHEN NOT plan_ready THEN 1 ELSE 0 END)
FROM (
    SELECT device_id, bucket, us, plan_ready,
        us - LAG(us) OVER (PARTITION BY device_id, bucket ORDER BY us, id) AS gap
    FROM (
        SELECT id, device_id, plan_ready, us, {_floor_div("us", BUCKET_US)} AS bucket
        FROM (SELECT id, device_id, plan_ready, {us} AS us FROM device_heartbeats) AS raw
    ) AS timed
) AS beats
GROUP BY device_id, bucket
"""  # noqa: S608


def rebuild_rollups(conn: Connection) -> None:
    """Make both rollups again from every play record and heartbeat (inside `conn`'s
    transaction)."""
    conn.execute(delete(t.play_rollups))
    conn.execute(delete(t.heartbeat_rollups))
    conn.execute(text(_PLAYS_SQL), {"null_id": NULL_ID})
    conn.execute(text(_heartbeats_sql(conn.dialect.name)))


def play_group(row: Sequence[Any]) -> PlayGroup:
    """A rollup row (its columns in table order) as the domain's group, the key's
    stand-ins for absent values undone."""
    device_id, bucket, approval_id, playlist_id, entry_id, asset, status, verified, note = row[:9]
    return PlayGroup(
        device_id,
        bucket,
        None if approval_id == NULL_ID else approval_id,
        None if playlist_id == NULL_ID else playlist_id,
        None if entry_id == NULL_ID else entry_id,
        asset or None,
        status,
        bool(verified),
        note[1:] if note else None,
        *row[9:],
    )
