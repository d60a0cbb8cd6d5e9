"""Benchmark of planned versus actual: one campaign over about a million play rows.

Run: `.venv/bin/python bench/report.py [--days 14]`. Seven screens (Asia/Dushanbe) play
one approved 8-second poster campaign all day for `--days` days: a play record every 8 s
per screen (7 × 10,800 a day: 1,058,400 rows for 14 days) and a heartbeat every 30 s.
The rows are made with a raw `executemany` (not timed), and the report rollups (which
ingest keeps in the same transaction as the rows, timed by the ingest bench) are built
from them by `rebuild_rollups` (not timed either). Timed end to end: the service call
`audit_reports.campaign_report(campaign, all days)` — the reads (rollups, and the rows of
any bucket the rollups cannot stand for), the plan engine over the approvals in force,
and the reconciliation. `--check` also makes the report row by row (untimed) and says
whether every figure is the same. The last line is `report_seconds: X` (median of the
runs). Goal < 2 s.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.keys import public_key_b64

from signage.adapters.db.migrate import upgrade
from signage.adapters.db.rollups import rebuild_rollups
from signage.adapters.passwords import Argon2Hasher
from signage.bootstrap import build_services
from signage.config import load_settings
from signage.domain.assets import AssetInfo, AssetKind
from signage.services.audit_inputs import ReportFilter, campaign_inputs

SCREENS = 7
PLAY_MS = 8000
HEARTBEAT_S = 30
FIRST = date(2026, 6, 1)
RUNS = 3


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def setup(root: Path, days: int) -> tuple[Any, int, list[tuple[int, int]], dict[str, Any]]:
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": f"sqlite:///{root / 'signage.db'}"},
            "media": {"root": str(root / "media")},
            "server": {"secret_key_file": str(root / "instance" / "secret_key")},
        },
    )
    clock = FixedClock(datetime(2026, 5, 31, 12, tzinfo=UTC))
    services = build_services(settings, clock=clock, hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    make = services.users.create_user
    admin = make("bench", "admin", "correct horse battery", ["admin"])
    staff = make("bench", "staff", "correct horse battery", ["staff"])
    approver = make("bench", "approver", "correct horse battery", ["approver"])
    sha = hashlib.sha256(b"bench poster").hexdigest()
    with services.uow_factory() as uow:
        info = AssetInfo(sha, AssetKind.IMAGE, "image/png", 1920, 1080, None, 1000)
        uow.assets.add(info, "poster.png", clock.now(), "bench")
        uow.commit()
    creative = services.creatives.create_asset_creative("bench", sha, "Poster")
    playlist = services.playlists.create_playlist(
        staff, "Posters", [{"creative_id": creative.id, "duration_ms": PLAY_MS}]
    )
    locations = [
        services.locations.create_location(
            "bench", {"name": f"Screen {n}", "screen_width": 1920, "screen_height": 1080}
        ).id
        for n in range(1, SCREENS + 1)
    ]
    last = FIRST + timedelta(days=days - 1)
    campaign = services.campaigns.create_campaign(
        staff,
        {"name": "Stop torture", "first_date": FIRST.isoformat(), "last_date": last.isoformat()},
    )
    services.campaign_content.add_entry(
        staff, campaign.id, {"playlist_id": playlist.playlist.id, "location_ids": locations}
    )
    services.campaigns.submit(staff, campaign.id)
    approval = services.campaigns.approve(approver, campaign.id)
    devices = []
    for n, location_id in enumerate(locations):
        key = Ed25519PrivateKey.generate()
        pending = services.devices.enrol(public_key_b64(key), {}, f"192.0.2.{n + 1}")
        device = services.devices.bind_device(admin, pending.code, location_id)
        devices.append((device.id, location_id))
    ids = {
        "approval": approval.id,
        "playlist": playlist.playlist.id,
        "entry": approval.snapshot.entries[0].entry.id,
        "sha": sha,
    }
    clock.at = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    return services, campaign.id, devices, ids


def fill(db: Path, days: int, devices: list[tuple[int, int]], ids: dict[str, Any]) -> int:
    """Play records and heartbeats with a raw executemany (what a fast bulk load does)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    start = datetime.combine(FIRST, datetime.min.time(), tzinfo=UTC) - timedelta(hours=5)
    start_ms = int(start.timestamp() * 1000)
    per_screen = days * 86_400_000 // PLAY_MS
    signature = base64.b64encode(b"\1" * 64).decode()
    received = "2026-06-30 00:00:00.000000"
    total = 0
    conn.execute("BEGIN")
    for device_id, location_id in devices:
        rows = []
        for seq in range(1, per_screen + 1):
            began = start_ms + (seq - 1) * PLAY_MS
            digest = hashlib.sha256(f"{device_id}:{seq}".encode()).hexdigest()
            canonical = (
                f'{{"approval_id":{ids["approval"]},"asset_sha256":"{ids["sha"]}",'
                f'"clock_verified":true,"device_clock_offset_ms":0,"device_id":{device_id},'
                f'"ended_at_ms":{began + PLAY_MS},"entry_id":{ids["entry"]},'
                f'"id":"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-'
                f'{digest[20:32]}","location_id":{location_id},"playlist_id":{ids["playlist"]},'
                f'"prev_hash":"{"0" * 64}","reason":null,"seq":{seq},'
                f'"started_at_ms":{began},"status":"completed"}}'
            )
            rows.append(
                (
                    f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}",
                    device_id,
                    seq,
                    location_id,
                    ids["sha"],
                    ids["playlist"],
                    ids["entry"],
                    ids["approval"],
                    began,
                    began + PLAY_MS,
                    0,
                    1,
                    "completed",
                    None,
                    "0" * 64,
                    signature,
                    digest,
                    canonical,
                    received,
                    None,
                )
            )
        conn.executemany(
            "INSERT INTO play_records (id, device_id, seq, location_id, asset_sha256, "
            "playlist_id, entry_id, approval_id, started_at_ms, ended_at_ms, "
            "device_clock_offset_ms, clock_verified, status, reason, prev_hash, signature, "
            "hash, canonical, received_at, note) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        total += len(rows)
        beats = [
            (device_id, (start + timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S.%f"), 1, "{}")
            for s in range(0, days * 86_400, HEARTBEAT_S)
        ]
        conn.executemany(
            "INSERT INTO device_heartbeats (device_id, at, plan_ready, payload) VALUES (?,?,?,?)",
            beats,
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--check", action="store_true", help="compare with the row-by-row report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signage-bench-report-") as tmp:
        root = Path(tmp)
        services, campaign_id, devices, ids = setup(root, args.days)
        began = time.perf_counter()
        rows = fill(root / "signage.db", args.days, devices, ids)
        print(f"{rows:,} play rows made in {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        with services.engine.begin() as conn:
            rebuild_rollups(conn)
        print(
            f"rollups rebuilt from the rows in {time.perf_counter() - began:.1f} s (not timed)",
            flush=True,
        )
        times = []
        for run in range(1, args.runs + 1):
            began = time.perf_counter()
            report = services.audit_reports.campaign_report(campaign_id, ReportFilter())
            elapsed = time.perf_counter() - began
            times.append(elapsed)
            total = report.total
            print(
                f"run {run}: {elapsed:.2f} s, {len(report.rows)} location-days, "
                f"planned plays {total.planned_plays:,}, counted {total.counted_plays:,}"
            )
        if args.check:
            with services.uow_factory(readonly=True) as uow:
                inputs = campaign_inputs(uow, campaign_id, ReportFilter())
            reference = services.audit_reports.report_from(inputs)
            same = reference == report
            print(f"row-by-row report (untimed): {'the same figures' if same else 'DIFFERS'}")
            if not same:
                return 1
        services.engine.dispose()
    print(f"report_seconds: {statistics.median(times):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
