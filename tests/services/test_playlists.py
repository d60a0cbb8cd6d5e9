"""Playlist use cases: items, durations, reordering, and edits sending campaigns to review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signage.domain.campaigns import CampaignState
from signage.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from tests.conftest import make_settings
from tests.services.schedule_world import TickingClock, World, build_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path), clock)
    yield World(services, clock)
    services.engine.dispose()


def creatives(world: World) -> tuple[Any, Any, Any]:
    quote = world.quote()
    world.render(quote, 1920, 1080)
    return world.still(), world.video(duration_ms=12_000), quote


def test_items_keep_their_order_and_add_up_to_the_total_duration(world: World) -> None:
    still, video, quote = creatives(world)
    playlist = world.s.playlists.create_playlist(
        world.staff,
        "Article 5",
        [
            {"creative_id": still.id, "duration_ms": 8000},
            {"creative_id": video.id},
            {"creative_id": quote.id},
        ],
    )
    quote_ms = round(world.templates[0].template.duration_s * 1000)
    assert [i.creative_id for i in playlist.playlist.items] == [still.id, video.id, quote.id]
    assert playlist.durations == (8000, 12_000, quote_ms)
    assert playlist.total_duration_ms == 20_000 + quote_ms
    assert world.s.playlists.get_playlist(playlist.playlist.id) == playlist


def test_a_still_needs_a_duration_and_a_video_brings_its_own(world: World) -> None:
    still, video, _quote = creatives(world)
    with pytest.raises(ValidationError) as no_duration:
        world.s.playlists.create_playlist(world.staff, "A", [{"creative_id": still.id}])
    assert no_duration.value.field == "duration"
    with pytest.raises(ValidationError) as too_short:
        world.s.playlists.create_playlist(
            world.staff, "A", [{"creative_id": still.id, "duration_ms": 10}]
        )
    assert too_short.value.field == "duration"
    with pytest.raises(ValidationError) as video_duration:
        world.s.playlists.create_playlist(
            world.staff, "A", [{"creative_id": video.id, "duration_ms": 5000}]
        )
    assert video_duration.value.field == "duration"
    with pytest.raises(ValidationError) as unknown:
        world.s.playlists.create_playlist(world.staff, "A", [{"creative_id": 999}])
    assert unknown.value.field == "creative_id"
    assert world.s.playlists.list_playlists() == []


def test_items_are_added_removed_and_reordered(world: World) -> None:
    still, video, quote = creatives(world)
    made = world.s.playlists.create_playlist(world.staff, "Mix")
    pid = made.playlist.id
    world.s.playlists.add_item(world.staff, pid, still.id, 5000)
    world.s.playlists.add_item(world.staff, pid, video.id)
    world.s.playlists.add_item(world.staff, pid, quote.id)
    moved = world.s.playlists.reorder_items(world.staff, pid, [2, 0, 1])
    assert [i.creative_id for i in moved.playlist.items] == [quote.id, still.id, video.id]
    with pytest.raises(ValidationError) as bad_order:
        world.s.playlists.reorder_items(world.staff, pid, [0, 0, 1])
    assert bad_order.value.field == "order"
    fewer = world.s.playlists.remove_item(world.staff, pid, 1)
    assert [i.creative_id for i in fewer.playlist.items] == [quote.id, video.id]
    with pytest.raises(ValidationError):
        world.s.playlists.remove_item(world.staff, pid, 5)
    assert "playlist.edit" in world.actions()


def test_only_staff_and_admins_edit_playlists(world: World) -> None:
    for user in (world.auditor, world.approver):
        with pytest.raises(PermissionDeniedError):
            world.s.playlists.create_playlist(user, "Nope")
    assert world.s.playlists.create_playlist(world.admin, "Admin's").playlist.name == "Admin's"


def test_editing_a_shared_playlist_sends_each_approved_campaign_back_to_review(
    world: World,
) -> None:
    still, video, _quote = creatives(world)
    shared = world.s.playlists.create_playlist(
        world.staff, "Shared", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist
    first, first_approval = world.approved_campaign(shared.id, "First")
    second, _ = world.approved_campaign(shared.id, "Second")
    draft = world.campaign("Draft")
    world.s.campaign_content.add_entry(
        world.staff, draft.id, {"playlist_id": shared.id, "location_ids": [world.centre.id]}
    )
    world.s.playlists.add_item(world.staff2, shared.id, video.id)
    for campaign in (first, second):
        after = world.s.campaigns.get_campaign(campaign.id)
        assert after.state is CampaignState.SUBMITTED
        assert after.submitted_by == world.staff2.id
    assert world.s.campaigns.get_campaign(draft.id).state is CampaignState.DRAFT
    assert world.actions().count("campaign.resubmit") == 2
    # The old approvals stay in force meanwhile, with the items approved then.
    assert world.s.campaigns.approval_in_force(first.id) == first_approval
    items = first_approval.snapshot.playlists[shared.id]
    assert [i.creative_id for i in items] == [still.id]


def test_a_scheduled_playlist_cannot_be_deleted(world: World) -> None:
    still, _video, _quote = creatives(world)
    playlist = world.s.playlists.create_playlist(
        world.staff, "Used", [{"creative_id": still.id, "duration_ms": 8000}]
    ).playlist
    world.approved_campaign(playlist.id)
    with pytest.raises(ConflictError):
        world.s.playlists.delete_playlist(world.staff, playlist.id)
    unused = world.s.playlists.create_playlist(world.staff, "Unused").playlist
    world.s.playlists.delete_playlist(world.staff, unused.id)
    assert [p.playlist.id for p in world.s.playlists.list_playlists()] == [playlist.id]
