"""Ports of the composer: media files, asset/quote/template/creative/job stores, renderer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from signage.domain.assets import AssetInfo, AssetKind
from signage.domain.creatives import Creative, CreativeKind, JobStatus, RenderJob, RenderKey
from signage.domain.quotes import Quote, QuoteSpec, QuoteVersion
from signage.domain.templates import Template


class StagedFile(Protocol):
    """A received file waiting in the media store's temp area."""

    @property
    def info(self) -> AssetInfo: ...

    @property
    def display_name(self) -> str: ...


class MediaFiles(Protocol):
    """The content-addressed file store."""

    def receive(self, stream: BinaryIO, max_bytes: int, original_name: str) -> StagedFile: ...

    def adopt(self, source: Path, kind: AssetKind = ...) -> StagedFile: ...

    def commit(self, staged: StagedFile) -> tuple[AssetInfo, bool]: ...

    def discard(self, staged: StagedFile) -> None: ...

    def path_for(self, sha256: str, ext: str) -> Path: ...

    def thumbnail_path(self, sha256: str) -> Path: ...

    @property
    def tmp_dir(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class StoredAsset:
    """An asset row: the file's facts plus who brought it and under which name."""

    info: AssetInfo
    original_name: str
    created_at: datetime
    created_by: str


class AssetRepository(Protocol):
    def add(self, info: AssetInfo, original_name: str, at: datetime, by: str) -> bool: ...

    def get(self, sha256: str) -> StoredAsset | None: ...

    def list(self, kind: AssetKind | None = None) -> Sequence[StoredAsset]: ...


class QuoteRepository(Protocol):
    def add(self, spec: QuoteSpec, at: datetime, by: str) -> Quote: ...

    def add_version(
        self, quote_id: int, spec: QuoteSpec, at: datetime, by: str
    ) -> QuoteVersion: ...

    def get(self, quote_id: int) -> Quote | None: ...

    def version(self, version_id: int) -> QuoteVersion | None: ...

    def versions(self, quote_id: int) -> Sequence[QuoteVersion]: ...

    def search(self, text: str | None, language: str | None) -> Sequence[Quote]: ...

    def set_group(self, quote_ids: Sequence[int], group: int) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """One version of a template as stored."""

    template_id: int
    version_id: int
    version: int
    builtin: bool
    template: Template
    created_at: datetime


class TemplateRepository(Protocol):
    def add(self, template: Template, builtin: bool, at: datetime, by: str) -> StoredTemplate: ...

    def add_version(
        self, template_id: int, template: Template, at: datetime, by: str
    ) -> StoredTemplate: ...

    def current(self, template_id: int) -> StoredTemplate | None: ...

    def version(self, version_id: int) -> StoredTemplate | None: ...

    def by_name(self, name: str) -> StoredTemplate | None: ...

    def list(self) -> Sequence[StoredTemplate]: ...


class CreativeRepository(Protocol):
    def add(
        self,
        name: str,
        kind: CreativeKind,
        at: datetime,
        by: str,
        *,
        asset_sha256: str | None = None,
        quote_version_id: int | None = None,
        template_version_id: int | None = None,
        image_sha256: str | None = None,
    ) -> Creative: ...

    def get(self, creative_id: int) -> Creative | None: ...

    def find_quote(
        self, quote_version_id: int, template_version_id: int, image_sha256: str | None
    ) -> Creative | None: ...

    def list(self) -> Sequence[Creative]: ...


class RenderJobRepository(Protocol):
    def add(self, key: RenderKey, at: datetime) -> RenderJob | None:
        """Insert a queued job; None when a job with the same key exists (also on a race)."""
        ...

    def by_key(self, digest: str) -> RenderJob | None: ...

    def get(self, job_id: int) -> RenderJob | None: ...

    def list(
        self, creative_id: int | None = None, statuses: Sequence[JobStatus] | None = None
    ) -> Sequence[RenderJob]: ...

    def claim_next(self, worker: str, at: datetime) -> RenderJob | None: ...

    def set_progress(self, job_id: int, progress: int) -> bool:
        """Store progress; False when the job was cancelled meanwhile."""
        ...

    def finish(
        self, job_id: int, status: JobStatus, at: datetime, asset_sha256: str | None, error: str
    ) -> None: ...

    def request_cancel(self, job_id: int) -> None: ...

    def requeue(self, job_id: int) -> None: ...

    def requeue_stale(self, started_before: datetime) -> int: ...


class FontChoice(Protocol):
    """The font file a render uses; its hash is part of the render key."""

    @property
    def path(self) -> Path: ...

    @property
    def sha256(self) -> str: ...

    @property
    def family(self) -> str: ...


class Renderer(Protocol):
    """Pillow/moviepy composition behind one interface."""

    def font_for(self, template: Template, quote: QuoteSpec) -> FontChoice: ...

    def render_still(
        self, template: Template, quote: QuoteSpec, image: Path | None, width: int, height: int
    ) -> bytes: ...

    def render_video(
        self,
        template: Template,
        quote: QuoteSpec,
        image: Path | None,
        key: RenderKey,
        out_path: Path,
        progress: Callable[[float], bool],
    ) -> None:
        """Write the video; `progress(fraction)` returning False asks to stop."""
        ...
