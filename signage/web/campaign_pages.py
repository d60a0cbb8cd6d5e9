"""Campaign pages: facts, entries, documents, review, approval, withdrawal, calendar export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for

from signage.domain.errors import ConflictError, ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.policy import allow

bp = Blueprint("campaigns", __name__)
EDITORS = (Role.STAFF, Role.ADMIN)
ACTIONS = {
    "submit": "submitted for review",
    "approve": "approved",
    "reject": "rejected",
    "reopen": "reopened as a draft",
    "withdraw": "withdrawn from every screen",
    "copy": "copied into a new draft",
}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _facts(form: Any) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "first_date": form.get("first_date", ""),
        "last_date": form.get("last_date", ""),
    }


@bp.route("/campaigns", methods=["GET", "POST"])
@allow()
def index() -> Any:
    error, status = None, 200
    if request.method == "POST":
        try:
            campaign = services().campaigns.create_campaign(acting_user(), _facts(request.form))
        except ValidationError as exc:
            error, status = exc, 422
        else:
            flash(f"Campaign '{campaign.name}' created as a draft.")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id), 303)
    campaigns = services().campaigns.list_campaigns()
    return render_template(
        "campaigns.html", campaigns=campaigns, error=error, form=request.form
    ), status


def _page(campaign_id: int, error: Exception | None = None, status: int = 200) -> Any:
    svc = services()
    campaign = svc.campaigns.get_campaign(campaign_id)
    users = {u.id: u for u in svc.users.list_users()}
    return render_template(
        "campaign_detail.html",
        campaign=campaign,
        entries=svc.campaign_content.entries(campaign_id),
        documents=svc.campaign_content.documents(campaign_id),
        approvals=svc.campaigns.approvals(campaign_id),
        warnings=svc.plans.schedule_warnings(campaign_id),
        playlists={t.playlist.id: t for t in svc.playlists.list_playlists()},
        locations={loc.id: loc for loc in svc.locations.list_locations()},
        users=users,
        error=error,
        form=request.form if error else {},
        weekday_names=WEEKDAY_NAMES,
    ), status


@bp.get("/campaigns/<int:campaign_id>")
@allow()
def detail(campaign_id: int) -> Any:
    return _page(campaign_id)


@bp.post("/campaigns/<int:campaign_id>")
@allow(*EDITORS)
def update(campaign_id: int) -> Any:
    try:
        services().campaigns.update_campaign(acting_user(), campaign_id, _facts(request.form))
    except (ValidationError, ConflictError) as exc:
        return _page(campaign_id, exc, 422)
    flash("Campaign saved.")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id), 303)


@bp.post("/campaigns/<int:campaign_id>/entries")
@allow(*EDITORS)
def add_entry(campaign_id: int) -> Any:
    form = request.form
    data = {
        "playlist_id": form.get("playlist_id", ""),
        "location_ids": form.getlist("location_ids"),
        "tags": [t for t in form.get("tags", "").split(",") if t.strip()],
        "first_date": form.get("first_date", ""),
        "last_date": form.get("last_date", ""),
        "window": form.get("window", ""),
        "weekdays": form.getlist("weekdays"),
        "priority": form.get("priority", ""),
    }
    try:
        services().campaign_content.add_entry(acting_user(), campaign_id, data)
    except (ValidationError, ConflictError) as exc:
        return _page(campaign_id, exc, 422)
    flash("Entry added.")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id, _anchor="entries"), 303)


@bp.post("/campaigns/<int:campaign_id>/entries/<int:entry_id>/delete")
@allow(*EDITORS)
def remove_entry(campaign_id: int, entry_id: int) -> Any:
    services().campaign_content.remove_entry(acting_user(), entry_id)
    flash("Entry removed.")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id, _anchor="entries"), 303)


@bp.post("/campaigns/<int:campaign_id>/documents")
@allow(*EDITORS)
def attach(campaign_id: int) -> Any:
    upload = request.files.get("document")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("document", "choose a PDF or image to attach")
        services().campaign_content.attach_document(
            acting_user(), campaign_id, upload.stream, upload.filename
        )
    except ValidationError as exc:
        return _page(campaign_id, exc, 422)
    flash(f"{upload.filename} attached.")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id), 303)


@bp.get("/campaigns/documents/<int:document_id>")
@allow()
def document(document_id: int) -> Any:
    doc, path = services().campaign_content.document_file(document_id)
    return send_file(path, mimetype=doc.mime, download_name=doc.original_name)


@bp.post("/campaigns/<int:campaign_id>/<any(submit,approve,reject,reopen,withdraw,copy):action>")
@allow()
def act(campaign_id: int, action: str) -> Any:
    """State transitions; the services refuse what the user's roles or four-eyes forbid."""
    svc, user, reason = services().campaigns, acting_user(), request.form.get("reason", "")
    try:
        if action == "withdraw" and not reason.strip():
            raise ValidationError("reason", "say why the campaign is withdrawn")
        if action == "submit":
            svc.submit(user, campaign_id)
        elif action == "approve":
            svc.approve(user, campaign_id)
        elif action == "reject":
            svc.reject(user, campaign_id, reason)
        elif action == "reopen":
            svc.reopen(user, campaign_id)
        elif action == "withdraw":
            svc.withdraw(user, campaign_id, reason)
        else:
            copy = svc.copy_campaign(user, campaign_id)
            flash(f"Campaign {ACTIONS[action]}.")
            return redirect(url_for("campaigns.detail", campaign_id=copy.id), 303)
    except (ValidationError, ConflictError) as exc:
        return _page(campaign_id, exc, 422 if isinstance(exc, ValidationError) else 409)
    flash(f"Campaign {ACTIONS[action]}.")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id), 303)


@bp.get("/campaigns/<int:campaign_id>/review")
@allow()
def review(campaign_id: int) -> Any:
    """What the approver signs: every render of every creative, the screens, the changes."""
    svc = services()
    campaign = svc.campaigns.get_campaign(campaign_id)
    creatives = {c.id: c for c in svc.creatives.list_creatives()}
    return render_template(
        "campaign_review.html",
        campaign=campaign,
        review=svc.review.review(campaign_id),
        creatives=creatives,
        locations={loc.id: loc for loc in svc.locations.list_locations()},
    )


@bp.get("/campaigns/<int:campaign_id>/calendar.ics")
@allow()
def calendar(campaign_id: int) -> Any:
    """The campaign's schedule as an iCalendar file, for staff calendars."""
    body = services().calendar.campaign_calendar(campaign_id)
    headers = {"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.ics"'}
    return Response(body, mimetype="text/calendar", headers=headers)
