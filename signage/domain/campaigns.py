"""Campaigns: their state machine, the four-eyes rule, entries' specs and attached documents."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from signage.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from signage.domain.schedule import DateRange, ScheduleEntry
from signage.domain.users import Role, User
from signage.domain.windows import DailyWindow

MAX_NAME = 160
MAX_DESCRIPTION = 5_000
EDITORS = frozenset({Role.STAFF, Role.ADMIN})
APPROVERS = frozenset({Role.APPROVER})
WITHDRAWERS = frozenset({Role.APPROVER, Role.ADMIN})
BLANKERS = frozenset({Role.ADMIN})


class CampaignState(enum.StrEnum):
    """Where a campaign stands; `withdrawn` is final."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class CampaignAction(enum.StrEnum):
    """What can happen to a campaign; CHANGE is an edit of its content or targets."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"
    CHANGE = "change"
    WITHDRAW = "withdraw"


S, A = CampaignState, CampaignAction
TRANSITIONS: dict[tuple[CampaignState, CampaignAction], CampaignState] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.REJECTED, A.REOPEN): S.DRAFT,
    (S.DRAFT, A.CHANGE): S.DRAFT,
    # An edit under review stays under review; the approver sees the content of the moment.
    (S.SUBMITTED, A.CHANGE): S.SUBMITTED,
    # Back to review; the approval in force stays in force until a new one replaces it.
    (S.APPROVED, A.CHANGE): S.SUBMITTED,
    (S.REJECTED, A.CHANGE): S.DRAFT,
}


def next_state(
    state: CampaignState, action: CampaignAction, *, approval_in_force: bool
) -> CampaignState:
    """The state after `action`, or a ConflictError when the action is not allowed now."""
    if action is CampaignAction.WITHDRAW:
        if state is CampaignState.WITHDRAWN or not approval_in_force:
            raise ConflictError("only a campaign with an approval in force can be withdrawn")
        return CampaignState.WITHDRAWN
    found = TRANSITIONS.get((state, action))
    if found is None:
        if state is CampaignState.WITHDRAWN:
            raise ConflictError("a withdrawn campaign is final; copy it into a new draft")
        raise ConflictError(f"a {state.value} campaign cannot be {_past(action)}")
    return found


def _past(action: CampaignAction) -> str:
    return {
        A.SUBMIT: "submitted",
        A.APPROVE: "approved",
        A.REJECT: "rejected",
        A.REOPEN: "reopened",
        A.CHANGE: "changed",
        A.WITHDRAW: "withdrawn",
    }[action]


def require_role(user: User, roles: frozenset[Role], doing: str) -> None:
    """Refuse users holding none of `roles` (PermissionDeniedError)."""
    if not user.active or not user.has_any(roles):
        names = " or ".join(sorted(r.value for r in roles))
        raise PermissionDeniedError(f"only {names} users may {doing}")


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """The editable facts of a campaign, validated on construction."""

    name: str
    description: str
    owner_id: int
    dates: DateRange

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("name", "must not be empty")
        if len(self.name) > MAX_NAME:
            raise ValidationError("name", f"must have at most {MAX_NAME} characters")
        if len(self.description) > MAX_DESCRIPTION:
            raise ValidationError("description", f"must have at most {MAX_DESCRIPTION} characters")

    def as_dict(self) -> dict[str, object]:
        """Plain values, for audit events."""
        return {
            "name": self.name,
            "description": self.description,
            "owner_id": self.owner_id,
            "first_date": self.dates.first.isoformat(),
            "last_date": self.dates.last.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Campaign:
    """A stored campaign. `editor_ids` are the users who changed it since its last approval."""

    id: int
    spec: CampaignSpec
    state: CampaignState
    submitted_by: int | None
    submitted_at: datetime | None
    editor_ids: frozenset[int]
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None = None
    copied_from: int | None = None

    @property
    def name(self) -> str:
        """The campaign's name."""
        return self.spec.name

    @property
    def dates(self) -> DateRange:
        """The campaign's local date range."""
        return self.spec.dates


def four_eyes_refusal(user: User, campaign: Campaign) -> str | None:
    """Why `user` may not approve `campaign` now, or None when they may."""
    if not user.active or not user.has_any(APPROVERS):
        return "only approvers approve campaigns"
    if campaign.submitted_by == user.id:
        return "an approver cannot approve a campaign they submitted"
    if user.id in campaign.editor_ids:
        return "an approver cannot approve a campaign they edited since its last approval"
    return None


def check_four_eyes(user: User, campaign: Campaign) -> None:
    """Raise PermissionDeniedError unless `user` may approve `campaign`."""
    refusal = four_eyes_refusal(user, campaign)
    if refusal is not None:
        raise PermissionDeniedError(refusal)


@dataclass(frozen=True, slots=True)
class EntrySpec:
    """A schedule entry as entered: playlist × targets × dates × window × weekdays × priority."""

    playlist_id: int
    location_ids: frozenset[int]
    tags: frozenset[str]
    dates: DateRange
    window: DailyWindow
    weekdays: frozenset[int]
    priority: int

    def entry(self, entry_id: int, campaign_id: int) -> ScheduleEntry:
        """The plan engine's entry (validates targets, weekdays and priority)."""
        return ScheduleEntry(
            id=entry_id,
            playlist_id=self.playlist_id,
            campaign_id=campaign_id,
            location_ids=self.location_ids,
            tags=self.tags,
            dates=self.dates,
            window=self.window,
            weekdays=self.weekdays,
            priority=self.priority,
            order=entry_id,
        )

    def check_within(self, campaign_dates: DateRange) -> None:
        """Refuse dates outside the campaign's range."""
        if self.dates.first < campaign_dates.first or self.dates.last > campaign_dates.last:
            raise ValidationError(
                "dates",
                f"must lie within the campaign's {campaign_dates.first}–{campaign_dates.last}",
            )


def spec_of(entry: ScheduleEntry) -> EntrySpec:
    """The spec a stored entry was made from."""
    return EntrySpec(
        entry.playlist_id,
        entry.location_ids,
        entry.tags,
        entry.dates,
        entry.window,
        entry.weekdays,
        entry.priority,
    )


def entry_as_dict(entry: ScheduleEntry | EntrySpec) -> dict[str, object]:
    """Plain values of an entry, for audit events."""
    return {
        "playlist_id": entry.playlist_id,
        "location_ids": sorted(entry.location_ids),
        "tags": sorted(entry.tags),
        "first_date": entry.dates.first.isoformat(),
        "last_date": entry.dates.last.isoformat(),
        "window": str(entry.window),
        "weekdays": sorted(entry.weekdays),
        "priority": entry.priority,
    }


# --- attached documents (a permit letter as PDF or image) ------------------------------

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}


def document_mime(head: bytes) -> str | None:
    """The MIME type sniffed from a file's first bytes: PDF or image, else None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True, slots=True)
class CampaignDocument:
    """A file attached to a campaign, stored by the SHA-256 of its bytes."""

    id: int
    campaign_id: int
    sha256: str
    mime: str
    byte_size: int
    original_name: str
    created_at: datetime
    created_by: str

    @property
    def extension(self) -> str:
        """The extension the file is stored under."""
        return DOCUMENT_EXTENSIONS[self.mime]


def parse_date(value: object, field: str) -> date:
    """A date from an ISO `YYYY-MM-DD` text or a date."""
    if isinstance(value, datetime):
        raise ValidationError(field, "give a date, not a date and time")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(field, f"'{value}' is not a date like 2026-06-01") from None


def date_range(first: object, last: object) -> DateRange:
    """The range of two dates, or a ValidationError naming the field."""
    return DateRange(parse_date(first, "first_date"), parse_date(last, "last_date"))


# --- warnings about entries that never play ----------------------------------------------


class WarningKind(enum.StrEnum):
    """Why an entry never plays (at one location, or anywhere)."""

    EMPTY_PLAYLIST = "empty_playlist"
    NO_LOCATION = "no_location"
    NO_MATCHING_DAY = "no_matching_day"
    OUTSIDE_HOURS = "outside_hours"
    SHADOWED = "shadowed"
    MISSING_RENDER = "missing_render"


@dataclass(frozen=True, slots=True)
class ScheduleWarning:
    """One reason an entry never plays; `location_id` is None when it holds everywhere."""

    entry_id: int
    kind: WarningKind
    detail: str
    location_id: int | None = None
    creative_id: int | None = None
    size: str | None = None
