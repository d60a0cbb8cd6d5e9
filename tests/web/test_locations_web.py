"""Locations through /api/v1 and the pages: bad input gets a reason and writes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import api_token, counts, login

GOOD = {"name": "Opposite the amphitheater", "screen_width": 1920, "screen_height": 1080}


@pytest.fixture
def api(app: Any) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + api_token(
        app.extensions["signage"], "admin"
    )
    return client


def test_create_read_update_delete_over_the_api(api: Any) -> None:
    created = api.post(
        "/api/v1/locations",
        json={**GOOD, "operating_hours": {"fri": "18:00-02:00"}, "tags": ["Park"]},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["timezone"] == "Asia/Dushanbe"
    assert body["operating_hours"]["fri"] == "18:00-02:00"
    assert body["operating_hours"]["mon"] is None
    assert body["tags"] == ["park"]
    url = f"/api/v1/locations/{body['id']}"
    assert api.get(url).get_json()["name"] == GOOD["name"]
    updated = api.put(url, json={**GOOD, "screen_width": 1080, "screen_height": 1920})
    assert updated.get_json()["orientation"] == "portrait"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"screen_width": 0}, "screen_width"),
        ({"screen_height": -1}, "screen_height"),
        ({"screen_width": "wide"}, "screen_width"),
        ({"latitude": 123}, "latitude"),
        ({"operating_hours": {"mon": "25:00-01:00"}}, "operating_hours.mon"),
        ({"operating_hours": {"mon": "08:00-08:00"}}, "operating_hours.mon"),
        ({"operating_hours": {"someday": "08:00-09:00"}}, "operating_hours.someday"),
        ({"colour": "red"}, "colour"),
        ({"name": ""}, "name"),
        ({"orientation": "sideways"}, "orientation"),
    ],
)
def test_bad_api_input_is_422_naming_the_field_and_writes_nothing(
    api: Any, app: Any, change: dict[str, Any], field: str
) -> None:
    svc = app.extensions["signage"]
    before = counts(svc)
    response = api.post("/api/v1/locations", json={**GOOD, **change})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation"
    assert body["field"] == field
    assert body["reason"]
    assert counts(svc) == before


def test_missing_required_fields_and_non_json(api: Any, app: Any) -> None:
    svc = app.extensions["signage"]
    before = counts(svc)
    missing = api.post("/api/v1/locations", json={"name": "No size"})
    assert missing.status_code == 422
    assert missing.get_json()["field"] in {"screen_width", "screen_height"}
    not_json = api.post("/api/v1/locations", data="name=x", content_type="text/plain")
    assert not_json.status_code == 422
    assert counts(svc) == before


def test_duplicate_name_is_409_and_unknown_id_is_404(api: Any) -> None:
    assert api.post("/api/v1/locations", json=GOOD).status_code == 201
    duplicate = api.post("/api/v1/locations", json={**GOOD, "name": GOOD["name"].upper()})
    assert duplicate.status_code == 409
    assert duplicate.get_json()["field"] == "name"
    assert api.put("/api/v1/locations/9999", json=GOOD).status_code == 404
    assert api.delete("/api/v1/locations/9999").status_code == 404


def test_revoked_or_bogus_tokens_are_401(app: Any) -> None:
    svc = app.extensions["signage"]
    client = app.test_client()
    admin = next(u for u in svc.users.list_users() if u.username == "admin")
    token, secret = svc.users.create_token(admin, "short-lived")
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    svc.users.revoke_token(admin, token.id)
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    bogus = client.get("/api/v1/me", headers={"Authorization": "Bearer sgn_made_up"})
    assert bogus.status_code == 401
    assert bogus.get_json()["error"] == "unauthorized"


def test_api_ignores_session_cookies(app: Any) -> None:
    client = app.test_client()
    login(client, "admin")
    assert client.get("/api/v1/me").status_code == 401


def form_errors(html: bytes) -> list[str]:
    return [m.decode() for m in re.findall(rb'class="error" role="alert">([^<]*)<', html)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"screen_width": "0"}, "between 1 and"),
        ({"screen_height": "tall"}, "whole number"),
        ({"hours_wed": "09:00-09:00"}, "start and end are equal"),
        ({"latitude": "north"}, "must be a number"),
    ],
)
def test_the_form_shows_the_error_and_writes_nothing(
    app: Any, change: dict[str, str], message: str
) -> None:
    svc = app.extensions["signage"]
    client = app.test_client()
    login(client, "admin")
    before = counts(svc)
    data = {"name": "Form site", "timezone": "Asia/Dushanbe", "screen_width": "1920"}
    data |= {"screen_height": "1080", **change}
    response = client.post("/locations/new", data=data)
    assert response.status_code == 422
    assert any(message in e.replace("&#39;", "'") for e in form_errors(response.data))
    assert counts(svc) == before


def test_the_form_keeps_what_was_typed(app: Any) -> None:
    client = app.test_client()
    login(client, "admin")
    response = client.post(
        "/locations/new",
        data={"name": "Kept name", "timezone": "Mars/Olympus", "screen_width": "1"},
    )
    assert b'value="Kept name"' in response.data


def test_edit_page_round_trips_the_stored_values(app: Any) -> None:
    svc = app.extensions["signage"]
    site = svc.locations.create_location(
        "admin", {**GOOD, "operating_hours": {"sat": "10:00-02:00"}, "tags": ["a", "b"]}
    )
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/locations/{site.id}/edit").data
    assert b'value="10:00-02:00"' in page
    assert b'value="a, b"' in page
