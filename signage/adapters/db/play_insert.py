"""Storing play records: one prepared INSERT run over a whole batch by the driver.

A device's catch-up batch holds up to 1,000 records; SQLAlchemy's executemany would
build and process a parameter dict per row (about as long as the signature check of
the record). Here the statement is compiled once per database, the rows are plain
tuples (or dicts, for drivers with named parameters), and the two values that need
their column type's conversion (when the batch arrived, the clock flag) are converted
once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.adapters.db.driver_statement import DriverStatement
from signage.adapters.db.rollups import add_play_rollups
from signage.services.device_ports import StoredPlay

_COLUMNS = (
    "id",
    "device_id",
    "seq",
    "location_id",
    "asset_sha256",
    "playlist_id",
    "entry_id",
    "approval_id",
    "started_at_ms",
    "ended_at_ms",
    "device_clock_offset_ms",
    "clock_verified",
    "status",
    "reason",
    "prev_hash",
    "signature",
    "hash",
    "canonical",
    "received_at",
    "note",
)


def _int_or_none(value: object) -> int | None:
    # Integer ids go in their columns; text ids stay in `canonical` alone.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Prepared:
    """The INSERT for one dialect, and the column types' conversions it needs by hand."""

    def __init__(self, dialect: Dialect) -> None:
        self.statement = DriverStatement(dialect, insert(t.play_records), _COLUMNS)
        c = t.play_records.c
        self.received_at = c.received_at.type._cached_bind_processor(dialect)
        self.clock_verified = c.clock_verified.type._cached_bind_processor(dialect)


_prepared: dict[str, _Prepared] = {}


def _for(dialect: Dialect) -> _Prepared:
    found = _prepared.get(dialect.name)
    if found is None:
        found = _prepared[dialect.name] = _Prepared(dialect)
    return found


def insert_plays(conn: Connection, device_id: int, plays: Sequence[StoredPlay]) -> None:
    """INSERT the plays as rows of `device_id`'s chain (raises IntegrityError on a taken
    id or seq, like any insert)."""
    prepared = _for(conn.dialect)
    converted: dict[datetime, Any] = {}
    verified = {
        flag: prepared.clock_verified(flag) if prepared.clock_verified else flag
        for flag in (True, False)
    }
    rows = []
    for play in plays:
        r = play.record
        received = converted.get(play.received_at)
        if received is None:
            received = play.received_at
            if prepared.received_at is not None:
                received = prepared.received_at(received)
            converted[play.received_at] = received
        rows.append(
            (
                r.id,
                device_id,
                r.seq,
                _int_or_none(r.location_id),
                r.asset_sha256,
                _int_or_none(r.playlist_id),
                _int_or_none(r.entry_id),
                _int_or_none(r.approval_id),
                r.started_at_ms,
                r.ended_at_ms,
                r.device_clock_offset_ms,
                verified[r.clock_verified],
                r.status,
                r.reason,
                r.prev_hash,
                r.signature,
                play.hash,
                play.canonical,
                received,
                play.note,
            )
        )
    statement = prepared.statement
    conn.exec_driver_sql(statement.sql, [statement.args(row) for row in rows])


def store_plays(conn: Connection, device_id: int, plays: Sequence[StoredPlay]) -> bool:
    """Insert the plays and add them to the report rollups, all or nothing (a savepoint);
    False when an id or seq is already taken, and then nothing of them is kept."""
    try:
        with conn.begin_nested():
            insert_plays(conn, device_id, plays)
            add_play_rollups(conn, device_id, plays)
    except IntegrityError:
        return False
    return True
