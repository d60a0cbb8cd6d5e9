"""Whole campaign files: import (idempotent, optionally shifted to start today) and export.

A file holds the campaign's facts, its locations, quotes (with the template each is
rendered through), playlists of those quote renderings, and schedule entries that
name playlists and locations by name. Importing twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from signage.domain.errors import ValidationError
from signage.domain.users import User
from signage.domain.windows import WEEKDAYS
from signage.services.campaign_content import CampaignContentServices
from signage.services.campaigns import CampaignServices
from signage.services.creatives import CreativeServices
from signage.services.demo import ComposerSeeder
from signage.services.imports import ImportServices
from signage.services.library import QuoteServices, TemplateServices
from signage.services.locations import LocationServices
from signage.services.playlists import PlaylistServices

FORMAT = "signage-campaign/1"


@dataclass(slots=True)
class CampaignImport:
    """What an import did."""

    campaign_id: int | None = None
    campaign_created: bool = False
    locations_created: int = 0
    quotes_created: int = 0
    renders: int = 0
    renders_waiting: int = 0
    playlists: list[str] = field(default_factory=list)
    entries_added: int = 0


def shift_dates(document: dict[str, Any], first_day: date) -> dict[str, Any]:
    """The same campaign moved so that its first day is `first_day` (entries move along)."""
    campaign = dict(document.get("campaign") or {})
    if not campaign.get("starts_on"):
        return document
    delta = first_day - date.fromisoformat(str(campaign["starts_on"]))
    for key in ("starts_on", "ends_on"):
        if campaign.get(key):
            campaign[key] = (date.fromisoformat(str(campaign[key])) + delta).isoformat()
    entries = []
    for entry in document.get("entries") or []:
        moved = dict(entry)
        for key in ("first_date", "last_date"):
            if moved.get(key):
                moved[key] = (date.fromisoformat(str(moved[key])) + delta).isoformat()
        entries.append(moved)
    return {**document, "campaign": campaign, "entries": entries}


@dataclass(frozen=True, slots=True)
class CampaignFileServices:
    """Import and export of campaign files, through the ordinary services."""

    imports: ImportServices
    seeder: ComposerSeeder
    quotes: QuoteServices
    templates: TemplateServices
    creatives: CreativeServices
    locations: LocationServices
    playlists: PlaylistServices
    campaigns: CampaignServices
    content: CampaignContentServices

    def import_file(self, user: User, document: Mapping[str, Any]) -> CampaignImport:
        """Load a campaign file; what exists already (by name or text) is reused."""
        if document.get("format") != FORMAT:
            raise ValidationError("format", f"expected {FORMAT}")
        report = CampaignImport()
        loaded = self.imports.import_campaign(user.username, document)
        report.locations_created = len(loaded.created)
        report.quotes_created = loaded.quotes_created
        jobs = self.seeder.queue_renders(user.username, document, loaded.quotes)
        report.renders = len(jobs)
        report.renders_waiting = sum(1 for job in jobs if not job.status.final)
        facts = document.get("campaign")
        if not facts:
            return report
        creatives = self._quote_creatives(user, document, loaded.quotes)
        playlist_ids = self._playlists(user, document, creatives, report)
        campaign, created = self._campaign(user, facts)
        report.campaign_id, report.campaign_created = campaign.id, created
        if created:
            report.entries_added = self._entries(user, campaign.id, document, playlist_ids)
        return report

    def _quote_creatives(
        self, user: User, document: Mapping[str, Any], quote_ids: Mapping[str, int]
    ) -> dict[str, int]:
        by_name = {t.template.name: t.template_id for t in self.templates.list_templates()}
        creatives = {}
        for item in document.get("quotes") or []:
            key = str(item.get("key"))
            template = by_name[str(item.get("template"))]
            creative = self.creatives.create_quote_creative(
                user.username, quote_ids[key], template, None, key
            )
            creatives[key] = creative.id
        return creatives

    def _playlists(
        self,
        user: User,
        document: Mapping[str, Any],
        creatives: Mapping[str, int],
        report: CampaignImport,
    ) -> dict[str, int]:
        existing = {t.playlist.name: t for t in self.playlists.list_playlists()}
        result = {}
        for index, item in enumerate(document.get("playlists") or []):
            name = str(item.get("name") or "")
            specs = []
            for position, entry in enumerate(item.get("items") or []):
                key = str(entry.get("quote") or "")
                if key not in creatives:
                    where = f"playlists[{index}].items[{position}].quote"
                    raise ValidationError(where, f"no quote '{key}' in this file")
                specs.append({"creative_id": creatives[key], "duration_ms": None})
            timed = existing.get(name)
            if timed is None:
                timed = self.playlists.create_playlist(user, name, specs)
                report.playlists.append(name)
            result[name] = timed.playlist.id
        return result

    def _campaign(self, user: User, facts: Mapping[str, Any]) -> tuple[Any, bool]:
        name = " ".join(str(facts.get("name") or "").split())
        for campaign in self.campaigns.list_campaigns():
            if campaign.name == name and campaign.state.value != "withdrawn":
                return campaign, False
        data = {
            "name": name,
            "description": str(facts.get("description") or ""),
            "first_date": str(facts.get("starts_on") or ""),
            "last_date": str(facts.get("ends_on") or ""),
        }
        return self.campaigns.create_campaign(user, data), True

    def _entries(
        self, user: User, campaign_id: int, document: Mapping[str, Any], playlists: dict[str, int]
    ) -> int:
        by_name = {loc.spec.name: loc.id for loc in self.locations.list_locations()}
        count = 0
        for index, entry in enumerate(document.get("entries") or []):
            where = f"entries[{index}]"
            playlist = str(entry.get("playlist") or "")
            if playlist not in playlists:
                raise ValidationError(f"{where}.playlist", f"no playlist '{playlist}' in this file")
            names = entry.get("locations") or []
            missing = [n for n in names if n not in by_name]
            if missing:
                raise ValidationError(f"{where}.locations", f"unknown location '{missing[0]}'")
            data = {
                "playlist_id": playlists[playlist],
                "location_ids": [by_name[n] for n in names],
                "tags": list(entry.get("tags") or []),
                "first_date": str(entry.get("first_date") or ""),
                "last_date": str(entry.get("last_date") or ""),
                "window": str(entry.get("window") or ""),
                "weekdays": list(entry.get("weekdays") or []),
                "priority": entry.get("priority", ""),
            }
            self.content.add_entry(user, campaign_id, data)
            count += 1
        return count

    def export_file(self, campaign_id: int) -> dict[str, Any]:
        """The campaign as a file that `import_file` reads back into the same campaign."""
        campaign = self.campaigns.get_campaign(campaign_id)
        entries = self.content.entries(campaign_id)
        locations = {loc.id: loc for loc in self.locations.list_locations()}
        used_locations = sorted({i for e in entries for i in e.location_ids})
        tagged = {t for e in entries for t in e.tags}
        used_locations += [
            loc.id
            for loc in locations.values()
            if loc.spec.tags & tagged and loc.id not in used_locations
        ]
        playlist_ids = sorted({e.playlist_id for e in entries})
        playlists: list[dict[str, Any]] = []
        quotes: dict[int, dict[str, Any]] = {}
        for playlist_id in playlist_ids:
            timed = self.playlists.get_playlist(playlist_id)
            items = []
            for spec in timed.playlist.items:
                key = self._export_quote(spec.creative_id, quotes)
                items.append({"quote": key})
            playlists.append({"name": timed.playlist.name, "items": items})
        names = {p: self.playlists.get_playlist(p).playlist.name for p in playlist_ids}
        return {
            "format": FORMAT,
            "campaign": {
                "name": campaign.name,
                "description": campaign.spec.description,
                "starts_on": campaign.dates.first.isoformat(),
                "ends_on": campaign.dates.last.isoformat(),
            },
            "locations": [_location_dict(locations[i]) for i in used_locations],
            "quotes": list(quotes.values()),
            "playlists": playlists,
            "entries": [_entry_dict(e, names, locations) for e in entries],
        }

    def _export_quote(self, creative_id: int, quotes: dict[int, dict[str, Any]]) -> str:
        creative = self.creatives.get_creative(creative_id)
        if creative.quote_version_id is None or creative.template_version_id is None:
            raise ValidationError("playlist", "only quote renderings can be exported to a file")
        if creative.id not in quotes:
            version = self.quotes.get_version(creative.quote_version_id)
            template = self.templates.get_template_version(creative.template_version_id)
            spec = version.spec
            quotes[creative.id] = {
                "key": f"quote-{version.quote_id}-v{version.version}-t{template.version_id}",
                "language": spec.language,
                "text": spec.text,
                "author": spec.author,
                "author_role": spec.author_role,
                "source": spec.source,
                "tags": sorted(spec.tags),
                "template": template.template.name,
            }
        return str(quotes[creative.id]["key"])


def _location_dict(location: Any) -> dict[str, Any]:
    data: dict[str, Any] = location.spec.as_dict()
    data["operating_hours"] = {k: v for k, v in data["operating_hours"].items() if v}
    return data


def _entry_dict(
    entry: Any, names: Mapping[int, str], locations: Mapping[int, Any]
) -> dict[str, Any]:
    return {
        "playlist": names[entry.playlist_id],
        "locations": sorted(locations[i].spec.name for i in entry.location_ids),
        "tags": sorted(entry.tags),
        "first_date": entry.dates.first.isoformat(),
        "last_date": entry.dates.last.isoformat(),
        "window": str(entry.window),
        "weekdays": [WEEKDAYS[d] for d in sorted(entry.weekdays)],
        "priority": entry.priority,
    }
