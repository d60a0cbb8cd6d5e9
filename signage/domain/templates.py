"""Quote-video templates: design kind, geometry as screen fractions, colours, timing, footer."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

from signage.domain.errors import SignageError, ValidationError

CAMPAIGN_HASHTAGS = (
    "#Stop torture and impunity!",
    "#Стоп пыткам и безнаказанности!",
    "#Аз шиканҷа ва беҷазоӣ даст кашед!",
)
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_EPS = 1e-9


class RenderError(SignageError):
    """A quote video or still could not be made."""


class RenderRefusedError(RenderError):
    """The input cannot be rendered as asked; the message says what to change."""


class TextTooLongError(RenderRefusedError):
    """The text fits only below the template's legibility minimum."""


class MissingGlyphsError(RenderRefusedError):
    """The font lacks characters of the text; `missing` lists them."""

    def __init__(self, message: str, missing: tuple[str, ...], font: str) -> None:
        super().__init__(message)
        self.missing = missing
        self.font = font


class FontNotFoundError(RenderRefusedError):
    """Neither the configured font nor a system font of the wanted family was found."""


class RenderFailedError(RenderError):
    """The encoder failed or its output did not match what was asked for."""


class DesignKind(StrEnum):
    """The three built-in ways of laying out a quote."""

    PORTRAIT_PHOTO = "portrait_photo"
    BLURRED_PHOTO = "blurred_photo"
    COLOUR_FIELD = "colour_field"


class TextAlign(StrEnum):
    """Horizontal alignment of the quote lines in their box."""

    LEFT = "left"
    CENTER = "center"


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle as fractions of the screen: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """Right edge as a fraction of the screen width."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Bottom edge as a fraction of the screen height."""
        return self.y + self.h

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """`(left, top, right, bottom)` in pixels, rounded inwards so drawing stays inside."""
        return (
            math.ceil(self.x * width - _EPS),
            math.ceil(self.y * height - _EPS),
            math.floor(self.right * width + _EPS),
            math.floor(self.bottom * height + _EPS),
        )

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any area."""
        return (
            self.x < other.right - _EPS
            and other.x < self.right - _EPS
            and self.y < other.bottom - _EPS
            and other.y < self.bottom - _EPS
        )


@dataclass(frozen=True, slots=True)
class Margins:
    """Safe margins for LED screens whose edges may be hidden, as screen fractions."""

    left: float = 0.05
    top: float = 0.06
    right: float = 0.05
    bottom: float = 0.06

    def safe_area(self) -> Box:
        """The area inside the margins."""
        return Box(self.left, self.top, 1 - self.left - self.right, 1 - self.top - self.bottom)


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where each element goes on one screen orientation.

    Text, author, footer, logo and mark boxes must lie inside the safe margins;
    the photo may bleed to the screen edge because losing its rim loses nothing.
    """

    text_box: Box
    author_box: Box
    footer_box: Box
    logo_strip: Box | None = None
    photo_box: Box | None = None
    marks_box: Box | None = None

    def boxes(self) -> dict[str, Box]:
        """The boxes that are set, by field name."""
        names = ("text_box", "author_box", "footer_box", "logo_strip", "photo_box", "marks_box")
        return {name: box for name in names if (box := getattr(self, name)) is not None}

    def remapped(self, old: Box, new: Box) -> Geometry:
        """This geometry with every box moved from the `old` area into the `new` one."""

        def move(box: Box | None) -> Box | None:
            return None if box is None else _move(box, old, new)

        return Geometry(
            text_box=_move(self.text_box, old, new),
            author_box=_move(self.author_box, old, new),
            footer_box=_move(self.footer_box, old, new),
            logo_strip=move(self.logo_strip),
            photo_box=self.photo_box,  # bleeds to the screen edge, so it keeps its place
            marks_box=move(self.marks_box),
        )


def _move(box: Box, old: Box, new: Box) -> Box:
    sx, sy = new.w / old.w, new.h / old.h
    return Box(new.x + (box.x - old.x) * sx, new.y + (box.y - old.y) * sy, box.w * sx, box.h * sy)


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """H.264 encoder settings; part of a render job's key."""

    preset: str = "medium"
    crf: int = 20

    def __post_init__(self) -> None:
        presets = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")
        if self.preset not in presets:
            raise ValidationError("preset", f"'{self.preset}' is not one of {', '.join(presets)}")
        if not isinstance(self.crf, int) or not 0 <= self.crf <= 51:
            raise ValidationError("crf", "must be a whole number from 0 to 51")


@dataclass(frozen=True, slots=True)
class Template:
    """How a quote becomes a video; every instance is valid (checked on creation and copy)."""

    name: str
    kind: DesignKind
    landscape: Geometry
    portrait: Geometry
    safe_margins: Margins = field(default_factory=Margins)
    background: str = "#101828"
    text_colour: str = "#FFFFFF"
    accent_colour: str = "#F2B33D"
    footer_colour: str = "#D0D5DD"
    font_family: str = "DejaVu Sans"
    font_file: str | None = None
    text_align: TextAlign = TextAlign.LEFT
    line_spacing: float = 1.22
    min_text_fraction: float = 0.03
    max_text_fraction: float = 0.085
    min_footer_fraction: float = 0.018
    max_footer_fraction: float = 0.034
    inline_marks: bool = True
    photo_blur: float = 0.0
    photo_dim: float = 0.0
    duration_s: float = 10.0
    fps: int = 25
    fade_in_s: float = 1.0
    fade_out_s: float = 1.0
    hashtags: tuple[str, ...] = CAMPAIGN_HASHTAGS
    contact_line: str = ""

    def __post_init__(self) -> None:
        _validate(self)

    def geometry_for(self, width: int, height: int) -> Geometry:
        """The geometry for a screen of this size (tall screens use the portrait one)."""
        return self.portrait if height > width else self.landscape

    def min_text_px(self, width: int, height: int) -> int:
        """Smallest legible quote font size for this screen, in pixels."""
        # The shorter side, not the height: a portrait screen is the same panel
        # turned, so a letter is as legible at the same pixel size.
        return max(1, math.ceil(self.min_text_fraction * min(width, height)))

    def max_text_px(self, width: int, height: int) -> int:
        """Largest quote font size for this screen, so short quotes do not shout."""
        return max(
            self.min_text_px(width, height), int(self.max_text_fraction * min(width, height))
        )


def _validate(t: Template) -> None:
    if not isinstance(t.name, str) or not 1 <= len(t.name.strip()) <= 80:
        raise ValidationError("name", "must be 1 to 80 characters")
    if not isinstance(t.kind, DesignKind):
        raise ValidationError("kind", f"must be one of {', '.join(k.value for k in DesignKind)}")
    for name in ("background", "text_colour", "accent_colour", "footer_colour"):
        value = getattr(t, name)
        if not isinstance(value, str) or not _COLOUR.match(value):
            raise ValidationError(name, f"'{value}' is not a colour in #RRGGBB form")
    if not isinstance(t.font_family, str) or not t.font_family.strip():
        raise ValidationError("font_family", "must name a font family, e.g. 'DejaVu Sans'")
    if t.font_file is not None and (not isinstance(t.font_file, str) or not t.font_file.strip()):
        raise ValidationError("font_file", "must be a path to a .ttf/.otf file or empty")
    if not isinstance(t.text_align, TextAlign):
        raise ValidationError("text_align", "must be 'left' or 'center'")
    _validate_margins(t.safe_margins)
    for orientation in ("landscape", "portrait"):
        _validate_geometry(getattr(t, orientation), t.safe_margins, t.kind, orientation)
    _number(t.line_spacing, "line_spacing", 1.0, 2.0)
    _number(t.min_text_fraction, "min_text_fraction", 0.01, 0.2)
    _number(t.max_text_fraction, "max_text_fraction", t.min_text_fraction, 0.3)
    _number(t.min_footer_fraction, "min_footer_fraction", 0.005, 0.1)
    _number(t.max_footer_fraction, "max_footer_fraction", t.min_footer_fraction, 0.15)
    _number(t.photo_blur, "photo_blur", 0.0, 0.1)
    _number(t.photo_dim, "photo_dim", 0.0, 0.9)
    _number(t.duration_s, "duration_s", 1.0, 300.0)
    if not isinstance(t.fps, int) or isinstance(t.fps, bool) or not 1 <= t.fps <= 60:
        raise ValidationError("fps", "must be a whole number from 1 to 60")
    _number(t.fade_in_s, "fade_in_s", 0.0, t.duration_s)
    _number(t.fade_out_s, "fade_out_s", 0.0, t.duration_s)
    if t.fade_in_s + t.fade_out_s > t.duration_s + _EPS:
        raise ValidationError("fade_out_s", "fade in and fade out together exceed the duration")
    if not isinstance(t.hashtags, tuple) or len(t.hashtags) > 5:
        raise ValidationError("hashtags", "must be at most five hashtags")
    for tag in t.hashtags:
        if not isinstance(tag, str) or not 1 <= len(tag.strip()) <= 80 or "\n" in tag:
            raise ValidationError("hashtags", "each hashtag must be one line of 1 to 80 characters")
    if not isinstance(t.contact_line, str) or len(t.contact_line) > 140 or "\n" in t.contact_line:
        raise ValidationError("contact_line", "must be one line of at most 140 characters")


def _number(value: object, name: str, low: float, high: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(name, f"must be a number from {low:g} to {high:g}")


def _validate_margins(m: Margins) -> None:
    for side in ("left", "top", "right", "bottom"):
        _number(getattr(m, side), f"safe_margins.{side}", 0.0, 0.25)


def _validate_geometry(g: Geometry, margins: Margins, kind: DesignKind, where: str) -> None:
    safe = margins.safe_area()
    boxes = g.boxes()
    for name, box in boxes.items():
        label = f"{where}.{name}"
        for part in ("x", "y", "w", "h"):
            _number(getattr(box, part), f"{label}.{part}", 0.0, 1.0)
        if box.w < 0.02 or box.h < 0.02 or box.right > 1 + _EPS or box.bottom > 1 + _EPS:
            raise ValidationError(label, "must be at least 2% of the screen and inside it")
        inside = (
            box.x >= safe.x - _EPS
            and box.y >= safe.y - _EPS
            and box.right <= safe.right + _EPS
            and box.bottom <= safe.bottom + _EPS
        )
        if name != "photo_box" and not inside:
            raise ValidationError(label, "must lie inside the safe margins")
    names = list(boxes)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if boxes[first].overlaps(boxes[second]):
                raise ValidationError(f"{where}.{second}", f"overlaps {first}")
    if kind is DesignKind.PORTRAIT_PHOTO and g.photo_box is None:
        raise ValidationError(f"{where}.photo_box", "the portrait design needs a photo box")
    if kind is DesignKind.COLOUR_FIELD and g.marks_box is None:
        raise ValidationError(f"{where}.marks_box", "the colour-field design needs a marks box")


# Fields staff may change on a copy; the design kind and geometry stay with the design.
ADJUSTABLE = frozenset(
    f.name for f in fields(Template) if f.name not in {"kind", "landscape", "portrait"}
)


def copy_template(template: Template, name: str, **changes: object) -> Template:
    """A renamed copy with staff adjustments (colours, font, margins, timing, fades, footer)."""
    unknown = sorted(set(changes) - ADJUSTABLE)
    if unknown:
        raise ValidationError(unknown[0], "cannot be changed on a copy of a template")
    updates: dict[str, object] = dict(changes, name=name)
    margins = changes.get("safe_margins")
    if margins is not None:
        if not isinstance(margins, Margins):
            raise ValidationError("safe_margins", "must give left, top, right and bottom")
        _validate_margins(margins)
        # New margins move the layout with them instead of leaving boxes outside.
        old, new = template.safe_margins.safe_area(), margins.safe_area()
        updates["landscape"] = template.landscape.remapped(old, new)
        updates["portrait"] = template.portrait.remapped(old, new)
    try:
        return replace(template, **updates)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValidationError("template", str(exc)) from exc


# A placeholder until staff set the campaign's real contact line on their copy.
DEFAULT_CONTACT_LINE = "Help for victims of torture · Помощь пострадавшим · Кӯмак: +992 00 000 0000"


def builtin_templates(contact_line: str = DEFAULT_CONTACT_LINE) -> tuple[Template, ...]:
    """The three built-in designs: portrait photo, blurred photo, colour field with marks."""
    portrait = Template(
        name="Portrait beside the text",
        kind=DesignKind.PORTRAIT_PHOTO,
        landscape=Geometry(
            photo_box=Box(0.0, 0.0, 0.38, 0.79),
            logo_strip=Box(0.43, 0.06, 0.52, 0.08),
            text_box=Box(0.43, 0.16, 0.52, 0.47),
            author_box=Box(0.43, 0.65, 0.52, 0.11),
            footer_box=Box(0.05, 0.82, 0.90, 0.12),
        ),
        portrait=Geometry(
            photo_box=Box(0.0, 0.0, 1.0, 0.38),
            logo_strip=Box(0.05, 0.40, 0.90, 0.04),
            text_box=Box(0.05, 0.45, 0.90, 0.30),
            author_box=Box(0.05, 0.76, 0.90, 0.06),
            footer_box=Box(0.05, 0.84, 0.90, 0.10),
        ),
        contact_line=contact_line,
    )
    blurred = Template(
        name="Blurred photo behind the text",
        kind=DesignKind.BLURRED_PHOTO,
        landscape=Geometry(
            logo_strip=Box(0.05, 0.06, 0.90, 0.08),
            text_box=Box(0.10, 0.16, 0.80, 0.49),
            author_box=Box(0.10, 0.67, 0.80, 0.10),
            footer_box=Box(0.05, 0.82, 0.90, 0.12),
        ),
        portrait=Geometry(
            logo_strip=Box(0.05, 0.06, 0.90, 0.05),
            text_box=Box(0.08, 0.14, 0.84, 0.54),
            author_box=Box(0.08, 0.70, 0.84, 0.07),
            footer_box=Box(0.05, 0.82, 0.90, 0.12),
        ),
        background="#000000",
        text_align=TextAlign.CENTER,
        photo_blur=0.02,
        photo_dim=0.55,
        contact_line=contact_line,
    )
    colour_field = Template(
        name="Colour field with large quotation marks",
        kind=DesignKind.COLOUR_FIELD,
        landscape=Geometry(
            marks_box=Box(0.05, 0.15, 0.11, 0.20),
            logo_strip=Box(0.55, 0.06, 0.40, 0.07),
            text_box=Box(0.19, 0.16, 0.76, 0.49),
            author_box=Box(0.19, 0.67, 0.76, 0.10),
            footer_box=Box(0.05, 0.82, 0.90, 0.12),
        ),
        portrait=Geometry(
            marks_box=Box(0.05, 0.10, 0.24, 0.11),
            logo_strip=Box(0.40, 0.06, 0.55, 0.04),
            text_box=Box(0.05, 0.23, 0.90, 0.46),
            author_box=Box(0.05, 0.71, 0.90, 0.07),
            footer_box=Box(0.05, 0.82, 0.90, 0.12),
        ),
        background="#B3122E",
        accent_colour="#FFD6DC",
        footer_colour="#FFE9EC",
        inline_marks=False,
        contact_line=contact_line,
    )
    return (portrait, blurred, colour_field)
