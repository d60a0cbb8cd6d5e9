"""A fake player API on loopback for the player tests, served by http.server in a thread."""

from __future__ import annotations

import json
import re
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

    def ranges_asked(self) -> list[str | None]:
        """The Range header of each asset request, in order."""
        return [h.get("Range") for m, p, h, _ in self.requests if "/assets/" in p]


def handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _start(self, status: int, length: int, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Signage-Server-Time", str(SERVER_TIME_MS))
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

        def _limited(self) -> bool:
            if server.rate_limit_once is None:
                return False
            wait, server.rate_limit_once = server.rate_limit_once, None
            self._json(429, {"reason": "slow down"}, {"Retry-After": str(wait)})
            return True

        def do_GET(self) -> None:
            self._record()
            if self._limited():
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
            if self._limited():
                return
            if self.path.endswith("/plays"):
                records = json.loads(body)["records"]
                results = []
                for record in records:
                    status, reason = server.play_answers.get(record["id"], ("accepted", None))
                    if status != "unanswered":
                        results.append({"id": record["id"], "status": status, "reason": reason})
                self._json(200, {"results": results})
            elif self.path.endswith("/heartbeat"):
                self._json(200, {"ok": True})
            elif self.path.endswith("/enroll"):
                self._json(201, {"code": "K7Q-2MX", "fingerprint": "ab12", "poll_interval_s": 5})
            elif self.path.endswith("/enroll/poll"):
                self._json(200, {"status": "enrolled", "token": "t0k", "device_id": 42})
            else:
                self._json(404, {"reason": "unknown route"})

    return Handler
