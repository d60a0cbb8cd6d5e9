"""Tables of the ledger: the server's signed checkpoints, and the report indexes on plays."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

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

__all__ = ["checkpoints"]
