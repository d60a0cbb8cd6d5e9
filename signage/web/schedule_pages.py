"""Per-location schedule preview (day and week timelines, what is on at T) and emergency blanks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for

from signage.domain.errors import ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.policy import allow

bp = Blueprint("schedule", __name__)


def _local_instant(zone: ZoneInfo, day_text: str | None, at_text: str | None) -> datetime:
    """The instant shown: the given local day and time, else now."""
    now = services().clock.now().astimezone(zone)
    try:
        day = date.fromisoformat(day_text) if day_text else now.date()
    except ValueError:
        raise ValidationError("day", f"'{day_text}' is not a date like 2026-06-01") from None
    try:
        clock = time.fromisoformat(at_text) if at_text else now.time()
    except ValueError:
        raise ValidationError("at", f"'{at_text}' is not a time like 14:30") from None
    return datetime.combine(day, clock.replace(tzinfo=None), zone)


@bp.get("/locations/<int:location_id>/schedule")
@allow()
def location(location_id: int) -> Any:
    svc = services()
    place = svc.locations.get_location(location_id)
    zone = ZoneInfo(place.spec.timezone)
    at = _local_instant(zone, request.args.get("day"), request.args.get("at"))
    days = 7 if request.args.get("view", "week") == "week" else 1
    lanes = svc.timeline.timeline(location_id, at, days)
    on_air = svc.plans.what_is_on(location_id, at.astimezone(UTC))
    creatives = {c.id: c for c in svc.creatives.list_creatives()}
    return render_template(
        "schedule.html",
        location=place,
        lanes=lanes,
        at=at,
        days=days,
        on_air=on_air,
        creatives=creatives,
        zone=zone,
        prev_day=(at - timedelta(days=days)).date(),
        next_day=(at + timedelta(days=days)).date(),
    )


@bp.route("/blanks", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.APPROVER, Role.AUDITOR)
def blanks() -> Any:
    svc = services()
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "lift":
                svc.campaigns.lift_blank(
                    acting_user(), int(form.get("blank_id", "0")), form.get("reason", "")
                )
                flash("Blank lifted; the screens return to their plan.")
            else:
                target = form.get("location_id", "")
                location_id = int(target) if target not in ("", "all") else None
                svc.campaigns.blank(acting_user(), location_id, form.get("reason", ""))
                flash("Emergency blank in force: the screens show black now.")
        except ValidationError as exc:
            error, status = exc, 422
        except ValueError:
            error, status = ValidationError("location_id", "choose a location or all"), 422
        else:
            return redirect(url_for("schedule.blanks"), 303)
    return render_template(
        "blanks.html",
        blanks=svc.campaigns.blanks(),
        locations=svc.locations.list_locations(),
        error=error,
    ), status
