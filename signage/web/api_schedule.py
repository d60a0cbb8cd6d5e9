"""/api/v1 for playlists and campaigns (read), and playlist editing for scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, Field
from spectree import Response as Resp

from signage.domain.users import Role
from signage.web.api_v1 import ERRORS, spec, validated
from signage.web.context import acting_user, services
from signage.web.policy import api_allow
from signage.web.schemas import Problem, Strict

bp = Blueprint("api_schedule", __name__, url_prefix="/api/v1")
EDITORS = (Role.STAFF, Role.ADMIN)
NOT_FOUND = {"HTTP_404": Problem}


class PlaylistItemIn(Strict):
    creative_id: int = Field(ge=1, le=2**31 - 1)
    duration_ms: int | None = Field(default=None, ge=1000, le=3_600_000)


class PlaylistIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    items: list[PlaylistItemIn] = Field(default_factory=list, max_length=200)


class PlaylistItemsIn(Strict):
    items: list[PlaylistItemIn] = Field(max_length=200)


class PlaylistItemOut(BaseModel):
    creative_id: int
    duration_ms: int
    still: bool


class PlaylistOut(BaseModel):
    id: int
    name: str
    items: list[PlaylistItemOut]
    total_duration_ms: int


class PlaylistList(BaseModel):
    items: list[PlaylistOut]


class CampaignOut(BaseModel):
    id: int
    name: str
    description: str
    state: str
    first_date: str
    last_date: str
    approval_in_force: int | None


class CampaignList(BaseModel):
    items: list[CampaignOut]


def _playlist_out(timed: Any) -> PlaylistOut:
    items = [
        PlaylistItemOut(
            creative_id=item.creative_id, duration_ms=ms, still=item.duration_ms is not None
        )
        for item, ms in zip(timed.playlist.items, timed.durations, strict=True)
    ]
    return PlaylistOut(
        id=timed.playlist.id,
        name=timed.playlist.name,
        items=items,
        total_duration_ms=timed.total_duration_ms,
    )


def _campaign_out(campaign: Any) -> CampaignOut:
    approval = services().campaigns.approval_in_force(campaign.id)
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        description=campaign.spec.description,
        state=campaign.state.value,
        first_date=campaign.dates.first.isoformat(),
        last_date=campaign.dates.last.isoformat(),
        approval_in_force=approval.id if approval else None,
    )


@bp.get("/playlists")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=PlaylistList, **ERRORS), tags=["playlists"])
def list_playlists() -> Any:
    """Every playlist with its items and total duration."""
    return PlaylistList(items=[_playlist_out(t) for t in services().playlists.list_playlists()])


@bp.post("/playlists")
@api_allow(*EDITORS)
@spec.validate(json=PlaylistIn, resp=Resp(HTTP_201=PlaylistOut, **ERRORS), tags=["playlists"])
def create_playlist() -> Any:
    """Create a playlist (items optional; a duration only for stills)."""
    body = validated(request.context.json, PlaylistIn)
    items = [i.model_dump() for i in body.items]
    timed = services().playlists.create_playlist(acting_user(), body.name, items)
    return _playlist_out(timed), 201


@bp.get("/playlists/<int:playlist_id>")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=PlaylistOut, **NOT_FOUND, **ERRORS), tags=["playlists"])
def get_playlist(playlist_id: int) -> Any:
    """One playlist."""
    return _playlist_out(services().playlists.get_playlist(playlist_id))


@bp.put("/playlists/<int:playlist_id>/items")
@api_allow(*EDITORS)
@spec.validate(
    json=PlaylistItemsIn,
    resp=Resp(HTTP_200=PlaylistOut, **NOT_FOUND, **ERRORS),
    tags=["playlists"],
)
def set_playlist_items(playlist_id: int) -> Any:
    """Replace the items in order; approved campaigns using the playlist go back to review."""
    body = validated(request.context.json, PlaylistItemsIn)
    items = [i.model_dump() for i in body.items]
    return _playlist_out(services().playlists.set_items(acting_user(), playlist_id, items))


@bp.get("/campaigns")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=CampaignList, **ERRORS), tags=["campaigns"])
def list_campaigns() -> Any:
    """Campaigns with their state and the approval in force."""
    return CampaignList(items=[_campaign_out(c) for c in services().campaigns.list_campaigns()])


@bp.get("/campaigns/<int:campaign_id>")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=CampaignOut, **NOT_FOUND, **ERRORS), tags=["campaigns"])
def get_campaign(campaign_id: int) -> Any:
    """One campaign."""
    return _campaign_out(services().campaigns.get_campaign(campaign_id))
