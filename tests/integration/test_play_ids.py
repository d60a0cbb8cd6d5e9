"""A record the server accepts counts, or is listed with its reason where the auditor looks.

The devices here are `independent_device`: written from the protocol document, not the
project's player. Their records reach the real app through the Flask test client.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from signage.adapters.signing import ed25519_check
from signage.domain.evidence import MANIFEST, PLAYS_CSV
from signage.domain.evidence_verify import verify_bundle
from signage.jobs.tasks import checkpoint
from signage.services.audit_inputs import ReportFilter
from tests.conftest import login, make_app, make_settings
from tests.integration.independent_device import IndependentDevice, plan_ids
from tests.integration.ledger_world import T0_MS, unzip
from tests.services.schedule_world import TickingClock, World, build_world

WHOLE = ReportFilter()
ID_FIELDS = ("device_id", "location_id", "approval_id", "entry_id", "playlist_id")


@dataclass
class Scene:
    world: World
    client: Any
    campaign: Any
    centre: IndependentDevice  # plays the poster campaign
    market: IndependentDevice  # another screen with its own campaign
    own: dict[str, Any]  # the ids of the centre's plan
    other: dict[str, Any]  # the ids of the market's plan


def _campaign_on(world: World, location_id: int, name: str) -> Any:
    poster = world.still(f"poster for {name}")
    playlist = world.s.playlists.create_playlist(
        world.staff, f"{name} posters", [{"creative_id": poster.id, "duration_ms": 8000}]
    )
    campaign = world.campaign(name)
    world.s.campaign_content.add_entry(
        world.staff,
        campaign.id,
        {"playlist_id": playlist.playlist.id, "location_ids": [location_id]},
    )
    world.s.campaigns.submit(world.staff, campaign.id)
    world.s.campaigns.approve(world.approver, campaign.id)
    return campaign


def _enrolled(world: World, client: Any, location_id: int) -> IndependentDevice:
    device = IndependentDevice(client)
    shown = device.enrol()
    world.s.devices.bind_device(world.admin, shown["code"], location_id, shown["fingerprint"])
    device.collect_token(shown["code"])
    return device


@pytest.fixture
def scene(tmp_path: Path, database_url: str) -> Iterator[Scene]:
    clock = TickingClock()
    services = build_world(make_settings(tmp_path, database_url), clock)
    world = World(services, clock)
    campaign = _campaign_on(world, world.centre.id, "Stop torture")
    _campaign_on(world, world.market.id, "Market")
    client = make_app(services).test_client()
    centre = _enrolled(world, client, world.centre.id)
    market = _enrolled(world, client, world.market.id)
    own, other = plan_ids(centre.plan()), plan_ids(market.plan())
    clock.advance(timedelta(hours=3))  # the plays below lie in the past
    yield Scene(world, client, campaign, centre, market, own, other)
    services.engine.dispose()


def _ids(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k != "duration_ms"}


def _play(scene: Scene, n: int, **ids: Any) -> dict[str, Any]:
    start = T0_MS + n * scene.own["duration_ms"]
    return scene.centre.record(start, start + scene.own["duration_ms"], **ids)


def _codes(results: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(r["status"], (r["reason"] or "").split(":")[0] or None) for r in results]


def _send_the_mix(scene: Scene) -> list[dict[str, Any]]:
    """6 plays with the plan's own ids and 10 whose ids are not the plan's, in one chain."""
    own = _ids(scene.own)
    as_text = {k: str(v) for k, v in own.items() if k != "asset_sha256"}
    text = own | as_text | {"device_id": str(scene.centre.device_id)}
    foreign = own | {
        "approval_id": scene.other["approval_id"],
        "entry_id": scene.other["entry_id"],
        "playlist_id": scene.other["playlist_id"],
    }
    batch = [_play(scene, n, **own) for n in range(3)]
    batch += [_play(scene, 3 + n, **text) for n in range(5)]
    batch += [_play(scene, 8 + n, **_ids(scene.other)) for n in range(2)]
    batch.append(_play(scene, 10, **foreign))
    batch += [_play(scene, 11 + n, **(own | {"approval_id": 999_999})) for n in range(2)]
    batch += [_play(scene, 13 + n, **own) for n in range(3)]
    return scene.centre.send(batch)


def test_records_whose_ids_are_not_the_plans_are_chained_excluded_and_listed(
    scene: Scene,
) -> None:
    results = _send_the_mix(scene)

    assert _codes(results) == (
        [("accepted", None)] * 3
        + [("accepted", "id_type")] * 5
        + [("accepted", "other_location")] * 2
        + [("accepted", "not_in_plan")]
        + [("accepted", "unknown_approval")] * 2
        + [("accepted", None)] * 3
    )
    s = scene.world.s
    assert s.ledger.missing_ranges(scene.centre.device_id) == []  # all in the chain
    report = s.audit_reports.campaign_report(scene.campaign.id, WHOLE)
    assert report.total.counted_plays == 6
    assert report.excluded.total == 10
    assert dict(report.excluded.by_reason) == {
        "id_type": 5,
        "other_location": 2,
        "not_in_plan": 1,
        "unknown_approval": 2,
    }
    assert len(report.excluded.plays) == 10

    login(scene.client, "auditor")
    page = scene.client.get(f"/auditor/campaigns/{scene.campaign.id}").get_data(as_text=True)
    assert "6 counted, 10 excluded at ingest" in page
    assert "id_type (5)" in page
    assert "unknown_approval (2)" in page
    records = scene.client.get("/auditor/records?from=2000-01-01&to=2100-01-01").get_data(
        as_text=True
    )
    assert "Excluded from the counts (10)" in records
    assert "<code>id_type</code></td><td>5</td>" in records


def test_the_exports_carry_the_excluded_records_with_their_reasons(scene: Scene) -> None:
    _send_the_mix(scene)
    s = scene.world.s

    rows = list(
        csv.DictReader(
            io.StringIO(s.audit_exports.plays_csv(scene.campaign.id, WHOLE).decode("utf-8-sig"))
        )
    )
    plays, total = rows[:-1], rows[-1]
    assert len(plays) == 16
    assert sum(r["counted"] == "yes" for r in plays) == 6
    excluded = Counter(r["excluded_reason"].split(":")[0] for r in plays if r["excluded_reason"])
    assert excluded == Counter(
        {"id_type": 5, "other_location": 2, "not_in_plan": 1, "unknown_approval": 2}
    )
    assert total["counted"] == "6"

    book = load_workbook(io.BytesIO(s.audit_exports.summary_xlsx(scene.campaign.id, WHOLE)))
    reasons = {
        row[0]: row[1] for row in book["Excluded by reason"].iter_rows(min_row=2, values_only=True)
    }
    assert reasons == {"id_type": 5, "other_location": 2, "not_in_plan": 1, "unknown_approval": 2}
    listed = list(book["Excluded records"].iter_rows(min_row=2, values_only=True))
    assert len(listed) == 10
    text_ids = [row for row in listed if row[10] == "id_type"]
    assert {row[5] for row in text_ids} == {json.dumps(str(scene.own["approval_id"]))}

    checkpoint(s)
    files = unzip(s.audit_exports.evidence_bundle(scene.campaign.id, WHOLE))
    manifest = json.loads(files[MANIFEST])
    assert manifest["totals"]["counted_plays"] == 6
    assert manifest["excluded"] == {
        "id_type": 5,
        "other_location": 2,
        "not_in_plan": 1,
        "unknown_approval": 2,
    }
    bundled = list(csv.DictReader(io.StringIO(files[PLAYS_CSV].decode("utf-8-sig"))))[:-1]
    assert len(bundled) == 16
    assert verify_bundle(files, ed25519_check).ok


@pytest.mark.parametrize("field", ID_FIELDS)
@pytest.mark.parametrize(
    ("value", "status", "words"),
    [
        (True, "quarantined", "malformed"),
        (7.5, "quarantined", "float"),
        ({"id": 7}, "quarantined", "malformed"),
        ([7], "quarantined", "malformed"),
        (None, None, None),  # null: see below
    ],
    ids=["bool", "float", "object", "list", "null"],
)
def test_ids_of_wrong_json_types_get_a_per_record_answer(
    scene: Scene, field: str, value: Any, status: str | None, words: str | None
) -> None:
    device = scene.market
    ids = _ids(scene.other) | {"device_id": device.device_id}
    record = device.record(T0_MS, T0_MS + 8000, **(ids | {field: value}))
    [answer] = device.send([record])
    if value is None and field != "device_id":
        # A null id is well-formed JSON for an optional field: chained, excluded, named.
        assert answer["status"] == "accepted"
        assert answer["reason"].startswith(f"id_type: {field} is null")
    else:
        assert answer["status"] == (status or "quarantined")
        assert field in answer["reason"]
        assert (words or "malformed") in answer["reason"] or "not this device" in answer["reason"]
    detail = scene.world.s.devices.device_detail(device.device_id)
    kept = detail.play_count + len(detail.quarantined)
    assert kept == 1  # stored once, in the chain or in the quarantine, never half
