"""The plan a device polls: unchanged inputs give the same answer, every change shows at once.

The player service keeps each device's last built plan with the inputs it came from
(bench/poll.py measures why); these tests hold it to answering like a fresh build.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage.services.player_api import canonical_json
from tests.conftest import make_settings
from tests.services.schedule_world import TickingClock, World, build_world
from tests.web.route_cases_devices import poll_signature, public_b64


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path), clock)
    yield World(services, clock)
    services.engine.dispose()


def enrolled(world: World) -> Any:
    key = Ed25519PrivateKey.generate()
    pending = world.s.devices.enrol(public_b64(key), {}, "10.0.0.1")
    device = world.s.devices.bind_device(world.admin, pending.code, world.centre.id)
    world.s.devices.poll_enrolment(public_b64(key), pending.code, poll_signature(key, pending.code))
    return device


def fresh_body(world: World, device: Any) -> bytes:
    """What a new service instance (nothing kept) answers now."""
    player = world.s.player
    again = type(player)(
        player.uow_factory, player.clock, player.plans, player.verifier, player.poll_interval_s
    )
    return again.current_plan(device).body


def test_every_change_to_a_polled_plan_shows_at_once(world: World) -> None:
    device = enrolled(world)
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": world.still().id, "duration_ms": 8000}]
    )
    seen = [world.s.player.current_plan(device).etag]

    def changed() -> None:
        answer = world.s.player.current_plan(device)
        assert answer.etag not in seen
        assert answer.body == fresh_body(world, device)
        assert answer.body == canonical_json(answer.document)
        seen.append(answer.etag)

    assert world.s.player.current_plan(device).etag == seen[-1]
    campaign, _ = world.approved_campaign(playlist.playlist.id)
    changed()
    blank = world.s.campaigns.blank(world.admin, world.centre.id, "order of the city")
    changed()
    world.clock.advance(timedelta(minutes=5))
    world.s.campaigns.lift_blank(world.admin, blank.id, "cleared")
    changed()
    world.s.locations.update_location(
        "admin",
        world.centre.id,
        {
            "name": "Central Department Store",
            "screen_width": 1080,
            "screen_height": 1920,
            "tags": ["centre"],
        },
    )
    changed()
    assert world.s.player.current_plan(device).document["screen"] == {
        "width": 1080,
        "height": 1920,
    }
    world.clock.advance(timedelta(days=1))  # a new day: the horizon moves
    changed()
    world.s.campaigns.withdraw(world.approver, campaign.id, "refused by the city")
    changed()
    assert world.s.player.current_plan(device).etag == seen[-1]
