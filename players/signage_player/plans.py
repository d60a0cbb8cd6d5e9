"""The plans a player holds: the *active* plan (the newest received) and the *fallback*
(the previous fully-ready plan, played where the active one is not ready yet).

Both are kept in the state directory so a restart plays on without the network.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from signage_player.decide import Has, plan_ready
from signage_player.errors import PlanError
from signage_player.schedule import Plan, assets_needed, parse_plan
from signage_player.state import PlayerState

FALLBACK_KEY = "fallback_plan"


class Plans:
    """The active plan (with its document and ETag) and the fallback, as stored.

    Not locked on its own: the Player calls it under its lock, so that a new plan and the
    cut it causes on screen happen as one step.
    """

    def __init__(self, state: PlayerState, has: Has) -> None:
        self._state = state
        self._has = has
        self.active: Plan | None = None
        self.active_doc: dict[str, Any] | None = None
        self.active_etag: str | None = None
        self.fallback: Plan | None = None
        self.fallback_doc: dict[str, Any] | None = None

    def load(self) -> str | None:
        """Read the stored plans back; returns why the stored plan was refused, if it was."""
        problem: str | None = None
        doc, etag = self._state.last_plan()
        if doc is not None:
            try:
                self.active, self.active_doc, self.active_etag = parse_plan(doc), doc, etag
            except PlanError as exc:
                problem = f"stored plan unreadable: {exc}"
        raw = self._state.get_value(FALLBACK_KEY)
        # A fallback only stands in for an active plan; alone it would be played as one.
        if raw is not None and self.active is not None:
            with contextlib.suppress(PlanError, ValueError):
                fallback_doc = json.loads(raw)
                self.fallback, self.fallback_doc = parse_plan(fallback_doc), fallback_doc
        return problem

    def activate(self, plan: Plan, doc: dict[str, Any], etag: str | None, now_ms: int) -> None:
        """Make `plan` active; the old active plan becomes the fallback if it was ready."""
        old, old_doc = self.active, self.active_doc
        if old is not None and old_doc is not None and plan_ready(old, self._has, now_ms):
            self.fallback, self.fallback_doc = old, old_doc
        self.active, self.active_doc, self.active_etag = plan, doc, etag

    def drop_fallback_if_ready(self, now_ms: int) -> bool:
        """Forget the fallback once the active plan is ready; True if it was dropped."""
        active = self.active
        if self.fallback is None or active is None or not plan_ready(active, self._has, now_ms):
            return False
        self.fallback, self.fallback_doc = None, None
        return True

    def save_fallback(self) -> None:
        """Store the fallback document (or its absence) in the state."""
        doc = self.fallback_doc
        self._state.set_values(
            {FALLBACK_KEY: None if doc is None else json.dumps(doc, ensure_ascii=False)}
        )


def wanted_assets(
    active: Plan | None, fallback: Plan | None, now_ms: int
) -> tuple[list[str], set[str]]:
    """Assets the active plan still needs, soonest first, and every asset to keep."""
    needed = assets_needed(active, now_ms) if active else []
    keep = set(needed) | (set(assets_needed(fallback, now_ms)) if fallback else set())
    return needed, keep
