"""audit head row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:30:00

The audit chain's head row exists from the start, so every append begins by
updating it; that row lock is what serialises concurrent appenders on PostgreSQL
(two first appends could otherwise both try to insert it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.BigInteger),
        sa.column("hash", sa.String),
    )
    bind = op.get_bind()
    if bind.execute(sa.select(sa.func.count()).select_from(head)).scalar() == 0:
        op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.execute("DELETE FROM audit_head WHERE seq = 0")
