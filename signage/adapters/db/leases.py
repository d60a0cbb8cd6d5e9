"""A named lease in the database, so that only one worker schedules periodic jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from signage.adapters.db.tables import worker_leases


class DatabaseLease:
    """Acquire-or-renew in one conditional UPDATE; an expired lease can be taken over."""

    def __init__(self, engine: Engine, name: str, holder: str, ttl: timedelta) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self.ttl = ttl

    def try_acquire(self, now: datetime) -> bool:
        """Take or renew the lease; True when this holder has it until now + ttl."""
        c = worker_leases.c
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(worker_leases)
                .where(c.name == self.name)
                .where((c.holder == self.holder) | (c.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.ttl)
            ).rowcount
            if taken:
                return True
            exists = conn.execute(select(c.name).where(c.name == self.name)).first()
            if exists:
                return False
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(worker_leases).values(
                        name=self.name, holder=self.holder, expires_at=now + self.ttl
                    )
                )
        except IntegrityError:
            return False  # another worker inserted it first
        return True

    def release(self) -> None:
        """Give the lease up at once (on clean shutdown)."""
        c = worker_leases.c
        with self.engine.begin() as conn:
            conn.execute(
                update(worker_leases)
                .where(c.name == self.name, c.holder == self.holder)
                .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
            )

    def holder_now(self) -> str | None:
        """Who holds the lease row (expired or not)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(worker_leases.c.holder).where(worker_leases.c.name == self.name)
            ).first()
        return row.holder if row else None
