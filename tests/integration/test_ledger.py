"""The signed ledger on a real database: ingest rules, checkpoints, integrity, tampering.

Each tamper test shows both sides: the offline `verify` of a downloaded bundle names the
change, and the server refuses it at ingest or flags it in its integrity check.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.records import seal
from sqlalchemy import text

from signage.adapters.signing import ed25519_check
from signage.domain.evidence import CHECKPOINTS, chain_path
from signage.domain.evidence_report import Problem
from signage.domain.evidence_verify import verify_bundle
from signage.domain.ledger import Finding
from signage.jobs.tasks import checkpoint, secret_files
from signage.services.audit_inputs import ReportFilter
from tests.conftest import make_settings
from tests.integration.ledger_world import (
    POSTER_MS,
    T0_MS,
    LedgerWorld,
    ledger_world,
    lines,
    put_lines,
    unzip,
)
from tests.services.schedule_world import TickingClock, World, build_world

DAY = ReportFilter()


@pytest.fixture
def lw(tmp_path: Path, database_url: str) -> Iterator[LedgerWorld]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, database_url), clock)
    world = World(services, clock)
    built = ledger_world(world)
    clock.advance(timedelta(hours=3))  # the plays below lie in the past
    yield built
    services.engine.dispose()


def bundle(lw: LedgerWorld) -> dict[str, bytes]:
    checkpoint(lw.s)
    return unzip(lw.s.audit_exports.evidence_bundle(lw.campaign.id, DAY))


def verify(files: dict[str, bytes]) -> Any:
    return verify_bundle(files, ed25519_check)


def test_out_of_order_records_close_their_gaps_and_duplicates_are_answered(
    lw: LedgerWorld,
) -> None:
    records = lw.plays(5)
    assert lw.send([records[4], records[2]]) == [("accepted", None)] * 2
    assert lw.s.ledger.missing_ranges(lw.device.id) == [(1, 2), (4, 4)]
    assert lw.send(records[:2]) == [("accepted", None)] * 2
    assert lw.send([records[3]]) == [("accepted", None)]
    assert lw.s.ledger.missing_ranges(lw.device.id) == []
    assert lw.send(records) == [("duplicate", None)] * 5
    assert lw.s.ledger.integrity().ok


def test_implausible_but_signed_records_stay_in_the_chain_with_their_reason(
    lw: LedgerWorld,
) -> None:
    now_ms = int(lw.world.clock.at.timestamp() * 1000)
    enrolled_ms = int(lw.device.enrolled_at.timestamp() * 1000)
    odd = [
        lw.facts(T0_MS, ended_at_ms=T0_MS - 1),
        lw.facts(now_ms + 3_600_000),
        lw.facts(enrolled_ms - 86_400_000),
        lw.facts(T0_MS, ended_at_ms=T0_MS + 25 * 3_600_000),
        lw.facts(T0_MS, asset_sha256="f" * 64),
    ]
    answers = lw.send(lw.chain(odd))
    assert [status for status, _ in answers] == ["accepted"] * 5
    assert [reason for _, reason in answers] == [
        "ends before it starts",
        "starts in the future",
        "starts before the device was enrolled",
        "longer than 24 h",
        "unknown asset",
    ]
    far = lw.world.clock.at + timedelta(days=2)
    excluded = lw.s.audit_reports.excluded_records(None, lw.device.enrolled_at - timedelta(2), far)
    assert sorted(p.note for p, _ in excluded.plays) == sorted(r for _, r in answers)
    assert excluded.total == 5
    assert lw.s.ledger.missing_ranges(lw.device.id) == []


def test_a_changed_field_is_quarantined_and_named_by_verify(lw: LedgerWorld) -> None:
    records = lw.plays(3)
    lw.send(records)
    changed = records[2].to_json() | {"ended_at_ms": records[2].ended_at_ms + 1}
    assert lw.send([changed]) == [("quarantined", "bad signature")]
    fresh = lw.chain([lw.facts(T0_MS)], first_seq=4, prev=records[2].record_hash())[0]
    assert lw.send([fresh.to_json() | {"status": "failed"}]) == [("quarantined", "bad signature")]
    with lw.s.uow_factory(readonly=True) as uow:
        assert [q.reason for q in uow.plays.quarantined(lw.device.id)] == ["bad signature"] * 2

    files = bundle(lw)
    rows = lines(files, chain_path(lw.device.id))
    rows[1]["ended_at_ms"] += 1
    put_lines(files, chain_path(lw.device.id), rows)
    [altered] = verify(files).of(Problem.ALTERED_RECORD)
    assert (altered.device_id, altered.seq) == (lw.device.id, 2)


def test_a_deleted_record_is_a_gap_on_the_server_and_in_the_bundle(lw: LedgerWorld) -> None:
    records = lw.plays(4)
    lw.send([records[0], records[1], records[3]])
    assert lw.s.ledger.missing_ranges(lw.device.id) == [(3, 3)]
    [gap] = lw.s.ledger.integrity().findings
    assert (gap.kind, gap.seq, gap.last_seq) == (Finding.GAP, 3, 3)

    lw.send([records[2]])
    files = bundle(lw)
    rows = [r for r in lines(files, chain_path(lw.device.id)) if r["seq"] != 3]
    put_lines(files, chain_path(lw.device.id), rows)
    [missing] = verify(files).of(Problem.MISSING_RECORDS)
    assert (missing.seq, missing.last_seq) == (3, 3)


def test_a_record_signed_with_another_key_is_refused_and_named(lw: LedgerWorld) -> None:
    records = lw.plays(2)
    lw.send(records)
    other = Ed25519PrivateKey.generate()
    forged = seal(
        lw.facts(T0_MS + 5 * POSTER_MS),
        key=other,
        device_id=lw.device.id,
        seq=3,
        prev_hash=records[1].record_hash(),
    )
    assert lw.send([forged]) == [("quarantined", "bad signature")]
    assert lw.s.ledger.missing_ranges(lw.device.id) == []

    files = bundle(lw)
    rows = lines(files, chain_path(lw.device.id))
    rows.insert(1, {**forged.to_json(), "seq": 2, "hash": forged.record_hash()})
    put_lines(files, chain_path(lw.device.id), rows)
    report = verify(files)
    assert report.of(Problem.ALTERED_RECORD)
    assert report.of(Problem.DUPLICATE_SEQ)


def test_an_edited_prev_hash_is_refused_and_named(lw: LedgerWorld) -> None:
    records = lw.plays(3)
    lw.send(records[:2])
    edited = records[2].to_json() | {"prev_hash": "0" * 63 + "1"}
    assert lw.send([edited]) == [("quarantined", "bad signature")]

    lw.send([records[2]])
    files = bundle(lw)
    rows = lines(files, chain_path(lw.device.id))
    rows[2]["prev_hash"] = "0" * 63 + "1"
    put_lines(files, chain_path(lw.device.id), rows)
    [broken] = verify(files).of(Problem.CHAIN_BREAK)
    assert broken.seq == 3


def test_a_tail_cut_below_the_checkpointed_head_is_flagged(
    lw: LedgerWorld, database_url: str
) -> None:
    lw.send(lw.plays(4))
    files = bundle(lw)  # checkpoint 1 signs head 4
    rows = [r for r in lines(files, chain_path(lw.device.id)) if r["seq"] <= 2]
    put_lines(files, chain_path(lw.device.id), rows)
    [head] = verify(files).of(Problem.HEAD_MISMATCH)
    assert head.seq == 4

    if not database_url.startswith("sqlite"):
        return  # PostgreSQL refuses the DELETE itself (test_ledger_db.py)
    with lw.s.engine.begin() as conn:
        conn.execute(text("DELETE FROM play_records WHERE seq > 2"))
    kinds = {(f.kind, f.seq) for f in lw.s.ledger.integrity().findings}
    assert (Finding.TAIL_CUT, 4) in kinds


def test_an_edited_checkpoint_is_flagged_on_the_server_and_in_the_bundle(
    lw: LedgerWorld, database_url: str
) -> None:
    lw.send(lw.plays(2))
    files = bundle(lw)
    checkpoint(lw.s)
    rows = lines(files, CHECKPOINTS)
    rows[0]["checkpoint"]["devices"][str(lw.device.id)]["seq"] = 1
    put_lines(files, CHECKPOINTS, rows)
    assert verify(files).of(Problem.CHECKPOINT_SIGNATURE)

    if not database_url.startswith("sqlite"):
        return
    with lw.s.engine.begin() as conn:
        document = conn.execute(text("SELECT document FROM checkpoints WHERE seq = 1")).scalar()
        edited = json.loads(document)
        edited["devices"][str(lw.device.id)]["seq"] = 1
        forged = json.dumps(edited, sort_keys=True, separators=(",", ":"))
        conn.execute(text("UPDATE checkpoints SET document = :d WHERE seq = 1"), {"d": forged})
    kinds = {f.kind for f in lw.s.ledger.integrity().findings}
    assert Finding.CHECKPOINT_SIGNATURE in kinds


def test_an_old_batch_replayed_is_answered_as_duplicates_and_counted_once(
    lw: LedgerWorld,
) -> None:
    records = lw.plays(6)
    lw.send(records)
    assert lw.send(records[:3]) == [("duplicate", None)] * 3
    report = lw.s.audit_reports.campaign_report(lw.campaign.id, DAY)
    assert report.total.counted_plays == 6
    files = bundle(lw)
    clean = verify(files)
    assert clean.ok, clean.lines()
    assert clean.counted_plays == 6
    rows = lines(files, chain_path(lw.device.id))
    put_lines(files, chain_path(lw.device.id), rows + rows[:2])
    assert verify(files).of(Problem.DUPLICATE_SEQ)


def test_concurrent_retries_store_each_record_once(lw: LedgerWorld) -> None:
    import threading

    records = lw.plays(200)
    outcomes: list[list[str]] = []

    def send() -> None:
        outcomes.append([status for status, _ in lw.send(records)])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for position in range(len(records)):
        assert sorted(batch[position] for batch in outcomes) == [
            "accepted",
            "duplicate",
            "duplicate",
        ]
    assert lw.s.ledger.integrity().ok


def test_the_checkpoint_job_signs_every_head_and_links_even_when_idle(lw: LedgerWorld) -> None:
    records = lw.plays(3)
    lw.send(records)
    first = checkpoint(lw.s)
    second = checkpoint(lw.s)  # nothing happened in between: a checkpoint all the same
    assert (first.checkpoint.seq, second.checkpoint.seq) == (1, 2)
    assert second.checkpoint.previous == first.checkpoint.digest()
    head = first.checkpoint.head_of(lw.device.id)
    assert head is not None
    assert (head.seq, head.hash) == (3, records[2].record_hash())
    assert first.checkpoint.audit is not None
    key = lw.s.checkpoints.server_public_key()
    assert ed25519_check(key, first.checkpoint.canonical_bytes(), first.signature)
    shown = lw.s.checkpoints.recent()
    assert [v.digest for v in shown] == [second.checkpoint.digest(), first.checkpoint.digest()]
    jsonl = lw.s.checkpoints.checkpoints_jsonl().splitlines()
    assert [json.loads(line)["signature"] for line in jsonl] == [first.signature, second.signature]

    path = lw.s.server_key.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path in secret_files(lw.s)
    assert lw.s.ledger.integrity().ok


def test_planned_versus_actual_counts_plays_and_names_the_shortfall(lw: LedgerWorld) -> None:
    good = [lw.facts(T0_MS + i * POSTER_MS) for i in range(10)]
    failed = lw.facts(T0_MS + 10 * POSTER_MS, status="failed", reason="decoder error")
    lw.send(lw.chain([*good, failed]))
    report = lw.s.audit_reports.campaign_report(lw.campaign.id, DAY)
    row = report.row_at(lw.world.centre.id, report.first_day)
    assert row is not None
    assert row.tally.counted_plays == 10
    assert row.tally.delivered_ms == 10 * POSTER_MS
    assert row.tally.failed_plays == 1
    assert row.tally.planned_ms > row.tally.delivered_ms
    assert any("failed" in reason for reason in row.reasons)
    assert any("offline" in reason for reason in row.reasons)  # no heartbeats at all
    assert row.row.timezone == "Asia/Dushanbe"
    assert row.row.local_start.utcoffset() == timedelta(hours=5)
    assert [e.entry_id for e in row.entries] == [lw.entry_id]
    assert sum(count for _hour, count, _other in report.hourly) == 10


def test_plays_per_hour_use_the_local_hour_in_a_zone_off_the_whole_hour(lw: LedgerWorld) -> None:
    """Kathmandu is UTC+5:45: a play at 09:20 UTC starts at 15:05 there, not in hour 14."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    lw.s.locations.update_location(
        "admin",
        lw.world.centre.id,
        {
            "name": "Centre",
            "screen_width": 1920,
            "screen_height": 1080,
            "timezone": "Asia/Kathmandu",
        },
    )
    # Plays every 8 s across a UTC hour's first quarter, where the local hour turns.
    starts = [T0_MS + i * POSTER_MS for i in range(250)]
    lw.send(lw.chain([lw.facts(at) for at in starts]))
    report = lw.s.audit_reports.campaign_report(lw.campaign.id, DAY)
    zone = ZoneInfo("Asia/Kathmandu")
    expected: dict[int, int] = {}
    for at in starts:
        hour = datetime.fromtimestamp(at / 1000, UTC).astimezone(zone).hour
        expected[hour] = expected.get(hour, 0) + 1
    found = {hour: counted + other for hour, counted, other in report.hourly if counted + other}
    assert found == expected
    assert len(expected) == 2  # the plays straddle a local hour
