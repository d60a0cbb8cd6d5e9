"""What the player API serves and takes in: the plan document, its assets, play records.

The plan document is the wire format of `GET /api/player/v1/plan` (players/PROTOCOL.md):
built from the horizon plan, serialised canonically (sorted keys, compact, UTF-8), and
its strong ETag is the SHA-256 of exactly those bytes. The server's time never goes in
it, so the ETag only changes when the plan does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from signage.domain.assets import is_sha256
from signage.domain.devices import Device, hash_token, refused_token
from signage.domain.errors import NotFoundError, PermissionDeniedError
from signage.domain.locations import Location
from signage.domain.plan import horizon_for
from signage.services.device_ports import SignatureVerifier
from signage.services.ingest import PlayResult, check_batch, store_batch
from signage.services.library_ports import StoredAsset
from signage.services.plans import (
    HorizonInputs,
    LocationPlan,
    PlanServices,
    plan_location,
    read_horizon_inputs,
)
from signage.services.ports import Clock, PollGate, PollState, UnitOfWork, UnitOfWorkFactory

PLAN_VERSION = 1
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
class _Built:
    """A device's serialised plan, the inputs it was computed from, and when it holds.

    It holds while the schedule stamp is the one it was built under (every write that
    can change a plan bumps it, location edits included), the device serves the same
    location and `start <= now < until` (the same local day).
    """

    inputs: HorizonInputs
    body: bytes
    etag: str
    document: Mapping[str, Any]
    stamp: int
    until: datetime

    def holds(self, state: PollState | None, at: datetime) -> bool:
        """True when nothing the plan is computed from can have changed."""
        return (
            state is not None
            and state.stamp == self.stamp
            and state.location_id == self.inputs.location.id
            and self.inputs.start <= at < self.until
        )


def _needs_note(etag: str, state: PollState | None) -> bool:
    """Whether this hand-out must be recorded (`note_plan`).

    Recorded when the ETag is new to the device, and once after every schedule change
    (so a heartbeat reporting a plan handed out after a take-down confirms it, even when
    the take-down left this screen's plan as it was); the polls in between write nothing.
    """
    return state is None or state.note_due or state.last_plan_etag != etag


@dataclass(frozen=True, slots=True)
class PlayerServices:
    """The player API's use cases; the device is the one its bearer token named."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    plans: PlanServices
    verifier: SignatureVerifier
    poll_interval_s: int
    gate: PollGate
    # Per device, the last plan built, its inputs and the schedule stamp it was built under:
    # an unchanged poll reads the device and the stamp (one statement) and nothing more.
    _built: dict[int, _Built] = field(default_factory=dict, compare=False, repr=False)

    def _build(
        self, uow: UnitOfWork, device: Device, inputs: HorizonInputs
    ) -> tuple[dict[str, Any], bool]:
        """The plan document of `inputs`, and whether every asset it wants is known."""
        plan = self.plans.plan_from(inputs)
        items = [item for items in plan.playlists.values() for item in items]
        wanted = {item.asset_key for item in items if item.asset_key}
        assets = {sha: a for sha in sorted(wanted) if (a := uow.assets.get(sha))}
        document = plan_document(device, inputs.location, plan, assets, self.poll_interval_s)
        return document, len(assets) == len(wanted)

    def _built_for(
        self, uow: UnitOfWork, device: Device, state: PollState | None, at: datetime
    ) -> _Built:
        """The device's plan at `at`, given its poll state read before `uow` opened.

        The stamp is read before the inputs: a write committed in between leaves a newer
        stamp than the one kept, so the next poll rebuilds (never the reverse).
        """
        built = self._built.get(device.id)
        if (
            built is not None
            and built.holds(state, at)
            and device.location_id == built.inputs.location.id
        ):
            return built
        inputs = read_horizon_inputs(uow, device.location_id, at)
        stamp = state.stamp if state is not None else -1
        until = horizon_for(plan_location(inputs.location), inputs.start, 1)[1]
        if built is not None and built.inputs == inputs:
            built = replace(built, stamp=stamp, until=until)
            self._built[device.id] = built
            return built
        document, complete = self._build(uow, device, inputs)
        body = canonical_json(document)
        built = _Built(inputs, body, strong_etag(body), document, stamp, until)
        # Assets are content-addressed and never change once stored, so a document with all
        # its assets depends on `inputs` alone; one missing an asset is rebuilt every time.
        if complete and state is not None:
            self._built[device.id] = built
        return built

    def plan_for_token(self, secret: str) -> PlanDocument:
        """The plan of the active device holding this bearer token (an unchanged poll).

        The token check and everything an unchanged plan depends on are one statement;
        only a changed plan, or one whose hand-out must be recorded, does more.
        """
        state = self.gate.by_token(hash_token(secret))
        if state is None or not state.active:
            raise refused_token()
        now = self.clock.now()
        built = self._built.get(state.device_id)
        if built is not None and built.holds(state, now) and not _needs_note(built.etag, state):
            return PlanDocument(built.body, built.etag, built.document, state.screenshot_requested)
        with self.uow_factory(readonly=True) as uow:
            device = uow.devices.get(state.device_id)
            if device is None or not device.active:
                raise refused_token()
            built = self._built_for(uow, device, state, now)
        return self._handed_out(device, built, state, now)

    def current_plan(self, device: Device) -> PlanDocument:
        """The device's plan for the horizon now; notes the ETag as handed out when that
        is news (a new ETag for the device, or the first hand-out after a schedule change)."""
        now = self.clock.now()
        state = self.gate.by_device(device.id)
        with self.uow_factory(readonly=True) as uow:
            built = self._built_for(uow, device, state, now)
        return self._handed_out(device, built, state, now)

    def _handed_out(
        self, device: Device, built: _Built, state: PollState | None, now: datetime
    ) -> PlanDocument:
        """The answer for `built`, recording the hand-out first when that is news."""
        if state is not None and not _needs_note(built.etag, state):
            wanted = state.screenshot_requested
        else:
            with self.uow_factory() as uow:
                uow.devices.note_plan(device.id, built.etag, now)
                current = uow.devices.get(device.id)
                uow.commit()
            wanted = current is not None and current.screenshot_requested_at is not None
        return PlanDocument(built.body, built.etag, built.document, wanted)

    def asset_for(self, device: Device, sha256: str) -> StoredAsset:
        """An asset of the device's current plan (403 for any other, 404 when unknown)."""
        if not is_sha256(sha256):
            raise NotFoundError("no such asset")
        state = self.gate.by_device(device.id)
        with self.uow_factory(readonly=True) as uow:
            document = self._built_for(uow, device, state, self.clock.now()).document
            asset = uow.assets.get(sha256)
        if asset is not None and sha256 not in document["assets"]:
            raise PermissionDeniedError("this asset is not in the device's plan")
        if asset is None:
            raise NotFoundError("no such asset")
        return asset

    def record_plays(self, device: Device, records: object) -> list[PlayResult]:
        """Verify and store a batch: each record accepted, duplicate or quarantined (why)."""
        checked = check_batch(device, records, self.verifier)
        with self.uow_factory() as uow:
            results = store_batch(uow, device, checked, self.clock.now())
            uow.commit()
        return results
