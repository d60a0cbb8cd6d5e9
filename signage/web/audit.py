"""The audit trail page for admins and auditors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request

from signage.domain.errors import ValidationError
from signage.domain.users import Role
from signage.services.ports import AuditFilter
from signage.web.context import services
from signage.web.policy import allow

bp = Blueprint("audit", __name__)
PAGE = 100


def parse_day(text: str | None, field: str) -> datetime | None:
    """Start of a UTC day from `YYYY-MM-DD`, or None when empty."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise ValidationError(field, f"'{text}' is not a date like 2026-06-01") from None
    return datetime.combine(day, time(0), tzinfo=UTC)


def audit_filter_from(args: Any) -> AuditFilter:
    """An AuditFilter from query parameters (actor, object_type, action, since, until, page)."""
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        raise ValidationError("page", "must be a whole number") from None
    until = parse_day(args.get("until"), "until")
    return AuditFilter(
        actor=args.get("actor") or None,
        object_type=args.get("object_type") or None,
        action=args.get("action") or None,
        since=parse_day(args.get("since"), "since"),
        until=until + timedelta(days=1) if until else None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )


@bp.get("/audit")
@allow(Role.ADMIN, Role.AUDITOR)
def index() -> Any:
    audit_filter = audit_filter_from(request.args)
    events = services().audit.events(audit_filter)
    page = audit_filter.offset // PAGE + 1
    return render_template("audit.html", events=events, args=request.args, page=page, size=PAGE)
