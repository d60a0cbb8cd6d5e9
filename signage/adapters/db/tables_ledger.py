"""Tables of the ledger: the server's signed checkpoints, the report indexes on plays, and
the report rollups of plays and heartbeats."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from signage.adapters.db.tables import UTCDateTime, metadata
from signage.adapters.db.tables_devices import play_records

# Append-only: the server's signed statement of every chain head, one every 15 minutes.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    # The canonical JSON the server signed (signage.domain.evidence_checkpoint).
    Column("document", Text, nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("signature", String(88), nullable=False),
)

# Planned-versus-actual reads a campaign's records by approval and start.
Index(
    "ix_play_records_approval_started",
    play_records.c.approval_id,
    play_records.c.started_at_ms,
)
# Uptime, plays per hour and excluded records read a device's records by start.
Index(
    "ix_play_records_device_started",
    play_records.c.device_id,
    play_records.c.started_at_ms,
)

# Derived data, not evidence: sums of play records per device, 15-minute bucket (by start)
# and kind, kept in the same transaction as the records and rebuilt from them at will
# (`signage.adapters.db.rollups`). Updated in place, so not under the append-only triggers.
# The key has no NULLs (they never conflict): an absent id is -2**63, an absent asset '',
# and the note is '' for none or '!' before the note.
play_rollups = Table(
    "play_rollups",
    metadata,
    Column("device_id", Integer, primary_key=True, autoincrement=False),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("approval_id", BigInteger, primary_key=True, autoincrement=False),
    Column("playlist_id", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_id", BigInteger, primary_key=True, autoincrement=False),
    Column("asset_sha256", String(64), primary_key=True),
    Column("status", String(12), primary_key=True),
    Column("clock_verified", Boolean, primary_key=True),
    Column("note", Text, primary_key=True),
    Column("plays", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("min_duration_ms", BigInteger, nullable=False),
    Column("max_duration_ms", BigInteger, nullable=False),
    Column("min_started_ms", BigInteger, nullable=False),
    Column("max_started_ms", BigInteger, nullable=False),
    Column("max_ended_ms", BigInteger, nullable=False),
    Index("ix_play_rollups_approval_bucket", "approval_id", "bucket"),
)

# Derived too: heartbeats per device and 15-minute bucket, in microseconds since the epoch.
# `max_gap_us` is the longest wait between consecutive heartbeats in the bucket, or -1 when
# one arrived before the bucket's latest (then the rows themselves must be read).
heartbeat_rollups = Table(
    "heartbeat_rollups",
    metadata,
    Column("device_id", Integer, primary_key=True, autoincrement=False),
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("first_us", BigInteger, nullable=False),
    Column("last_us", BigInteger, nullable=False),
    Column("beats", BigInteger, nullable=False),
    Column("max_gap_us", BigInteger, nullable=False),
    Column("not_ready", BigInteger, nullable=False),
)

__all__ = ["checkpoints", "heartbeat_rollups", "play_rollups"]
