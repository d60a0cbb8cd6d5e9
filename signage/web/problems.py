"""JSON error bodies for the API: one shape everywhere."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def problem(status: int, error: str, reason: str, **extra: Any) -> tuple[Response, int]:
    """`{"error": ..., "reason": ..., ...}` with the given status."""
    return jsonify({"error": error, "reason": reason, **extra}), status
