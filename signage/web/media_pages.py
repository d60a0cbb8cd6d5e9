"""The media library pages: upload, list with thumbnails, serve files to the browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, send_file, url_for

from signage.domain.assets import UploadRefusedError
from signage.domain.errors import NotFoundError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import UploadForm
from signage.web.policy import allow

bp = Blueprint("media", __name__)


@bp.get("/media")
@allow()
def index() -> Any:
    return render_template("media.html", assets=services().media.list_assets(), form=UploadForm())


@bp.post("/media")
@allow(Role.STAFF, Role.ADMIN)
def upload() -> Any:
    form = UploadForm()
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = ["choose a file to upload"]
        return _page(form, 422)
    try:
        info, created = services().media.upload(
            acting_user().username, upload.stream, upload.filename
        )
    except UploadRefusedError as exc:
        form.file.errors = [f"{upload.filename}: {exc.reason}"]
        return _page(form, exc.http_status)
    flash(f"{upload.filename} {'uploaded' if created else 'was already in the library'}.")
    return redirect(url_for("media.index", _anchor=info.sha256[:12]), 303)


def _page(form: UploadForm, status: int) -> Any:
    return render_template("media.html", assets=services().media.list_assets(), form=form), status


@bp.get("/media/<sha256>/thumbnail")
@allow()
def thumbnail(sha256: str) -> Any:
    asset = services().media.get_asset(sha256)
    path = services().media.files.thumbnail_path(asset.info.sha256)
    if not path.exists():
        raise NotFoundError("this asset has no thumbnail")
    return send_file(path, mimetype="image/jpeg", max_age=31536000)


@bp.get("/media/<sha256>/file")
@allow()
def file(sha256: str) -> Any:
    asset = services().media.get_asset(sha256)
    path = services().media.path_of(sha256)
    return send_file(path, mimetype=asset.info.mime, conditional=True, max_age=31536000)
