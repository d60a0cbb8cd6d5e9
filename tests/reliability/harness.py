"""The live pieces of the reliability tests: the real app served on loopback (stoppable and
restartable on the same port), the real `signage-player` process, and what each side holds.

Everything listens on and talks to 127.0.0.1 only. Every wait here is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import make_app, make_settings, seed_users

T = TypeVar("T")
GENESIS = "0" * 64
SCREEN = (320, 180)
POLL_S = 5  # the configuration's floor
QUOTE = {"text": "No one shall be subjected to torture.", "language": "en", "author": "UDHR"}
_BIN = Path(sys.executable).parent
# The installed console script when there is one (as on a billboard), else the module.
PLAYER_CMD = (
    [str(_BIN / "signage-player")]
    if (_BIN / "signage-player").exists()
    else [sys.executable, "-m", "signage_player.cli"]
)


def wait_for(
    what: str, check: Callable[[], T | None], timeout_s: float, every_s: float = 0.05
) -> T:
    """Poll `check` until it returns something truthy; fail after `timeout_s` real seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(every_s)


# --- the server ------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log: an accelerated player makes hundreds of requests a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """The app on 127.0.0.1 from a thread; `stop()` closes the port and every open connection,
    so the player sees connection refused; `start()` again reuses the port."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.app = app
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LiveServer:
        server = wait_for(f"port {self.port} to be free", self._bind, timeout_s=10, every_s=0.1)
        accept = server.get_request

        def tracked() -> tuple[socket.socket, Any]:
            conn, addr = accept()
            with self._lock:
                self._conns.add(conn)
            return conn, addr

        server.get_request = tracked
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="live-server", daemon=True
        )
        self._thread.start()
        return self

    def _bind(self) -> Any:
        try:
            return make_server(
                "127.0.0.1", self.port, self.app, threaded=True, request_handler=_QuietHandler
            )
        except OSError:
            return None

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:  # kept-alive connections would otherwise still be answered
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None


# --- the world on the server -----------------------------------------------------------------


@dataclass
class Stage:
    """Real services with users per role, a rendered quote video, screens and campaigns."""

    services: Any
    clock: Any
    users: dict[str, Any]
    tmp: Path
    asset_sha: str = ""
    creative_id: int = 0

    @property
    def admin(self) -> Any:
        return self.users["admin"]

    def today(self) -> date:
        from zoneinfo import ZoneInfo

        return self.clock.now().astimezone(ZoneInfo("Asia/Dushanbe")).date()

    def screen(self, name: str) -> Any:
        """A 320×180 screen in Dushanbe (the default time zone)."""
        return self.services.locations.create_location(
            "admin",
            {"name": name, "screen_width": SCREEN[0], "screen_height": SCREEN[1], "tags": ["t"]},
        )

    def render_quote(self) -> str:
        """The worker's part, done up front: a quote rendered as a real 320×180 video."""
        svc = self.services
        templates = svc.templates.list_templates()
        quote = svc.quotes.create_quote("staff", QUOTE)
        creative = svc.creatives.create_quote_creative(
            "staff", quote.id, templates[2].template_id, None, "Article 5"
        )
        svc.creatives.request_render("staff", creative.id, SCREEN)
        assert svc.render_queue.run_until_empty("test") == 1
        with svc.uow_factory(readonly=True) as uow:
            (asset,) = [a for a in uow.assets.list() if a.info.mime == "video/mp4"]
        self.asset_sha, self.creative_id = asset.info.sha256, creative.id
        return self.asset_sha

    def campaign(
        self,
        name: str,
        location_ids: list[int],
        days: int,
        window: str = "00:00-24:00",
    ) -> tuple[Any, Any]:
        """A campaign of the rendered quote on these screens from today for `days` days,
        made by staff and approved by an approver (four eyes)."""
        from datetime import timedelta

        svc = self.services
        playlist = svc.playlists.create_playlist(
            self.users["staff"], f"{name} playlist", [{"creative_id": self.creative_id}]
        )
        first = self.today()
        campaign = svc.campaigns.create_campaign(
            self.users["staff"],
            {
                "name": name,
                "first_date": first.isoformat(),
                "last_date": (first + timedelta(days=days - 1)).isoformat(),
            },
        )
        svc.campaign_content.add_entry(
            self.users["staff"],
            campaign.id,
            {"playlist_id": playlist.playlist.id, "location_ids": location_ids, "window": window},
        )
        svc.campaigns.submit(self.users["staff"], campaign.id)
        approval = svc.campaigns.approve(self.users["approver"], campaign.id)
        return campaign, approval

    def plays(self, device_id: int) -> list[Any]:
        """Every play record stored for the device, by seq."""
        with self.services.uow_factory(readonly=True) as uow:
            stored = list(uow.plays.for_device(device_id, 1_000_000))
        return sorted(stored, key=lambda p: p.record.seq)

    def quarantined(self, device_id: int) -> list[Any]:
        with self.services.uow_factory(readonly=True) as uow:
            return list(uow.plays.quarantined(device_id, 1000))

    def heartbeats(self, device_id: int, limit: int = 100_000) -> list[Any]:
        """The device's heartbeats, oldest first."""
        with self.services.uow_factory(readonly=True) as uow:
            return sorted(uow.devices.heartbeats(device_id, limit), key=lambda h: h.at)


def make_stage(tmp_path: Path, clock: Any) -> Stage:
    """Services on SQLite with the shortest poll interval the configuration allows."""
    from signage.adapters.db.migrate import upgrade
    from signage.adapters.passwords import Argon2Hasher
    from signage.bootstrap import build_services

    settings = make_settings(tmp_path, player={"poll_interval_seconds": POLL_S})
    services = build_services(settings, clock=clock, hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    users = {u.username: u for u in seed_users(services).values()}
    services.templates.ensure_builtin_templates("test")
    return Stage(services, clock, users, tmp_path)


def serve(stage: Stage) -> LiveServer:
    return LiveServer(make_app(stage.services)).start()


# --- the player process ----------------------------------------------------------------------


def ffmpeg_spy(directory: Path) -> tuple[Path, Path]:
    """An ffmpeg wrapper that logs every input it is given and that input's SHA-256 at that
    moment, then runs the real ffmpeg: what the headless backend really played."""
    from signage_player.backends import ffmpeg_exe

    real = ffmpeg_exe()
    log = directory / "played.log"
    spy = directory / "ffmpeg-spy"
    spy.write_text(
        "#!/bin/sh\n"
        'prev=""\n'
        'for a in "$@"; do\n'
        '  if [ "$prev" = "-i" ]; then\n'
        f'    printf "%s %s\\n" "$a" "$(sha256sum < "$a" | cut -c1-64)" >> "{log}"\n'
        "  fi\n"
        '  prev="$a"\n'
        "done\n"
        f'exec "{real}" "$@"\n'
    )
    spy.chmod(0o755)
    return spy, log


def played_files(log: Path) -> list[tuple[str, str]]:
    """(path, sha256 of its bytes when ffmpeg was started on it), in order."""
    if not log.exists():
        return []
    return [tuple(line.split(" ", 1)) for line in log.read_text().splitlines() if line]  # type: ignore[misc]


@dataclass
class Player:
    """One billboard: a state directory and the `signage-player` processes run on it."""

    state_dir: Path
    server_url: str
    backend: str = "headless"
    clock_env: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    device_id: int | None = None
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    def env(self, fault: str | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("SIGNAGE_PLAYER_FAULT", "SIGNAGE_PLAYER_CLOCK", "SIGNAGE_PLAYER_STATE")
        }
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        if self.clock_env:
            env["SIGNAGE_PLAYER_CLOCK"] = self.clock_env
        if fault:
            env["SIGNAGE_PLAYER_FAULT"] = fault
        return env

    def log(self, name: str) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}-{name}.log"

    def enroll(self, stage: Stage, location_id: int, timeout_s: float = 60) -> int:
        """`signage-player enroll`: read the code and fingerprint it prints, bind it as the
        admin (checking the fingerprint), and wait for it to collect its token."""
        out = self.log("enroll")
        with out.open("wb") as sink:
            process = subprocess.Popen(
                [
                    *PLAYER_CMD,
                    "enroll",
                    "--state",
                    str(self.state_dir),
                    "--server",
                    self.server_url,
                    "--screen",
                    f"{SCREEN[0]}x{SCREEN[1]}",
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.env(),
            )
        try:
            text = wait_for(
                "the enrolment code",
                lambda: (t := out.read_text()) and "Key fingerprint:" in t and t,
                timeout_s,
            )
            lines = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
            device = stage.services.devices.bind_device(
                stage.admin,
                lines["Enrolment code"],
                location_id,
                fingerprint=lines["Key fingerprint"],
            )
            assert process.wait(timeout_s) == 0, out.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert f"Enrolled as device {device.id}." in out.read_text()
        self.device_id = device.id
        return int(device.id)

    def start(self, fault: str | None = None) -> subprocess.Popen[bytes]:
        assert self.process is None or self.process.poll() is not None
        self.runs += 1
        with self.log(f"run{self.runs}").open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    *PLAYER_CMD,
                    "run",
                    "--state",
                    str(self.state_dir),
                    "--backend",
                    self.backend,
                    *self.extra_args,
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.env(fault),
            )
        return self.process

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")
            for p in sorted(self.state_dir.parent.glob(f"{self.state_dir.name}-*.log"))
        )

    def wait_exit(self, timeout_s: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the player did not end in {timeout_s} s") from None

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM: the player closes the play on screen and ends."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.wait_exit(timeout_s)
        assert code == 0, self.output()[-3000:]
        return code

    def kill(self) -> None:
        """SIGKILL: no cleanup at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def view(self) -> StateView:
        return read_state(self.state_dir)

    def media_dir(self) -> Path:
        return self.state_dir / "media"


@contextlib.contextmanager
def running(*players: Player) -> Iterator[None]:
    """Make sure no player process outlives the test."""
    try:
        yield
    finally:
        for player in players:
            player.kill()


# --- what the player holds -------------------------------------------------------------------


@dataclass(frozen=True)
class StateView:
    """The player's durable state, read (read-only) from another process."""

    outbox: dict[str, tuple[int, str]]  # record id -> (seq, hash)
    head_seq: int
    head_hash: str
    open_play: bool
    kv: dict[str, str]
    cache: dict[str, str]  # sha -> path


def read_state(state_dir: Path) -> StateView:
    path = state_dir / "state.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        outbox = {
            row[0]: (int(row[1]), row[2])
            for row in conn.execute("SELECT id, seq, hash FROM outbox ORDER BY seq")
        }
        head = conn.execute("SELECT seq, hash FROM chain_head").fetchone() or (0, GENESIS)
        open_play = conn.execute("SELECT count(*) FROM open_play").fetchone()[0] > 0
        kv = dict(conn.execute("SELECT key, value FROM kv").fetchall())
        cache = dict(conn.execute("SELECT sha256, path FROM cache").fetchall())
    finally:
        conn.close()
    return StateView(outbox, int(head[0]), head[1], open_play, kv, cache)


def device_key(state_dir: Path) -> Ed25519PrivateKey:
    """The device key from its PEM file, read with `cryptography` alone."""
    key = serialization.load_pem_private_key((state_dir / "device_key.pem").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


# --- checks made without the server's (or the player's) code -------------------------------


def canonical(record: dict[str, Any]) -> bytes:
    """DESIGN.md "Proof of play": no signature, sorted keys, `,` and `:`, UTF-8 kept."""
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_chain(stored: list[Any], key: Ed25519PrivateKey, device_id: int) -> list[dict[str, Any]]:
    """Every stored record verifies with the device's key and links to the one before, seq
    1..n with no gap and no repeat; returns the records as JSON objects."""
    public = key.public_key()
    records = [json.loads(play.canonical) for play in stored]
    prev = GENESIS
    for seq, (play, record) in enumerate(zip(stored, records, strict=True), start=1):
        record["signature"] = play.record.signature
        assert record["seq"] == seq, f"seq {record['seq']} where {seq} was due"
        assert record["device_id"] == device_id
        assert record["prev_hash"] == prev, f"seq {seq} does not link to seq {seq - 1}"
        body = canonical(record)
        assert body == play.canonical.encode(), "the stored bytes are not canonical"
        public.verify(base64.b64decode(record["signature"], validate=True), body)
        prev = hashlib.sha256(body + b"." + record["signature"].encode("ascii")).hexdigest()
        assert prev == play.hash
    assert len({r["id"] for r in records}) == len(records), "a record id is stored twice"
    return records


def utc_ms(at: datetime) -> int:
    return int(at.astimezone(UTC).timestamp() * 1000)
