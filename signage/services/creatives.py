"""Creatives, still previews and render requests (the worker renders; requests never do)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from signage.domain.assets import AssetKind, is_sha256
from signage.domain.creatives import (
    MAX_SIDE,
    MIN_SIDE,
    Creative,
    CreativeKind,
    JobStatus,
    RenderJob,
    RenderKey,
)
from signage.domain.errors import ConflictError, NotFoundError, ValidationError, valid_id
from signage.domain.quotes import QuoteSpec
from signage.domain.templates import Template
from signage.services.audit import record_event
from signage.services.library_ports import MediaFiles, Renderer
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class RenderDefaults:
    """Encoder settings from the configuration; part of every render key."""

    preset: str
    crf: int


@dataclass(frozen=True, slots=True)
class QuoteMaterial:
    """Everything a render of a quote creative needs."""

    template: Template
    quote: QuoteSpec
    image: Path | None


@dataclass(frozen=True, slots=True)
class CreativeServices:
    """Creative and render-request use cases."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    files: MediaFiles
    renderer: Renderer
    defaults: RenderDefaults

    def create_asset_creative(self, actor: str, sha256: str, name: str = "") -> Creative:
        """A creative that shows an uploaded image or video as it is."""
        with self.uow_factory() as uow:
            asset = uow.assets.get(sha256) if is_sha256(sha256) else None
            if asset is None or asset.info.kind is AssetKind.RENDERED:
                raise ValidationError("asset", "choose an uploaded image or video")
            label = name.strip() or asset.original_name or sha256[:12]
            creative = uow.creatives.add(
                label[:160], CreativeKind.ASSET, self.clock.now(), actor, asset_sha256=sha256
            )
            record_event(
                uow,
                self.clock,
                actor,
                "creative.create",
                "creative",
                creative.id,
                None,
                {"asset": sha256, "name": creative.name},
            )
            uow.commit()
            return creative

    def create_quote_creative(
        self,
        actor: str,
        quote_id: int,
        template_id: int,
        image_sha256: str | None = None,
        name: str = "",
    ) -> Creative:
        """A rendering of the quote's newest version through the template's newest version."""
        with self.uow_factory() as uow:
            quote = uow.quotes.get(quote_id) if valid_id(quote_id) else None
            if quote is None:
                raise ValidationError("quote", f"quote {quote_id} does not exist")
            template = uow.templates.current(template_id) if valid_id(template_id) else None
            if template is None:
                raise ValidationError("template", f"template {template_id} does not exist")
            if image_sha256:
                image = uow.assets.get(image_sha256) if is_sha256(image_sha256) else None
                if image is None or image.info.kind is not AssetKind.IMAGE:
                    raise ValidationError("image", "choose an uploaded image")
            existing = uow.creatives.find_quote(
                quote.current.id, template.version_id, image_sha256 or None
            )
            if existing is not None:
                return existing
            label = name.strip() or f"{quote.current.spec.author}: {quote.current.spec.text[:60]}"
            creative = uow.creatives.add(
                label[:160],
                CreativeKind.QUOTE,
                self.clock.now(),
                actor,
                quote_version_id=quote.current.id,
                template_version_id=template.version_id,
                image_sha256=image_sha256 or None,
            )
            record_event(
                uow,
                self.clock,
                actor,
                "creative.create",
                "creative",
                creative.id,
                None,
                {
                    "quote_version": quote.current.id,
                    "template_version": template.version_id,
                    "image": image_sha256,
                    "name": creative.name,
                },
            )
            uow.commit()
            return creative

    def list_creatives(self) -> Sequence[Creative]:
        """Every creative, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.creatives.list())

    def get_creative(self, creative_id: int) -> Creative:
        """One creative."""
        with self.uow_factory(readonly=True) as uow:
            return _creative(uow, creative_id)

    def material(self, creative: Creative) -> QuoteMaterial:
        """The exact quote version, template version and image a quote creative names."""
        with self.uow_factory(readonly=True) as uow:
            return _material(uow, self.files, creative)

    def preview(
        self, quote: QuoteSpec, template_id: int, image_sha256: str | None, size: tuple[int, int]
    ) -> bytes:
        """A PNG still drawn by the same layout code as the video (nothing is stored)."""
        with self.uow_factory(readonly=True) as uow:
            template = uow.templates.current(template_id) if valid_id(template_id) else None
            if template is None:
                raise NotFoundError(f"template {template_id} not found")
            image = _image_path(uow, self.files, image_sha256)
        width, height = _even_size(size)
        return self.renderer.render_still(template.template, quote, image, width, height)

    def creative_preview(self, creative_id: int, size: tuple[int, int]) -> bytes:
        """The PNG still of a stored quote creative."""
        creative = self.get_creative(creative_id)
        if creative.kind is not CreativeKind.QUOTE:
            raise ValidationError("creative", "only quote creatives have a rendered preview")
        material = self.material(creative)
        width, height = _even_size(size)
        return self.renderer.render_still(
            material.template, material.quote, material.image, width, height
        )

    def request_render(self, actor: str, creative_id: int, size: tuple[int, int]) -> RenderJob:
        """Queue the render of a quote creative for one screen size; asking twice renders once."""
        creative = self.get_creative(creative_id)
        if creative.kind is not CreativeKind.QUOTE:
            raise ValidationError("creative", "uploaded assets are shown as they are")
        material = self.material(creative)
        width, height = _even_size(size)
        font = self.renderer.font_for(material.template, material.quote)
        key = RenderKey(
            creative_id=creative.id,
            width=width,
            height=height,
            duration_ms=round(material.template.duration_s * 1000),
            fps=material.template.fps,
            preset=self.defaults.preset,
            crf=self.defaults.crf,
            font_sha256=font.sha256,
        )
        with self.uow_factory() as uow:
            job = uow.render_jobs.add(key, self.clock.now())
            if job is None:
                job = uow.render_jobs.by_key(key.digest())
                assert job is not None
                if job.status in {JobStatus.FAILED, JobStatus.CANCELLED}:
                    uow.render_jobs.requeue(job.id)
                    job = uow.render_jobs.get(job.id)
                    assert job is not None
                else:
                    return job
            record_event(
                uow,
                self.clock,
                actor,
                "render.request",
                "render_job",
                job.id,
                None,
                {"creative": creative.id, "size": f"{width}x{height}"},
            )
            uow.commit()
            return job

    def cancel_render(self, actor: str, job_id: int) -> RenderJob:
        """Cancel a queued job at once, a running one at its next progress report."""
        with self.uow_factory() as uow:
            job = uow.render_jobs.get(job_id) if valid_id(job_id) else None
            if job is None:
                raise NotFoundError(f"render job {job_id} not found")
            if job.status.final:
                raise ConflictError(f"render job {job_id} is already {job.status.value}")
            uow.render_jobs.request_cancel(job_id)
            record_event(uow, self.clock, actor, "render.cancel", "render_job", job_id)
            uow.commit()
            cancelled = uow.render_jobs.get(job_id)
            assert cancelled is not None
            return cancelled

    def render_jobs(self, creative_id: int | None = None) -> Sequence[RenderJob]:
        """Render jobs, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.render_jobs.list(creative_id))

    def render_job(self, job_id: int) -> RenderJob:
        """One render job."""
        with self.uow_factory(readonly=True) as uow:
            job = uow.render_jobs.get(job_id) if valid_id(job_id) else None
            if job is None:
                raise NotFoundError(f"render job {job_id} not found")
            return job


def _creative(uow: UnitOfWork, creative_id: int) -> Creative:
    creative = uow.creatives.get(creative_id) if valid_id(creative_id) else None
    if creative is None:
        raise NotFoundError(f"creative {creative_id} not found")
    return creative


def _image_path(uow: UnitOfWork, files: MediaFiles, sha256: str | None) -> Path | None:
    if not sha256:
        return None
    asset = uow.assets.get(sha256) if is_sha256(sha256) else None
    if asset is None or asset.info.kind is not AssetKind.IMAGE:
        raise ValidationError("image", "choose an uploaded image")
    return files.path_for(asset.info.sha256, asset.info.extension)


def _material(uow: UnitOfWork, files: MediaFiles, creative: Creative) -> QuoteMaterial:
    if creative.quote_version_id is None or creative.template_version_id is None:
        raise ValidationError("creative", "only quote creatives are rendered")
    version = uow.quotes.version(creative.quote_version_id)
    template = uow.templates.version(creative.template_version_id)
    if version is None or template is None:
        raise NotFoundError(f"creative {creative.id} names a version that does not exist")
    return QuoteMaterial(
        template.template, version.spec, _image_path(uow, files, creative.image_sha256)
    )


def _even_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValidationError(
            "size", f"width and height must lie between {MIN_SIDE} and {MAX_SIDE} pixels"
        )
    # yuv420p needs even sizes; an odd LED panel gets the pixel column below it.
    return width - width % 2, height - height % 2
