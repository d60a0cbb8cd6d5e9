"""Campaigns and their review: submit, approve (four-eyes), reject, withdraw; emergency blanks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from signage.domain.approvals import StoredApproval, StoredBlank
from signage.domain.campaigns import (
    APPROVERS,
    BLANKERS,
    EDITORS,
    MAX_NAME,
    WITHDRAWERS,
    Campaign,
    CampaignAction,
    CampaignSpec,
    CampaignState,
    check_four_eyes,
    date_range,
    next_state,
    require_role,
    spec_of,
)
from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.users import User
from signage.services.audit import record_event
from signage.services.campaign_changes import campaign_or_404, content_changed, note_edit
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from signage.services.snapshots import resolve

CAMPAIGN_FIELDS = frozenset({"name", "description", "owner_id", "first_date", "last_date"})
MAX_REASON = 2_000


def campaign_spec_from(
    data: Mapping[str, Any], uow: UnitOfWork, default: CampaignSpec | None = None
) -> CampaignSpec:
    """Validate campaign fields (missing ones keep `default`'s values)."""
    unknown = sorted(set(data) - CAMPAIGN_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    owner = data.get("owner_id", default.owner_id if default else None)
    if isinstance(owner, bool) or not isinstance(owner, int | str):
        raise ValidationError("owner_id", "choose a user")
    try:
        owner_id = int(owner)
    except ValueError:
        raise ValidationError("owner_id", "choose a user") from None
    if not valid_id(owner_id) or uow.users.get(owner_id) is None:
        raise ValidationError("owner_id", f"user {owner} does not exist")
    dates = date_range(
        data.get("first_date", default.dates.first if default else None),
        data.get("last_date", default.dates.last if default else None),
    )
    return CampaignSpec(
        name=" ".join(str(data.get("name", default.name if default else "")).split()),
        description=str(data.get("description", default.description if default else "")).strip(),
        owner_id=owner_id,
        dates=dates,
    )


def _reason(text: str, required: bool) -> str:
    clean = text.strip()
    if required and not clean:
        raise ValidationError("reason", "say why")
    if len(clean) > MAX_REASON:
        raise ValidationError("reason", f"must have at most {MAX_REASON} characters")
    return clean


@dataclass(frozen=True, slots=True)
class CampaignServices:
    """Campaign life cycle; the acting `User` is passed in for the role rules."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def create_campaign(self, user: User, data: Mapping[str, Any]) -> Campaign:
        """A new draft; its owner defaults to its creator."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            spec = campaign_spec_from({"owner_id": user.id, **data}, uow)
            campaign = uow.campaigns.add(spec, user.id, self.clock.now())
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.create",
                "campaign",
                campaign.id,
                None,
                {**spec.as_dict(), "state": campaign.state.value},
            )
            uow.commit()
            return campaign

    def update_campaign(self, user: User, campaign_id: int, data: Mapping[str, Any]) -> Campaign:
        """Edit name, description, owner or dates; new dates send an approved one to review."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            spec = campaign_spec_from(data, uow, campaign.spec)
            if spec == campaign.spec:
                return campaign
            if spec.dates != campaign.dates:
                for entry in uow.entries.list_for(campaign_id):
                    try:
                        spec_of(entry).check_within(spec.dates)
                    except ValidationError:
                        raise ValidationError(
                            "dates", f"entry {entry.id} would lie outside the new dates"
                        ) from None
                changed = content_changed(
                    uow, self.clock, user, campaign, "the campaign's dates changed"
                )
            else:
                changed = note_edit(uow, self.clock, user, campaign)
            changed = replace(changed, spec=spec)
            uow.campaigns.save(changed)
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.update",
                "campaign",
                campaign_id,
                campaign.spec.as_dict(),
                spec.as_dict(),
            )
            uow.commit()
            return changed

    def copy_campaign(self, user: User, campaign_id: int) -> Campaign:
        """A new draft with the campaign's facts, entries and documents (e.g. after withdrawal)."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            source = campaign_or_404(uow, campaign_id)
            name = f"{source.name} (copy)"
            spec = replace(source.spec, name=name if len(name) <= MAX_NAME else source.name)
            now = self.clock.now()
            copy = uow.campaigns.add(spec, user.id, now, copied_from=source.id)
            for entry in uow.entries.list_for(source.id):
                uow.entries.add(copy.id, spec_of(entry), now)
            for doc in uow.documents.list_for(source.id):
                uow.documents.add(
                    copy.id,
                    doc.sha256,
                    doc.mime,
                    doc.byte_size,
                    doc.original_name,
                    now,
                    doc.created_by,
                )
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.copy",
                "campaign",
                copy.id,
                None,
                {**spec.as_dict(), "copied_from": source.id, "state": copy.state.value},
            )
            uow.commit()
            return copy

    def get_campaign(self, campaign_id: int) -> Campaign:
        """One campaign."""
        with self.uow_factory(readonly=True) as uow:
            return campaign_or_404(uow, campaign_id)

    def list_campaigns(self, state: CampaignState | None = None) -> list[Campaign]:
        """Campaigns, newest dates first, optionally in one state."""
        with self.uow_factory(readonly=True) as uow:
            return [c for c in uow.campaigns.list() if state is None or c.state is state]

    def approvals(self, campaign_id: int) -> list[StoredApproval]:
        """Every approval of a campaign, oldest first."""
        with self.uow_factory(readonly=True) as uow:
            campaign_or_404(uow, campaign_id)
            return list(uow.approvals.list_for(campaign_id))

    def approval_in_force(self, campaign_id: int) -> StoredApproval | None:
        """The campaign's approval in force, if any."""
        with self.uow_factory(readonly=True) as uow:
            campaign_or_404(uow, campaign_id)
            return uow.approvals.in_force(campaign_id)

    def _transition(
        self,
        uow: UnitOfWork,
        user: User,
        campaign: Campaign,
        action: CampaignAction,
        reason: str = "",
        **changes: Any,
    ) -> Campaign:
        in_force = uow.approvals.in_force(campaign.id) is not None
        state = next_state(campaign.state, action, approval_in_force=in_force)
        now = self.clock.now()
        changed = replace(campaign, state=state, updated_at=now, **changes)
        uow.campaigns.save(changed)
        record_event(
            uow,
            self.clock,
            user.username,
            f"campaign.{action.value}",
            "campaign",
            campaign.id,
            {"state": campaign.state.value},
            {"state": state.value},
            reason,
        )
        return changed

    def submit(self, user: User, campaign_id: int) -> Campaign:
        """Send a draft to review; its submitter can never approve it."""
        require_role(user, EDITORS, "submit campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            next_state(campaign.state, CampaignAction.SUBMIT, approval_in_force=False)
            if not uow.entries.list_for(campaign_id):
                raise ValidationError("entries", "add at least one schedule entry first")
            changed = self._transition(
                uow,
                user,
                campaign,
                CampaignAction.SUBMIT,
                submitted_by=user.id,
                submitted_at=self.clock.now(),
            )
            uow.commit()
            return changed

    def approve(self, user: User, campaign_id: int) -> StoredApproval:
        """Approve a submitted campaign: snapshot it; it replaces the approval in force."""
        require_role(user, APPROVERS, "approve campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            next_state(campaign.state, CampaignAction.APPROVE, approval_in_force=False)
            check_four_eyes(user, campaign)
            resolution = resolve(uow, uow.entries.list_for(campaign_id))
            if resolution.untargeted:
                ids = ", ".join(str(i) for i in resolution.untargeted)
                raise ConflictError(f"entry {ids} targets no location", field="targets")
            if resolution.missing:
                missing = "; ".join(
                    f"creative {m.creative_id} at {m.size}" for m in resolution.missing
                )
                raise ConflictError(f"renders are missing: {missing}", field="renders")
            previous = uow.approvals.in_force(campaign_id)
            now = self.clock.now()
            if previous is not None:
                uow.approvals.end(previous.id, now, withdrawn=False)
            approval = uow.approvals.add(campaign_id, resolution.snapshot(campaign), now, user.id)
            uow.schedule_stamp.bump(now)
            self._transition(uow, user, campaign, CampaignAction.APPROVE, editor_ids=frozenset())
            record_event(
                uow,
                self.clock,
                user.username,
                "approval.create",
                "approval",
                approval.id,
                None,
                {
                    "campaign_id": campaign_id,
                    "supersedes": previous.id if previous else None,
                    "entries": len(approval.snapshot.entries),
                },
            )
            uow.commit()
            return approval

    def reject(self, user: User, campaign_id: int, reason: str = "") -> Campaign:
        """Refuse a submission; an earlier approval stays in force."""
        require_role(user, APPROVERS, "reject campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            changed = self._transition(
                uow, user, campaign, CampaignAction.REJECT, _reason(reason, False)
            )
            uow.commit()
            return changed

    def reopen(self, user: User, campaign_id: int) -> Campaign:
        """A rejected campaign back to draft, for editing."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            changed = self._transition(uow, user, campaign, CampaignAction.REOPEN)
            uow.commit()
            return changed

    def withdraw(self, user: User, campaign_id: int, reason: str = "") -> Campaign:
        """Take a campaign off every plan at once; final (it can be copied into a new draft)."""
        require_role(user, WITHDRAWERS, "withdraw campaigns")
        with self.uow_factory() as uow:
            campaign = campaign_or_404(uow, campaign_id)
            in_force = uow.approvals.in_force(campaign_id)
            next_state(campaign.state, CampaignAction.WITHDRAW, approval_in_force=bool(in_force))
            assert in_force is not None
            now = self.clock.now()
            changed = self._transition(
                uow,
                user,
                campaign,
                CampaignAction.WITHDRAW,
                _reason(reason, False),
                withdrawn_at=now,
            )
            uow.approvals.end(in_force.id, now, withdrawn=True)
            uow.schedule_stamp.bump(now)
            uow.commit()
            return changed

    # --- emergency blanks ---------------------------------------------------------------

    def blank(self, user: User, location_id: int | None, reason: str) -> StoredBlank:
        """Blank one location (or all when None) from now until lifted."""
        require_role(user, BLANKERS, "blank screens")
        why = _reason(reason, True)
        with self.uow_factory() as uow:
            if location_id is not None and (
                not valid_id(location_id) or uow.locations.get(location_id) is None
            ):
                raise ValidationError("location_id", f"location {location_id} does not exist")
            blank = uow.blanks.add(location_id, self.clock.now(), user.username, why)
            uow.schedule_stamp.bump(blank.started_at)
            record_event(
                uow,
                self.clock,
                user.username,
                "blank.start",
                "blank",
                blank.id,
                None,
                {"location_id": location_id, "scope": "one" if location_id else "all"},
                why,
            )
            uow.commit()
            return blank

    def lift_blank(self, user: User, blank_id: int, reason: str = "") -> StoredBlank:
        """End an emergency blank now."""
        require_role(user, BLANKERS, "lift blanks")
        why = _reason(reason, False)
        with self.uow_factory() as uow:
            blank = uow.blanks.get(blank_id) if valid_id(blank_id) else None
            if blank is None:
                raise NotFoundError(f"blank {blank_id} not found")
            if blank.lifted_at is not None:
                raise ConflictError(f"blank {blank_id} was already lifted")
            lifted_at = self.clock.now()
            uow.blanks.lift(blank_id, lifted_at, user.username, why)
            uow.schedule_stamp.bump(lifted_at)
            record_event(
                uow,
                self.clock,
                user.username,
                "blank.lift",
                "blank",
                blank_id,
                {"location_id": blank.location_id, "lifted": False},
                {"lifted": True},
                why,
            )
            lifted = uow.blanks.get(blank_id)
            assert lifted is not None
            uow.commit()
            return lifted

    def blanks(self, active_only: bool = False) -> Sequence[StoredBlank]:
        """Blanks, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.blanks.list(active_only))
