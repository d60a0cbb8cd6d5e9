"""Quote-video render time against the ffmpeg floor: same still, encoder, preset, CRF, fades.

Usage: .venv/bin/python bench/render.py [--preset P] [--crf N] [--runs 3] [--keep DIR]

The product path is `render_video` (layout, Pillow composition, moviepy, verification probe).
The floor is the ffmpeg binary encoding the already composed still, decoding it once and
looping it in the filter graph. The last line is `render_ratio: X`, the median of the paired
product/floor wall-time ratios (goal ≤ 1.5).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw, ImageFilter

from signage.adapters.render.compose import render_still
from signage.adapters.render.fonts import find_font
from signage.adapters.render.probe import probe_video
from signage.adapters.render.video import COLOUR_FILTER, render_video, x264_output_args
from signage.domain.templates import DesignKind, EncoderSettings, builtin_templates, copy_template

SIZE = (1920, 1080)
SECONDS, FPS, FADE = 10.0, 25, 1.0
QUOTE = (
    "Ҳеҷ кас набояд зери шиканҷа ё муносибат ва ҷазои бераҳмона, ғайриинсонӣ ё "
    "таҳқиркунандаи шаъну шарафи инсон қарор гирад."
)


def synthetic_photo(path: Path) -> None:
    """A photo-like picture (gradients, soft shapes) so the encoder has real work."""
    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    for y in range(1200):
        draw.line([(0, y), (1599, y)], fill=(40 + y // 8, 70 + y // 12, 120 - y // 20))
    for i in range(40):
        x, y, r = (i * 397) % 1600, (i * 211) % 1200, 40 + (i * 53) % 160
        draw.ellipse((x - r, y - r, x + r, y + r), fill=((i * 71) % 255, (i * 37) % 255, 90))
    image.filter(ImageFilter.GaussianBlur(3)).save(path, quality=92)


def floor_command(still: Path, out: Path, encoder: EncoderSettings) -> list[str]:
    """The ffmpeg floor: decode the still once, loop it, fade, encode like the product."""
    frames = int(SECONDS * FPS)
    graph = (
        f"{COLOUR_FILTER},loop=loop={frames - 1}:size=1:start=0,"
        f"fade=t=in:st=0:d={FADE:g},fade=t=out:st={SECONDS - FADE:g}:d={FADE:g}"
    )
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-y", "-loglevel", "error", "-framerate", str(FPS), "-i", str(still)),
        *("-vf", graph, "-c:v", "libx264", "-preset", encoder.preset),
        *x264_output_args(encoder),
        str(out),
    ]


def _cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (ffmpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Run the paired product/floor renders; print each, peak memory and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default=EncoderSettings().preset)
    parser.add_argument("--crf", type=int, default=EncoderSettings().crf)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the outputs in this directory")
    args = parser.parse_args()
    encoder = EncoderSettings(preset=args.preset, crf=args.crf)
    font = find_font(None, ["DejaVu Sans"], text=QUOTE)
    base = next(t for t in builtin_templates() if t.kind is DesignKind.BLURRED_PHOTO)
    template = copy_template(
        base, "bench", duration_s=SECONDS, fps=FPS, fade_in_s=FADE, fade_out_s=FADE
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        photo = work / "photo.jpg"
        synthetic_photo(photo)
        author, role = "Эъломияи умумии ҳуқуқи башар", "моддаи 5"
        still = work / "still.png"
        render_still(
            template,
            quote_text=QUOTE,
            language="tg",
            author=author,
            author_role=role,
            image_path=photo,
            size=SIZE,
            font_path=font.path,
        ).save(still, compress_level=1)
        print(
            f"workload: {SIZE[0]}×{SIZE[1]}, {SECONDS:g} s at {FPS} fps, fades {FADE:g} s, "
            f"libx264 preset {encoder.preset} crf {encoder.crf}, font {font.path.name}"
        )
        ratios = []
        for run in range(1, args.runs + 1):
            wall: dict[str, float] = {}
            cpu: dict[str, float] = {}
            # Alternate the order so neither side always runs on a warmer machine.
            for side in ("product", "floor") if run % 2 else ("floor", "product"):
                start, cpu_start = time.perf_counter(), _cpu_seconds()
                if side == "product":
                    info = render_video(
                        template,
                        quote_text=QUOTE,
                        language="tg",
                        author=author,
                        author_role=role,
                        image_path=photo,
                        size=SIZE,
                        font_path=font.path,
                        out_path=work / "product.mp4",
                        encoder=encoder,
                    )
                else:
                    subprocess.run(floor_command(still, work / "floor.mp4", encoder), check=True)
                wall[side] = time.perf_counter() - start
                cpu[side] = _cpu_seconds() - cpu_start
            floor_info = probe_video(work / "floor.mp4")
            ratios.append(wall["product"] / wall["floor"])
            print(
                f"run {run}: product {wall['product']:.2f} s (cpu {cpu['product']:.1f} s, "
                f"{info.frames} frames, {info.size_bytes / 1e6:.2f} MB)  "
                f"floor {wall['floor']:.2f} s (cpu {cpu['floor']:.1f} s, "
                f"{floor_info.frames} frames, {floor_info.size_bytes / 1e6:.2f} MB)  "
                f"ratio {ratios[-1]:.2f}"
            )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: python {own:.0f} MB, largest ffmpeg child {child:.0f} MB (max RSS)")
    print(f"render_ratio: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
