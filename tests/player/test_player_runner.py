"""The run loop against the fake API on loopback, on an accelerated clock (minutes in seconds).

Records are checked as the server would: Ed25519 signatures with `cryptography` directly,
an unbroken hash chain, every seq exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from signage_player.api import ApiClient
from signage_player.backends import PlayOutcome, SimulateBackend
from signage_player.cache import file_sha256
from signage_player.clock import AcceleratedClock, CorrectedClock
from signage_player.keys import generate_key, load_key, public_key_raw
from signage_player.runner import Player
from signage_player.schedule import parse_plan, scheduled_at
from signage_player.state import OpenPlay, PlayerState

from tests.player.player_fakes import T0_MS, FakeServer, PlaylistSpec, media, plan_doc, segment

FACTOR = 40.0
S = 1000
START = T0_MS - 100 * S  # segments start before the player does: it joins mid-segment
X, X_DATA = media("x")
Y, Y_DATA = media("y")
Z, Z_DATA = media("z")
SIZES = {X: len(X_DATA), Y: len(Y_DATA), Z: len(Z_DATA)}


def wait_until(predicate: Callable[[], object], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.01)


class HashingBackend(SimulateBackend):
    """Simulates, and notes whether each file handed to it matched its name."""

    def __init__(self, clock: AcceleratedClock) -> None:
        super().__init__(clock)
        self.matched: list[bool] = []

    def play(self, path: Path, *args: Any, **kwargs: Any) -> PlayOutcome:
        self.matched.append(file_sha256(path) == path.name)
        return super().play(path, *args, **kwargs)


@pytest.fixture
def clock() -> AcceleratedClock:
    return AcceleratedClock(FACTOR, origin_ms=T0_MS)


@pytest.fixture
def server(fake_server: FakeServer, clock: AcceleratedClock) -> FakeServer:
    fake_server.now_ms = clock.wall_ms
    fake_server.assets.update({X: X_DATA, Y: Y_DATA, Z: Z_DATA})
    return fake_server


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "player"
    generate_key(directory)
    with PlayerState.in_dir(directory) as state:
        state.save_enrolment(token="t0k", device_id=42)
    return directory


@pytest.fixture
def start_player(
    server: FakeServer, clock: AcceleratedClock, state_dir: Path
) -> Iterator[Callable[..., Player]]:
    made: list[tuple[Player, requests.Session]] = []

    def start(backend: SimulateBackend | None = None) -> Player:
        session = requests.Session()
        api = ApiClient(server.base_url, session, CorrectedClock(clock), timeout=(1.0, 2.0))
        player = Player(
            state_dir,
            api,
            backend or SimulateBackend(clock),
            clock,
            poll_interval_s=2.0,
            heartbeat_interval_s=4.0,
        )
        made.append((player, session))
        player.start()
        return player

    yield start
    for player, session in made:
        player.stop()
        session.close()


def verify(server: FakeServer, state_dir: Path) -> list[dict[str, Any]]:
    """Every record the server holds: signed by the device key, chained, seq 1..n once."""
    key = load_key(state_dir)
    assert key is not None
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(key))
    records = sorted(server.plays.values(), key=lambda r: r["seq"])
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert len(server.received_ids) == len(set(server.received_ids)) == len(records)
    prev = "0" * 64
    for record in records:
        body = {k: v for k, v in record.items() if k != "signature"}
        canonical = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        public.verify(base64.b64decode(record["signature"]), canonical)
        assert record["prev_hash"] == prev
        prev = hashlib.sha256(canonical + b"." + record["signature"].encode()).hexdigest()
    return records


def records(server: FakeServer) -> list[dict[str, Any]]:
    with server.lock:
        return sorted(server.plays.values(), key=lambda r: r["seq"])


def test_plays_follow_the_plan_and_arrive_signed_and_chained_exactly_once(
    server: FakeServer, start_player: Callable[..., Player], state_dir: Path
) -> None:
    long = PlaylistSpec(7, 2, [(X, 5 * S), (Y, 5 * S)])
    short = PlaylistSpec(8, 5, [(Z, 3 * S)])
    doc = plan_doc(
        [segment(START, T0_MS + 3600 * S, entries=[(1, long), (2, short)])],
        [long, short],
        sizes=SIZES,
    )
    server.set_plan(doc)
    player = start_player()
    wait_until(lambda: len(server.plays) >= 10)
    player.stop()
    got = verify(server, state_dir)
    plan = parse_plan(doc)
    for record in got:
        on = scheduled_at(plan, (record["started_at_ms"] + record["ended_at_ms"]) // 2)
        assert on is not None
        assert (record["asset_sha256"], record["entry_id"]) == (
            on.slot.item.asset_sha256,
            on.slot.entry.entry_id,
        )
        assert record["approval_id"] == on.slot.entry.approval_id
        assert record["playlist_id"] == on.slot.playlist.playlist_id
        assert record["location_id"] == 3
        assert record["device_id"] == 42
        assert record["clock_verified"] is True
    middle = got[1:-1]
    assert {r["status"] for r in middle} == {"completed"}
    for record in middle:
        on = scheduled_at(plan, (record["started_at_ms"] + record["ended_at_ms"]) // 2)
        assert on is not None
        # Loose: a scheduling hiccup of 50 ms real time is two seconds on this clock.
        assert abs(record["ended_at_ms"] - on.end_ms) < 2000
    assert (got[-1]["status"], got[-1]["reason"]) == ("interrupted", "shutdown")
    # Once every file is in (the first plays may wait for downloads), no time is lost
    # between items, and the round robin shows every item.
    steady = got[3:-1]
    for before, after in itertools.pairwise(steady):
        assert after["started_at_ms"] - before["ended_at_ms"] < 1500
    assert {r["asset_sha256"] for r in steady} == {X, Y, Z}
    heartbeat = server.heartbeats[-1]
    assert heartbeat["plan_etag"] == server.etag
    assert heartbeat["clock_verified"] is True
    assert heartbeat["cache"]["missing"] == 0
    assert heartbeat["software_version"]


def test_playback_continues_offline_and_records_arrive_later_exactly_once(
    server: FakeServer,
    start_player: Callable[..., Player],
    state_dir: Path,
    clock: AcceleratedClock,
) -> None:
    idle = PlaylistSpec(1, 1, [(X, 4 * S), (Z, 4 * S)])
    server.set_plan(plan_doc([segment(START, T0_MS + 7200 * S, entries=[(1, idle)])], [idle]))
    player = start_player()
    wait_until(lambda: len(server.plays) >= 2)
    server.down = True
    cut_at = clock.wall_ms()
    wait_until(lambda: player.state.outbox_size() >= 5)
    # A restart without network: the plan and media are on disk, the clock is unchecked.
    player.stop(flush=False)
    player = start_player()
    wait_until(lambda: player.state.outbox_size() >= 8)
    assert player.snapshot()["clock_verified"] is False
    back_at = clock.wall_ms()
    server.down = False
    wait_until(lambda: any(r["started_at_ms"] > back_at + 5 * S for r in records(server)))
    player.stop()
    assert player.state_dir.joinpath("state.sqlite3").exists()
    with PlayerState.in_dir(state_dir) as state:
        assert state.outbox_size() == 0
    got = verify(server, state_dir)
    offline = [r for r in got if cut_at < r["started_at_ms"] < back_at]
    assert len(offline) >= 6
    assert any(r["clock_verified"] is False for r in offline)
    synced_at = min(h["at_ms"] for h in server.heartbeats if h["at_ms"] > back_at)
    assert all(r["clock_verified"] for r in got if r["started_at_ms"] > synced_at)


def test_a_withdrawal_applies_at_once(
    server: FakeServer, start_player: Callable[..., Player], clock: AcceleratedClock
) -> None:
    campaign = PlaylistSpec(7, 2, [(X, 600 * S)])
    server.set_plan(
        plan_doc([segment(START, T0_MS + 7200 * S, entries=[(1, campaign)])], [campaign])
    )
    player = start_player()
    wait_until(lambda: player.snapshot()["showing"] == "content")
    withdrawn_at = clock.wall_ms()
    etag = server.set_plan(plan_doc([segment(START, T0_MS + 7200 * S, "nothing")], []))
    wait_until(lambda: len(server.plays) >= 1)
    (record,) = records(server)
    assert (record["status"], record["reason"]) == ("interrupted", "withdrawn")
    assert record["ended_at_ms"] - withdrawn_at < 5 * S  # one poll interval and a margin
    wait_until(lambda: any(h["plan_etag"] == etag for h in server.heartbeats))
    confirmed = next(h for h in server.heartbeats if h["plan_etag"] == etag)
    assert confirmed["showing"] == "black"
    assert confirmed["black_reason"] == "nothing"


def test_added_content_waits_until_its_assets_are_verified(
    server: FakeServer, start_player: Callable[..., Player], clock: AcceleratedClock
) -> None:
    idle = PlaylistSpec(1, 1, [(X, 3 * S)])
    campaign = PlaylistSpec(7, 2, [(Y, 3 * S)])
    del server.assets[Y]  # not downloadable yet
    server.set_plan(plan_doc([segment(START, T0_MS + 7200 * S, entries=[(1, idle)])], [idle]))
    player = start_player()
    wait_until(lambda: len(server.plays) >= 1)
    switch = clock.wall_ms() + 3600 * S
    etag = server.set_plan(
        plan_doc(
            [
                segment(START, switch, entries=[(2, campaign)]),
                segment(switch, T0_MS + 7200 * S, entries=[(1, idle)]),
            ],
            [idle, campaign],
        )
    )
    wait_until(lambda: any(h["plan_etag"] == etag for h in server.heartbeats))
    seen = len(server.plays)
    wait_until(lambda: len(server.plays) >= seen + 4)
    beat = next(h for h in server.heartbeats if h["plan_etag"] == etag)
    assert beat["plan_ready"] is False
    assert beat["fallback_in_use"] is True
    assert {r["asset_sha256"] for r in records(server)} == {X}
    added_at = clock.wall_ms()
    server.assets[Y] = Y_DATA
    wait_until(lambda: any(r["asset_sha256"] == Y for r in records(server)))
    for record in records(server):
        if record["asset_sha256"] == Y:
            assert record["started_at_ms"] >= added_at
            assert record["approval_id"] == 2
    player.stop()


def test_a_bit_flipped_file_is_never_played_and_is_fetched_again(
    server: FakeServer, start_player: Callable[..., Player], clock: AcceleratedClock
) -> None:
    idle = PlaylistSpec(1, 1, [(X, 3 * S), (Z, 3 * S)])
    server.set_plan(plan_doc([segment(START, T0_MS + 7200 * S, entries=[(1, idle)])], [idle]))
    player = start_player()
    wait_until(lambda: len(server.plays) >= 2 and server.asset_gets(X) == 1)
    player.stop()
    # The bit flips while the player is off (flipping it during a run races the check).
    path = player.cache.file_path(X)
    damaged = bytearray(path.read_bytes())
    damaged[100] ^= 0x01
    path.write_bytes(bytes(damaged))
    backend = HashingBackend(clock)
    player = start_player(backend)
    wait_until(lambda: server.asset_gets(X) == 2)
    wait_until(
        lambda: any(
            r["asset_sha256"] == X and r["status"] != "failed"
            for r in records(server)
            if r["seq"] > 3
        )
    )
    player.stop()
    failed = [r for r in records(server) if r["status"] == "failed"]
    assert failed
    assert {(r["asset_sha256"], r["reason"]) for r in failed} == {(X, "asset_corrupt")}
    assert all(backend.matched)
    assert player.cache.directory.joinpath(X).read_bytes() == X_DATA


def test_past_the_horizon_the_screen_is_black_and_says_so_when_back(
    server: FakeServer, start_player: Callable[..., Player], clock: AcceleratedClock
) -> None:
    idle = PlaylistSpec(1, 1, [(X, 7 * S)])
    end = T0_MS + 30 * S
    server.set_plan(
        plan_doc([segment(START, end, entries=[(1, idle)])], [idle], horizon=(START, end))
    )
    player = start_player()
    wait_until(lambda: len(server.plays) >= 1)
    server.down = True
    wait_until(lambda: clock.wall_ms() > end + 10 * S)
    snapshot = player.snapshot()
    assert snapshot["showing"] == "black"
    assert snapshot["black_reason"] == "horizon_end"
    assert "horizon" in snapshot["last_error"]
    server.down = False
    wait_until(lambda: any(h.get("horizon_expired_at_ms") == end for h in server.heartbeats))
    player.stop()
    got = records(server)
    assert all(r["started_at_ms"] < end for r in got)
    cut = [r for r in got if r["reason"] == "horizon_end"]
    assert len(cut) == 1
    assert abs(cut[0]["ended_at_ms"] - end) < 1000
    beat = next(h for h in server.heartbeats if h.get("horizon_expired_at_ms") == end)
    assert "horizon" in beat["last_error"]


def test_a_play_left_open_by_a_crash_is_closed_as_interrupted(
    server: FakeServer, start_player: Callable[..., Player], state_dir: Path
) -> None:
    with PlayerState.in_dir(state_dir) as state:
        state.note_time(T0_MS - 5 * S, 0)
        state.begin_play(
            OpenPlay(
                "r-1", 3, X, 7, 1, 2, T0_MS - 20 * S, device_clock_offset_ms=0, clock_verified=True
            )
        )
    start_player()
    wait_until(lambda: len(server.plays) >= 1)
    first = records(server)[0]
    assert (first["id"], first["status"], first["reason"]) == ("r-1", "interrupted", "crash")
    assert first["ended_at_ms"] == T0_MS - 5 * S
