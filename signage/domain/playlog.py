"""Proof-of-play rules on the server: canonical bytes, structure, chain links, gaps, counting.

The device signs the canonical bytes with Ed25519; verifying that signature needs a
crypto library and lives in an adapter. Everything here is plain data and arithmetic.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from signage.domain.assets import is_sha256
from signage.domain.errors import ValidationError

GENESIS_HASH = "0" * 64
STATUSES = ("completed", "interrupted", "failed")
COUNT_TOLERANCE_MS = 500
MAX_PLAY_MS = 24 * 3600 * 1000
# Devices sync their clock on every response, so minutes of skew already mean something broke.
DEFAULT_SKEW_MS = 10 * 60 * 1000
MAX_REASON_CHARS = 1000
# Integers beyond 2**53 do not survive a JavaScript or float round trip of the JSON.
_MAX_SAFE_INT = 2**53 - 1
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ED25519_SIGNATURE_BYTES = 64

Ident = str | int


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """A structurally valid play record as the device sent it."""

    id: str
    device_id: Ident
    seq: int
    location_id: Ident | None
    asset_sha256: str | None
    playlist_id: Ident | None
    entry_id: Ident | None
    approval_id: Ident | None
    started_at_ms: int
    ended_at_ms: int
    device_clock_offset_ms: int
    clock_verified: bool
    status: str
    reason: str | None
    prev_hash: str
    signature: str

    def to_json(self) -> dict[str, object]:
        """The record as a JSON object, signature included."""
        # Every field is a scalar: no need for asdict's recursive deep copy (hot on ingest).
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    def canonical_bytes(self) -> bytes:
        """The bytes the device signed."""
        return canonical_bytes(self.to_json())

    def record_hash(self) -> str:
        """The hash its successor carries as `prev_hash`."""
        return record_hash(self.canonical_bytes(), self.signature)

    @property
    def duration_ms(self) -> int:
        """How long the play ran by its own timestamps."""
        return self.ended_at_ms - self.started_at_ms


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PlayRecord))
SIGNED_FIELDS: tuple[str, ...] = tuple(name for name in RECORD_FIELDS if name != "signature")


_ALL_FIELDS = frozenset(RECORD_FIELDS)
_SIGNED_SET = frozenset(SIGNED_FIELDS)
# One encoder for every record (`json.dumps` with options builds a new one per call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_bytes(record: Mapping[str, object]) -> bytes:
    """Sorted-key compact UTF-8 JSON of every field except `signature`; floats refused."""
    keys = record.keys()
    if keys != _ALL_FIELDS and keys != _SIGNED_SET:
        missing = [name for name in SIGNED_FIELDS if name not in record]
        if missing:
            raise ValidationError(missing[0], "is missing")
        extra = sorted(set(record) - _ALL_FIELDS)
        if extra:
            raise ValidationError(extra[0], "is not a field of a play record")
    body = {name: record[name] for name in SIGNED_FIELDS}
    for name, value in body.items():
        if isinstance(value, float):
            raise ValidationError(name, "is a float; play records carry integers only")
    return _CANONICAL.encode(body).encode("utf-8")


def record_hash(canonical: bytes, signature: str) -> str:
    """Hex SHA-256 of `canonical + b"." + signature` (the base64 text as ASCII)."""
    return hashlib.sha256(canonical + b"." + signature.encode("ascii")).hexdigest()


def signature_bytes(signature: str) -> bytes:
    """The 64 raw bytes of a standard-base64 (padded) Ed25519 signature."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValidationError("signature", "is not standard base64") from exc
    if len(raw) != _ED25519_SIGNATURE_BYTES:
        raise ValidationError("signature", f"has {len(raw)} bytes, an Ed25519 one has 64")
    return raw


def _int(data: Mapping[str, object], name: str, low: int) -> int:
    value = data[name]
    # bool is an int in Python but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, "must be an integer")
    if not low <= value <= _MAX_SAFE_INT:
        raise ValidationError(name, f"must lie in {low}..2**53-1")
    return value


def _ident(data: Mapping[str, object], name: str) -> Ident:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ValidationError(name, "must be an id (non-empty text or integer)")
    return value


def _optional_ident(data: Mapping[str, object], name: str) -> Ident | None:
    return None if data[name] is None else _ident(data, name)


def _hex64(data: Mapping[str, object], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not is_sha256(value):
        raise ValidationError(name, "must be 64 lowercase hex digits")
    return value


def _optional_hex64(data: Mapping[str, object], name: str) -> str | None:
    return None if data[name] is None else _hex64(data, name)


def parse_record(data: object) -> PlayRecord:
    """Check a record's structure (fields, types, no floats, status) and type it."""
    return parse_signed(data)[0]


def parse_signed(data: object) -> tuple[PlayRecord, bytes]:
    """`parse_record`, and the canonical bytes the signature covers (computed once)."""
    if not isinstance(data, Mapping):
        raise ValidationError("record", "must be a JSON object")
    canonical = canonical_bytes(data)  # every field present, none unknown, no floats
    if "signature" not in data:
        raise ValidationError("signature", "is missing")
    record_id = data["id"]
    if not isinstance(record_id, str) or not _is_canonical_uuid(record_id):
        raise ValidationError("id", "must be a UUID in lowercase hyphenated form")
    if not isinstance(data["clock_verified"], bool):
        raise ValidationError("clock_verified", "must be true or false")
    if data["status"] not in STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
    reason = data["reason"]
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS):
        raise ValidationError("reason", f"must be null or text of at most {MAX_REASON_CHARS}")
    signature = data["signature"]
    if not isinstance(signature, str):
        raise ValidationError("signature", "must be base64 text")
    signature_bytes(signature)
    record = PlayRecord(
        id=record_id,
        device_id=_ident(data, "device_id"),
        seq=_int(data, "seq", 1),
        location_id=_optional_ident(data, "location_id"),
        asset_sha256=_optional_hex64(data, "asset_sha256"),
        playlist_id=_optional_ident(data, "playlist_id"),
        entry_id=_optional_ident(data, "entry_id"),
        approval_id=_optional_ident(data, "approval_id"),
        started_at_ms=_int(data, "started_at_ms", 0),
        ended_at_ms=_int(data, "ended_at_ms", 0),
        device_clock_offset_ms=_int(data, "device_clock_offset_ms", -_MAX_SAFE_INT),
        clock_verified=data["clock_verified"],
        status=str(data["status"]),
        reason=reason,
        prev_hash=_hex64(data, "prev_hash"),
        signature=signature,
    )
    return record, canonical


def _is_canonical_uuid(text: str) -> bool:
    # One spelling per id, or "idempotent per record id" would see two ids for one record:
    # the lowercase hyphenated 8-4-4-4-12 form is exactly what `str(uuid.UUID(...))` gives.
    return _CANONICAL_UUID.fullmatch(text) is not None


def link_problem(seq: int, prev_hash: str, predecessor_hash: str | None) -> str | None:
    """Why a record does not link to its predecessor (None when it does or is unknown yet)."""
    if seq == 1:
        return None if prev_hash == GENESIS_HASH else "the first record must link to 64 zeros"
    if predecessor_hash is None:
        return None  # stored; its gap closes when the predecessor arrives
    if prev_hash != predecessor_hash:
        return f"prev_hash does not match the hash of record {seq - 1}"
    return None


def missing_ranges(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """The gaps in a device's sequence: inclusive `(first, last)` ranges up to the highest."""
    gaps: list[tuple[int, int]] = []
    expected = 1
    for seq in sorted(set(seqs)):
        if seq < 1:
            continue
        if seq > expected:
            gaps.append((expected, seq - 1))
        expected = seq + 1
    return gaps


def implausibility(
    record: PlayRecord,
    *,
    now_ms: int,
    enrolled_at_ms: int | None,
    skew_ms: int = DEFAULT_SKEW_MS,
) -> str | None:
    """Why a correctly signed record cannot be believed as a play, or None."""
    if record.ended_at_ms < record.started_at_ms:
        return "ends before it starts"
    if record.duration_ms > MAX_PLAY_MS:
        return "longer than 24 h"
    if record.started_at_ms > now_ms + skew_ms:
        return "starts in the future"
    if record.ended_at_ms > now_ms + skew_ms:
        return "ends in the future"
    if enrolled_at_ms is not None and record.started_at_ms < enrolled_at_ms - skew_ms:
        return "starts before the device was enrolled"
    return None


def counts(record: PlayRecord, expected_duration_ms: int) -> bool:
    """A play counts when it completed within 500 ms of its expected duration."""
    return (
        record.status == "completed"
        and abs(record.duration_ms - expected_duration_ms) <= COUNT_TOLERANCE_MS
    )


def exclusion_reason(
    record: PlayRecord,
    expected_duration_ms: int,
    *,
    now_ms: int,
    enrolled_at_ms: int | None,
    skew_ms: int = DEFAULT_SKEW_MS,
) -> str | None:
    """Why a chained record is left out of the counts (for the shortfall column), or None."""
    implausible = implausibility(
        record, now_ms=now_ms, enrolled_at_ms=enrolled_at_ms, skew_ms=skew_ms
    )
    if implausible is not None:
        return implausible
    if record.status != "completed":
        return record.status + (f": {record.reason}" if record.reason else "")
    if not counts(record, expected_duration_ms):
        return f"ran {record.duration_ms} ms, expected {expected_duration_ms} ms"
    return None
