"""Offline verification of an evidence bundle: every finding names exactly what is wrong.

Signature checking needs a crypto library, so the caller injects it:
`verify_signature(raw_public_key, message, signature_b64) -> bool`. Checks:
file hashes against the manifest; checkpoint signatures and their previous
links; each device's records (signature, declared hash), links, seqs
missing beyond the declared gaps, and its head against the anchoring
checkpoint; the CSV's per-play verdicts and totals recomputed from the chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from signage.domain.devices import fingerprint
from signage.domain.errors import ValidationError
from signage.domain.evidence import (
    CHECKPOINTS,
    FORMAT,
    MANIFEST,
    REDUCED_FIELDS,
    SERVER_KEY,
    DurationKey,
    sha256_hex,
)
from signage.domain.evidence_checkpoint import (
    GENESIS_DIGEST,
    SignedCheckpoint,
    parse_signed_checkpoint,
    raw_public_key,
)
from signage.domain.evidence_csv import PlayRow, play_row
from signage.domain.evidence_report import Finding, Problem, VerificationReport
from signage.domain.evidence_verify_csv import csv_findings
from signage.domain.plan_clock import to_ticks
from signage.domain.playlog import GENESIS_HASH, PlayRecord, parse_record

SignatureCheck = Callable[[bytes, bytes, str], bool]

__all__ = ["Finding", "Problem", "SignatureCheck", "VerificationReport", "verify_bundle"]


@dataclass(frozen=True, slots=True)
class _Link:
    """One chain line as found: its links, and the full record when there is one."""

    seq: int
    id: str
    prev_hash: str
    hash: str  # what the successor must carry: recomputed for full records
    declared: str  # the "hash" written on the line
    record: PlayRecord | None
    altered: bool


class _Verifier:
    def __init__(self, files: Mapping[str, bytes], check: SignatureCheck) -> None:
        self.files = files
        self.check = check
        self.findings: list[Finding] = []
        self.full = self.reduced = 0
        self.gaps: list[tuple[str, int, int]] = []
        self.checkpoints: dict[int, SignedCheckpoint] = {}
        self.rows: dict[tuple[str, str], PlayRow] = {}

    def add(self, problem: Problem, message: str, **details: Any) -> None:
        self.findings.append(Finding(problem, message, **details))

    def signed(self, key: bytes, message: bytes, signature: str) -> bool:
        try:
            return bool(self.check(key, message, signature))
        except Exception:  # a verifier that chokes on garbage has refused it
            return False

    def run(self) -> VerificationReport:
        raw = self.files.get(MANIFEST)
        if raw is None:
            self.add(Problem.FILE_MISSING, f"{MANIFEST} is missing", file=MANIFEST)
            return self.report(None, None)
        manifest: object = None
        try:
            manifest = json.loads(raw.decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ValidationError(MANIFEST, f"is not a {FORMAT} manifest")
            self.check_files(manifest["files"])
            server_key = self.check_checkpoints(manifest)
            durations: dict[DurationKey, int] = {
                (d["approval_id"], d["playlist_id"], d["asset_sha256"]): d["duration_ms"]
                for d in manifest["expected_durations"]
            }
            for entry in manifest["devices"]:
                self.check_device(manifest, entry, durations)
            self.check_csv(manifest)
        except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
            self.add(Problem.MALFORMED, f"{MANIFEST} cannot be read: {exc}", file=MANIFEST)
            return self.report(manifest if isinstance(manifest, dict) else None, None)
        return self.report(manifest, server_key)

    def report(
        self, manifest: dict[str, Any] | None, server_key: bytes | None
    ) -> VerificationReport:
        rows = self.rows.values()
        return VerificationReport(
            findings=tuple(self.findings),
            campaign_id=manifest.get("campaign_id") if manifest else None,
            devices=len(manifest.get("devices", ())) if manifest else 0,
            full_records=self.full,
            reduced_records=self.reduced,
            checkpoints=tuple(
                (seq, signed.checkpoint.digest())
                for seq, signed in sorted(self.checkpoints.items())
            ),
            server_key_fingerprint=fingerprint(server_key) if server_key else None,
            declared_gaps=tuple(self.gaps),
            plays=len(rows),
            counted_plays=sum(row.counted for row in rows),
            counted_ms=sum(row.counted_ms for row in rows),
        )

    def check_files(self, listed: Mapping[str, str]) -> None:
        for path, digest in sorted(listed.items()):
            data = self.files.get(path)
            if data is None:
                self.add(Problem.FILE_MISSING, f"{path} is listed but missing", file=path)
            elif sha256_hex(data) != digest:
                found = sha256_hex(data)
                self.add(
                    Problem.FILE_HASH,
                    f"{path}: SHA-256 is {found}, the manifest says {digest}",
                    file=path,
                    expected=digest,
                    found=found,
                )
        for path in sorted(set(self.files) - set(listed) - {MANIFEST}):
            self.add(Problem.FILE_UNLISTED, f"{path} is not listed in the manifest", file=path)

    def check_checkpoints(self, manifest: Mapping[str, Any]) -> bytes | None:
        try:
            server_key = raw_public_key(self.files.get(SERVER_KEY, b""))
        except ValidationError as exc:
            self.add(Problem.MALFORMED, f"{SERVER_KEY}: {exc.reason}", file=SERVER_KEY)
            server_key = None
        previous: SignedCheckpoint | None = None
        for number, line in enumerate(self.files.get(CHECKPOINTS, b"").splitlines(), start=1):
            try:
                signed = parse_signed_checkpoint(json.loads(line))
            except (ValueError, ValidationError) as exc:
                self.add(Problem.MALFORMED, f"{CHECKPOINTS} line {number}: {exc}", file=CHECKPOINTS)
                continue
            point = signed.checkpoint
            self.checkpoints[point.seq] = signed
            if server_key is None or not self.signed(
                server_key, point.canonical_bytes(), signed.signature
            ):
                self.add(
                    Problem.CHECKPOINT_SIGNATURE,
                    f"checkpoint {point.seq}: the server's signature does not verify",
                    checkpoint_seq=point.seq,
                )
            expected = GENESIS_DIGEST if point.seq == 1 else None
            if previous is not None:
                if point.seq != previous.checkpoint.seq + 1:
                    self.add(
                        Problem.CHECKPOINT_LINK,
                        f"checkpoint {point.seq} follows checkpoint {previous.checkpoint.seq}",
                        checkpoint_seq=point.seq,
                    )
                expected = previous.checkpoint.digest()
            if expected is not None and point.previous != expected:
                self.add(
                    Problem.CHECKPOINT_LINK,
                    f"checkpoint {point.seq}: previous is {point.previous}, "
                    f"the digest of checkpoint {point.seq - 1} is {expected}",
                    checkpoint_seq=point.seq,
                    expected=expected,
                    found=point.previous,
                )
            previous = signed
        for listed in manifest.get("checkpoints", ()):
            signed_listed = self.checkpoints.get(listed["seq"])
            if signed_listed is None:
                self.add(
                    Problem.CHECKPOINT_MISSING,
                    f"checkpoint {listed['seq']} is listed but not in {CHECKPOINTS}",
                    checkpoint_seq=listed["seq"],
                )
            elif signed_listed.checkpoint.digest() != listed["digest"]:
                self.add(
                    Problem.CHECKPOINT_DIGEST,
                    f"checkpoint {listed['seq']}: digest is {signed_listed.checkpoint.digest()}, "
                    f"the manifest says {listed['digest']}",
                    checkpoint_seq=listed["seq"],
                    expected=listed["digest"],
                    found=signed_listed.checkpoint.digest(),
                )
        return server_key

    def read_chain(self, entry: Mapping[str, Any], key: bytes | None) -> dict[int, _Link]:
        device_id, path = entry["device_id"], entry["chain"]
        by_seq: dict[int, list[_Link]] = {}
        for number, line in enumerate(self.files.get(path, b"").splitlines(), start=1):
            try:
                link = self.read_link(json.loads(line), device_id, key)
            except (ValueError, ValidationError) as exc:
                self.add(Problem.MALFORMED, f"{path} line {number}: {exc}", file=path)
                continue
            by_seq.setdefault(link.seq, []).append(link)
        chosen: dict[int, _Link] = {}
        for seq, links in sorted(by_seq.items()):
            if len(links) > 1:
                ids = ", ".join(link.id for link in links)
                self.add(
                    Problem.DUPLICATE_SEQ,
                    f"device {device_id}: seq {seq} appears {len(links)} times ({ids})",
                    device_id=device_id,
                    seq=seq,
                )
            chosen[seq] = next((link for link in links if not link.altered), links[0])
        return chosen

    def read_link(self, data: object, device_id: Any, key: bytes | None) -> _Link:
        if not isinstance(data, dict):
            raise ValidationError("line", "is not a JSON object")
        if tuple(sorted(data)) == REDUCED_FIELDS:
            seq, digest = data["seq"], data["hash"]
            if not isinstance(seq, int) or not all(
                isinstance(data[name], str) for name in ("id", "prev_hash", "hash")
            ):
                raise ValidationError("line", "a reduced record has id, seq, prev_hash, hash")
            self.reduced += 1
            return _Link(seq, data["id"], data["prev_hash"], digest, digest, None, False)
        declared = data.pop("hash", None)
        record = parse_record(data)
        # The server's rule: the id as text (a text id is chained, excluded as `id_type`).
        if str(record.device_id) != str(device_id):
            raise ValidationError("device_id", f"is {record.device_id}, not {device_id}")
        self.full += 1
        computed = record.record_hash()
        failed = []
        if key is None or not self.signed(key, record.canonical_bytes(), record.signature):
            failed.append("signature")
        if declared != computed:
            failed.append("hash")
        if failed:
            self.add(
                Problem.ALTERED_RECORD,
                f"device {device_id}, seq {record.seq} (id {record.id}): "
                + " and ".join(failed)
                + " do not match its content",
                device_id=device_id,
                seq=record.seq,
                record_id=record.id,
                failed=tuple(failed),
            )
        return _Link(
            record.seq,
            record.id,
            record.prev_hash,
            computed,
            str(declared),
            record,
            bool(failed),
        )

    def check_links(self, device_id: Any, chain: Mapping[int, _Link]) -> None:
        for seq, link in chain.items():
            if seq == 1:
                expected, before = GENESIS_HASH, None
            elif (before := chain.get(seq - 1)) is not None:
                expected = before.hash
            else:
                continue  # a gap: nothing to link to
            if link.prev_hash == expected:
                continue
            if before is not None and before.altered and link.prev_hash == before.declared:
                continue  # the link held; the predecessor's content changed (reported)
            self.add(
                Problem.CHAIN_BREAK,
                f"device {device_id}, seq {seq} (id {link.id}): prev_hash is {link.prev_hash}, "
                f"expected {expected}",
                device_id=device_id,
                seq=seq,
                record_id=link.id,
                expected=expected,
                found=link.prev_hash,
            )

    def check_device(
        self,
        manifest: Mapping[str, Any],
        entry: Mapping[str, Any],
        durations: Mapping[DurationKey, int],
    ) -> None:
        device_id = entry["device_id"]
        try:
            key: bytes | None = raw_public_key(self.files.get(entry["public_key"], b""))
        except ValidationError as exc:
            self.add(
                Problem.MALFORMED, f"{entry['public_key']}: {exc.reason}", file=entry["public_key"]
            )
            key = None
        chain = self.read_chain(entry, key)
        self.check_links(device_id, chain)
        first: int = entry["first_seq"]
        declared: set[int] = set()
        for low, high in entry["gaps"]:
            self.gaps.append((str(device_id), low, high))
            declared.update(range(low, high + 1))
        anchor = self.checkpoints.get(entry["checkpoint_seq"])
        head = anchor.checkpoint.head_of(device_id) if anchor is not None else None
        if anchor is None or head is None:
            self.add(
                Problem.HEAD_MISMATCH,
                f"device {device_id}: checkpoint {entry['checkpoint_seq']} "
                + ("is not in the bundle" if anchor is None else "signs no head for it"),
                device_id=device_id,
                checkpoint_seq=entry["checkpoint_seq"],
            )
            head_seq = entry["head_seq"]
        else:
            head_seq = head.seq
            self.check_head(device_id, anchor, chain)
        missing = [s for s in range(first, head_seq + 1) if s not in chain and s not in declared]
        for low, high in _ranges(missing):
            self.add(
                Problem.MISSING_RECORDS,
                f"device {device_id}: seq {low}"
                + (f"–{high}" if high > low else "")
                + " missing and not declared as a gap",
                device_id=device_id,
                seq=low,
                last_seq=high,
            )
        for seq in (s for s in chain if s > head_seq):
            self.add(
                Problem.BEYOND_HEAD,
                f"device {device_id}: seq {seq} lies beyond the checkpointed head {head_seq}",
                device_id=device_id,
                seq=seq,
            )
        low_ms, high_ms = manifest["period_ms"]
        approvals = set(manifest["approval_ids"])
        anchor_ms = to_ticks(anchor.checkpoint.created_at) // 1000 if anchor else high_ms
        # Declared exclusions only ever take plays out of the counts, never add any.
        declared_out = {int(seq): str(note) for seq, note in entry.get("excluded", [])}
        for link in chain.values():
            record = link.record
            if record is None:
                continue
            if record.approval_id not in approvals and record.seq not in declared_out:
                continue
            if not low_ms <= record.started_at_ms < high_ms:
                continue
            key_of = (record.approval_id, record.playlist_id, record.asset_sha256)
            expected = durations.get(key_of)  # type: ignore[arg-type]
            self.rows[(str(device_id), str(record.seq))] = play_row(
                record,
                timezone=entry["timezone"],
                expected_ms=expected,
                anchor_ms=anchor_ms,
                enrolled_at_ms=entry.get("enrolled_at_ms"),
                excluded_at_ingest=declared_out.get(record.seq),
            )

    def check_head(
        self, device_id: Any, anchor: SignedCheckpoint, chain: Mapping[int, _Link]
    ) -> None:
        head = anchor.checkpoint.head_of(device_id)
        assert head is not None
        found = chain.get(head.seq)
        if found is not None and found.hash == head.hash:
            return
        if found is None:
            last = max((s for s in chain if s < head.seq), default=None)
            where = (
                f"the chain ends at seq {last} ({chain[last].hash})"
                if last
                else "the chain is empty"
            )
        else:
            where = f"seq {head.seq} hashes to {found.hash}"
        self.add(
            Problem.HEAD_MISMATCH,
            f"device {device_id}: checkpoint {anchor.checkpoint.seq} signs head seq {head.seq} "
            f"({head.hash}); {where}",
            device_id=device_id,
            seq=head.seq,
            checkpoint_seq=anchor.checkpoint.seq,
            expected=head.hash,
            found=found.hash if found else None,
        )

    def check_csv(self, manifest: Mapping[str, Any]) -> None:
        self.findings.extend(csv_findings(self.files, self.rows, manifest))


def _ranges(seqs: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for seq in seqs:
        if ranges and ranges[-1][1] == seq - 1:
            ranges[-1] = (ranges[-1][0], seq)
        else:
            ranges.append((seq, seq))
    return ranges


def verify_bundle(
    files: Mapping[str, bytes], verify_signature: SignatureCheck
) -> VerificationReport:
    """Check a bundle's files offline; the report lists every finding (none when it holds)."""
    return _Verifier(files, verify_signature).run()
