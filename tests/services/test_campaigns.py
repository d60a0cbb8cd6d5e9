"""Campaign review, approval snapshots, take-down and the plans computed from them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signage.domain.campaigns import CampaignState, WarningKind
from signage.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from signage.domain.plan import SegmentKind
from tests.conftest import make_settings
from tests.services.schedule_world import TickingClock, World, build_world

HOUR = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path), clock)
    yield World(services, clock)
    services.engine.dispose()


def poster_playlist(world: World, name: str = "Posters", ms: int = 8000) -> int:
    still = world.still(f"{name} still")
    made = world.s.playlists.create_playlist(
        world.staff, name, [{"creative_id": still.id, "duration_ms": ms}]
    )
    return int(made.playlist.id)


def submitted(world: World, playlist_id: int, by: Any = None, **entry: Any) -> Any:
    campaign = world.campaign(by=by or world.staff)
    world.s.campaign_content.add_entry(
        by or world.staff,
        campaign.id,
        {"playlist_id": playlist_id, "location_ids": [world.centre.id], **entry},
    )
    return world.s.campaigns.submit(by or world.staff, campaign.id)


# --- four eyes -----------------------------------------------------------------------------


def test_staff_cannot_approve(world: World) -> None:
    campaign = submitted(world, poster_playlist(world))
    for user in (world.staff, world.staff2, world.admin, world.auditor):
        with pytest.raises(PermissionDeniedError):
            world.s.campaigns.approve(user, campaign.id)
    assert world.s.campaigns.get_campaign(campaign.id).state is CampaignState.SUBMITTED


def test_an_approver_cannot_approve_their_own_submission(world: World) -> None:
    campaign = submitted(world, poster_playlist(world), by=world.editor_approver)
    with pytest.raises(PermissionDeniedError, match="submitted"):
        world.s.campaigns.approve(world.editor_approver, campaign.id)
    assert world.s.campaigns.approve(world.approver, campaign.id).approved_by == world.approver.id


def test_an_approver_cannot_approve_what_they_edited_since_the_last_approval(
    world: World,
) -> None:
    playlist = poster_playlist(world)
    campaign = submitted(world, playlist)
    (entry,) = world.s.campaign_content.entries(campaign.id)
    world.s.campaign_content.update_entry(
        world.editor_approver,
        entry.id,
        {"playlist_id": playlist, "location_ids": [world.centre.id], "priority": 60},
    )
    with pytest.raises(PermissionDeniedError, match="edited"):
        world.s.campaigns.approve(world.editor_approver, campaign.id)
    world.s.campaigns.approve(world.approver, campaign.id)
    # After an approval the slate is clean: the next change decides who may approve.
    world.s.campaigns.update_campaign(world.staff, campaign.id, {"last_date": "2026-06-12"})
    assert world.s.campaigns.get_campaign(campaign.id).state is CampaignState.SUBMITTED
    world.s.campaigns.approve(world.editor_approver, campaign.id)


# --- renders ---------------------------------------------------------------------------------


def test_approval_is_refused_while_a_target_screen_size_lacks_its_render(world: World) -> None:
    quote = world.quote()
    centre_sha = world.render(quote, 1920, 1080)
    playlist = world.s.playlists.create_playlist(
        world.staff, "Quotes", [{"creative_id": quote.id}]
    ).playlist.id
    campaign = submitted(world, playlist, location_ids=[world.centre.id], tags=["market"])
    with pytest.raises(ConflictError) as refused:
        world.s.campaigns.approve(world.approver, campaign.id)
    assert refused.value.field == "renders"
    assert "1152x576" in refused.value.reason
    assert world.s.campaigns.approvals(campaign.id) == []
    market_sha = world.render(quote, 1152, 576)
    approval = world.s.campaigns.approve(world.approver, campaign.id)
    (item,) = approval.snapshot.playlists[playlist]
    assert item.assets == {"1920x1080": centre_sha, "1152x576": market_sha}
    assert approval.snapshot.screens == {world.centre.id: "1920x1080", world.market.id: "1152x576"}
    (entry,) = approval.snapshot.entries
    assert entry.entry.location_ids == {world.centre.id, world.market.id}
    assert entry.target_tags == {"market"}


def test_each_screen_plays_the_asset_of_its_own_size(world: World) -> None:
    quote = world.quote()
    centre_sha = world.render(quote, 1920, 1080)
    market_sha = world.render(quote, 1152, 576)
    playlist = world.s.playlists.create_playlist(
        world.staff, "Quotes", [{"creative_id": quote.id}]
    ).playlist.id
    campaign = submitted(world, playlist, location_ids=[world.centre.id, world.market.id])
    approval = world.s.campaigns.approve(world.approver, campaign.id)
    now = world.clock.now()
    for location, digest in ((world.centre, centre_sha), (world.market, market_sha)):
        on = world.s.plans.what_is_on(location.id, now + HOUR)
        assert on.play is not None
        assert on.play.item.asset_key == digest
        plan = world.s.plans.location_plan(location.id, now, now + HOUR)
        assert plan.playlists[(approval.id, playlist)][0].asset_key == digest


# --- changes after approval ------------------------------------------------------------------


def test_a_change_after_approval_goes_back_to_review_while_the_old_approval_plays_on(
    world: World,
) -> None:
    first = poster_playlist(world, "First")
    second = poster_playlist(world, "Second")
    campaign, old = world.approved_campaign(first)
    approved_at = world.clock.now()
    (entry,) = world.s.campaign_content.entries(campaign.id)
    world.clock.advance(HOUR)
    world.s.campaign_content.update_entry(
        world.staff2, entry.id, {"playlist_id": second, "location_ids": [world.centre.id]}
    )
    assert world.s.campaigns.get_campaign(campaign.id).state is CampaignState.SUBMITTED
    assert world.on_air(world.centre.id) == (old.id,)
    world.clock.advance(HOUR)
    new = world.s.campaigns.approve(world.approver, campaign.id)
    assert world.on_air(world.centre.id) == (new.id,)
    plan = world.s.plans.location_plan(world.centre.id, approved_at, world.clock.now() + HOUR)
    assert [s.approval_ids for s in plan.segments] == [(old.id,), (new.id,)]
    assert plan.segments[0].end == new.approved_at
    assert [k[1] for k in plan.playlists] == [first, second]
    assert world.s.campaigns.approvals(campaign.id)[0].superseded_at == new.approved_at


def test_a_rejected_resubmission_keeps_the_old_approval_in_force(world: World) -> None:
    campaign, old = world.approved_campaign(poster_playlist(world))
    world.s.campaigns.update_campaign(world.staff, campaign.id, {"last_date": "2026-06-12"})
    rejected = world.s.campaigns.reject(world.approver, campaign.id, "the permit says 10 days")
    assert rejected.state is CampaignState.REJECTED
    assert world.s.campaigns.approval_in_force(campaign.id) == old
    assert world.on_air(world.centre.id) == (old.id,)
    assert world.s.campaigns.reopen(world.staff, campaign.id).state is CampaignState.DRAFT
    assert world.on_air(world.centre.id) == (old.id,)


def test_a_past_days_plan_stays_what_was_approved_then(world: World) -> None:
    playlist = poster_playlist(world)
    campaign, old = world.approved_campaign(playlist, window="10:00-12:00")
    day_two = (datetime(2026, 6, 2, 0, 0, tzinfo=UTC), datetime(2026, 6, 3, 0, 0, tzinfo=UTC))
    before = world.s.plans.plan_for_location(world.centre.id, *day_two)
    world.clock.advance(timedelta(days=3))
    (entry,) = world.s.campaign_content.entries(campaign.id)
    world.s.campaign_content.update_entry(
        world.staff,
        entry.id,
        {"playlist_id": playlist, "location_ids": [world.centre.id], "window": "18:00-20:00"},
    )
    world.s.campaigns.approve(world.approver, campaign.id)
    assert world.s.plans.plan_for_location(world.centre.id, *day_two) == before
    (shown,) = [s for s in before if s.kind is SegmentKind.CONTENT]
    assert shown.approval_ids == (old.id,)
    assert shown.start == datetime(2026, 6, 2, 5, 0, tzinfo=UTC)  # 10:00 in Dushanbe


# --- take-down -------------------------------------------------------------------------------


def test_withdrawal_removes_the_campaign_from_the_plan_at_once_and_is_final(world: World) -> None:
    campaign, approval = world.approved_campaign(poster_playlist(world))
    assert world.on_air(world.centre.id) == (approval.id,)
    with pytest.raises(PermissionDeniedError):
        world.s.campaigns.withdraw(world.staff, campaign.id)
    withdrawn = world.s.campaigns.withdraw(world.approver2, campaign.id, "refused by the city")
    on = world.s.plans.what_is_on(world.centre.id, withdrawn.withdrawn_at)
    assert on.segment is not None
    assert on.segment.kind is SegmentKind.NOTHING
    assert world.s.campaigns.approvals(campaign.id)[0].withdrawn_at == withdrawn.withdrawn_at
    with pytest.raises(ConflictError):
        world.s.campaigns.update_campaign(world.staff, campaign.id, {"name": "Again"})
    with pytest.raises(ConflictError):
        world.s.campaigns.withdraw(world.admin, campaign.id)
    copy = world.s.campaigns.copy_campaign(world.staff, campaign.id)
    assert copy.state is CampaignState.DRAFT
    assert copy.copied_from == campaign.id
    assert len(world.s.campaign_content.entries(copy.id)) == 1


def test_only_a_campaign_with_an_approval_in_force_can_be_withdrawn(world: World) -> None:
    campaign = submitted(world, poster_playlist(world))
    with pytest.raises(ConflictError):
        world.s.campaigns.withdraw(world.approver, campaign.id)


def test_an_emergency_blank_for_one_location_and_for_all(world: World) -> None:
    playlist = poster_playlist(world)
    _campaign, approval = world.approved_campaign(
        playlist, location_ids=[world.centre.id, world.market.id]
    )
    with pytest.raises(PermissionDeniedError):
        world.s.campaigns.blank(world.approver, world.centre.id, "protest")
    with pytest.raises(ValidationError) as no_reason:
        world.s.campaigns.blank(world.admin, world.centre.id, "  ")
    assert no_reason.value.field == "reason"
    one = world.s.campaigns.blank(world.admin, world.centre.id, "power line works")
    assert world.s.plans.what_is_on(world.centre.id).segment.kind is SegmentKind.BLANK
    assert world.on_air(world.market.id) == (approval.id,)
    everywhere = world.s.campaigns.blank(world.admin, None, "ordered off by the authorities")
    for location in (world.centre, world.market):
        assert world.s.plans.what_is_on(location.id).segment.kind is SegmentKind.BLANK
    world.s.campaigns.lift_blank(world.admin, everywhere.id, "cleared")
    assert world.on_air(world.market.id) == (approval.id,)
    assert world.s.plans.what_is_on(world.centre.id).segment.kind is SegmentKind.BLANK
    world.s.campaigns.lift_blank(world.admin, one.id)
    assert world.on_air(world.centre.id) == (approval.id,)
    with pytest.raises(ConflictError):
        world.s.campaigns.lift_blank(world.admin, one.id)
    assert world.actions().count("blank.start") == 2
    assert world.actions().count("blank.lift") == 2


def test_every_transition_is_in_the_audit_trail(world: World) -> None:
    campaign, _ = world.approved_campaign(poster_playlist(world))
    world.s.campaigns.update_campaign(world.staff, campaign.id, {"last_date": "2026-06-11"})
    world.s.campaigns.reject(world.approver, campaign.id, "no")
    world.s.campaigns.reopen(world.staff, campaign.id)
    world.s.campaigns.submit(world.staff, campaign.id)
    world.s.campaigns.approve(world.approver, campaign.id)
    world.s.campaigns.withdraw(world.approver, campaign.id, "taken down")
    transitions = [a for a in world.actions() if a.startswith("campaign.") and "entry" not in a]
    assert transitions == [
        "campaign.create",
        "campaign.submit",
        "campaign.approve",
        "campaign.resubmit",  # new dates: back to review, with who and why
        "campaign.update",
        "campaign.reject",
        "campaign.reopen",
        "campaign.submit",
        "campaign.approve",
        "campaign.withdraw",
    ]
    assert world.actions().count("approval.create") == 2


# --- bad entries -----------------------------------------------------------------------------

BAD_ENTRIES = [
    ({"first_date": "2026-06-05", "last_date": "2026-06-02"}, "dates"),
    ({"first_date": "2026-05-30", "last_date": "2026-06-02"}, "dates"),
    ({"last_date": "2026-06-11"}, "dates"),
    ({"first_date": "June 1"}, "first_date"),
    ({"window": "10:00-10:00"}, "window"),
    ({"window": "25:00-10:00"}, "window"),
    ({"location_ids": [999]}, "location_ids"),
    ({"location_ids": [], "tags": ["nowhere"]}, "tags"),
    ({"location_ids": []}, "targets"),
    ({"priority": 101}, "priority"),
    ({"priority": -1}, "priority"),
    ({"priority": "high"}, "priority"),
    ({"weekdays": ["someday"]}, "weekdays"),
    ({"playlist_id": 999}, "playlist_id"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ENTRIES)
def test_bad_entry_input_names_the_field_and_writes_nothing(
    world: World, change: dict[str, Any], field: str
) -> None:
    playlist = poster_playlist(world)
    campaign, approval = world.approved_campaign(playlist)
    events = len(world.actions())
    good = {"playlist_id": playlist, "location_ids": [world.centre.id]}
    with pytest.raises(ValidationError) as refused:
        world.s.campaign_content.add_entry(world.staff, campaign.id, {**good, **change})
    assert refused.value.field == field
    assert len(world.actions()) == events
    assert len(world.s.campaign_content.entries(campaign.id)) == 1
    after = world.s.campaigns.get_campaign(campaign.id)
    assert after.state is CampaignState.APPROVED
    assert world.s.campaigns.approval_in_force(campaign.id) == approval


def test_an_entry_window_may_cross_midnight(world: World) -> None:
    campaign = world.campaign()
    entry = world.s.campaign_content.add_entry(
        world.staff,
        campaign.id,
        {
            "playlist_id": poster_playlist(world),
            "tags": ["centre"],
            "window": "22:00-02:00",
            "weekdays": ["fri", "sat"],
            "priority": 0,
        },
    )
    assert entry.window.crosses_midnight
    assert entry.weekdays == {4, 5}
    assert entry.priority == 0


# --- warnings --------------------------------------------------------------------------------


def test_schedule_warnings_name_entries_that_never_play(world: World) -> None:
    playlist = poster_playlist(world)
    world.approved_campaign(playlist, "Loud", priority=90)
    world.s.locations.update_location(
        "admin",
        world.market.id,
        {
            "name": "Mehrgon market",
            "screen_width": 1152,
            "screen_height": 576,
            "tags": ["market"],
            "operating_hours": {
                d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
    )
    empty = world.s.playlists.create_playlist(world.staff, "Empty").playlist.id
    quote = world.quote()
    quotes = world.s.playlists.create_playlist(
        world.staff, "Quotes", [{"creative_id": quote.id}]
    ).playlist.id
    campaign = world.campaign("Quiet")
    add = world.s.campaign_content.add_entry
    shadowed = add(world.staff, campaign.id, {"playlist_id": playlist, "tags": ["centre"]})
    night = add(
        world.staff,
        campaign.id,
        {"playlist_id": playlist, "location_ids": [world.market.id], "window": "22:00-23:00"},
    )
    hollow = add(world.staff, campaign.id, {"playlist_id": empty, "tags": ["market"]})
    unrendered = add(
        world.staff, campaign.id, {"playlist_id": quotes, "location_ids": [world.market.id]}
    )
    found = {(w.entry_id, w.kind) for w in world.s.plans.schedule_warnings(campaign.id)}
    assert found == {
        (shadowed.id, WarningKind.SHADOWED),
        (night.id, WarningKind.OUTSIDE_HOURS),
        (hollow.id, WarningKind.EMPTY_PLAYLIST),
        (unrendered.id, WarningKind.MISSING_RENDER),
    }


# --- documents -------------------------------------------------------------------------------


def test_a_permit_letter_is_stored_by_its_hash_and_other_files_are_refused(world: World) -> None:
    campaign = world.campaign()
    pdf = b"%PDF-1.4\n% permit of the city administration\n"
    doc = world.s.campaign_content.attach_document(
        world.staff, campaign.id, io.BytesIO(pdf), "../permit.pdf"
    )
    assert doc.mime == "application/pdf"
    assert doc.original_name == "permit.pdf"
    _doc, path = world.s.campaign_content.document_file(doc.id)
    assert path.read_bytes() == pdf
    assert path.is_relative_to(world.s.media_root)
    assert doc.sha256 in path.name
    with pytest.raises(ValidationError) as refused:
        world.s.campaign_content.attach_document(
            world.staff, campaign.id, io.BytesIO(b"MZ not a permit"), "permit.pdf"
        )
    assert refused.value.field == "document"
    assert [d.id for d in world.s.campaign_content.documents(campaign.id)] == [doc.id]
