"""Tables of devices: enrolment, heartbeats, proof of play, alerts."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from signage.adapters.db.tables import UTCDateTime, metadata

# --- devices: enrolment, heartbeats, proof of play, alerts ---------------------------

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False, index=True),
    # The raw Ed25519 public key in standard base64 (44 characters).
    Column("public_key", String(44), nullable=False, index=True),
    Column("facts", JSON, nullable=False),
    Column("state", String(12), nullable=False),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("enrolled_by", String(80), nullable=False),
    Column("retired_at", UTCDateTime()),
    Column("retired_reason", Text, nullable=False, default=""),
    # SHA-256 of the bearer token; the token itself is never stored.
    Column("token_hash", String(64), unique=True),
    Column("token_issued_at", UTCDateTime()),
    Column("last_seen_at", UTCDateTime()),
    Column("last_plan_etag", String(100)),
    Column("last_plan_at", UTCDateTime()),
    Column("screenshot_requested_at", UTCDateTime()),
)
# One active device per location, also under concurrent binds.
Index(
    "uq_devices_active_location",
    devices.c.location_id,
    unique=True,
    sqlite_where=devices.c.state == "active",
    postgresql_where=devices.c.state == "active",
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("public_key", String(44), nullable=False, index=True),
    Column("facts", JSON, nullable=False),
    Column("client_ip", String(64), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("device_id", Integer, ForeignKey("devices.id")),
    Column("bound_at", UTCDateTime()),
)

# One row (id 1): a counter bumped in the same transaction as every write that can change
# some location's plan (approval made, superseded or withdrawn; blank added or lifted).
# Unchanged player polls compare it instead of re-reading approvals and blanks.
schedule_stamp = Table(
    "schedule_stamp",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)

# Each plan ETag handed to a device, and when it was last handed out: when it was new to
# the device (a change of plan) or the first time after a schedule change (a 304 counts
# then); the unchanged polls in between write nothing.
device_plan_etags = Table(
    "device_plan_etags",
    metadata,
    Column("device_id", Integer, ForeignKey("devices.id"), primary_key=True),
    Column("etag", String(100), primary_key=True),
    Column("first_issued_at", UTCDateTime(), nullable=False),
    Column("last_issued_at", UTCDateTime(), nullable=False),
)

device_heartbeats = Table(
    "device_heartbeats",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("device_at_ms", BigInteger),
    Column("showing", String(40)),
    Column("black_reason", String(40)),
    Column("playing", JSON),
    Column("plan_etag", String(100)),
    # When the server last handed this ETag to the device before the heartbeat came.
    Column("plan_issued_at", UTCDateTime()),
    Column("plan_ready", Boolean),
    Column("cache", JSON),
    Column("free_disk_bytes", BigInteger),
    Column("clock_offset_ms", BigInteger),
    Column("clock_verified", Boolean),
    Column("software_version", String(80)),
    Column("last_error", Text),
    Column("last_error_at_ms", BigInteger),
    Column("payload", JSON, nullable=False),
    Index("ix_device_heartbeats_device_at", "device_id", "at"),
)

device_screenshots = Table(
    "device_screenshots",
    metadata,
    Column("device_id", Integer, ForeignKey("devices.id"), primary_key=True),
    Column("taken_at", UTCDateTime(), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Append-only: rows are inserted once and never updated or deleted.
play_records = Table(
    "play_records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    # Integer ids as sent; NULL when absent or not an integer (`canonical` keeps the exact).
    Column("location_id", BigInteger),
    Column("asset_sha256", String(64)),
    Column("playlist_id", BigInteger),
    Column("entry_id", BigInteger),
    Column("approval_id", BigInteger, index=True),
    Column("started_at_ms", BigInteger, nullable=False),
    Column("ended_at_ms", BigInteger, nullable=False),
    Column("device_clock_offset_ms", BigInteger, nullable=False),
    Column("clock_verified", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("signature", String(88), nullable=False),
    Column("hash", String(64), nullable=False, index=True),
    # The exact bytes the device signed (UTF-8 JSON), so anyone can verify them again.
    Column("canonical", Text, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    # Why a correctly signed record is not believed as a play (implausible), or NULL.
    Column("note", Text),
    UniqueConstraint("device_id", "seq", name="uq_play_records_device_id_seq"),
)

# Records refused outside every chain: bad signature, conflicting duplicate, bad shape.
play_quarantine = Table(
    "play_quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False, index=True),
    Column("record_id", String(80)),
    Column("reason", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    UniqueConstraint("device_id", "body_sha256", name="uq_play_quarantine_device_id_body"),
)

device_alerts = Table(
    "device_alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),
    Column("since", UTCDateTime(), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
)
