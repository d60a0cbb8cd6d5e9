"""Domain objects to the API's response models (one place, used by API and page JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signage.domain.creatives import Creative, RenderJob
from signage.domain.quotes import Quote
from signage.domain.template_codec import template_to_dict
from signage.web.schemas_library import (
    AssetOut,
    CreativeOut,
    QuoteOut,
    RenderJobOut,
    TemplateOut,
)


def quote_out(quote: Quote) -> QuoteOut:
    """A quote with its newest version."""
    spec = quote.current.spec
    return QuoteOut(
        id=quote.id,
        version_id=quote.current.id,
        version=quote.current.version,
        text=spec.text,
        language=spec.language,
        author=spec.author,
        author_role=spec.author_role,
        source=spec.source,
        tags=sorted(spec.tags),
        translations=list(quote.translations),
    )


def asset_out(stored: Any, created: bool | None = None) -> AssetOut:
    """A stored asset (or a fresh upload's info with `created`)."""
    info = getattr(stored, "info", stored)
    return AssetOut(
        sha256=info.sha256,
        kind=info.kind.value,
        mime=info.mime,
        width=info.width,
        height=info.height,
        duration_ms=info.duration_ms,
        byte_size=info.byte_size,
        original_name=getattr(stored, "original_name", ""),
        created=created,
    )


def template_out(stored: Any) -> TemplateOut:
    """The newest (or a given) version of a template."""
    return TemplateOut(
        id=stored.template_id,
        version_id=stored.version_id,
        version=stored.version,
        name=stored.template.name,
        builtin=stored.builtin,
        spec=template_to_dict(stored.template),
    )


def job_out(job: RenderJob) -> RenderJobOut:
    """A render job with its progress in percent."""
    return RenderJobOut(
        id=job.id,
        creative_id=job.key.creative_id,
        width=job.key.width,
        height=job.key.height,
        status=job.status.value,
        progress=job.progress,
        error=job.error,
        asset_sha256=job.asset_sha256,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def creative_out(creative: Creative, jobs: Sequence[RenderJob]) -> CreativeOut:
    """A creative and its render jobs."""
    return CreativeOut(
        id=creative.id,
        name=creative.name,
        kind=creative.kind.value,
        asset_sha256=creative.asset_sha256,
        quote_version_id=creative.quote_version_id,
        template_version_id=creative.template_version_id,
        image_sha256=creative.image_sha256,
        renders=[job_out(j) for j in jobs],
    )
