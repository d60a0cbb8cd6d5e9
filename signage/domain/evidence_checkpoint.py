"""Checkpoints: the server's signed statement of every chain head, linked one to the next.

A checkpoint document is a JSON object::

    {"seq": 12,                                  # from 1, no gaps
     "created_at": "2025-10-10T08:15:00.000Z",   # UTC, milliseconds
     "devices": {"3": {"seq": 140, "hash": "<hex>"}, ...},   # device id as text
     "audit": {"seq": 981, "hash": "<hex>"},     # or null before the first event
     "previous": "<digest of checkpoint 11>"}    # 64 zeros for checkpoint 1

A device's head is the record with the highest seq the server holds (gaps
below it are allowed). Its canonical bytes are sorted-key compact UTF-8 JSON
(as for play records); its digest is the hex SHA-256 of those bytes; the
server signs the canonical bytes with Ed25519 (standard base64). Signing
needs a crypto library, so the worker's adapter signs and this module only
builds, serialises and parses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from signage.domain.assets import is_sha256
from signage.domain.errors import ValidationError
from signage.domain.schedule import require_aware

GENESIS_DIGEST = "0" * 64
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32 bytes follow.
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_PEM_LABEL = "PUBLIC KEY"


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last link of a chain: its seq and its hash."""

    seq: int
    hash: str

    def to_json(self) -> dict[str, object]:
        """The head as a JSON object."""
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One checkpoint document (unsigned)."""

    seq: int
    created_at: datetime
    devices: Mapping[str, ChainHead]
    audit: ChainHead | None
    previous: str = GENESIS_DIGEST

    def __post_init__(self) -> None:
        require_aware(self.created_at, "created_at")

    def to_json(self) -> dict[str, object]:
        """The document as a JSON object."""
        return {
            "seq": self.seq,
            "created_at": format_utc(self.created_at),
            "devices": {key: head.to_json() for key, head in sorted(self.devices.items())},
            "audit": self.audit.to_json() if self.audit is not None else None,
            "previous": self.previous,
        }

    def canonical_bytes(self) -> bytes:
        """The bytes the server signs and the digest covers."""
        return canonical_json(self.to_json())

    def digest(self) -> str:
        """Hex SHA-256 of the canonical bytes: what auditors keep and the next one links."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def head_of(self, device_id: object) -> ChainHead | None:
        """The signed head of a device's chain, or None when the device had none yet."""
        return self.devices.get(str(device_id))


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and the server's signature over its canonical bytes."""

    checkpoint: Checkpoint
    signature: str = field(repr=False)

    def to_json(self) -> dict[str, object]:
        """One line of `checkpoints.jsonl`."""
        return {"checkpoint": self.checkpoint.to_json(), "signature": self.signature}


def canonical_json(value: object) -> bytes:
    """Sorted-key compact JSON, non-ASCII kept as UTF-8."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def format_utc(at: datetime) -> str:
    """`2025-10-10T08:15:00.000Z`: an aware instant in UTC with milliseconds."""
    require_aware(at, "at")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def next_checkpoint(
    previous: Checkpoint | None,
    created_at: datetime,
    devices: Mapping[object, ChainHead],
    audit: ChainHead | None,
) -> Checkpoint:
    """The checkpoint after `previous` (the first one when None)."""
    return Checkpoint(
        seq=1 if previous is None else previous.seq + 1,
        created_at=created_at,
        devices={str(key): head for key, head in devices.items()},
        audit=audit,
        previous=GENESIS_DIGEST if previous is None else previous.digest(),
    )


def _head(value: object, name: str) -> ChainHead:
    if not isinstance(value, Mapping) or set(value) != {"seq", "hash"}:
        raise ValidationError(name, "must be an object with seq and hash")
    seq, digest = value["seq"], value["hash"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValidationError(name, "seq must be a whole number")
    if not isinstance(digest, str) or not is_sha256(digest):
        raise ValidationError(name, "hash must be 64 lowercase hex digits")
    return ChainHead(seq, digest)


def parse_checkpoint(data: object) -> Checkpoint:
    """A checkpoint document from its JSON object, structure checked."""
    if not isinstance(data, Mapping):
        raise ValidationError("checkpoint", "must be a JSON object")
    expected = {"seq", "created_at", "devices", "audit", "previous"}
    if set(data) != expected:
        raise ValidationError("checkpoint", f"must have exactly {', '.join(sorted(expected))}")
    seq = data["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValidationError("seq", "must be a whole number from 1")
    created = data["created_at"]
    try:
        created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        created_at = None
    if created_at is None or created_at.tzinfo is None:
        raise ValidationError("created_at", "must be an ISO 8601 instant with its offset")
    devices = data["devices"]
    if not isinstance(devices, Mapping):
        raise ValidationError("devices", "must map device ids to heads")
    previous = data["previous"]
    if not isinstance(previous, str) or not is_sha256(previous):
        raise ValidationError("previous", "must be 64 lowercase hex digits")
    audit = data["audit"]
    return Checkpoint(
        seq=seq,
        created_at=created_at,
        devices={str(key): _head(head, f"devices.{key}") for key, head in devices.items()},
        audit=None if audit is None else _head(audit, "audit"),
        previous=previous,
    )


def parse_signed_checkpoint(line: object) -> SignedCheckpoint:
    """One line of `checkpoints.jsonl`, parsed."""
    if not isinstance(line, Mapping) or set(line) != {"checkpoint", "signature"}:
        raise ValidationError("checkpoint", "a line holds exactly checkpoint and signature")
    signature = line["signature"]
    if not isinstance(signature, str):
        raise ValidationError("signature", "must be base64 text")
    return SignedCheckpoint(parse_checkpoint(line["checkpoint"]), signature)


def public_key_pem(raw: bytes) -> bytes:
    """A raw 32-byte Ed25519 public key as SubjectPublicKeyInfo PEM (what openssl reads)."""
    if len(raw) != 32:
        raise ValidationError("public_key", f"has {len(raw)} bytes, an Ed25519 key has 32")
    body = base64.b64encode(_SPKI_PREFIX + raw).decode("ascii")
    return f"-----BEGIN {_PEM_LABEL}-----\n{body}\n-----END {_PEM_LABEL}-----\n".encode("ascii")


def raw_public_key(pem: bytes) -> bytes:
    """The raw 32 bytes of an Ed25519 SubjectPublicKeyInfo PEM."""
    try:
        lines = pem.decode("ascii").strip().splitlines()
    except UnicodeDecodeError:
        raise ValidationError("public_key", "is not PEM text") from None
    if len(lines) < 3 or lines[0] != f"-----BEGIN {_PEM_LABEL}-----":
        raise ValidationError("public_key", "is not a PUBLIC KEY PEM")
    if lines[-1] != f"-----END {_PEM_LABEL}-----":
        raise ValidationError("public_key", "is not a PUBLIC KEY PEM")
    try:
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("public_key", "is not base64 inside the PEM") from None
    if len(der) != len(_SPKI_PREFIX) + 32 or not der.startswith(_SPKI_PREFIX):
        raise ValidationError("public_key", "is not an Ed25519 public key")
    return der[len(_SPKI_PREFIX) :]
