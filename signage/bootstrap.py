"""The one place that wires adapters into services (called by the composition roots)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from signage.adapters.bundle_zip import ZipBundles
from signage.adapters.clock import SystemClock
from signage.adapters.db.engine import make_engine
from signage.adapters.db.poll_gate import SqlPollGate
from signage.adapters.db.uow import SqlUnitOfWorkFactory
from signage.adapters.document_store import DocumentStore
from signage.adapters.ics import IcsWriter
from signage.adapters.media_store import MediaStore
from signage.adapters.passwords import Argon2Hasher
from signage.adapters.render.renderer import PillowMoviepyRenderer
from signage.adapters.server_key import FILE_NAME as SERVER_KEY_FILE
from signage.adapters.server_key import ServerKeyFile
from signage.adapters.signing import Ed25519Verifier
from signage.adapters.xlsx import OpenpyxlWriter
from signage.config import Settings
from signage.services.audit import AuditServices
from signage.services.audit_exports import AuditExportServices
from signage.services.audit_reports import AuditReportServices
from signage.services.calendar import CalendarServices
from signage.services.campaign_content import CampaignContentServices
from signage.services.campaign_files import CampaignFileServices
from signage.services.campaigns import CampaignServices
from signage.services.checkpoints import CheckpointServices
from signage.services.creatives import CreativeServices, RenderDefaults
from signage.services.demo import ComposerSeeder, DemoApprover
from signage.services.devices import DeviceServices
from signage.services.imports import ImportServices
from signage.services.ledger import LedgerServices
from signage.services.library import QuoteServices, TemplateServices
from signage.services.library_ports import Renderer
from signage.services.locations import LocationServices
from signage.services.media import MediaServices
from signage.services.plans import PlanServices
from signage.services.player_api import PlayerServices
from signage.services.playlists import PlaylistServices
from signage.services.ports import Clock, PasswordHasher
from signage.services.rendering import RenderQueue
from signage.services.review import ReviewServices
from signage.services.status import StatusServices
from signage.services.timeline import TimelineServices
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
    quotes: QuoteServices
    templates: TemplateServices
    media: MediaServices
    creatives: CreativeServices
    render_queue: RenderQueue
    demo: ComposerSeeder
    review: ReviewServices
    calendar: CalendarServices
    timeline: TimelineServices
    campaign_files: CampaignFileServices
    demo_approver: DemoApprover
    status: StatusServices
    playlists: PlaylistServices
    campaigns: CampaignServices
    campaign_content: CampaignContentServices
    plans: PlanServices
    devices: DeviceServices
    player: PlayerServices
    server_key: ServerKeyFile
    checkpoints: CheckpointServices
    ledger: LedgerServices
    audit_reports: AuditReportServices
    audit_exports: AuditExportServices

    @property
    def media_root(self) -> Path:
        """Absolute media store folder."""
        return self.settings.path(self.settings.media.root)


def server_key_path(settings: Settings) -> Path:
    """The server's signing key: beside the Flask secret key, in instance/."""
    return settings.path(settings.server.secret_key_file).parent / SERVER_KEY_FILE


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    engine: Engine | None = None,
    renderer: Renderer | None = None,
) -> Services:
    """Create the engine and bind every service to its adapters."""
    engine = engine or make_engine(settings.database_url, settings.database.busy_timeout_ms)
    clock = clock or SystemClock()
    hasher = hasher or Argon2Hasher()
    uow_factory = SqlUnitOfWorkFactory(engine)
    files = MediaStore(settings.path(settings.media.root))
    renderer = renderer or PillowMoviepyRenderer(
        settings.render.font_file, settings.render.font_families
    )
    defaults = RenderDefaults(settings.render.preset, settings.render.crf)
    creatives = CreativeServices(uow_factory, clock, files, renderer, defaults)
    templates = TemplateServices(uow_factory, clock)
    locations = LocationServices(uow_factory, clock, settings.schedule.default_timezone)
    plans = PlanServices(uow_factory, clock)
    imports = ImportServices(uow_factory, clock, settings.schedule.default_timezone)
    quotes = QuoteServices(uow_factory, clock)
    demo = ComposerSeeder(templates, creatives, locations)
    playlists = PlaylistServices(uow_factory, clock)
    campaigns = CampaignServices(uow_factory, clock)
    documents = DocumentStore(settings.path(settings.media.root))
    campaign_content = CampaignContentServices(uow_factory, clock, documents)
    review = ReviewServices(uow_factory)
    campaign_files = CampaignFileServices(
        imports,
        demo,
        quotes,
        templates,
        creatives,
        locations,
        playlists,
        campaigns,
        campaign_content,
    )
    verifier = Ed25519Verifier()
    server_key = ServerKeyFile(server_key_path(settings))
    audit_reports = AuditReportServices(uow_factory, clock, settings.player.poll_interval_seconds)
    poll_s = settings.player.poll_interval_seconds
    return Services(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        clock=clock,
        users=UserServices(uow_factory, hasher, clock),
        locations=locations,
        audit=AuditServices(uow_factory),
        imports=imports,
        quotes=quotes,
        templates=templates,
        media=MediaServices(uow_factory, files, clock, settings.media.max_upload_mb * 1024 * 1024),
        creatives=creatives,
        render_queue=RenderQueue(uow_factory, clock, creatives),
        demo=demo,
        review=review,
        calendar=CalendarServices(uow_factory, IcsWriter()),
        timeline=TimelineServices(uow_factory),
        status=StatusServices(uow_factory, clock),
        playlists=playlists,
        campaigns=campaigns,
        campaign_content=campaign_content,
        campaign_files=campaign_files,
        demo_approver=DemoApprover(uow_factory, campaigns, review),
        plans=plans,
        devices=DeviceServices(uow_factory, clock, verifier, poll_s),
        player=PlayerServices(uow_factory, clock, plans, verifier, poll_s, SqlPollGate(engine)),
        server_key=server_key,
        checkpoints=CheckpointServices(uow_factory, clock, server_key),
        ledger=LedgerServices(uow_factory, clock, server_key, verifier),
        audit_reports=audit_reports,
        audit_exports=AuditExportServices(
            uow_factory, clock, audit_reports, server_key, OpenpyxlWriter(), ZipBundles()
        ),
    )
