"""Route-matrix cases of playlists, campaigns, timelines and blanks."""

from __future__ import annotations

import io
from typing import Any

from tests.web.route_cases import ROLES, Case, fixed
from tests.web.route_cases_composer import creative

EDITORS = ("staff", "admin")
SITE = {"name": "Timeline site", "screen_width": 128, "screen_height": 72}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _user(svc: Any, name: str) -> Any:
    return next(u for u in svc.users.list_users() if u.username == name)


def location(svc: Any) -> int:
    found = [loc.id for loc in svc.locations.list_locations() if loc.spec.name == SITE["name"]]
    return int(found[0]) if found else int(svc.locations.create_location("test", SITE).id)


def playlist(svc: Any) -> int:
    timed = svc.playlists.create_playlist(_user(svc, "staff"), "Matrix playlist")
    return int(timed.playlist.id)


def campaign(svc: Any, entry: bool = False) -> int:
    staff = _user(svc, "staff")
    made = svc.campaigns.create_campaign(
        staff, {"name": "Matrix", "first_date": "2026-06-01", "last_date": "2026-06-10"}
    )
    if entry:
        timed = svc.playlists.create_playlist(staff, "Matrix items")
        svc.playlists.add_item(staff, timed.playlist.id, creative(svc))
        svc.campaign_content.add_entry(
            staff, made.id, {"playlist_id": timed.playlist.id, "location_ids": [location(svc)]}
        )
    return int(made.id)


def document(svc: Any) -> int:
    campaign_id = campaign(svc)
    doc = svc.campaign_content.attach_document(
        _user(svc, "staff"), campaign_id, io.BytesIO(PDF), "permit.pdf"
    )
    return int(doc.id)


def blank(svc: Any) -> int:
    return int(svc.campaigns.blank(_user(svc, "admin"), None, "matrix").id)


SCHEDULE_CASES: dict[tuple[str, str], Case] = {
    ("playlists.index", "GET"): Case(ROLES, 200, fixed("/playlists")),
    ("playlists.index", "POST"): Case(
        EDITORS, 303, fixed("/playlists"), lambda _s, r: {"name": f"List {r}"}
    ),
    ("playlists.detail", "GET"): Case(ROLES, 200, lambda s, _r: f"/playlists/{playlist(s)}"),
    ("playlists.change_items", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/playlists/{playlist(s)}/items",
        lambda s, _r: {"action": "add", "creative_id": str(creative(s))},
    ),
    ("campaigns.index", "GET"): Case(ROLES, 200, fixed("/campaigns")),
    ("campaigns.index", "POST"): Case(
        EDITORS,
        303,
        fixed("/campaigns"),
        lambda _s, r: {"name": f"C {r}", "first_date": "2026-06-01", "last_date": "2026-06-02"},
    ),
    ("campaigns.detail", "GET"): Case(ROLES, 200, lambda s, _r: f"/campaigns/{campaign(s)}"),
    ("campaigns.update", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/campaigns/{campaign(s)}",
        lambda _s, _r: {"name": "Renamed", "first_date": "2026-06-01", "last_date": "2026-06-10"},
    ),
    ("campaigns.add_entry", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/campaigns/{campaign(s)}/entries",
        lambda s, _r: {"playlist_id": str(playlist(s)), "location_ids": [str(location(s))]},
    ),
    ("campaigns.remove_entry", "POST"): Case(
        EDITORS, 303, lambda s, _r: _entry_path(s), lambda _s, _r: {}
    ),
    ("campaigns.attach", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/campaigns/{campaign(s)}/documents",
        lambda _s, _r: {"document": (io.BytesIO(PDF), "permit.pdf")},
    ),
    ("campaigns.document", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/campaigns/documents/{document(s)}"
    ),
    ("campaigns.act", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/campaigns/{campaign(s, entry=True)}/submit",
        lambda _s, _r: {},
    ),
    ("campaigns.review", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/campaigns/{campaign(s, entry=True)}/review"
    ),
    ("campaigns.calendar", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/campaigns/{campaign(s, entry=True)}/calendar.ics"
    ),
    ("api_schedule.list_playlists", "GET"): Case(ROLES, 200, fixed("/api/v1/playlists")),
    ("api_schedule.create_playlist", "POST"): Case(
        EDITORS,
        201,
        fixed("/api/v1/playlists"),
        lambda s, r: {"name": f"API {r}", "items": [{"creative_id": creative(s)}]},
        json=True,
    ),
    ("api_schedule.get_playlist", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/api/v1/playlists/{playlist(s)}"
    ),
    ("api_schedule.set_playlist_items", "PUT"): Case(
        EDITORS,
        200,
        lambda s, _r: f"/api/v1/playlists/{playlist(s)}/items",
        lambda s, _r: {"items": [{"creative_id": creative(s)}]},
        json=True,
    ),
    ("api_schedule.list_campaigns", "GET"): Case(ROLES, 200, fixed("/api/v1/campaigns")),
    ("api_schedule.get_campaign", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/api/v1/campaigns/{campaign(s)}"
    ),
    ("schedule.location", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/locations/{location(s)}/schedule"
    ),
    ("schedule.blanks", "GET"): Case(("admin", "approver", "auditor"), 200, fixed("/blanks")),
    ("schedule.blanks", "POST"): Case(
        ("admin",),
        303,
        fixed("/blanks"),
        lambda _s, _r: {"action": "blank", "location_id": "all", "reason": "matrix"},
    ),
}


def _entry_path(svc: Any) -> str:
    campaign_id = campaign(svc, entry=True)
    (entry,) = svc.campaign_content.entries(campaign_id)
    return f"/campaigns/{campaign_id}/entries/{entry.id}/delete"
