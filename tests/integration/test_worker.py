"""Two workers on one database: exactly one schedules; the other takes over when it stops."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from signage.adapters.clock import FixedClock
from signage.adapters.db.leases import DatabaseLease
from signage.jobs.definitions import job_specs
from signage.jobs.runner import Worker
from tests.conftest import build, make_settings


def wait_for(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_two_workers_started_at_once_one_schedules_the_other_waits(db_services: Any) -> None:
    first, second = Worker(db_services, "worker-a"), Worker(db_services, "worker-b")
    first.interval = second.interval = 0.05
    threads = [threading.Thread(target=w.run) for w in (first, second)]
    for thread in threads:
        thread.start()
    try:
        assert wait_for(lambda: first.scheduling or second.scheduling)
        time.sleep(0.3)  # several lease rounds: the roles must not flip or double up
        assert [first.scheduling, second.scheduling].count(True) == 1
        leader, follower = (first, second) if first.scheduling else (second, first)
        assert leader.scheduler is not None
        assert {job.id for job in leader.scheduler.get_jobs()} == {
            spec.id for spec in job_specs(db_services.settings)
        }
        job = leader.scheduler.get_jobs()[0] if leader.scheduler.get_jobs() else None
        if job is not None:
            assert job.max_instances == 1
            assert job.coalesce is True
        leader.stop()
        assert wait_for(lambda: follower.scheduling), "the waiting worker never took over"
    finally:
        for worker in (first, second):
            worker.stop()
        for thread in threads:
            thread.join(timeout=10)


def test_an_expired_lease_can_be_taken_over(db_services: Any) -> None:
    clock = FixedClock(db_services.clock.now())
    ttl = timedelta(seconds=30)
    a = DatabaseLease(db_services.engine, "scheduler", "a", ttl)
    b = DatabaseLease(db_services.engine, "scheduler", "b", ttl)
    assert a.try_acquire(clock.now())
    assert not b.try_acquire(clock.now())
    clock.advance(timedelta(seconds=20))
    assert a.try_acquire(clock.now())  # renewal
    clock.advance(timedelta(seconds=31))
    assert b.try_acquire(clock.now())  # a went silent
    assert not a.try_acquire(clock.now())
    assert b.holder_now() == "b"


def test_the_backup_job_is_scheduled_only_for_sqlite(tmp_path: Path) -> None:
    sqlite = make_settings(tmp_path)
    assert "backup" in [s.id for s in job_specs(sqlite)]
    postgres = make_settings(tmp_path, "postgresql+psycopg://u:p@localhost/db")
    assert "backup" not in [s.id for s in job_specs(postgres)]


def test_worker_runs_the_backup_job_when_due(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path, backup={"interval_minutes": 1}))
    worker = Worker(services, "solo")
    try:
        assert worker.tick()
        assert worker.scheduler is not None
        job = worker.scheduler.get_job("backup")
        job.modify(next_run_time=services.clock.now())
        backups = tmp_path / "backups"
        assert wait_for(lambda: backups.exists() and any(backups.iterdir()))
    finally:
        worker.stop()
        if worker.scheduler is not None:
            worker.scheduler.shutdown(wait=True)
        services.engine.dispose()
