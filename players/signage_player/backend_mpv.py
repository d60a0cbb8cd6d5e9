"""The `mpv` playback backend: one long-lived mpv process driven over its IPC socket."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from signage_player.backends import Backend, PlayOutcome, is_still
from signage_player.clock import Clock, wait
from signage_player.errors import BackendError


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
            start = 0 if is_still(mime) else start_offset_ms
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
