"""The demo's simulated players: real player processes enrol, get bound, play, report."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from werkzeug.serving import make_server

from signage.jobs.demo_players import player_command, run_demo_players
from tests.conftest import build, make_app, make_settings, need, seed_users

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Any, str]]:
    services = build(make_settings(tmp_path))
    server = make_server("127.0.0.1", 0, make_app(services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield services, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        services.engine.dispose()


def _poster_on_air(svc: Any, location_id: int) -> None:
    """An approved campaign showing an uploaded still all day, today and tomorrow."""
    people = seed_users(svc)
    buffer = io.BytesIO()
    Image.new("RGB", (192, 108), (200, 30, 40)).save(buffer, "PNG")
    info, _ = svc.media.upload("staff", io.BytesIO(buffer.getvalue()), "poster.png")
    creative = svc.creatives.create_asset_creative("staff", info.sha256, "Poster")
    timed = svc.playlists.create_playlist(
        people["staff"], "Posters", [{"creative_id": creative.id, "duration_ms": 2000}]
    )
    today = datetime.now(ZoneInfo("Asia/Dushanbe")).date()
    campaign = svc.campaigns.create_campaign(
        people["staff"],
        {"name": "Demo", "first_date": str(today), "last_date": str(today + timedelta(days=1))},
    )
    svc.campaign_content.add_entry(
        people["staff"],
        campaign.id,
        {"playlist_id": timed.playlist.id, "location_ids": [location_id]},
    )
    svc.campaigns.submit(people["staff"], campaign.id)
    svc.campaigns.approve(people["approver"], campaign.id)


def test_a_demo_player_enrols_is_bound_and_reports_plays(
    live: tuple[Any, str], tmp_path: Path
) -> None:
    try:
        player_command()
        installed = True
    except RuntimeError:
        installed = False
    need(installed, "the signage-player program is not installed (pip install -e ./players)")
    svc, url = live
    site = svc.locations.create_location(
        "admin", {"name": "Demo screen", "screen_width": 192, "screen_height": 108}
    )
    _poster_on_air(svc, site.id)
    stop = threading.Event()
    runner = threading.Thread(
        target=run_demo_players, args=(svc, url, tmp_path / "instance", stop), daemon=True
    )
    runner.start()
    try:
        deadline = time.monotonic() + 60
        detail = None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            devices = [v for v in svc.devices.list_devices() if v.device.location_id == site.id]
            if devices:
                detail = svc.devices.device_detail(devices[0].device.id)
                if detail.play_count:
                    break
    finally:
        stop.set()
        runner.join(timeout=30)
    assert detail is not None, "the simulated player never enrolled"
    assert detail.view.device.state.value == "active"
    assert detail.play_count >= 1, "the simulated player never reported a play"
    assert all(p.record.status in {"completed", "interrupted"} for p in detail.plays)
