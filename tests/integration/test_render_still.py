"""Still previews: text only inside the template's boxes, real Tajik glyphs, font refusals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from signage.adapters.render.compose import render_still
from signage.adapters.render.fonts import check_coverage, find_font
from signage.adapters.render.layout import render_run
from signage.domain.errors import ValidationError
from signage.domain.templates import (
    Box,
    DesignKind,
    FontNotFoundError,
    MissingGlyphsError,
    RenderRefusedError,
    Template,
    builtin_templates,
    copy_template,
)

TAJIK = "ҷӣҳқғӯ"
QUOTE_TG = (
    "Ҳеҷ кас набояд зери шиканҷа ё муносибат ва ҷазои бераҳмона, ғайриинсонӣ ё "
    "таҳқиркунандаи шаъну шарафи инсон қарор гирад; ҳеҷ кас нисбат ба ӯ набояд."
)
SIZES = [(1920, 1080), (1080, 1920), (1152, 576)]


@pytest.fixture(scope="module")
def logo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logos") / "logo.png"
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (10, 10, 290, 90))
    image.save(path)
    return path


def _outer(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """A geometry box in pixels, rounded outwards (independent of the layout's own rounding)."""
    return (
        math.floor(box.x * width),
        math.floor(box.y * height),
        math.ceil((box.x + box.w) * width),
        math.ceil((box.y + box.h) * height),
    )


def _ink_mask(image: Image.Image, background: str) -> np.ndarray:
    pixels = np.asarray(image).astype(np.int16)
    colour = np.array([int(background[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return np.any(pixels != colour, axis=2)


def _allowed(template: Template, width: int, height: int, names: tuple[str, ...]) -> np.ndarray:
    geometry = template.geometry_for(width, height)
    mask = np.zeros((height, width), dtype=bool)
    for name in names:
        box = getattr(geometry, name)
        if box is not None:
            left, top, right, bottom = _outer(box, width, height)
            mask[top:bottom, left:right] = True
    return mask


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", list(DesignKind))
def test_ink_stays_inside_the_template_boxes(
    font: str, logo: Path, kind: DesignKind, size: tuple[int, int]
) -> None:
    template = next(t for t in builtin_templates() if t.kind is kind)
    image = render_still(
        template,
        quote_text=QUOTE_TG,
        language="tg",
        author="Эъломияи умумии ҳуқуқи башар",
        author_role="моддаи 5",
        logo_paths=[logo, logo],
        size=size,
        font_path=font,
    )
    assert image.size == size
    ink = _ink_mask(image, template.background)
    boxes = ("text_box", "author_box", "footer_box", "logo_strip", "marks_box")
    outside = ink & ~_allowed(template, *size, boxes)
    assert not outside.any(), f"{outside.sum()} ink pixels outside the boxes"
    for name in boxes[:4]:
        assert (ink & _allowed(template, *size, (name,))).sum() > 100, f"nothing drawn in {name}"


@pytest.mark.parametrize("kind", list(DesignKind))
def test_the_quote_alone_stays_inside_the_text_box(font: str, kind: DesignKind) -> None:
    base = next(t for t in builtin_templates() if t.kind is kind)
    template = copy_template(base, "quote only", hashtags=(), contact_line="")
    size = (1920, 1080)
    image = render_still(template, quote_text=QUOTE_TG, language="tg", size=size, font_path=font)
    ink = _ink_mask(image, template.background)
    assert not (ink & ~_allowed(template, *size, ("text_box", "marks_box"))).any()
    assert ink.sum() > 5000


@pytest.mark.parametrize("letter", list(TAJIK))
def test_each_tajik_letter_renders_as_a_real_glyph(font: str, letter: str) -> None:
    assert check_coverage(font, "\ue000") == ("\ue000",)
    missing_box = np.asarray(render_run(font, "\ue000", 64))
    glyph = np.asarray(render_run(font, letter, 64))
    base_letter = {"ҷ": "ч", "ӣ": "и", "ҳ": "х", "қ": "к", "ғ": "г", "ӯ": "у"}[letter]
    assert (glyph < 128).sum() > 50
    assert not np.array_equal(glyph, missing_box)
    assert not np.array_equal(glyph, np.asarray(render_run(font, base_letter, 64)))


def test_a_font_without_tajik_letters_is_refused_naming_them(
    font_without_tajik: Path,
) -> None:
    assert set(check_coverage(font_without_tajik, TAJIK)) == set(TAJIK)
    with pytest.raises(MissingGlyphsError) as caught:
        render_still(
            builtin_templates()[0],
            quote_text=QUOTE_TG,
            language="tg",
            size=(480, 270),
            font_path=font_without_tajik,
        )
    message = str(caught.value)
    assert set(caught.value.missing) == set(TAJIK)
    for letter in TAJIK:
        assert f"'{letter}'" in message
    assert "DejaVuSans-NoTajik.ttf" in message


def test_find_font_prefers_the_configured_file(font: str, font_without_tajik: Path) -> None:
    choice = find_font(font_without_tajik, ["DejaVu Sans"])
    assert choice.path == font_without_tajik.resolve()
    assert len(choice.sha256) == 64
    assert choice.sha256 != find_font(font, ["DejaVu Sans"]).sha256


def test_find_font_searches_by_family_and_skips_fonts_lacking_the_text(
    font: str, font_without_tajik: Path
) -> None:
    dirs = [font_without_tajik.parent]
    assert find_font(None, ["DejaVu Sans"], text="Привет", search_dirs=dirs).path == (
        font_without_tajik.resolve()
    )
    with pytest.raises(MissingGlyphsError, match="set the render font path"):
        find_font(None, ["DejaVu Sans"], text=QUOTE_TG, search_dirs=dirs)
    system = find_font(None, ["No Such Family", "DejaVu Sans"], text=QUOTE_TG)
    assert system.path.name == "DejaVuSans.ttf"


def test_missing_fonts_are_refused_saying_what_to_configure(tmp_path: Path) -> None:
    with pytest.raises(FontNotFoundError, match="does not exist"):
        find_font(tmp_path / "absent.ttf", ["DejaVu Sans"])
    with pytest.raises(FontNotFoundError, match="set the render font path"):
        find_font(None, ["No Such Family"], search_dirs=[tmp_path])


def test_logos_without_a_strip_and_odd_sizes_are_refused(font: str, logo: Path) -> None:
    base = builtin_templates()[1]
    no_strip = Template(
        "No strip",
        base.kind,
        landscape=base.landscape.__class__(
            text_box=base.landscape.text_box,
            author_box=base.landscape.author_box,
            footer_box=base.landscape.footer_box,
        ),
        portrait=base.portrait,
    )
    with pytest.raises(RenderRefusedError, match="no logo strip"):
        render_still(
            no_strip,
            quote_text="Hi",
            language="en",
            logo_paths=[logo],
            size=(480, 270),
            font_path=font,
        )
    with pytest.raises(ValidationError) as caught:
        render_still(base, quote_text="Hi", language="en", size=(481, 270), font_path=font)
    assert caught.value.field == "size"


def test_photo_fills_its_box_in_the_photo_designs(font: str, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (400, 600), (0, 200, 0)).save(photo)
    for template in builtin_templates():
        image = render_still(
            template,
            quote_text="Hi",
            language="en",
            image_path=photo,
            size=(480, 270),
            font_path=font,
        )
        corner = image.getpixel((2, 2))
        assert isinstance(corner, tuple)
        if template.kind is DesignKind.COLOUR_FIELD:
            assert corner == (0xB3, 0x12, 0x2E)
        else:
            assert corner[1] > corner[0] + 40  # green photo (dimmed when blurred)
