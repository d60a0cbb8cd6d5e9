"""A campaign's content: schedule entries (validated per field) and attached documents."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from signage.domain.assets import sanitise_filename
from signage.domain.campaigns import (
    DOCUMENT_EXTENSIONS,
    EDITORS,
    MAX_DOCUMENT_BYTES,
    Campaign,
    CampaignDocument,
    CampaignState,
    EntrySpec,
    date_range,
    document_mime,
    entry_as_dict,
    require_role,
)
from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.schedule import MAX_PRIORITY, MIN_PRIORITY, ScheduleEntry
from signage.domain.users import User
from signage.domain.windows import ALL_DAY, DailyWindow, parse_weekdays
from signage.services.audit import record_event
from signage.services.campaign_changes import campaign_or_404, content_changed
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from signage.services.schedule_ports import DocumentFiles

ENTRY_FIELDS = frozenset(
    {
        "playlist_id",
        "location_ids",
        "tags",
        "first_date",
        "last_date",
        "window",
        "weekdays",
        "priority",
    }
)
DEFAULT_PRIORITY = 50


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, "must be a whole number")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(field, f"'{value}' is not a whole number") from None


def entry_spec_from(data: Mapping[str, Any], uow: UnitOfWork, campaign: Campaign) -> EntrySpec:
    """Validate an entry's fields against what exists now; each error names its field."""
    unknown = sorted(set(data) - ENTRY_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    playlist_id = _whole(data.get("playlist_id"), "playlist_id")
    if not valid_id(playlist_id) or uow.playlists.get(playlist_id) is None:
        raise ValidationError("playlist_id", f"playlist {playlist_id} does not exist")
    location_ids = frozenset(_whole(v, "location_ids") for v in _list(data.get("location_ids")))
    locations = list(uow.locations.list())
    known_ids = {loc.id for loc in locations}
    unknown_ids = sorted(location_ids - known_ids)
    if unknown_ids:
        raise ValidationError("location_ids", f"no location {unknown_ids[0]}")
    tags = frozenset(str(v).strip().lower() for v in _list(data.get("tags")) if str(v).strip())
    known_tags = frozenset().union(*(loc.spec.tags for loc in locations))
    unknown_tags = sorted(tags - known_tags)
    if unknown_tags:
        raise ValidationError("tags", f"no location is tagged '{unknown_tags[0]}'")
    if not location_ids and not tags:
        raise ValidationError("targets", "name at least one location or tag")
    dates = date_range(
        data.get("first_date") or campaign.dates.first,
        data.get("last_date") or campaign.dates.last,
    )
    window_text = data.get("window")
    window = DailyWindow.parse(str(window_text)) if window_text else ALL_DAY
    weekday_values = _list(data.get("weekdays"))
    weekdays = frozenset(range(7)) if not weekday_values else _weekdays(weekday_values)
    raw_priority = data.get("priority")
    priority = DEFAULT_PRIORITY if raw_priority in (None, "") else _whole(raw_priority, "priority")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValidationError("priority", f"must lie in {MIN_PRIORITY}–{MAX_PRIORITY}")
    spec = EntrySpec(playlist_id, location_ids, tags, dates, window, weekdays, priority)
    spec.check_within(campaign.dates)
    spec.entry(1, campaign.id)  # the plan engine's own checks, before anything is written
    return spec


def _weekdays(values: list[Any]) -> frozenset[int]:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        days = frozenset(int(v) for v in values)
        if not days <= frozenset(range(7)):
            raise ValidationError("weekdays", "weekdays are numbered 0 (Monday) to 6")
        return days
    return parse_weekdays([str(v) for v in values])


@dataclass(frozen=True, slots=True)
class CampaignContentServices:
    """Entries and documents of a campaign; entry changes send an approved one to review."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    files: DocumentFiles
    max_document_bytes: int = MAX_DOCUMENT_BYTES

    def add_entry(self, user: User, campaign_id: int, data: Mapping[str, Any]) -> ScheduleEntry:
        """Schedule a playlist for targets, dates, a daily window, weekdays and a priority."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            campaign = _editable(uow, campaign_id)
            spec = entry_spec_from(data, uow, campaign)
            entry = uow.entries.add(campaign_id, spec, self.clock.now())
            content_changed(uow, self.clock, user, campaign, f"entry {entry.id} was added")
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.entry_add",
                "schedule_entry",
                entry.id,
                None,
                {"campaign_id": campaign_id, **entry_as_dict(spec)},
            )
            uow.commit()
            return entry

    def update_entry(self, user: User, entry_id: int, data: Mapping[str, Any]) -> ScheduleEntry:
        """Replace an entry's fields."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            old = _entry(uow, entry_id)
            campaign = _editable(uow, old.campaign_id)
            spec = entry_spec_from(data, uow, campaign)
            entry = uow.entries.update(entry_id, spec)
            if entry == old:
                return entry
            content_changed(uow, self.clock, user, campaign, f"entry {entry_id} was changed")
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.entry_update",
                "schedule_entry",
                entry_id,
                entry_as_dict(old),
                entry_as_dict(entry),
            )
            uow.commit()
            return entry

    def remove_entry(self, user: User, entry_id: int) -> None:
        """Delete an entry (an approval in force keeps its own copy until replaced)."""
        require_role(user, EDITORS, "edit campaigns")
        with self.uow_factory() as uow:
            old = _entry(uow, entry_id)
            campaign = _editable(uow, old.campaign_id)
            uow.entries.delete(entry_id)
            content_changed(uow, self.clock, user, campaign, f"entry {entry_id} was removed")
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.entry_remove",
                "schedule_entry",
                entry_id,
                {"campaign_id": old.campaign_id, **entry_as_dict(old)},
                None,
            )
            uow.commit()

    def entries(self, campaign_id: int) -> list[ScheduleEntry]:
        """A campaign's current (not necessarily approved) entries, in creation order."""
        with self.uow_factory(readonly=True) as uow:
            campaign_or_404(uow, campaign_id)
            return list(uow.entries.list_for(campaign_id))

    def attach_document(
        self, user: User, campaign_id: int, stream: BinaryIO, name: str
    ) -> CampaignDocument:
        """Attach a PDF or image (e.g. a permit letter), stored by the SHA-256 of its bytes."""
        require_role(user, EDITORS, "attach documents")
        data = stream.read(self.max_document_bytes + 1)
        if not data:
            raise ValidationError("document", "the file is empty")
        if len(data) > self.max_document_bytes:
            raise ValidationError(
                "document", f"the file is larger than {self.max_document_bytes:,} bytes"
            )
        mime = document_mime(data[:16])
        if mime is None:
            raise ValidationError("document", "attach a PDF or an image (JPEG, PNG or WebP)")
        sha256 = hashlib.sha256(data).hexdigest()
        with self.uow_factory() as uow:
            campaign_or_404(uow, campaign_id)
            display = sanitise_filename(name)
            doc = uow.documents.add(
                campaign_id, sha256, mime, len(data), display, self.clock.now(), user.username
            )
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.document_attach",
                "campaign",
                campaign_id,
                None,
                {"document_id": doc.id, "sha256": sha256, "mime": mime, "name": display},
            )
            # The file goes in place before the row commits: a row never lacks its file.
            self.files.put(data, sha256, DOCUMENT_EXTENSIONS[mime])
            uow.commit()
            return doc

    def remove_document(self, user: User, document_id: int) -> None:
        """Detach a document (its bytes stay: other campaigns may share them)."""
        require_role(user, EDITORS, "remove documents")
        with self.uow_factory() as uow:
            doc = _document(uow, document_id)
            uow.documents.delete(document_id)
            record_event(
                uow,
                self.clock,
                user.username,
                "campaign.document_remove",
                "campaign",
                doc.campaign_id,
                {"document_id": doc.id, "sha256": doc.sha256},
                None,
            )
            uow.commit()

    def documents(self, campaign_id: int) -> Sequence[CampaignDocument]:
        """A campaign's documents, oldest first."""
        with self.uow_factory(readonly=True) as uow:
            campaign_or_404(uow, campaign_id)
            return list(uow.documents.list_for(campaign_id))

    def document_file(self, document_id: int) -> tuple[CampaignDocument, Path]:
        """A document and where its bytes are (for download)."""
        with self.uow_factory(readonly=True) as uow:
            doc = _document(uow, document_id)
        return doc, self.files.path_for(doc.sha256, doc.extension)


def _editable(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = campaign_or_404(uow, campaign_id)
    if campaign.state is CampaignState.WITHDRAWN:
        raise ConflictError("a withdrawn campaign is final; copy it into a new draft")
    return campaign


def _entry(uow: UnitOfWork, entry_id: int) -> ScheduleEntry:
    entry = uow.entries.get(entry_id) if valid_id(entry_id) else None
    if entry is None:
        raise NotFoundError(f"schedule entry {entry_id} not found")
    return entry


def _document(uow: UnitOfWork, document_id: int) -> CampaignDocument:
    doc = uow.documents.get(document_id) if valid_id(document_id) else None
    if doc is None:
        raise NotFoundError(f"document {document_id} not found")
    return doc
