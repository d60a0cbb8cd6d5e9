"""The server's ledger beyond one record: exclusion at ingest, and chains against checkpoints.

A device's chain is stored as it arrives; nothing about its completeness is
stored. Gaps, broken links and disagreements with the signed checkpoints are
derived here whenever someone asks, so a late record closes its gap and an
edit made behind the application's back shows up at the next look.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from signage.domain.errors import ValidationError
from signage.domain.evidence_checkpoint import GENESIS_DIGEST, ChainHead, parse_checkpoint
from signage.domain.play_ids import PlanIds, unresolved
from signage.domain.playlog import (
    DEFAULT_SKEW_MS,
    GENESIS_HASH,
    PlayRecord,
    implausibility,
    missing_ranges,
)

UNKNOWN_ASSET = "unknown asset"
# Checks a raw Ed25519 public key's signature (standard base64) over a message.
SignatureCheck = Callable[[bytes, bytes, str], bool]


def ingest_exclusion(
    record: PlayRecord,
    *,
    now_ms: int,
    enrolled_at_ms: int | None,
    asset_known: bool,
    ids: PlanIds,
    skew_ms: int = DEFAULT_SKEW_MS,
) -> str | None:
    """Why a correctly signed record stays in the chain but out of the counts, or None:
    ids that are not its device's plan ids first, then implausible content, then an
    asset the server never had."""
    unknown = unresolved(record, ids)
    if unknown is not None:
        return unknown
    reason = implausibility(record, now_ms=now_ms, enrolled_at_ms=enrolled_at_ms, skew_ms=skew_ms)
    if reason is None and record.asset_sha256 is not None and not asset_known:
        return UNKNOWN_ASSET
    return reason


@dataclass(frozen=True, slots=True)
class Link:
    """One stored record reduced to what the chain needs: seq, id and the two hashes."""

    seq: int
    id: str
    prev_hash: str
    hash: str


class Finding(StrEnum):
    """What can be wrong with a stored chain or the checkpoints."""

    GAP = "gap"
    LINK = "broken link"
    TAIL_CUT = "tail cut"
    HEAD_MISMATCH = "head mismatch"
    CHECKPOINT_SIGNATURE = "checkpoint signature"
    CHECKPOINT_LINK = "checkpoint link"
    CHECKPOINT_DOCUMENT = "checkpoint document"


@dataclass(frozen=True, slots=True)
class LedgerFinding:
    """One thing the integrity check found, with whatever pins it down."""

    kind: Finding
    message: str
    device_id: int | None = None
    seq: int | None = None
    last_seq: int | None = None
    checkpoint_seq: int | None = None


@dataclass(frozen=True, slots=True)
class StoredCheckpointRow:
    """A checkpoint as stored: its document text, digest and signature."""

    seq: int
    document: str
    digest: str
    signature: str


def chain_findings(
    device_id: int,
    links: Sequence[Link],
    signed_heads: Iterable[tuple[int, ChainHead]] = (),
) -> list[LedgerFinding]:
    """Gaps, broken links, and heads that disagree with what checkpoints signed (by seq).

    `signed_heads` are (checkpoint seq, head) pairs for this device. A head
    beyond the stored chain means its tail was cut after it was signed.
    """
    by_seq = {link.seq: link for link in links}
    found = [
        LedgerFinding(Finding.GAP, f"records {low}–{high} have not arrived", device_id, low, high)
        for low, high in missing_ranges(by_seq)
    ]
    for seq in sorted(by_seq):
        link = by_seq[seq]
        if seq == 1:
            expected: str | None = GENESIS_HASH
        else:
            before = by_seq.get(seq - 1)
            expected = before.hash if before is not None else None
        if expected is not None and link.prev_hash != expected:
            found.append(
                LedgerFinding(
                    Finding.LINK, f"record {seq} does not link to record {seq - 1}", device_id, seq
                )
            )
    top = max(by_seq, default=0)
    for checkpoint_seq, head in signed_heads:
        stored = by_seq.get(head.seq)
        if head.seq > top:
            message = (
                f"checkpoint {checkpoint_seq} signed head {head.seq}, "
                f"the stored chain ends at {top}"
            )
            found.append(
                LedgerFinding(Finding.TAIL_CUT, message, device_id, head.seq, None, checkpoint_seq)
            )
        elif stored is not None and stored.hash != head.hash:
            message = f"record {head.seq} is not the one checkpoint {checkpoint_seq} signed"
            found.append(
                LedgerFinding(
                    Finding.HEAD_MISMATCH, message, device_id, head.seq, None, checkpoint_seq
                )
            )
    return found


def checkpoint_findings(
    rows: Sequence[StoredCheckpointRow], server_key: bytes, check: SignatureCheck
) -> list[LedgerFinding]:
    """Each stored checkpoint parses, matches its digest, is signed and links to the one before."""
    found: list[LedgerFinding] = []
    previous = GENESIS_DIGEST
    expected_seq = 1
    for row in sorted(rows, key=lambda r: r.seq):
        if row.seq != expected_seq:
            found.append(
                LedgerFinding(
                    Finding.CHECKPOINT_LINK,
                    f"checkpoints {expected_seq}–{row.seq - 1} are missing",
                    checkpoint_seq=row.seq,
                )
            )
        expected_seq = row.seq + 1
        try:
            checkpoint = parse_checkpoint(json.loads(row.document))
        except (ValueError, ValidationError) as exc:
            found.append(
                LedgerFinding(
                    Finding.CHECKPOINT_DOCUMENT,
                    f"checkpoint {row.seq} does not parse: {exc}",
                    checkpoint_seq=row.seq,
                )
            )
            previous = row.digest
            continue
        canonical = checkpoint.canonical_bytes()
        if canonical != row.document.encode("utf-8") or checkpoint.digest() != row.digest:
            found.append(
                LedgerFinding(
                    Finding.CHECKPOINT_DOCUMENT,
                    f"checkpoint {row.seq}'s document does not match its digest",
                    checkpoint_seq=row.seq,
                )
            )
        if not _signed(check, server_key, canonical, row.signature):
            found.append(
                LedgerFinding(
                    Finding.CHECKPOINT_SIGNATURE,
                    f"checkpoint {row.seq} is not signed by the server key",
                    checkpoint_seq=row.seq,
                )
            )
        if checkpoint.seq != row.seq or checkpoint.previous != previous:
            found.append(
                LedgerFinding(
                    Finding.CHECKPOINT_LINK,
                    f"checkpoint {row.seq} does not link to checkpoint {row.seq - 1}",
                    checkpoint_seq=row.seq,
                )
            )
        previous = checkpoint.digest()
    return found


def _signed(check: SignatureCheck, key: bytes, message: bytes, signature: str) -> bool:
    try:
        return bool(check(key, message, signature))
    except Exception:  # a verifier that chokes on garbage has refused it
        return False


def heads_by_device(
    checkpoints: Iterable[tuple[int, Mapping[str, ChainHead]]],
) -> dict[str, list[tuple[int, ChainHead]]]:
    """Per device id (text): every (checkpoint seq, head) signed for it."""
    result: dict[str, list[tuple[int, ChainHead]]] = {}
    for checkpoint_seq, devices in checkpoints:
        for device_id, head in devices.items():
            result.setdefault(device_id, []).append((checkpoint_seq, head))
    return result
