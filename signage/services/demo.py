"""Turning a campaign file's quotes into creatives with renders queued for every screen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signage.domain.campaigns import CampaignState
from signage.domain.creatives import RenderJob
from signage.domain.errors import ValidationError
from signage.services.campaigns import CampaignServices
from signage.services.creatives import CreativeServices
from signage.services.library import TemplateServices
from signage.services.locations import LocationServices
from signage.services.ports import UnitOfWorkFactory
from signage.services.review import ReviewServices


@dataclass(frozen=True, slots=True)
class ComposerSeeder:
    """Creates each quote's rendering and queues it for every location's screen size."""

    templates: TemplateServices
    creatives: CreativeServices
    locations: LocationServices

    def queue_renders(
        self, actor: str, document: Mapping[str, Any], quote_ids: Mapping[str, int]
    ) -> list[RenderJob]:
        """Idempotent: known creatives and render keys are reused, not duplicated."""
        self.templates.ensure_builtin_templates(actor)
        by_name = {t.template.name: t.template_id for t in self.templates.list_templates()}
        sizes = sorted(
            {
                (loc.spec.screen_width, loc.spec.screen_height)
                for loc in self.locations.list_locations()
            }
        )
        jobs: list[RenderJob] = []
        for index, item in enumerate(document.get("quotes") or []):
            key = str(item.get("key") or f"quote-{index + 1}")
            template_name = str(item.get("template") or "")
            if template_name not in by_name:
                raise ValidationError(f"quotes[{index}].template", f"no template '{template_name}'")
            creative = self.creatives.create_quote_creative(
                actor, quote_ids[key], by_name[template_name], None, key
            )
            jobs.extend(self.creatives.request_render(actor, creative.id, s) for s in sizes)
        return jobs


@dataclass(frozen=True, slots=True)
class DemoApprover:
    """Approves the demo campaign as the demo approver once every render exists."""

    uow_factory: UnitOfWorkFactory
    campaigns: CampaignServices
    review: ReviewServices

    def approve_when_ready(self, campaign_id: int, approver: str) -> bool:
        """True once the campaign is approved (now or before); False while renders are missing."""
        campaign = self.campaigns.get_campaign(campaign_id)
        if campaign.state is not CampaignState.SUBMITTED:
            return campaign.state is CampaignState.APPROVED
        if self.review.review(campaign_id).missing:
            return False
        with self.uow_factory(readonly=True) as uow:
            user = uow.users.by_username(approver)
        if user is None:
            raise ValidationError("approver", f"no user '{approver}'")
        self.campaigns.approve(user, campaign_id)
        return True
