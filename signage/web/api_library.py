"""/api/v1 for the composer: quotes, media, templates, creatives, render jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from spectree import Response as Resp

from signage.domain.users import Role
from signage.web.api_v1 import ERRORS, spec, validated
from signage.web.context import acting_user, services
from signage.web.policy import api_allow
from signage.web.presenters import asset_out, creative_out, job_out, quote_out, template_out
from signage.web.schemas import Problem
from signage.web.schemas_library import (
    AssetList,
    AssetOut,
    CreativeIn,
    CreativeList,
    CreativeOut,
    QuoteIn,
    QuoteList,
    QuoteOut,
    QuoteQuery,
    RenderJobList,
    RenderJobOut,
    RenderRequestIn,
    TemplateAdjustIn,
    TemplateCopyIn,
    TemplateList,
    TemplateOut,
    TranslationIn,
    UploadQuery,
)

bp = Blueprint("api_library", __name__, url_prefix="/api/v1")
EDITORS = (Role.STAFF, Role.ADMIN)
NOT_FOUND = {"HTTP_404": Problem}


@bp.get("/quotes")
@api_allow()
@spec.validate(query=QuoteQuery, resp=Resp(HTTP_200=QuoteList, **ERRORS), tags=["quotes"])
def list_quotes() -> Any:
    """Quotes, newest first; `q` searches text and author."""
    q = validated(request.context.query, QuoteQuery)
    found = services().quotes.search_quotes(q.q, q.language)
    return QuoteList(items=[quote_out(x) for x in found])


@bp.post("/quotes")
@api_allow(*EDITORS)
@spec.validate(json=QuoteIn, resp=Resp(HTTP_201=QuoteOut, **ERRORS), tags=["quotes"])
def create_quote() -> Any:
    """Create a quote (version 1)."""
    data = validated(request.context.json, QuoteIn).model_dump()
    return quote_out(services().quotes.create_quote(acting_user().username, data)), 201


@bp.get("/quotes/<int:quote_id>")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=QuoteOut, **NOT_FOUND, **ERRORS), tags=["quotes"])
def get_quote(quote_id: int) -> Any:
    """One quote, newest version."""
    return quote_out(services().quotes.get_quote(quote_id))


@bp.put("/quotes/<int:quote_id>")
@api_allow(*EDITORS)
@spec.validate(json=QuoteIn, resp=Resp(HTTP_200=QuoteOut, **NOT_FOUND, **ERRORS), tags=["quotes"])
def edit_quote(quote_id: int) -> Any:
    """Edit a quote: stores a new version; renderings keep their version."""
    data = validated(request.context.json, QuoteIn).model_dump()
    services().quotes.edit_quote(acting_user().username, quote_id, data)
    return quote_out(services().quotes.get_quote(quote_id))


@bp.post("/quotes/<int:quote_id>/translations")
@api_allow(*EDITORS)
@spec.validate(
    json=TranslationIn, resp=Resp(HTTP_200=QuoteOut, **NOT_FOUND, **ERRORS), tags=["quotes"]
)
def link_translation(quote_id: int) -> Any:
    """Mark another quote as a translation of this one."""
    other = validated(request.context.json, TranslationIn).translation_of
    return quote_out(services().quotes.link_translation(acting_user().username, quote_id, other))


@bp.get("/media")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=AssetList, **ERRORS), tags=["media"])
def list_media() -> Any:
    """Uploaded and rendered assets, newest first."""
    return AssetList(items=[asset_out(a) for a in services().media.list_assets()])


@bp.post("/media")
@api_allow(*EDITORS)
@spec.validate(
    query=UploadQuery,
    resp=Resp(HTTP_201=AssetOut, HTTP_200=AssetOut, HTTP_413=Problem, **ERRORS),
    tags=["media"],
)
def upload_media() -> Any:
    """Upload a file as the raw request body; `name` is kept for display only."""
    name = validated(request.context.query, UploadQuery).name
    info, created = services().media.upload(acting_user().username, request.stream, name)
    stored = services().media.get_asset(info.sha256)
    return asset_out(stored, created), (201 if created else 200)


@bp.get("/templates")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=TemplateList, **ERRORS), tags=["templates"])
def list_templates() -> Any:
    """Every template's newest version."""
    return TemplateList(items=[template_out(t) for t in services().templates.list_templates()])


@bp.post("/templates/<int:template_id>/copies")
@api_allow(*EDITORS)
@spec.validate(
    json=TemplateCopyIn,
    resp=Resp(HTTP_201=TemplateOut, HTTP_409=Problem, **NOT_FOUND, **ERRORS),
    tags=["templates"],
)
def copy_template(template_id: int) -> Any:
    """Copy a template under a new name, with adjustments."""
    body = validated(request.context.json, TemplateCopyIn)
    stored = services().templates.copy_template(
        acting_user().username, template_id, body.name, body.changes
    )
    return template_out(stored), 201


@bp.patch("/templates/<int:template_id>")
@api_allow(*EDITORS)
@spec.validate(
    json=TemplateAdjustIn,
    resp=Resp(HTTP_200=TemplateOut, HTTP_409=Problem, **NOT_FOUND, **ERRORS),
    tags=["templates"],
)
def adjust_template(template_id: int) -> Any:
    """Adjust a staff template (a new version); built-ins are refused with 409."""
    body = validated(request.context.json, TemplateAdjustIn)
    stored = services().templates.adjust_template(acting_user().username, template_id, body.changes)
    return template_out(stored)


@bp.get("/creatives")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=CreativeList, **ERRORS), tags=["creatives"])
def list_creatives() -> Any:
    """Creatives with their render jobs."""
    svc = services().creatives
    items = [creative_out(c, svc.render_jobs(c.id)) for c in svc.list_creatives()]
    return CreativeList(items=items)


@bp.post("/creatives")
@api_allow(*EDITORS)
@spec.validate(json=CreativeIn, resp=Resp(HTTP_201=CreativeOut, **ERRORS), tags=["creatives"])
def create_creative() -> Any:
    """An asset creative (`asset_sha256`) or a quote creative (`quote_id` + `template_id`)."""
    body = validated(request.context.json, CreativeIn)
    svc, actor = services().creatives, acting_user().username
    if body.asset_sha256:
        creative = svc.create_asset_creative(actor, body.asset_sha256, body.name)
    else:
        creative = svc.create_quote_creative(
            actor, body.quote_id or 0, body.template_id or 0, body.image_sha256, body.name
        )
    return creative_out(creative, svc.render_jobs(creative.id)), 201


@bp.get("/creatives/<int:creative_id>")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=CreativeOut, **NOT_FOUND, **ERRORS), tags=["creatives"])
def get_creative(creative_id: int) -> Any:
    """One creative and its render jobs (progress in percent)."""
    svc = services().creatives
    return creative_out(svc.get_creative(creative_id), svc.render_jobs(creative_id))


@bp.post("/creatives/<int:creative_id>/renders")
@api_allow(*EDITORS)
@spec.validate(
    json=RenderRequestIn,
    resp=Resp(HTTP_202=RenderJobList, **NOT_FOUND, **ERRORS),
    tags=["creatives"],
)
def request_renders(creative_id: int) -> Any:
    """Queue renders for screen sizes; asking again for a size returns the same job."""
    body = validated(request.context.json, RenderRequestIn)
    svc, actor = services().creatives, acting_user().username
    jobs = [svc.request_render(actor, creative_id, (s.width, s.height)) for s in body.sizes]
    return RenderJobList(items=[job_out(j) for j in jobs]), 202


@bp.get("/render-jobs/<int:job_id>")
@api_allow()
@spec.validate(resp=Resp(HTTP_200=RenderJobOut, **NOT_FOUND, **ERRORS), tags=["creatives"])
def get_render_job(job_id: int) -> Any:
    """One render job; poll it for progress."""
    return job_out(services().creatives.render_job(job_id))


@bp.post("/render-jobs/<int:job_id>/cancel")
@api_allow(*EDITORS)
@spec.validate(
    resp=Resp(HTTP_200=RenderJobOut, HTTP_409=Problem, **NOT_FOUND, **ERRORS), tags=["creatives"]
)
def cancel_render_job(job_id: int) -> Any:
    """Cancel a queued or running render."""
    return job_out(services().creatives.cancel_render(acting_user().username, job_id))
