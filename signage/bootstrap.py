"""The one place that wires adapters into services (called by the composition roots)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from signage.adapters.clock import SystemClock
from signage.adapters.db.engine import make_engine
from signage.adapters.db.uow import SqlUnitOfWorkFactory
from signage.adapters.passwords import Argon2Hasher
from signage.config import Settings
from signage.services.audit import AuditServices
from signage.services.imports import ImportServices
from signage.services.locations import LocationServices
from signage.services.ports import Clock, PasswordHasher
from signage.services.status import StatusServices
from signage.services.users import UserServices


@dataclass(frozen=True)
class Services:
    """Everything the web layer, the CLI and the worker call."""

    settings: Settings
    engine: Engine
    uow_factory: SqlUnitOfWorkFactory
    clock: Clock
    users: UserServices
    locations: LocationServices
    audit: AuditServices
    imports: ImportServices
    status: StatusServices

    @property
    def media_root(self) -> Path:
        """Absolute media store folder."""
        return self.settings.path(self.settings.media.root)


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    engine: Engine | None = None,
) -> Services:
    """Create the engine and bind every service to its adapters."""
    engine = engine or make_engine(settings.database_url, settings.database.busy_timeout_ms)
    clock = clock or SystemClock()
    hasher = hasher or Argon2Hasher()
    uow_factory = SqlUnitOfWorkFactory(engine)
    return Services(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        clock=clock,
        users=UserServices(uow_factory, hasher, clock),
        locations=LocationServices(uow_factory, clock, settings.schedule.default_timezone),
        audit=AuditServices(uow_factory),
        imports=ImportServices(uow_factory, clock, settings.schedule.default_timezone),
        status=StatusServices(uow_factory, clock),
    )
