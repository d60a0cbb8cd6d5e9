"""/api/player/v1: the versioned device API (players/PROTOCOL.md), with explicit serializers.

Enrolment is open (the poll proves the key by a signature); everything else takes the
device's bearer token. Every answer, errors and 304 included, carries the server's time
in `Date` and `Signage-Server-Time` (ms), never in a body.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, g, jsonify, request, send_file
from werkzeug.http import http_date

from signage.domain.devices import (
    MAX_SCREENSHOT_BYTES,
    Device,
    Enrolment,
    EnrolmentRateLimitedError,
    display_code,
)
from signage.domain.errors import ValidationError
from signage.services.devices import EnrolmentAnswer, EnrolmentExpiredError
from signage.services.player_api import epoch_ms
from signage.web.context import services
from signage.web.policy import device_api, device_token_api, public
from signage.web.problems import problem

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PREFIX = "/api/player/v1"
SERVER_TIME_HEADER = "Signage-Server-Time"
SCREENSHOT_HEADER = "Signage-Screenshot-Requested"
ASSET_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("player_v1", __name__, url_prefix=PREFIX)


# --- serializers ---------------------------------------------------------------------------


def enrolment_json(enrolment: Enrolment, poll_interval_s: int) -> dict[str, Any]:
    """`POST /enroll`'s answer."""
    return {
        "code": display_code(enrolment.code),
        "fingerprint": enrolment.fingerprint,
        "poll_interval_s": poll_interval_s,
    }


def enrolment_status_json(answer: EnrolmentAnswer) -> dict[str, Any]:
    """`POST /enroll/poll`'s answer."""
    if not answer.enrolled:
        return {"status": "pending"}
    return {
        "status": "enrolled",
        "token": answer.token,
        "device_id": answer.device_id,
        "location_id": answer.location_id,
    }


# --- plumbing --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _http_date(second: int) -> str:
    """`Date` header text of a whole second (formatted once: every poll asks for it)."""
    return http_date(second)


_STAMPED = frozenset({"date", SERVER_TIME_HEADER.lower()})


def _is_player_path(path_info: str) -> bool:
    # The path as werkzeug routes it: leading slashes collapse to one.
    path = "/" + path_info.lstrip("/")
    return path.startswith(PREFIX) and (len(path) == len(PREFIX) or path[len(PREFIX)] == "/")


class ServerTimeMiddleware:
    """Stamps every answer under the player API, errors and 304s included, with the
    server's time (`Date` and `Signage-Server-Time` in ms) as its headers leave.

    It works on the WSGI header list (a copy without any earlier time header, plus two
    entries), cheaper than werkzeug's `Headers`; other routes pay one prefix check.
    (gunicorn drops an application's `Date` and always writes its own from the machine's
    clock, so there the millisecond header is the only one that follows an injected clock.)
    """

    def __init__(self, wsgi_app: WSGIApplication, now: Callable[[], datetime]) -> None:
        self.wsgi_app = wsgi_app
        self.now = now

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not _is_player_path(environ.get("PATH_INFO", "")):
            return self.wsgi_app(environ, start_response)
        now = self.now

        def stamped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            ms = epoch_ms(now())
            kept = [h for h in headers if h[0].lower() not in _STAMPED]
            kept.append(("Date", _http_date(ms // 1000)))
            kept.append((SERVER_TIME_HEADER, str(ms)))
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, stamped)


def install_server_time(app: Flask) -> None:
    """Put `ServerTimeMiddleware` around the app, reading the clock of its services."""
    extensions = app.extensions
    app.wsgi_app = ServerTimeMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, lambda: extensions["signage"].clock.now()
    )


@bp.errorhandler(EnrolmentRateLimitedError)
def _rate_limited(error: EnrolmentRateLimitedError) -> Any:
    response, status = problem(429, "rate_limited", str(error))
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response, status


@bp.errorhandler(EnrolmentExpiredError)
def _expired(error: EnrolmentExpiredError) -> Any:
    return problem(410, "expired", str(error))


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body", "send a JSON object (Content-Type: application/json)")
    return body


def _device() -> Device:
    device: Device = g.device
    return device


# --- routes ----------------------------------------------------------------------------------


@bp.post("/enroll")
@public
def enroll() -> Any:
    body = _json_object()
    svc = services()
    enrolment = svc.devices.enrol(
        body.get("public_key"), body.get("facts"), request.remote_addr or "unknown"
    )
    return jsonify(enrolment_json(enrolment, svc.settings.player.poll_interval_seconds)), 201


@bp.post("/enroll/poll")
@public
def enroll_poll() -> Any:
    body = _json_object()
    answer = services().devices.poll_enrolment(
        body.get("public_key"), body.get("code"), body.get("signature")
    )
    return jsonify(enrolment_status_json(answer))


@bp.get("/plan")
@device_token_api
def plan(device_token: str) -> Any:
    document = services().player.plan_for_token(device_token)
    headers = [("ETag", document.etag), ("Cache-Control", "no-cache")]
    if document.screenshot_requested:
        headers.append((SCREENSHOT_HEADER, "1"))
    # A player sends back exactly the ETag it was given: compare that first, then parse the
    # header (If-None-Match compares weakly: W/"x" matches "x").
    sent = request.headers.get("If-None-Match")
    if sent == document.etag or (sent and request.if_none_match.contains_weak(document.etag[1:-1])):
        return Response(status=304, headers=headers)
    return Response(document.body, mimetype="application/json", headers=headers)


@bp.get("/assets/<sha256>")
@device_api
def asset(sha256: str) -> Any:
    svc = services()
    stored = svc.player.asset_for(_device(), sha256)
    path = svc.media.path_of(stored.info.sha256)
    response = send_file(
        path,
        mimetype=stored.info.mime,
        conditional=True,
        etag=stored.info.sha256,
        max_age=ASSET_MAX_AGE,
    )
    response.headers["Cache-Control"] = f"private, max-age={ASSET_MAX_AGE}, immutable"
    return response


@bp.post("/plays")
@device_api
def plays() -> Any:
    body = _json_object()
    results = services().player.record_plays(_device(), body.get("records"))
    return jsonify({"results": [result.to_json() for result in results]})


@bp.post("/heartbeat")
@device_api
def heartbeat() -> Any:
    answer = services().devices.record_heartbeat(_device(), _json_object())
    return jsonify(answer)


@bp.post("/screenshot")
@device_api
def screenshot() -> Any:
    if request.content_length is not None and request.content_length > MAX_SCREENSHOT_BYTES:
        raise ValidationError("screenshot", "must be at most 10 MiB")
    services().devices.save_screenshot(_device(), request.get_data(cache=False))
    return jsonify({"stored": True}), 201
