"""Proof-of-play records: canonical bytes, Ed25519 signature, hash chain."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Literal, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage_player.errors import RecordError

GENESIS_HASH = "0" * 64
STATUSES = ("completed", "interrupted", "failed")

Status = Literal["completed", "interrupted", "failed"]
# Server ids travel as the plan gave them (integers today); the record keeps the JSON type.
Ident = str | int
JsonScalar = str | int | bool | None


@dataclass(frozen=True, slots=True)
class PlayFacts:
    """What was shown and when: the content of a record before it joins the chain."""

    location_id: Ident | None
    asset_sha256: str | None
    playlist_id: Ident | None
    entry_id: Ident | None
    approval_id: Ident | None
    started_at_ms: int
    ended_at_ms: int
    device_clock_offset_ms: int
    clock_verified: bool
    status: Status
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """One signed proof-of-play record, exactly the fields of the wire format."""

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
    status: Status
    reason: str | None
    prev_hash: str
    signature: str

    def to_json(self) -> dict[str, JsonScalar]:
        """The record as the JSON object sent to the server (signature included)."""
        return cast(dict[str, JsonScalar], asdict(self))

    def canonical_bytes(self) -> bytes:
        """The bytes the signature covers."""
        return canonical_bytes(self.to_json())

    def record_hash(self) -> str:
        """The hash the next record carries as `prev_hash`."""
        return record_hash(self.canonical_bytes(), self.signature)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PlayRecord:
        """Rebuild a record from its JSON object (as stored in the outbox)."""
        missing = [name for name in RECORD_FIELDS if name not in data]
        if missing:
            raise RecordError(f"record lacks {', '.join(missing)}")
        _refuse_floats(data)
        if data["status"] not in STATUSES:
            raise RecordError(f"status {data['status']!r} is not one of {STATUSES}")
        return cls(**{name: data[name] for name in RECORD_FIELDS})  # type: ignore[arg-type]


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PlayRecord))
SIGNED_FIELDS: tuple[str, ...] = tuple(name for name in RECORD_FIELDS if name != "signature")


def _refuse_floats(data: Mapping[str, object]) -> None:
    # A float has no single JSON spelling across languages, so it could never be re-verified.
    for name, value in data.items():
        if isinstance(value, float):
            raise RecordError(f"{name} is a float; records carry integers only")


def canonical_bytes(record: Mapping[str, object]) -> bytes:
    """Sorted-key compact UTF-8 JSON of every field but `signature`; floats refused."""
    missing = [name for name in SIGNED_FIELDS if name not in record]
    if missing:
        raise RecordError(f"record lacks {', '.join(missing)}")
    extra = sorted(set(record) - set(RECORD_FIELDS))
    if extra:
        raise RecordError(f"record has unknown fields {', '.join(extra)}")
    body = {name: record[name] for name in SIGNED_FIELDS}
    _refuse_floats(body)
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def record_hash(canonical: bytes, signature: str) -> str:
    """Hex SHA-256 of `canonical + b"." + signature` (the base64 text as ASCII)."""
    return hashlib.sha256(canonical + b"." + signature.encode("ascii")).hexdigest()


def sign(key: Ed25519PrivateKey, canonical: bytes) -> str:
    """Ed25519 signature of the canonical bytes, standard base64 with padding."""
    return base64.b64encode(key.sign(canonical)).decode("ascii")


def seal(
    facts: PlayFacts,
    *,
    key: Ed25519PrivateKey,
    device_id: Ident,
    seq: int,
    prev_hash: str,
    record_id: str | None = None,
) -> PlayRecord:
    """Give the facts their place in the chain and sign them."""
    if seq < 1:
        raise RecordError("seq starts at 1")
    if facts.status not in STATUSES:
        raise RecordError(f"status {facts.status!r} is not one of {STATUSES}")
    unsigned: dict[str, object] = {
        **asdict(facts),
        "id": record_id or str(uuid.uuid4()),
        "device_id": device_id,
        "seq": seq,
        "prev_hash": prev_hash,
    }
    signature = sign(key, canonical_bytes(unsigned))
    return PlayRecord.from_json({**unsigned, "signature": signature})


def verify_chain(records: list[PlayRecord], first_prev_hash: str = GENESIS_HASH) -> int | None:
    """The seq of the first record that does not link to its predecessor, or None."""
    expected_prev = first_prev_hash
    expected_seq = records[0].seq if records else 1
    for record in records:
        if record.prev_hash != expected_prev or record.seq != expected_seq:
            return record.seq
        expected_prev = record.record_hash()
        expected_seq += 1
    return None
