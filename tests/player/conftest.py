"""Fixtures for player tests: a device key, a state database, a fake player API on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.api import ApiClient
from signage_player.clock import CorrectedClock, ManualClock
from signage_player.state import PlayerState

from tests.player.player_fakes import T0_MS, FakeServer, handler_for


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fake player API on 127.0.0.1, served from a thread."""
    server = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    """A fixed device key, so signatures are reproducible."""
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[PlayerState]:
    """A fresh state database."""
    with PlayerState.in_dir(tmp_path / "state") as opened:
        yield opened


@pytest.fixture
def manual_clock() -> ManualClock:
    """A device clock that moves only when told."""
    return ManualClock(wall_ms=T0_MS, monotonic_ms=5_000)


@pytest.fixture
def api(fake_server: FakeServer, manual_clock: ManualClock) -> Iterator[ApiClient]:
    """A real ApiClient against the fake server."""
    with requests.Session() as session:
        yield ApiClient(fake_server.base_url, session, CorrectedClock(manual_clock), token="t0k")
