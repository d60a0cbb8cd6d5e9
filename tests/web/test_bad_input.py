"""Every write endpoint of the composer and scheduling answers bad input with a reason
(4xx naming the field) and writes nothing: no row, no audit event."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import api_token, counts, login
from tests.web.route_cases_composer import QUOTE, creative, quote, staff_copy, template
from tests.web.route_cases_schedule import campaign, playlist

API_CASES = [
    # (method, path builder, json body builder, status, field)
    ("POST", lambda s: "/api/v1/quotes", lambda s: {**QUOTE, "language": "fr"}, 422, "language"),
    ("POST", lambda s: "/api/v1/quotes", lambda s: {**QUOTE, "text": ""}, 422, "text"),
    ("POST", lambda s: "/api/v1/quotes", lambda s: {**QUOTE, "mood": "sad"}, 422, "mood"),
    (
        "PUT",
        lambda s: f"/api/v1/quotes/{quote(s)}",
        lambda s: {**QUOTE, "author": ""},
        422,
        "author",
    ),
    ("PUT", lambda s: "/api/v1/quotes/99999", lambda s: QUOTE, 404, None),
    (
        "POST",
        lambda s: f"/api/v1/quotes/{quote(s)}/translations",
        lambda s: {"translation_of": 0},
        422,
        "translation_of",
    ),
    (
        "POST",
        lambda s: f"/api/v1/templates/{template(s)}/copies",
        lambda s: {"name": "Bad", "changes": {"background": "red"}},
        422,
        "background",
    ),
    (
        "POST",
        lambda s: f"/api/v1/templates/{template(s)}/copies",
        lambda s: {"name": "Bad", "changes": {"kind": "poster"}},
        422,
        "kind",
    ),
    (
        "PATCH",
        lambda s: f"/api/v1/templates/{template(s)}",
        lambda s: {"changes": {"duration_s": 5}},
        409,
        None,
    ),
    (
        "PATCH",
        lambda s: f"/api/v1/templates/{staff_copy(s, 'x')}",
        lambda s: {"changes": {"fade_in_s": -1}},
        422,
        "fade_in_s",
    ),
    (
        "POST",
        lambda s: "/api/v1/creatives",
        lambda s: {"quote_id": 99999, "template_id": template(s)},
        422,
        "quote",
    ),
    (
        "POST",
        lambda s: "/api/v1/creatives",
        lambda s: {"asset_sha256": "x" * 64},
        422,
        "asset_sha256",
    ),
    (
        "POST",
        lambda s: f"/api/v1/creatives/{creative(s)}/renders",
        lambda s: {"sizes": [{"width": 32, "height": 32}]},
        422,
        "sizes.0.width",
    ),
    (
        "POST",
        lambda s: f"/api/v1/creatives/{creative(s)}/renders",
        lambda s: {"sizes": []},
        422,
        "sizes",
    ),
    ("POST", lambda s: "/api/v1/playlists", lambda s: {"name": ""}, 422, "name"),
    (
        "POST",
        lambda s: "/api/v1/playlists",
        lambda s: {"name": "P", "items": [{"creative_id": 99999}]},
        422,
        "creative_id",
    ),
    (
        "PUT",
        lambda s: f"/api/v1/playlists/{playlist(s)}/items",
        lambda s: {"items": [{"creative_id": creative(s), "duration_ms": 5000}]},
        422,
        "duration",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), API_CASES)
def test_api_refuses_with_the_field_and_writes_nothing(
    app: Any, method: str, path: Any, body: Any, status: int, field: str | None
) -> None:
    svc = app.extensions["signage"]
    client = app.test_client()
    headers = {"Authorization": "Bearer " + api_token(svc, "staff")}
    url, payload = path(svc), body(svc)
    before = counts(svc)
    response = client.open(url, method=method, json=payload, headers=headers)
    assert response.status_code == status, response.data[:400]
    problem = response.get_json()
    assert problem["reason"]
    if field is not None:
        assert problem["field"] == field
    assert counts(svc) == before


PAGE_CASES = [
    ("/quotes", lambda s: {**QUOTE, "text": "   "}, "must not be empty"),
    ("/playlists", lambda s: {"name": ""}, "name"),
    (
        "/campaigns",
        lambda s: {"name": "X", "first_date": "2026-06-05", "last_date": "2026-06-01"},
        "the last date lies before the first",
    ),
    (
        lambda s: f"/campaigns/{campaign(s)}/entries",
        lambda s: {"playlist_id": str(playlist(s)), "location_ids": [], "tags": ""},
        "targets",
    ),
    (
        lambda s: f"/campaigns/{campaign(s)}/entries",
        lambda s: {"playlist_id": str(playlist(s)), "tags": "nowhere", "priority": "101"},
        "priority",
    ),
    (lambda s: f"/creatives/{creative(s)}/renders", lambda s: {"sizes": "huge"}, "is not a size"),
]


@pytest.mark.parametrize(("path", "form", "message"), PAGE_CASES)
def test_forms_show_the_error_and_write_nothing(
    app: Any, path: Any, form: Any, message: str
) -> None:
    svc = app.extensions["signage"]
    client = app.test_client()
    login(client, "staff")
    url = path(svc) if callable(path) else path
    data = form(svc)
    before = counts(svc)
    response = client.post(url, data=data)
    assert response.status_code == 422, response.data[:400]
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert counts(svc) == before


def test_an_emergency_blank_needs_a_reason_and_a_real_screen(app: Any) -> None:
    svc = app.extensions["signage"]
    client = app.test_client()
    login(client, "admin")
    before = counts(svc)
    no_reason = client.post("/blanks", data={"action": "blank", "location_id": "all", "reason": ""})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_data(as_text=True)
    bad_screen = client.post("/blanks", data={"action": "blank", "location_id": "x", "reason": "r"})
    assert bad_screen.status_code == 422
    assert svc.campaigns.blanks() == []
    assert counts(svc) == before


def test_the_schedule_preview_refuses_a_bad_day_or_time(app: Any) -> None:
    svc = app.extensions["signage"]
    site = svc.locations.create_location(
        "admin", {"name": "Preview", "screen_width": 128, "screen_height": 72}
    )
    client = app.test_client()
    login(client, "staff")
    day = client.get(f"/locations/{site.id}/schedule?day=2026-13-40")
    assert day.status_code == 422
    assert "is not a date like 2026-06-01" in day.get_data(as_text=True)
    at = client.get(f"/locations/{site.id}/schedule?at=25:99")
    assert at.status_code == 422
    assert "is not a time like 14:30" in at.get_data(as_text=True)
