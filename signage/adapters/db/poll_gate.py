"""The read behind every plan poll: one prebuilt statement on a connection of its own.

Every device polls its plan every few seconds, and nearly every poll is unchanged. An
unchanged poll needs the device (by its token hash, to authenticate it), its plan
bookkeeping and the schedule stamp — one row of one statement. This
gate runs that statement on the driver's own cursor, outside the unit of work: no pool
checkout, no BEGIN/ROLLBACK pair, no repository set-up, no SQLAlchemy result
processing. Each thread keeps one connection, taken out of the pool (so it never holds a
pool slot) and in autocommit mode, so it never sits in an open transaction; a single
SELECT is atomic on its own, so the row is one consistent snapshot. A connection that
fails is dropped and the statement tried once more on a fresh one.

The two timestamps the poll needs are compared inside the statement, so no value needs
the column types' conversion.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from sqlalchemy import Engine, bindparam, case, literal_column, or_, select
from sqlalchemy.sql import Select

from signage.adapters.db import tables as t
from signage.adapters.db.device_repos import STAMP_ID
from signage.domain.devices import DeviceState
from signage.services.ports import PollState

_dv = t.devices.c
_ACTIVE = DeviceState.ACTIVE.value
_ss = t.schedule_stamp.c


def _statement(where: Any) -> Select[Any]:
    # Recorded again when never recorded, or last recorded at or before the last
    # schedule change (see `player_api._needs_note`).
    note_due = or_(
        _dv.last_plan_at.is_(None),
        _ss.changed_at.is_not(None) & (_dv.last_plan_at <= _ss.changed_at),
    )
    return (
        select(
            # In the order of `PollState`'s fields.
            _dv.id,
            _dv.state,
            _dv.location_id,
            _ss.value,
            _dv.last_plan_etag,
            case((note_due, literal_column("1")), else_=literal_column("0")),
            case(
                (_dv.screenshot_requested_at.is_not(None), literal_column("1")),
                else_=literal_column("0"),
            ),
        )
        .select_from(
            t.devices.outerjoin(t.schedule_stamp, _ss.id == literal_column(str(int(STAMP_ID))))
        )
        .where(where)
    )


class _Prepared:
    """A statement compiled once for the engine's driver; its one bound parameter is `key`."""

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        if names != ["key"]:
            raise ValueError(f"the poll statement must bind `key` alone, not {names}")
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)

    def params(self, key: object) -> Any:
        return (key,) if self.positional else {"key": key}


class SqlPollGate:
    """`PollGate` on SQLAlchemy's connection pool (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._by_token = _Prepared(engine, _statement(_dv.token_hash == bindparam("key")))
        self._by_device = _Prepared(engine, _statement(_dv.id == bindparam("key")))

    def by_token(self, token_hash: str) -> PollState | None:
        return self._one(self._by_token, token_hash)

    def by_device(self, device_id: int) -> PollState | None:
        return self._one(self._by_device, device_id)

    def _one(self, prepared: _Prepared, key: object) -> PollState | None:
        try:
            row = self._fetch(prepared, key)
        except self.engine.dialect.loaded_dbapi.Error:
            self.close()  # a broken or stale connection: once more on a fresh one
            row = self._fetch(prepared, key)
        if row is None:
            return None
        device_id, state, location_id, stamp, etag, note_due, screenshot = row
        return PollState(
            int(device_id),
            state == _ACTIVE,
            int(location_id),
            int(stamp or 0),
            etag,
            bool(note_due),
            bool(screenshot),
        )

    def _fetch(self, prepared: _Prepared, key: object) -> Any:
        cursor = self._cursor()
        cursor.execute(prepared.sql, prepared.params(key))
        row = cursor.fetchone()
        cursor.fetchall()  # nothing more (the key is unique); ends the statement
        return row

    def _cursor(self) -> Any:
        """This thread's cursor on its own driver connection, opened on first use (and
        after a fork)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[3]
        self._connection()
        return self._local.held[3]

    def _connection(self) -> Any:
        """This thread's driver connection, opened on first use (and after a fork)."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[2]
        proxy = self.engine.raw_connection()  # runs the engine's connect set-up
        driver = proxy.driver_connection
        proxy.detach()  # ours now: closing it closes it, the pool is not involved
        if self.engine.dialect.name == "postgresql":
            driver.autocommit = True  # type: ignore[union-attr]
        self._local.held = (os.getpid(), proxy, driver, driver.cursor())
        return driver

    def close(self) -> None:
        """Close this thread's connection (the next read opens a new one)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            with contextlib.suppress(Exception):
                held[1].close()
