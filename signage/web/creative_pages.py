"""Creative pages: quote renderings and uploaded media, render requests with progress."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from signage.domain.assets import AssetKind
from signage.domain.errors import ConflictError, ValidationError
from signage.domain.templates import RenderRefusedError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import AssetCreativeForm, ConfirmForm, CreativeForm, RenderForm
from signage.web.forms_errors import attach_error
from signage.web.policy import allow
from signage.web.presenters import job_out
from signage.web.template_pages import _size

bp = Blueprint("creatives", __name__)
EDITORS = (Role.STAFF, Role.ADMIN)
_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*$")


def _choices(form: CreativeForm, assets_form: AssetCreativeForm) -> None:
    svc = services()
    form.quote_id.choices = [
        (str(q.id), f"#{q.id} [{q.current.spec.language}] {q.current.spec.text[:70]}")
        for q in svc.quotes.search_quotes()
    ]
    form.template_id.choices = [
        (str(t.template_id), t.template.name) for t in svc.templates.list_templates()
    ]
    images = svc.media.list_assets(AssetKind.IMAGE)
    form.image_sha256.choices = [("", "No photo")] + [
        (a.info.sha256, a.original_name or a.info.sha256[:12]) for a in images
    ]
    uploads = [a for a in svc.media.list_assets() if a.info.kind is not AssetKind.RENDERED]
    assets_form.asset_sha256.choices = [
        (a.info.sha256, f"{a.original_name} ({a.info.kind.value})") for a in uploads
    ]


@bp.route("/creatives", methods=["GET", "POST"])
@allow()
def index() -> Any:
    form, assets_form = CreativeForm(), AssetCreativeForm(prefix="asset")
    _choices(form, assets_form)
    status = 200
    if request.method == "POST":
        if not acting_user().has_any(frozenset(EDITORS)):
            return render_template("error.html", status=403, message="Staff make creatives."), 403
        try:
            creative = _create(form, assets_form)
        except (ValidationError, RenderRefusedError) as exc:
            attach_error(form if request.form.get("kind") == "quote" else assets_form, exc)
            status = 422
        else:
            flash(f"Creative '{creative.name}' saved.")
            return redirect(url_for("creatives.detail", creative_id=creative.id), 303)
    creatives = services().creatives.list_creatives()
    return render_template(
        "creatives.html", creatives=creatives, form=form, assets_form=assets_form
    ), status


def _create(form: CreativeForm, assets_form: AssetCreativeForm) -> Any:
    svc, actor = services().creatives, acting_user().username
    if request.form.get("kind") == "quote":
        try:
            quote_id, template_id = int(form.quote_id.data or 0), int(form.template_id.data or 0)
        except ValueError:
            raise ValidationError("quote_id", "choose a quote and a template") from None
        return svc.create_quote_creative(
            actor, quote_id, template_id, form.image_sha256.data or None, form.name.data or ""
        )
    return svc.create_asset_creative(
        actor, assets_form.asset_sha256.data or "", assets_form.name.data or ""
    )


def _screen_sizes() -> str:
    sizes = sorted(
        {
            (loc.spec.screen_width, loc.spec.screen_height)
            for loc in services().locations.list_locations()
        }
    )
    return ", ".join(f"{w}x{h}" for w, h in sizes) or "1920x1080"


@bp.get("/creatives/<int:creative_id>")
@allow()
def detail(creative_id: int, form: RenderForm | None = None, status: int = 200) -> Any:
    svc = services().creatives
    creative = svc.get_creative(creative_id)
    if form is None:
        form = RenderForm()
        form.sizes.data = _screen_sizes()
    material = svc.material(creative) if creative.kind.value == "quote" else None
    return render_template(
        "creative_detail.html",
        creative=creative,
        jobs=svc.render_jobs(creative_id),
        form=form,
        confirm=ConfirmForm(),
        material=material,
    ), status


@bp.post("/creatives/<int:creative_id>/renders")
@allow(*EDITORS)
def request_renders(creative_id: int) -> Any:
    form = RenderForm()
    try:
        sizes = [_parse_size(part) for part in (form.sizes.data or "").split(",") if part.strip()]
        if not sizes:
            raise ValidationError("sizes", "give at least one size like 1920x1080")
        for size in sizes:
            services().creatives.request_render(acting_user().username, creative_id, size)
    except (ValidationError, RenderRefusedError) as exc:
        attach_error(form, ValidationError("sizes", getattr(exc, "reason", str(exc))))
        return detail(creative_id, form=form, status=422)
    flash(f"{len(sizes)} render(s) queued; the worker renders them now.")
    return redirect(url_for("creatives.detail", creative_id=creative_id), 303)


def _parse_size(text: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if not match:
        raise ValidationError("sizes", f"'{text.strip()}' is not a size like 1920x1080")
    return int(match.group(1)), int(match.group(2))


@bp.get("/creatives/<int:creative_id>/jobs.json")
@allow()
def jobs_json(creative_id: int) -> Any:
    """Progress of the creative's renders, polled by the page's progress bars."""
    jobs = services().creatives.render_jobs(creative_id)
    return jsonify({"items": [job_out(j).model_dump(mode="json") for j in jobs]})


@bp.post("/render-jobs/<int:job_id>/cancel")
@allow(*EDITORS)
def cancel(job_id: int) -> Any:
    ConfirmForm()
    job = services().creatives.render_job(job_id)
    try:
        services().creatives.cancel_render(acting_user().username, job_id)
    except ConflictError as exc:
        flash(str(exc), "error")
    else:
        flash("Render cancelled.")
    return redirect(url_for("creatives.detail", creative_id=job.key.creative_id), 303)


@bp.get("/creatives/<int:creative_id>/preview.png")
@allow()
def preview(creative_id: int) -> Any:
    png = services().creatives.creative_preview(creative_id, _size(request.args))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
