"""The SQLAlchemy unit of work: one connection, one transaction, rollback by default."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from signage.adapters.db.approval_repos import (
    SqlApprovalRepository,
    SqlBlankRepository,
    SqlDocumentRepository,
)
from signage.adapters.db.device_repos import (
    SqlDeviceAlertRepository,
    SqlDeviceRepository,
    SqlEnrolmentRepository,
    SqlScheduleStampRepository,
)
from signage.adapters.db.ledger_repos import SqlCheckpointRepository, SqlLedgerRepository
from signage.adapters.db.library_repos import (
    SqlAssetRepository,
    SqlCreativeRepository,
    SqlQuoteRepository,
    SqlTemplateRepository,
)
from signage.adapters.db.play_repos import SqlPlayRepository
from signage.adapters.db.render_jobs import SqlRenderJobRepository
from signage.adapters.db.repositories import (
    SqlAuditRepository,
    SqlLocationRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from signage.adapters.db.schedule_repos import (
    SqlCampaignRepository,
    SqlEntryRepository,
    SqlPlaylistRepository,
)


class SqlUnitOfWork:
    """Opens a transaction on enter; only `commit()` makes its writes stick."""

    users: SqlUserRepository
    tokens: SqlTokenRepository
    locations: SqlLocationRepository
    audit: SqlAuditRepository
    assets: SqlAssetRepository
    quotes: SqlQuoteRepository
    templates: SqlTemplateRepository
    creatives: SqlCreativeRepository
    render_jobs: SqlRenderJobRepository
    playlists: SqlPlaylistRepository
    campaigns: SqlCampaignRepository
    entries: SqlEntryRepository
    approvals: SqlApprovalRepository
    blanks: SqlBlankRepository
    documents: SqlDocumentRepository
    enrolments: SqlEnrolmentRepository
    devices: SqlDeviceRepository
    plays: SqlPlayRepository
    device_alerts: SqlDeviceAlertRepository
    ledger: SqlLedgerRepository
    checkpoints: SqlCheckpointRepository
    schedule_stamp: SqlScheduleStampRepository

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self.engine = engine
        self.readonly = readonly
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        conn = self.engine.connect()
        if self.readonly:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        conn.begin()
        self._conn = conn
        self.users = SqlUserRepository(conn)
        self.tokens = SqlTokenRepository(conn)
        self.locations = SqlLocationRepository(conn)
        self.audit = SqlAuditRepository(conn)
        self.assets = SqlAssetRepository(conn)
        self.quotes = SqlQuoteRepository(conn)
        self.templates = SqlTemplateRepository(conn)
        self.creatives = SqlCreativeRepository(conn)
        self.render_jobs = SqlRenderJobRepository(conn)
        self.playlists = SqlPlaylistRepository(conn)
        self.campaigns = SqlCampaignRepository(conn)
        self.entries = SqlEntryRepository(conn)
        self.approvals = SqlApprovalRepository(conn)
        self.blanks = SqlBlankRepository(conn)
        self.documents = SqlDocumentRepository(conn)
        self.enrolments = SqlEnrolmentRepository(conn)
        self.devices = SqlDeviceRepository(conn)
        self.plays = SqlPlayRepository(conn)
        self.device_alerts = SqlDeviceAlertRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.checkpoints = SqlCheckpointRepository(conn)
        self.schedule_stamp = SqlScheduleStampRepository(conn)
        return self

    @property
    def connection(self) -> Connection:
        """The open connection (for adapters that need raw access)."""
        assert self._conn is not None, "unit of work is not open"
        return self._conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None

    def commit(self) -> None:
        """Make the writes of this unit of work durable."""
        self.connection.commit()

    def rollback(self) -> None:
        """Discard the writes of this unit of work."""
        self.connection.rollback()


class SqlUnitOfWorkFactory:
    """Callable that opens units of work on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly)
