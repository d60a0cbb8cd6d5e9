"""SQLAlchemy Core repositories of take-down and review: approvals, blanks, documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from signage.adapters.db import tables as t
from signage.domain.approvals import ApprovalSnapshot, StoredApproval, StoredBlank
from signage.domain.campaigns import CampaignDocument

a = t.approvals.c
b = t.blanks.c
d = t.campaign_documents.c


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


def _approval(row: Any) -> StoredApproval:
    return StoredApproval(
        id=row.id,
        campaign_id=row.campaign_id,
        approved_at=row.approved_at,
        approved_by=row.approved_by,
        superseded_at=row.superseded_at,
        withdrawn_at=row.withdrawn_at,
        snapshot=ApprovalSnapshot.from_dict(row.snapshot),
    )


class SqlApprovalRepository:
    """Snapshots are written once; only the instant an approval ended is set later."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, campaign_id: int, snapshot: ApprovalSnapshot, at: datetime, by: int
    ) -> StoredApproval:
        result = self.conn.execute(
            insert(t.approvals).values(
                campaign_id=campaign_id,
                approved_at=at,
                approved_by=by,
                snapshot=snapshot.to_dict(),
            )
        )
        return StoredApproval(_new_id(result), campaign_id, at, by, None, None, snapshot)

    def get(self, approval_id: int) -> StoredApproval | None:
        row = self.conn.execute(select(t.approvals).where(a.id == approval_id)).first()
        return _approval(row) if row else None

    def in_force(self, campaign_id: int) -> StoredApproval | None:
        row = self.conn.execute(
            select(t.approvals)
            .where(
                a.campaign_id == campaign_id,
                a.superseded_at.is_(None),
                a.withdrawn_at.is_(None),
            )
            .order_by(a.id.desc())
        ).first()
        return _approval(row) if row else None

    def list_for(self, campaign_id: int) -> Sequence[StoredApproval]:
        rows = self.conn.execute(
            select(t.approvals).where(a.campaign_id == campaign_id).order_by(a.id)
        )
        return [_approval(r) for r in rows]

    def end(self, approval_id: int, at: datetime, *, withdrawn: bool) -> None:
        values = {"withdrawn_at": at} if withdrawn else {"superseded_at": at}
        self.conn.execute(
            update(t.approvals)
            .where(a.id == approval_id, a.superseded_at.is_(None), a.withdrawn_at.is_(None))
            .values(**values)
        )

    def overlapping(self, start: datetime, end: datetime) -> Sequence[StoredApproval]:
        ended = func.coalesce(a.withdrawn_at, a.superseded_at)
        rows = self.conn.execute(
            select(t.approvals)
            .where(a.approved_at < end, or_(ended.is_(None), ended > start))
            .order_by(a.id)
        )
        return [_approval(r) for r in rows]

    def current(self) -> Sequence[StoredApproval]:
        rows = self.conn.execute(
            select(t.approvals)
            .where(a.superseded_at.is_(None), a.withdrawn_at.is_(None))
            .order_by(a.id)
        )
        return [_approval(r) for r in rows]


def _blank(row: Any) -> StoredBlank:
    return StoredBlank(
        id=row.id,
        location_id=row.location_id,
        started_at=row.started_at,
        started_by=row.started_by,
        reason=row.reason,
        lifted_at=row.lifted_at,
        lifted_by=row.lifted_by,
        lift_reason=row.lift_reason,
    )


class SqlBlankRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, location_id: int | None, at: datetime, by: str, reason: str) -> StoredBlank:
        result = self.conn.execute(
            insert(t.blanks).values(
                location_id=location_id, started_at=at, started_by=by, reason=reason, lift_reason=""
            )
        )
        return StoredBlank(_new_id(result), location_id, at, by, reason)

    def get(self, blank_id: int) -> StoredBlank | None:
        row = self.conn.execute(select(t.blanks).where(b.id == blank_id)).first()
        return _blank(row) if row else None

    def lift(self, blank_id: int, at: datetime, by: str, reason: str) -> None:
        self.conn.execute(
            update(t.blanks)
            .where(b.id == blank_id, b.lifted_at.is_(None))
            .values(lifted_at=at, lifted_by=by, lift_reason=reason)
        )

    def list(self, active_only: bool = False) -> Sequence[StoredBlank]:
        query = select(t.blanks).order_by(b.id.desc())
        if active_only:
            query = query.where(b.lifted_at.is_(None))
        return [_blank(r) for r in self.conn.execute(query)]

    def overlapping(self, start: datetime, end: datetime) -> Sequence[StoredBlank]:
        rows = self.conn.execute(
            select(t.blanks)
            .where(b.started_at < end, or_(b.lifted_at.is_(None), and_(b.lifted_at > start)))
            .order_by(b.id)
        )
        return [_blank(r) for r in rows]


def _document(row: Any) -> CampaignDocument:
    return CampaignDocument(
        id=row.id,
        campaign_id=row.campaign_id,
        sha256=row.sha256,
        mime=row.mime,
        byte_size=row.byte_size,
        original_name=row.original_name,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class SqlDocumentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        campaign_id: int,
        sha256: str,
        mime: str,
        byte_size: int,
        original_name: str,
        at: datetime,
        by: str,
    ) -> CampaignDocument:
        values = {
            "campaign_id": campaign_id,
            "sha256": sha256,
            "mime": mime,
            "byte_size": byte_size,
            "original_name": original_name,
            "created_at": at,
            "created_by": by,
        }
        result = self.conn.execute(insert(t.campaign_documents).values(**values))
        return CampaignDocument(id=_new_id(result), **values)  # type: ignore[arg-type]

    def get(self, document_id: int) -> CampaignDocument | None:
        row = self.conn.execute(select(t.campaign_documents).where(d.id == document_id)).first()
        return _document(row) if row else None

    def list_for(self, campaign_id: int) -> Sequence[CampaignDocument]:
        rows = self.conn.execute(
            select(t.campaign_documents).where(d.campaign_id == campaign_id).order_by(d.id)
        )
        return [_document(r) for r in rows]

    def delete(self, document_id: int) -> None:
        self.conn.execute(delete(t.campaign_documents).where(d.id == document_id))
