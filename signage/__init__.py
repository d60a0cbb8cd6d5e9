"""Signage: a digital signage scheduler for city billboard monitors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from signage.bootstrap import Services
    from signage.config import Settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the Flask app; settings default to config.yaml (or $SIGNAGE_CONFIG)."""
    from flask import Flask

    from signage.bootstrap import build_services
    from signage.config import load_settings, secret_key
    from signage.web import init_web

    if services is None:
        settings = settings or load_settings(os.environ.get("SIGNAGE_CONFIG", "config.yaml"))
        services = build_services(settings)
    settings = services.settings
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    config: dict[str, Any] = {
        "SECRET_KEY": secret_key(settings),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.server.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": settings.server.secure_cookies,
        "MAX_CONTENT_LENGTH": settings.media.max_upload_mb * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
    }
    app.config.update(config)
    app.extensions["signage"] = services
    init_web(app, login_rate_limit=settings.server.login_rate_limit)
    hops = settings.server.proxy_hops
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address as the trusted proxies saw it (what the limits key on). Host
        # and scheme stay as received: nothing here builds absolute URLs from them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    return app
