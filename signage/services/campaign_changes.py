"""What every change to a campaign's content does: editor noted, approved → back to review."""

from __future__ import annotations

from dataclasses import replace

from signage.domain.campaigns import Campaign, CampaignAction, CampaignState, next_state
from signage.domain.creatives import CreativeKind
from signage.domain.errors import NotFoundError, ValidationError, valid_id
from signage.domain.playlists import CreativeTiming
from signage.domain.users import User
from signage.services.audit import record_event
from signage.services.ports import Clock, UnitOfWork


def campaign_or_404(uow: UnitOfWork, campaign_id: int) -> Campaign:
    """The campaign, or NotFoundError."""
    campaign = uow.campaigns.get(campaign_id) if valid_id(campaign_id) else None
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return campaign


def note_edit(uow: UnitOfWork, clock: Clock, user: User, campaign: Campaign) -> Campaign:
    """Remember that `user` edited the campaign (four-eyes), without a change of state."""
    if campaign.state is CampaignState.WITHDRAWN:
        next_state(campaign.state, CampaignAction.CHANGE, approval_in_force=False)
    changed = replace(campaign, editor_ids=campaign.editor_ids | {user.id}, updated_at=clock.now())
    uow.campaigns.save(changed)
    return changed


def content_changed(
    uow: UnitOfWork, clock: Clock, user: User, campaign: Campaign, why: str
) -> Campaign:
    """Apply a change of content or targets: approved → submitted, rejected → draft.

    The approval in force stays in force; the editor becomes the submitter of
    the resubmission, so they cannot approve it themselves.
    """
    state = next_state(campaign.state, CampaignAction.CHANGE, approval_in_force=False)
    now = clock.now()
    changed = replace(
        campaign, state=state, editor_ids=campaign.editor_ids | {user.id}, updated_at=now
    )
    if campaign.state is CampaignState.APPROVED:
        changed = replace(changed, submitted_by=user.id, submitted_at=now)
    uow.campaigns.save(changed)
    if state is not campaign.state:
        action = "campaign.resubmit" if state is CampaignState.SUBMITTED else "campaign.reopen"
        record_event(
            uow,
            clock,
            user.username,
            action,
            "campaign",
            campaign.id,
            {"state": campaign.state.value},
            {"state": state.value},
            reason=why,
        )
    return changed


def creative_timing(uow: UnitOfWork, creative_id: int) -> CreativeTiming:
    """Whether a creative is a still, and how long it plays when it is not."""
    creative = uow.creatives.get(creative_id) if valid_id(creative_id) else None
    if creative is None:
        raise ValidationError("creative_id", f"creative {creative_id} does not exist")
    if creative.kind is CreativeKind.ASSET:
        assert creative.asset_sha256 is not None
        asset = uow.assets.get(creative.asset_sha256)
        if asset is None:
            raise ValidationError("creative_id", f"creative {creative_id} lost its file")
        return CreativeTiming(
            creative.id, creative.kind, asset.info.is_still, asset.info.duration_ms
        )
    assert creative.template_version_id is not None
    template = uow.templates.version(creative.template_version_id)
    if template is None:
        raise ValidationError("creative_id", f"creative {creative_id} lost its template")
    return CreativeTiming(
        creative.id, creative.kind, False, round(template.template.duration_s * 1000)
    )
