"""Play ingest: a device's batch checked, then stored in its chain, answered per record.

Each record is accepted (stored in the chain, perhaps kept out of the counts
with its reason), a duplicate (the same id with the same bytes: already
stored), or quarantined outside every chain with the reason (malformed, not
this device, bad signature, the same id with other bytes, a seq already
holding another record). Signatures are checked before the transaction opens,
so the write lock is held only for the reads and one bulk insert. Concurrent
or retried batches are safe: when a bulk insert meets an id or seq stored
meanwhile, the batch falls back to one savepoint per record and asks again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.domain.devices import Device
from signage.domain.errors import ValidationError
from signage.domain.ledger import Link, ingest_exclusion
from signage.domain.play_ids import PlanIds, plan_ids
from signage.domain.playlog import (
    DEFAULT_SKEW_MS,
    PlayRecord,
    link_problem,
    parse_signed,
    record_hash,
    signature_bytes,
)
from signage.services.device_ports import SignatureVerifier, StoredPlay
from signage.services.ports import UnitOfWork

MAX_PLAYS_BATCH = 1000
DUPLICATE_REASON = "conflicting duplicate: this id is stored with other bytes"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class PlayResult:
    """The answer for one record of a batch."""

    id: str | None
    status: str  # accepted | duplicate | quarantined
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {"id": self.id, "status": self.status, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Checked:
    """One record of a batch after the checks that need no database."""

    raw: object
    record: PlayRecord | None
    canonical: str
    digest: str
    problem: str | None  # why it is quarantined, or None


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


def raw_id(raw: object) -> str | None:
    """The id a refused record claims, as text (None when it has none)."""
    if isinstance(raw, Mapping):
        value = raw.get("id")
        if isinstance(value, str):
            return value
        if value is not None:
            return json.dumps(value, default=str)
    return None


def body_text(raw: object) -> str:
    """A refused record's body as it came, for the quarantine."""
    try:
        return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(raw)


def _parsed(device: Device, raw: object) -> tuple[PlayRecord, bytes] | str:
    """A record's structure and device: the record and its canonical bytes, or why not."""
    try:
        record, canonical = parse_signed(raw)
    except ValidationError as exc:
        return f"malformed: {exc}"
    if str(record.device_id) != str(device.id):
        return f"device_id {record.device_id} is not this device ({device.id})"
    return record, canonical


def check_batch(device: Device, records: object, verifier: SignatureVerifier) -> list[Checked]:
    """Check a batch's shape and every record in it: structure, device and signature,
    everything that needs no database (the signatures in one call, on every core)."""
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise ValidationError("records", "must be a list of play records")
    if len(records) > MAX_PLAYS_BATCH:
        raise ValidationError("records", f"send at most {MAX_PLAYS_BATCH} records per batch")
    parsed = [_parsed(device, raw) for raw in records]
    signed = [
        (found[1], signature_bytes(found[0].signature))
        for found in parsed
        if not isinstance(found, str)
    ]
    verdicts = iter(verifier.verify_many(device.public_key, signed))
    checked = []
    for raw, found in zip(records, parsed, strict=True):
        if isinstance(found, str):
            checked.append(Checked(raw, None, "", "", found))
            continue
        record, canonical = found
        if not next(verdicts):
            checked.append(Checked(raw, None, "", "", "bad signature"))
            continue
        digest = record_hash(canonical, record.signature)
        checked.append(Checked(raw, record, canonical.decode("utf-8"), digest, None))
    return checked


class _Batch:
    """The store step of one batch inside one unit of work."""

    def __init__(self, uow: UnitOfWork, device: Device, now: datetime, skew_ms: int) -> None:
        self.uow = uow
        self.device = device
        self.now = now
        self.now_ms = _ms(now)
        self.enrolled_ms = _ms(device.enrolled_at)
        self.skew_ms = skew_ms
        self.results: list[PlayResult] = []
        self.pending: list[tuple[int, StoredPlay, str | None]] = []  # index, play, link note

    def quarantine(self, raw: object, reason: str) -> PlayResult:
        record_id = raw_id(raw)
        self.uow.plays.quarantine(self.device.id, record_id, reason, body_text(raw), self.now)
        return PlayResult(record_id, "quarantined", reason)

    def run(self, checked: Sequence[Checked]) -> list[PlayResult]:
        # Concurrent batches of one device (retries after a lost answer) take turns, so the
        # second sees the first's records and answers them as duplicates.
        self.uow.devices.lock_chain(self.device.id)
        good = [c for c in checked if c.record is not None]
        records = [c.record for c in good if c.record is not None]
        known = self.uow.ledger.hashes_for({r.id for r in records})
        wanted = {s for r in records for s in (r.seq - 1, r.seq, r.seq + 1) if s >= 1}
        links = self.uow.ledger.links_at(self.device.id, wanted)
        shas = {r.asset_sha256 for r in records if r.asset_sha256 is not None}
        assets = self.uow.ledger.known_assets(shas) if shas else set()
        ids = self._plan_ids(records)
        for item in checked:
            self.results.append(self._one(item, known, links, assets, ids))
        plays = [play for _, play, _ in self.pending]
        if plays and not self.uow.ledger.add_many(self.device.id, plays):
            self._one_by_one()
        return self.results

    def _plan_ids(self, records: Sequence[PlayRecord]) -> PlanIds:
        """The ids of the approvals these records name, as given to this device."""
        wanted = {r.approval_id for r in records if type(r.approval_id) is int}
        found = [a for i in sorted(wanted) if (a := self.uow.approvals.get(i)) is not None]
        return plan_ids(self.device.location_id, found)

    def _one(
        self,
        item: Checked,
        known: dict[str, str],
        links: dict[int, Link],
        assets: set[str],
        ids: PlanIds,
    ) -> PlayResult:
        record = item.record
        if record is None:
            assert item.problem is not None
            return self.quarantine(item.raw, item.problem)
        stored = known.get(record.id)
        if stored is not None:
            if stored == item.digest:
                return PlayResult(record.id, "duplicate", None)
            return self.quarantine(item.raw, DUPLICATE_REASON)
        taken = links.get(record.seq)
        if taken is not None:
            return self.quarantine(
                item.raw, f"conflicting seq: seq {record.seq} holds record {taken.id}"
            )
        before = links.get(record.seq - 1)
        link = link_problem(record.seq, record.prev_hash, before.hash if before else None)
        after = links.get(record.seq + 1)
        if link is None and after is not None and after.prev_hash != item.digest:
            link = f"record {record.seq + 1} does not link to this record"
        note = ingest_exclusion(
            record,
            now_ms=self.now_ms,
            enrolled_at_ms=self.enrolled_ms,
            asset_known=record.asset_sha256 in assets,
            ids=ids,
            skew_ms=self.skew_ms,
        )
        play = StoredPlay(record, item.digest, item.canonical, self.now, note)
        known[record.id] = item.digest
        links[record.seq] = Link(record.seq, record.id, record.prev_hash, item.digest)
        self.pending.append((len(self.results), play, link))
        return PlayResult(record.id, "accepted", note or link)

    def _one_by_one(self) -> None:
        # Another request stored some of these ids or seqs between our look and our insert.
        for index, play, _link in self.pending:
            if self.uow.plays.add(self.device.id, play):
                continue
            record = play.record
            raw = json.loads(play.canonical) | {"signature": record.signature}
            existing = self.uow.plays.get(record.id)
            if existing is not None and existing.hash == play.hash:
                self.results[index] = PlayResult(record.id, "duplicate", None)
            elif existing is not None:
                self.results[index] = self.quarantine(raw, DUPLICATE_REASON)
            else:
                self.results[index] = self.quarantine(raw, "conflicting seq")


def store_batch(
    uow: UnitOfWork,
    device: Device,
    checked: Sequence[Checked],
    now: datetime,
    skew_ms: int = DEFAULT_SKEW_MS,
) -> list[PlayResult]:
    """Store a checked batch in the device's chain inside `uow` (the caller commits)."""
    return _Batch(uow, device, now, skew_ms).run(checked)
