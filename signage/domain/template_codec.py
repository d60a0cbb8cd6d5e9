"""Templates to and from plain JSON values, for storage and the API."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from signage.domain.errors import ValidationError
from signage.domain.templates import (
    Box,
    DesignKind,
    Geometry,
    Margins,
    Template,
    TextAlign,
)

_BOXES = ("text_box", "author_box", "footer_box", "logo_strip", "photo_box", "marks_box")


def template_to_dict(template: Template) -> dict[str, Any]:
    """JSON-ready values of a template (enums as text, tuples as lists)."""
    data = asdict(template)
    data["kind"] = template.kind.value
    data["text_align"] = template.text_align.value
    data["hashtags"] = list(template.hashtags)
    return data


def _box(value: Any, where: str) -> Box | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"x", "y", "w", "h"}:
        raise ValidationError(where, "a box needs x, y, w and h as screen fractions")
    try:
        return Box(float(value["x"]), float(value["y"]), float(value["w"]), float(value["h"]))
    except (TypeError, ValueError):
        raise ValidationError(where, "box values must be numbers") from None


def _geometry(value: Any, where: str) -> Geometry:
    if not isinstance(value, dict):
        raise ValidationError(where, "must be a mapping of boxes")
    unknown = sorted(set(value) - set(_BOXES))
    if unknown:
        raise ValidationError(f"{where}.{unknown[0]}", "unknown box")
    boxes = {name: _box(value.get(name), f"{where}.{name}") for name in _BOXES}
    for required in ("text_box", "author_box", "footer_box"):
        if boxes[required] is None:
            raise ValidationError(f"{where}.{required}", "is required")
    return Geometry(**boxes)  # type: ignore[arg-type]


def template_from_dict(data: dict[str, Any]) -> Template:
    """Rebuild (and so validate) a template from `template_to_dict` values."""
    known = {f.name for f in fields(Template)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(unknown[0], "unknown template field")
    values = dict(data)
    try:
        values["kind"] = DesignKind(values["kind"])
        values["text_align"] = TextAlign(values.get("text_align", TextAlign.LEFT.value))
    except KeyError:
        raise ValidationError("kind", "is required") from None
    except ValueError as exc:
        raise ValidationError("kind", str(exc)) from None
    values["landscape"] = _geometry(values.get("landscape"), "landscape")
    values["portrait"] = _geometry(values.get("portrait"), "portrait")
    margins = values.get("safe_margins")
    if margins is not None:
        if not isinstance(margins, dict):
            raise ValidationError("safe_margins", "must give left, top, right and bottom")
        try:
            values["safe_margins"] = Margins(**{k: float(v) for k, v in margins.items()})
        except (TypeError, ValueError):
            raise ValidationError("safe_margins", "must give left, top, right and bottom") from None
    if "hashtags" in values:
        values["hashtags"] = tuple(str(h) for h in values["hashtags"])
    try:
        return Template(**values)
    except TypeError as exc:
        raise ValidationError("template", str(exc)) from None
