"""Scheduling on real databases (SQLite, then PostgreSQL): review, snapshots, plans, take-down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signage.domain.campaigns import CampaignState
from signage.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from signage.domain.plan import SegmentKind
from tests.conftest import make_settings
from tests.services.schedule_world import TickingClock, World, build_world

HOUR = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, database_url), clock)
    yield World(services, clock)
    services.engine.dispose()


def quote_playlist(world: World) -> tuple[int, Any]:
    quote = world.quote("Никто не должен подвергаться пыткам.")
    playlist = world.s.playlists.create_playlist(
        world.staff, "Article 5", [{"creative_id": quote.id}]
    )
    return playlist.playlist.id, quote


def test_four_eyes_and_missing_renders_are_enforced(world: World) -> None:
    playlist, quote = quote_playlist(world)
    campaign = world.campaign(by=world.editor_approver)
    world.s.campaign_content.add_entry(
        world.editor_approver,
        campaign.id,
        {"playlist_id": playlist, "tags": ["centre", "market"], "window": "22:00-02:00"},
    )
    world.s.campaigns.submit(world.editor_approver, campaign.id)
    with pytest.raises(PermissionDeniedError):
        world.s.campaigns.approve(world.staff, campaign.id)
    with pytest.raises(PermissionDeniedError):
        world.s.campaigns.approve(world.editor_approver, campaign.id)
    world.render(quote, 1920, 1080)
    with pytest.raises(ConflictError, match="1152x576"):
        world.s.campaigns.approve(world.approver, campaign.id)
    market = world.render(quote, 1152, 576)
    approval = world.s.campaigns.approve(world.approver, campaign.id)
    (stored,) = world.s.campaigns.approvals(campaign.id)
    assert stored == approval  # the JSON snapshot reads back exactly
    assert stored.snapshot.playlists[playlist][0].assets["1152x576"] == market
    assert stored.approved_at.tzinfo is not None


def test_old_approval_plays_until_the_new_one_and_survives_a_rejection(world: World) -> None:
    playlist, quote = quote_playlist(world)
    world.render(quote, 1920, 1080)
    campaign, first = world.approved_campaign(playlist)
    start = world.clock.now()
    world.clock.advance(HOUR)
    world.s.campaigns.update_campaign(world.staff2, campaign.id, {"last_date": "2026-06-12"})
    assert world.s.campaigns.get_campaign(campaign.id).state is CampaignState.SUBMITTED
    world.s.campaigns.reject(world.approver, campaign.id, "dates not in the permit")
    assert world.on_air(world.centre.id) == (first.id,)
    world.s.campaigns.reopen(world.staff2, campaign.id)
    world.s.campaigns.submit(world.staff2, campaign.id)
    world.clock.advance(HOUR)
    second = world.s.campaigns.approve(world.approver2, campaign.id)
    plan = world.s.plans.plan_for_location(world.centre.id, start, world.clock.now() + HOUR)
    assert [s.approval_ids for s in plan] == [(first.id,), (second.id,)]
    assert plan[0].end == second.approved_at


def test_withdrawal_and_blanks_take_content_off_at_once(world: World) -> None:
    still = world.still()
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist.id
    campaign, approval = world.approved_campaign(
        playlist, location_ids=[world.centre.id, world.market.id]
    )
    blank = world.s.campaigns.blank(world.admin, world.market.id, "roadworks")
    assert world.s.plans.what_is_on(world.market.id).segment.kind is SegmentKind.BLANK
    assert world.on_air(world.centre.id) == (approval.id,)
    everywhere = world.s.campaigns.blank(world.admin, None, "city order")
    assert world.s.plans.what_is_on(world.centre.id).segment.kind is SegmentKind.BLANK
    world.s.campaigns.lift_blank(world.admin, everywhere.id, "order lifted")
    world.s.campaigns.lift_blank(world.admin, blank.id, "done")
    assert world.on_air(world.market.id) == (approval.id,)
    withdrawn = world.s.campaigns.withdraw(world.approver, campaign.id, "permit revoked")
    for location in (world.centre, world.market):
        on = world.s.plans.what_is_on(location.id, withdrawn.withdrawn_at)
        assert on.segment is not None
        assert on.segment.kind is SegmentKind.NOTHING
    assert world.s.campaigns.blanks(active_only=True) == []


def test_editing_a_shared_playlist_resubmits_each_approved_campaign(world: World) -> None:
    still, video = world.still(), world.video()
    shared = world.s.playlists.create_playlist(
        world.staff, "Shared", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist.id
    first, _ = world.approved_campaign(shared, "First")
    second, _ = world.approved_campaign(shared, "Second")
    world.s.playlists.reorder_items(world.staff, shared, [0])  # no change, no review
    assert world.s.campaigns.get_campaign(first.id).state is CampaignState.APPROVED
    world.s.playlists.add_item(world.staff2, shared, video.id)
    for campaign in (first, second):
        assert world.s.campaigns.get_campaign(campaign.id).state is CampaignState.SUBMITTED


def test_bad_entry_input_writes_nothing(world: World) -> None:
    still = world.still()
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist.id
    campaign = world.campaign()
    events = len(world.actions())
    for change, field in (
        ({"first_date": "2026-06-04", "last_date": "2026-06-03"}, "dates"),
        ({"last_date": "2026-07-01"}, "dates"),
        ({"window": "08:00-08:00"}, "window"),
        ({"location_ids": [world.centre.id, 4242]}, "location_ids"),
        ({"priority": 150}, "priority"),
    ):
        with pytest.raises(ValidationError) as refused:
            world.s.campaign_content.add_entry(
                world.staff,
                campaign.id,
                {"playlist_id": playlist, "location_ids": [world.centre.id], **change},
            )
        assert refused.value.field == field
    assert world.s.campaign_content.entries(campaign.id) == []
    assert len(world.actions()) == events


def test_a_past_days_plan_stays_what_was_approved_then(world: World) -> None:
    still = world.still()
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist.id
    campaign, first = world.approved_campaign(playlist, window="10:00-12:00")
    day = (datetime(2026, 6, 2, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC))
    before = world.s.plans.location_plan(world.centre.id, *day)
    world.clock.advance(timedelta(days=4))
    world.s.playlists.add_item(world.staff, playlist, world.video().id)
    world.s.campaigns.approve(world.approver, campaign.id)
    world.s.campaigns.withdraw(world.approver, campaign.id)
    after = world.s.plans.location_plan(world.centre.id, *day)
    assert after == before
    assert [len(items) for items in after.playlists.values()] == [1]
    assert {k[0] for k in after.playlists} == {first.id}
