"""Device services: enrolment, binding, tokens, revocation, heartbeats, plays, alerts, reach."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import select

from signage.adapters.db import tables as t
from signage.domain.devices import (
    ENROL_LIMIT,
    DeviceState,
    EnrolmentRateLimitedError,
    ReachKind,
    normalise_code,
)
from signage.domain.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    ValidationError,
)
from signage.domain.playlog import GENESIS_HASH, canonical_bytes, record_hash
from signage.services.devices import EnrolmentExpiredError
from tests.conftest import make_settings
from tests.services.schedule_world import TickingClock, World, build_world
from tests.web.route_cases_devices import poll_signature, public_b64


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path), clock)
    yield World(services, clock)
    services.engine.dispose()


def enrolled(world: World, location_id: int | None = None) -> tuple[Any, str, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    pending = world.s.devices.enrol(public_b64(key), {"screen_size": "1920x1080"}, "10.0.0.1")
    device = world.s.devices.bind_device(
        world.admin, pending.code, location_id or world.centre.id, pending.fingerprint
    )
    answer = world.s.devices.poll_enrolment(
        public_b64(key), pending.code, poll_signature(key, pending.code)
    )
    return device, answer.token, key


def signed(key: Ed25519PrivateKey, device_id: int, seq: int, **change: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "device_id": device_id,
        "seq": seq,
        "location_id": 1,
        "asset_sha256": "a" * 64,
        "playlist_id": 1,
        "entry_id": 1,
        "approval_id": 1,
        "started_at_ms": 1_780_300_860_000,
        "ended_at_ms": 1_780_300_868_000,
        "device_clock_offset_ms": 0,
        "clock_verified": True,
        "status": "completed",
        "reason": None,
        "prev_hash": GENESIS_HASH,
        **change,
    }
    signature = base64.b64encode(key.sign(canonical_bytes(record))).decode()
    return {**record, "signature": signature}


def test_an_open_enrolment_keeps_its_code_and_addresses_are_rate_limited(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    first = world.s.devices.enrol(public_b64(key), {}, "10.0.0.9")
    again = world.s.devices.enrol(public_b64(key), {}, "10.0.0.9")
    assert again.code == first.code
    assert normalise_code(first.code.lower()[:4] + "-" + first.code[4:]) == first.code
    for _ in range(ENROL_LIMIT - 1):
        world.s.devices.enrol(public_b64(Ed25519PrivateKey.generate()), {}, "10.0.0.9")
    with pytest.raises(EnrolmentRateLimitedError) as limited:
        world.s.devices.enrol(public_b64(Ed25519PrivateKey.generate()), {}, "10.0.0.9")
    assert 0 < limited.value.retry_after_s <= 15 * 60
    world.s.devices.enrol(public_b64(Ed25519PrivateKey.generate()), {}, "10.0.0.10")


def test_bad_keys_and_facts_are_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="public_key"):
        world.s.devices.enrol("not base64!", {}, "10.0.0.1")
    with pytest.raises(ValidationError, match="32"):
        world.s.devices.enrol(base64.b64encode(b"short").decode(), {}, "10.0.0.1")
    with pytest.raises(ValidationError, match="facts"):
        world.s.devices.enrol(public_b64(Ed25519PrivateKey.generate()), ["x"], "10.0.0.1")


def test_binding_checks_role_fingerprint_code_and_expiry(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    pending = world.s.devices.enrol(public_b64(key), {}, "10.0.0.1")
    with pytest.raises(PermissionDeniedError):
        world.s.devices.bind_device(world.staff, pending.code, world.centre.id)
    with pytest.raises(ValidationError, match="fingerprint"):
        world.s.devices.bind_device(world.admin, pending.code, world.centre.id, "0000 1111")
    assert world.s.devices.pending_enrolment(pending.code).fingerprint == pending.fingerprint
    spaced = pending.fingerprint.upper().replace(" ", "")
    device = world.s.devices.bind_device(world.admin, pending.code, world.centre.id, spaced)
    assert device.fingerprint == pending.fingerprint
    with pytest.raises(ConflictError):
        world.s.devices.bind_device(world.admin, pending.code, world.market.id)
    assert "device.bind" in world.actions()

    late = world.s.devices.enrol(public_b64(Ed25519PrivateKey.generate()), {}, "10.0.0.1")
    world.clock.advance(timedelta(minutes=16))
    with pytest.raises(ValidationError, match="expired"):
        world.s.devices.bind_device(world.admin, late.code, world.market.id)


def test_the_token_goes_only_to_the_key_holder_and_is_stored_hashed(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    public = public_b64(key)
    pending = world.s.devices.enrol(public, {}, "10.0.0.1")
    assert not world.s.devices.poll_enrolment(
        public, pending.code, poll_signature(key, pending.code)
    ).enrolled
    world.s.devices.bind_device(world.admin, pending.code, world.centre.id)
    thief = Ed25519PrivateKey.generate()
    with pytest.raises(AuthenticationError):
        world.s.devices.poll_enrolment(public, pending.code, poll_signature(thief, pending.code))
    answer = world.s.devices.poll_enrolment(public, pending.code, poll_signature(key, pending.code))
    assert answer.enrolled
    assert answer.token.startswith("sgd_")
    assert len(base64.urlsafe_b64decode(answer.token[4:] + "=")) == 32  # 256 bits
    device = world.s.devices.device_for_token(answer.token)
    with world.s.engine.connect() as conn:
        stored = conn.execute(select(t.devices.c.token_hash)).scalar_one()
    assert stored == hashlib.sha256(answer.token.encode()).hexdigest()
    world.s.player.current_plan(device)  # the token is in use now
    with pytest.raises(ConflictError):
        world.s.devices.poll_enrolment(public, pending.code, poll_signature(key, pending.code))


def test_an_expired_code_is_reported_to_the_polling_device(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    pending = world.s.devices.enrol(public_b64(key), {}, "10.0.0.1")
    world.clock.advance(timedelta(minutes=15))
    with pytest.raises(EnrolmentExpiredError):
        world.s.devices.poll_enrolment(
            public_b64(key), pending.code, poll_signature(key, pending.code)
        )


def test_a_replacement_takes_over_and_a_revoked_key_cannot_enrol_again(world: World) -> None:
    old, old_token, old_key = enrolled(world)
    new, new_token, _ = enrolled(world)
    with pytest.raises(AuthenticationError):
        world.s.devices.device_for_token(old_token)
    assert world.s.devices.device_for_token(new_token).id == new.id
    states = {v.device.id: v.device.state for v in world.s.devices.list_devices()}
    assert states == {old.id: DeviceState.REPLACED, new.id: DeviceState.ACTIVE}
    with pytest.raises(PermissionDeniedError):
        world.s.devices.enrol(public_b64(old_key), {}, "10.0.0.1")
    world.s.devices.revoke_device(world.admin, new.id, "stolen")
    with pytest.raises(AuthenticationError):
        world.s.devices.device_for_token(new_token)
    with pytest.raises(ConflictError):
        world.s.devices.revoke_device(world.admin, new.id)
    assert "device.revoke" in world.actions()


def test_plan_etag_stays_through_the_day_and_a_blank_changes_it(world: World) -> None:
    device, _, _ = enrolled(world)
    first = world.s.player.current_plan(device)
    world.clock.advance(timedelta(hours=2))
    assert world.s.player.current_plan(device).etag == first.etag
    assert b"server" not in first.body
    assert first.etag == '"' + hashlib.sha256(first.body).hexdigest() + '"'
    world.s.campaigns.blank(world.admin, world.centre.id, "order of the city")
    blanked = world.s.player.current_plan(device)
    assert blanked.etag != first.etag
    assert blanked.document["segments"][-1]["kind"] == "blank"


def plan_ids_of(world: World) -> dict[str, Any]:
    """The ids of a real approval on the centre screen, as its plan hands them out."""
    poster = world.still("poster")
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": poster.id, "duration_ms": 8000}]
    )
    _campaign, approval = world.approved_campaign(playlist.playlist.id)
    return {
        "location_id": world.centre.id,
        "approval_id": approval.id,
        "entry_id": approval.snapshot.entries[0].entry.id,
        "playlist_id": playlist.playlist.id,
        "asset_sha256": poster.asset_sha256,
    }


def test_plays_are_checked_and_answered_one_by_one(world: World) -> None:
    ids = plan_ids_of(world)
    device, token, key = enrolled(world)
    device = world.s.devices.device_for_token(token)
    first = signed(key, device.id, 1, **ids)
    second = signed(
        key,
        device.id,
        2,
        prev_hash=record_hash(canonical_bytes(first), first["signature"]),
        ended_at_ms=1_780_300_000_000,
        **ids,
    )
    broken_link = signed(key, device.id, 3, prev_hash="b" * 64, **ids)
    foreign = signed(key, device.id + 1, 4)
    malformed = {**signed(key, device.id, 5), "seq": 1.5}
    results = world.s.player.record_plays(
        device, [first, second, broken_link, foreign, malformed, "nonsense"]
    )
    assert [r.status for r in results] == [
        "accepted",
        "accepted",
        "accepted",
        "quarantined",
        "quarantined",
        "quarantined",
    ]
    assert results[0].reason is None
    assert results[1].reason == "ends before it starts"  # kept in the chain, excluded later
    assert "prev_hash" in (results[2].reason or "")
    assert "not this device" in (results[3].reason or "")
    assert "malformed" in (results[4].reason or "")
    detail = world.s.devices.device_detail(device.id)
    assert detail.play_count == 3
    assert len(detail.quarantined) == 3
    retried = world.s.player.record_plays(device, [foreign])
    assert retried[0].status == "quarantined"
    assert len(world.s.devices.device_detail(device.id).quarantined) == 3  # kept once
    same_seq = signed(key, device.id, 1)
    assert world.s.player.record_plays(device, [same_seq])[0].reason.startswith("conflicting seq")
    with pytest.raises(ValidationError, match="1000"):
        world.s.player.record_plays(device, [first] * 1001)


def test_each_signature_verdict_lands_on_its_own_record(world: World) -> None:
    """Records refused before the signature check (malformed, foreign, not an object) sit
    before, between and after signed ones; the signatures are checked in one call, and
    each answer must still belong to the record at its position."""
    device, token, key = enrolled(world)
    device = world.s.devices.device_for_token(token)
    first = signed(key, device.id, 1)
    tampered = {**signed(key, device.id, 2), "ended_at_ms": 1_780_300_869_000}
    second = signed(
        key, device.id, 2, prev_hash=record_hash(canonical_bytes(first), first["signature"])
    )
    batch = [
        {**signed(key, device.id, 7), "seq": 1.5},
        first,
        signed(key, device.id + 1, 8),
        tampered,
        "nonsense",
        second,
        {**signed(key, device.id, 9), "signature": "AAAA"},
    ]
    results = world.s.player.record_plays(device, batch)
    assert [r.status for r in results] == [
        "quarantined",
        "accepted",
        "quarantined",
        "quarantined",
        "quarantined",
        "accepted",
        "quarantined",
    ]
    assert "malformed" in (results[0].reason or "")
    assert "not this device" in (results[2].reason or "")
    assert results[3].reason == "bad signature"
    assert results[5].reason == results[1].reason  # both good; only a note (unknown asset)
    assert results[6].reason is not None
    assert world.s.devices.device_detail(device.id).play_count == 2


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_screenshots_are_asked_for_and_kept(world: World) -> None:
    device, token, _ = enrolled(world)
    device = world.s.devices.device_for_token(token)
    assert world.s.devices.record_heartbeat(device, {}) == {"screenshot_requested": False}
    with pytest.raises(PermissionDeniedError):
        world.s.devices.request_screenshot(world.auditor, device.id)
    world.s.devices.request_screenshot(world.admin, device.id)
    assert world.s.devices.record_heartbeat(device, {}) == {"screenshot_requested": True}
    assert world.s.player.current_plan(device).screenshot_requested
    with pytest.raises(ValidationError, match="PNG"):
        world.s.devices.save_screenshot(device, b"GIF89a")
    world.s.devices.save_screenshot(device, png())
    assert world.s.devices.screenshot(device.id).data == png()
    assert world.s.devices.record_heartbeat(device, {}) == {"screenshot_requested": False}


def test_heartbeats_are_typed_and_shown(world: World) -> None:
    device, token, _ = enrolled(world)
    device = world.s.devices.device_for_token(token)
    with pytest.raises(ValidationError, match="clock_offset_ms"):
        world.s.devices.record_heartbeat(device, {"clock_offset_ms": "soon"})
    world.s.devices.record_heartbeat(
        device,
        {
            "showing": "content",
            "playing": {"creative_id": 3, "asset_sha256": "c" * 64},
            "clock_offset_ms": -42,
            "clock_verified": True,
            "free_disk_bytes": 10**9,
            "software_version": "0.1.0",
            "last_error": "network: timeout",
        },
    )
    (view,) = world.s.devices.list_devices()
    assert view.online
    assert view.heartbeat is not None
    assert view.heartbeat.clock_offset_ms == -42
    assert view.warnings == ("last error: network: timeout",)


def test_offline_alerts_and_recovery_notes(world: World) -> None:
    device, token, _ = enrolled(world)
    device = world.s.devices.device_for_token(token)
    world.s.devices.record_heartbeat(device, {})
    assert world.s.devices.check_offline() == []
    world.clock.advance(timedelta(minutes=10))
    (alert,) = world.s.devices.check_offline()
    assert alert.kind == "offline"
    assert world.s.devices.check_offline() == []  # raised once
    (shown,) = world.s.devices.dashboard_alerts()
    assert shown.text == "offline for 10 minutes"
    assert shown.location_name == world.centre.spec.name
    world.s.devices.record_heartbeat(device, {})
    (note,) = world.s.devices.check_offline()
    assert note.kind == "recovered"
    assert [a.text for a in world.s.devices.dashboard_alerts()] == [
        "back online after 10 minutes offline"
    ]


def test_takedown_reach_per_screen(world: World) -> None:
    centre, centre_token, _ = enrolled(world)
    market, market_token, _ = enrolled(world, world.market.id)
    centre = world.s.devices.device_for_token(centre_token)
    market = world.s.devices.device_for_token(market_token)
    for device in (centre, market):
        old = world.s.player.current_plan(device)
        world.s.devices.record_heartbeat(device, {"plan_etag": old.etag})
    world.clock.advance(timedelta(seconds=5))
    blank = world.s.campaigns.blank(world.admin, None, "city order")
    status = world.s.devices.takedown_status(blank_id=blank.id)
    assert {s.kind for s in status.screens} == {ReachKind.PENDING}
    world.clock.advance(timedelta(seconds=5))
    new = world.s.player.current_plan(centre)
    world.s.devices.record_heartbeat(centre, {"plan_etag": new.etag})
    world.clock.advance(timedelta(minutes=5))
    screens = {s.device_id: s for s in world.s.devices.takedown_status(blank_id=blank.id).screens}
    assert screens[centre.id].kind is ReachKind.STOPPED
    assert screens[market.id].kind is ReachKind.NOT_REACHED
    assert screens[market.id].text.startswith("not reached: offline since ")
    with pytest.raises(ValidationError):
        world.s.devices.takedown_status()
