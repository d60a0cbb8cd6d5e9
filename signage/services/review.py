"""What an approver reviews: the resolved proposal, missing renders, and changes since approval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signage.domain.approvals import ApprovalSnapshot
from signage.domain.errors import NotFoundError, valid_id
from signage.services.ports import UnitOfWorkFactory
from signage.services.snapshots import MissingRender, resolve


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the approval in force and the proposal."""

    what: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the review page shows about a campaign's current content."""

    proposal: ApprovalSnapshot
    missing: tuple[MissingRender, ...]
    untargeted: tuple[int, ...]
    changes: tuple[Change, ...]
    approved: ApprovalSnapshot | None


def _diff(before: ApprovalSnapshot | None, after: ApprovalSnapshot) -> list[Change]:
    if before is None:
        return [Change("first approval", None, f"{len(after.entries)} entries")]
    changes = []
    old = {e.entry.id: e.to_dict() for e in before.entries}
    new = {e.entry.id: e.to_dict() for e in after.entries}
    for entry_id in sorted(set(old) | set(new)):
        if old.get(entry_id) != new.get(entry_id):
            changes.append(Change(f"entry {entry_id}", old.get(entry_id), new.get(entry_id)))
    for playlist_id in sorted(set(before.playlists) | set(after.playlists)):
        was = [i.to_dict() for i in before.playlists.get(playlist_id, ())]
        now = [i.to_dict() for i in after.playlists.get(playlist_id, ())]
        if was != now:
            changes.append(Change(f"playlist {playlist_id}", was, now))
    if before.dates != after.dates:
        changes.append(Change("dates", str(before.dates), str(after.dates)))
    return changes


@dataclass(frozen=True, slots=True)
class ReviewServices:
    """Read-only review of a campaign."""

    uow_factory: UnitOfWorkFactory

    def review(self, campaign_id: int) -> Review:
        """The proposal as approval would snapshot it now, and how it differs from the last."""
        with self.uow_factory(readonly=True) as uow:
            campaign = uow.campaigns.get(campaign_id) if valid_id(campaign_id) else None
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id} not found")
            resolution = resolve(uow, uow.entries.list_for(campaign_id))
            proposal = resolution.snapshot(campaign)
            in_force = uow.approvals.in_force(campaign_id)
            approved = in_force.snapshot if in_force else None
            return Review(
                proposal,
                tuple(resolution.missing),
                tuple(resolution.untargeted),
                tuple(_diff(approved, proposal)),
                approved,
            )
