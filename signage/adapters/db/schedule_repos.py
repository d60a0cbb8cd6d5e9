"""SQLAlchemy Core repositories of scheduling: playlists, campaigns, schedule entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from signage.adapters.db import tables as t
from signage.domain.campaigns import Campaign, CampaignSpec, CampaignState, EntrySpec
from signage.domain.playlists import Playlist, PlaylistItemSpec
from signage.domain.schedule import DateRange, ScheduleEntry
from signage.domain.windows import DailyWindow


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


class SqlPlaylistRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, name: str, at: datetime, by: str) -> Playlist:
        result = self.conn.execute(
            insert(t.playlists).values(name=name, created_at=at, created_by=by, updated_at=at)
        )
        return Playlist(_new_id(result), name, (), at, by, at)

    def _items(self, playlist_ids: Sequence[int]) -> dict[int, list[PlaylistItemSpec]]:
        i = t.playlist_items.c
        found: dict[int, list[PlaylistItemSpec]] = {pid: [] for pid in playlist_ids}
        rows = self.conn.execute(
            select(t.playlist_items)
            .where(i.playlist_id.in_(list(playlist_ids)))
            .order_by(i.playlist_id, i.position)
        )
        for row in rows:
            found[row.playlist_id].append(PlaylistItemSpec(row.creative_id, row.duration_ms))
        return found

    def _playlists(self, rows: Sequence[Any]) -> list[Playlist]:
        items = self._items([r.id for r in rows])
        return [
            Playlist(r.id, r.name, tuple(items[r.id]), r.created_at, r.created_by, r.updated_at)
            for r in rows
        ]

    def get(self, playlist_id: int) -> Playlist | None:
        rows = self.conn.execute(select(t.playlists).where(t.playlists.c.id == playlist_id)).all()
        found = self._playlists(rows)
        return found[0] if found else None

    def list(self) -> Sequence[Playlist]:
        rows = self.conn.execute(select(t.playlists).order_by(t.playlists.c.name, t.playlists.c.id))
        return self._playlists(rows.all())

    def rename(self, playlist_id: int, name: str, at: datetime) -> None:
        self.conn.execute(
            update(t.playlists)
            .where(t.playlists.c.id == playlist_id)
            .values(name=name, updated_at=at)
        )

    def set_items(self, playlist_id: int, items: Sequence[PlaylistItemSpec], at: datetime) -> None:
        self.conn.execute(
            delete(t.playlist_items).where(t.playlist_items.c.playlist_id == playlist_id)
        )
        if items:
            self.conn.execute(
                insert(t.playlist_items),
                [
                    {
                        "playlist_id": playlist_id,
                        "position": position,
                        "creative_id": item.creative_id,
                        "duration_ms": item.duration_ms,
                    }
                    for position, item in enumerate(items)
                ],
            )
        # Bumping the row also serialises concurrent editors of one playlist on PostgreSQL.
        self.conn.execute(
            update(t.playlists).where(t.playlists.c.id == playlist_id).values(updated_at=at)
        )

    def delete(self, playlist_id: int) -> None:
        self.conn.execute(
            delete(t.playlist_items).where(t.playlist_items.c.playlist_id == playlist_id)
        )
        self.conn.execute(delete(t.playlists).where(t.playlists.c.id == playlist_id))


def _campaign(row: Any) -> Campaign:
    spec = CampaignSpec(
        row.name, row.description, row.owner_id, DateRange(row.first_date, row.last_date)
    )
    return Campaign(
        id=row.id,
        spec=spec,
        state=CampaignState(row.state),
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        editor_ids=frozenset(int(i) for i in row.editor_ids),
        created_at=row.created_at,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
        copied_from=row.copied_from,
    )


def _spec_values(spec: CampaignSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "owner_id": spec.owner_id,
        "first_date": spec.dates.first,
        "last_date": spec.dates.last,
    }


class SqlCampaignRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, spec: CampaignSpec, editor_id: int, at: datetime, copied_from: int | None = None
    ) -> Campaign:
        result = self.conn.execute(
            insert(t.campaigns).values(
                **_spec_values(spec),
                state=CampaignState.DRAFT.value,
                editor_ids=[editor_id],
                copied_from=copied_from,
                created_at=at,
                updated_at=at,
            )
        )
        campaign = self.get(_new_id(result))
        assert campaign is not None
        return campaign

    def get(self, campaign_id: int) -> Campaign | None:
        row = self.conn.execute(select(t.campaigns).where(t.campaigns.c.id == campaign_id)).first()
        return _campaign(row) if row else None

    def list(self) -> Sequence[Campaign]:
        query = select(t.campaigns).order_by(t.campaigns.c.first_date.desc(), t.campaigns.c.id)
        return [_campaign(r) for r in self.conn.execute(query)]

    def save(self, campaign: Campaign) -> None:
        self.conn.execute(
            update(t.campaigns)
            .where(t.campaigns.c.id == campaign.id)
            .values(
                **_spec_values(campaign.spec),
                state=campaign.state.value,
                submitted_by=campaign.submitted_by,
                submitted_at=campaign.submitted_at,
                editor_ids=sorted(campaign.editor_ids),
                updated_at=campaign.updated_at,
                withdrawn_at=campaign.withdrawn_at,
            )
        )


e = t.schedule_entries.c
el = t.schedule_entry_locations.c


def _entry_values(spec: EntrySpec) -> dict[str, Any]:
    return {
        "playlist_id": spec.playlist_id,
        "tags": sorted(spec.tags),
        "first_date": spec.dates.first,
        "last_date": spec.dates.last,
        "window_start": spec.window.start,
        "window_end": spec.window.end,
        "weekdays": sorted(spec.weekdays),
        "priority": spec.priority,
    }


class SqlEntryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _entries(self, rows: Sequence[Any]) -> list[ScheduleEntry]:
        ids = [r.id for r in rows]
        targets: dict[int, set[int]] = {i: set() for i in ids}
        for link in self.conn.execute(
            select(t.schedule_entry_locations).where(el.entry_id.in_(ids))
        ):
            targets[link.entry_id].add(link.location_id)
        return [
            ScheduleEntry(
                id=r.id,
                playlist_id=r.playlist_id,
                campaign_id=r.campaign_id,
                location_ids=frozenset(targets[r.id]),
                tags=frozenset(r.tags),
                dates=DateRange(r.first_date, r.last_date),
                window=DailyWindow(r.window_start, r.window_end),
                weekdays=frozenset(r.weekdays),
                priority=r.priority,
                order=r.id,
            )
            for r in rows
        ]

    def _link(self, entry_id: int, location_ids: frozenset[int]) -> None:
        self.conn.execute(delete(t.schedule_entry_locations).where(el.entry_id == entry_id))
        if location_ids:
            self.conn.execute(
                insert(t.schedule_entry_locations),
                [{"entry_id": entry_id, "location_id": lid} for lid in sorted(location_ids)],
            )

    def add(self, campaign_id: int, spec: EntrySpec, at: datetime) -> ScheduleEntry:
        result = self.conn.execute(
            insert(t.schedule_entries).values(
                campaign_id=campaign_id, created_at=at, **_entry_values(spec)
            )
        )
        entry_id = _new_id(result)
        self._link(entry_id, spec.location_ids)
        entry = self.get(entry_id)
        assert entry is not None
        return entry

    def get(self, entry_id: int) -> ScheduleEntry | None:
        rows = self.conn.execute(select(t.schedule_entries).where(e.id == entry_id)).all()
        found = self._entries(rows)
        return found[0] if found else None

    def list_for(self, campaign_id: int) -> Sequence[ScheduleEntry]:
        rows = self.conn.execute(
            select(t.schedule_entries).where(e.campaign_id == campaign_id).order_by(e.id)
        ).all()
        return self._entries(rows)

    def update(self, entry_id: int, spec: EntrySpec) -> ScheduleEntry:
        self.conn.execute(
            update(t.schedule_entries).where(e.id == entry_id).values(**_entry_values(spec))
        )
        self._link(entry_id, spec.location_ids)
        entry = self.get(entry_id)
        assert entry is not None
        return entry

    def delete(self, entry_id: int) -> None:
        self.conn.execute(delete(t.schedule_entry_locations).where(el.entry_id == entry_id))
        self.conn.execute(delete(t.schedule_entries).where(e.id == entry_id))

    def campaigns_using(self, playlist_id: int) -> Sequence[int]:
        rows = self.conn.execute(
            select(e.campaign_id).where(e.playlist_id == playlist_id).distinct()
        )
        return sorted(int(r[0]) for r in rows)
