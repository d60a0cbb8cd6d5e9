"""What the player API serves and takes in: the plan document, its assets, play records.

The plan document is the wire format of `GET /api/player/v1/plan` (players/PROTOCOL.md):
built from the horizon plan, serialised canonically (sorted keys, compact, UTF-8), and
its strong ETag is the SHA-256 of exactly those bytes. The server's time never goes in
it, so the ETag only changes when the plan does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.domain.assets import is_sha256
from signage.domain.devices import Device
from signage.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from signage.domain.locations import Location
from signage.domain.playlog import implausibility, link_problem, parse_record, signature_bytes
from signage.services.device_ports import SignatureVerifier, StoredPlay
from signage.services.library_ports import StoredAsset
from signage.services.plans import LocationPlan, PlanServices
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

PLAN_VERSION = 1
MAX_PLAYS_BATCH = 1000
ASSET_URL = "/api/player/v1/assets/{sha}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(at: datetime) -> int:
    """Integer milliseconds since the epoch (exact: no float on the way)."""
    return (at - _EPOCH) // _MS


def canonical_json(value: object) -> bytes:
    """Sorted keys, compact separators, UTF-8 kept: one byte string per document."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def strong_etag(body: bytes) -> str:
    """The quoted SHA-256 of the body."""
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def plan_document(
    device: Device,
    location: Location,
    plan: LocationPlan,
    assets: Mapping[str, StoredAsset],
    poll_interval_s: int,
) -> dict[str, Any]:
    """The plan document of PROTOCOL.md; items whose asset is unknown are left out."""
    segments = [
        {
            "start_ms": epoch_ms(segment.start),
            "end_ms": epoch_ms(segment.end),
            "kind": segment.kind.value,
            "entries": [
                {
                    "entry_id": live.entry.id,
                    "approval_id": live.approval_id,
                    "playlist": f"{live.approval_id}:{live.entry.playlist_id}",
                    "campaign_id": live.entry.campaign_id,
                }
                for live in segment.live
            ],
        }
        for segment in plan.segments
    ]
    playlists: dict[str, Any] = {}
    used: dict[str, StoredAsset] = {}
    for (approval_id, playlist_id), items in sorted(plan.playlists.items()):
        kept = []
        for item in items:
            asset = assets.get(item.asset_key)
            if asset is None:
                continue
            used[item.asset_key] = asset
            kept.append(
                {
                    "creative_id": item.creative_id,
                    "asset_sha256": item.asset_key,
                    "duration_ms": item.duration_ms,
                }
            )
        playlists[f"{approval_id}:{playlist_id}"] = {
            "playlist_id": playlist_id,
            "approval_id": approval_id,
            "items": kept,
        }
    spec = location.spec
    return {
        "version": PLAN_VERSION,
        "device_id": device.id,
        "location_id": location.id,
        "timezone": spec.timezone,
        "screen": {"width": spec.screen_width, "height": spec.screen_height},
        "horizon": {"start_ms": epoch_ms(plan.start), "end_ms": epoch_ms(plan.end)},
        "poll_interval_s": poll_interval_s,
        "segments": segments,
        "playlists": playlists,
        "assets": {
            sha: {
                "size": asset.info.byte_size,
                "mime": asset.info.mime,
                "url": ASSET_URL.format(sha=sha),
            }
            for sha, asset in sorted(used.items())
        },
    }


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """A serialised plan, its strong ETag, and whether a screenshot is wanted."""

    body: bytes
    etag: str
    document: Mapping[str, Any]
    screenshot_requested: bool


@dataclass(frozen=True, slots=True)
class PlayResult:
    """The answer for one record of a batch."""

    id: str | None
    status: str  # accepted | duplicate | quarantined
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {"id": self.id, "status": self.status, "reason": self.reason}


def _raw_id(raw: object) -> str | None:
    if isinstance(raw, Mapping):
        value = raw.get("id")
        if isinstance(value, str):
            return value
        if value is not None:
            return json.dumps(value, default=str)
    return None


def _body_text(raw: object) -> str:
    try:
        return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(raw)


@dataclass(frozen=True, slots=True)
class PlayerServices:
    """The player API's use cases; the device is the one its bearer token named."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    plans: PlanServices
    verifier: SignatureVerifier
    poll_interval_s: int

    def _document(self, device: Device, at: datetime) -> dict[str, Any]:
        plan = self.plans.horizon_plan(device.location_id, at)
        wanted = {item.asset_key for items in plan.playlists.values() for item in items}
        with self.uow_factory(readonly=True) as uow:
            location = uow.locations.get(device.location_id)
            if location is None:
                raise NotFoundError(f"location {device.location_id} not found")
            assets = {sha: a for sha in sorted(wanted) if sha and (a := uow.assets.get(sha))}
        return plan_document(device, location, plan, assets, self.poll_interval_s)

    def current_plan(self, device: Device) -> PlanDocument:
        """The device's plan for the horizon now; notes the ETag as handed out at this instant."""
        now = self.clock.now()
        document = self._document(device, now)
        body = canonical_json(document)
        etag = strong_etag(body)
        with self.uow_factory() as uow:
            uow.devices.note_plan(device.id, etag, now)
            current = uow.devices.get(device.id)
            uow.commit()
        wanted = current is not None and current.screenshot_requested_at is not None
        return PlanDocument(body, etag, document, wanted)

    def asset_for(self, device: Device, sha256: str) -> StoredAsset:
        """An asset of the device's current plan (403 for any other, 404 when unknown)."""
        if not is_sha256(sha256):
            raise NotFoundError("no such asset")
        document = self._document(device, self.clock.now())
        if sha256 not in document["assets"]:
            with self.uow_factory(readonly=True) as uow:
                if uow.assets.get(sha256) is None:
                    raise NotFoundError("no such asset")
            raise PermissionDeniedError("this asset is not in the device's plan")
        with self.uow_factory(readonly=True) as uow:
            asset = uow.assets.get(sha256)
        if asset is None:
            raise NotFoundError("no such asset")
        return asset

    def record_plays(self, device: Device, records: object) -> list[PlayResult]:
        """Verify and store a batch: each record accepted, duplicate or quarantined (why)."""
        if not isinstance(records, Sequence) or isinstance(records, str | bytes):
            raise ValidationError("records", "must be a list of play records")
        if len(records) > MAX_PLAYS_BATCH:
            raise ValidationError("records", f"send at most {MAX_PLAYS_BATCH} records per batch")
        with self.uow_factory() as uow:
            now = self.clock.now()
            results = [self._ingest(uow, device, raw, now) for raw in records]
            uow.commit()
        return results

    def _quarantine(
        self, uow: UnitOfWork, device: Device, raw: object, reason: str, now: datetime
    ) -> PlayResult:
        record_id = _raw_id(raw)
        uow.plays.quarantine(device.id, record_id, reason, _body_text(raw), now)
        return PlayResult(record_id, "quarantined", reason)

    def _ingest(self, uow: UnitOfWork, device: Device, raw: object, now: datetime) -> PlayResult:
        try:
            record = parse_record(raw)
        except ValidationError as exc:
            return self._quarantine(uow, device, raw, f"malformed: {exc}", now)
        if str(record.device_id) != str(device.id):
            reason = f"device_id {record.device_id} is not this device ({device.id})"
            return self._quarantine(uow, device, raw, reason, now)
        canonical = record.canonical_bytes()
        if not self.verifier.verify(
            device.public_key, canonical, signature_bytes(record.signature)
        ):
            return self._quarantine(uow, device, raw, "bad signature", now)
        digest = record.record_hash()
        known = self._known(uow, device, raw, record.id, digest, now)
        if known is not None:
            return known
        same_seq = uow.plays.at_seq(device.id, record.seq)
        if same_seq is not None:
            reason = f"conflicting seq: seq {record.seq} holds record {same_seq.record.id}"
            return self._quarantine(uow, device, raw, reason, now)
        before = uow.plays.at_seq(device.id, record.seq - 1) if record.seq > 1 else None
        link = link_problem(record.seq, record.prev_hash, before.hash if before else None)
        note = implausibility(
            record, now_ms=epoch_ms(now), enrolled_at_ms=epoch_ms(device.enrolled_at)
        )
        stored = StoredPlay(record, digest, canonical.decode("utf-8"), now, note)
        if not uow.plays.add(device.id, stored):
            # Another request stored the id or seq between our look and our insert.
            known = self._known(uow, device, raw, record.id, digest, now)
            if known is not None:
                return known
            return self._quarantine(uow, device, raw, "conflicting seq", now)
        return PlayResult(record.id, "accepted", note or link)

    def _known(
        self,
        uow: UnitOfWork,
        device: Device,
        raw: object,
        record_id: str,
        digest: str,
        now: datetime,
    ) -> PlayResult | None:
        existing = uow.plays.get(record_id)
        if existing is None:
            return None
        if existing.hash == digest:
            return PlayResult(record_id, "duplicate", None)
        return self._quarantine(
            uow, device, raw, "conflicting duplicate: this id is stored with other bytes", now
        )
