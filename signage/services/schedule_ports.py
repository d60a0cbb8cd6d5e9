"""Ports of scheduling: playlists, campaigns, entries, approvals, blanks, documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from signage.domain.approvals import ApprovalSnapshot, StoredApproval, StoredBlank
from signage.domain.campaigns import Campaign, CampaignDocument, CampaignSpec, EntrySpec
from signage.domain.playlists import Playlist, PlaylistItemSpec
from signage.domain.schedule import ScheduleEntry


class PlaylistRepository(Protocol):
    def add(self, name: str, at: datetime, by: str) -> Playlist: ...

    def get(self, playlist_id: int) -> Playlist | None: ...

    def list(self) -> Sequence[Playlist]: ...

    def rename(self, playlist_id: int, name: str, at: datetime) -> None: ...

    def set_items(self, playlist_id: int, items: Sequence[PlaylistItemSpec], at: datetime) -> None:
        """Replace the items (in order)."""
        ...

    def delete(self, playlist_id: int) -> None: ...


class CampaignRepository(Protocol):
    def add(
        self, spec: CampaignSpec, editor_id: int, at: datetime, copied_from: int | None = None
    ) -> Campaign: ...

    def get(self, campaign_id: int) -> Campaign | None: ...

    def list(self) -> Sequence[Campaign]: ...

    def save(self, campaign: Campaign) -> None:
        """Write the campaign's spec, state, submitter, editors and timestamps."""
        ...


class EntryRepository(Protocol):
    def add(self, campaign_id: int, spec: EntrySpec, at: datetime) -> ScheduleEntry: ...

    def get(self, entry_id: int) -> ScheduleEntry | None: ...

    def list_for(self, campaign_id: int) -> Sequence[ScheduleEntry]:
        """A campaign's entries in creation order."""
        ...

    def update(self, entry_id: int, spec: EntrySpec) -> ScheduleEntry: ...

    def delete(self, entry_id: int) -> None: ...

    def campaigns_using(self, playlist_id: int) -> Sequence[int]:
        """Ids of the campaigns with an entry that plays this playlist."""
        ...


class ApprovalRepository(Protocol):
    def add(
        self, campaign_id: int, snapshot: ApprovalSnapshot, at: datetime, by: int
    ) -> StoredApproval: ...

    def get(self, approval_id: int) -> StoredApproval | None: ...

    def in_force(self, campaign_id: int) -> StoredApproval | None:
        """The campaign's approval that is neither superseded nor withdrawn."""
        ...

    def list_for(self, campaign_id: int) -> Sequence[StoredApproval]: ...

    def end(self, approval_id: int, at: datetime, *, withdrawn: bool) -> None:
        """Mark an approval superseded (or withdrawn) at `at`; its snapshot never changes."""
        ...

    def overlapping(self, start: datetime, end: datetime) -> Sequence[StoredApproval]:
        """Approvals in force at some instant of `[start, end)`."""
        ...

    def current(self) -> Sequence[StoredApproval]:
        """Every approval still in force."""
        ...


class BlankRepository(Protocol):
    def add(self, location_id: int | None, at: datetime, by: str, reason: str) -> StoredBlank: ...

    def get(self, blank_id: int) -> StoredBlank | None: ...

    def lift(self, blank_id: int, at: datetime, by: str, reason: str) -> None: ...

    def list(self, active_only: bool = False) -> Sequence[StoredBlank]: ...

    def overlapping(self, start: datetime, end: datetime) -> Sequence[StoredBlank]: ...


class DocumentRepository(Protocol):
    def add(
        self,
        campaign_id: int,
        sha256: str,
        mime: str,
        byte_size: int,
        original_name: str,
        at: datetime,
        by: str,
    ) -> CampaignDocument: ...

    def get(self, document_id: int) -> CampaignDocument | None: ...

    def list_for(self, campaign_id: int) -> Sequence[CampaignDocument]: ...

    def delete(self, document_id: int) -> None: ...


class DocumentFiles(Protocol):
    """Attached documents' bytes, filed by their SHA-256 under the media root."""

    def put(self, data: bytes, sha256: str, ext: str) -> Path:
        """Write the bytes at their address (atomically; a no-op when already there)."""
        ...

    def path_for(self, sha256: str, ext: str) -> Path: ...
