"""Route-matrix cases of the auditor's view: everything is a read; auditors, admins and
approvers get it, staff are refused, and nobody changes anything."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from signage_player.records import GENESIS_HASH, PlayFacts, seal

from signage.domain.assets import AssetInfo, AssetKind
from tests.web.route_cases import ANYONE, Case, fixed
from tests.web.route_cases_devices import enrolled_device, location

READERS = ("auditor", "admin", "approver")
_names = itertools.count(1)


def _user(svc: Any, name: str) -> Any:
    return next(u for u in svc.users.list_users() if u.username == name)


def campaign_with_plays(svc: Any) -> int:
    """An approved campaign at a new location, three signed plays, and a checkpoint."""
    n = next(_names)
    staff, approver = _user(svc, "staff"), _user(svc, "approver")
    where = location(svc)
    sha = f"{n:064x}"
    with svc.uow_factory() as uow:
        info = AssetInfo(sha, AssetKind.IMAGE, "image/png", 1920, 1080, None, 100)
        uow.assets.add(info, f"poster{n}.png", svc.clock.now(), "test")
        uow.commit()
    creative = svc.creatives.create_asset_creative("staff", sha, f"Poster {n}")
    playlist = svc.playlists.create_playlist(
        staff, f"Audit {n}", [{"creative_id": creative.id, "duration_ms": 8000}]
    )
    today = datetime.now(UTC).date()
    dates = {"first_date": today.isoformat(), "last_date": (today + timedelta(1)).isoformat()}
    campaign = svc.campaigns.create_campaign(staff, {"name": f"Audited {n}", **dates})
    svc.campaign_content.add_entry(
        staff, campaign.id, {"playlist_id": playlist.playlist.id, "location_ids": [where]}
    )
    svc.campaigns.submit(staff, campaign.id)
    approval = svc.campaigns.approve(approver, campaign.id)
    enrolled = enrolled_device(svc, where)
    device = svc.devices.device_for_token(enrolled.token)
    start = int(datetime.now(UTC).timestamp() * 1000) - 60_000
    prev, records = GENESIS_HASH, []
    for seq in range(1, 4):
        facts = PlayFacts(
            where,
            sha,
            playlist.playlist.id,
            approval.snapshot.entries[0].entry.id,
            approval.id,
            start + seq * 8000,
            start + seq * 8000 + 8000,
            0,
            True,
            "completed",
        )
        record = seal(facts, key=enrolled.key, device_id=device.id, seq=seq, prev_hash=prev)
        prev = record.record_hash()
        records.append(record.to_json())
    svc.player.record_plays(device, records)
    svc.checkpoints.make_checkpoint()
    return int(campaign.id)


def _campaign_path(suffix: str = "") -> Any:
    return lambda s, _r: f"/auditor/campaigns/{campaign_with_plays(s)}{suffix}"


def _day_path(svc: Any, _role: str) -> str:
    campaign_id = campaign_with_plays(svc)
    report = svc.audit_reports.campaign_report(campaign_id, _filter())
    row = report.rows[0]
    return (
        f"/auditor/campaigns/{campaign_id}/day?location_id={row.location_id}"
        f"&from={row.row.day.isoformat()}"
    )


def _filter() -> Any:
    from signage.services.audit_inputs import ReportFilter

    return ReportFilter()


AUDIT_CASES: dict[tuple[str, str], Case] = {
    ("auditor.plotly_js", "GET"): Case(ANYONE, 200, fixed("/auditor/plotly.min.js")),
    ("auditor.index", "GET"): Case(READERS, 200, fixed("/auditor")),
    ("auditor.campaign", "GET"): Case(READERS, 200, _campaign_path()),
    ("auditor.day", "GET"): Case(READERS, 200, _day_path),
    ("auditor.plays_csv", "GET"): Case(READERS, 200, _campaign_path("/plays.csv")),
    ("auditor.summary_xlsx", "GET"): Case(READERS, 200, _campaign_path("/summary.xlsx")),
    ("auditor.evidence", "GET"): Case(READERS, 200, _campaign_path("/evidence.zip")),
    ("auditor.uptime", "GET"): Case(READERS, 200, fixed("/auditor/uptime")),
    ("auditor.records", "GET"): Case(READERS, 200, fixed("/auditor/records")),
    ("auditor.ledger", "GET"): Case(READERS, 200, fixed("/auditor/ledger")),
    ("auditor.checkpoints_jsonl", "GET"): Case(READERS, 200, fixed("/auditor/checkpoints.jsonl")),
    ("auditor.server_key", "GET"): Case(READERS, 200, fixed("/auditor/server_public_key.pem")),
}
