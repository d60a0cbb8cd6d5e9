"""Every route declares who may call it; each role gets exactly the expected status."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from signage.web.policy import endpoints_without_policy
from tests.conftest import (
    PASSWORD,
    ROLES,
    api_token,
    build,
    counts,
    login,
    make_app,
    make_settings,
    seed_users,
)
from tests.web.route_cases import ANYONE, Case, fixed
from tests.web.route_cases_audit import AUDIT_CASES
from tests.web.route_cases_composer import COMPOSER_CASES
from tests.web.route_cases_devices import DEVICE_CASES, device_token
from tests.web.route_cases_schedule import SCHEDULE_CASES

LOCATION = {"name": "Matrix site", "screen_width": 1920, "screen_height": 1080}


def _new_location(svc: Any, suffix: str) -> int:
    return int(svc.locations.create_location("test", {**LOCATION, "name": f"Site {suffix}"}).id)


def _user_id(svc: Any, name: str) -> int:
    return int(next(u.id for u in svc.users.list_users() if u.username == name))


def _location_form(name: str) -> dict[str, str]:
    return {
        "name": name,
        "timezone": "Asia/Dushanbe",
        "screen_width": "800",
        "screen_height": "600",
    }


CASES: dict[tuple[str, str], Case] = {
    ("auth.login", "GET"): Case(ANYONE, 200, fixed("/login")),
    ("auth.login", "POST"): Case(
        ANYONE, 302, fixed("/login"), lambda _s, _r: {"username": "staff", "password": PASSWORD}
    ),
    ("auth.logout", "POST"): Case(ROLES, 302, fixed("/logout"), lambda _s, _r: {}),
    ("dashboard.index", "GET"): Case(ROLES, 200, fixed("/")),
    ("dashboard.healthz", "GET"): Case(ANYONE, 200, fixed("/healthz")),
    ("openapi.openapi", "GET"): Case(ANYONE, 200, fixed("/api/openapi.json")),
    ("users.index", "GET"): Case(("admin",), 200, fixed("/users")),
    ("users.index", "POST"): Case(
        ("admin",),
        303,
        fixed("/users"),
        lambda _s, r: {"username": f"new-{r}", "password": PASSWORD, "roles": ["staff"]},
    ),
    ("users.edit", "GET"): Case(("admin",), 200, lambda s, _r: f"/users/{_user_id(s, 'staff')}"),
    ("users.edit", "POST"): Case(
        ("admin",),
        303,
        lambda s, _r: f"/users/{_user_id(s, 'staff')}",
        lambda _s, _r: {"display_name": "Renamed", "roles": ["staff"], "active": "y"},
    ),
    ("users.reset_password", "POST"): Case(
        ("admin",),
        303,
        lambda s, _r: f"/users/{_user_id(s, 'auditor')}/password",
        lambda _s, _r: {"reset-password": PASSWORD},
    ),
    ("users.tokens", "GET"): Case(ROLES, 200, fixed("/account/tokens")),
    ("users.tokens", "POST"): Case(
        ROLES, 201, fixed("/account/tokens"), lambda _s, _r: {"name": "script"}
    ),
    ("users.revoke_token", "POST"): Case(
        ROLES, 303, lambda s, r: f"/account/tokens/{_own_token(s, r)}/revoke", lambda _s, _r: {}
    ),
    ("locations.index", "GET"): Case(ROLES, 200, fixed("/locations")),
    ("locations.create", "GET"): Case(("admin",), 200, fixed("/locations/new")),
    ("locations.create", "POST"): Case(
        ("admin",), 303, fixed("/locations/new"), lambda _s, r: _location_form(f"Form {r}")
    ),
    ("locations.edit", "GET"): Case(
        ("admin",), 200, lambda s, r: f"/locations/{_new_location(s, 'e' + r)}/edit"
    ),
    ("locations.edit", "POST"): Case(
        ("admin",),
        303,
        lambda s, r: f"/locations/{_new_location(s, 'p' + r)}/edit",
        lambda _s, r: _location_form(f"Edited {r}"),
    ),
    ("locations.delete", "POST"): Case(
        ("admin",),
        303,
        lambda s, r: f"/locations/{_new_location(s, 'd' + r)}/delete",
        lambda _s, _r: {},
    ),
    ("audit.index", "GET"): Case(("admin", "auditor"), 200, fixed("/audit")),
    ("api_v1.me", "GET"): Case(ROLES, 200, fixed("/api/v1/me")),
    ("api_v1.list_locations", "GET"): Case(ROLES, 200, fixed("/api/v1/locations")),
    ("api_v1.create_location", "POST"): Case(
        ("admin",),
        201,
        fixed("/api/v1/locations"),
        lambda _s, r: {**LOCATION, "name": f"Api {r}"},
        json=True,
    ),
    ("api_v1.get_location", "GET"): Case(
        ROLES, 200, lambda s, r: f"/api/v1/locations/{_new_location(s, 'g' + r)}"
    ),
    ("api_v1.update_location", "PUT"): Case(
        ("admin",),
        200,
        lambda s, r: f"/api/v1/locations/{_new_location(s, 'u' + r)}",
        lambda _s, r: {**LOCATION, "name": f"Put {r}"},
        json=True,
    ),
    ("api_v1.delete_location", "DELETE"): Case(
        ("admin",), 204, lambda s, r: f"/api/v1/locations/{_new_location(s, 'x' + r)}"
    ),
    ("api_v1.audit", "GET"): Case(("admin", "auditor"), 200, fixed("/api/v1/audit")),
}


CASES.update(COMPOSER_CASES)
CASES.update(SCHEDULE_CASES)
CASES.update(DEVICE_CASES)
CASES.update(AUDIT_CASES)


def _own_token(svc: Any, role: str) -> int:
    owner = role if role in ROLES else "staff"
    user = next(u for u in svc.users.list_users() if u.username == owner)
    token, _secret = svc.users.create_token(user, "to revoke")
    return int(token.id)


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def test_every_route_declares_a_policy(app: Flask) -> None:
    assert endpoints_without_policy(app) == []


def test_a_route_without_policy_is_reported(app: Flask) -> None:
    @app.get("/forgotten")
    def forgotten() -> str:
        return "open to all by mistake"

    assert endpoints_without_policy(app) == ["forgotten"]


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    assert registered_routes(app) == set(CASES), "add the new route to CASES with its roles"


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]}:{r[1]}")
def test_each_role_gets_the_expected_status(tmp_path: Any, route: tuple[str, str]) -> None:
    svc = build(make_settings(tmp_path))
    try:
        seed_users(svc)
        app = make_app(svc)
        case = CASES[route]
        endpoint, method = route
        tokens = {role: api_token(svc, role) for role in ROLES}
        # Device routes: user tokens and anonymous get 401; a device token gets the status.
        device = getattr(case, "device", False)
        for role in (*ANYONE, "device") if device else ANYONE:
            client = app.test_client()
            headers = {}
            if role == "device":
                headers["Authorization"] = f"Bearer {device_token(svc)}"
            elif endpoint.startswith("api_") or device:
                if role != "anonymous":
                    headers["Authorization"] = f"Bearer {tokens[role]}"
            elif role != "anonymous":
                login(client, role)
            path = case.path(svc, role)
            body = case.body(svc, role) if case.body else None
            before = counts(svc)
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs["json" if case.json else "data"] = body
            response = client.open(path, method=method, **kwargs)
            if role in case.allowed or role == "device":
                assert response.status_code == case.status, (role, response.data[:300])
            else:
                expected = 401 if role == "anonymous" or device else 403
                assert response.status_code == expected, (role, response.data[:300])
                assert counts(svc) == before, f"{role} was refused but something was written"
    finally:
        svc.engine.dispose()
