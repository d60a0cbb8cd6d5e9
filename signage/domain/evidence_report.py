"""What `verify_bundle` reports: findings that each name one precise problem."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from signage.domain.playlog import Ident


class Problem(StrEnum):
    """The kinds of finding."""

    MALFORMED = "malformed"
    FILE_MISSING = "file missing"
    FILE_HASH = "file hash mismatch"
    FILE_UNLISTED = "file not in the manifest"
    CHECKPOINT_SIGNATURE = "checkpoint signature"
    CHECKPOINT_LINK = "checkpoint link"
    CHECKPOINT_DIGEST = "checkpoint digest"
    CHECKPOINT_MISSING = "checkpoint missing"
    ALTERED_RECORD = "altered record"
    DUPLICATE_SEQ = "duplicate seq"
    MISSING_RECORDS = "undeclared gap"
    CHAIN_BREAK = "chain break"
    HEAD_MISMATCH = "head mismatch"
    BEYOND_HEAD = "beyond the checkpointed head"
    CSV_ROW = "csv row"
    CSV_TOTAL = "csv total"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with a bundle, with whatever pins it down.

    `seq`..`last_seq` is a range for missing records; `failed` says which
    checks an altered record fails ("signature", "hash"); `total` names the
    total that differs; `expected`/`found` are the hashes or values compared.
    """

    problem: Problem
    message: str
    file: str | None = None
    device_id: Ident | None = None
    seq: int | None = None
    last_seq: int | None = None
    record_id: str | None = None
    checkpoint_seq: int | None = None
    failed: tuple[str, ...] = ()
    total: str | None = None
    expected: str | None = None
    found: str | None = None


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The outcome of verifying a bundle, and what an auditor compares by hand."""

    findings: tuple[Finding, ...]
    campaign_id: int | None
    devices: int
    full_records: int
    reduced_records: int
    checkpoints: tuple[tuple[int, str], ...]  # (seq, digest): compare with the kept copies
    server_key_fingerprint: str | None
    declared_gaps: tuple[tuple[str, int, int], ...]  # (device id, first seq, last seq)
    plays: int
    counted_plays: int
    counted_ms: int

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.findings

    def of(self, problem: Problem) -> list[Finding]:
        """The findings of one kind."""
        return [finding for finding in self.findings if finding.problem is problem]

    def lines(self) -> list[str]:
        """A plain-text summary for `signage verify`."""
        head = [
            f"campaign {self.campaign_id}: {self.devices} devices, {self.full_records} records "
            f"checked, {self.reduced_records} of other campaigns linked",
            f"plays {self.plays}, counted {self.counted_plays} "
            f"({self.counted_ms // 1000}.{self.counted_ms % 1000:03d} s)",
            f"server key {self.server_key_fingerprint}",
        ]
        head += [f"checkpoint {seq}: {digest}" for seq, digest in self.checkpoints]
        head += [f"declared gap: device {d} seq {a}–{b}" for d, a, b in self.declared_gaps]
        head += [f"{finding.problem}: {finding.message}" for finding in self.findings]
        head.append("OK" if self.ok else f"FAILED: {len(self.findings)} findings")
        return head
