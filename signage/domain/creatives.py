"""Creatives (what a playlist item shows) and the render jobs that make quote videos."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from signage.domain.errors import ValidationError

RENDERER_VERSION = "1"
# Screen sides a video can be rendered at (the encoder's and LED panels' practical range).
MIN_SIDE = 64
MAX_SIDE = 7680


class CreativeKind(enum.StrEnum):
    """An uploaded asset shown as it is, or a quote rendered through a template."""

    ASSET = "asset"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class Creative:
    """A stored creative; a quote creative names exact quote and template versions."""

    id: int
    name: str
    kind: CreativeKind
    asset_sha256: str | None
    quote_version_id: int | None
    template_version_id: int | None
    image_sha256: str | None
    created_at: datetime

    def __post_init__(self) -> None:
        if self.kind is CreativeKind.ASSET and not self.asset_sha256:
            raise ValidationError("asset", "an asset creative needs an uploaded file")
        if self.kind is CreativeKind.QUOTE and not (
            self.quote_version_id and self.template_version_id
        ):
            raise ValidationError("quote", "a quote creative needs a quote and a template")


class JobStatus(enum.StrEnum):
    """Where a render job stands; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        """True once the job will not change any more."""
        return self in {JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED}


@dataclass(frozen=True, slots=True)
class RenderKey:
    """Everything that determines a rendered file; equal keys give the same asset."""

    creative_id: int
    width: int
    height: int
    duration_ms: int
    fps: int
    preset: str
    crf: int
    font_sha256: str
    renderer_version: str = RENDERER_VERSION

    def __post_init__(self) -> None:
        if not (MIN_SIDE <= self.width <= MAX_SIDE and MIN_SIDE <= self.height <= MAX_SIDE):
            raise ValidationError(
                "size", f"width and height must lie between {MIN_SIDE} and {MAX_SIDE} pixels"
            )
        if self.width % 2 or self.height % 2:
            raise ValidationError("size", "H.264 in yuv420p needs even width and height")
        if not 1000 <= self.duration_ms <= 120_000:
            raise ValidationError("duration", "must lie between 1 and 120 seconds")
        if not 1 <= self.fps <= 60:
            raise ValidationError("fps", "must lie between 1 and 60")

    def digest(self) -> str:
        """Hex SHA-256 of the key's canonical JSON."""
        body = json.dumps(
            {
                "creative_id": self.creative_id,
                "width": self.width,
                "height": self.height,
                "duration_ms": self.duration_ms,
                "fps": self.fps,
                "preset": self.preset,
                "crf": self.crf,
                "font_sha256": self.font_sha256,
                "renderer_version": self.renderer_version,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One queued, running or finished render."""

    id: int
    key: RenderKey
    status: JobStatus
    progress: int
    error: str
    asset_sha256: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def size(self) -> str:
        """`1920x1080`."""
        return f"{self.key.width}x{self.key.height}"
