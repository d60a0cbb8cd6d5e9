"""Compose one frame with Pillow: background, photo, logos, quote, author line, footer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from signage.adapters.render.fonts import require_coverage
from signage.adapters.render.layout import (
    FramePlan,
    PixelBox,
    TextBlock,
    draw_run,
    load_font,
    plan_frame,
)
from signage.domain.creatives import MAX_SIDE, MIN_SIDE
from signage.domain.errors import ValidationError
from signage.domain.templates import Box, DesignKind, RenderRefusedError, Template


def check_size(size: tuple[int, int]) -> None:
    """Refuse screen sizes the encoder cannot take (yuv420p needs even sides)."""
    width, height = size
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValidationError("size", f"{width}×{height} is outside {MIN_SIDE}–{MAX_SIDE} pixels")
    if width % 2 or height % 2:
        raise ValidationError("size", f"{width}×{height}: width and height must be even")


def render_still(
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
) -> Image.Image:
    """The full RGB frame for a quote, laid out by the same code that renders the video."""
    check_size(size)
    font = str(font_path)
    plan = plan_frame(
        template,
        quote_text=quote_text,
        language=language,
        author=author,
        author_role=author_role,
        size=size,
        font_path=font,
    )
    # Every drawn character is checked before any pixel is drawn.
    require_coverage(font, plan.text())
    if logo_paths and plan.geometry.logo_strip is None:
        raise RenderRefusedError(
            f"The template '{template.name}' has no logo strip; remove the logos or choose "
            "another template."
        )
    frame = Image.new("RGB", size, _rgb(template.background))
    # The colour-field design is the colour itself; a photo given with it is not shown.
    if image_path is not None and template.kind is not DesignKind.COLOUR_FIELD:
        _paste_photo(frame, template, plan, Path(image_path))
    if logo_paths and plan.geometry.logo_strip is not None:
        _paste_logos(
            frame, plan.geometry.logo_strip.to_pixels(*size), [Path(p) for p in logo_paths]
        )
    draw = ImageDraw.Draw(frame)
    _draw_block(draw, plan.mark, font, _rgb(template.accent_colour))
    _draw_block(draw, plan.quote, font, _rgb(template.text_colour))
    _draw_block(draw, plan.author, font, _rgb(template.accent_colour))
    _draw_block(draw, plan.footer, font, _rgb(template.footer_colour))
    return frame


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _draw_block(
    draw: ImageDraw.ImageDraw, block: TextBlock | None, font_path: str, fill: tuple[int, int, int]
) -> None:
    if block is None:
        return
    font = load_font(font_path, block.size)
    for line, origin in zip(block.lines, block.origins, strict=True):
        draw_run(draw, origin, line, font, fill)


def _open_image(path: Path, what: str) -> Image.Image:
    try:
        with Image.open(path) as image:
            image.load()
            return ImageOps.exif_transpose(image)
    except (OSError, UnidentifiedImageError) as exc:
        raise ValidationError(what, f"{path.name} is not a readable image: {exc}") from exc


def _paste_photo(frame: Image.Image, template: Template, plan: FramePlan, path: Path) -> None:
    """Cover the photo box (or the whole frame) with the photo, blurred and dimmed if asked."""
    photo = _open_image(path, "image").convert("RGB")
    width, height = frame.size
    area = plan.geometry.photo_box or Box(0.0, 0.0, 1.0, 1.0)
    left, top, right, bottom = area.to_pixels(width, height)
    box_w, box_h = right - left, bottom - top
    if template.photo_blur > 0:
        # Blurring a quarter-size copy is ~16× cheaper and, being blurred, looks the same.
        small = ImageOps.fit(photo, (max(1, box_w // 4), max(1, box_h // 4)), Image.Resampling.BOX)
        radius = template.photo_blur * min(width, height) / 4
        small = small.filter(ImageFilter.GaussianBlur(radius))
        placed = small.resize((box_w, box_h), Image.Resampling.BICUBIC)
    else:
        placed = ImageOps.fit(
            photo, (box_w, box_h), Image.Resampling.LANCZOS, centering=(0.5, 0.35)
        )
    if template.photo_dim > 0:
        placed = Image.blend(placed, Image.new("RGB", placed.size, (0, 0, 0)), template.photo_dim)
    frame.paste(placed, (left, top))


def _paste_logos(frame: Image.Image, strip: PixelBox, paths: list[Path]) -> None:
    """Logos side by side in the strip, each scaled to its height, the row centred."""
    left, top, right, bottom = strip
    strip_w, strip_h = right - left, bottom - top
    logos = [_open_image(path, "logo_paths").convert("RGBA") for path in paths]
    gap = strip_h // 2
    scaled_w = [max(1, round(logo.width * strip_h / logo.height)) for logo in logos]
    total = sum(scaled_w) + gap * (len(logos) - 1)
    scale = min(1.0, strip_w / total) if total else 1.0
    height = max(1, int(strip_h * scale))
    x = left + (strip_w - int(total * scale)) // 2
    for logo, logo_w in zip(logos, scaled_w, strict=True):
        w = max(1, int(logo_w * scale))
        resized = logo.resize((w, height), Image.Resampling.LANCZOS)
        y = top + (strip_h - height) // 2
        frame.paste(resized, (min(x, right - w), y), resized)
        x += w + int(gap * scale)
