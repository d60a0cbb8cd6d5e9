"""API shapes of the composer: quotes, media, templates, creatives and render jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from signage.domain.creatives import MAX_SIDE, MIN_SIDE
from signage.web.schemas import Strict

Language = Literal["tg", "ru", "en"]


class QuoteIn(Strict):
    """A quote as typed; an edit stores a new version."""

    text: str = Field(min_length=1, max_length=2000)
    language: Language
    author: str = Field(min_length=1, max_length=120)
    author_role: str = Field(default="", max_length=200)
    source: str = Field(default="", max_length=300)
    tags: list[str] = Field(default_factory=list, max_length=30)


class QuoteOut(BaseModel):
    id: int
    version_id: int
    version: int
    text: str
    language: str
    author: str
    author_role: str
    source: str
    tags: list[str]
    translations: list[int]


class QuoteList(BaseModel):
    items: list[QuoteOut]


class QuoteQuery(Strict):
    q: str | None = Field(default=None, max_length=200)
    language: Language | None = None


class TranslationIn(Strict):
    translation_of: int = Field(ge=1, le=2**31 - 1)


class AssetOut(BaseModel):
    sha256: str
    kind: Literal["image", "video", "rendered"]
    mime: str
    width: int
    height: int
    duration_ms: int | None
    byte_size: int
    original_name: str
    created: bool | None = None


class AssetList(BaseModel):
    items: list[AssetOut]


class UploadQuery(Strict):
    name: str = Field(default="upload", min_length=1, max_length=255)


class TemplateOut(BaseModel):
    id: int
    version_id: int
    version: int
    name: str
    builtin: bool
    spec: dict[str, Any]


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateCopyIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    changes: dict[str, Any] = Field(default_factory=dict)


class TemplateAdjustIn(Strict):
    changes: dict[str, Any]


class CreativeIn(Strict):
    """Either an uploaded asset, or a quote through a template (with an optional photo)."""

    name: str = Field(default="", max_length=160)
    asset_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    quote_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    template_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    image_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class RenderJobOut(BaseModel):
    id: int
    creative_id: int
    width: int
    height: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: int = Field(ge=0, le=100)
    error: str
    asset_sha256: str | None
    created_at: datetime
    finished_at: datetime | None


class CreativeOut(BaseModel):
    id: int
    name: str
    kind: Literal["asset", "quote"]
    asset_sha256: str | None
    quote_version_id: int | None
    template_version_id: int | None
    image_sha256: str | None
    renders: list[RenderJobOut]


class CreativeList(BaseModel):
    items: list[CreativeOut]


class Size(Strict):
    width: int = Field(ge=MIN_SIDE, le=MAX_SIDE)
    height: int = Field(ge=MIN_SIDE, le=MAX_SIDE)


class RenderRequestIn(Strict):
    sizes: list[Size] = Field(min_length=1, max_length=20)


class RenderJobList(BaseModel):
    items: list[RenderJobOut]
