"""The dashboard and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from signage.services.ports import AuditFilter
from signage.web.context import services
from signage.web.policy import allow, public

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@allow()
def index() -> Any:
    svc = services()
    summary = svc.status.summary()
    recent = svc.audit.events(AuditFilter(limit=10))
    return render_template("dashboard.html", summary=summary, recent=recent)


@bp.get("/healthz")
@public
def healthz() -> Any:
    health = services().status.health()
    return jsonify(health), (200 if health["ok"] else 503)
