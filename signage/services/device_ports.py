"""Ports of devices: enrolments, devices and heartbeats, play records, alerts, signatures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from signage.domain.devices import Device, DeviceAlert, DeviceState, Enrolment, Heartbeat
from signage.domain.playlog import PlayRecord


class SignatureVerifier(Protocol):
    """Checks Ed25519 signatures (an adapter: services stay free of crypto libraries)."""

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when `signature` is the key's Ed25519 signature of `message`."""
        ...

    def verify_many(self, public_key: bytes, signed: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        """`verify` of each (message, signature) pair under one key, in order."""
        ...


@dataclass(frozen=True, slots=True)
class StoredPlay:
    """A play record as stored in its device's chain, with when it arrived.

    `note` is why a correctly signed record is not believed as a play
    (implausible content), or None.
    """

    record: PlayRecord
    hash: str
    canonical: str
    received_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantinedPlay:
    """A record kept outside every chain: bad signature, conflicting duplicate, bad shape."""

    id: int
    device_id: int
    record_id: str | None
    reason: str
    body: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Screenshot:
    """The latest screenshot a device uploaded."""

    device_id: int
    taken_at: datetime
    data: bytes


class EnrolmentRepository(Protocol):
    def add(
        self,
        code: str,
        public_key: bytes,
        facts: Mapping[str, Any],
        client_ip: str,
        at: datetime,
        expires_at: datetime,
    ) -> Enrolment: ...

    def by_code(self, code: str) -> Enrolment | None: ...

    def open_for_key(self, public_key: bytes, at: datetime) -> Enrolment | None:
        """The key's enrolment still waiting to be bound at `at`, if any."""
        ...

    def latest_for_key(self, public_key: bytes) -> Enrolment | None: ...

    def started_from(self, client_ip: str, since: datetime) -> Sequence[datetime]:
        """When enrolments from this address were made since `since` (oldest first)."""
        ...

    def bind(self, enrolment_id: int, device_id: int, at: datetime) -> None: ...

    def pending(self, at: datetime) -> Sequence[Enrolment]:
        """Unbound, unexpired enrolments, newest first."""
        ...


class DeviceRepository(Protocol):
    def lock_chain(self, device_id: int) -> None: ...

    def add(
        self,
        location_id: int,
        public_key: bytes,
        facts: Mapping[str, Any],
        at: datetime,
        by: str,
    ) -> Device: ...

    def get(self, device_id: int) -> Device | None: ...

    def by_token_hash(self, token_hash: str) -> Device | None: ...

    def with_key(self, public_key: bytes) -> Sequence[Device]: ...

    def active_at(self, location_id: int) -> Device | None: ...

    def list(self) -> Sequence[Device]:
        """Every device, active first, then newest first."""
        ...

    def retire(self, device_id: int, state: DeviceState, at: datetime, reason: str) -> None: ...

    def set_token(self, device_id: int, token_hash: str, at: datetime) -> None: ...

    def note_plan(self, device_id: int, etag: str, at: datetime) -> None:
        """Record that `etag` was (again) the plan handed to the device at `at`."""
        ...

    def plan_issued_at(self, device_id: int, etag: str) -> datetime | None:
        """The last time `etag` was handed to the device, or None if never."""
        ...

    def add_heartbeat(self, device_id: int, heartbeat: Heartbeat) -> None:
        """Append the heartbeat to the history and make it the device's latest."""
        ...

    def latest_heartbeat(self, device_id: int) -> Heartbeat | None: ...

    def heartbeats(self, device_id: int, limit: int) -> Sequence[Heartbeat]:
        """The newest heartbeats first."""
        ...

    def first_confirmation(self, device_id: int, since: datetime) -> datetime | None:
        """The first heartbeat at or after `since` reporting a plan issued at or after it."""
        ...

    def request_screenshot(self, device_id: int, at: datetime | None) -> None: ...

    def save_screenshot(self, device_id: int, data: bytes, at: datetime) -> None: ...

    def screenshot(self, device_id: int) -> Screenshot | None: ...


class PlayRepository(Protocol):
    """Append-only: there is no update and no delete."""

    def add(self, device_id: int, play: StoredPlay) -> bool:
        """Insert the record; False (and nothing written) when its id or seq is taken."""
        ...

    def get(self, record_id: str) -> StoredPlay | None: ...

    def at_seq(self, device_id: int, seq: int) -> StoredPlay | None: ...

    def for_device(self, device_id: int, limit: int = 100) -> Sequence[StoredPlay]:
        """The device's records by seq, newest first."""
        ...

    def count_for(self, device_id: int) -> int: ...

    def quarantine(
        self,
        device_id: int,
        record_id: str | None,
        reason: str,
        body: str,
        at: datetime,
    ) -> None:
        """Keep a refused record outside the chain (once per device and body)."""
        ...

    def quarantined(self, device_id: int, limit: int = 100) -> Sequence[QuarantinedPlay]: ...


class DeviceAlertRepository(Protocol):
    def open_offline(self, device_id: int) -> DeviceAlert | None: ...

    def add(self, device_id: int, kind: str, since: datetime, at: datetime) -> DeviceAlert: ...

    def close(self, alert_id: int, at: datetime) -> None: ...

    def recent(self, since: datetime) -> Sequence[DeviceAlert]:
        """Open offline alerts, and alerts raised or closed since `since`, newest first."""
        ...
