"""Six simulated days without the server, both sides on one accelerated clock: playback
follows the plan throughout and, once the server is back, every record arrives exactly once.
A player kept offline past the end of its plan's horizon goes black and says so when back.

The server's clock stands still while the world is set up, then runs `FACTOR` times real
time from the instant the players start, with the same origin as theirs
(`SIGNAGE_PLAYER_CLOCK`, test-only). The players use the `simulate` backend ("decodes
nothing: demos, long tests"): at this speed a 10 s video lasts under a millisecond.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signage.adapters.clock import AcceleratedClock, FixedClock
from tests.conftest import make_app
from tests.reliability.harness import (
    LiveServer,
    Player,
    Stage,
    check_chain,
    device_key,
    make_stage,
    running,
    utc_ms,
    wait_for,
)

pytestmark = pytest.mark.slow
FACTOR = 15_000.0  # a simulated day in under six real seconds
TZ = ZoneInfo("Asia/Dushanbe")
DAY0 = datetime(2026, 6, 1, tzinfo=TZ)  # local midnight: the plan's horizon starts here
ORIGIN = DAY0 + timedelta(minutes=30)  # 19.5 h (~4.7 real s) to set up before 20:00
WINDOW = (20, 21)  # the campaign plays 20:00-21:00 local, every day
DAY = timedelta(days=1)
# A thread wakes up late by a few real milliseconds, more on a loaded machine: allow a
# play to end up to 100 ms real (25 simulated minutes) after its window.
SLACK_MS = int(0.100 * FACTOR * 1000)
MIN_COVERAGE = 0.02


class SettableClock:
    """The server's clock: frozen while the world is set up, then the shared fast one."""

    def __init__(self, at: datetime) -> None:
        self.inner: Any = FixedClock(at)

    def now(self) -> datetime:
        return self.inner.now()


def window_of(day: int) -> tuple[int, int]:
    start = DAY0 + day * DAY + timedelta(hours=WINDOW[0])
    return utc_ms(start), utc_ms(start + timedelta(hours=WINDOW[1] - WINDOW[0]))


def sim_wait(clock: AcceleratedClock, until: datetime, what: str) -> None:
    real_s = (until - clock.now()).total_seconds() / FACTOR
    wait_for(what, lambda: clock.now() >= until, timeout_s=max(0.0, real_s) + 30)


def check_follows_plan(
    records: list[dict[str, Any]], stage: Stage, approval_id: int, days: range
) -> None:
    """Every play is the campaign's video, inside a daily window; every window has plays."""
    windows = [window_of(day) for day in days]
    per_window = dict.fromkeys(windows, 0)
    for record in records:
        assert record["status"] != "failed", record
        assert record["asset_sha256"] == stage.asset_sha
        assert record["approval_id"] == approval_id
        inside = [w for w in windows if w[0] <= record["started_at_ms"] < w[1]]
        assert inside, f"a play at {record['started_at_ms']} outside the windows {days}"
        assert record["ended_at_ms"] <= inside[0][1] + SLACK_MS, "a play ran past its window"
        per_window[inside[0]] += 1
    assert all(per_window.values()), f"a window without plays: {per_window}"
    # At 15 000x the few real milliseconds each play costs (signing, the state database)
    # stand for minutes of screen time, so a window is far from fully covered here; what
    # is checked is that the screen played the plan in every window and nothing outside.
    for start, end in windows:
        shown = sum(
            r["ended_at_ms"] - r["started_at_ms"]
            for r in records
            if start <= r["started_at_ms"] < end
        )
        assert shown >= MIN_COVERAGE * (end - start), f"window {start}: {shown} ms shown"


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """The players' state on tmpfs when there is one: at 15 000x a real fsync per record
    would stand for minutes of simulated screen time (crash safety on a real disk is
    test_crash_safety's subject)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    directory = Path(tempfile.mkdtemp(prefix="signage-offline-", dir=shm))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_six_days_offline_then_every_record_once_and_black_past_horizon(
    tmp_path: Path, fast_dir: Path
) -> None:
    server_clock = SettableClock(ORIGIN)
    stage = make_stage(tmp_path, server_clock)
    stage.render_quote()
    here, there = stage.screen("Rudaki screen"), stage.screen("Circus screen")
    _, approval = stage.campaign(
        "Stop torture fortnight",
        [here.id, there.id],
        days=10,
        window=f"{WINDOW[0]:02d}:00-{WINDOW[1]:02d}:00",
    )
    app = make_app(stage.services)
    # Two front doors to the same server: the second one stays shut for longer.
    front_a, front_b = LiveServer(app).start(), LiveServer(app).start()
    # Enrolment only sleeps on the player's clock: a fast one keeps its polls short.
    enrol_env = AcceleratedClock(FACTOR, ORIGIN).env_value()
    a = Player(fast_dir / "a", front_a.url, backend="simulate", clock_env=enrol_env)
    b = Player(fast_dir / "b", front_b.url, backend="simulate", clock_env=enrol_env)
    try:
        with running(a, b):
            a_id, b_id = a.enroll(stage, here.id), b.enroll(stage, there.id)
            clock = AcceleratedClock(FACTOR, ORIGIN)
            server_clock.inner = clock
            a.clock_env = b.clock_env = clock.env_value()
            a.start()
            b.start()

            def ready(device_id: int) -> bool:
                beats = stage.heartbeats(device_id, 3)
                return bool(beats) and beats[-1].plan_ready and beats[-1].cache["missing"] == 0

            wait_for("both players to hold plan and video", lambda: ready(a_id) and ready(b_id), 30)
            front_a.stop()
            front_b.stop()
            stopped_at = clock.now()
            assert stopped_at < DAY0 + timedelta(hours=WINDOW[0]), "setup ate day 0's window"
            online = {a_id: len(stage.plays(a_id)), b_id: len(stage.plays(b_id))}
            assert online == {a_id: 0, b_id: 0}
            horizon_b = json.loads(b.view().kv["plan"])["horizon"]["end_ms"]
            assert horizon_b == utc_ms(DAY0 + 7 * DAY)

            # --- six days without the server ----------------------------------------------
            sim_wait(clock, stopped_at + 6 * DAY, "six simulated days")
            assert a.alive
            assert b.alive
            offline_a = a.view()
            assert offline_a.outbox, "nothing was played while the server was away"
            front_a.start()
            wait_for("A's outbox to drain", lambda: not a.view().outbox, 30)
            back_at = clock.now()
            a.stop()

            # --- B stays cut off past its horizon (end of day 6) and past day 7's window ---
            sim_wait(clock, DAY0 + 7 * DAY + timedelta(hours=WINDOW[1] + 1), "B past its horizon")
            assert b.alive
            offline_b = b.view()
            assert "plan horizon ended" in json.loads(offline_b.kv["last_error"])[0]
            reconnect_b = clock.now()
            front_b.start()
            wait_for("B's outbox to drain", lambda: not b.view().outbox, 30)
            b.stop()
    finally:
        front_a.stop()
        front_b.stop()

    # A: every record made offline arrived once, in order, as the outbox held it.
    stored_a = stage.plays(a_id)
    records_a = check_chain(stored_a, device_key(a.state_dir), a_id)
    assert len(records_a) == a.view().head_seq
    by_id = {p.record.id: (p.record.seq, p.hash) for p in stored_a}
    assert all(by_id.get(rid) == seen for rid, seen in offline_a.outbox.items())
    assert stage.quarantined(a_id) == []
    offline_records = [r for r in records_a if r["id"] in offline_a.outbox]
    assert len(offline_records) == len(offline_a.outbox)
    check_follows_plan(offline_records, stage, approval.id, range(0, 6))
    assert all(r["ended_at_ms"] <= utc_ms(back_at) for r in offline_records)

    # B: played days 0-6 offline, then black past the horizon, and said so when back.
    stored_b = stage.plays(b_id)
    records_b = check_chain(stored_b, device_key(b.state_dir), b_id)
    assert len(records_b) == b.view().head_seq
    by_id_b = {p.record.id: (p.record.seq, p.hash) for p in stored_b}
    assert all(by_id_b.get(rid) == seen for rid, seen in offline_b.outbox.items())
    offline_b_records = [r for r in records_b if r["id"] in offline_b.outbox]
    check_follows_plan(offline_b_records, stage, approval.id, range(0, 7))
    assert all(r["started_at_ms"] < horizon_b for r in offline_b_records)
    first_back = next(h for h in stage.heartbeats(b_id) if h.at >= reconnect_b)
    assert first_back.payload["horizon_expired_at_ms"] == horizon_b
    assert "plan horizon ended" in (first_back.last_error or "")
    stage.services.engine.dispose()
