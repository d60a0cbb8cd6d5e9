"""Templates as values: the built-in designs, validation, copies that staff adjust."""

from __future__ import annotations

import pytest

from signage.domain.errors import ValidationError
from signage.domain.quotes import author_line, quotation_marks, quoted
from signage.domain.templates import (
    CAMPAIGN_HASHTAGS,
    Box,
    DesignKind,
    EncoderSettings,
    Geometry,
    Margins,
    Template,
    builtin_templates,
    copy_template,
)


def _inside(box: Box, area: Box) -> bool:
    eps = 1e-9
    return (
        box.x >= area.x - eps
        and box.y >= area.y - eps
        and box.x + box.w <= area.x + area.w + eps
        and box.y + box.h <= area.y + area.h + eps
    )


def test_three_builtin_designs_with_footer_logo_strip_and_safe_margins() -> None:
    templates = builtin_templates(contact_line="Call 0000")
    assert {t.kind for t in templates} == set(DesignKind)
    for template in templates:
        assert template.hashtags == CAMPAIGN_HASHTAGS
        assert template.contact_line == "Call 0000"
        safe = template.safe_margins.safe_area()
        assert safe.w < 1
        assert safe.h < 1
        for geometry in (template.landscape, template.portrait):
            assert geometry.logo_strip is not None
            for name, box in geometry.boxes().items():
                if name != "photo_box":
                    assert _inside(box, safe), (template.name, name)


def test_portrait_design_puts_the_photo_beside_the_text_on_wide_screens() -> None:
    portrait = next(t for t in builtin_templates() if t.kind is DesignKind.PORTRAIT_PHOTO)
    photo, text = portrait.landscape.photo_box, portrait.landscape.text_box
    assert photo is not None
    assert photo.x + photo.w <= text.x
    assert portrait.geometry_for(1080, 1920) is portrait.portrait
    assert portrait.geometry_for(1152, 576) is portrait.landscape


def test_legibility_minimum_follows_the_shorter_side_of_the_screen() -> None:
    template = builtin_templates()[0]
    assert template.min_text_px(1920, 1080) == template.min_text_px(1080, 1920)
    assert template.min_text_px(1152, 576) < template.min_text_px(1920, 1080)


def test_copy_keeps_the_original_and_applies_staff_adjustments() -> None:
    original = builtin_templates()[1]
    copy = copy_template(
        original,
        "Night version",
        background="#000010",
        text_colour="#FFFFEE",
        font_family="Noto Sans",
        duration_s=15.0,
        fps=30,
        fade_in_s=0.5,
        fade_out_s=2.0,
    )
    assert (copy.name, copy.background, copy.duration_s, copy.fps) == (
        "Night version",
        "#000010",
        15.0,
        30,
    )
    assert (copy.fade_in_s, copy.fade_out_s, copy.font_family) == (0.5, 2.0, "Noto Sans")
    assert original.background == "#000000"
    assert original.name != copy.name
    assert copy.landscape == original.landscape


def test_wider_margins_move_the_layout_inside_them() -> None:
    original = builtin_templates()[0]
    margins = Margins(left=0.1, top=0.1, right=0.1, bottom=0.1)
    copy = copy_template(original, "LED safe", safe_margins=margins)
    for geometry in (copy.landscape, copy.portrait):
        for name, box in geometry.boxes().items():
            if name != "photo_box":
                assert _inside(box, margins.safe_area()), name
    assert copy.landscape.text_box != original.landscape.text_box


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"background": "red"}, "background"),
        ({"accent_colour": "#12345"}, "accent_colour"),
        ({"fade_in_s": 6.0, "fade_out_s": 6.0}, "fade_out_s"),
        ({"duration_s": 0.5}, "duration_s"),
        ({"fps": 0}, "fps"),
        ({"fps": 25.5}, "fps"),
        ({"font_family": " "}, "font_family"),
        ({"min_text_fraction": 0.5}, "min_text_fraction"),
        ({"hashtags": ("#" + "x" * 100,)}, "hashtags"),
        ({"contact_line": "two\nlines"}, "contact_line"),
        ({"kind": DesignKind.COLOUR_FIELD}, "kind"),
        ({"safe_margins": Margins(left=0.3)}, "safe_margins.left"),
    ],
)
def test_bad_adjustments_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        copy_template(builtin_templates()[1], "Bad", **changes)
    assert caught.value.field == field


def _geometry(**boxes: Box) -> Geometry:
    base = {
        "text_box": Box(0.1, 0.1, 0.8, 0.5),
        "author_box": Box(0.1, 0.65, 0.8, 0.1),
        "footer_box": Box(0.1, 0.8, 0.8, 0.12),
    }
    return Geometry(**{**base, **boxes})


@pytest.mark.parametrize(
    ("geometry", "field"),
    [
        (_geometry(text_box=Box(0.0, 0.1, 0.8, 0.5)), "landscape.text_box"),
        (_geometry(author_box=Box(0.1, 0.5, 0.8, 0.2)), "landscape.author_box"),
        (_geometry(footer_box=Box(0.1, 0.8, 0.8, 0.3)), "landscape.footer_box"),
        (_geometry(logo_strip=Box(0.5, 0.2, 0.2, 0.1)), "landscape.logo_strip"),
    ],
)
def test_geometry_outside_margins_or_overlapping_is_refused(geometry: Geometry, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Template("T", DesignKind.BLURRED_PHOTO, landscape=geometry, portrait=_geometry())
    assert caught.value.field == field


def test_design_kinds_need_their_own_boxes() -> None:
    with pytest.raises(ValidationError, match="photo box"):
        Template("T", DesignKind.PORTRAIT_PHOTO, landscape=_geometry(), portrait=_geometry())
    with pytest.raises(ValidationError, match="marks box"):
        Template("T", DesignKind.COLOUR_FIELD, landscape=_geometry(), portrait=_geometry())


def test_photo_may_bleed_to_the_screen_edge() -> None:
    geometry = _geometry(
        text_box=Box(0.45, 0.1, 0.45, 0.5),
        author_box=Box(0.45, 0.62, 0.45, 0.1),
        photo_box=Box(0.0, 0.0, 0.4, 0.75),
    )
    template = Template("T", DesignKind.PORTRAIT_PHOTO, landscape=geometry, portrait=geometry)
    assert template.landscape.photo_box == Box(0.0, 0.0, 0.4, 0.75)


def test_encoder_settings_default_to_medium_and_refuse_unknown_presets() -> None:
    assert EncoderSettings() == EncoderSettings(preset="medium", crf=20)
    with pytest.raises(ValidationError) as caught:
        EncoderSettings(preset="placebo-ish")
    assert caught.value.field == "preset"
    with pytest.raises(ValidationError):
        EncoderSettings(crf=60)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("tg", ("«", "»")), ("ru", ("«", "»")), ("en", ("“", "”"))],
)
def test_quotation_marks_per_language(language: str, expected: tuple[str, str]) -> None:
    assert quotation_marks(language) == expected


def test_quoted_replaces_existing_marks_and_types_inner_quotes() -> None:
    assert quoted('"Свобода"', "ru") == "«Свобода»"
    assert quoted('Он сказал "нет" дважды', "ru") == "«Он сказал „нет“ дважды»"
    assert quoted("  Never   again ", "en") == "“Never again”"
    assert quoted('She said "no"', "en") == "“She said ‘no’”"
    with pytest.raises(ValidationError) as caught:
        quoted("Hola", "es")
    assert caught.value.field == "language"


def test_author_line_is_set_apart_with_a_dash() -> None:
    assert author_line("Nelson Mandela", "lawyer") == "— Nelson Mandela, lawyer"
    assert author_line("UDHR") == "— UDHR"
    assert author_line("  ") == ""
