"""Template pages: the designs, staff copies and adjustments, and still previews."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from signage.domain.errors import ConflictError, ValidationError
from signage.domain.quotes import QuoteSpec
from signage.domain.template_codec import template_to_dict
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import TemplateAdjustForm
from signage.web.forms_errors import attach_error
from signage.web.policy import allow

bp = Blueprint("templates", __name__)
SAMPLE = QuoteSpec(
    text="Ҳеҷ кас набояд ба шиканҷа ё муносибат ва ҷазои бераҳмона, ғайриинсонӣ ё таҳқиркунандаи "
    "шаъну шараф гирифтор шавад.",
    language="tg",
    author="Эъломияи умумии ҳуқуқи башар",
    author_role="моддаи 5",
)


@bp.get("/templates")
@allow()
def index() -> Any:
    return render_template("templates.html", templates=services().templates.list_templates())


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@allow()
def detail(template_id: int) -> Any:
    stored = services().templates.get_template(template_id)
    form = TemplateAdjustForm()
    status = 200
    if form.is_submitted():
        if not acting_user().has_any(frozenset({Role.STAFF, Role.ADMIN})):
            return render_template("error.html", status=403, message="Staff adjust templates."), 403
        try:
            if stored.builtin or (form.name.data or "").strip():
                name = (form.name.data or "").strip()
                if not name:
                    raise ValidationError("name", "a built-in design is copied: name the copy")
                stored = services().templates.copy_template(
                    acting_user().username, template_id, name, form.changes()
                )
                flash(f"Template '{name}' created.")
            else:
                stored = services().templates.adjust_template(
                    acting_user().username, template_id, form.changes()
                )
                flash(f"Saved as version {stored.version}.")
        except (ValidationError, ConflictError) as exc:
            attach_error(form, exc)
            status = 422
        else:
            return redirect(url_for("templates.detail", template_id=stored.template_id), 303)
    else:
        form.fill(template_to_dict(stored.template))
    quotes = services().quotes.search_quotes()
    return render_template(
        "template_detail.html",
        stored=stored,
        form=form,
        quotes=quotes,
        images=services().media.list_assets(),
    ), status


def _size(args: Any) -> tuple[int, int]:
    try:
        return int(args.get("w", 960)), int(args.get("h", 540))
    except ValueError:
        raise ValidationError("size", "w and h must be whole numbers of pixels") from None


@bp.get("/templates/<int:template_id>/preview.png")
@allow()
def preview(template_id: int) -> Any:
    """A still drawn by the same layout code as the video, for any quote and photo."""
    quote_id = request.args.get("quote", type=int)
    spec = services().quotes.get_quote(quote_id).current.spec if quote_id else SAMPLE
    image = request.args.get("image") or None
    png = services().creatives.preview(spec, template_id, image, _size(request.args))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
