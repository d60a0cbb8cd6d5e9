"""The floor of bench/poll.py: our own app with one empty route, served by the same gunicorn setup.

`signage.create_app()` with the same `SIGNAGE_CONFIG` as the measured server — the same
Flask app, extensions and request hooks (CSRF, login, limiter, error handlers, the route
policy check) — plus one route registered here, in the bench only: `GET /bench/empty`
answers 204 without touching services or the database. The difference to
`/api/player/v1/plan` is therefore the product's own work for an unchanged poll.
"""

from __future__ import annotations

import signage
from signage.web.policy import public

app = signage.create_app()


def empty() -> tuple[str, int]:
    """No body, no work."""
    return "", 204


app.add_url_rule("/bench/empty", "bench_empty", view_func=public(empty))
