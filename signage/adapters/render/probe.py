"""Read back what a video file really is (PyAV), with a timeout."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from signage.domain.templates import RenderFailedError

PROBE_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """Facts read from a video file, not from the call that made it."""

    path: Path
    has_video: bool
    codec: str
    pix_fmt: str
    width: int
    height: int
    duration_s: float
    fps: float
    frames: int
    faststart: bool
    size_bytes: int


def probe_video(path: str | Path, timeout_s: float = PROBE_TIMEOUT_S) -> VideoInfo:
    """Codec, pixel format, size, duration, rate and moov placement of a video file."""
    target = Path(path)
    # A damaged file can make a demuxer spin; the worker must get an answer either way.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
    try:
        return pool.submit(_probe, target).result(timeout=timeout_s)
    except FutureTimeout as exc:
        raise RenderFailedError(f"Probing {target.name} took longer than {timeout_s:g} s") from exc
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _probe(path: Path) -> VideoInfo:
    try:
        container = av.open(str(path), mode="r")
    except (OSError, av.FFmpegError) as exc:
        raise RenderFailedError(f"{path.name} is not a readable video: {exc}") from exc
    with container:
        faststart = _moov_before_mdat(path)
        size_bytes = path.stat().st_size
        if not container.streams.video:
            return VideoInfo(path, False, "", "", 0, 0, 0.0, 0.0, 0, faststart, size_bytes)
        stream = container.streams.video[0]
        context = stream.codec_context
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        return VideoInfo(
            path=path,
            has_video=True,
            codec=context.name,
            pix_fmt=context.pix_fmt or "",
            width=context.width,
            height=context.height,
            duration_s=duration,
            fps=float(rate),
            frames=stream.frames,
            faststart=faststart,
            size_bytes=size_bytes,
        )


def _moov_before_mdat(path: Path) -> bool:
    """Whether the top-level `moov` box precedes `mdat`, so players can start before the end."""
    order: list[bytes] = []
    with path.open("rb") as handle:
        while len(order) < 64:
            header = handle.read(8)
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0] - 8
            elif size == 0:
                order.append(kind)
                break
            if size < 8:
                break
            order.append(kind)
            handle.seek(size - 8, 1)
    return b"moov" in order and b"mdat" in order and order.index(b"moov") < order.index(b"mdat")
