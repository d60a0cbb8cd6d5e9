"""The auditor's exports: plays CSV, planned-versus-actual XLSX, and the evidence bundle.

The CSV is the evidence module's writer (UTF-8 with BOM, formula cells
neutralised, local time and UTC); the bundle is the evidence module's
build, zipped by an adapter, so `signage verify` checks exactly what an
auditor downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from signage.domain.evidence import DeviceEvidence, build_bundle, expected_durations_from
from signage.domain.evidence_checkpoint import format_utc
from signage.domain.evidence_csv import PlayRow, plays_csv
from signage.domain.play_ids import ID_REASONS, reason_code
from signage.domain.playlog import counts
from signage.domain.reconcile_types import NOT_IN_PLAYLIST, PlayFact
from signage.services.audit_inputs import (
    CampaignInputs,
    ReportFilter,
    campaign_inputs,
    epoch_ms,
    excluded_at,
    from_ms,
)
from signage.services.audit_reports import AuditReportServices, DayRow
from signage.services.checkpoints import signed_checkpoint
from signage.services.device_ports import StoredPlay
from signage.services.ledger_ports import (
    BundleArchiver,
    ExcludedRecords,
    ServerSigner,
    SpreadsheetWriter,
)
from signage.services.ports import Clock, UnitOfWorkFactory

SUMMARY_HEADER = (
    "location_id",
    "location",
    "day",
    "timezone",
    "day_start_local",
    "day_start_utc",
    "planned_s",
    "planned_plays",
    "delivered_s",
    "counted_plays",
    "compliance_pct",
    "withdrawn_s",
    "blanked_s",
    "offline_s",
    "media_not_ready_s",
    "failed_plays",
    "interrupted_plays",
    "excluded_plays",
    "unverified_plays",
    "reasons",
)
DETAIL_HEADER = (
    "location",
    "day",
    "kind",
    "id",
    "planned_s",
    "planned_plays",
    "delivered_s",
    "counted_plays",
    "compliance_pct",
    "reasons",
)


EXCLUDED_REASON_HEADER = ("reason", "records")
EXCLUDED_HEADER = (
    "device_id",
    "seq",
    "record_id",
    "started_utc",
    "sent_location_id",
    "sent_approval_id",
    "sent_entry_id",
    "sent_playlist_id",
    "asset_sha256",
    "status",
    "reason",
    "note",
)


def _sent(value: object) -> str:
    """An id as the device sent it, JSON-typed (`7` and `"7"` stay apart)."""
    return json.dumps(value, ensure_ascii=False)


def excluded_rows(excluded: ExcludedRecords) -> list[list[object]]:
    """One line per record kept out of the counts at ingest, oldest first."""
    lines: list[list[object]] = []
    for play, device_id in sorted(excluded.plays, key=lambda p: (p[1], p[0].record.seq)):
        r = play.record
        lines.append(
            [
                device_id,
                r.seq,
                r.id,
                format_utc(from_ms(r.started_at_ms)),
                _sent(r.location_id),
                _sent(r.approval_id),
                _sent(r.entry_id),
                _sent(r.playlist_id),
                r.asset_sha256 or "",
                r.status,
                reason_code(play.note or ""),
                play.note or "",
            ]
        )
    return lines


def _s(ms: int) -> float:
    return round(ms / 1000, 3)


def summary_row(row: DayRow) -> list[object]:
    """One line of the summary sheet."""
    t, r = row.tally, row.row
    return [
        row.location_id,
        row.location_name,
        r.day.isoformat(),
        r.timezone,
        r.local_start.isoformat(),
        r.utc_start.isoformat().replace("+00:00", "Z"),
        _s(t.planned_ms),
        t.planned_plays,
        _s(t.delivered_ms),
        t.counted_plays,
        t.compliance_pct,
        _s(t.withdrawn_ms),
        _s(t.blanked_ms),
        _s(t.offline_ms),
        _s(row.media_not_ready_ms),
        t.failed_plays,
        t.interrupted_plays,
        t.excluded_plays,
        t.unverified_plays,
        "; ".join(row.reasons),
    ]


def detail_rows(row: DayRow) -> list[list[object]]:
    """The entry and creative lines of one day."""
    lines: list[list[object]] = []
    parts = [("entry", str(e.entry_id), e.tally) for e in row.entries] + [
        ("creative", ",".join(map(str, c.creative_ids)) or str(c.asset_sha256), c.tally)
        for c in row.creatives
    ]
    for kind, ident, t in parts:
        lines.append(
            [
                row.location_name,
                row.row.day.isoformat(),
                kind,
                ident,
                _s(t.planned_ms),
                t.planned_plays,
                _s(t.delivered_ms),
                t.counted_plays,
                t.compliance_pct,
                "; ".join(t.reasons()),
            ]
        )
    return lines


@dataclass(frozen=True, slots=True)
class AuditExportServices:
    """Downloads for auditors (read-only)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    reports: AuditReportServices
    signer: ServerSigner
    spreadsheets: SpreadsheetWriter
    archiver: BundleArchiver

    def play_rows(
        self, inputs: CampaignInputs, plays: Sequence[tuple[StoredPlay, int]]
    ) -> list[PlayRow]:
        """Each record of the campaign in the report's local days, judged for counting."""
        rows = []
        for play, device_id in plays:
            location = inputs.locations.get(inputs.location_of(device_id) or 0)
            record, note = play.record, play.note
            # A record's own `device_id` may be text (excluded: id_type); the chain says.
            if location is None:
                continue
            zone = ZoneInfo(location.spec.timezone)
            local = datetime.fromtimestamp(record.started_at_ms / 1000, tz=zone).date()
            if not inputs.first_day <= local <= inputs.last_day:
                continue
            expected = inputs.expected_ms(PlayFact.from_record(record, note))
            excluded = note or (NOT_IN_PLAYLIST if expected is None else None)
            counted = excluded is None and expected is not None and counts(record, expected)
            rows.append(PlayRow(record, location.spec.timezone, expected, excluded, counted))
        return rows

    def plays_csv(self, campaign_id: int, wanted: ReportFilter) -> bytes:
        """Every play of the campaign in the filter, and every record at its screens that
        no campaign can claim (excluded with its reason): local time and UTC, verdict, a
        TOTAL line."""
        with self.uow_factory(readonly=True) as uow:
            inputs = campaign_inputs(uow, campaign_id, wanted, with_heartbeats=False)
            plays = uow.ledger.stored_plays(
                inputs.own_ids, epoch_ms(inputs.start), epoch_ms(inputs.end)
            )
            excluded = excluded_at(uow, inputs, limit=None)
        listed = {play.record.id for play, _ in plays}
        plays += [(p, device_id) for p, device_id in excluded.plays if p.record.id not in listed]
        plays.sort(key=lambda found: (found[1], found[0].record.seq))
        return plays_csv(self.play_rows(inputs, plays))

    def summary_xlsx(self, campaign_id: int, wanted: ReportFilter) -> bytes:
        """Planned versus actual per location × day, and per entry and creative, as XLSX."""
        report = self.reports.campaign_report(campaign_id, wanted)
        summary = [summary_row(row) for row in report.rows]
        details = [line for row in report.rows for line in detail_rows(row)]
        with self.uow_factory(readonly=True) as uow:
            inputs = campaign_inputs(
                uow, campaign_id, wanted, with_heartbeats=False, with_facts=False
            )
            excluded = excluded_at(uow, inputs, limit=None)
        reasons = [[reason, number] for reason, number in excluded.by_reason]
        return self.spreadsheets.workbook(
            [
                ("Planned vs actual", SUMMARY_HEADER, summary),
                ("Entries and creatives", DETAIL_HEADER, details),
                ("Excluded by reason", EXCLUDED_REASON_HEADER, reasons),
                ("Excluded records", EXCLUDED_HEADER, excluded_rows(excluded)),
            ]
        )

    def evidence_bundle(self, campaign_id: int, wanted: ReportFilter) -> bytes:
        """The campaign's evidence bundle (zip) for the filter's days, checkable offline."""
        with self.uow_factory(readonly=True) as uow:
            inputs = campaign_inputs(uow, campaign_id, wanted, with_heartbeats=False)
            low, high = epoch_ms(inputs.start), epoch_ms(inputs.end)
            rows = uow.checkpoints.since(inputs.start - timedelta(days=1))
            checkpoints = [signed_checkpoint(row) for row in rows]
            # Records whose ids are not their plan's, by device: listed, never counted.
            unclaimed: dict[int, dict[int, str]] = {}
            for play, device_id in excluded_at(uow, inputs, limit=None).plays:
                if play.note is not None and reason_code(play.note) in ID_REASONS:
                    unclaimed.setdefault(device_id, {})[play.record.seq] = play.note
            involved = sorted(
                {
                    int(f.device_id)
                    for f in inputs.facts
                    if low <= f.started_at_ms < high and int(f.device_id) in inputs.devices
                }
                | set(unclaimed)
            )
            devices = []
            for device_id in involved:
                device = inputs.devices[device_id]
                heads = [
                    head.seq
                    for c in checkpoints
                    if (head := c.checkpoint.head_of(device_id)) is not None
                ]
                first = uow.ledger.first_seq_from(device_id, low)
                # Up to the newest signed head; without one, everything (the build then
                # says which checkpoint is still missing).
                top = max(heads) if heads else 2**53 - 1
                records = uow.ledger.records(device_id, first, top) if first else []
                devices.append(
                    DeviceEvidence(
                        device_id=device_id,
                        location_id=device.location_id,
                        timezone=inputs.locations[device.location_id].spec.timezone,
                        public_key=device.public_key,
                        records=records,
                        enrolled_at_ms=epoch_ms(device.enrolled_at),
                        excluded=unclaimed.get(device_id, {}),
                    )
                )
        durations: dict[tuple[int | str, int | str, str], int] = {}
        for playlists in inputs.playlists.values():
            durations.update(expected_durations_from(playlists, inputs.asset_durations_ms))
        files = build_bundle(
            campaign_id=campaign_id,
            approval_ids=inputs.own_ids,
            period_start=inputs.start,
            period_end=inputs.end,
            devices=devices,
            checkpoints=checkpoints,
            server_public_key=self.signer.public_key(),
            expected_durations=durations,
            created_at=self.clock.now(),
        )
        return self.archiver.pack(files)
