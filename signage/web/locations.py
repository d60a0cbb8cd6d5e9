"""Location pages: list for everyone, create/edit/delete for admins."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from signage.domain.errors import ConflictError, ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import ConfirmForm, LocationForm
from signage.web.forms_errors import attach_error
from signage.web.policy import allow

bp = Blueprint("locations", __name__)


@cache
def _zones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z)


@bp.get("/locations")
@allow()
def index() -> Any:
    listed = services().locations.list_locations()
    return render_template("locations.html", locations=listed, confirm=ConfirmForm())


def _form_page(form: LocationForm, title: str, status: int = 200) -> Any:
    return render_template("location_form.html", form=form, title=title, zones=_zones()), status


@bp.route("/locations/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create() -> Any:
    form = LocationForm()
    if not form.is_submitted():
        form.timezone.data = services().settings.schedule.default_timezone
        return _form_page(form, "New location")
    if form.validate():
        try:
            location = services().locations.create_location(acting_user().username, form.to_data())
        except (ValidationError, ConflictError) as exc:
            attach_error(form, exc)
        else:
            flash(f"Location {location.spec.name} created.")
            return redirect(url_for("locations.index"), 303)
    return _form_page(form, "New location", 422)


@bp.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(location_id: int) -> Any:
    location = services().locations.get_location(location_id)
    form = LocationForm()
    title = f"Edit {location.spec.name}"
    if not form.is_submitted():
        form.fill(location.spec.as_dict())
        return _form_page(form, title)
    if form.validate():
        try:
            services().locations.update_location(
                acting_user().username, location_id, form.to_data()
            )
        except (ValidationError, ConflictError) as exc:
            attach_error(form, exc)
        else:
            flash(f"Location {form.name.data} saved.")
            return redirect(url_for("locations.index"), 303)
    return _form_page(form, title, 422)


@bp.post("/locations/<int:location_id>/delete")
@allow(Role.ADMIN)
def delete(location_id: int) -> Any:
    ConfirmForm()
    try:
        services().locations.delete_location(acting_user().username, location_id)
    except ConflictError as exc:
        flash(str(exc), "error")
        return redirect(url_for("locations.index"), 303)
    flash("Location deleted.")
    return redirect(url_for("locations.index"), 303)
