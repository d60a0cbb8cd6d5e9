"""Append-only storage, the exports an auditor downloads, and `signage verify` on them."""

from __future__ import annotations

import csv
import inspect
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from signage.adapters.db.ledger_repos import SqlCheckpointRepository, SqlLedgerRepository
from signage.adapters.db.play_repos import SqlPlayRepository
from signage.adapters.db.repositories import SqlAuditRepository
from signage.cli import cli
from signage.jobs.tasks import checkpoint
from signage.services.audit_inputs import ReportFilter
from tests.conftest import PG_URL, make_settings, need, reset_postgres
from tests.integration.ledger_world import POSTER_MS, T0_MS, LedgerWorld, ledger_world, rezip, unzip
from tests.services.schedule_world import TickingClock, World, build_world

APPEND_ONLY = (SqlPlayRepository, SqlAuditRepository, SqlLedgerRepository, SqlCheckpointRepository)
WRITE_WORDS = ("update", "delete", "remove", "replace", "purge", "truncate", "edit", "set_")


def world_on(tmp_path: Path, url: str | None = None) -> LedgerWorld:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, url), clock)
    built = ledger_world(World(services, clock))
    clock.advance(timedelta(hours=3))
    return built


@pytest.fixture
def lw(tmp_path: Path) -> Iterator[LedgerWorld]:
    built = world_on(tmp_path)
    yield built
    built.s.engine.dispose()


@pytest.mark.parametrize("repository", APPEND_ONLY, ids=lambda r: r.__name__)
def test_append_only_repositories_expose_no_update_or_delete(repository: type) -> None:
    methods = [name for name, _ in inspect.getmembers(repository, inspect.isfunction)]
    assert [m for m in methods if any(word in m.lower() for word in WRITE_WORDS)] == []


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_history(tmp_path: Path) -> None:
    need(bool(PG_URL), "SIGNAGE_TEST_DATABASE_URL is not set")
    reset_postgres(PG_URL)
    built = world_on(tmp_path, PG_URL)
    try:
        built.send(built.plays(2))
        built.send([built.plays(3)[2].to_json() | {"status": "failed"}])  # quarantined
        checkpoint(built.s)
        statements = [
            "UPDATE play_records SET status = 'completed', note = NULL",
            "DELETE FROM play_records WHERE seq = 2",
            "UPDATE play_quarantine SET reason = 'fine'",
            "DELETE FROM play_quarantine",
            "UPDATE audit_events SET actor = 'someone else'",
            "DELETE FROM audit_events",
            "UPDATE checkpoints SET signature = 'x'",
            "TRUNCATE play_records CASCADE",
        ]
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), built.s.engine.begin() as conn:
                conn.execute(text(statement))
        with built.s.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM play_records")).scalar() == 2
    finally:
        built.s.engine.dispose()


def test_the_plays_csv_has_a_bom_local_and_utc_and_neutralised_cells(lw: LedgerWorld) -> None:
    cut = lw.facts(T0_MS + POSTER_MS, status="interrupted", reason='=HYPERLINK("x")')
    lw.send(lw.chain([lw.facts(T0_MS), cut]))
    data = lw.s.audit_exports.plays_csv(lw.campaign.id, ReportFilter())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    first, second, total = rows
    assert first["started_local"].endswith("+05:00")
    assert first["started_utc"].endswith("Z")
    assert (first["counted"], second["counted"]) == ("yes", "no")
    assert second["reason"] == '\'=HYPERLINK("x")'
    assert total["device_id"] == "TOTAL"
    assert total["counted"] == "1"


def test_the_summary_xlsx_opens_with_openpyxl(lw: LedgerWorld) -> None:
    lw.send(lw.plays(4))
    data = lw.s.audit_exports.summary_xlsx(lw.campaign.id, ReportFilter())
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Planned vs actual"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["location_id", "location", "day", "timezone"]
    first = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert first["location"] == "Central Department Store"
    assert first["counted_plays"] == 4
    assert first["delivered_s"] == 4 * POSTER_MS / 1000
    assert "Entries and creatives" in book.sheetnames


def test_signage_verify_accepts_the_bundle_and_names_one_changed_byte(
    lw: LedgerWorld, tmp_path: Path
) -> None:
    lw.send(lw.plays(5))
    checkpoint(lw.s)
    good = tmp_path / "bundle.zip"
    good.write_bytes(lw.s.audit_exports.evidence_bundle(lw.campaign.id, ReportFilter()))
    runner = CliRunner()
    accepted = runner.invoke(cli, ["verify", str(good)])
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.rstrip().endswith("OK")

    files = unzip(good.read_bytes())
    path = f"devices/{lw.device.id}/chain.jsonl"
    index = files[path].index(b'"ended_at_ms":') + len(b'"ended_at_ms":')
    data = bytearray(files[path])
    data[index] = ord("9") if data[index] != ord("9") else ord("8")
    files[path] = bytes(data)
    bad = tmp_path / "changed.zip"
    bad.write_bytes(rezip(files))
    refused = runner.invoke(cli, ["verify", str(bad)])
    assert refused.exit_code == 1
    assert "file hash mismatch" in refused.output
    assert f"devices/{lw.device.id}/chain.jsonl" in refused.output
    assert "altered record" in refused.output

    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip")
    assert runner.invoke(cli, ["verify", str(garbage)]).exit_code == 2


def test_a_bundle_before_any_checkpoint_is_refused_with_the_reason(lw: LedgerWorld) -> None:
    from signage.domain.errors import ValidationError

    lw.send(lw.plays(2))
    with pytest.raises(ValidationError, match="no checkpoint covers"):
        lw.s.audit_exports.evidence_bundle(lw.campaign.id, ReportFilter())


def test_uptime_shows_outages_between_heartbeats(lw: LedgerWorld) -> None:
    svc = lw.s
    clock = lw.world.clock
    for _ in range(3):
        svc.devices.record_heartbeat(lw.device, {"showing": "content"})
        clock.advance(timedelta(seconds=30))
    clock.advance(timedelta(hours=1))
    svc.devices.record_heartbeat(lw.device, {"showing": "content", "plan_ready": False})
    day = clock.at.date()
    (device,) = svc.audit_reports.uptime(None, day, day)
    assert device.device_id == lw.device.id
    long = [o for o in device.outages if o.seconds >= 3000]
    assert long, device.outages
    assert 0 < device.days[0][1] < 100
