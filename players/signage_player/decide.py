"""What the screen shows at an instant, given the active plan, the fallback and the cache.

Pure: no lock, no I/O, no clock. The active plan's removals apply at once; content it adds
shows only once its files are in. Where its segment is not ready, the fallback (the
previous fully-ready plan) keeps playing what the active plan still allows; otherwise the
ready items of the active plan play and the rest is black. See `players/PROTOCOL.md`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from signage_player.schedule import (
    Plan,
    Scheduled,
    assets_needed,
    black_reason,
    first_removal,
    next_boundary,
    scheduled_at,
    segment_assets,
)

# Whether the cache holds a verified file with this SHA-256.
Has = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Show:
    """Play `scheduled` (from `plan`) until `end_ms`; `end_reason` None means its natural end."""

    plan: Plan
    scheduled: Scheduled
    end_ms: int
    end_reason: str | None
    role: str  # "active" or "fallback"


@dataclass(frozen=True, slots=True)
class Black:
    """Show black until `until_ms` (None: until something changes) because of `reason`."""

    until_ms: int | None
    reason: str


Decision = Show | Black


def plan_ready(plan: Plan, has: Has, now_ms: int) -> bool:
    """True when every file `plan` needs from `now_ms` on is in the cache."""
    return all(has(sha) for sha in assets_needed(plan, now_ms))


def decision_at(active: Plan | None, fallback: Plan | None, has: Has, now_ms: int) -> Decision:
    """What the screen should show at `now_ms` given the plans and the cache."""
    if active is None:
        return Black(None, "no_plan")
    reason = black_reason(active, now_ms)
    if reason is not None:
        return Black(next_boundary(active, now_ms), reason)
    on = scheduled_at(active, now_ms)
    if on is None:  # pragma: no cover - black_reason said content
        return Black(next_boundary(active, now_ms), "empty")
    if all(has(sha) for sha in segment_assets(active, on.segment)):
        return Show(active, on, on.end_ms, on.cut_reason, "active")
    if fallback is not None:
        old = scheduled_at(fallback, now_ms)
        if old is not None and has(old.slot.item.asset_sha256):
            removal = first_removal(active, old.slot.entry.approval_id, now_ms, old.end_ms)
            if removal is None:
                return Show(fallback, old, old.end_ms, old.cut_reason, "fallback")
            if removal[0] > now_ms:
                return Show(fallback, old, removal[0], removal[1], "fallback")
    if has(on.slot.item.asset_sha256):
        return Show(active, on, on.end_ms, on.cut_reason, "active")
    return Black(on.end_ms, "not_ready")
