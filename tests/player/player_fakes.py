"""A fake player API on loopback for the player tests, served by http.server in a thread."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

# 2025-10-09T08:53:20Z: a fixed instant so records are reproducible.
T0_MS = 1_760_000_000_000
SERVER_TIME_MS = T0_MS + 90_000


@dataclass
class FakeServer:
    """What the fake API serves and what it saw; tests change it between calls."""

    assets: dict[str, bytes] = field(default_factory=dict)
    honour_range: bool = True
    cut_after: int | None = None  # bytes sent before the connection is dropped once
    plan: dict[str, Any] = field(default_factory=lambda: {"segments": []})
    etag: str = '"plan-1"'
    rate_limit_once: int | None = None  # Retry-After seconds for the next request
    play_answers: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    base_url: str = ""
    # The server's clock (ms); None sends the fixed SERVER_TIME_MS.
    now_ms: Callable[[], int] | None = None
    # While True every request is dropped without an answer, as an unreachable server.
    down: bool = False
    # Records kept by id (first arrival), every id received, and the heartbeats.
    plays: dict[str, dict[str, Any]] = field(default_factory=dict)
    received_ids: list[str] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ranges_asked(self) -> list[str | None]:
        """The Range header of each asset request, in order."""
        return [h.get("Range") for m, p, h, _ in self.requests if "/assets/" in p]

    def set_plan(self, plan: dict[str, Any]) -> str:
        """Serve `plan` from now on under a new strong ETag."""
        body = json.dumps(plan, sort_keys=True).encode()
        self.plan = plan
        self.etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        return self.etag

    def asset_gets(self, sha: str) -> int:
        """How many times the asset was asked for."""
        return sum(1 for m, p, _, _ in list(self.requests) if p.endswith(f"/assets/{sha}"))

    def time_ms(self) -> int:
        """The time the server sends in its headers."""
        return self.now_ms() if self.now_ms else SERVER_TIME_MS


def handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _start(self, status: int, length: int, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Signage-Server-Time", str(server.time_ms()))
            self.send_header("Content-Length", str(length))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()

        def _json(self, status: int, body: object, extra: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self._start(status, len(data), {"Content-Type": "application/json", **(extra or {})})
            self.wfile.write(data)

        def _record(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.requests.append((self.command, self.path, dict(self.headers), body))
            return body

        def _dropped(self) -> bool:
            # An unreachable server: the connection closes without an answer.
            if server.down:
                self.close_connection = True
            return server.down

        def _limited(self) -> bool:
            if server.rate_limit_once is None:
                return False
            wait, server.rate_limit_once = server.rate_limit_once, None
            self._json(429, {"reason": "slow down"}, {"Retry-After": str(wait)})
            return True

        def do_GET(self) -> None:
            self._record()
            if self._dropped() or self._limited():
                return
            if self.path.endswith("/plan"):
                if self.headers.get("If-None-Match") == server.etag:
                    self._start(304, 0, {"ETag": server.etag})
                else:
                    self._json(200, server.plan, {"ETag": server.etag})
                return
            match = re.search(r"/assets/([0-9a-f]{64})$", self.path)
            if not match or match.group(1) not in server.assets:
                self._json(404, {"reason": "no such asset"})
                return
            self._asset(server.assets[match.group(1)])

        def _asset(self, data: bytes) -> None:
            start, status, extra = 0, 200, {}
            asked = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
            if asked and server.honour_range:
                start = int(asked.group(1))
                if start >= len(data):
                    self._start(416, 0, {"Content-Range": f"bytes */{len(data)}"})
                    return
                status = 206
                extra = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            body = data[start:]
            self._start(status, len(body), extra)
            if server.cut_after is not None:
                cut, server.cut_after = server.cut_after, None
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self._record()
            if self._dropped() or self._limited():
                return
            if self.path.endswith("/plays"):
                records = json.loads(body)["records"]
                results = []
                for record in records:
                    status, reason = server.play_answers.get(record["id"], ("accepted", None))
                    with server.lock:
                        server.received_ids.append(record["id"])
                        if status == "accepted" and record["id"] in server.plays:
                            status = "duplicate"
                        elif status == "accepted":
                            server.plays[record["id"]] = record
                    if status != "unanswered":
                        results.append({"id": record["id"], "status": status, "reason": reason})
                self._json(200, {"results": results})
            elif self.path.endswith("/heartbeat"):
                with server.lock:
                    server.heartbeats.append(json.loads(body))
                self._json(200, {"ok": True})
            elif self.path.endswith("/enroll"):
                self._json(201, {"code": "K7Q-2MX", "fingerprint": "ab12", "poll_interval_s": 5})
            elif self.path.endswith("/enroll/poll"):
                self._json(200, {"status": "enrolled", "token": "t0k", "device_id": 42})
            else:
                self._json(404, {"reason": "unknown route"})

    return Handler


# --- plan documents -----------------------------------------------------------------------


def media(seed: int | str, size: int = 4_000) -> tuple[str, bytes]:
    """Reproducible bytes for a fake asset and their SHA-256."""
    data = hashlib.shake_256(str(seed).encode()).digest(size)
    return hashlib.sha256(data).hexdigest(), data


@dataclass(frozen=True)
class PlaylistSpec:
    """A playlist of the plan: `(sha, duration_ms)` items under an approval."""

    playlist_id: int
    approval_id: int
    items: Sequence[tuple[str, int]]

    @property
    def key(self) -> str:
        return f"{self.approval_id}:{self.playlist_id}"


def segment(
    start_ms: int,
    end_ms: int,
    kind: str = "content",
    entries: Iterable[tuple[int, PlaylistSpec]] = (),
) -> dict[str, Any]:
    """A plan segment; `entries` are `(entry_id, playlist)` in the order they share time."""
    return {
        "start_ms": start_ms,
        "end_ms": end_ms,
        "kind": kind,
        "entries": [
            {
                "entry_id": entry_id,
                "approval_id": playlist.approval_id,
                "playlist": playlist.key,
                "campaign_id": playlist.approval_id * 10,
            }
            for entry_id, playlist in entries
        ],
    }


def plan_doc(
    segments: Sequence[dict[str, Any]],
    playlists: Iterable[PlaylistSpec],
    *,
    horizon: tuple[int, int] | None = None,
    sizes: dict[str, int] | None = None,
    device_id: int = 42,
    poll_interval_s: float = 30,
) -> dict[str, Any]:
    """A plan document in the protocol's format (see players/PROTOCOL.md)."""
    lists = list(playlists)
    start = horizon[0] if horizon else segments[0]["start_ms"]
    end = horizon[1] if horizon else segments[-1]["end_ms"]
    shas = {sha for playlist in lists for sha, _ in playlist.items}
    return {
        "version": 1,
        "device_id": device_id,
        "location_id": 3,
        "timezone": "Asia/Dushanbe",
        "screen": {"width": 1920, "height": 1080},
        "horizon": {"start_ms": start, "end_ms": end},
        "poll_interval_s": poll_interval_s,
        "segments": list(segments),
        "playlists": {
            p.key: {
                "playlist_id": p.playlist_id,
                "approval_id": p.approval_id,
                "items": [
                    {"creative_id": 100 + n, "asset_sha256": sha, "duration_ms": duration}
                    for n, (sha, duration) in enumerate(p.items)
                ],
            }
            for p in lists
        },
        "assets": {
            sha: {
                "size": (sizes or {}).get(sha),
                "mime": "video/mp4",
                "url": f"/api/player/v1/assets/{sha}",
            }
            for sha in sorted(shas)
        },
    }
