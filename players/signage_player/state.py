"""The player's durable state in SQLite: outbox, chain head, open play, cache index, settings.

WAL with `synchronous=FULL`, so whatever a method returned has reached the disk: a record
appended before the next item starts survives a power cut at any later instant.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage_player.errors import StateError
from signage_player.records import GENESIS_HASH, Ident, PlayFacts, PlayRecord, Status, seal

STATE_FILE = "state.sqlite3"
SHUTDOWN_REASON = "shutdown"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS open_play (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    play TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    verified_at_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last record appended: the next one takes `seq + 1` and links to `hash`."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class OpenPlay:
    """A play that has started and not yet been closed; its record id is fixed at start."""

    record_id: str
    location_id: Ident | None
    asset_sha256: str | None
    playlist_id: Ident | None
    entry_id: Ident | None
    approval_id: Ident | None
    started_at_ms: int
    device_clock_offset_ms: int
    clock_verified: bool


@dataclass(frozen=True, slots=True)
class CachedAsset:
    """One verified media file in the cache."""

    sha256: str
    path: str
    size: int
    verified_at_ms: int
    last_used_ms: int


class PlayerState:
    """Durable player state; one connection shared by the player's threads under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # The database holds the bearer token: create it private before SQLite opens it.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, state_dir: Path) -> PlayerState:
        """Open the state database of a state directory."""
        return cls(state_dir / STATE_FILE)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PlayerState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so reading the head and appending cannot
        # interleave with another writer.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    # --- chain and outbox -------------------------------------------------------------

    def chain_head(self) -> ChainHead:
        """The head of this device's chain; `(0, 64 zeros)` before the first record."""
        rows = self._query("SELECT seq, hash FROM chain_head WHERE one = 1")
        return ChainHead(rows[0][0], rows[0][1]) if rows else ChainHead(0, GENESIS_HASH)

    @staticmethod
    def _append(
        conn: sqlite3.Connection,
        facts: PlayFacts,
        key: Ed25519PrivateKey,
        device_id: Ident,
        record_id: str | None,
    ) -> PlayRecord:
        row = conn.execute("SELECT seq, hash FROM chain_head WHERE one = 1").fetchone()
        head = ChainHead(row[0], row[1]) if row else ChainHead(0, GENESIS_HASH)
        record = seal(
            facts,
            key=key,
            device_id=device_id,
            seq=head.seq + 1,
            prev_hash=head.hash,
            record_id=record_id,
        )
        digest = record.record_hash()
        conn.execute(
            "INSERT INTO outbox (seq, id, record, hash) VALUES (?, ?, ?, ?)",
            (record.seq, record.id, json.dumps(record.to_json(), ensure_ascii=False), digest),
        )
        conn.execute(
            "INSERT INTO chain_head (one, seq, hash) VALUES (1, ?, ?) "
            "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (record.seq, digest),
        )
        return record

    def append_play(
        self,
        facts: PlayFacts,
        *,
        key: Ed25519PrivateKey,
        device_id: Ident,
        record_id: str | None = None,
    ) -> PlayRecord:
        """Sign a record as the next link, add it to the outbox and move the head, atomically."""
        with self._transaction() as conn:
            return self._append(conn, facts, key, device_id, record_id)

    def pending_records(self, limit: int = 1000) -> list[PlayRecord]:
        """Records not yet answered by the server, oldest first."""
        rows = self._query("SELECT record FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [PlayRecord.from_json(json.loads(row[0])) for row in rows]

    def outbox_size(self) -> int:
        """How many records wait for an answer."""
        return int(self._query("SELECT count(*) FROM outbox")[0][0])

    def forget_answered(self, record_ids: Iterable[str]) -> int:
        """Delete records the server has answered (accepted, duplicate or quarantined)."""
        ids = [(record_id,) for record_id in record_ids]
        with self._transaction() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM outbox WHERE id = ?", ids)
            return conn.total_changes - before

    def reset_chain(self) -> None:
        """Start a new chain for a new device identity; refused while records are unsent."""
        with self._transaction() as conn:
            if conn.execute("SELECT count(*) FROM outbox").fetchone()[0]:
                raise StateError("the outbox still holds records of the old identity")
            conn.execute("DELETE FROM chain_head")

    # --- the play in progress ---------------------------------------------------------

    def begin_play(self, play: OpenPlay) -> None:
        """Note that a play has started, so a crash during it still leaves a record."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM open_play").fetchone():
                raise StateError("a play is already open; close it first")
            conn.execute("INSERT INTO open_play (one, play) VALUES (1, ?)", (_dump(play),))

    def open_play(self) -> OpenPlay | None:
        """The play started and not closed, if any."""
        rows = self._query("SELECT play FROM open_play WHERE one = 1")
        return OpenPlay(**json.loads(rows[0][0])) if rows else None

    def finish_play(
        self,
        *,
        ended_at_ms: int,
        status: Status,
        reason: str | None,
        key: Ed25519PrivateKey,
        device_id: Ident,
        clock_verified: bool = True,
    ) -> PlayRecord:
        """Close the open play into a signed record in the outbox, in one transaction."""
        with self._transaction() as conn:
            row = conn.execute("SELECT play FROM open_play WHERE one = 1").fetchone()
            if row is None:
                raise StateError("no play is open")
            play = OpenPlay(**json.loads(row[0]))
            facts = PlayFacts(
                location_id=play.location_id,
                asset_sha256=play.asset_sha256,
                playlist_id=play.playlist_id,
                entry_id=play.entry_id,
                approval_id=play.approval_id,
                started_at_ms=play.started_at_ms,
                ended_at_ms=ended_at_ms,
                device_clock_offset_ms=play.device_clock_offset_ms,
                # Both ends must be on a checked clock for the duration to be trusted.
                clock_verified=play.clock_verified and clock_verified,
                status=status,
                reason=reason,
            )
            record = self._append(conn, facts, key, device_id, play.record_id)
            conn.execute("DELETE FROM open_play")
            return record

    def recover_open_play(
        self, *, key: Ed25519PrivateKey, device_id: Ident, reason: str = SHUTDOWN_REASON
    ) -> PlayRecord | None:
        """At start, close a play left open by a crash or power cut as interrupted."""
        play = self.open_play()
        if play is None:
            return None
        # The crash instant is unknown; the last time noted before it is the best bound.
        last_known, _ = self.last_time()
        ended = max(play.started_at_ms, last_known or play.started_at_ms)
        return self.finish_play(
            ended_at_ms=ended, status="interrupted", reason=reason, key=key, device_id=device_id
        )

    # --- cache index ------------------------------------------------------------------

    def put_cached(self, asset: CachedAsset) -> None:
        """Add or replace a verified file in the cache index."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache (sha256, path, size, verified_at_ms, last_used_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (asset.sha256, asset.path, asset.size, asset.verified_at_ms, asset.last_used_ms),
            )

    def cached(self, sha256: str) -> CachedAsset | None:
        """The index entry of a file, if cached."""
        rows = self._query("SELECT * FROM cache WHERE sha256 = ?", (sha256,))
        return CachedAsset(*rows[0]) if rows else None

    def cached_assets(self) -> list[CachedAsset]:
        """Every indexed file, least recently used first."""
        rows = self._query("SELECT * FROM cache ORDER BY last_used_ms, sha256")
        return [CachedAsset(*row) for row in rows]

    def touch_cached(self, sha256: str, *, used_at_ms: int, verified: bool = False) -> None:
        """Note that a file was used (and, if `verified`, that its hash was just checked)."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE cache SET last_used_ms = ?,"
                " verified_at_ms = CASE WHEN ? THEN ? ELSE verified_at_ms END WHERE sha256 = ?",
                (used_at_ms, verified, used_at_ms, sha256),
            )

    def drop_cached(self, sha256: str) -> None:
        """Remove a file from the index (its bytes are removed by the cache)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM cache WHERE sha256 = ?", (sha256,))

    # --- settings ---------------------------------------------------------------------

    def get_value(self, key: str) -> str | None:
        """A stored setting, or None."""
        rows = self._query("SELECT value FROM kv WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_values(self, values: dict[str, str | None]) -> None:
        """Store settings together; None deletes one."""
        with self._transaction() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM kv WHERE key = ?", (key,))
                else:
                    conn.execute(
                        "INSERT INTO kv (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )

    def token(self) -> str | None:
        """The bearer token received at enrolment."""
        return self.get_value("token")

    def device_id(self) -> Ident | None:
        """The device id given at enrolment, in its JSON type."""
        raw = self.get_value("device_id")
        return None if raw is None else _ident(json.loads(raw))

    def save_enrolment(self, *, token: str, device_id: Ident) -> None:
        """Keep the token and device id given when an admin bound this device."""
        self.set_values({"token": token, "device_id": json.dumps(device_id)})

    def last_plan(self) -> tuple[dict[str, Any] | None, str | None]:
        """The last plan received and its ETag."""
        raw = self.get_value("plan")
        return (None if raw is None else json.loads(raw)), self.get_value("plan_etag")

    def save_plan(self, plan: dict[str, Any], etag: str | None) -> None:
        """Keep a plan and its ETag, so a restart without network plays it."""
        self.set_values({"plan": json.dumps(plan, ensure_ascii=False), "plan_etag": etag})

    def note_time(self, now_ms: int, offset_ms: int) -> None:
        """Remember the corrected time and offset, the starting point after a power cut."""
        self.set_values({"last_known_ms": str(now_ms), "last_offset_ms": str(offset_ms)})

    def last_time(self) -> tuple[int | None, int]:
        """The last noted corrected time (None if never) and clock offset."""
        known = self.get_value("last_known_ms")
        offset = self.get_value("last_offset_ms")
        return (None if known is None else int(known)), int(offset or 0)


def _dump(play: OpenPlay) -> str:
    return json.dumps(asdict(play), ensure_ascii=False)


def _ident(value: object) -> Ident:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StateError(f"stored device id {value!r} is neither text nor an integer")
    return value
