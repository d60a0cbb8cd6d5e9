"""Counts for the dashboard and the health check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signage.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class StatusServices:
    """Read-only figures about the installation."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def summary(self) -> dict[str, int]:
        """Object counts shown on the dashboard."""
        with self.uow_factory(readonly=True) as uow:
            return {
                "locations": len(uow.locations.list()),
                "users": uow.users.count(),
                "audit_events": uow.audit.count(),
            }

    def health(self) -> dict[str, Any]:
        """Whether the database answers; never raises."""
        try:
            with self.uow_factory(readonly=True) as uow:
                uow.users.count()
        except Exception as exc:  # a health check answers whatever broke
            return {"ok": False, "database": f"error: {type(exc).__name__}"}
        return {"ok": True, "database": "ok", "time": self.clock.now().isoformat()}
