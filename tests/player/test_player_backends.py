"""Playback backends on a real file: ffmpeg decoding (headless) and the system mpv."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from signage_player.backend_mpv import MpvBackend
from signage_player.backends import (
    HeadlessBackend,
    SimulateBackend,
    ffmpeg_exe,
    make_backend,
)
from signage_player.clock import AcceleratedClock, SystemClock
from signage_player.errors import BackendError

from tests.conftest import need


def shot_during_play(backend: HeadlessBackend | MpvBackend, video: Path) -> bytes | None:
    """Take a screenshot 0.3 s into a 1 s play."""
    shots: list[bytes | None] = []
    timer = threading.Timer(0.3, lambda: shots.append(backend.screenshot()))
    timer.start()
    assert backend.play(video, 0, 1000, threading.Event()).ending == "completed"
    timer.join()
    return shots[0]


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One second of test pattern, 160×90 at 10 fps, made with imageio-ffmpeg's ffmpeg."""
    path = tmp_path_factory.mktemp("media") / "tiny.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture
def garbage(tmp_path: Path) -> Path:
    path = tmp_path / "not-a-video"
    path.write_bytes(b"\x00\x01 this is no video " * 500)
    return path


def test_headless_decodes_every_frame_and_fails_on_a_broken_file(
    tiny_video: Path, garbage: Path
) -> None:
    backend = HeadlessBackend(AcceleratedClock(50.0, origin_ms=0))
    outcome = backend.play(tiny_video, 0, 1000, threading.Event(), mime="video/mp4")
    assert outcome.ending == "completed"
    assert outcome.played_ms >= 1000
    assert backend.decoded == [tiny_video]
    broken = backend.play(garbage, 0, 1000, threading.Event(), mime="video/mp4")
    assert broken.ending == "failed"
    assert broken.reason is not None
    assert broken.reason.startswith("decode failed")
    stopped = threading.Event()
    stopped.set()
    assert backend.play(tiny_video, 0, 1000, stopped).ending == "stopped"
    real_time = HeadlessBackend(SystemClock())
    assert (shot_during_play(real_time, tiny_video) or b"").startswith(b"\x89PNG")
    assert real_time.screenshot() is None


def test_backends_are_chosen_by_name() -> None:
    clock = SystemClock()
    assert isinstance(make_backend("simulate", clock), SimulateBackend)
    assert isinstance(make_backend("headless", clock), HeadlessBackend)
    with pytest.raises(BackendError, match="unknown backend"):
        make_backend("vlc", clock)


def test_mpv_plays_a_video_and_reports_a_broken_file(tiny_video: Path, garbage: Path) -> None:
    need(shutil.which("mpv") is not None, "mpv is not installed (apt-get install mpv)")
    backend = MpvBackend(SystemClock(), headless=True)
    try:
        outcome = backend.play(tiny_video, 200, 600, threading.Event(), mime="video/mp4")
        assert outcome.ending == "completed"
        assert outcome.played_ms >= 600
        broken = backend.play(garbage, 0, 600, threading.Event(), mime="video/mp4")
        assert broken.ending == "failed"
        assert broken.reason is not None
        assert broken.reason.startswith("mpv:")
        backend.black(10, threading.Event())
        # After a failure the same process plays on.
        again = backend.play(tiny_video, 0, 300, threading.Event(), mime="video/mp4")
        assert again.ending == "completed"
        assert (shot_during_play(backend, tiny_video) or b"").startswith(b"\x89PNG")
    finally:
        backend.close()
