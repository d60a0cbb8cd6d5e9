"""Audit events: who changed what, with a hash chain that makes edits detectable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One write by a user (or the system), as recorded."""

    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StoredAuditEvent:
    """An audit event with its place in the chain."""

    seq: int
    at: datetime
    event: AuditEvent
    prev_hash: str
    hash: str


def canonical_event_bytes(seq: int, at: datetime, event: AuditEvent, prev_hash: str) -> bytes:
    """Stable bytes of an event: sorted-key compact JSON, UTF-8 kept."""
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(seq: int, at: datetime, event: AuditEvent, prev_hash: str) -> str:
    """Hex SHA-256 of the canonical bytes; links the next event."""
    return hashlib.sha256(canonical_event_bytes(seq, at, event, prev_hash)).hexdigest()


def changed_fields(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the keys whose values differ, so an audit row shows the change itself."""
    if before is None or after is None:
        return before, after
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
