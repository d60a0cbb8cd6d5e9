"""What an uploaded file really is, read from its bytes: sniffing, full image decode, video probe.

Images are decoded in-process (Pillow, under a pixel limit checked from the header before the
decode). Videos are probed by PyAV in a child process with a deadline and CPU/memory limits, so
a hostile file can neither hang nor crash the server. The child is this module run with `-m`.

Normalising: an image that decodes cleanly and is already upright 8-bit L/RGB/RGBA is kept
byte for byte. Otherwise (EXIF orientation, CMYK, 16-bit, palette, LA ...) the media store
keeps a re-encoded copy made by `write_normalised_image` instead (JPEG stays JPEG, PNG and
WebP become PNG; metadata such as GPS is dropped). Every stored image is therefore upright
and 8-bit; the renderer should still open images with `open_image_normalised`, which also
gives it RGB (or RGBA) whatever the file holds.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps

from signage.domain.assets import AssetInfo, AssetKind, RefusalCode, UploadRefusedError

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_PROBE_TIMEOUT_S = 20.0
_CHILD_MODULE = "signage.adapters.media_inspect"
_CHILD_MEMORY_BYTES = 4 << 30
_MAX_PACKETS_FOR_FIRST_FRAME = 600

_PILLOW_FORMATS = {"image/jpeg": ("JPEG", "MPO"), "image/png": ("PNG",), "image/webp": ("WEBP",)}
_VIDEO_CODECS = {"video/mp4": ("h264",), "video/webm": ("vp8", "vp9")}
_CONTAINERS = {"video/mp4": "mp4", "video/webm": "webm"}
# ISO-BMFF brands that are still images or QuickTime, not MP4 video.
_REFUSED_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif",
                   b"avis", b"qt  "}  # fmt: skip
_READY_MODES = {"L", "RGB", "RGBA"}


@dataclass(frozen=True, slots=True)
class MediaDetails:
    """What inspection found; the store adds the hash and size to make an `AssetInfo`."""

    kind: AssetKind
    mime: str
    width: int
    height: int
    duration_ms: int | None = None
    fps: float | None = None
    codec: str | None = None
    needs_normalising: bool = False

    def to_asset_info(
        self, sha256: str, byte_size: int, kind: AssetKind | None = None
    ) -> AssetInfo:
        """The asset record for a stored file with these details."""
        return AssetInfo(
            sha256, kind or self.kind, self.mime, self.width, self.height, self.duration_ms,
            byte_size, self.fps, self.codec,
        )  # fmt: skip


def sniff_mime(path: Path) -> str:
    """The MIME type from the file's first bytes; refuses anything not on the allowed list."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise UploadRefusedError(RefusalCode.EMPTY, "the file is empty")
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        if head[8:12] in _REFUSED_BRANDS:
            brand = head[8:12].decode("latin-1").strip()
            raise UploadRefusedError(
                RefusalCode.UNSUPPORTED_TYPE, f"'{brand}' files are not accepted; use MP4 (H.264)"
            )
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # DocType element 0x4282, size 4, "webm"; every WebM muxer writes the 1-byte size.
        if b"\x42\x82\x84webm" in head:
            return "video/webm"
        raise UploadRefusedError(
            RefusalCode.UNSUPPORTED_TYPE, "Matroska files are not accepted; use WebM (VP8/VP9)"
        )
    raise UploadRefusedError(
        RefusalCode.UNSUPPORTED_TYPE,
        "the content is not JPEG, PNG, WebP, MP4 or WebM (the name and claimed type are ignored)",
    )


def inspect_file(
    path: Path,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    probe_timeout_s: float = DEFAULT_PROBE_TIMEOUT_S,
) -> MediaDetails:
    """Decide type and facts of a file from its content; raises `UploadRefusedError`."""
    mime = sniff_mime(path)
    if mime.startswith("image/"):
        return _inspect_image(path, mime, max_pixels)
    return _probe_video(path, mime, max_pixels, probe_timeout_s)


def _open_checked(path: Path, formats: tuple[str, ...], max_pixels: int) -> Image.Image:
    """Open (header only) and refuse too many pixels before any decoding happens."""
    try:
        image = Image.open(path, formats=list(formats))
    # Pillow's own bomb guard: an error above 2x its limit, a warning above it (the warning
    # is raised as an exception where warnings are errors, e.g. under pytest).
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefusedError(
            RefusalCode.TOO_MANY_PIXELS, f"the image has too many pixels: {exc}"
        ) from None
    except Exception as exc:
        raise UploadRefusedError(
            RefusalCode.UNDECODABLE, f"the image header cannot be read: {exc}"
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise UploadRefusedError(
            RefusalCode.TOO_MANY_PIXELS,
            f"the image is {width}×{height} pixels; at most {max_pixels:,} pixels are accepted",
        )
    return image


def _decode(path: Path, mime: str, max_pixels: int) -> tuple[Image.Image, int]:
    """Fully decode the first frame; also its EXIF orientation (1 = upright)."""
    image = _open_checked(path, _PILLOW_FORMATS[mime], max_pixels)
    try:
        # Phones write MPO (JPEG + previews); only animation makes a still a video.
        if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
            raise UploadRefusedError(
                RefusalCode.UNSUPPORTED_TYPE, "animated images are not accepted; upload a video"
            )
        # A truncated file fails here only while ImageFile.LOAD_TRUNCATED_IMAGES stays False
        # (its default); nothing in this project may set it.
        image.load()
        orientation = int(image.getexif().get(0x0112) or 1)
    except UploadRefusedError:
        image.close()
        raise
    except Exception as exc:
        image.close()
        raise UploadRefusedError(
            RefusalCode.UNDECODABLE, f"the image does not decode: {exc}"
        ) from None
    return image, orientation


def _inspect_image(path: Path, mime: str, max_pixels: int) -> MediaDetails:
    image, orientation = _decode(path, mime, max_pixels)
    with image:
        width, height = image.size
        needs = orientation != 1 or image.mode not in _READY_MODES
    if orientation in (5, 6, 7, 8):  # the quarter turns: upright, width and height swap
        width, height = height, width
    return MediaDetails(AssetKind.IMAGE, mime, width, height, needs_normalising=needs)


def _to_display_mode(image: Image.Image) -> Image.Image:
    """8-bit L/RGB/RGBA from whatever mode Pillow decoded."""
    mode = image.mode
    if mode in _READY_MODES:
        return image
    if mode == "CMYK":
        icc = image.info.get("icc_profile")
        if icc:
            try:
                srgb = ImageCms.createProfile("sRGB")
                converted = ImageCms.profileToProfile(
                    image, io.BytesIO(icc), srgb, outputMode="RGB"
                )
                if converted is not None:
                    return converted
            except (ImageCms.PyCMSError, OSError):
                pass  # a broken profile: fall back to Pillow's naive conversion
        return image.convert("RGB")
    if mode.startswith("I;16") or mode in {"I", "F"}:
        # convert("L") would clip 16-bit values at 255 rather than scale them.
        scale = 1 / 257 if mode.startswith("I;16") else 1.0
        return image.convert("I").point(lambda v: v * scale).convert("L")
    if mode in {"P", "PA", "LA", "La", "RGBa"}:
        has_alpha = mode != "P" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image.convert("RGB")


def write_normalised_image(
    source: Path, target: Path, max_pixels: int = DEFAULT_MAX_PIXELS
) -> MediaDetails:
    """Write an upright 8-bit copy of an image (JPEG stays JPEG, else PNG); its details."""
    upright, mime, icc = _upright(source, max_pixels)
    out_mime = "image/jpeg" if mime == "image/jpeg" and upright.mode != "RGBA" else "image/png"
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    with target.open("wb") as handle:
        if out_mime == "image/jpeg":
            upright.save(handle, "JPEG", quality=95, optimize=True, **options)
        else:
            upright.save(handle, "PNG", **options)
        handle.flush()
        os.fsync(handle.fileno())
    return MediaDetails(AssetKind.IMAGE, out_mime, upright.width, upright.height)


def _upright(path: Path, max_pixels: int) -> tuple[Image.Image, str, bytes | None]:
    """Decoded, EXIF-transposed, 8-bit L/RGB/RGBA; its sniffed MIME and a still-valid ICC."""
    mime = sniff_mime(path)
    if not mime.startswith("image/"):
        raise UploadRefusedError(RefusalCode.UNSUPPORTED_TYPE, "the file is not an image")
    image, _ = _decode(path, mime, max_pixels)
    with image:
        # A CMYK or 16-bit profile no longer describes the converted pixels.
        icc = image.info.get("icc_profile") if image.mode in _READY_MODES else None
        return _to_display_mode(ImageOps.exif_transpose(image)), mime, icc


def open_image_normalised(
    path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, keep_alpha: bool = False
) -> Image.Image:
    """An image file decoded, EXIF orientation applied, in RGB (RGBA with `keep_alpha`)."""
    upright, _, _ = _upright(path, max_pixels)
    wanted = "RGBA" if keep_alpha and upright.mode == "RGBA" else "RGB"
    return upright if upright.mode == wanted else upright.convert(wanted)


def make_thumbnail(
    path: Path,
    kind: AssetKind,
    out_path: Path,
    max_side: int = 320,
    timeout_s: float = DEFAULT_PROBE_TIMEOUT_S,
) -> Path:
    """A JPEG thumbnail (a video's frame at ~1 s, else its first) written atomically."""
    partial = out_path.with_name(out_path.name + ".part")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if kind is AssetKind.IMAGE:
        image = open_image_normalised(path, keep_alpha=True)
        _save_thumbnail(image, partial, max_side)
    else:
        _run_child(["thumbnail", str(path), str(partial), str(max_side)], timeout_s)
    os.replace(partial, out_path)
    return out_path


def _save_thumbnail(image: Image.Image, out: Path, max_side: int) -> None:
    image.thumbnail((max_side, max_side))
    if image.mode != "RGB":
        # JPEG has no alpha: transparent parts go on white, as a browser would show them.
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
        image = background
    with out.open("wb") as handle:
        image.save(handle, "JPEG", quality=85)
        handle.flush()
        os.fsync(handle.fileno())


def _probe_video(path: Path, mime: str, max_pixels: int, timeout_s: float) -> MediaDetails:
    """Run the PyAV probe in a child process and turn its answer into details or a refusal."""
    found = _run_child(["probe", str(path), mime, str(max_pixels)], timeout_s)
    fps = float(found["fps"]) if found.get("fps") else None
    size = int(found["width"]), int(found["height"])
    return MediaDetails(
        AssetKind.VIDEO, mime, *size, int(found["duration_ms"]), fps, str(found["codec"])
    )


def _run_child(args: list[str], timeout_s: float) -> dict[str, Any]:
    """This module as a child process with a deadline; its JSON answer, or a refusal."""
    env = dict(os.environ)
    # The child must import this package even when it is not installed (a source checkout).
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", _CHILD_MODULE, *args, str(timeout_s)]
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv, no shell; the path is ours)
            command, capture_output=True, timeout=timeout_s, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise UploadRefusedError(
            RefusalCode.PROBE_TIMEOUT, f"reading the video took longer than {timeout_s:g} s"
        ) from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        # Killed by its CPU or memory limit, or crashed inside a decoder.
        log.warning(
            "media child %s failed: %s", args[0], done.stderr[-2000:].decode("utf-8", "replace")
        )
        raise UploadRefusedError(
            RefusalCode.UNDECODABLE, f"the video could not be read (exit {done.returncode})"
        ) from None
    if "code" in answer:
        raise UploadRefusedError(answer["code"], str(answer["reason"]))
    return answer


# ---- the child process: everything below runs only under `python -m` ----


def _limit_child(timeout_s: float) -> None:
    import resource

    cpu = max(2, math.ceil(timeout_s) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (_CHILD_MEMORY_BYTES, _CHILD_MEMORY_BYTES))


def _child_probe(path: str, mime: str, max_pixels: int) -> dict[str, Any]:
    import av

    def refuse(code: RefusalCode, reason: str) -> dict[str, Any]:
        return {"code": str(code), "reason": reason}

    try:
        container = av.open(path, mode="r")
    except (OSError, av.FFmpegError) as exc:
        return refuse(RefusalCode.UNDECODABLE, f"the file does not open as a video: {exc}")
    with container:
        if _CONTAINERS[mime] not in container.format.name.split(","):
            return refuse(RefusalCode.UNSUPPORTED_TYPE, "the container is not MP4 or WebM")
        if not container.streams.video:
            return refuse(RefusalCode.NO_VIDEO_STREAM, "the file has no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context.codec.canonical_name
        if codec not in _VIDEO_CODECS[mime]:
            allowed = " or ".join(c.upper() for c in _VIDEO_CODECS[mime])
            return refuse(
                RefusalCode.UNSUPPORTED_TYPE, f"{codec} video in {mime} is refused; use {allowed}"
            )
        frame = _first_frame(container, stream)
        if frame is None:
            return refuse(RefusalCode.UNDECODABLE, "no frame of the video decodes")
        width = stream.codec_context.width or frame.width
        height = stream.codec_context.height or frame.height
        if width * height > max_pixels:
            return refuse(RefusalCode.TOO_MANY_PIXELS, f"the video is {width}×{height} pixels")
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        else:
            duration_s = (container.duration or 0) / av.time_base
        if duration_s <= 0:
            return refuse(RefusalCode.UNDECODABLE, "the video has no duration")
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        return {
            "codec": codec,
            "width": width,
            "height": height,
            "duration_ms": round(duration_s * 1000),
            "fps": round(float(rate), 3) if rate else None,
        }


def _first_frame(container: Any, stream: Any, at_s: float = 0.0) -> Any:
    """The first decodable frame at or after `at_s`, reading a bounded number of packets."""
    import av

    stream.codec_context.thread_count = 1  # one frame needs no threads; keeps memory small
    packets = 0
    try:
        for packet in container.demux(stream):
            packets += 1
            for frame in packet.decode():
                if at_s <= 0 or frame.time is None or frame.time >= at_s - 0.05:
                    return frame
            if packets > _MAX_PACKETS_FOR_FIRST_FRAME:
                return None
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None


def _child_thumbnail(path: str, out: str, max_side: int) -> dict[str, Any]:
    import av

    with av.open(path, mode="r") as container:
        stream = container.streams.video[0]
        duration_s = (container.duration or 0) / av.time_base
        at_s = 1.0 if duration_s > 1.0 else 0.0
        if at_s and stream.time_base:
            container.seek(int(at_s / stream.time_base), stream=stream, backward=True)
        frame = _first_frame(container, stream, at_s)
        if frame is None:
            return {"code": str(RefusalCode.UNDECODABLE), "reason": "no frame decodes"}
        _save_thumbnail(frame.to_image(), Path(out), max_side)
    return {"written": out}


def _child_main(argv: list[str]) -> int:
    """Entry of the child: `probe PATH MIME MAX_PIXELS T` or `thumbnail PATH OUT SIDE T`."""
    _limit_child(float(argv[-1]))
    if argv[0] == "probe":
        answer = _child_probe(argv[1], argv[2], int(argv[3]))
    elif argv[0] == "thumbnail":
        answer = _child_thumbnail(argv[1], argv[2], int(argv[3]))
    else:
        return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
