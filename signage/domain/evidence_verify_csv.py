"""The CSV part of bundle verification: each play line and the totals against the chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signage.domain.errors import ValidationError
from signage.domain.evidence import MANIFEST, PLAYS_CSV
from signage.domain.evidence_csv import PlayRow, read_plays_csv, seconds_text
from signage.domain.evidence_report import Finding, Problem


def csv_findings(
    files: Mapping[str, bytes],
    rows_by_key: Mapping[tuple[str, str], PlayRow],
    manifest: Mapping[str, Any],
) -> list[Finding]:
    """What is wrong with `plays.csv` (and the manifest's totals) given the chain's plays."""
    findings: list[Finding] = []

    def add(problem: Problem, message: str, **details: Any) -> None:
        findings.append(Finding(problem, message, **details))

    try:
        parsed = read_plays_csv(files.get(PLAYS_CSV, b""))
    except ValidationError as exc:
        add(Problem.MALFORMED, f"{PLAYS_CSV}: {exc.reason}", file=PLAYS_CSV)
        return findings
    seen = set()
    for number, cells in parsed.rows:
        key = (cells["device_id"], cells["seq"])
        row = rows_by_key.get(key)
        where = f"{PLAYS_CSV} line {number} (device {key[0]}, seq {key[1]})"
        if row is None:
            add(
                Problem.CSV_ROW,
                f"{where}: no such play of the campaign in the period in the chain",
                file=PLAYS_CSV,
                seq=_int_or_none(key[1]),
            )
            continue
        seen.add(key)
        expected = (row.record.id, "yes" if row.counted else "no", seconds_text(row.counted_ms))
        found = (cells["record_id"], cells["counted"], cells["counted_seconds"])
        if expected != found:
            add(
                Problem.CSV_ROW,
                f"{where}: says {found}, the chain gives {expected}",
                file=PLAYS_CSV,
                device_id=row.record.device_id,
                seq=row.record.seq,
                record_id=row.record.id,
                expected=" ".join(expected),
                found=" ".join(found),
            )
    for key in sorted(set(rows_by_key) - seen):
        row = rows_by_key[key]
        add(
            Problem.CSV_ROW,
            f"{PLAYS_CSV}: play device {key[0]} seq {key[1]} (id {row.record.id}) is missing",
            file=PLAYS_CSV,
            device_id=row.record.device_id,
            seq=row.record.seq,
            record_id=row.record.id,
        )
    rows = rows_by_key.values()
    truth = {
        "plays": str(len(rows)),
        "counted plays": str(sum(row.counted for row in rows)),
        "counted seconds": seconds_text(sum(row.counted_ms for row in rows)),
    }
    total = parsed.total or {}
    claimed = {
        "plays": total.get("seq"),
        "counted plays": total.get("counted"),
        "counted seconds": total.get("counted_seconds"),
    }
    totals = manifest.get("totals", {})
    listed = {
        "plays": str(totals.get("plays")),
        "counted plays": str(totals.get("counted_plays")),
        "counted seconds": seconds_text(int(totals.get("counted_ms", 0))),
    }
    for source, values in ((PLAYS_CSV, claimed), (MANIFEST, listed)):
        for name, value in values.items():
            if value != truth[name]:
                add(
                    Problem.CSV_TOTAL,
                    f"{source}: total {name} is {value}, the chain gives {truth[name]}",
                    file=source,
                    total=name,
                    expected=truth[name],
                    found=value,
                )
    return findings


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None
