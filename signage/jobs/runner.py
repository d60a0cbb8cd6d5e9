"""The worker: holds the scheduler lease, and only while it does, runs the periodic jobs."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from signage.adapters.db.leases import DatabaseLease
from signage.bootstrap import Services
from signage.jobs.definitions import JobSpec, job_specs
from signage.jobs.tasks import TASKS

log = logging.getLogger("signage.worker")
LEASE_NAME = "scheduler"


class Worker:
    """Renews the lease every third of its lifetime; starts or stops the scheduler to match."""

    def __init__(self, services: Services, holder: str | None = None, render: bool = True) -> None:
        self.services = services
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        ttl = timedelta(seconds=services.settings.worker.lease_seconds)
        self.lease = DatabaseLease(services.engine, LEASE_NAME, self.holder, ttl)
        self.interval = ttl.total_seconds() / 3
        self.scheduler: BackgroundScheduler | None = None
        self.stop_event = threading.Event()
        self.render = render
        self.render_poll_s = 2.0

    @property
    def scheduling(self) -> bool:
        """True while this worker holds the lease and runs the scheduler."""
        return self.scheduler is not None

    def _start_scheduler(self) -> None:
        scheduler = BackgroundScheduler(timezone="UTC")
        for spec in job_specs(self.services.settings):
            self._add(scheduler, spec)
        scheduler.start()
        self.scheduler = scheduler
        log.info(
            "worker %s holds the lease and schedules %d job(s)",
            self.holder,
            len(scheduler.get_jobs()),
        )

    def _add(self, scheduler: BackgroundScheduler, spec: JobSpec) -> None:
        task = TASKS[spec.task]
        scheduler.add_job(
            task,
            spec.trigger,
            args=[self.services],
            id=spec.id,
            name=spec.description or spec.id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            misfire_grace_time=300,
            **spec.trigger_args,
        )

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            log.warning("worker %s lost the lease; scheduling stopped", self.holder)

    def tick(self) -> bool:
        """One lease round; returns whether this worker now schedules."""
        holds = self.lease.try_acquire(self.services.clock.now())
        if holds and self.scheduler is None:
            self._start_scheduler()
        elif not holds and self.scheduler is not None:
            self._stop_scheduler()
        return holds

    def _render_loop(self) -> None:
        # Every worker renders: claims are exclusive, so no lease is needed for the queue.
        while not self.stop_event.is_set():
            try:
                job = self.services.render_queue.run_next(self.holder)
            except Exception:  # a broken job must not end the loop; its row keeps the reason
                log.exception("render queue error")
                job = None
            if job is None:
                self.stop_event.wait(self.render_poll_s)

    def run(self) -> None:
        """Loop until `stop()`; a worker without the lease waits and retries."""
        log.info("worker %s started", self.holder)
        self.services.server_key.ensure()  # first start: the checkpoint signing key
        renderer = threading.Thread(target=self._render_loop, name="render-queue", daemon=True)
        if self.render:
            renderer.start()
        try:
            while not self.stop_event.is_set():
                if not self.tick():
                    log.debug("worker %s waits: another worker holds the lease", self.holder)
                self.stop_event.wait(self.interval)
        finally:
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=True)
                self.scheduler = None
                self.lease.release()
            if renderer.is_alive():
                renderer.join(timeout=120)
            log.info("worker %s stopped", self.holder)

    def stop(self) -> None:
        """Ask `run()` to return."""
        self.stop_event.set()
