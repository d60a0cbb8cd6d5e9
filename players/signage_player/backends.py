"""Playback backends behind one interface: `simulate`, `headless` (ffmpeg) and `mpv`.

A backend shows one file at a time for a given time, or black, and waits on the player's
clock while it does; the run loop decides what to show and writes the records.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from signage_player.clock import Clock, wait
from signage_player.errors import BackendError

BACKEND_NAMES = ("simulate", "headless", "mpv")
Ending = Literal["completed", "stopped", "failed"]
_STDERR_TAIL = 300


@dataclass(frozen=True, slots=True)
class PlayOutcome:
    """How a play ended: ran its full time, stopped by the caller, or failed (with why)."""

    ending: Ending
    played_ms: int
    reason: str | None = None


class Backend(ABC):
    """Shows media or black on the screen; every wait is on the player's clock."""

    name: str = "backend"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @abstractmethod
    def play(
        self,
        path: Path,
        start_offset_ms: int,
        duration_ms: int,
        stop_event: threading.Event,
        *,
        mime: str | None = None,
    ) -> PlayOutcome:
        """Show `path` from `start_offset_ms` for `duration_ms`, or until `stop_event`."""

    def black(self, duration_ms: int, stop_event: threading.Event) -> None:
        """Show black for `duration_ms`, or until `stop_event` is set."""
        wait(self.clock, stop_event, max(0, duration_ms) / 1000)

    def screenshot(self) -> bytes | None:
        """A PNG of what is on screen now, or None when the backend cannot tell."""
        return None

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release the screen and any helper process."""

    def _wait_rest(self, started_mono: int, duration_ms: int, stop: threading.Event) -> bool:
        """Wait until `duration_ms` after `started_mono`; True if `stop` came first."""
        left = duration_ms - (self.clock.monotonic_ms() - started_mono)
        return wait(self.clock, stop, max(0, left) / 1000)

    def _played(self, started_mono: int) -> int:
        return max(0, self.clock.monotonic_ms() - started_mono)


def is_still(mime: str | None) -> bool:
    return bool(mime and mime.startswith("image/"))


class SimulateBackend(Backend):
    """Decodes nothing: waits on the clock as if it played (demos, long tests)."""

    name = "simulate"

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.history: list[tuple[Path, int, int]] = []

    def play(
        self,
        path: Path,
        start_offset_ms: int,
        duration_ms: int,
        stop_event: threading.Event,
        *,
        mime: str | None = None,
    ) -> PlayOutcome:
        """Note the play and wait its time."""
        self.history.append((path, start_offset_ms, duration_ms))
        started = self.clock.monotonic_ms()
        stopped = self._wait_rest(started, duration_ms, stop_event)
        return PlayOutcome("stopped" if stopped else "completed", self._played(started))


def ffmpeg_exe() -> str:
    """The ffmpeg of imageio-ffmpeg, else one on PATH."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found is None:
            raise BackendError(
                "no ffmpeg: install the `headless` extra (imageio-ffmpeg) or ffmpeg"
            ) from None
        return found


class HeadlessBackend(Backend):
    """Decodes every frame with ffmpeg (`-f null -`) without a screen, then waits the rest.

    Decoding is not paced to real time; a file ffmpeg cannot decode is a `failed` play.
    """

    name = "headless"

    def __init__(self, clock: Clock, *, ffmpeg: str | None = None) -> None:
        super().__init__(clock)
        self.ffmpeg = ffmpeg or ffmpeg_exe()
        self._now: tuple[Path, int, int, bool] | None = None  # path, offset, mono, still
        self.decoded: list[Path] = []

    def play(
        self,
        path: Path,
        start_offset_ms: int,
        duration_ms: int,
        stop_event: threading.Event,
        *,
        mime: str | None = None,
    ) -> PlayOutcome:
        """Decode the part of the file that would be shown, then wait out its time."""
        still = is_still(mime)
        started = self.clock.monotonic_ms()
        self._now = (path, start_offset_ms, started, still)
        try:
            command = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-xerror"]
            if start_offset_ms > 0 and not still:
                command += ["-ss", f"{start_offset_ms / 1000:.3f}"]
            command += ["-i", str(path)]
            if not still:
                command += ["-t", f"{duration_ms / 1000:.3f}"]
            command += ["-f", "null", "-"]
            failure = self._run(command, stop_event)
            if failure == "stopped":
                return PlayOutcome("stopped", self._played(started))
            if failure is not None:
                return PlayOutcome("failed", self._played(started), failure)
            self.decoded.append(path)
            stopped = self._wait_rest(started, duration_ms, stop_event)
            return PlayOutcome("stopped" if stopped else "completed", self._played(started))
        finally:
            self._now = None

    def _run(self, command: list[str], stop_event: threading.Event) -> str | None:
        # stderr goes to a file: a broken file can make ffmpeg write more than a pipe holds.
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(  # noqa: S603 - fixed program, no shell
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors
            )
            while process.poll() is None:
                if stop_event.wait(0.02):
                    process.kill()
                    process.wait()
                    return "stopped"
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace").strip()
        if process.returncode != 0:
            tail = text[-_STDERR_TAIL:] or f"exit status {process.returncode}"
            return f"decode failed: {tail}"
        return None

    def screenshot(self) -> bytes | None:
        """The frame now on (as if shown), decoded by ffmpeg into a PNG."""
        now = self._now
        if now is None:
            return None
        path, offset, started, still = now
        position = 0 if still else offset + self._played(started)
        command = [self.ffmpeg, "-nostdin", "-loglevel", "error"]
        if position > 0:
            command += ["-ss", f"{position / 1000:.3f}"]
        command += ["-i", str(path), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"]
        try:
            done = subprocess.run(  # noqa: S603 - fixed program, no shell
                command, capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 and done.stdout else None


def make_backend(name: str, clock: Clock, **options: Any) -> Backend:
    """The backend called `name` (`simulate`, `headless`, `mpv`)."""
    if name == "simulate":
        return SimulateBackend(clock)
    if name == "headless":
        return HeadlessBackend(clock, **options)
    if name == "mpv":
        from signage_player.backend_mpv import MpvBackend

        return MpvBackend(clock, **options)
    raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "HeadlessBackend",
    "PlayOutcome",
    "SimulateBackend",
    "ffmpeg_exe",
    "make_backend",
]
