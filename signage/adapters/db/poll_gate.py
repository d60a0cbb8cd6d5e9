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
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, case, literal_column, or_, select
from sqlalchemy.sql import Select

from signage.adapters.db import tables as t
from signage.adapters.db.device_repos import STAMP_ID
from signage.adapters.db.driver_statement import DriverStatement
from signage.domain.devices import DeviceState
from signage.services.ports import PollState

_dv = t.devices.c
_ACTIVE = DeviceState.ACTIVE.value
_ss = t.schedule_stamp.c

# Bumped in a forked child (gunicorn forks its workers after the app is built): a
# connection opened before the fork belongs to the parent and must not be used.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class _Held(NamedTuple):
    """One thread's own connection: opened after fork number `forks`, the pool's proxy
    (detached), the driver connection and its cursor."""

    forks: int
    proxy: Any
    driver: Any
    cursor: Any


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


class SqlPollGate:
    """`PollGate` on one driver connection per thread, opened through the engine (SQLite or
    PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        dialect = engine.dialect
        by_token = _statement(_dv.token_hash == bindparam("key"))
        self._by_token = DriverStatement(dialect, by_token, ["key"])
        self._by_device = DriverStatement(dialect, _statement(_dv.id == bindparam("key")), ["key"])

    def by_token(self, token_hash: str) -> PollState | None:
        return self._one(self._by_token, token_hash)

    def by_device(self, device_id: int) -> PollState | None:
        return self._one(self._by_device, device_id)

    def _one(self, prepared: DriverStatement, key: object) -> PollState | None:
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

    def _fetch(self, prepared: DriverStatement, key: object) -> Any:
        cursor = self._held().cursor
        cursor.execute(prepared.sql, prepared.args((key,)))
        row = cursor.fetchone()
        cursor.fetchall()  # nothing more (the key is unique); ends the statement
        return row

    def _held(self) -> _Held:
        """This thread's connection and cursor, opened on first use and again after a fork."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.forks == _forks:
            return held
        proxy = self.engine.raw_connection()  # runs the engine's connect set-up
        driver = proxy.driver_connection
        proxy.detach()  # ours now: closing it closes it, the pool is not involved
        if self.engine.dialect.name == "postgresql":
            driver.autocommit = True  # type: ignore[union-attr]
        held = _Held(_forks, proxy, driver, driver.cursor())
        self._local.held = held
        return held

    def close(self) -> None:
        """Close this thread's connection (the next read opens a new one)."""
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held.forks == _forks:
            with contextlib.suppress(Exception):
                held.proxy.close()
