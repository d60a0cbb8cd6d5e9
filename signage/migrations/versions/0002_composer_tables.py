"""composer tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:06:21.187029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Case-blind, Unicode-aware location names: backfill name_key, then make it unique.
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=120), nullable=True))
    locations = sa.table("locations", sa.column("id", sa.Integer), sa.column("name", sa.String))
    bind = op.get_bind()
    for row in bind.execute(sa.select(locations.c.id, locations.c.name)).all():
        key = " ".join(row.name.casefold().split())
        bind.execute(
            sa.text("UPDATE locations SET name_key = :key WHERE id = :id"),
            {"key": key, "id": row.id},
        )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_locations_name_key"), ["name_key"])
    op.create_table(
        "assets",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mime", sa.String(length=60), nullable=False),
        sa.Column("ext", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("codec", sa.String(length=20), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_assets")),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("translation_group", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quotes_translation_group"), ["translation_group"], unique=False
        )

    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_templates_name")),
    )
    op.create_table(
        "quote_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("author_role", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_versions_quote_id_quotes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_versions")),
        sa.UniqueConstraint("quote_id", "version", name="uq_quote_versions_quote_id_version"),
    )
    with op.batch_alter_table("quote_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_versions_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_template_versions_template_id_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_versions")),
        sa.UniqueConstraint(
            "template_id", "version", name="uq_template_versions_template_id_version"
        ),
    )
    with op.batch_alter_table("template_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_versions_template_id"), ["template_id"], unique=False
        )

    op.create_table(
        "creatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=True),
        sa.Column("quote_version_id", sa.Integer(), nullable=True),
        sa.Column("template_version_id", sa.Integer(), nullable=True),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_sha256"], ["assets.sha256"], name=op.f("fk_creatives_asset_sha256_assets")
        ),
        sa.ForeignKeyConstraint(
            ["image_sha256"], ["assets.sha256"], name=op.f("fk_creatives_image_sha256_assets")
        ),
        sa.ForeignKeyConstraint(
            ["quote_version_id"],
            ["quote_versions.id"],
            name=op.f("fk_creatives_quote_version_id_quote_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["template_versions.id"],
            name=op.f("fk_creatives_template_version_id_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creatives")),
    )
    op.create_table(
        "render_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("creative_id", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("fps", sa.Integer(), nullable=False),
        sa.Column("preset", sa.String(length=16), nullable=False),
        sa.Column("crf", sa.Integer(), nullable=False),
        sa.Column("font_sha256", sa.String(length=64), nullable=False),
        sa.Column("renderer_version", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_sha256"], ["assets.sha256"], name=op.f("fk_render_jobs_asset_sha256_assets")
        ),
        sa.ForeignKeyConstraint(
            ["creative_id"], ["creatives.id"], name=op.f("fk_render_jobs_creative_id_creatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_render_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_render_jobs_key")),
    )
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_render_jobs_creative_id"), ["creative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_render_jobs_status"), ["status"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_locations_name_key"), type_="unique")
        batch_op.drop_column("name_key")
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_render_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_render_jobs_creative_id"))

    op.drop_table("render_jobs")
    op.drop_table("creatives")
    with op.batch_alter_table("template_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_versions_template_id"))

    op.drop_table("template_versions")
    with op.batch_alter_table("quote_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_versions_quote_id"))

    op.drop_table("quote_versions")
    op.drop_table("templates")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_translation_group"))

    op.drop_table("quotes")
    op.drop_table("assets")
    # ### end Alembic commands ###
