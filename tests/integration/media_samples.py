"""Sample media made at test time (Pillow and the imageio-ffmpeg binary); nothing is committed."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zlib
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def _noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Random pixels, so JPEG data is big enough to cut and hard to guess."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    """A plain RGB JPEG."""
    return _save(_noise(size), "JPEG", quality=90)


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    """An RGBA PNG."""
    return _save(_noise(size, seed=2).convert("RGBA"), "PNG")


def webp(size: tuple[int, int] = (64, 48)) -> bytes:
    """A lossy RGB WebP."""
    return _save(_noise(size, seed=3), "WEBP", quality=80)


def animated_webp() -> bytes:
    """A two-frame WebP animation (a video in disguise)."""
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), BLUE)]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG, as print shops send them."""
    return _save(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", quality=95)


def png_16bit() -> bytes:
    """A 16-bit greyscale PNG: left half 65535 (white), right half 32896 (mid grey)."""
    image = Image.new("I;16", (40, 20), 32896)
    image.paste(65535, (0, 0, 20, 20))
    return _save(image, "PNG")


def jpeg_exif_orientation_6() -> bytes:
    """40×20 as stored, red left half, EXIF orientation 6: upright it is 20×40, red on top."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(image, "JPEG", quality=95, exif=exif)


def truncated_jpeg() -> bytes:
    """A JPEG cut in the middle of its image data."""
    data = _save(_noise((128, 128)), "JPEG", quality=95)
    return data[: len(data) * 3 // 5]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` RGB pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def ffmpeg(workdir: Path, name: str, *args: str) -> bytes:
    """Run the imageio-ffmpeg binary to make `name` in `workdir`; its bytes."""
    out = workdir / name
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *args, str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return out.read_bytes()


_TESTSRC = ("-f", "lavfi", "-i", "testsrc=size=160x90:rate=10", "-t", "2", "-pix_fmt", "yuv420p")


def mp4_h264(workdir: Path) -> bytes:
    """2 s of 160×90 H.264 at 10 fps in MP4."""
    return ffmpeg(workdir, "h264.mp4", *_TESTSRC, "-c:v", "libx264", "-preset", "ultrafast")


def webm_vp9(workdir: Path) -> bytes:
    """2 s of 160×90 VP9 at 10 fps in WebM."""
    return ffmpeg(
        workdir, "vp9.webm", *_TESTSRC, "-c:v", "libvpx-vp9", "-deadline", "realtime",
        "-cpu-used", "8", "-b:v", "200k",
    )  # fmt: skip


def webm_av1(workdir: Path) -> bytes:
    """AV1 in WebM: a real video, but not one the players are promised to decode."""
    return ffmpeg(workdir, "av1.webm", *_TESTSRC, "-c:v", "libsvtav1", "-preset", "12")


def mp4_vp9(workdir: Path) -> bytes:
    """VP9 in an MP4 container: MP4 must carry H.264."""
    return ffmpeg(
        workdir, "vp9.mp4", *_TESTSRC, "-c:v", "libvpx-vp9", "-deadline", "realtime",
        "-cpu-used", "8",
    )  # fmt: skip


def mkv_vp9(workdir: Path) -> bytes:
    """VP9 in a Matroska (not WebM) file."""
    return ffmpeg(
        workdir, "vp9.mkv", *_TESTSRC, "-c:v", "libvpx-vp9", "-deadline", "realtime",
        "-cpu-used", "8", "-f", "matroska",
    )  # fmt: skip


def mp4_audio_only(workdir: Path) -> bytes:
    """One second of a sine tone, AAC in MP4, no video stream."""
    return ffmpeg(
        workdir, "audio.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac"
    )


def truncated_mp4(workdir: Path) -> bytes:
    """An H.264 MP4 whose tail (with the `moov` index) is cut off: `ftyp` but no movie."""
    data = mp4_h264(workdir)
    return data[: len(data) // 2]
