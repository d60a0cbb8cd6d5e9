"""Playlists: ordered items, each a creative; stills carry their own duration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from signage.domain.creatives import CreativeKind
from signage.domain.errors import ValidationError

MAX_NAME = 120
MAX_ITEMS = 500
MIN_STILL_MS = 1_000
MAX_STILL_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class PlaylistItemSpec:
    """One item as stored: the creative, and how long it shows when it is a still."""

    creative_id: int
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Playlist:
    """A stored playlist; `items` are in playing order."""

    id: int
    name: str
    items: tuple[PlaylistItemSpec, ...]
    created_at: datetime
    created_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CreativeTiming:
    """What a playlist needs to know of a creative: still or moving, and its own length."""

    creative_id: int
    kind: CreativeKind
    still: bool
    duration_ms: int | None

    def __post_init__(self) -> None:
        if not self.still and not self.duration_ms:
            raise ValidationError("creative", f"creative {self.creative_id} has no duration")


@dataclass(frozen=True, slots=True)
class TimedPlaylist:
    """A playlist with every item's resolved duration (ms) and the total."""

    playlist: Playlist
    durations: tuple[int, ...]

    @property
    def total_duration_ms(self) -> int:
        """How long one pass through the playlist lasts."""
        return sum(self.durations)


def playlist_name(name: str) -> str:
    """A trimmed, non-empty name of at most MAX_NAME characters."""
    text = " ".join(name.split())
    if not text:
        raise ValidationError("name", "must not be empty")
    if len(text) > MAX_NAME:
        raise ValidationError("name", f"must have at most {MAX_NAME} characters")
    return text


def checked_item(item: PlaylistItemSpec, timing: CreativeTiming) -> PlaylistItemSpec:
    """The item if its duration fits its creative: stills need one, videos bring their own."""
    if timing.still:
        duration = item.duration_ms
        if duration is None:
            raise ValidationError("duration", "a still image needs a duration")
        if isinstance(duration, bool) or not isinstance(duration, int):
            raise ValidationError("duration", "must be a whole number of milliseconds")
        if not MIN_STILL_MS <= duration <= MAX_STILL_MS:
            raise ValidationError("duration", "a still shows for 1 second to 1 hour")
        return item
    if item.duration_ms is not None:
        raise ValidationError("duration", "a video plays for its own length; give no duration")
    return item


def item_duration(item: PlaylistItemSpec, timing: CreativeTiming) -> int:
    """How long the item plays (ms)."""
    duration = item.duration_ms if timing.still else timing.duration_ms
    assert duration is not None, "checked_item guarantees a duration"
    return duration


def checked_items(items: Sequence[PlaylistItemSpec]) -> tuple[PlaylistItemSpec, ...]:
    """The items as a tuple, refusing too many."""
    if len(items) > MAX_ITEMS:
        raise ValidationError("items", f"a playlist holds at most {MAX_ITEMS} items")
    return tuple(items)


def reordered(
    items: Sequence[PlaylistItemSpec], order: Sequence[int]
) -> tuple[PlaylistItemSpec, ...]:
    """The items in a new order, given as the old positions (0-based) in their new sequence."""
    if sorted(order) != list(range(len(items))):
        raise ValidationError(
            "order", f"must name each of the positions 0–{len(items) - 1} exactly once"
        )
    return tuple(items[position] for position in order)
