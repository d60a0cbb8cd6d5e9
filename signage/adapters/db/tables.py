"""Table definitions; Alembic migrations must agree with them (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(40), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("roles", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    # casefold() of the name: SQLite's lower() folds ASCII only, so uniqueness needs this.
    Column("name_key", String(120), nullable=False, unique=True),
    Column("address", String(300), nullable=False, default=""),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("timezone", String(64), nullable=False),
    Column("screen_width", Integer, nullable=False),
    Column("screen_height", Integer, nullable=False),
    Column("orientation", String(16), nullable=False),
    Column("operating_hours", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(80), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(80), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("reason", Text, nullable=False, default=""),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_audit_events_object", "object_type", "object_id"),
)

# One row: the chain head. Updating it first serialises appenders on PostgreSQL.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

worker_leases = Table(
    "worker_leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "holder", name="uq_worker_leases_name_holder"),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", String(60), nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("ok", Boolean),
    Column("detail", Text, nullable=False, default=""),
)

# --- the composer: media, quotes, templates, creatives, render jobs -----------------

assets = Table(
    "assets",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("mime", String(60), nullable=False),
    Column("ext", String(8), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("duration_ms", Integer),
    Column("fps", Float),
    Column("codec", String(20)),
    Column("byte_size", BigInteger, nullable=False),
    Column("original_name", String(255), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Integer, primary_key=True),
    # Translations of one quote share a group (the id of the first of them).
    Column("translation_group", Integer, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
)

quote_versions = Table(
    "quote_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("quote_id", Integer, ForeignKey("quotes.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("author", String(120), nullable=False),
    Column("author_role", String(200), nullable=False, default=""),
    Column("source", String(300), nullable=False, default=""),
    Column("tags", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    UniqueConstraint("quote_id", "version", name="uq_quote_versions_quote_id_version"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("builtin", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

template_versions = Table(
    "template_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("template_id", Integer, ForeignKey("templates.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("spec", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    UniqueConstraint("template_id", "version", name="uq_template_versions_template_id_version"),
)

creatives = Table(
    "creatives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(160), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("asset_sha256", String(64), ForeignKey("assets.sha256")),
    Column("quote_version_id", Integer, ForeignKey("quote_versions.id")),
    Column("template_version_id", Integer, ForeignKey("template_versions.id")),
    Column("image_sha256", String(64), ForeignKey("assets.sha256")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
)

render_jobs = Table(
    "render_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    # SHA-256 of everything that determines the output: asking twice renders once.
    Column("key", String(64), nullable=False, unique=True),
    Column("creative_id", Integer, ForeignKey("creatives.id"), nullable=False, index=True),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("fps", Integer, nullable=False),
    Column("preset", String(16), nullable=False),
    Column("crf", Integer, nullable=False),
    Column("font_sha256", String(64), nullable=False),
    Column("renderer_version", String(20), nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("progress", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
    Column("asset_sha256", String(64), ForeignKey("assets.sha256")),
    Column("worker", String(120)),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
)

# --- scheduling: playlists, campaigns, entries, approvals, blanks, documents ---------

playlists = Table(
    "playlists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

playlist_items = Table(
    "playlist_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("playlist_id", Integer, ForeignKey("playlists.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("creative_id", Integer, ForeignKey("creatives.id"), nullable=False, index=True),
    # Only stills carry a duration; videos play for their own length.
    Column("duration_ms", Integer),
    UniqueConstraint("playlist_id", "position", name="uq_playlist_items_playlist_id_position"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(160), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date, nullable=False),
    Column("state", String(12), nullable=False, index=True),
    Column("submitted_by", Integer, ForeignKey("users.id")),
    Column("submitted_at", UTCDateTime()),
    # Users who changed the campaign since its last approval (the four-eyes rule reads it).
    Column("editor_ids", JSON, nullable=False),
    Column("copied_from", Integer, ForeignKey("campaigns.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("withdrawn_at", UTCDateTime()),
)

schedule_entries = Table(
    "schedule_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("playlist_id", Integer, ForeignKey("playlists.id"), nullable=False, index=True),
    Column("tags", JSON, nullable=False),
    Column("first_date", Date, nullable=False),
    Column("last_date", Date, nullable=False),
    Column("window_start", Integer, nullable=False),
    Column("window_end", Integer, nullable=False),
    Column("weekdays", JSON, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

schedule_entry_locations = Table(
    "schedule_entry_locations",
    metadata,
    Column("entry_id", Integer, ForeignKey("schedule_entries.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True, index=True),
)

# Immutable snapshots; only superseded_at or withdrawn_at is ever set, once.
approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("approved_at", UTCDateTime(), nullable=False),
    Column("approved_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("superseded_at", UTCDateTime()),
    Column("withdrawn_at", UTCDateTime()),
    Column("snapshot", JSON, nullable=False),
)

blanks = Table(
    "blanks",
    metadata,
    Column("id", Integer, primary_key=True),
    # NULL blanks every location.
    Column("location_id", Integer, ForeignKey("locations.id"), index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("started_by", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("lifted_at", UTCDateTime()),
    Column("lifted_by", String(80)),
    Column("lift_reason", Text, nullable=False, default=""),
)

campaign_documents = Table(
    "campaign_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("mime", String(60), nullable=False),
    Column("byte_size", BigInteger, nullable=False),
    Column("original_name", String(255), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
)

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

# Each plan ETag handed to a device, and when it was last handed out (a 304 counts).
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
