"""Login, sessions, CSRF, cookie flags and the login rate limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, build, csrf_from, login, make_app, make_settings, seed_users


def test_anonymous_pages_answer_401_with_the_login_form(app: Any) -> None:
    response = app.test_client().get("/locations")
    assert response.status_code == 401
    assert b'name="password"' in response.data


def test_login_then_logout(app: Any) -> None:
    client = app.test_client()
    assert login(client, "staff").location == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 401


def test_wrong_password_is_refused_with_a_message(app: Any) -> None:
    response = app.test_client().post("/login", data={"username": "staff", "password": "nope"})
    assert response.status_code == 401
    assert b"wrong username or password" in response.data


def test_login_only_redirects_within_the_site(app: Any) -> None:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": "staff", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.location == "/"
    client.post("/logout")
    response = client.post(
        "/login", data={"username": "staff", "password": PASSWORD, "next": "/locations"}
    )
    assert response.location == "/locations"


def test_disabled_account_is_logged_out_at_its_next_request(app: Any) -> None:
    client = app.test_client()
    login(client, "staff")
    svc = app.extensions["signage"]
    staff = next(u for u in svc.users.list_users() if u.username == "staff")
    svc.users.update_user("admin", staff.id, active=False)
    assert client.get("/").status_code == 401


def test_forms_need_the_csrf_token(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path))
    seed_users(services)
    app = make_app(services, csrf=True)
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    token = csrf_from(client.get("/login").data)
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    before = services.status.summary()
    response = client.post(
        "/locations/new", data={"name": "X", "screen_width": "5", "screen_height": "5"}
    )
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert services.status.summary() == before
    services.engine.dispose()


def test_session_cookie_flags(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path, server={"secure_cookies": True}))
    seed_users(services)
    client = make_app(services).test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    services.engine.dispose()


def test_login_is_rate_limited(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path, server={"login_rate_limit": "3 per minute"}))
    seed_users(services)
    client = make_app(services).test_client()
    statuses = [
        client.post("/login", data={"username": "admin", "password": "guess"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # Even the right password waits out the limit, and the answer says how long.
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert b"Too many login attempts" in response.data
    # Another address is not held back by this one's attempts.
    other = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert other.status_code == 302
    services.engine.dispose()


def _login_statuses(client: Any, forwarded_for: str, attempts: int) -> list[int]:
    return [
        client.post(
            "/login",
            data={"username": "admin", "password": "guess"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for _ in range(attempts)
    ]


def test_behind_a_proxy_the_limit_is_per_forwarded_client(tmp_path: Path) -> None:
    server = {"login_rate_limit": "2 per minute", "proxy_hops": 1}
    services = build(make_settings(tmp_path, server=server))
    seed_users(services)
    client = make_app(services).test_client()
    # Every request comes from the proxy's address; the header names the client.
    assert _login_statuses(client, "198.51.100.1", 3) == [401, 401, 429]
    assert _login_statuses(client, "198.51.100.2", 1) == [401]
    services.engine.dispose()


def test_without_a_proxy_the_forwarded_header_is_ignored(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path, server={"login_rate_limit": "2 per minute"}))
    seed_users(services)
    client = make_app(services).test_client()
    # A client cannot dodge the limit by making up addresses.
    assert _login_statuses(client, "198.51.100.1", 2) == [401, 401]
    assert _login_statuses(client, "198.51.100.2", 1) == [429]
    services.engine.dispose()


def test_api_tokens_page_shows_the_secret_once(app: Any) -> None:
    client = app.test_client()
    login(client, "auditor")
    created = client.post("/account/tokens", data={"name": "exports"})
    assert created.status_code == 201
    assert b'id="new-token">sgn_' in created.data
    listing = client.get("/account/tokens")
    assert b"sgn_" in listing.data  # the prefix column
    assert b'id="new-token"' not in listing.data


def test_admin_manages_users_in_the_ui(app: Any) -> None:
    client = app.test_client()
    login(client, "admin")
    bad = client.post("/users", data={"username": "x", "password": PASSWORD, "roles": ["staff"]})
    assert bad.status_code == 422
    assert b"lower-case letters" in bad.data
    ok = client.post(
        "/users", data={"username": "zarina", "password": PASSWORD, "roles": ["approver"]}
    )
    assert ok.status_code == 303
    assert b"zarina" in client.get("/users").data
    svc = app.extensions["signage"]
    zarina = next(u for u in svc.users.list_users() if u.username == "zarina")
    client.post(f"/users/{zarina.id}", data={"display_name": "Zarina", "roles": ["auditor"]})
    assert svc.users.get_user(zarina.id).active is False  # unticked "Enabled"
    short = client.post(f"/users/{zarina.id}/password", data={"reset-password": "short"})
    assert short.status_code == 422
    assert b"at least 10 characters" in short.data
