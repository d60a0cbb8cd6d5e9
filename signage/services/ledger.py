"""The ledger's integrity, derived on demand: gaps, links, heads against the checkpoints.

Nothing here is stored: a gap is whatever range of seq is missing when the
question is asked, so a late record closes its gap; a record edited or
removed behind the application's back shows as a broken link, a head that
differs from what a checkpoint signed, or a tail cut below a signed head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from signage.domain.errors import NotFoundError, ValidationError
from signage.domain.evidence_checkpoint import ChainHead, parse_checkpoint
from signage.domain.ledger import (
    Finding,
    LedgerFinding,
    chain_findings,
    checkpoint_findings,
    heads_by_device,
)
from signage.domain.playlog import missing_ranges, signature_bytes
from signage.services.device_ports import SignatureVerifier
from signage.services.ledger_ports import ServerSigner
from signage.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """One device's stored chain as of now."""

    device_id: int
    location_id: int | None
    records: int
    head: ChainHead | None
    gaps: tuple[tuple[int, int], ...]
    findings: tuple[LedgerFinding, ...]


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """Every chain and the checkpoints, checked at one instant."""

    checked_at: datetime
    chains: tuple[ChainStatus, ...]
    checkpoints: int
    checkpoint_findings: tuple[LedgerFinding, ...] = field(default=())

    @property
    def findings(self) -> list[LedgerFinding]:
        """Everything found, checkpoints first."""
        return [*self.checkpoint_findings, *(f for c in self.chains for f in c.findings)]

    @property
    def tampering(self) -> list[LedgerFinding]:
        """Findings that no late arrival can explain (everything but gaps)."""
        return [f for f in self.findings if f.kind is not Finding.GAP]

    @property
    def ok(self) -> bool:
        """True when nothing points at an edit (gaps may still close)."""
        return not self.tampering


@dataclass(frozen=True, slots=True)
class LedgerServices:
    """Integrity of the stored chains and checkpoints."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    signer: ServerSigner
    verifier: SignatureVerifier

    def _check(self, key: bytes, message: bytes, signature: str) -> bool:
        try:
            return self.verifier.verify(key, message, signature_bytes(signature))
        except ValidationError:
            return False

    def integrity(self) -> IntegrityReport:
        """Check every stored chain against itself and every checkpoint, and the checkpoints."""
        now = self.clock.now()
        with self.uow_factory(readonly=True) as uow:
            rows = uow.checkpoints.all()
            device_ids = uow.ledger.device_ids()
            devices = {d.id: d for d in uow.devices.list()}
            chains = {device_id: uow.ledger.links(device_id) for device_id in device_ids}
        found = checkpoint_findings(rows, self.signer.public_key(), self._check)
        parsed = []
        for row in rows:
            try:
                parsed.append((row.seq, parse_checkpoint(json.loads(row.document)).devices))
            except (ValueError, ValidationError):
                continue  # already a finding above
        signed = heads_by_device(parsed)
        statuses = []
        for device_id in sorted(set(chains) | {int(k) for k in signed if k.isdigit()}):
            links = chains.get(device_id, [])
            heads = _distinct(signed.get(str(device_id), []))
            device = devices.get(device_id)
            top = links[-1] if links else None
            statuses.append(
                ChainStatus(
                    device_id,
                    device.location_id if device else None,
                    len(links),
                    ChainHead(top.seq, top.hash) if top else None,
                    tuple(missing_ranges(link.seq for link in links)),
                    tuple(chain_findings(device_id, links, heads)),
                )
            )
        return IntegrityReport(now, tuple(statuses), len(rows), tuple(found))

    def missing_ranges(self, device_id: int) -> list[tuple[int, int]]:
        """The device's gaps as of now: inclusive seq ranges not (yet) received."""
        with self.uow_factory(readonly=True) as uow:
            if uow.devices.get(device_id) is None:
                raise NotFoundError(f"device {device_id} not found")
            links = uow.ledger.links(device_id)
        return missing_ranges(link.seq for link in links)


def _distinct(heads: list[tuple[int, ChainHead]]) -> list[tuple[int, ChainHead]]:
    """The first checkpoint to sign each distinct head (idle checkpoints repeat them)."""
    seen: set[ChainHead] = set()
    result = []
    for checkpoint_seq, head in sorted(heads, key=lambda pair: pair[0]):
        if head not in seen:
            seen.add(head)
            result.append((checkpoint_seq, head))
    return result
