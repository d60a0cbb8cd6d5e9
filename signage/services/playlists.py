"""Playlists: ordered items, reordering, total duration; edits send campaigns back to review."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signage.domain.campaigns import EDITORS, CampaignState, require_role
from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.playlists import (
    Playlist,
    PlaylistItemSpec,
    TimedPlaylist,
    checked_item,
    checked_items,
    item_duration,
    playlist_name,
    reordered,
)
from signage.domain.users import User
from signage.services.audit import record_event
from signage.services.campaign_changes import content_changed, creative_timing
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

ItemInput = PlaylistItemSpec | Mapping[str, Any]


def item_spec_from(data: ItemInput) -> PlaylistItemSpec:
    """A playlist item from `{"creative_id": 3, "duration_ms": 8000}` (duration for stills)."""
    if isinstance(data, PlaylistItemSpec):
        return data
    unknown = sorted(set(data) - {"creative_id", "duration_ms"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    return PlaylistItemSpec(
        _whole(data.get("creative_id"), "creative_id"),
        None if data.get("duration_ms") in (None, "") else _whole(data["duration_ms"], "duration"),
    )


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, "must be a whole number")
    try:
        return int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(field, "must be a whole number") from None


def timed(uow: UnitOfWork, playlist: Playlist) -> TimedPlaylist:
    """The playlist with each item's duration resolved."""
    durations = tuple(
        item_duration(item, creative_timing(uow, item.creative_id)) for item in playlist.items
    )
    return TimedPlaylist(playlist, durations)


def _playlist(uow: UnitOfWork, playlist_id: int) -> Playlist:
    playlist = uow.playlists.get(playlist_id) if valid_id(playlist_id) else None
    if playlist is None:
        raise NotFoundError(f"playlist {playlist_id} not found")
    return playlist


def _items_dict(items: Sequence[PlaylistItemSpec]) -> list[dict[str, int | None]]:
    return [{"creative_id": i.creative_id, "duration_ms": i.duration_ms} for i in items]


@dataclass(frozen=True, slots=True)
class PlaylistServices:
    """Playlist use cases; the acting user is passed in (staff and admins edit)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    def create_playlist(
        self, user: User, name: str, items: Sequence[ItemInput] = ()
    ) -> TimedPlaylist:
        """A new playlist, optionally with its first items."""
        require_role(user, EDITORS, "edit playlists")
        clean = playlist_name(name)
        specs = checked_items([item_spec_from(i) for i in items])
        with self.uow_factory() as uow:
            for spec in specs:
                checked_item(spec, creative_timing(uow, spec.creative_id))
            now = self.clock.now()
            playlist = uow.playlists.add(clean, now, user.username)
            if specs:
                uow.playlists.set_items(playlist.id, specs, now)
            record_event(
                uow,
                self.clock,
                user.username,
                "playlist.create",
                "playlist",
                playlist.id,
                None,
                {"name": clean, "items": _items_dict(specs)},
            )
            result = timed(uow, _playlist(uow, playlist.id))
            uow.commit()
            return result

    def rename_playlist(self, user: User, playlist_id: int, name: str) -> TimedPlaylist:
        """A new name (not content: no campaign goes back to review)."""
        require_role(user, EDITORS, "edit playlists")
        clean = playlist_name(name)
        with self.uow_factory() as uow:
            playlist = _playlist(uow, playlist_id)
            uow.playlists.rename(playlist_id, clean, self.clock.now())
            record_event(
                uow,
                self.clock,
                user.username,
                "playlist.rename",
                "playlist",
                playlist_id,
                {"name": playlist.name},
                {"name": clean},
            )
            result = timed(uow, _playlist(uow, playlist_id))
            uow.commit()
            return result

    def set_items(self, user: User, playlist_id: int, items: Sequence[ItemInput]) -> TimedPlaylist:
        """Replace the items, in order."""
        specs = checked_items([item_spec_from(i) for i in items])
        return self._edit(user, playlist_id, lambda _old: specs)

    def add_item(
        self, user: User, playlist_id: int, creative_id: int, duration_ms: int | None = None
    ) -> TimedPlaylist:
        """Append one item (a still needs `duration_ms`)."""
        spec = PlaylistItemSpec(creative_id, duration_ms)
        return self._edit(user, playlist_id, lambda old: checked_items([*old, spec]))

    def remove_item(self, user: User, playlist_id: int, position: int) -> TimedPlaylist:
        """Remove the item at `position` (0-based)."""

        def without(old: tuple[PlaylistItemSpec, ...]) -> tuple[PlaylistItemSpec, ...]:
            if not 0 <= position < len(old):
                raise ValidationError("position", f"there is no item {position}")
            return old[:position] + old[position + 1 :]

        return self._edit(user, playlist_id, without)

    def reorder_items(self, user: User, playlist_id: int, order: Sequence[int]) -> TimedPlaylist:
        """Put the items in a new order: `order` lists the old positions in their new sequence."""
        return self._edit(user, playlist_id, lambda old: reordered(old, order))

    def _edit(
        self,
        user: User,
        playlist_id: int,
        change: Callable[[tuple[PlaylistItemSpec, ...]], tuple[PlaylistItemSpec, ...]],
    ) -> TimedPlaylist:
        require_role(user, EDITORS, "edit playlists")
        with self.uow_factory() as uow:
            playlist = _playlist(uow, playlist_id)
            items = change(playlist.items)
            for spec in items:
                checked_item(spec, creative_timing(uow, spec.creative_id))
            if items == playlist.items:
                return timed(uow, playlist)
            uow.playlists.set_items(playlist_id, items, self.clock.now())
            record_event(
                uow,
                self.clock,
                user.username,
                "playlist.edit",
                "playlist",
                playlist_id,
                {"items": _items_dict(playlist.items)},
                {"items": _items_dict(items)},
            )
            self._back_to_review(uow, user, playlist_id)
            result = timed(uow, _playlist(uow, playlist_id))
            uow.commit()
            return result

    def _back_to_review(self, uow: UnitOfWork, user: User, playlist_id: int) -> None:
        """Each campaign playing the playlist is changed by this edit (withdrawn ones are over)."""
        for campaign_id in uow.entries.campaigns_using(playlist_id):
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None or campaign.state is CampaignState.WITHDRAWN:
                continue
            content_changed(uow, self.clock, user, campaign, f"playlist {playlist_id} was edited")

    def delete_playlist(self, user: User, playlist_id: int) -> None:
        """Delete a playlist no schedule entry plays (approvals keep their own copies)."""
        require_role(user, EDITORS, "edit playlists")
        with self.uow_factory() as uow:
            playlist = _playlist(uow, playlist_id)
            using = uow.entries.campaigns_using(playlist_id)
            if using:
                names = ", ".join(str(i) for i in using)
                raise ConflictError(f"playlist {playlist_id} is scheduled by campaign(s) {names}")
            uow.playlists.delete(playlist_id)
            record_event(
                uow,
                self.clock,
                user.username,
                "playlist.delete",
                "playlist",
                playlist_id,
                {"name": playlist.name, "items": _items_dict(playlist.items)},
                None,
            )
            uow.commit()

    def get_playlist(self, playlist_id: int) -> TimedPlaylist:
        """One playlist with its durations and total."""
        with self.uow_factory(readonly=True) as uow:
            return timed(uow, _playlist(uow, playlist_id))

    def list_playlists(self) -> list[TimedPlaylist]:
        """Every playlist, by name."""
        with self.uow_factory(readonly=True) as uow:
            return [timed(uow, p) for p in uow.playlists.list()]
