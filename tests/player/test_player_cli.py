"""The `signage-player` command: enrolment and status."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from signage_player.cli import enroll, main, run, status
from signage_player.clock import ManualClock
from signage_player.faults import FAULT_ENV
from signage_player.keys import generate_key
from signage_player.state import PlayerState

from tests.player.player_fakes import FakeServer, PlaylistSpec, media, plan_doc, segment
from tests.player.test_player_runner import wait_until

X, X_DATA = media("cli-x")


def test_status_of_a_fresh_player(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state-dir", str(tmp_path), "status"]) == 0
    shown = capsys.readouterr().out
    assert "device id: not enrolled" in shown
    assert "records waiting to be sent: 0" in shown


def test_enrolment_keeps_token_and_shows_code_and_fingerprint(
    tmp_path: Path, fake_server: FakeServer, manual_clock: ManualClock
) -> None:
    out = io.StringIO()
    code = enroll(tmp_path, fake_server.base_url, screen="1920x1080", out=out, clock=manual_clock)
    assert code == 0
    assert "Enrolment code: K7Q-2MX" in out.getvalue()
    assert "Key fingerprint: " in out.getvalue()
    with PlayerState.in_dir(tmp_path) as state:
        assert state.token() == "t0k"
        assert state.device_id() == 42
    again = io.StringIO()
    assert enroll(tmp_path, fake_server.base_url, screen=None, out=again, clock=manual_clock) == 1
    shown = io.StringIO()
    status(tmp_path, shown)
    assert "device id: 42" in shown.getvalue()


def test_run_refuses_a_player_that_is_not_enrolled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--state", str(tmp_path), "--backend", "simulate"]) == 2
    assert "Not enrolled" in capsys.readouterr().out


@pytest.fixture
def enrolled(tmp_path: Path, fake_server: FakeServer) -> Path:
    """An enrolled state directory and a real-time server with 300 ms items of one file."""
    generate_key(tmp_path)
    with PlayerState.in_dir(tmp_path) as state:
        state.save_enrolment(token="t0k", device_id=42)
        state.set_values({"server_url": fake_server.base_url})
    fake_server.now_ms = lambda: time.time_ns() // 1_000_000
    fake_server.assets[X] = X_DATA
    now = time.time_ns() // 1_000_000
    idle = PlaylistSpec(1, 1, [(X, 300)])
    fake_server.set_plan(
        plan_doc([segment(now - 60_000, now + 3_600_000, entries=[(1, idle)])], [idle])
    )
    return tmp_path


def test_run_plays_until_told_to_stop(enrolled: Path, fake_server: FakeServer) -> None:
    stop = threading.Event()
    out = io.StringIO()
    thread = threading.Thread(target=lambda: run(enrolled, "simulate", out=out, until=stop))
    thread.start()
    wait_until(lambda: len(fake_server.plays) >= 2)
    stop.set()
    thread.join(10)
    assert "Stopped." in out.getvalue()
    last = max(fake_server.plays.values(), key=lambda r: r["seq"])
    assert (last["status"], last["reason"]) == ("interrupted", "shutdown")


def _spawn(state_dir: Path, **env: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "signage_player.cli", "run", "--state", str(state_dir)]
    return subprocess.Popen(
        [*command, "--backend", "simulate"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )


def test_sigterm_ends_the_process_cleanly(enrolled: Path, fake_server: FakeServer) -> None:
    process = _spawn(enrolled)
    try:
        wait_until(lambda: len(fake_server.plays) >= 1, timeout_s=20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        process.kill()
    last = max(fake_server.plays.values(), key=lambda r: r["seq"])
    assert last["reason"] == "shutdown"


def test_a_named_crash_point_kills_the_process_and_the_record_survives(
    enrolled: Path, fake_server: FakeServer
) -> None:
    process = _spawn(enrolled, **{FAULT_ENV: "record.after_outbox_write"})
    try:
        assert process.wait(20) == 137
    finally:
        process.kill()
    with PlayerState.in_dir(enrolled) as state:
        assert state.outbox_size() == 1
        assert state.open_play() is None
        (record,) = state.pending_records()
    assert (record.seq, record.asset_sha256) == (1, X)
    assert fake_server.plays == {}  # it died before it could send the record
