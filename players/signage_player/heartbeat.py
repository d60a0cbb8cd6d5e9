"""The heartbeat body: what the player reports about its screen, plans, cache, disk, clock
and errors (the `POST /heartbeat` object of `players/PROTOCOL.md`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signage_player import __version__
from signage_player.cache import MediaCache
from signage_player.clock import CorrectedClock
from signage_player.decide import Show
from signage_player.error_report import ErrorReport
from signage_player.schedule import Plan, assets_needed
from signage_player.state import PlayerState


@dataclass(frozen=True, slots=True)
class Seen:
    """What the player held at `at_ms`, read in one go under its lock."""

    at_ms: int
    current: Show | None
    started_ms: int | None
    active: Plan | None
    etag: str | None
    fallback: Plan | None
    black_reason: str | None
    error: str | None
    error_at_ms: int | None


def free_disk_bytes(path: Path) -> int | None:
    """Free bytes on the file system of `path`, or None if it cannot be read."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def heartbeat_body(
    seen: Seen,
    *,
    state: PlayerState,
    cache: MediaCache,
    clock: CorrectedClock,
    backend: str,
    errors: ErrorReport,
) -> dict[str, Any]:
    """What the heartbeat reports: playing, plan, cache, disk, clock, errors."""
    now, current, active = seen.at_ms, seen.current, seen.active
    playing: dict[str, Any] | None = None
    if current is not None:
        on = current.scheduled
        playing = {
            "asset_sha256": on.slot.item.asset_sha256,
            "creative_id": on.slot.item.creative_id,
            "entry_id": on.slot.entry.entry_id,
            "approval_id": on.slot.entry.approval_id,
            "playlist_id": on.slot.playlist.playlist_id,
            "started_at_ms": seen.started_ms,
            "ends_at_ms": current.end_ms,
            "from_plan": current.role,
        }
    needed = assets_needed(active, now) if active else []
    missing = [sha for sha in needed if not cache.has(sha)]
    cached = state.cached_assets()
    horizon_expired_at_ms = errors.horizon_expired_at_ms()
    head = state.chain_head()
    return {
        "at_ms": now,
        "software_version": __version__,
        "backend": backend,
        "showing": "content" if current is not None else "black",
        "black_reason": None if current is not None else seen.black_reason,
        "playing": playing,
        "plan_etag": seen.etag,
        "plan_ready": active is not None and not missing,
        "fallback_in_use": seen.fallback is not None,
        "horizon_end_ms": active.horizon_end_ms if active else None,
        "horizon_expired_at_ms": horizon_expired_at_ms,
        "cache": {
            "files": len(cached),
            "bytes": sum(asset.size for asset in cached),
            "needed": len(needed),
            "missing": len(missing),
        },
        "free_disk_bytes": free_disk_bytes(cache.directory),
        "clock_offset_ms": clock.offset_ms(),
        "clock_verified": clock.verified,
        "outbox": state.outbox_size(),
        "chain_head": {"seq": head.seq, "hash": head.hash},
        "last_error": seen.error,
        "last_error_at_ms": seen.error_at_ms,
    }
