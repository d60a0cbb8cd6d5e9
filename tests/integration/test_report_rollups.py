"""The report rollups on a real database: kept by ingest, rebuilt by the migration, and a
report through them equal to the report made row by row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from signage_player.records import PlayFacts
from sqlalchemy import select

from signage.adapters.db import tables as t
from signage.adapters.db.migrate import alembic_config
from signage.adapters.db.rollups import rebuild_rollups
from signage.domain.playlog import parse_signed, record_hash
from signage.services.audit_inputs import ReportFilter, campaign_inputs
from signage.services.audit_reports import CampaignReport
from signage.services.device_ports import StoredPlay
from tests.conftest import make_settings
from tests.integration.ledger_world import POSTER_MS, T0_MS, LedgerWorld, ledger_world
from tests.services.schedule_world import TickingClock, World, build_world

ALL_DAYS = ReportFilter()
MIDNIGHT_MS = int(datetime(2026, 6, 1, 19, tzinfo=UTC).timestamp() * 1000)  # local midnight


@pytest.fixture
def lw(tmp_path: Path, database_url: str) -> Iterator[LedgerWorld]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, database_url), clock)
    built = ledger_world(World(services, clock))
    clock.advance(timedelta(hours=3))
    yield built
    services.engine.dispose()


def row_by_row(lw: LedgerWorld) -> CampaignReport:
    """The report made from every record and heartbeat, without the rollups."""
    with lw.s.uow_factory(readonly=True) as uow:
        inputs = campaign_inputs(uow, lw.campaign.id, ALL_DAYS)
    report: CampaignReport = lw.s.audit_reports.report_from(inputs)
    return report


def rollups(lw: LedgerWorld, rebuilt: bool = False) -> tuple[list[Any], list[Any]]:
    """Both rollup tables, as kept, or as `rebuild_rollups` makes them (then rolled back)."""
    with lw.s.engine.connect() as conn:
        transaction = conn.begin()
        if rebuilt:
            rebuild_rollups(conn)
        plays = sorted(tuple(row) for row in conn.execute(select(t.play_rollups)))
        beats = sorted(tuple(row) for row in conn.execute(select(t.heartbeat_rollups)))
        transaction.rollback()
    return plays, beats


def run(lw: LedgerWorld, start_ms: int, n: int, **changes: Any) -> list[PlayFacts]:
    return [lw.facts(start_ms + i * POSTER_MS, **changes) for i in range(n)]


def heartbeats(lw: LedgerWorld, n: int, every_s: int, **body: Any) -> None:
    for _ in range(n):
        lw.s.devices.record_heartbeat(lw.device, {"showing": "content", **body})
        lw.world.clock.advance(timedelta(seconds=every_s))


def send_all(lw: LedgerWorld, facts: list[PlayFacts], first_seq: int, prev: str) -> str:
    records = lw.chain(facts, first_seq=first_seq, prev=prev)
    for i in range(0, len(records), 25):
        assert {status for status, _ in lw.send(records[i : i + 25])} == {"accepted"}
    return str(records[-1].record_hash())


def test_a_report_through_the_rollups_has_every_figure_of_the_row_by_row_one(
    lw: LedgerWorld,
) -> None:
    clock = lw.world.clock
    nine_twenty = T0_MS + 20 * 60_000
    day_one = [
        *run(lw, T0_MS, 40),  # one bucket of plain plays: one group stands for them
        *run(lw, nine_twenty, 5),
        lw.facts(nine_twenty + 5 * POSTER_MS, ended_at_ms=nine_twenty + 6 * POSTER_MS + 900),
        *[
            lw.facts(start, status="interrupted", reason="cut", ended_at_ms=start + 3000)
            for start in range(T0_MS + 40 * 60_000, T0_MS + 41 * 60_000, 20_000)
        ],
        *run(lw, T0_MS + 50 * 60_000, 2, status="failed", reason="decoder error"),
        *run(lw, T0_MS + 60 * 60_000, 3, clock_verified=False),
        *run(lw, T0_MS + 70 * 60_000, 2, asset_sha256="f" * 64),  # unknown asset: excluded
        *run(lw, T0_MS + 80 * 60_000, 2, playlist_id=lw.playlist_id + 1000),  # not planned
    ]
    day_one.append(lw.facts(T0_MS + 90 * 60_000, ended_at_ms=T0_MS + 90 * 60_000 - 5))
    heartbeats(lw, 10, 30)
    clock.advance(timedelta(minutes=5))  # an outage longer than the reach
    heartbeats(lw, 3, 30, plan_ready=False)
    heartbeats(lw, 4, 30)
    clock.advance(timedelta(seconds=-75))  # a heartbeat stamped before the last one stored
    heartbeats(lw, 1, 90)
    head = send_all(lw, day_one, 1, "0" * 64)

    clock.advance(timedelta(hours=10))  # 21:00 UTC, 02:00 the next local day
    evening = run(lw, MIDNIGHT_MS - 2 * 60_000, 30)  # across local midnight
    head = send_all(lw, evening, len(day_one) + 1, head)
    heartbeats(lw, 20, 40)
    lw.s.campaigns.withdraw(lw.world.approver, lw.campaign.id, "test")
    withdrawn_at = int(clock.now().timestamp() * 1000)
    clock.advance(timedelta(hours=1))
    late = run(lw, withdrawn_at - 60_000, 20)  # plays before and after the withdrawal
    send_all(lw, late, len(day_one) + len(evening) + 1, head)

    report = lw.s.audit_reports.campaign_report(lw.campaign.id, ALL_DAYS)
    assert report == row_by_row(lw)
    total = report.total
    shown = ("counted_plays", "interrupted_plays", "failed_plays", "off_duration_plays")
    shown += ("unverified_plays", "out_of_force_plays", "offline_ms")
    assert [name for name in shown if not getattr(total, name)] == []
    assert total.excluded_plays == 5
    assert any(row.media_not_ready_ms for row in report.rows)
    inputs = lw.s.audit_reports.inputs(lw.campaign.id, ALL_DAYS)
    # Some buckets stood in for their records, some were read row by row.
    assert inputs.groups
    assert inputs.facts
    assert len(inputs.facts) < len(day_one) + len(evening) + len(late) - 40

    plays, beats = rollups(lw)
    rebuilt_plays, rebuilt_beats = rollups(lw, rebuilt=True)
    assert plays == rebuilt_plays
    # The late heartbeat leaves its bucket's gap unknown (-1); the rebuild sorts and knows it.
    spoiled = [row for row in beats if row[5] == -1]
    assert len(spoiled) == 1
    assert [row for row in beats if row[5] != -1] == [
        row for row in rebuilt_beats if row[:2] != spoiled[0][:2]
    ]


def test_a_record_stored_on_its_own_is_rolled_up_too(lw: LedgerWorld) -> None:
    records = lw.plays(3)
    lw.send(records[:2])
    record, canonical = parse_signed(records[2].to_json())
    play = StoredPlay(
        record, record_hash(canonical, record.signature), canonical.decode(), lw.world.clock.now()
    )
    with lw.s.uow_factory() as uow:
        assert uow.plays.add(lw.device.id, play)
        assert not uow.plays.add(lw.device.id, play)  # taken: nothing added twice
        uow.commit()
    plays, _ = rollups(lw)
    assert plays == rollups(lw, rebuilt=True)[0]
    assert sum(row[9] for row in plays) == 3


def test_the_migration_fills_the_rollups_from_the_rows_already_stored(lw: LedgerWorld) -> None:
    send_all(
        lw, [*run(lw, T0_MS, 30), *run(lw, T0_MS + 3_600_000, 5, status="failed")], 1, "0" * 64
    )
    heartbeats(lw, 40, 30)
    heartbeats(lw, 2, 30, plan_ready=False)
    kept = rollups(lw)
    config = alembic_config(lw.s.engine)
    with lw.s.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    with lw.s.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert rollups(lw) == kept
    assert [len(rows) > 0 for rows in kept] == [True, True]
