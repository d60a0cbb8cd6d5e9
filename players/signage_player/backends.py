"""Playback backends behind one interface: `simulate`, `headless` (ffmpeg) and `mpv`.

A backend shows one file at a time for a given time, or black, and waits on the player's
clock while it does; the run loop decides what to show and writes the records.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
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


def _is_still(mime: str | None) -> bool:
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
        still = _is_still(mime)
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


class MpvBackend(Backend):
    """The system `mpv`, one long-lived process driven over its JSON IPC socket.

    On a real screen it runs full screen with a black idle window; with `headless=True`
    it runs with `--vo=null --ao=null` (tests, servers).
    """

    name = "mpv"

    def __init__(
        self,
        clock: Clock,
        *,
        headless: bool = False,
        mpv: str = "mpv",
        extra_args: Sequence[str] = (),
        load_timeout_s: float = 15.0,
    ) -> None:
        super().__init__(clock)
        found = shutil.which(mpv)
        if found is None:
            raise BackendError(f"{mpv!r} is not installed (apt-get install mpv)")
        self.mpv = found
        self.headless = headless
        self.extra_args = list(extra_args)
        self.load_timeout_s = load_timeout_s
        self._dir = Path(tempfile.mkdtemp(prefix="signage-mpv-"))
        self._socket_path = self._dir / "ipc.sock"
        self._process: subprocess.Popen[bytes] | None = None
        self._ipc: _MpvIpc | None = None

    def _args(self) -> list[str]:
        common = [
            "--idle=yes",
            "--keep-open=yes",
            "--image-display-duration=inf",
            "--no-terminal",
            "--no-config",
            f"--input-ipc-server={self._socket_path}",
        ]
        if self.headless:
            screen = ["--vo=null", "--ao=null"]
        else:
            screen = [
                "--fs",
                "--force-window=yes",
                "--background=color",
                "--no-osc",
                "--osd-level=0",
                "--cursor-autohide=always",
                "--no-input-default-bindings",
                "--input-vo-keyboard=no",
                "--mute=yes",
            ]
        return [self.mpv, *common, *screen, *self.extra_args]

    def _ensure(self) -> _MpvIpc:
        if self._ipc is not None and self._process is not None and self._process.poll() is None:
            return self._ipc
        self._shutdown_process()
        self._socket_path.unlink(missing_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 - fixed program, no shell
            self._args(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self.load_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BackendError(f"mpv exited with status {self._process.returncode}")
            if self._socket_path.exists():
                with contextlib.suppress(OSError):
                    self._ipc = _MpvIpc(self._socket_path)
                    return self._ipc
            time.sleep(0.05)
        raise BackendError("mpv did not open its IPC socket")

    def play(
        self,
        path: Path,
        start_offset_ms: int,
        duration_ms: int,
        stop_event: threading.Event,
        *,
        mime: str | None = None,
    ) -> PlayOutcome:
        """Load the file at its offset, wait its time, and report a load or decode error."""
        started = self.clock.monotonic_ms()
        try:
            ipc = self._ensure()
            ipc.drain_events()
            start = 0 if _is_still(mime) else start_offset_ms
            # `start` set as a property applies to the next file: the `loadfile` options
            # argument moved between mpv versions, the property did not.
            ipc.command("set_property", "start", f"{start / 1000:.3f}")
            ipc.command("loadfile", str(path), "replace")
            failure = ipc.wait_loaded(self.load_timeout_s)
        except (BackendError, OSError) as exc:
            self._shutdown_process()
            return PlayOutcome("failed", self._played(started), f"mpv: {exc}")
        if failure is not None:
            return PlayOutcome("failed", self._played(started), f"mpv: {failure}")
        while True:
            left = duration_ms - self._played(started)
            if left <= 0:
                return PlayOutcome("completed", self._played(started))
            if wait(self.clock, stop_event, min(left, 250) / 1000):
                return PlayOutcome("stopped", self._played(started))
            failure = ipc.error_event()
            if failure is not None:
                return PlayOutcome("failed", self._played(started), f"mpv: {failure}")

    def black(self, duration_ms: int, stop_event: threading.Event) -> None:
        """Stop playback (the idle window is black) and wait."""
        with contextlib.suppress(BackendError, OSError):
            self._ensure().command("stop")
        super().black(duration_ms, stop_event)

    def screenshot(self) -> bytes | None:
        """mpv's `screenshot-to-file` of the video frame, or None if mpv cannot."""
        if self._ipc is None:
            return None
        target = self._dir / "shot.png"
        target.unlink(missing_ok=True)
        try:
            self._ipc.command("screenshot-to-file", str(target), "video")
        except (BackendError, OSError):
            return None
        try:
            data = target.read_bytes()
        except OSError:
            return None
        return data if data.startswith(b"\x89PNG") else None

    def _shutdown_process(self) -> None:
        if self._ipc is not None:
            with contextlib.suppress(BackendError, OSError):
                self._ipc.command("quit", timeout_s=2.0)
            self._ipc.close()
            self._ipc = None
        if self._process is not None:
            try:
                self._process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def close(self) -> None:
        """Quit mpv and remove its socket."""
        self._shutdown_process()
        shutil.rmtree(self._dir, ignore_errors=True)


class _MpvIpc:
    """Line-delimited JSON over mpv's Unix socket: commands with ids, events queued."""

    def __init__(self, path: Path) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(str(path))
        self._lock = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="mpv-ipc", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with contextlib.suppress(OSError):
            while True:
                data = self._sock.recv(65536)
                if not data:
                    break
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._dispatch(line)
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def _dispatch(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        with self._lock:
            if "request_id" in message and "event" not in message:
                self._replies[int(message["request_id"])] = message
            elif "event" in message:
                self._events.append(message)
            self._lock.notify_all()

    def command(self, *args: str, timeout_s: float = 10.0) -> object:
        """Run one mpv command and return its `data`; an mpv error raises `BackendError`."""
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
        payload = json.dumps({"command": list(args), "request_id": request_id}) + "\n"
        self._sock.sendall(payload.encode("utf-8"))
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while request_id not in self._replies:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise BackendError(f"mpv did not answer {args[0]}")
                self._lock.wait(left)
            reply = self._replies.pop(request_id)
        if reply.get("error") != "success":
            raise BackendError(f"{args[0]}: {reply.get('error')}")
        return reply.get("data")

    def drain_events(self) -> None:
        """Forget the events so far (they belong to earlier files)."""
        with self._lock:
            self._events.clear()

    def wait_loaded(self, timeout_s: float) -> str | None:
        """Wait for the file to start; None when it did, else why it failed."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                for event in self._events:
                    if event.get("event") == "file-loaded":
                        self._events.remove(event)
                        return None
                    if event.get("event") == "end-file" and event.get("reason") == "error":
                        self._events.remove(event)
                        return str(event.get("file_error") or "cannot play the file")
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    return "the file did not start"
                self._lock.wait(left)

    def error_event(self) -> str | None:
        """The error of an `end-file` event since the file loaded, if any."""
        with self._lock:
            for event in self._events:
                if event.get("event") == "end-file" and event.get("reason") == "error":
                    return str(event.get("file_error") or "playback error")
        return None

    def close(self) -> None:
        """Close the socket (the reader thread ends with it)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._reader.join(timeout=2)


def make_backend(name: str, clock: Clock, **options: Any) -> Backend:
    """The backend called `name` (`simulate`, `headless`, `mpv`)."""
    if name == "simulate":
        return SimulateBackend(clock)
    if name == "headless":
        return HeadlessBackend(clock, **options)
    if name == "mpv":
        return MpvBackend(clock, **options)
    raise BackendError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "HeadlessBackend",
    "MpvBackend",
    "PlayOutcome",
    "SimulateBackend",
    "ffmpeg_exe",
    "make_backend",
]
