"""The `signage-player` command: enrolment and status."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from signage_player.cli import enroll, main, status
from signage_player.clock import ManualClock
from signage_player.state import PlayerState

from tests.player.player_fakes import FakeServer


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


def test_run_is_not_built_yet(tmp_path: Path) -> None:
    assert main(["--state-dir", str(tmp_path), "run"]) == 2
