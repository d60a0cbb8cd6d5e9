"""Text layout: the largest font size that fits a box, with balanced line breaks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from signage.domain.errors import ValidationError
from signage.domain.quotes import author_line, quotation_marks, quoted
from signage.domain.templates import Geometry, RenderRefusedError, Template, TextTooLongError

PixelBox = tuple[int, int, int, int]  # left, top, right, bottom; right and bottom exclusive
_SMALLEST_PX = 4


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Lines at one font size, each with its baseline-left origin; `ink` bounds them all."""

    lines: tuple[str, ...]
    size: int
    origins: tuple[tuple[int, int], ...]
    ink: PixelBox


@dataclass(frozen=True, slots=True)
class FramePlan:
    """Where every piece of text goes on one frame; drawn by the compose step."""

    width: int
    height: int
    geometry: Geometry
    quote: TextBlock
    author: TextBlock | None
    footer: TextBlock | None
    mark: TextBlock | None

    def text(self) -> str:
        """Every character that will be drawn, for the glyph coverage check."""
        blocks = (self.quote, self.author, self.footer, self.mark)
        return "\n".join(line for block in blocks if block for line in block.lines)


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at a pixel size; the basic layout keeps output identical with or without raqm."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


def draw_run(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> None:
    """Draw one line with its baseline-left corner at `origin` (the one text primitive)."""
    draw.text(origin, text, font=font, fill=fill, anchor="ls")


def render_run(font_path: str, text: str, size: int) -> Image.Image:
    """A line drawn alone in black on white, as the compose step draws it (for glyph checks)."""
    font = load_font(font_path, size)
    image = Image.new("RGB", (size * (len(text) + 2), size * 2), (255, 255, 255))
    draw_run(ImageDraw.Draw(image), (size // 2, int(size * 1.4)), text, font, (0, 0, 0))
    return image


def plan_frame(
    template: Template,
    *,
    quote_text: str,
    language: str,
    author: str,
    author_role: str,
    size: tuple[int, int],
    font_path: str,
) -> FramePlan:
    """Fit the quote, author line, footer and large mark into the template's boxes."""
    if not quote_text.strip():
        raise ValidationError("quote_text", "the quote is empty")
    width, height = size
    geometry = template.geometry_for(width, height)
    shorter = min(width, height)
    center = template.text_align.value == "center"
    text = quoted(quote_text, language) if template.inline_marks else _bare(quote_text, language)
    min_px, max_px = template.min_text_px(width, height), template.max_text_px(width, height)
    box = geometry.text_box.to_pixels(width, height)
    quote = fit_text(text, font_path, box, min_px, max_px, template.line_spacing, center)
    if quote is None:
        fits_at = _best_below(text, font_path, box, min_px, template.line_spacing, center)
        raise TextTooLongError(
            f"The quote is too long for the template '{template.name}' on a {width}×{height} "
            f"screen: it fits only at {fits_at} px, below the legibility minimum of {min_px} px. "
            "Shorten the text or choose another template."
        )
    small_min = max(1, round(template.min_footer_fraction * shorter))
    small_max = max(small_min, round(template.max_footer_fraction * shorter))
    attribution = author_line(author, author_role)
    author_block = None
    if attribution:
        box = geometry.author_box.to_pixels(width, height)
        cap = max(small_min, min(round(quote.size * 0.62), round(small_max * 1.4)))
        author_block = fit_text(
            attribution, font_path, box, small_min, cap, template.line_spacing, center, top=True
        )
        if author_block is None:
            raise RenderRefusedError(
                f"The author line does not fit the template '{template.name}' at a legible size; "
                "shorten the author's name or role, or choose another template."
            )
    footer = _fit_footer(template, geometry, size, font_path, small_min, small_max, center)
    mark = None
    if geometry.marks_box is not None:
        box = geometry.marks_box.to_pixels(width, height)
        mark = _fit_mark(quotation_marks(language)[0], font_path, box)
    return FramePlan(width, height, geometry, quote, author_block, footer, mark)


def _ink(font: ImageFont.FreeTypeFont, glyph: str) -> PixelBox:
    """Tight ink box of a glyph around its baseline-left origin (getbbox reaches the baseline)."""
    ascent, descent = font.getmetrics()
    pad = ascent + descent
    canvas = Image.new("L", (pad * 3, pad * 3), 0)
    ImageDraw.Draw(canvas).text((pad, 2 * pad), glyph, font=font, fill=255, anchor="ls")
    x0, y0, x1, y1 = canvas.getbbox() or (pad, 2 * pad, pad, 2 * pad)
    return x0 - pad, y0 - 2 * pad, x1 - pad, y1 - 2 * pad


def _fit_mark(glyph: str, font_path: str, box: PixelBox) -> TextBlock | None:
    """The large ornamental quotation mark, as big as its box allows, at the box's top left."""
    left, top, right, bottom = box
    reference = 200
    x0, y0, x1, y1 = _ink(load_font(font_path, reference), glyph)
    if x1 <= x0 or y1 <= y0:
        return None
    # Outlines scale linearly, so one measurement predicts the size; hinting may add a pixel.
    size = int(reference * min((right - left) / (x1 - x0), (bottom - top) / (y1 - y0)))
    while size > 1:
        x0, y0, x1, y1 = _ink(load_font(font_path, size), glyph)
        if x1 - x0 <= right - left and y1 - y0 <= bottom - top:
            origin = (left - x0, top - y0)
            ink = (left, top, left + x1 - x0, top + y1 - y0)
            return TextBlock((glyph,), size, (origin,), ink)
        size -= 1
    return None


def _bare(text: str, language: str) -> str:
    """The text without surrounding quotation marks, for designs that draw a large mark."""
    marked = quoted(text, language)
    return marked[1:-1]


def _fit_footer(
    template: Template,
    geometry: Geometry,
    size: tuple[int, int],
    font_path: str,
    small_min: int,
    small_max: int,
    center: bool,
) -> TextBlock | None:
    """Hashtags grouped onto as few lines as give the largest size, then the contact line."""
    tags = [tag.strip() for tag in template.hashtags]
    contact = [template.contact_line.strip()] if template.contact_line.strip() else []
    if not tags and not contact:
        return None
    box = geometry.footer_box.to_pixels(*size)
    best: TextBlock | None = None
    for rows in range(1, max(1, len(tags)) + 1):
        lines = [*(_SEPARATOR.join(group) for group in _groups(tags, rows)), *contact]
        block = fit_lines(lines, font_path, box, small_min, small_max, 1.15, center)
        if block is not None and (best is None or block.size > best.size):
            best = block
    if best is None:
        raise RenderRefusedError(
            f"The footer of the template '{template.name}' does not fit at a legible size on a "
            f"{size[0]}×{size[1]} screen; shorten the hashtags or contact line."
        )
    return best


_SEPARATOR = "   "


def _groups(items: Sequence[str], rows: int) -> list[list[str]]:
    """Consecutive items split into at most `rows` groups of equal count."""
    per_row = -(-len(items) // rows) if items else 0
    return [list(items[i : i + per_row]) for i in range(0, len(items), per_row or 1)]


def fit_text(
    text: str,
    font_path: str,
    box: PixelBox,
    min_size: int,
    max_size: int,
    line_spacing: float,
    center: bool,
    *,
    top: bool = False,
) -> TextBlock | None:
    """Wrapped text at the largest size in [min_size, max_size] that fits the box, else None."""
    return _largest(
        lambda s: _place(
            _wrap(text, load_font(font_path, s), box[2] - box[0]),
            font_path,
            s,
            box,
            line_spacing,
            center,
            top,
        ),
        min_size,
        max_size,
    )


def fit_lines(
    lines: Sequence[str],
    font_path: str,
    box: PixelBox,
    min_size: int,
    max_size: int,
    line_spacing: float,
    center: bool,
) -> TextBlock | None:
    """Fixed lines at the largest size in [min_size, max_size] that fits the box, else None."""
    return _largest(
        lambda s: _place(list(lines), font_path, s, box, line_spacing, center, False),
        min_size,
        max_size,
    )


def _best_below(
    text: str, font_path: str, box: PixelBox, min_px: int, spacing: float, center: bool
) -> int:
    block = fit_text(text, font_path, box, _SMALLEST_PX, min_px - 1, spacing, center)
    return block.size if block else _SMALLEST_PX - 1


def _largest(attempt: Callable[[int], TextBlock | None], low: int, high: int) -> TextBlock | None:
    """Binary search for the largest size whose attempt fits (fitting shrinks with size)."""
    best = attempt(low) if low <= high else None
    if best is None:
        return None
    low += 1
    while low <= high:
        mid = (low + high) // 2
        block = attempt(mid)
        if block is None:
            high = mid - 1
        else:
            best, low = block, mid + 1
    return best


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Balanced lines: as few as greedy wrapping needs, at the narrowest width that keeps them."""
    paragraphs = [p.split() for p in text.split("\n") if p.strip()]
    widths: dict[str, float] = {}
    for paragraph in paragraphs:
        for word in paragraph:
            if word not in widths:
                widths[word] = font.getlength(word)
    if not widths or max(widths.values()) > width:
        return None
    space = font.getlength(" ")

    def greedy(limit: float) -> list[list[str]]:
        rows: list[list[str]] = []
        for paragraph in paragraphs:
            row: list[str] = []
            used = 0.0
            for word in paragraph:
                extra = widths[word] + (space if row else 0.0)
                if row and used + extra > limit:
                    rows.append(row)
                    row, extra = [], widths[word]
                    used = 0.0
                row.append(word)
                used += extra
            rows.append(row)
        return rows

    count = len(greedy(width))
    low, high = max(widths.values()), float(width)
    while high - low > 1.0:  # the narrowest width that still needs no more lines
        mid = (low + high) / 2
        if len(greedy(mid)) <= count:
            high = mid
        else:
            low = mid
    return [" ".join(row) for row in greedy(high)]


def _place(
    lines: list[str] | None,
    font_path: str,
    size: int,
    box: PixelBox,
    line_spacing: float,
    center: bool,
    top: bool,
) -> TextBlock | None:
    """Origins for the lines inside the box, by their real ink, or None when they overflow."""
    if not lines:
        return None
    font = load_font(font_path, size)
    left, upper, right, lower = box
    step = round(size * line_spacing)
    ascent, descent = font.getmetrics()
    inks = [font.getbbox(line, anchor="ls") for line in lines]
    # Vertical extent from the font's metrics, widened by any glyph that reaches beyond them,
    # so blocks of equal line count sit alike whatever letters they hold.
    block_top = min(-ascent, *(int(ink[1]) for ink in inks))
    block_bottom = max(descent, *(int(ink[3]) for ink in inks)) + (len(lines) - 1) * step
    if block_bottom - block_top > lower - upper:
        return None
    baseline = (
        upper - block_top
        if top
        else upper + (lower - upper - (block_bottom - block_top)) // 2 - block_top
    )
    origins: list[tuple[int, int]] = []
    ink_left, ink_right = right, left
    for i, (x0, _, x1, _) in enumerate(inks):
        x0, x1 = int(x0), int(x1)
        if x1 - min(x0, 0) > right - left:
            return None
        x = (left + right - (x1 + x0)) // 2 if center else left - min(x0, 0)
        x = min(max(x, left - min(x0, 0)), right - x1)
        origins.append((x, baseline + i * step))
        ink_left, ink_right = min(ink_left, x + x0), max(ink_right, x + x1)
    ink = (ink_left, baseline + block_top, ink_right, baseline + block_bottom)
    return TextBlock(tuple(lines), size, tuple(origins), ink)
