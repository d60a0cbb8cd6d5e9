"""A withdrawal against real player processes: the online screen stops the campaign within
60 s and the approver sees "stopped at T"; a screen whose player is off says "not reached"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signage.adapters.clock import AcceleratedClock
from signage.domain.devices import ReachKind
from tests.reliability.harness import (
    Player,
    check_chain,
    device_key,
    make_stage,
    running,
    serve,
    utc_ms,
    wait_for,
)

pytestmark = pytest.mark.slow
# Ten times real time: the 5 s poll (the configuration's floor) takes half a second.
FACTOR = 10.0
REACH_S = 60


def test_withdrawal_stops_online_screen_and_reports_offline_one(tmp_path: Path) -> None:
    clock = AcceleratedClock(FACTOR, datetime.now(UTC))
    stage = make_stage(tmp_path, clock)
    stage.render_quote()
    online_at, offline_at = stage.screen("Rudaki screen"), stage.screen("Circus screen")
    campaign, _ = stage.campaign("Stop torture week", [online_at.id, offline_at.id], days=2)
    server = serve(stage)
    online = Player(tmp_path / "online", server.url, clock_env=clock.env_value())
    offline = Player(
        tmp_path / "offline", server.url, backend="simulate", clock_env=clock.env_value()
    )
    svc = stage.services
    try:
        with running(online, offline):
            online_id = online.enroll(stage, online_at.id)
            offline_id = offline.enroll(stage, offline_at.id)
            online.start()
            offline.start()

            def playing(device_id: int) -> bool:
                beats = stage.heartbeats(device_id, 5)
                return bool(beats) and beats[-1].showing == "content"

            wait_for("both screens playing", lambda: playing(online_id) and playing(offline_id), 60)
            offline.stop()  # its process is off: it cannot hear of the withdrawal
            wait_for(
                "the stopped player to count as offline",
                lambda: (
                    not next(
                        v for v in svc.devices.list_devices() if v.device.id == offline_id
                    ).online
                ),
                60,
            )
            wait_for("the online screen on content", lambda: playing(online_id), 30)

            svc.campaigns.withdraw(stage.users["approver"], campaign.id, "refused by the city")
            taken_down = svc.devices.takedown_status(campaign_id=campaign.id).at
            assert taken_down is not None

            def reach() -> dict[int, object]:
                screens = svc.devices.takedown_status(campaign_id=campaign.id).screens
                by_device = {s.device_id: s for s in screens}
                return by_device if by_device[online_id].kind is ReachKind.STOPPED else {}

            screens = wait_for("the online screen to confirm", reach, 60)
            online.stop()
    finally:
        server.stop()

    stopped, not_reached = screens[online_id], screens[offline_id]
    assert stopped.text.startswith("stopped at ")  # type: ignore[attr-defined]
    assert stopped.at - taken_down <= timedelta(seconds=REACH_S)  # type: ignore[attr-defined]
    assert not_reached.kind is ReachKind.NOT_REACHED  # type: ignore[attr-defined]
    assert not_reached.text.startswith("not reached: offline since ")  # type: ignore[attr-defined]

    records = check_chain(stage.plays(online_id), device_key(online.state_dir), online_id)
    limit = utc_ms(taken_down) + REACH_S * 1000
    assert all(r["ended_at_ms"] <= limit for r in records), "the campaign ran on past 60 s"
    cut = [r for r in records if r["reason"] == "withdrawn"]
    assert cut, [
        (
            r["status"],
            r["reason"],
            r["started_at_ms"] - utc_ms(taken_down),
            r["ended_at_ms"] - utc_ms(taken_down),
        )
        for r in records
    ]
    assert all(r["ended_at_ms"] >= utc_ms(taken_down) for r in cut)
    last = stage.heartbeats(online_id)[-1]
    assert last.showing == "black"
    svc.engine.dispose()
