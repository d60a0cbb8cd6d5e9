"""A small scheduling world for tests: users per role, two screens, creatives with renders.

Renders are not made here: finished render jobs and their assets are inserted
through the repositories directly, as the worker would leave them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.domain.assets import AssetInfo, AssetKind
from signage.domain.creatives import Creative, CreativeKind, JobStatus, RenderKey
from signage.domain.users import User

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 13:00 in Dushanbe, a Monday
DATES = {"first_date": "2026-06-01", "last_date": "2026-06-10"}
PASSWORD = "correct horse battery"


class TickingClock:
    """Moves 1 ms per reading (so every write has its own instant) and on `advance`."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        self.at += delta
        return self.at


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def build_world(settings: Any, clock: TickingClock) -> Any:
    from signage.adapters.db.migrate import upgrade
    from signage.adapters.passwords import Argon2Hasher
    from signage.bootstrap import build_services

    services = build_services(settings, clock=clock, hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    return services


class World:
    """Users, locations and creatives over real services."""

    def __init__(self, services: Any, clock: TickingClock) -> None:
        self.s = services
        self.clock = clock
        make = services.users.create_user
        self.admin: User = make("test", "admin", PASSWORD, ["admin"])
        self.staff: User = make("test", "staff", PASSWORD, ["staff"])
        self.staff2: User = make("test", "staff2", PASSWORD, ["staff"])
        self.approver: User = make("test", "approver", PASSWORD, ["approver"])
        self.approver2: User = make("test", "approver2", PASSWORD, ["approver"])
        # An approver who also edits: the four-eyes rule must stop them on what they touched.
        self.editor_approver: User = make("test", "lead", PASSWORD, ["approver", "staff"])
        self.auditor: User = make("test", "auditor", PASSWORD, ["auditor"])
        add = services.locations.create_location
        self.centre = add(
            "admin",
            {
                "name": "Central Department Store",
                "screen_width": 1920,
                "screen_height": 1080,
                "tags": ["centre"],
            },
        )
        self.market = add(
            "admin",
            {
                "name": "Mehrgon market",
                "screen_width": 1152,
                "screen_height": 576,
                "tags": ["market"],
            },
        )
        self.templates = services.templates.ensure_builtin_templates("test")

    def asset(self, name: str, kind: AssetKind, duration_ms: int | None = None) -> str:
        digest = sha(name)
        mime = "image/png" if kind is AssetKind.IMAGE else "video/mp4"
        info = AssetInfo(digest, kind, mime, 1920, 1080, duration_ms, 1000)
        with self.s.uow_factory() as uow:
            uow.assets.add(info, name, self.clock.now(), "test")
            uow.commit()
        return digest

    def still(self, name: str = "poster") -> Creative:
        digest = self.asset(name, AssetKind.IMAGE)
        return self.s.creatives.create_asset_creative("staff", digest, name)

    def video(self, name: str = "clip", duration_ms: int = 12_000) -> Creative:
        digest = self.asset(name, AssetKind.VIDEO, duration_ms)
        return self.s.creatives.create_asset_creative("staff", digest, name)

    def quote(self, text: str = "No one shall be subjected to torture.") -> Creative:
        quote = self.s.quotes.create_quote(
            "staff", {"text": text, "language": "en", "author": "UDHR, Article 5"}
        )
        template = self.templates[0]
        with self.s.uow_factory() as uow:
            creative = uow.creatives.add(
                text[:40],
                CreativeKind.QUOTE,
                self.clock.now(),
                "staff",
                quote_version_id=quote.current.id,
                template_version_id=template.version_id,
            )
            uow.commit()
        return creative

    def render(self, creative: Creative, width: int, height: int, tag: str = "") -> str:
        """A finished render of the quote creative at one size; returns the asset hash."""
        digest = sha(f"render {creative.id} {width}x{height} {tag}")
        template = self.templates[0].template
        key = RenderKey(
            creative_id=creative.id,
            width=width,
            height=height,
            duration_ms=round(template.duration_s * 1000),
            fps=template.fps,
            preset="veryfast",
            crf=23,
            font_sha256=sha(f"font {tag}"),
        )
        info = AssetInfo(digest, AssetKind.RENDERED, "video/mp4", width, height, 10_000, 999)
        with self.s.uow_factory() as uow:
            now = self.clock.now()
            uow.assets.add(info, "render.mp4", now, "worker")
            job = uow.render_jobs.add(key, now)
            assert job is not None
            uow.render_jobs.finish(job.id, JobStatus.DONE, now, digest, "")
            uow.commit()
        return digest

    def campaign(self, name: str = "Stop torture", by: User | None = None, **data: Any) -> Any:
        return self.s.campaigns.create_campaign(by or self.staff, {"name": name, **DATES, **data})

    def approved_campaign(
        self, playlist_id: int, name: str = "Stop torture", **entry: Any
    ) -> tuple[Any, Any]:
        """A campaign with one entry on the centre screen, submitted by staff and approved."""
        campaign = self.campaign(name)
        self.s.campaign_content.add_entry(
            self.staff,
            campaign.id,
            {"playlist_id": playlist_id, "location_ids": [self.centre.id], **entry},
        )
        self.s.campaigns.submit(self.staff, campaign.id)
        approval = self.s.campaigns.approve(self.approver, campaign.id)
        return campaign, approval

    def on_air(self, location_id: int, at: datetime | None = None) -> tuple[int, ...]:
        """Approval ids live at a location now (or at `at`)."""
        on = self.s.plans.what_is_on(location_id, at or self.clock.now())
        return on.segment.approval_ids if on.segment is not None else ()

    def actions(self) -> list[str]:
        from signage.services.ports import AuditFilter

        events = self.s.audit.events(AuditFilter(limit=10_000))
        return [e.event.action for e in sorted(events, key=lambda e: e.seq)]
