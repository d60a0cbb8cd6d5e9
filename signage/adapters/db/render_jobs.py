"""The render queue: a table whose unique key makes asking twice render once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.domain.creatives import JobStatus, RenderJob, RenderKey

j = t.render_jobs.c


def _job(row: Any) -> RenderJob:
    key = RenderKey(
        creative_id=row.creative_id,
        width=row.width,
        height=row.height,
        duration_ms=row.duration_ms,
        fps=row.fps,
        preset=row.preset,
        crf=row.crf,
        font_sha256=row.font_sha256,
        renderer_version=row.renderer_version,
    )
    return RenderJob(
        id=row.id,
        key=key,
        status=JobStatus(row.status),
        progress=row.progress,
        error=row.error,
        asset_sha256=row.asset_sha256,
        cancel_requested=bool(row.cancel_requested),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class SqlRenderJobRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, key: RenderKey, at: datetime) -> RenderJob | None:
        try:
            # A savepoint keeps the caller's transaction usable when the key already exists.
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.render_jobs).values(
                        key=key.digest(),
                        creative_id=key.creative_id,
                        width=key.width,
                        height=key.height,
                        duration_ms=key.duration_ms,
                        fps=key.fps,
                        preset=key.preset,
                        crf=key.crf,
                        font_sha256=key.font_sha256,
                        renderer_version=key.renderer_version,
                        status=JobStatus.QUEUED.value,
                        progress=0,
                        error="",
                        cancel_requested=False,
                        created_at=at,
                    )
                )
        except IntegrityError:
            return None
        return self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]

    def by_key(self, digest: str) -> RenderJob | None:
        row = self.conn.execute(select(t.render_jobs).where(j.key == digest)).first()
        return _job(row) if row else None

    def get(self, job_id: int) -> RenderJob | None:
        row = self.conn.execute(select(t.render_jobs).where(j.id == job_id)).first()
        return _job(row) if row else None

    def list(
        self, creative_id: int | None = None, statuses: Sequence[JobStatus] | None = None
    ) -> Sequence[RenderJob]:
        query = select(t.render_jobs).order_by(j.id.desc())
        if creative_id is not None:
            query = query.where(j.creative_id == creative_id)
        if statuses:
            query = query.where(j.status.in_([s.value for s in statuses]))
        return [_job(r) for r in self.conn.execute(query)]

    def claim_next(self, worker: str, at: datetime) -> RenderJob | None:
        """Take the oldest queued job; the conditional UPDATE makes a claim exclusive."""
        for _ in range(5):
            job_id = self.conn.execute(
                select(j.id).where(j.status == JobStatus.QUEUED.value).order_by(j.id).limit(1)
            ).scalar()
            if job_id is None:
                return None
            claimed = self.conn.execute(
                update(t.render_jobs)
                .where(j.id == job_id, j.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.RUNNING.value, worker=worker, started_at=at, progress=0)
            ).rowcount
            if claimed:
                return self.get(int(job_id))
        return None

    def set_progress(self, job_id: int, progress: int) -> bool:
        self.conn.execute(
            update(t.render_jobs)
            .where(j.id == job_id, j.status == JobStatus.RUNNING.value)
            .values(progress=max(0, min(100, progress)))
        )
        cancelled = self.conn.execute(select(j.cancel_requested).where(j.id == job_id)).scalar()
        return not cancelled

    def finish(
        self, job_id: int, status: JobStatus, at: datetime, asset_sha256: str | None, error: str
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "finished_at": at,
            "asset_sha256": asset_sha256,
            "error": error,
        }
        if status is JobStatus.DONE:
            values["progress"] = 100
        self.conn.execute(update(t.render_jobs).where(j.id == job_id).values(**values))

    def request_cancel(self, job_id: int) -> None:
        self.conn.execute(
            update(t.render_jobs)
            .where(j.id == job_id, j.status == JobStatus.RUNNING.value)
            .values(cancel_requested=True)
        )
        self.conn.execute(
            update(t.render_jobs)
            .where(j.id == job_id, j.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.CANCELLED.value, cancel_requested=True)
        )

    def requeue_stale(self, started_before: datetime) -> int:
        """Put back jobs left RUNNING by a worker that died (started too long ago)."""
        return int(
            self.conn.execute(
                update(t.render_jobs)
                .where(j.status == JobStatus.RUNNING.value, j.started_at < started_before)
                .values(status=JobStatus.QUEUED.value, progress=0, worker=None, started_at=None)
            ).rowcount
        )

    def requeue(self, job_id: int) -> None:
        """Put a failed or cancelled job back in the queue (same key, same row)."""
        self.conn.execute(
            update(t.render_jobs)
            .where(j.id == job_id)
            .values(
                status=JobStatus.QUEUED.value,
                progress=0,
                error="",
                cancel_requested=False,
                worker=None,
                started_at=None,
                finished_at=None,
            )
        )
