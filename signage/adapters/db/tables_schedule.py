"""Tables of scheduling: playlists, campaigns, entries, approvals, blanks, documents."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from signage.adapters.db.tables import UTCDateTime, metadata

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
