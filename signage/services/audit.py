"""Recording and browsing the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signage.domain.audit import AuditEvent, StoredAuditEvent, changed_fields
from signage.services.ports import AuditFilter, Clock, UnitOfWork, UnitOfWorkFactory


def record_event(
    uow: UnitOfWork,
    clock: Clock,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> StoredAuditEvent:
    """Append one audit event inside the caller's unit of work (same transaction)."""
    before, after = changed_fields(before, after)
    event = AuditEvent(actor, action, object_type, str(object_id), before, after, reason)
    return uow.audit.append(event, clock.now())


@dataclass(frozen=True, slots=True)
class AuditServices:
    """Browsing the audit trail."""

    uow_factory: UnitOfWorkFactory

    def events(self, audit_filter: AuditFilter) -> Sequence[StoredAuditEvent]:
        """The audit events matching the filter, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.audit.list(audit_filter))
