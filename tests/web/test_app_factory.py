"""create_app takes its settings from the caller; importing signage does no work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import build, make_settings


def test_create_app_uses_the_injected_settings(tmp_path: Path) -> None:
    from signage import create_app

    services = build(make_settings(tmp_path, server={"secure_cookies": True}))
    app = create_app(services=services)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.extensions["signage"] is services
    assert app.test_client().get("/healthz").get_json()["ok"] is True
    services.engine.dispose()


def test_healthz_reports_a_broken_database(tmp_path: Path) -> None:
    from signage import create_app

    settings = make_settings(tmp_path)
    services = build(settings)
    app = create_app(services=services)
    services.engine.dispose()
    (tmp_path / "signage.db").unlink()
    (tmp_path / "signage.db").mkdir()  # a folder where the file was: nothing can open it
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["ok"] is False


def test_importing_signage_touches_nothing() -> None:
    code = (
        "import sys, signage, signage.web, signage.services.users;"
        "print(','.join(m for m in ('sqlalchemy','flask_login','moviepy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "flask_login"  # web imports Flask-Login; no engine, no moviepy


def test_errors_are_json_under_api_and_html_elsewhere(app: Any) -> None:
    client = app.test_client()
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json()["error"] == "not_found"
    page = client.get("/nothing-here")
    assert page.status_code == 404
    assert b"<html" in page.data
