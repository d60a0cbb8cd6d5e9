"""Tables of the composer: assets, quotes, templates, creatives, render jobs."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from signage.adapters.db.tables import UTCDateTime, metadata

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
