"""Quote pages: list, search, create, edit (a new version), link translations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from signage.domain.errors import ValidationError
from signage.domain.users import Role
from signage.web.context import acting_user, services
from signage.web.forms import QuoteForm, TranslationForm
from signage.web.forms_errors import attach_error
from signage.web.policy import allow

bp = Blueprint("quotes", __name__)
EDITORS = (Role.STAFF, Role.ADMIN)


@bp.route("/quotes", methods=["GET", "POST"])
@allow()
def index() -> Any:
    form = QuoteForm()
    status = 200
    if form.is_submitted():
        if not acting_user().has_any(frozenset(EDITORS)):
            return render_template("error.html", status=403, message="Staff add quotes."), 403
        try:
            quote = services().quotes.create_quote(acting_user().username, form.to_data())
        except ValidationError as exc:
            attach_error(form, exc)
            status = 422
        else:
            flash(f"Quote {quote.id} saved.")
            return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    q, language = request.args.get("q", ""), request.args.get("language", "")
    found = services().quotes.search_quotes(q, language)
    return render_template("quotes.html", quotes=found, form=form, q=q, language=language), status


@bp.route("/quotes/<int:quote_id>", methods=["GET", "POST"])
@allow()
def detail(quote_id: int) -> Any:
    quote = services().quotes.get_quote(quote_id)
    form, link = QuoteForm(), TranslationForm(prefix="link")
    status = 200
    if form.is_submitted():
        if not acting_user().has_any(frozenset(EDITORS)):
            return render_template("error.html", status=403, message="Staff edit quotes."), 403
        try:
            version = services().quotes.edit_quote(acting_user().username, quote_id, form.to_data())
        except ValidationError as exc:
            attach_error(form, exc)
            status = 422
        else:
            flash(f"Saved as version {version.version}.")
            return redirect(url_for("quotes.detail", quote_id=quote_id), 303)
    else:
        spec = quote.current.spec
        form.text.data, form.language.data, form.author.data = spec.text, spec.language, spec.author
        form.author_role.data, form.source.data = spec.author_role, spec.source
        form.tags.data = ", ".join(sorted(spec.tags))
    versions = services().quotes.quote_versions(quote_id)
    translations = [services().quotes.get_quote(i) for i in quote.translations]
    return render_template(
        "quote_detail.html",
        quote=quote,
        form=form,
        link=link,
        versions=versions,
        translations=translations,
        templates=services().templates.list_templates(),
    ), status


@bp.post("/quotes/<int:quote_id>/translations")
@allow(*EDITORS)
def link_translation(quote_id: int) -> Any:
    link = TranslationForm(prefix="link")
    try:
        other = int((link.translation_of.data or "").strip().lstrip("#"))
    except ValueError:
        flash("Give the number of the quote that translates this one.", "error")
        return redirect(url_for("quotes.detail", quote_id=quote_id), 303)
    services().quotes.link_translation(acting_user().username, quote_id, other)
    flash(f"Quote {other} linked as a translation.")
    return redirect(url_for("quotes.detail", quote_id=quote_id), 303)
