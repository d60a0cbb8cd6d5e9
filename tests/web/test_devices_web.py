"""The device pages and the player API's HTTP details, through the test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage.adapters.clock import FixedClock
from signage.adapters.db import tables as t
from signage.adapters.db.migrate import upgrade
from signage.adapters.passwords import Argon2Hasher
from signage.bootstrap import build_services
from signage.domain.devices import ENROL_LIMIT
from tests.conftest import login, make_app, seed_users
from tests.web.route_cases_devices import enrolled_device, location, public_b64

P = "/api/player/v1"


def test_binding_is_two_steps_with_the_fingerprint_to_compare(app: Any, services: Any) -> None:
    key = Ed25519PrivateKey.generate()
    client = app.test_client()
    enrolment = client.post(f"{P}/enroll", json={"public_key": public_b64(key), "facts": {}})
    assert enrolment.status_code == 201
    code, fingerprint = enrolment.json["code"], enrolment.json["fingerprint"]
    assert len(code) == 9
    assert code[4] == "-"
    site = location(services)
    login(client, "admin")
    check = client.post("/devices/bind", data={"code": code.lower(), "location_id": str(site)})
    assert check.status_code == 200
    assert fingerprint.encode() in check.data
    assert not services.devices.list_devices()  # nothing bound before the admin confirms
    wrong = client.post(
        "/devices/bind", data={"code": code, "location_id": str(site), "fingerprint": "ab12"}
    )
    assert wrong.status_code == 422
    assert b"does not match" in wrong.data
    bound = client.post(
        "/devices/bind",
        data={"code": code, "location_id": str(site), "fingerprint": fingerprint},
    )
    assert bound.status_code == 303
    (view,) = services.devices.list_devices()
    page = client.get(f"/devices/{view.device.id}")
    assert fingerprint.encode() in page.data
    listing = client.get("/devices")
    assert b"offline" in listing.data


def test_the_server_time_is_the_injected_clock_once_per_answer(settings: Any) -> None:
    at = datetime(2026, 6, 1, 4, 30, 15, 250_000, tzinfo=UTC)
    services = build_services(settings, clock=FixedClock(at), hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    seed_users(services)
    client = make_app(services).test_client()
    device = enrolled_device(services)
    auth = {"Authorization": f"Bearer {device.token}"}
    plan = client.get(f"{P}/plan", headers=auth)
    unchanged = client.get(f"{P}/plan", headers={**auth, "If-None-Match": plan.headers["ETag"]})
    answers = {
        "plan": plan,
        "304": unchanged,
        "unknown route": client.get(f"{P}/nothing-here", headers=auth),
        "no token": client.get(f"{P}/plan"),
        "api root": client.get(P),
    }
    stamp = str(int(at.timestamp() * 1000))
    for name, answer in answers.items():
        assert answer.headers.getlist("Signage-Server-Time") == [stamp], name
        assert answer.headers.getlist("Date") == ["Mon, 01 Jun 2026 04:30:15 GMT"], name
    assert [a.status_code for a in answers.values()] == [200, 304, 404, 401, 404]
    assert unchanged.headers["Cache-Control"] == "no-cache"
    # A path with doubled leading slashes is routed to the API (werkzeug collapses them),
    # so it is stamped too.
    doubled = client.get(
        f"{P}/plan", headers=auth, environ_overrides={"PATH_INFO": f"//{P.lstrip('/')}/plan"}
    )
    assert doubled.status_code == 200
    assert doubled.headers.getlist("Signage-Server-Time") == [stamp]
    # Only the player API is stamped: not a page, nor a path that merely starts alike.
    for path in ("/login", f"{P}x/plan"):
        assert "Signage-Server-Time" not in client.get(path).headers, path
    services.engine.dispose()


def test_the_plan_answers_304_to_any_form_of_its_etag(app: Any, services: Any) -> None:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {enrolled_device(services).token}"}
    etag = client.get(f"{P}/plan", headers=auth).headers["ETag"]
    for sent, status in (
        (etag, 304),
        (f"W/{etag}", 304),  # weak comparison, as RFC 9110 asks of If-None-Match
        (f'"stale", {etag}', 304),
        ("*", 304),
        ('"stale"', 200),
        (etag[:-2] + '"', 200),
    ):
        answer = client.get(f"{P}/plan", headers={**auth, "If-None-Match": sent})
        assert answer.status_code == status, sent
        assert answer.headers["ETag"] == etag, sent


def test_every_player_answer_carries_the_server_time(app: Any, services: Any) -> None:
    client = app.test_client()
    refused = client.get(f"{P}/plan", headers={"Authorization": "Bearer sgd_wrong"})
    assert refused.status_code == 401
    assert refused.json["error"] == "unauthorized"
    assert refused.headers["Signage-Server-Time"].isdigit()
    assert refused.headers["Date"].endswith("GMT")
    device = enrolled_device(services)
    auth = {"Authorization": f"Bearer {device.token}"}
    plan = client.get(f"{P}/plan", headers=auth)
    assert plan.status_code == 200
    assert b"Signage-Server-Time" not in plan.data
    again = client.get(f"{P}/plan", headers={**auth, "If-None-Match": plan.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == plan.headers["ETag"]
    assert again.headers["Signage-Server-Time"].isdigit()
    bad = client.post(f"{P}/plays", headers=auth, data="not json")
    assert bad.status_code == 422
    bad_sha = client.get(f"{P}/assets/not-a-hash", headers=auth)
    assert bad_sha.status_code == 404
    beat = {"showing": "content", "playing": {"creative_id": 7}, "clock_offset_ms": 12}
    assert client.post(f"{P}/heartbeat", headers=auth, json=beat).status_code == 200
    odd = client.post(f"{P}/plays", headers=auth, json={"records": [{"id": "x"}]})
    assert odd.json["results"][0]["status"] == "quarantined"
    login(client, "admin")
    assert client.post(f"/devices/{device.id}/screenshot").status_code == 303
    page = client.get(f"/devices/{device.id}")
    assert page.status_code == 200
    assert b"creative 7" in page.data
    assert b"malformed" in page.data
    assert b"Screenshot requested" in page.data
    assert b"online" in client.get("/devices").data


def test_enrolment_is_rate_limited_per_address(app: Any) -> None:
    client = app.test_client()
    for _ in range(ENROL_LIMIT):
        body = {"public_key": public_b64(Ed25519PrivateKey.generate())}
        assert client.post(f"{P}/enroll", json=body).status_code == 201
    body = {"public_key": public_b64(Ed25519PrivateKey.generate())}
    limited = client.post(f"{P}/enroll", json=body)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_dashboard_shows_offline_screens_and_takedown_page_reads(app: Any, services: Any) -> None:
    device = enrolled_device(services)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {device.token}"}
    assert client.post(f"{P}/heartbeat", headers=auth, json={}).json == {
        "screenshot_requested": False
    }
    # The app runs on the real clock: make the device's last heartbeat half an hour old.
    with services.engine.begin() as conn:
        old = services.clock.now() - timedelta(minutes=30)
        conn.execute(t.devices.update().values(last_seen_at=old))
    services.devices.check_offline()
    login(client, "staff")
    dashboard = client.get("/")
    assert b"offline for 30 minutes" in dashboard.data
    client.post("/logout")
    login(client, "approver")
    admin = next(u for u in services.users.list_users() if u.username == "admin")
    blank = services.campaigns.blank(admin, device.location_id, "test")
    fragment = client.get(f"/blanks/{blank.id}/takedown?fragment=1")
    assert fragment.status_code == 200
    assert b"not reached: offline since" in fragment.data
    assert b"<html" not in fragment.data
