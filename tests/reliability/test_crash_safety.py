"""Kill -9 at every named crash point, and from outside at random moments: after a restart
no corrupt file (or `.part`) is ever played, and no record is lost or sent twice."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from signage_player.faults import KILLED_EXIT_CODE, POINTS

from signage.adapters.clock import AcceleratedClock
from tests.reliability.harness import (
    Player,
    Stage,
    check_chain,
    device_key,
    ffmpeg_spy,
    make_stage,
    played_files,
    serve,
    wait_for,
)

pytestmark = pytest.mark.slow
# A 10 s video plays in half a second: crashes land in every phase quickly.
FACTOR = 20.0
SEED = 20260601
RANDOM_KILLS = 6

History = dict[str, tuple[int, str]]  # record id -> (seq, hash) as seen in the outbox


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Stage, Player, Path]]:
    clock = AcceleratedClock(FACTOR, datetime.now(UTC))
    stage = make_stage(tmp_path, clock)
    stage.render_quote()
    location = stage.screen("Rudaki screen")
    stage.campaign("Stop torture week", [location.id], days=2)
    server = serve(stage)
    spy, log = ffmpeg_spy(tmp_path)
    player = Player(
        tmp_path / "player",
        server.url,
        clock_env=clock.env_value(),
        extra_env={"IMAGEIO_FFMPEG_EXE": str(spy)},
    )
    try:
        player.enroll(stage, location.id)
        yield stage, player, log
    finally:
        player.kill()
        server.stop()
        stage.services.engine.dispose()


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def lose_the_file(player: Player, sha: str) -> None:
    """The cached file vanished (a new disk, a cleaner): it must be fetched again."""
    for name in (sha, f"{sha}.part"):
        (player.media_dir() / name).unlink(missing_ok=True)


def finish_cleanly(stage: Stage, player: Player, history: History) -> None:
    """One run without faults until the outbox is empty and one more play was reported."""
    assert player.device_id is not None
    had = len(stage.plays(player.device_id))
    player.start()
    wait_for(
        "the outbox to drain and a new play to arrive",
        lambda: len(stage.plays(player.device_id)) > had + 1 and not player.view().outbox,
        90,
    )
    player.stop()
    history.update(player.view().outbox)


def assert_every_record_once(stage: Stage, player: Player, history: History) -> list[dict]:
    """The server holds seq 1..n, each once, n = the player's chain head; every record the
    outbox ever held is there with the same seq and hash; nothing quarantined."""
    assert player.device_id is not None
    state = player.view()
    assert state.outbox == {}
    assert not state.open_play
    stored = stage.plays(player.device_id)
    records = check_chain(stored, device_key(player.state_dir), player.device_id)
    assert len(records) == state.head_seq
    assert stored[-1].hash == state.head_hash
    on_server = {p.record.id: (p.record.seq, p.hash) for p in stored}
    assert len(on_server) == len(stored)
    missing = {rid: seen for rid, seen in history.items() if on_server.get(rid) != seen}
    assert not missing, f"outbox records not on the server as sent: {missing}"
    assert stage.quarantined(player.device_id) == []
    return records


def assert_no_bad_file_played(stage: Stage, player: Player, log: Path, records: list[dict]) -> None:
    good = str(player.media_dir() / stage.asset_sha)
    played = played_files(log)
    assert played, "nothing was played"
    for path, digest in played:
        assert path == good, f"ffmpeg was given {path}"
        assert digest == stage.asset_sha, f"ffmpeg was given bytes hashing to {digest}"
    shown = [r for r in records if r["status"] != "failed"]
    assert {r["asset_sha256"] for r in shown} == {stage.asset_sha}
    cached = player.media_dir() / stage.asset_sha
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == stage.asset_sha
    assert not list(player.media_dir().glob("*.part"))


def test_each_named_crash_point_then_restart(rig: tuple[Stage, Player, Path]) -> None:
    stage, player, log = rig
    sha = stage.asset_sha
    order = [
        "plan.after_receive_before_save",
        "download.after_part_write",
        "download.after_rename_before_index",
        "record.after_begin_play",
        "record.after_outbox_write",
        "upload.after_send_before_delete",
    ]
    assert set(order) == set(POINTS)
    history: History = {}
    for point in order:
        if point.startswith("download."):
            lose_the_file(player, sha)
        player.start(fault=point)
        assert player.wait_exit(60) == KILLED_EXIT_CODE, f"{point} was not reached"
        state = player.view()
        history.update(state.outbox)
        part, final = player.media_dir() / f"{sha}.part", player.media_dir() / sha
        if point == "plan.after_receive_before_save":
            assert "plan" not in state.kv
        elif point == "download.after_part_write":
            assert part.exists()
            assert not final.exists()
            flip_a_byte(part)  # and torn: the resume must not trust it
        elif point == "download.after_rename_before_index":
            assert final.exists()
            assert sha not in state.cache
        elif point == "record.after_begin_play":
            assert state.open_play
        elif point == "record.after_outbox_write":
            assert state.outbox
            assert not state.open_play
        else:  # sent, answered, not yet deleted: the next run sends them again
            assert state.outbox
    finish_cleanly(stage, player, history)

    records = assert_every_record_once(stage, player, history)
    assert ("interrupted", "crash") in {(r["status"], r["reason"]) for r in records}
    assert_no_bad_file_played(stage, player, log, records)


def test_sigkill_at_random_moments_then_restart(rig: tuple[Stage, Player, Path]) -> None:
    stage, player, log = rig
    rng = random.Random(SEED)
    history: History = {}
    started = time.monotonic()
    for _ in range(RANDOM_KILLS):
        if rng.random() < 0.4:
            lose_the_file(player, stage.asset_sha)
        player.start()
        time.sleep(rng.uniform(0.3, 2.5))
        player.kill()
        history.update(player.view().outbox)
        assert time.monotonic() - started < 120
    finish_cleanly(stage, player, history)

    records = assert_every_record_once(stage, player, history)
    assert_no_bad_file_played(stage, player, log, records)
