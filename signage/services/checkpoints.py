"""Checkpoints: every 15 minutes the server signs every chain head and the audit trail's head.

A device's head is its record with the highest seq the server holds (gaps
below it allowed: a late record still fills its gap, and the bundle
declares the gaps it carries). The document format is
`signage.domain.evidence_checkpoint`; each checkpoint links to the digest of
the one before, so the digests an auditor keeps outside the server pin the
whole history up to them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from signage.domain.devices import fingerprint
from signage.domain.errors import ConflictError
from signage.domain.evidence_checkpoint import (
    GENESIS_DIGEST,
    Checkpoint,
    SignedCheckpoint,
    parse_checkpoint,
    public_key_pem,
)
from signage.domain.ledger import StoredCheckpointRow
from signage.services.ledger_ports import ServerSigner
from signage.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class CheckpointView:
    """A checkpoint as auditors see it: what it covers and the digest to keep."""

    seq: int
    created_at: datetime
    digest: str
    devices: int
    audit_seq: int | None


def jsonl_line(row: StoredCheckpointRow) -> bytes:
    """One line of `checkpoints.jsonl`: the stored document verbatim, and its signature."""
    # Sorted keys, compact: exactly what canonical JSON of the pair gives.
    return (
        b'{"checkpoint":'
        + row.document.encode("utf-8")
        + b',"signature":"'
        + (row.signature.encode("ascii") + b'"}\n')
    )


def signed_checkpoint(row: StoredCheckpointRow) -> SignedCheckpoint:
    """A stored checkpoint parsed back into the domain's form."""
    return SignedCheckpoint(parse_checkpoint(json.loads(row.document)), row.signature)


@dataclass(frozen=True, slots=True)
class CheckpointServices:
    """Signing checkpoints (the worker) and reading them (auditors)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    signer: ServerSigner

    def make_checkpoint(self) -> SignedCheckpoint:
        """Sign and store the next checkpoint of every device's head and the audit head."""
        with self.uow_factory() as uow:
            latest = uow.checkpoints.latest()
            heads = uow.ledger.heads()
            checkpoint = Checkpoint(
                seq=1 if latest is None else latest.seq + 1,
                created_at=self.clock.now(),
                devices={str(device_id): head for device_id, head in heads.items()},
                audit=uow.ledger.audit_head(),
                previous=GENESIS_DIGEST if latest is None else latest.digest,
            )
            canonical = checkpoint.canonical_bytes()
            signature = self.signer.sign(canonical)
            stored = uow.checkpoints.add(
                checkpoint.seq,
                checkpoint.created_at,
                canonical.decode("utf-8"),
                checkpoint.digest(),
                signature,
            )
            if not stored:
                raise ConflictError(f"checkpoint {checkpoint.seq} was made by someone else")
            uow.commit()
        return SignedCheckpoint(checkpoint, signature)

    def recent(self, limit: int = 50) -> list[CheckpointView]:
        """The newest checkpoints, newest first."""
        with self.uow_factory(readonly=True) as uow:
            rows = uow.checkpoints.recent(limit)
        views = []
        for row, created_at in rows:
            document = json.loads(row.document)
            audit = document.get("audit")
            views.append(
                CheckpointView(
                    row.seq,
                    created_at,
                    row.digest,
                    len(document.get("devices", {})),
                    audit.get("seq") if isinstance(audit, dict) else None,
                )
            )
        return views

    def checkpoints_jsonl(self) -> bytes:
        """Every checkpoint as JSON lines (what auditors download and keep elsewhere)."""
        with self.uow_factory(readonly=True) as uow:
            rows = uow.checkpoints.all()
        return b"".join(jsonl_line(row) for row in rows)

    def signed_since(self, since: datetime) -> Sequence[SignedCheckpoint]:
        """The signed checkpoints created at or after `since`, by seq."""
        with self.uow_factory(readonly=True) as uow:
            rows = uow.checkpoints.since(since)
        return [signed_checkpoint(row) for row in rows]

    def server_public_key(self) -> bytes:
        """The raw Ed25519 public key that signs checkpoints."""
        return self.signer.public_key()

    def server_key_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM (what openssl reads)."""
        return public_key_pem(self.signer.public_key())

    def server_key_fingerprint(self) -> str:
        """The public key's fingerprint, grouped by four like the devices' ones."""
        return fingerprint(self.signer.public_key())
