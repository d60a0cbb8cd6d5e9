"""Devices: enrolment codes, key fingerprints, device records, heartbeats, take-down reach.

A player makes its own Ed25519 key pair and asks to be enrolled; an admin binds the
pending enrolment to a location by its short code after checking the key's
fingerprint. Only the public key (raw, 32 bytes) and the SHA-256 of the device's
bearer token are kept. One device is active per location: binding a new one retires
the old one, whose records and history stay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from signage.domain.errors import AuthenticationError, SignageError, ValidationError

ENROL_POLL_CONTEXT = b"signage-enroll-poll:"
# No 0/O, 1/I/L: the code is read off a billboard and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_TTL = timedelta(minutes=15)
ENROL_LIMIT = 20  # new enrolments per client address ...
ENROL_LIMIT_WINDOW = timedelta(minutes=15)  # ... within this window
OFFLINE_AFTER_POLLS = 3  # a device is offline after this many poll intervals without a heartbeat
ED25519_PUBLIC_KEY_BYTES = 32
MAX_FACTS_CHARS = 4000
MAX_TEXT = 1000
MAX_SCREENSHOT_BYTES = 10 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class EnrolmentRateLimitedError(SignageError):
    """Too many enrolments from one address; `retry_after_s` says when to try again."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many enrolments from this address; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class DeviceState(StrEnum):
    """Active devices serve a location; retired ones were replaced or revoked."""

    ACTIVE = "active"
    REPLACED = "replaced"
    REVOKED = "revoked"


def fingerprint(raw_public_key: bytes) -> str:
    """SHA-256 of the raw public key, lowercase hex grouped by four: `ab12 cd34 …`."""
    digest = hashlib.sha256(raw_public_key).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def public_key_from_b64(text: object) -> bytes:
    """The 32 raw bytes of an Ed25519 public key sent as standard base64."""
    if not isinstance(text, str):
        raise ValidationError("public_key", "must be base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValidationError("public_key", "is not standard base64") from None
    if len(raw) != ED25519_PUBLIC_KEY_BYTES:
        raise ValidationError("public_key", f"has {len(raw)} bytes, an Ed25519 key has 32")
    return raw


def signature_from_b64(text: object, field_name: str = "signature") -> bytes:
    """The 64 raw bytes of an Ed25519 signature sent as standard base64."""
    if not isinstance(text, str):
        raise ValidationError(field_name, "must be base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValidationError(field_name, "is not standard base64") from None
    if len(raw) != 64:
        raise ValidationError(field_name, "is not an Ed25519 signature (64 bytes)")
    return raw


def normalise_code(text: str) -> str:
    """An enrolment code as typed (any case, spaces or dashes) in its stored form."""
    clean = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(clean) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in clean):
        raise ValidationError("code", f"an enrolment code has {CODE_LENGTH} letters and digits")
    return clean


def display_code(code: str) -> str:
    """`ABCD-EFGH`: how a code is shown."""
    return f"{code[:4]}-{code[4:]}"


def poll_message(code: str) -> bytes:
    """What the device signs to prove it holds the key while polling its enrolment."""
    return ENROL_POLL_CONTEXT + code.encode("utf-8")


def refused_token() -> AuthenticationError:
    """The one answer to a device token that is unknown, or whose device is not active."""
    return AuthenticationError("unknown or revoked device token")


def hash_token(secret: str) -> str:
    """SHA-256 of a device token: 256-bit random values need no slow hash."""
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def clean_facts(facts: object) -> dict[str, Any]:
    """What a device tells about itself at enrolment, as a small JSON object."""
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise ValidationError("facts", "must be a JSON object")
    text = json.dumps(dict(facts), sort_keys=True, default=str)
    if len(text) > MAX_FACTS_CHARS:
        raise ValidationError("facts", f"must be at most {MAX_FACTS_CHARS} characters of JSON")
    result: dict[str, Any] = json.loads(text)
    return result


def reported_screen(facts: Mapping[str, Any]) -> tuple[int, int] | None:
    """The screen size a device reported (`screen_size: "1920x1080"` or `screen: {w, h}`)."""
    size = facts.get("screen_size")
    if isinstance(size, str) and "x" in size:
        width, _, height = size.partition("x")
        if width.strip().isdigit() and height.strip().isdigit():
            return int(width), int(height)
    screen = facts.get("screen")
    if isinstance(screen, Mapping):
        w, h = screen.get("width"), screen.get("height")
        if isinstance(w, int) and isinstance(h, int):
            return w, h
    return None


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A request to be enrolled: the code the player shows, its key and facts."""

    id: int
    code: str
    public_key: bytes
    facts: Mapping[str, Any]
    client_ip: str
    created_at: datetime
    expires_at: datetime
    device_id: int | None = None
    bound_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint, as the player shows it."""
        return fingerprint(self.public_key)

    @property
    def public_key_b64(self) -> str:
        """The key as the player sent it."""
        return base64.b64encode(self.public_key).decode("ascii")

    def expired(self, at: datetime) -> bool:
        """True once the code can no longer be bound."""
        return at >= self.expires_at


@dataclass(frozen=True, slots=True)
class Device:
    """A player bound to a location: its key, token hash, state and last report."""

    id: int
    location_id: int
    public_key: bytes
    facts: Mapping[str, Any]
    state: DeviceState
    enrolled_at: datetime
    enrolled_by: str
    retired_at: datetime | None = None
    retired_reason: str = ""
    token_issued_at: datetime | None = None
    last_seen_at: datetime | None = None
    last_plan_etag: str | None = None
    last_plan_at: datetime | None = None
    screenshot_requested_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint."""
        return fingerprint(self.public_key)

    @property
    def active(self) -> bool:
        """True while the device serves its location."""
        return self.state is DeviceState.ACTIVE


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What a device reported about itself at one instant (`at` is the server's time)."""

    at: datetime
    device_at_ms: int | None
    showing: str | None
    black_reason: str | None
    playing: Mapping[str, Any] | None
    plan_etag: str | None
    plan_ready: bool | None
    cache: Mapping[str, Any] | None
    free_disk_bytes: int | None
    clock_offset_ms: int | None
    clock_verified: bool | None
    software_version: str | None
    last_error: str | None
    last_error_at_ms: int | None
    payload: Mapping[str, Any] = field(default_factory=dict)
    # When the server last issued `plan_etag` to this device before this heartbeat.
    plan_issued_at: datetime | None = None


def _opt_int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, "must be an integer or null")
    return value


def _opt_bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValidationError(name, "must be true, false or null")
    return value


def _opt_text(data: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "must be text or null")
    return value[:limit]


def _opt_object(data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(name, "must be a JSON object or null")
    return dict(value)


def parse_heartbeat(data: object, at: datetime) -> Heartbeat:
    """Check a heartbeat body's types (unknown fields are kept in `payload`)."""
    if not isinstance(data, Mapping):
        raise ValidationError("heartbeat", "must be a JSON object")
    if len(json.dumps(dict(data), default=str)) > 64 * 1024:
        raise ValidationError("heartbeat", "is larger than 64 KiB")
    return Heartbeat(
        at=at,
        device_at_ms=_opt_int(data, "at_ms"),
        showing=_opt_text(data, "showing", 40),
        black_reason=_opt_text(data, "black_reason", 40),
        playing=_opt_object(data, "playing"),
        plan_etag=_opt_text(data, "plan_etag", 100),
        plan_ready=_opt_bool(data, "plan_ready"),
        cache=_opt_object(data, "cache"),
        free_disk_bytes=_opt_int(data, "free_disk_bytes"),
        clock_offset_ms=_opt_int(data, "clock_offset_ms"),
        clock_verified=_opt_bool(data, "clock_verified"),
        software_version=_opt_text(data, "software_version", 80),
        last_error=_opt_text(data, "last_error"),
        last_error_at_ms=_opt_int(data, "last_error_at_ms"),
        payload=dict(data),
    )


def offline_after(poll_interval_s: int) -> timedelta:
    """How long without a heartbeat makes a device offline."""
    return timedelta(seconds=OFFLINE_AFTER_POLLS * poll_interval_s)


def is_online(last_seen_at: datetime | None, at: datetime, poll_interval_s: int) -> bool:
    """True when the device's last heartbeat is recent enough at `at`."""
    return last_seen_at is not None and at - last_seen_at < offline_after(poll_interval_s)


def is_png(data: bytes) -> bool:
    """True when the bytes start like a PNG file."""
    return data.startswith(PNG_MAGIC)


class ReachKind(StrEnum):
    """Whether a take-down reached a screen."""

    STOPPED = "stopped"
    PENDING = "pending"
    NOT_REACHED = "not_reached"


@dataclass(frozen=True, slots=True)
class ScreenReach:
    """One screen's answer to a take-down: stopped at T, still pending, or offline since T."""

    device_id: int
    location_id: int
    location_name: str
    kind: ReachKind
    at: datetime | None

    @property
    def text(self) -> str:
        """`stopped at T`, `not reached: offline since T`, or `waiting (last seen T)`."""
        when = self.at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.at else "never"
        if self.kind is ReachKind.STOPPED:
            return f"stopped at {when}"
        if self.kind is ReachKind.NOT_REACHED:
            return f"not reached: offline since {when}"
        return f"not confirmed yet (last seen {when})"


@dataclass(frozen=True, slots=True)
class Takedown:
    """A withdrawal or blank and how far it got, screen by screen."""

    kind: str  # "campaign" or "blank"
    object_id: int
    label: str
    at: datetime | None  # None: the campaign was not withdrawn
    screens: tuple[ScreenReach, ...]


def reach(
    device: Device,
    location_name: str,
    taken_down_at: datetime,
    confirmed_at: datetime | None,
    now: datetime,
    poll_interval_s: int,
) -> ScreenReach:
    """How a take-down stands on one device, given its first confirming heartbeat."""
    if confirmed_at is not None:
        return ScreenReach(
            device.id, device.location_id, location_name, ReachKind.STOPPED, confirmed_at
        )
    if is_online(device.last_seen_at, now, poll_interval_s):
        return ScreenReach(
            device.id, device.location_id, location_name, ReachKind.PENDING, device.last_seen_at
        )
    return ScreenReach(
        device.id, device.location_id, location_name, ReachKind.NOT_REACHED, device.last_seen_at
    )


@dataclass(frozen=True, slots=True)
class DeviceAlert:
    """An offline alert (open until the device is back) or a recovery note."""

    id: int
    device_id: int
    kind: str  # "offline" or "recovered"
    since: datetime
    at: datetime
    closed_at: datetime | None = None

    def text(self, now: datetime) -> str:
        """`offline for N minutes` or `back online after N minutes`."""
        if self.kind == "offline":
            end = self.closed_at or now
            minutes = max(0, int((end - self.since).total_seconds() // 60))
            return f"offline for {minutes} minutes"
        minutes = max(0, int((self.at - self.since).total_seconds() // 60))
        return f"back online after {minutes} minutes offline"
