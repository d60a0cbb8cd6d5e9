"""Encode a composed still into an H.264 MP4 with fades through moviepy, then verify the file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from moviepy import ImageClip
from PIL import Image
from proglog import ProgressBarLogger  # type: ignore[import-untyped]

from signage.adapters.render.compose import render_still
from signage.adapters.render.probe import VideoInfo, probe_video
from signage.domain.templates import EncoderSettings, RenderFailedError, Template

# Part of a render job's key: bump it whenever layout or encoding changes the output for the
# same inputs, so old assets are not reused for a different picture.
RENDERER_VERSION = "1"

Progress = Callable[[float], None]
Frame = npt.NDArray[np.uint8]

# RGB from Pillow is sRGB, whose primaries are BT.709's. ffmpeg's default RGB→YUV matrix
# is BT.601 and leaves the file untagged, so players guess by frame height and an LED
# screen of 576 lines would get other colours than a 1080p one. Convert and tag as BT.709.
COLOUR_FILTER = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
COLOUR_TAGS = ("-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709")


def x264_output_args(encoder: EncoderSettings) -> list[str]:
    """Output options shared by the product and the benchmark floor (after `-preset`)."""
    return ["-crf", str(encoder.crf), *COLOUR_TAGS, "-movflags", "+faststart"]


def render_video(
    template: Template,
    *,
    quote_text: str,
    language: str,
    author: str = "",
    author_role: str = "",
    image_path: str | Path | None = None,
    logo_paths: Sequence[str | Path] = (),
    size: tuple[int, int],
    font_path: str | Path,
    out_path: str | Path,
    encoder: EncoderSettings | None = None,
    progress: Progress | None = None,
) -> VideoInfo:
    """Render the quote video to `out_path` and return what the written file is."""
    still = render_still(
        template,
        quote_text=quote_text,
        language=language,
        author=author,
        author_role=author_role,
        image_path=image_path,
        logo_paths=logo_paths,
        size=size,
        font_path=font_path,
    )
    return encode_still(
        still,
        out_path,
        duration_s=template.duration_s,
        fps=template.fps,
        fade_in_s=template.fade_in_s,
        fade_out_s=template.fade_out_s,
        encoder=encoder or EncoderSettings(),
        progress=progress,
    )


def encode_still(
    still: Image.Image,
    out_path: str | Path,
    *,
    duration_s: float,
    fps: int,
    fade_in_s: float,
    fade_out_s: float,
    encoder: EncoderSettings,
    progress: Progress | None = None,
) -> VideoInfo:
    """Encode one frame held for `duration_s` with fades from and to black; verify the output."""
    out = Path(out_path)
    frame: Frame = np.asarray(still.convert("RGB"))
    clip = (
        ImageClip(frame, duration=duration_s)
        .with_fps(fps)
        .transform(_fades(fade_in_s, fade_out_s, duration_s))
    )
    # Written beside the target and renamed only once verified: nothing half-made is left.
    partial = out.with_name(f".{out.stem}.{uuid.uuid4().hex}.part{out.suffix or '.mp4'}")
    try:
        clip.write_videofile(
            str(partial),
            fps=fps,
            codec="libx264",
            preset=encoder.preset,
            audio=False,
            ffmpeg_params=["-vf", COLOUR_FILTER, *x264_output_args(encoder)],
            logger=_FrameLogger(progress) if progress else None,
        )
        info = probe_video(partial)
        problems = _mismatches(info, still.size, duration_s, fps)
        if problems:
            raise RenderFailedError(f"The encoded video is wrong: {'; '.join(problems)}")
        os.replace(partial, out)
    except OSError as exc:
        raise RenderFailedError(f"Encoding {out.name} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    if progress:
        progress(1.0)
    return replace(info, path=out)


def _fades(fade_in: float, fade_out: float, duration: float) -> Callable[[Any, float], Frame]:
    """A moviepy frame filter fading from and to black in integer arithmetic.

    moviepy's FadeIn/FadeOut blend in float64 (≈50 ms a 1080p frame); scaling the
    uint8 frame by a 1/256 step costs ≈4 ms and is visually the same.
    """

    def apply(get_frame: Callable[[float], Frame], t: float) -> Frame:
        frame = get_frame(t)
        level = 1.0
        if fade_in > 0 and t < fade_in:
            level = t / fade_in
        if fade_out > 0 and t > duration - fade_out:
            level = min(level, (duration - t) / fade_out)
        if level >= 1.0:
            return frame  # the same array every time: no per-frame copy
        scaled = np.multiply(frame, round(max(level, 0.0) * 256), dtype=np.uint16)
        scaled >>= 8
        return scaled.astype(np.uint8)

    return apply


def _mismatches(info: VideoInfo, size: tuple[int, int], duration: float, fps: int) -> list[str]:
    problems = []
    if not info.has_video:
        problems.append("no video stream")
    if info.codec != "h264":
        problems.append(f"codec {info.codec}, expected h264")
    if info.pix_fmt != "yuv420p":
        problems.append(f"pixel format {info.pix_fmt}, expected yuv420p")
    if (info.width, info.height) != size:
        problems.append(f"size {info.width}×{info.height}, expected {size[0]}×{size[1]}")
    if abs(info.duration_s - duration) > 1.5 / fps:
        problems.append(f"duration {info.duration_s:.3f} s, expected {duration:g} s")
    if not info.faststart:
        problems.append("the moov box is not before the media data (no faststart)")
    return problems


class _FrameLogger(ProgressBarLogger):  # type: ignore[misc]
    """Turns moviepy's frame-index bar into a 0–1 fraction (1.0 only once verified)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress

    def bars_callback(self, bar: str, attr: str, value: Any, old_value: Any = None) -> None:
        if bar == "frame_index" and attr == "index":
            total = self.bars[bar].get("total") or 1
            self._progress(min(0.99, (value + 1) / total))
