"""The plays CSV of an evidence bundle: one row per play of the campaign, then a total.

UTF-8 with a byte-order mark (so spreadsheet programs read Tajik and Russian
right), CRLF line ends, times in the location's zone and in UTC. A cell that
a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) gets a leading apostrophe. Whether a play counts is decided
here, the same way when the bundle is built and when it is verified.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from signage.domain.errors import ValidationError
from signage.domain.playlog import PlayRecord, counts, implausibility
from signage.domain.reconcile_types import NOT_IN_PLAYLIST

TOTAL_LABEL = "TOTAL"
COLUMNS = (
    "device_id",
    "seq",
    "record_id",
    "location_id",
    "timezone",
    "approval_id",
    "entry_id",
    "playlist_id",
    "asset_sha256",
    "started_local",
    "ended_local",
    "started_utc",
    "ended_utc",
    "duration_ms",
    "expected_ms",
    "status",
    "reason",
    "clock_verified",
    "excluded_reason",
    "counted",
    "counted_seconds",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PlayRow:
    """One play of the campaign, with the verdict of the counting rule."""

    record: PlayRecord
    timezone: str
    expected_ms: int | None
    excluded_reason: str | None
    counted: bool

    @property
    def counted_ms(self) -> int:
        """The play's milliseconds when it counts, else 0."""
        return self.record.duration_ms if self.counted else 0


def play_row(
    record: PlayRecord,
    *,
    timezone: str,
    expected_ms: int | None,
    anchor_ms: int,
    enrolled_at_ms: int | None = None,
    excluded_at_ingest: str | None = None,
) -> PlayRow:
    """Judge one record: excluded at ingest (the server's note: its ids are not its plan's),
    implausible (against the anchoring checkpoint's time), or counted."""
    if excluded_at_ingest is not None:
        return PlayRow(record, timezone, expected_ms, excluded_at_ingest, False)
    excluded = implausibility(record, now_ms=anchor_ms, enrolled_at_ms=enrolled_at_ms)
    if excluded is None and expected_ms is None:
        excluded = NOT_IN_PLAYLIST
    counted = excluded is None and expected_ms is not None and counts(record, expected_ms)
    return PlayRow(record, timezone, expected_ms, excluded, counted)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def seconds_text(ms: int) -> str:
    """Milliseconds as seconds with three decimals (`10.000`), exact."""
    sign = "-" if ms < 0 else ""
    whole, rest = divmod(abs(ms), 1000)
    return f"{sign}{whole}.{rest:03d}"


def _instant(ms: int, zone: ZoneInfo | None) -> str:
    at = _EPOCH + timedelta(milliseconds=ms)
    if zone is None:
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return at.astimezone(zone).isoformat(timespec="milliseconds")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cells(row: PlayRow) -> list[str]:
    record, zone = row.record, ZoneInfo(row.timezone)
    return [
        _text(record.device_id),
        _text(record.seq),
        record.id,
        _text(record.location_id),
        row.timezone,
        _text(record.approval_id),
        _text(record.entry_id),
        _text(record.playlist_id),
        _text(record.asset_sha256),
        _instant(record.started_at_ms, zone),
        _instant(record.ended_at_ms, zone),
        _instant(record.started_at_ms, None),
        _instant(record.ended_at_ms, None),
        _text(record.duration_ms),
        _text(row.expected_ms),
        record.status,
        _text(record.reason),
        _text(record.clock_verified),
        _text(row.excluded_reason),
        "yes" if row.counted else "no",
        seconds_text(row.counted_ms),
    ]


def plays_csv(rows: Iterable[PlayRow]) -> bytes:
    """The CSV file: header, one line per play, and a TOTAL line (counted plays, seconds)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    plays = counted = 0
    counted_ms = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in _cells(row)])
        plays += 1
        counted += row.counted
        counted_ms += row.counted_ms
    total = dict.fromkeys(COLUMNS, "")
    total.update(
        device_id=TOTAL_LABEL,
        seq=str(plays),
        counted=str(counted),
        counted_seconds=seconds_text(counted_ms),
    )
    writer.writerow([total[name] for name in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    """The plays CSV read back: its play lines (line number, cells) and its TOTAL line."""

    rows: Sequence[tuple[int, dict[str, str]]]
    total: dict[str, str] | None


def read_plays_csv(data: bytes) -> ParsedCsv:
    """Read a plays CSV written by `plays_csv` (header checked)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("plays.csv", "is not UTF-8") from None
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines or tuple(lines[0]) != COLUMNS:
        raise ValidationError("plays.csv", "the header is not the plays header")
    rows: list[tuple[int, dict[str, str]]] = []
    total = None
    for number, cells in enumerate(lines[1:], start=2):
        if len(cells) != len(COLUMNS):
            raise ValidationError("plays.csv", f"line {number} has {len(cells)} cells")
        named = dict(zip(COLUMNS, cells, strict=True))
        if named["device_id"] == TOTAL_LABEL:
            total = named
        else:
            rows.append((number, named))
    return ParsedCsv(rows, total)
