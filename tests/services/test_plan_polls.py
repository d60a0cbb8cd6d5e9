"""The plan a device polls: unchanged inputs give the same answer, every change shows at once.

The player service keeps each device's last built plan with the inputs it came from
(bench/poll.py measures why); these tests hold it to answering like a fresh build.
"""

from __future__ import annotations

import os
import warnings
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
        player.uow_factory,
        player.clock,
        player.plans,
        player.verifier,
        player.poll_interval_s,
        player.gate,
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


def enrolled_token(world: World) -> str:
    key = Ed25519PrivateKey.generate()
    pending = world.s.devices.enrol(public_b64(key), {}, "10.0.0.1")
    world.s.devices.bind_device(world.admin, pending.code, world.centre.id)
    answer = world.s.devices.poll_enrolment(
        public_b64(key), pending.code, poll_signature(key, pending.code)
    )
    assert answer.token is not None
    return answer.token


def test_unchanged_polls_read_no_plan_inputs_and_write_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path: the schedule stamp decides; every change shows at once."""
    import signage.services.player_api as player_module

    token = enrolled_token(world)
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": world.still().id, "duration_ms": 8000}]
    )
    campaign, _ = world.approved_campaign(playlist.playlist.id)
    reads: list[int] = []
    real_read = player_module.read_horizon_inputs

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(player_module, "read_horizon_inputs", counting)

    def poll() -> Any:  # as the route does: token and plan state in one read
        return world.s.player.plan_for_token(token)

    seen = [poll().etag]
    device = world.s.devices.device_for_token(token)
    noted_at = device.last_plan_at
    reads.clear()
    for _ in range(5):
        assert poll().etag == seen[-1]
    assert reads == []  # no approval, blank or location read
    assert world.s.devices.device_for_token(token).last_plan_at == noted_at  # no write

    def changed() -> None:
        answer = poll()
        assert answer.etag not in seen
        assert answer.body == fresh_body(world, world.s.devices.device_for_token(token))
        seen.append(answer.etag)
        assert world.s.devices.device_for_token(token).last_plan_etag == answer.etag

    blank = world.s.campaigns.blank(world.admin, world.centre.id, "order of the city")
    changed()
    world.s.campaigns.lift_blank(world.admin, blank.id, "cleared")
    changed()
    world.s.locations.update_location(
        "admin",
        world.centre.id,
        {"name": "Centre", "screen_width": 1080, "screen_height": 1920, "tags": ["centre"]},
    )
    changed()
    world.s.campaigns.withdraw(world.approver, campaign.id, "refused by the city")
    changed()
    world.clock.advance(timedelta(days=1))  # a new local day
    changed()
    reads.clear()
    assert poll().etag == seen[-1]
    assert reads == []


def test_a_schedule_change_that_leaves_the_plan_is_still_noted_once(world: World) -> None:
    """A take-down elsewhere leaves this plan as it was: its first 304 after is recorded
    (a heartbeat then confirms the device has polled since), the ones after it are not."""
    token = enrolled_token(world)

    def poll() -> Any:
        return world.s.player.plan_for_token(token)

    etag = poll().etag
    poll()
    before = world.s.devices.device_for_token(token).last_plan_at
    assert before is not None
    blank = world.s.campaigns.blank(world.admin, world.market.id, "market only")
    assert poll().etag == etag
    noted = world.s.devices.device_for_token(token).last_plan_at
    assert noted is not None
    assert noted > blank.started_at > before
    with world.s.uow_factory(readonly=True) as uow:
        assert uow.devices.plan_issued_at(world.s.devices.device_for_token(token).id, etag) == noted
    assert poll().etag == etag
    assert world.s.devices.device_for_token(token).last_plan_at == noted


def test_a_revoked_device_is_refused_at_once(world: World) -> None:
    from signage.domain.errors import AuthenticationError

    token = enrolled_token(world)
    device = world.s.devices.device_for_token(token)
    world.s.player.plan_for_token(token)
    world.s.player.plan_for_token(token)  # kept: the next poll would be answered from memory
    world.s.devices.revoke_device(world.admin, device.id, "stolen")
    with pytest.raises(AuthenticationError):
        world.s.devices.device_for_token(token)
    with pytest.raises(AuthenticationError):
        world.s.player.plan_for_token(token)
    with pytest.raises(AuthenticationError):
        world.s.player.plan_for_token("not-a-token")


def test_the_poll_read_survives_a_broken_connection(world: World) -> None:
    """The poll's own connection is replaced when it fails, and the poll still answers."""
    token = enrolled_token(world)
    etag = world.s.player.plan_for_token(token).etag
    gate = world.s.player.gate
    gate._held().driver.close()  # type: ignore[attr-defined]  # as a dropped server would
    assert world.s.player.plan_for_token(token).etag == etag


def test_a_forked_worker_opens_its_own_poll_connection(world: World) -> None:
    """gunicorn forks its workers after the app (and maybe the poll's connection) exists:
    the child must not share the parent's SQLite connection, and still answers."""
    token = enrolled_token(world)
    etag = world.s.player.plan_for_token(token).etag
    gate = world.s.player.gate
    parent_connection = gate._held().driver  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        # Python 3.12+ warns when a process with threads forks; the child here only reads
        # through its own new connection and leaves with os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report by exit code only, never return into pytest
        code = 1
        try:
            fresh = gate._held().driver is not parent_connection  # type: ignore[attr-defined]
            same = world.s.player.plan_for_token(token).etag == etag
            code = 0 if fresh and same else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent keeps its own connection.
    assert gate._held().driver is parent_connection  # type: ignore[attr-defined]
    assert world.s.player.plan_for_token(token).etag == etag


def test_every_location_write_is_a_schedule_change(world: World) -> None:
    """Whatever path edits a location (form, API, CSV import), the repository bumps the
    stamp in the same transaction, so the polls rebuild."""
    device = enrolled(world)
    before = world.s.player.gate.by_device(device.id)
    assert before is not None
    with world.s.uow_factory() as uow:
        location = uow.locations.get(world.centre.id)
        assert location is not None
        uow.locations.update(location.id, location.spec, world.clock.now())
        uow.commit()
    after = world.s.player.gate.by_device(device.id)
    assert after is not None
    assert after.stamp == before.stamp + 1
    assert after.note_due
