"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import NamedTuple, Protocol, Self

from signage.domain.audit import AuditEvent, StoredAuditEvent
from signage.domain.locations import Location, LocationSpec
from signage.domain.users import ApiToken, Role, User
from signage.services.device_ports import (
    DeviceAlertRepository,
    DeviceRepository,
    EnrolmentRepository,
    PlayRepository,
)
from signage.services.ledger_ports import CheckpointRepository, LedgerRepository
from signage.services.library_ports import (
    AssetRepository,
    CreativeRepository,
    QuoteRepository,
    RenderJobRepository,
    TemplateRepository,
)
from signage.services.schedule_ports import (
    ApprovalRepository,
    BlankRepository,
    CampaignRepository,
    DocumentRepository,
    EntryRepository,
    PlaylistRepository,
)


class Clock(Protocol):
    """The source of the current instant (aware UTC)."""

    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    """Hashes and checks passwords with a current algorithm."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class UserRepository(Protocol):
    def add(
        self,
        username: str,
        display_name: str,
        roles: frozenset[Role],
        password_hash: str,
        at: datetime,
    ) -> User: ...

    def get(self, user_id: int) -> User | None: ...

    def by_username(self, username: str) -> User | None: ...

    def password_hash(self, user_id: int) -> str: ...

    def list(self) -> Sequence[User]: ...

    def update(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        roles: frozenset[Role] | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User: ...

    def count(self) -> int: ...


class TokenRepository(Protocol):
    def add(
        self, user_id: int, name: str, token_hash: str, prefix: str, at: datetime
    ) -> ApiToken: ...

    def by_hash(self, token_hash: str) -> ApiToken | None: ...

    def get(self, token_id: int) -> ApiToken | None: ...

    def list_for(self, user_id: int) -> Sequence[ApiToken]: ...

    def revoke(self, token_id: int, at: datetime) -> None: ...

    def touch(self, token_id: int, at: datetime) -> None: ...


class LocationRepository(Protocol):
    def add(self, spec: LocationSpec, at: datetime) -> Location: ...

    def get(self, location_id: int) -> Location | None: ...

    def by_name(self, name: str) -> Location | None: ...

    def list(self) -> Sequence[Location]: ...

    def update(self, location_id: int, spec: LocationSpec, at: datetime) -> Location: ...

    def delete(self, location_id: int) -> None: ...

    def references(self, location_id: int) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Narrows an audit listing; None means any."""

    actor: str | None = None
    object_type: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    offset: int = 0


class AuditRepository(Protocol):
    def append(self, event: AuditEvent, at: datetime) -> StoredAuditEvent: ...

    def list(self, audit_filter: AuditFilter) -> Sequence[StoredAuditEvent]: ...

    def count(self) -> int: ...


class PollState(NamedTuple):
    """What an unchanged plan poll needs to know, read in one statement.

    `stamp` counts the writes that may change any location's plan (approvals,
    withdrawals, blanks, location edits); `note_due` says the device's last recorded
    hand-out is missing or not later than the last schedule change; the rest is the
    device's plan bookkeeping. (A named tuple: built on every poll, it is the cheapest
    immutable record.)
    """

    device_id: int
    active: bool
    location_id: int
    stamp: int
    last_plan_etag: str | None
    note_due: bool
    screenshot_requested: bool


class PollGate(Protocol):
    """The one-statement read behind every plan poll, outside any unit of work."""

    def by_token(self, token_hash: str) -> PollState | None:
        """The poll state of the device holding this token hash (any state)."""
        ...

    def by_device(self, device_id: int) -> PollState | None:
        """The poll state of one device."""
        ...


class ScheduleStampRepository(Protocol):
    """The schedule stamp: bumped with every plan-changing write, read by each poll."""

    def bump(self, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One transaction; leaving the block without `commit()` rolls it back."""

    users: UserRepository
    tokens: TokenRepository
    locations: LocationRepository
    audit: AuditRepository
    assets: AssetRepository
    quotes: QuoteRepository
    templates: TemplateRepository
    creatives: CreativeRepository
    render_jobs: RenderJobRepository
    playlists: PlaylistRepository
    campaigns: CampaignRepository
    entries: EntryRepository
    approvals: ApprovalRepository
    blanks: BlankRepository
    documents: DocumentRepository
    enrolments: EnrolmentRepository
    devices: DeviceRepository
    plays: PlayRepository
    device_alerts: DeviceAlertRepository
    ledger: LedgerRepository
    checkpoints: CheckpointRepository
    schedule_stamp: ScheduleStampRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work; `readonly` ones never take the write lock."""

    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
