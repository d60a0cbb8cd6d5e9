"""Map domain errors and HTTP errors to responses: JSON under /api, HTML elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from signage.domain.assets import UploadRefusedError
from signage.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SignageError,
    ValidationError,
)
from signage.domain.templates import RenderRefusedError
from signage.web.problems import problem


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def status_for(error: SignageError) -> tuple[int, str]:
    """HTTP status and short error code for a domain error."""
    if isinstance(error, UploadRefusedError):
        return error.http_status, error.code.value
    if isinstance(error, RenderRefusedError):
        return 422, "render_refused"
    if isinstance(error, ValidationError):
        return 422, "validation"
    if isinstance(error, NotFoundError):
        return 404, "not_found"
    if isinstance(error, ConflictError):
        return 409, "conflict"
    if isinstance(error, AuthenticationError):
        return 401, "unauthorized"
    if isinstance(error, PermissionDeniedError):
        return 403, "forbidden"
    return 400, "bad_request"


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(SignageError)
    def _domain(error: SignageError) -> Any:
        status, code = status_for(error)
        field = getattr(error, "field", None)
        reason = getattr(error, "reason", str(error))
        if _wants_json():
            extra = {"field": field} if field else {}
            return problem(status, code, reason, **extra)
        return render_template("error.html", status=status, message=str(error)), status

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        message = f"The form expired or was not sent from this site ({error.description})"
        if _wants_json():
            return problem(400, "csrf", message)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        if error.response is not None:
            return error.response
        if _wants_json():
            return problem(status, error.name.lower().replace(" ", "_"), error.description or "")
        return render_template("error.html", status=status, message=error.description), status
