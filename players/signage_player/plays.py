"""How a play on screen becomes a record: the open play written before it starts, the
status it ends with, and the failed record of a file that must not be played.

Record fields as `players/PROTOCOL.md` ("`POST /plays`") describes them.
"""

from __future__ import annotations

import uuid

from signage_player.backends import PlayOutcome
from signage_player.clock import CorrectedClock
from signage_player.decide import Show
from signage_player.records import PlayFacts, Status
from signage_player.state import OpenPlay

# A play that starts this far into its item is noted as `joined` (the server counts a play
# only when it lasted its item's duration within 500 ms).
JOIN_TOLERANCE_MS = 500


def open_play(show: Show, started_ms: int, clock: CorrectedClock) -> OpenPlay:
    """The open play of `show` starting at `started_ms`, with a record id fixed now."""
    on = show.scheduled
    return OpenPlay(
        record_id=str(uuid.uuid4()),
        location_id=show.plan.location_id,
        asset_sha256=on.slot.item.asset_sha256,
        playlist_id=on.slot.playlist.playlist_id,
        entry_id=on.slot.entry.entry_id,
        approval_id=on.slot.entry.approval_id,
        started_at_ms=started_ms,
        device_clock_offset_ms=clock.offset_ms(),
        clock_verified=clock.verified,
    )


def play_ending(
    outcome: PlayOutcome, show: Show, cut_reason: str | None, offset_ms: int
) -> tuple[Status, str | None]:
    """The status and reason of a play that started `offset_ms` into its item."""
    if outcome.ending == "failed":
        return "failed", outcome.reason
    if outcome.ending == "stopped":
        return "interrupted", cut_reason or "stopped"
    if show.end_reason is None:
        return "completed", ("joined" if offset_ms >= JOIN_TOLERANCE_MS else None)
    return "interrupted", show.end_reason


def unplayable_facts(show: Show, now_ms: int, clock: CorrectedClock, reason: str) -> PlayFacts:
    """A failed play of zero duration: `show` was due but nothing was shown."""
    on = show.scheduled
    return PlayFacts(
        location_id=show.plan.location_id,
        asset_sha256=on.slot.item.asset_sha256,
        playlist_id=on.slot.playlist.playlist_id,
        entry_id=on.slot.entry.entry_id,
        approval_id=on.slot.entry.approval_id,
        started_at_ms=now_ms,
        ended_at_ms=now_ms,
        device_clock_offset_ms=clock.offset_ms(),
        clock_verified=clock.verified,
        status="failed",
        reason=reason,
    )
