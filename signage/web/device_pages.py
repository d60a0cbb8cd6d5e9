"""Device pages: the list and detail (admins; auditors read), binding by code, revocation,
screenshots, and how far a withdrawal or blank got (approvers, admins, auditors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from signage.domain.errors import ConflictError, NotFoundError, ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.policy import allow

bp = Blueprint("devices", __name__)

READERS = (Role.ADMIN, Role.AUDITOR)
TAKEDOWN_READERS = (Role.APPROVER, Role.ADMIN, Role.AUDITOR)


@bp.app_context_processor
def _alerts() -> dict[str, Any]:
    # Lazy: only the dashboard calls it.
    return {"device_alerts": lambda: services().devices.dashboard_alerts()}


def _list_page(status: int = 200, **extra: Any) -> Any:
    svc = services()
    return render_template(
        "devices.html",
        devices=svc.devices.list_devices(),
        pending=svc.devices.pending_enrolments(),
        locations=svc.locations.list_locations(),
        poll_s=svc.settings.player.poll_interval_seconds,
        **extra,
    ), status


@bp.get("/devices")
@allow(*READERS)
def index() -> Any:
    return _list_page()


@bp.post("/devices/bind")
@allow(Role.ADMIN)
def bind() -> Any:
    code = request.form.get("code", "")
    location = request.form.get("location_id", "")
    fingerprint = request.form.get("fingerprint") or None
    form = {"code": code, "location_id": location}
    svc = services()
    try:
        location_id = int(location) if location.strip().isdigit() else 0
        if not location_id:
            raise ValidationError("location_id", "choose a location")
        if fingerprint is None:
            # First step: show the key's fingerprint so the admin compares it with the screen.
            enrolment = svc.devices.pending_enrolment(code)
            svc.locations.get_location(location_id)
            return _list_page(confirm=enrolment, form=form)
        device = svc.devices.bind_device(acting_user(), code, location_id, fingerprint)
    except (ValidationError, ConflictError, NotFoundError) as exc:
        return _list_page(422, error=str(exc), form=form)
    flash(f"Device {device.id} bound; it collects its token on its next poll.")
    return redirect(url_for("devices.detail", device_id=device.id), 303)


@bp.get("/devices/<int:device_id>")
@allow(*READERS)
def detail(device_id: int) -> Any:
    svc = services()
    return render_template(
        "device_detail.html",
        d=svc.devices.device_detail(device_id),
        poll_s=svc.settings.player.poll_interval_seconds,
    )


@bp.post("/devices/<int:device_id>/revoke")
@allow(Role.ADMIN)
def revoke(device_id: int) -> Any:
    services().devices.revoke_device(acting_user(), device_id, request.form.get("reason", ""))
    flash(f"Device {device_id} revoked; its key can never enrol again.")
    return redirect(url_for("devices.detail", device_id=device_id), 303)


@bp.post("/devices/<int:device_id>/screenshot")
@allow(Role.ADMIN)
def request_screenshot(device_id: int) -> Any:
    services().devices.request_screenshot(acting_user(), device_id)
    flash("Screenshot requested; the device sends it after its next heartbeat.")
    return redirect(url_for("devices.detail", device_id=device_id), 303)


@bp.get("/devices/<int:device_id>/screenshot.png")
@allow(*READERS)
def screenshot(device_id: int) -> Any:
    shot = services().devices.screenshot(device_id)
    response = Response(shot.data, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def _takedown(**target: int) -> Any:
    status = services().devices.takedown_status(**target)
    template = "_takedown.html" if request.args.get("fragment") else "takedown.html"
    return render_template(template, t=status)


@bp.get("/campaigns/<int:campaign_id>/takedown")
@allow(*TAKEDOWN_READERS)
def campaign_takedown(campaign_id: int) -> Any:
    return _takedown(campaign_id=campaign_id)


@bp.get("/blanks/<int:blank_id>/takedown")
@allow(*TAKEDOWN_READERS)
def blank_takedown(blank_id: int) -> Any:
    return _takedown(blank_id=blank_id)
