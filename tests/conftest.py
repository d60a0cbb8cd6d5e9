"""Shared fixtures: settings in a temporary folder, a migrated database, the app."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from signage.config import Settings, load_settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("SIGNAGE_TEST_DATABASE_URL", "")


def need(condition: bool, reason: str) -> None:
    """Skip with a printed reason on a user's machine; fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def make_settings(tmp_path: Path, database_url: str | None = None, **sections: Any) -> Settings:
    overrides: dict[str, dict[str, Any]] = {
        "database": {"url": database_url or f"sqlite:///{tmp_path / 'signage.db'}"},
        "media": {"root": str(tmp_path / "media")},
        "server": {"secret_key_file": str(tmp_path / "instance" / "secret_key")},
        "backup": {"directory": str(tmp_path / "backups")},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_settings(None, environ={}, overrides=overrides)


def config_file(tmp_path: Path) -> Path:
    """A config.yaml in `tmp_path` for a separate process (CLI, gunicorn): everything in
    that folder, paths relative to the file."""
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": "sqlite:///signage.db"},
                "server": {"secret_key_file": "instance/secret_key"},
                "media": {"root": "media"},
            }
        )
    )
    return path


def reset_postgres(url: str) -> None:
    """Drop everything in the test database so each test starts empty."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each DB-facing test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'signage.db'}"
    need(bool(PG_URL), "SIGNAGE_TEST_DATABASE_URL is not set (make test starts PostgreSQL)")
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def build(settings: Settings) -> Any:
    from signage.adapters.db.migrate import upgrade
    from signage.adapters.passwords import Argon2Hasher
    from signage.bootstrap import build_services

    services = build_services(settings, hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    return services


@pytest.fixture
def services(settings: Settings) -> Iterator[Any]:
    svc = build(settings)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def db_services(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Services on SQLite, then on PostgreSQL (when configured)."""
    svc = build(make_settings(tmp_path, database_url))
    yield svc
    svc.engine.dispose()


PASSWORD = "correct horse battery"
ROLES = ("admin", "staff", "approver", "auditor")


def seed_users(services: Any) -> dict[str, Any]:
    """One user per role, named after it."""
    return {
        role: services.users.create_user("test", role, PASSWORD, [role], role.title())
        for role in ROLES
    }


def make_app(services: Any, csrf: bool = False) -> Any:
    from signage import create_app

    app = create_app(services=services)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=csrf)
    return app


@pytest.fixture
def app(services: Any) -> Any:
    seed_users(services)
    return make_app(services)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response


def api_token(services: Any, username: str) -> str:
    user = services.users.list_users()
    owner = next(u for u in user if u.username == username)
    _token, secret = services.users.create_token(owner, f"{username} test token")
    return str(secret)


def csrf_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


def counts(services: Any) -> tuple[int, int, int]:
    """(locations, users, audit events): unchanged counts mean nothing was written."""
    summary = services.status.summary()
    return summary["locations"], summary["users"], summary["audit_events"]
