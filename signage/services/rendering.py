"""The worker side of the render queue: claim a job, render it, file the result."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from signage.domain.assets import AssetKind
from signage.domain.creatives import JobStatus, RenderJob
from signage.domain.errors import SignageError
from signage.services.creatives import CreativeServices
from signage.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger("signage.render")
PROGRESS_EVERY_S = 0.5
# A render takes seconds to a minute; one RUNNING for longer lost its worker (a crash, a
# kill -9, a power cut) and is queued again, so the demo and real renders never stall.
STALE_AFTER = timedelta(minutes=10)


@dataclass(slots=True)
class _Reporter:
    """Writes progress at most twice a second and says whether to go on."""

    uow_factory: UnitOfWorkFactory
    job_id: int
    last_at: float = 0.0
    last_percent: int = -1
    cancelled: bool = field(default=False)

    def __call__(self, fraction: float) -> bool:
        percent = min(99, int(fraction * 100))
        now = time.monotonic()
        if percent == self.last_percent or now - self.last_at < PROGRESS_EVERY_S:
            return not self.cancelled
        with self.uow_factory() as uow:
            self.cancelled = not uow.render_jobs.set_progress(self.job_id, percent)
            uow.commit()
        self.last_at, self.last_percent = now, percent
        return not self.cancelled


@dataclass(frozen=True, slots=True)
class RenderQueue:
    """Runs queued render jobs one at a time."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    creatives: CreativeServices

    def recover_stale(self) -> int:
        """Requeue jobs whose worker died mid-render; how many."""
        with self.uow_factory() as uow:
            count = uow.render_jobs.requeue_stale(self.clock.now() - STALE_AFTER)
            uow.commit()
        if count:
            log.warning("%d render job(s) left running by a lost worker were queued again", count)
        return count

    def run_next(self, worker: str) -> RenderJob | None:
        """Claim and run the oldest queued job; None when the queue is empty."""
        self.recover_stale()
        with self.uow_factory() as uow:
            job = uow.render_jobs.claim_next(worker, self.clock.now())
            uow.commit()
        if job is None:
            return None
        files = self.creatives.files
        out = files.tmp_dir / f"render-{job.id}-{job.key.digest()[:12]}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        reporter = _Reporter(self.uow_factory, job.id)
        try:
            creative = self.creatives.get_creative(job.key.creative_id)
            material = self.creatives.material(creative)
            self.creatives.renderer.render_video(
                material.template, material.quote, material.image, job.key, out, reporter
            )
            staged = files.adopt(out, AssetKind.RENDERED)
        except Exception as exc:  # every failure is kept on the job, with its reason
            out.unlink(missing_ok=True)
            status = JobStatus.CANCELLED if reporter.cancelled else JobStatus.FAILED
            reason = str(exc) if isinstance(exc, SignageError) else f"{type(exc).__name__}: {exc}"
            log.warning("render job %s %s: %s", job.id, status.value, reason)
            return self._finish(job.id, status, None, "" if reporter.cancelled else reason)
        try:
            with self.uow_factory() as uow:
                name = f"{creative.name} {job.size}"
                uow.assets.add(staged.info, name, self.clock.now(), f"render:{worker}")
                files.commit(staged)
                uow.render_jobs.finish(
                    job.id, JobStatus.DONE, self.clock.now(), staged.info.sha256, ""
                )
                uow.commit()
        except BaseException:
            files.discard(staged)
            raise
        log.info("render job %s done: %s", job.id, staged.info.sha256[:12])
        done = self._get(job.id)
        return done

    def _finish(self, job_id: int, status: JobStatus, sha: str | None, error: str) -> RenderJob:
        with self.uow_factory() as uow:
            uow.render_jobs.finish(job_id, status, self.clock.now(), sha, error)
            uow.commit()
        return self._get(job_id)

    def _get(self, job_id: int) -> RenderJob:
        with self.uow_factory(readonly=True) as uow:
            job = uow.render_jobs.get(job_id)
            assert job is not None
            return job

    def run_until_empty(self, worker: str, limit: int = 1000) -> int:
        """Run queued jobs until none is left (tests, `signage render`); how many ran."""
        count = 0
        while count < limit and self.run_next(worker) is not None:
            count += 1
        return count
