"""The last error the heartbeat carries, kept in the state so that a restart still reports
it, and the horizon error, which stays until the screen is no longer black past it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from signage_player.state import PlayerState

LAST_ERROR_KEY = "last_error"
HORIZON_KEY = "horizon_expired_at_ms"


def iso(ms: int | None) -> str:
    """An instant in ms as ISO 8601 UTC (or `never`)."""
    if ms is None:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class ErrorReport:
    """The last error and when it happened, until a heartbeat has carried it to the server."""

    def __init__(self, state: PlayerState, lock: threading.RLock) -> None:
        self._state = state
        # The Player's lock: a heartbeat snapshot reads the error with the screen state.
        self._lock = lock
        self.message: str | None = None
        self.at_ms: int | None = None

    def restore(self) -> None:
        """Read back the error stored before a restart."""
        raw = self._state.get_value(LAST_ERROR_KEY)
        if raw:
            with contextlib.suppress(ValueError, TypeError):
                self.message, self.at_ms = json.loads(raw)

    def note(self, message: str, now_ms: int) -> None:
        """Keep `message` as the last error, unless a horizon error must be seen first."""
        with self._lock:
            # A black screen past the horizon is the error the operator must see first.
            if self.past_horizon() and self.message and self.message.startswith("plan horizon"):
                return
            self.message, self.at_ms = message, now_ms
        with contextlib.suppress(Exception):
            self._state.set_values({LAST_ERROR_KEY: json.dumps([message, now_ms])})

    def past_horizon(self) -> bool:
        """True once the screen went black at the horizon (until a heartbeat cleared it)."""
        return self._state.get_value(HORIZON_KEY) is not None

    def horizon_expired_at_ms(self) -> int | None:
        """The horizon the screen went black at, as the heartbeat reports it."""
        horizon = self._state.get_value(HORIZON_KEY)
        return int(horizon) if horizon else None

    def note_horizon_expired(self, end_ms: int, now_ms: int) -> None:
        """Note that the plan horizon `end_ms` passed without a new plan."""
        self._state.set_values({HORIZON_KEY: str(end_ms)})
        message = f"plan horizon ended at {iso(end_ms)} without a new plan; the screen is black"
        with self._lock:
            self.message, self.at_ms = message, now_ms
        self._state.set_values({LAST_ERROR_KEY: json.dumps([message, now_ms])})

    def reported(self, reported_at_ms: int | None, past_horizon_now: Callable[[], bool]) -> None:
        """Forget the error the server now has; a horizon error stays while still past it."""
        with self._lock:
            if reported_at_ms is None or self.at_ms != reported_at_ms:
                return
            # Asked under the lock, so the screen cannot change between check and clear.
            if past_horizon_now():
                return
            self.message = self.at_ms = None
        self._state.set_values({LAST_ERROR_KEY: None, HORIZON_KEY: None})
