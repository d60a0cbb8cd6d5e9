"""The floor of bench/poll.py: the smallest Flask app, served by the same gunicorn setup.

`GET /empty` answers 204 without touching settings, services or the database, so the
difference to `/api/player/v1/plan` is the product's own work for an unchanged poll.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/empty")
def empty() -> tuple[str, int]:
    """No body, no work."""
    return "", 204
