"""Player state: the outbox, the chain head, the open play, the cache index, settings."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
import uuid
from dataclasses import asdict
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.errors import StateError
from signage_player.records import GENESIS_HASH, PlayFacts, verify_chain
from signage_player.state import CachedAsset, OpenPlay, PlayerState

T0 = 1_760_000_000_000


def facts(started: int = T0) -> PlayFacts:
    return PlayFacts(
        location_id=1,
        asset_sha256="cd" * 32,
        playlist_id=5,
        entry_id=12,
        approval_id=7,
        started_at_ms=started,
        ended_at_ms=started + 10_000,
        device_clock_offset_ms=0,
        clock_verified=True,
        status="completed",
    )


def open_play(started: int = T0) -> OpenPlay:
    return OpenPlay(
        record_id=str(uuid.uuid4()),
        location_id=1,
        asset_sha256="cd" * 32,
        playlist_id=5,
        entry_id=12,
        approval_id=7,
        started_at_ms=started,
        device_clock_offset_ms=-40,
        clock_verified=True,
    )


def test_database_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    with PlayerState.in_dir(tmp_path) as state:
        mode = state._conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = state._conn.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal"
    assert sync == 2
    assert stat.S_IMODE((tmp_path / "state.sqlite3").stat().st_mode) == 0o600


def test_appends_chain_and_move_the_head(state: PlayerState, key: Ed25519PrivateKey) -> None:
    assert state.chain_head().seq == 0
    assert state.chain_head().hash == GENESIS_HASH
    records = [state.append_play(facts(T0 + i * 10_000), key=key, device_id=42) for i in range(3)]
    assert [r.seq for r in records] == [1, 2, 3]
    assert verify_chain(records) is None
    head = state.chain_head()
    assert (head.seq, head.hash) == (3, records[-1].record_hash())


def test_outbox_survives_reopen_and_forgets_only_answered_records(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    with PlayerState.in_dir(tmp_path) as state:
        records = [state.append_play(facts(T0 + i), key=key, device_id=42) for i in range(5)]
    with PlayerState.in_dir(tmp_path) as state:
        assert state.pending_records() == records
        assert state.forget_answered([records[0].id, records[2].id]) == 2
        assert [r.seq for r in state.pending_records(limit=2)] == [2, 4]
        # The chain goes on from where it was, whatever the outbox holds.
        nxt = state.append_play(facts(), key=key, device_id=42)
        assert nxt.seq == 6
        assert nxt.prev_hash == records[-1].record_hash()
        assert state.outbox_size() == 4


def test_open_play_is_closed_as_interrupted_after_a_crash(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    play = open_play()
    # A crash: another process opens the play and dies without closing anything.
    script = textwrap.dedent(
        f"""
        import os, pathlib
        from signage_player.state import OpenPlay, PlayerState
        state = PlayerState.in_dir(pathlib.Path({str(tmp_path)!r}))
        state.begin_play(OpenPlay(**{asdict(play)!r}))
        state.note_time({T0 + 4_000}, -40)
        os._exit(9)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=30)
    assert done.returncode == 9
    with PlayerState.in_dir(tmp_path) as reopened:
        record = reopened.recover_open_play(key=key, device_id=42)
        assert record is not None
        assert record.id == play.record_id
        assert (record.status, record.reason) == ("interrupted", "shutdown")
        assert (record.started_at_ms, record.ended_at_ms) == (T0, T0 + 4_000)
        assert reopened.open_play() is None
        assert reopened.pending_records() == [record]
        assert reopened.recover_open_play(key=key, device_id=42) is None


def test_finishing_a_play_appends_its_record(state: PlayerState, key: Ed25519PrivateKey) -> None:
    play = open_play()
    state.begin_play(play)
    with pytest.raises(StateError):
        state.begin_play(open_play())
    record = state.finish_play(
        ended_at_ms=T0 + 10_000,
        status="completed",
        reason=None,
        key=key,
        device_id=42,
        clock_verified=False,
    )
    assert record.id == play.record_id
    assert record.seq == 1
    assert record.clock_verified is False  # one unverified end taints the duration
    assert record.device_clock_offset_ms == -40
    with pytest.raises(StateError):
        state.finish_play(ended_at_ms=T0, status="completed", reason=None, key=key, device_id=42)


def test_cache_index_orders_by_last_use(state: PlayerState) -> None:
    state.put_cached(CachedAsset("a" * 64, "/c/a", 10, T0, T0 + 5))
    state.put_cached(CachedAsset("b" * 64, "/c/b", 20, T0, T0 + 1))
    assert [a.sha256[0] for a in state.cached_assets()] == ["b", "a"]
    state.touch_cached("b" * 64, used_at_ms=T0 + 9, verified=True)
    entry = state.cached("b" * 64)
    assert entry is not None
    assert entry.last_used_ms == entry.verified_at_ms == T0 + 9
    state.drop_cached("a" * 64)
    assert state.cached("a" * 64) is None


def test_settings_survive_reopen(tmp_path: Path) -> None:
    with PlayerState.in_dir(tmp_path) as state:
        state.save_enrolment(token="secret", device_id=42)
        state.save_plan({"segments": [], "note": "Стоп пыткам"}, '"e1"')
        state.note_time(T0, 120)
    with PlayerState.in_dir(tmp_path) as state:
        assert state.token() == "secret"
        assert state.device_id() == 42
        assert state.last_plan() == ({"segments": [], "note": "Стоп пыткам"}, '"e1"')
        assert state.last_time() == (T0, 120)


def test_reset_chain_waits_for_an_empty_outbox(state: PlayerState, key: Ed25519PrivateKey) -> None:
    record = state.append_play(facts(), key=key, device_id=42)
    with pytest.raises(StateError):
        state.reset_chain()
    state.forget_answered([record.id])
    state.reset_chain()
    assert state.append_play(facts(), key=key, device_id=43).seq == 1
