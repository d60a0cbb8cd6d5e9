"""The player API served by gunicorn, as in production: the server's time once per answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

from signage.adapters.db.migrate import upgrade
from signage.adapters.passwords import Argon2Hasher
from signage.bootstrap import build_services
from signage.config import load_settings
from tests.conftest import config_file, seed_users
from tests.web.route_cases_devices import enrolled_device

P = "/api/player/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _head(port: int, path: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    """Status and raw header lines of one GET (so duplicates stay visible)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    pairs = [tuple(line.split(": ", 1)) for line in head[1:]]
    return int(head[0].split()[1]), [(k, v) for k, v in pairs]


def test_gunicorn_answers_carry_one_date_and_the_millisecond_time(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    services = build_services(load_settings(config, environ={}), hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    seed_users(services)
    device = enrolled_device(services)
    services.engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env["SIGNAGE_CONFIG"] = str(config)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "signage:create_app()"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        auth = {"Authorization": f"Bearer {device.token}"}
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = _head(port, f"{P}/plan", auth)
                break
            except OSError:
                assert server.poll() is None, log.read_text(errors="replace")[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                time.sleep(0.2)
        assert status == 200
        for path, headers, expected in (
            (f"{P}/plan", auth, 200),
            (f"{P}/plan", {}, 401),
            (f"{P}/nothing-here", auth, 404),
        ):
            before = time.time()
            status, lines = _head(port, path, headers)
            after = time.time()
            assert status == expected, path
            dates = [v for k, v in lines if k.lower() == "date"]
            stamps = [v for k, v in lines if k.lower() == "signage-server-time"]
            assert len(dates) == 1, lines  # gunicorn writes its own and drops ours
            assert len(stamps) == 1, lines
            assert int(before) - 1 <= parsedate_to_datetime(dates[0]).timestamp() <= after + 1
            assert before * 1000 - 5 <= int(stamps[0]) <= after * 1000 + 5
        # Outside the player API nothing is added.
        _, lines = _head(port, "/login", {})
        assert not [k for k, _ in lines if k.lower() == "signage-server-time"]
    finally:
        server.terminate()
        server.wait(15)
