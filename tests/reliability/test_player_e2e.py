"""The real `signage-player` process against the real app on loopback: enrol, plan, download,
play a real rendered video, report; a screenshot on request; a flipped bit never played."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from signage.adapters.clock import AcceleratedClock
from signage.domain.errors import NotFoundError
from tests.conftest import need
from tests.reliability.conftest import E2E_FACTOR, Live
from tests.reliability.harness import (
    Player,
    check_chain,
    device_key,
    make_stage,
    played_files,
    serve,
    wait_for,
)

pytestmark = pytest.mark.slow
VIDEO_MS = 10_000


def completed_plays(live: Live) -> list[object]:
    assert live.player.device_id is not None
    return [p for p in live.stage.plays(live.player.device_id) if p.record.status == "completed"]


def only_good_files_played(live: Live) -> list[tuple[str, str]]:
    """What ffmpeg was started on: always the verified cache file, never a `.part`, and its
    bytes hashed to the asset's name at that moment."""
    played = played_files(live.played_log)
    expected = str(live.player.media_dir() / live.stage.asset_sha)
    for path, digest in played:
        assert path == expected, f"played {path}"
        assert digest == live.stage.asset_sha, f"played bytes hashing to {digest}"
    return played


def test_enrol_download_play_and_signed_records_arrive(live: Live) -> None:
    player, stage = live.player, live.stage
    player.start()
    wait_for("two completed plays on the server", lambda: len(completed_plays(live)) >= 3, 60)
    player.stop()

    assert player.device_id is not None
    state = player.view()
    assert state.outbox == {}, "the last records were sent on the way out"
    assert not state.open_play
    stored = stage.plays(player.device_id)
    assert len(stored) == state.head_seq
    assert stage.quarantined(player.device_id) == []
    # Signatures and links checked with `cryptography` and the key on the billboard.
    records = check_chain(stored, device_key(player.state_dir), player.device_id)
    for record in records:
        assert record["asset_sha256"] == stage.asset_sha
        assert record["location_id"] == live.location.id
        assert record["approval_id"] == live.approval.id
        assert record["clock_verified"] is True
        assert record["status"] in ("completed", "interrupted"), record
    done = [r for r in records if r["status"] == "completed"]
    assert len(done) >= 3
    # A play that joined mid-item ("joined": started >= 500 ms late, e.g. on a loaded
    # machine) is shorter; one from the start runs the video's full length.
    for record in (r for r in done if r["reason"] is None):
        assert abs(record["ended_at_ms"] - record["started_at_ms"] - VIDEO_MS) <= 500 * E2E_FACTOR
    assert records[-1]["status"] == "interrupted"
    assert records[-1]["reason"] == "shutdown"
    cached = player.media_dir() / stage.asset_sha
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == stage.asset_sha
    assert len(only_good_files_played(live)) >= len(done)
    beat = stage.heartbeats(player.device_id)[-1]
    assert beat.payload["backend"] == "headless"
    assert beat.plan_etag is not None


def test_screenshot_on_request_is_stored(live: Live) -> None:
    player, stage = live.player, live.stage
    assert player.device_id is not None
    player.start()
    wait_for("a first play", lambda: completed_plays(live), 60)
    stage.services.devices.request_screenshot(stage.admin, player.device_id)

    def stored() -> object:
        try:
            return stage.services.devices.screenshot(player.device_id)
        except NotFoundError:
            return None

    shot = wait_for("the screenshot", stored, 60)
    player.stop()
    image = Image.open(io.BytesIO(shot.data))  # type: ignore[attr-defined]
    assert image.format == "PNG"
    assert image.size == (320, 180)
    # A frame of the quote video, not a black screen.
    assert image.convert("L").getextrema()[1] > 64
    detail = stage.services.devices.device_detail(player.device_id)
    assert detail.view.device.screenshot_requested_at is None


def test_flipped_bit_in_cache_is_detected_fetched_again_and_never_played(live: Live) -> None:
    player, stage = live.player, live.stage
    assert player.device_id is not None
    player.start()
    wait_for("a first play", lambda: completed_plays(live), 60)
    player.stop()
    before = len(stage.plays(player.device_id))
    cached = player.media_dir() / stage.asset_sha
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0x01
    cached.write_bytes(bytes(data))

    player.start()

    def replayed() -> bool:
        later = stage.plays(player.device_id)[before:]
        statuses = [(p.record.status, p.record.reason) for p in later]
        return ("failed", "asset_corrupt") in statuses and ("completed", None) in statuses

    wait_for("a corrupt-file record, then a good play", replayed, 60)
    player.stop()
    later = stage.plays(player.device_id)[before:]
    corrupt = [p for p in later if p.record.reason == "asset_corrupt"]
    assert corrupt
    assert all(p.record.ended_at_ms == p.record.started_at_ms for p in corrupt)
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == stage.asset_sha
    only_good_files_played(live)
    errors = [h.last_error or "" for h in stage.heartbeats(player.device_id)]
    assert any("asset_corrupt" in e for e in errors)
    check_chain(stage.plays(player.device_id), device_key(player.state_dir), player.device_id)


def test_mpv_backend_plays_the_rendered_video(tmp_path: Path) -> None:
    need(shutil.which("mpv") is not None, "mpv is not installed (apt-get install mpv)")
    clock = AcceleratedClock(E2E_FACTOR, datetime.now(UTC))
    stage = make_stage(tmp_path, clock)
    stage.render_quote()
    location = stage.screen("Circus screen")
    stage.campaign("Stop torture week", [location.id], days=2)
    server = serve(stage)
    player = Player(
        tmp_path / "player",
        server.url,
        backend="mpv",
        clock_env=clock.env_value(),
        extra_args=["--mpv-headless"],  # --vo=null --ao=null
    )
    try:
        device_id = player.enroll(stage, location.id)
        player.start()
        wait_for(
            "a completed mpv play",
            lambda: any(p.record.status == "completed" for p in stage.plays(device_id)),
            60,
        )
        player.stop()
        records = check_chain(stage.plays(device_id), device_key(player.state_dir), device_id)
        assert not [r for r in records if r["status"] == "failed"], records
        assert stage.heartbeats(device_id)[-1].payload["backend"] == "mpv"
    finally:
        player.kill()
        server.stop()
        stage.services.engine.dispose()
