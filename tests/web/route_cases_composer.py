"""Route-matrix cases of the composer: each builds what its request needs, fresh per role."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.web.route_cases import ROLES, Case, fixed

EDITORS = ("staff", "admin")
QUOTE = {"text": "No one shall be subjected to torture.", "language": "en", "author": "UDHR"}


def png(role: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small PNG whose colour depends on the role, so each upload is new bytes."""
    buffer = io.BytesIO()
    shade = sum(map(ord, role)) % 256
    Image.new("RGB", size, (shade, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def quote(svc: Any) -> int:
    return int(svc.quotes.create_quote("test", QUOTE).id)


def template(svc: Any) -> int:
    return int(svc.templates.ensure_builtin_templates("test")[0].template_id)


def image(svc: Any, role: str) -> str:
    info, _created = svc.media.upload("test", io.BytesIO(png(role + "-img")), "photo.png")
    return str(info.sha256)


def creative(svc: Any) -> int:
    return int(svc.creatives.create_quote_creative("test", quote(svc), template(svc)).id)


def job(svc: Any) -> int:
    return int(svc.creatives.request_render("test", creative(svc), (128, 72)).id)


def staff_copy(svc: Any, role: str) -> int:
    stored = svc.templates.copy_template("test", template(svc), f"Copy for {role}", {})
    return int(stored.template_id)


COMPOSER_CASES: dict[tuple[str, str], Case] = {
    ("api_library.list_quotes", "GET"): Case(ROLES, 200, fixed("/api/v1/quotes")),
    ("api_library.create_quote", "POST"): Case(
        EDITORS, 201, fixed("/api/v1/quotes"), lambda _s, _r: QUOTE, json=True
    ),
    ("api_library.get_quote", "GET"): Case(ROLES, 200, lambda s, _r: f"/api/v1/quotes/{quote(s)}"),
    ("api_library.edit_quote", "PUT"): Case(
        EDITORS,
        200,
        lambda s, _r: f"/api/v1/quotes/{quote(s)}",
        lambda _s, _r: {**QUOTE, "text": "Edited."},
        json=True,
    ),
    ("api_library.link_translation", "POST"): Case(
        EDITORS,
        200,
        lambda s, _r: f"/api/v1/quotes/{quote(s)}/translations",
        lambda s, _r: {"translation_of": quote(s)},
        json=True,
    ),
    ("api_library.list_media", "GET"): Case(ROLES, 200, fixed("/api/v1/media")),
    ("api_library.upload_media", "POST"): Case(
        EDITORS, 201, fixed("/api/v1/media?name=p.png"), lambda _s, r: png(r), raw=True
    ),
    ("api_library.list_templates", "GET"): Case(ROLES, 200, fixed("/api/v1/templates")),
    ("api_library.copy_template", "POST"): Case(
        EDITORS,
        201,
        lambda s, _r: f"/api/v1/templates/{template(s)}/copies",
        lambda _s, r: {"name": f"API copy {r}", "changes": {"background": "#223344"}},
        json=True,
    ),
    ("api_library.adjust_template", "PATCH"): Case(
        EDITORS,
        200,
        lambda s, r: f"/api/v1/templates/{staff_copy(s, r)}",
        lambda _s, _r: {"changes": {"duration_s": 8}},
        json=True,
    ),
    ("api_library.list_creatives", "GET"): Case(ROLES, 200, fixed("/api/v1/creatives")),
    ("api_library.create_creative", "POST"): Case(
        EDITORS,
        201,
        fixed("/api/v1/creatives"),
        lambda s, _r: {"quote_id": quote(s), "template_id": template(s)},
        json=True,
    ),
    ("api_library.get_creative", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/api/v1/creatives/{creative(s)}"
    ),
    ("api_library.request_renders", "POST"): Case(
        EDITORS,
        202,
        lambda s, _r: f"/api/v1/creatives/{creative(s)}/renders",
        lambda _s, _r: {"sizes": [{"width": 128, "height": 72}]},
        json=True,
    ),
    ("api_library.get_render_job", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/api/v1/render-jobs/{job(s)}"
    ),
    ("api_library.cancel_render_job", "POST"): Case(
        EDITORS, 200, lambda s, _r: f"/api/v1/render-jobs/{job(s)}/cancel"
    ),
    ("quotes.index", "GET"): Case(ROLES, 200, fixed("/quotes")),
    ("quotes.index", "POST"): Case(EDITORS, 303, fixed("/quotes"), lambda _s, _r: QUOTE),
    ("quotes.detail", "GET"): Case(ROLES, 200, lambda s, _r: f"/quotes/{quote(s)}"),
    ("quotes.detail", "POST"): Case(
        EDITORS, 303, lambda s, _r: f"/quotes/{quote(s)}", lambda _s, _r: {**QUOTE, "text": "New."}
    ),
    ("quotes.link_translation", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/quotes/{quote(s)}/translations",
        lambda s, _r: {"link-translation_of": str(quote(s))},
    ),
    ("media.index", "GET"): Case(ROLES, 200, fixed("/media")),
    ("media.upload", "POST"): Case(
        EDITORS, 303, fixed("/media"), lambda _s, r: {"file": (io.BytesIO(png(r + "-ui")), "a.png")}
    ),
    ("media.thumbnail", "GET"): Case(ROLES, 200, lambda s, r: f"/media/{image(s, r)}/thumbnail"),
    ("media.file", "GET"): Case(ROLES, 200, lambda s, r: f"/media/{image(s, r)}/file"),
    ("templates.index", "GET"): Case(ROLES, 200, lambda s, _r: f"/templates?{template(s)}"),
    ("templates.detail", "GET"): Case(ROLES, 200, lambda s, _r: f"/templates/{template(s)}"),
    ("templates.detail", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/templates/{template(s)}",
        lambda _s, r: {"name": f"UI copy {r}", "background": "#112233"},
    ),
    ("templates.preview", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/templates/{template(s)}/preview.png?w=128&h=72"
    ),
    ("creatives.index", "GET"): Case(ROLES, 200, fixed("/creatives")),
    ("creatives.index", "POST"): Case(
        EDITORS,
        303,
        fixed("/creatives"),
        lambda s, _r: {"kind": "quote", "quote_id": str(quote(s)), "template_id": str(template(s))},
    ),
    ("creatives.detail", "GET"): Case(ROLES, 200, lambda s, _r: f"/creatives/{creative(s)}"),
    ("creatives.jobs_json", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/creatives/{creative(s)}/jobs.json"
    ),
    ("creatives.preview", "GET"): Case(
        ROLES, 200, lambda s, _r: f"/creatives/{creative(s)}/preview.png?w=128&h=72"
    ),
    ("creatives.request_renders", "POST"): Case(
        EDITORS,
        303,
        lambda s, _r: f"/creatives/{creative(s)}/renders",
        lambda _s, _r: {"sizes": "128x72"},
    ),
    ("creatives.cancel", "POST"): Case(
        EDITORS, 303, lambda s, _r: f"/render-jobs/{job(s)}/cancel", lambda _s, _r: {}
    ),
}
