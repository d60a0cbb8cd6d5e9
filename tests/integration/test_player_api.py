"""The real player client (signage_player.api) against the real app over loopback HTTP.

Enrol → an admin binds → token → plan (ETag, 304) → asset with Range → signed plays
accepted, replays duplicate, tampered ones quarantined → heartbeat → withdrawal reaches
the screen; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PIL import Image
from signage_player.api import ApiClient, ApiError, UnauthorizedError
from signage_player.clock import CorrectedClock, SystemClock
from signage_player.keys import fingerprint, public_key_b64, public_key_raw
from signage_player.records import GENESIS_HASH, PlayFacts, PlayRecord, seal
from werkzeug.serving import make_server

from signage.domain.devices import ReachKind
from tests.conftest import make_app, make_settings
from tests.services.schedule_world import TickingClock, World, build_world


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, database_url), clock)
    yield World(services, clock)
    services.engine.dispose()


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    """The app served by werkzeug on 127.0.0.1 from a thread."""
    server = make_server("127.0.0.1", 0, make_app(world.s), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def poster() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (192, 108), (20, 40, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def scheduled_poster(world: World) -> tuple[Any, bytes, str]:
    """An approved campaign showing an uploaded still on the centre screen."""
    data = poster()
    info, _ = world.s.media.upload("staff", io.BytesIO(data), "poster.png")
    creative = world.s.creatives.create_asset_creative("staff", info.sha256, "Poster")
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": creative.id, "duration_ms": 8000}]
    )
    campaign, _approval = world.approved_campaign(playlist.playlist.id)
    return campaign, data, info.sha256


def client(base_url: str, session: requests.Session | None = None) -> ApiClient:
    return ApiClient(base_url, session or requests.Session(), CorrectedClock(SystemClock()))


def enrol(world: World, api: ApiClient, key: Ed25519PrivateKey) -> Any:
    """The player enrols, the admin binds it at the centre, the player collects its token."""
    public = public_key_b64(key)
    pending = api.enroll(public, {"software_version": "0.1.0", "screen_size": "1920x1080"})
    assert pending.fingerprint == fingerprint(key)
    assert not api.poll_enrolment(key, public, pending.code).enrolled
    world.s.devices.bind_device(
        world.admin, pending.code, world.centre.id, fingerprint=pending.fingerprint
    )
    status = api.poll_enrolment(key, public, pending.code)
    assert status.enrolled
    assert api.token == status.token
    assert status.location_id == world.centre.id
    return status


def play(api: ApiClient, location_id: int, sha: str, at_ms: int) -> PlayFacts:
    return PlayFacts(
        location_id=location_id,
        asset_sha256=sha,
        playlist_id=1,
        entry_id=1,
        approval_id=1,
        started_at_ms=at_ms,
        ended_at_ms=at_ms + 8000,
        device_clock_offset_ms=api.clock.offset_ms(),
        clock_verified=True,
        status="completed",
    )


def chain(key: Ed25519PrivateKey, device_id: Any, facts: list[PlayFacts]) -> list[PlayRecord]:
    records, prev = [], GENESIS_HASH
    for seq, item in enumerate(facts, start=1):
        record = seal(item, key=key, device_id=device_id, seq=seq, prev_hash=prev)
        records.append(record)
        prev = record.record_hash()
    return records


def test_enrol_plan_asset_plays_and_takedown(world: World, base_url: str) -> None:
    campaign, data, sha = scheduled_poster(world)
    key = Ed25519PrivateKey.generate()
    api = client(base_url)
    status = enrol(world, api, key)

    answer = api.get_plan()
    plan = answer.plan
    assert plan is not None
    assert answer.etag is not None
    assert answer.etag.startswith('"')
    assert api.clock.verified  # Signage-Server-Time measured the offset
    assert plan["version"] == 1
    assert plan["device_id"] == status.device_id
    assert plan["screen"] == {"width": 1920, "height": 1080}
    assert plan["assets"][sha] == {
        "size": len(data),
        "mime": "image/png",
        "url": f"/api/player/v1/assets/{sha}",
    }
    content = [s for s in plan["segments"] if s["kind"] == "content"]
    assert content
    assert content[0]["entries"][0]["campaign_id"] == campaign.id
    key_name = content[0]["entries"][0]["playlist"]
    assert plan["playlists"][key_name]["items"][0]["asset_sha256"] == sha
    assert api.get_plan(answer.etag).not_modified

    with api.download_asset(plan["assets"][sha]["url"], offset=10) as body:
        assert body.offset == 10
        assert b"".join(body.chunks) == data[10:]
    with api.download_asset(api.asset_url(sha)) as body:
        assert hashlib.sha256(b"".join(body.chunks)).hexdigest() == sha

    now_ms = api.clock.now_ms()
    records = chain(key, status.device_id, [play(api, world.centre.id, sha, now_ms - 60_000)] * 3)
    assert {r.outcome for r in api.post_plays(records)} == {"accepted"}
    replayed = api.post_plays(records)
    assert [r.outcome for r in replayed] == ["duplicate"] * 3
    (fourth,) = chain(key, status.device_id, [play(api, world.centre.id, sha, now_ms)] * 4)[3:]
    tampered = replace(fourth, ended_at_ms=fourth.ended_at_ms + 1)
    other = seal(
        play(api, world.centre.id, sha, now_ms),
        key=key,
        device_id=status.device_id,
        seq=5,
        prev_hash=GENESIS_HASH,
        record_id=records[0].id,
    )
    results = {r.id: r for r in api.post_plays([tampered, other])}
    assert results[tampered.id].outcome == "quarantined"
    assert results[tampered.id].reason == "bad signature"
    assert results[other.id].outcome == "quarantined"
    assert "conflicting duplicate" in (results[other.id].reason or "")

    # Every stored record verifies with the device key, independently of the server's code.
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(key))
    stored = world.s.devices.device_detail(status.device_id).plays
    assert sorted(p.record.seq for p in stored) == [1, 2, 3]
    for item in stored:
        public.verify(base64.b64decode(item.record.signature), item.canonical.encode("utf-8"))
        signed = item.canonical.encode("utf-8") + b"." + item.record.signature.encode()
        assert hashlib.sha256(signed).hexdigest() == item.hash
    assert stored[-1].record.prev_hash == GENESIS_HASH

    assert api.heartbeat({"showing": "content", "plan_etag": answer.etag}) == {
        "screenshot_requested": False
    }
    world.s.campaigns.withdraw(world.approver, campaign.id, "refused by the city")
    before = world.s.devices.takedown_status(campaign_id=campaign.id)
    assert [s.kind for s in before.screens] == [ReachKind.PENDING]
    withdrawn = api.get_plan(answer.etag)
    assert withdrawn.plan is not None
    assert withdrawn.etag != answer.etag
    # Content stays in the plan only for the part of today before the withdrawal.
    later = [s for s in withdrawn.plan["segments"] if s["end_ms"] > api.clock.now_ms()]
    assert {s["kind"] for s in later} == {"nothing"}
    api.heartbeat({"showing": "black", "plan_etag": withdrawn.etag})
    (screen,) = world.s.devices.takedown_status(campaign_id=campaign.id).screens
    assert screen.kind is ReachKind.STOPPED
    assert screen.text.startswith("stopped at ")
    unplanned, _ = world.s.media.upload("staff", io.BytesIO(poster()[:-1] + b"\0"), "x.png")
    with pytest.raises(ApiError) as refused, api.download_asset(api.asset_url(unplanned.sha256)):
        pass
    assert refused.value.status == 403


def test_revoked_device_is_refused_and_its_key_cannot_enrol_again(
    world: World, base_url: str
) -> None:
    key = Ed25519PrivateKey.generate()
    api = client(base_url)
    status = enrol(world, api, key)
    api.heartbeat({"showing": "black"})
    world.s.devices.revoke_device(world.admin, status.device_id, "stolen")
    with pytest.raises(UnauthorizedError):
        api.get_plan()
    with pytest.raises(UnauthorizedError) as again:
        client(base_url).enroll(public_key_b64(key), {})
    assert again.value.status == 403
    # A replacement (new key, same location) takes over; the old device's history stays.
    replacement = client(base_url)
    enrol(world, replacement, Ed25519PrivateKey.generate())
    assert replacement.get_plan().plan is not None
    states = sorted(v.device.state.value for v in world.s.devices.list_devices())
    assert states == ["active", "revoked"]


def test_concurrent_identical_batches_store_each_record_once(world: World, base_url: str) -> None:
    key = Ed25519PrivateKey.generate()
    api = client(base_url)
    status = enrol(world, api, key)
    now_ms = api.clock.now_ms()
    records = chain(key, status.device_id, [play(api, world.centre.id, "a" * 64, now_ms)] * 50)
    outcomes: list[list[str]] = []

    def send() -> None:
        other = client(base_url)
        other.token = api.token
        outcomes.append([r.outcome for r in other.post_plays(records)])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 3
    for position in range(len(records)):
        seen = sorted(batch[position] for batch in outcomes)
        assert seen == ["accepted", "duplicate", "duplicate"]
    assert world.s.devices.device_detail(status.device_id).play_count == 50
