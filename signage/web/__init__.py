"""The Flask layer: blueprints, access policies, error mapping, templates."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from signage.web import (
    api_library,
    api_schedule,
    api_v1,
    audit,
    auditor_pages,
    auth,
    campaign_pages,
    creative_pages,
    dashboard,
    device_pages,
    locations,
    media_pages,
    player_api,
    playlist_pages,
    quote_pages,
    schedule_pages,
    template_pages,
    users,
)
from signage.web.errors import register_error_handlers


def init_web(app: Flask, login_rate_limit: str) -> None:
    """Register every blueprint, CSRF protection, login and the OpenAPI document."""
    csrf = CSRFProtect(app)
    pages = (auth, dashboard, users, locations, audit, quote_pages, media_pages, template_pages)
    scheduling = (playlist_pages, campaign_pages, schedule_pages)
    for module in (*pages, creative_pages, *scheduling):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(api_library.bp)
    app.register_blueprint(api_schedule.bp)
    app.register_blueprint(api_v1.docs)
    app.register_blueprint(device_pages.bp)
    app.register_blueprint(auditor_pages.bp)
    app.register_blueprint(player_api.bp)
    # The API authenticates by bearer token only, never by cookie, so CSRF cannot apply.
    csrf.exempt(api_v1.bp)
    csrf.exempt(api_library.bp)
    csrf.exempt(api_schedule.bp)
    csrf.exempt(player_api.bp)  # devices authenticate by bearer token or key signature
    auth.init_auth(app, login_rate_limit)
    player_api.install_server_time(app)
    register_error_handlers(app)
