"""The player's network threads: plan polling, outbox upload and heartbeats in one;
downloads in the other, so a long download never delays a withdrawal.

Neither thread touches the screen: they install plans and fill the cache, and wake the
playback thread, which never waits on them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from signage_player.api import (
    MAX_PLAYS_BATCH,
    ApiError,
    NetworkError,
    RateLimitedError,
    UnauthorizedError,
)
from signage_player.backoff import Backoff, jittered
from signage_player.clock import wait
from signage_player.errors import (
    AssetIntegrityError,
    InsufficientSpaceError,
    PlanError,
    PlayerError,
)
from signage_player.faults import crash_point
from signage_player.screenshot import take_screenshot

if TYPE_CHECKING:
    from signage_player.runner import Player

log = logging.getLogger(__name__)

# The sync thread looks around at least this often (clock seconds): it notes the time, so
# a crash's open play is closed near the crash, and uploads records the playback wrote.
TICK_S = 5.0
IDLE_DOWNLOAD_S = 60.0
EVICT_EVERY_S = 3600.0


def sync_loop(player: Player) -> None:
    """Poll the plan, send records and heartbeats; back off while the server is away."""
    clock = player.clock
    mono = clock.clock.monotonic_ms
    backoff = Backoff(base_s=2.0, cap_s=300.0)
    next_poll = next_beat = not_before = mono()
    while not player.stopping.is_set():
        now = mono()
        if now >= not_before:
            try:
                if now >= next_poll:
                    poll_plan(player)
                    next_poll = now + int(jittered(player.poll_interval()) * 1000)
                upload_outbox(player)
                if player.take_beat_soon() or now >= next_beat:
                    send_heartbeat(player)
                    interval = player.heartbeat_interval_s or player.poll_interval()
                    next_beat = now + int(jittered(interval) * 1000)
                if player.take_screenshot_request():
                    send_screenshot(player)
                backoff.reset()
            except RateLimitedError as exc:
                not_before = mono() + int(exc.retry_after_s * 1000)
            except UnauthorizedError as exc:
                player.note_error(f"the server refused this device: {exc}")
                not_before = mono() + int(backoff.next_delay() * 1000)
            except (NetworkError, ApiError) as exc:
                player.note_error(f"network: {exc}")
                not_before = mono() + int(backoff.next_delay() * 1000)
            except Exception as exc:  # never let the thread die: playback depends on plans
                log.exception("sync step failed")
                player.note_error(f"sync: {exc!r}")
                not_before = mono() + int(backoff.next_delay() * 1000)
        player.state.note_time(clock.now_ms(), clock.offset_ms())
        due = min(next_poll, next_beat) if mono() >= not_before else not_before
        left_s = max(0.0, min((due - mono()) / 1000, TICK_S))
        if wait(clock.clock, player.wake_sync, max(left_s, 0.001)):
            player.wake_sync.clear()


def poll_plan(player: Player) -> bool:
    """Ask for the plan (conditional on the active ETag); True when a new one arrived."""
    answer = player.api.get_plan(player.active_etag())
    if answer.screenshot_requested:
        player.note_screenshot_requested()
    if answer.not_modified or answer.plan is None:
        return False
    crash_point("plan.after_receive_before_save")
    try:
        player.install_plan(answer.plan, answer.etag)
    except PlanError as exc:
        # Keep the plan in force; records and heartbeats still go out.
        player.note_error(f"plan refused: {exc}")
        return False
    return True


def upload_outbox(player: Player, *, final: bool = False) -> int:
    """Send the outbox in batches; a record leaves it only once the server answered it."""
    sent = 0
    while final or not player.stopping.is_set():
        batch = player.state.pending_records(MAX_PLAYS_BATCH)
        if not batch:
            break
        results = player.api.post_plays(batch)
        crash_point("upload.after_send_before_delete")
        in_batch = {record.id for record in batch}
        answered = [result.id for result in results if result.id in in_batch]
        player.state.forget_answered(answered)
        sent += len(answered)
        for result in results:
            if result.outcome == "quarantined":
                player.note_error(f"record {result.id} quarantined: {result.reason}")
        if len(answered) < len(batch):
            # Unanswered records stay for the next round rather than spinning now.
            break
    return sent


def send_heartbeat(player: Player) -> None:
    """Report the player's state; errors it carried count as reported once it got through."""
    payload = player.snapshot()
    answer = player.api.heartbeat(payload)
    error_at = payload.get("last_error_at_ms")
    player.errors_reported(error_at if isinstance(error_at, int) else None)
    if answer.get("screenshot_requested") is True:
        player.note_screenshot_requested()


def send_screenshot(player: Player) -> bool:
    """Send what the screen shows now; False (and an error noted) when it cannot be taken.

    The request stays open on the server until a screenshot arrives, so the next answer
    asks again.
    """
    png = take_screenshot(player)
    if png is None:
        player.note_error(f"screenshot requested; the {player.backend.name} backend has none")
        return False
    player.api.post_screenshot(png)
    return True


def download_loop(player: Player) -> None:
    """Fetch what the active plan needs, soonest first; evict what no plan needs."""
    clock = player.clock
    backoff = Backoff(base_s=2.0, cap_s=300.0)
    last_evict = clock.clock.monotonic_ms()
    while not player.stopping.is_set():
        needed, keep = player.wanted_assets()
        missing = [sha for sha in needed if not player.cache.has(sha)]
        if not missing:
            if clock.clock.monotonic_ms() - last_evict >= EVICT_EVERY_S * 1000:
                last_evict = clock.clock.monotonic_ms()
                player.cache.evict(keep=keep)
            if wait(clock.clock, player.wake_download, IDLE_DOWNLOAD_S):
                player.wake_download.clear()
            continue
        delay = fetch_one(player, missing[0], keep, backoff)
        if delay > 0 and wait(clock.clock, player.wake_download, delay):
            player.wake_download.clear()


def fetch_one(player: Player, sha: str, keep: set[str], backoff: Backoff) -> float:
    """Download one asset; returns how long to wait before the next try (0: go on)."""
    active = player.active_plan
    asset = active.assets.get(sha) if active else None
    url = (asset.url if asset else None) or player.download_api.asset_url(sha)
    try:
        player.cache.fetch(sha, url, asset.size if asset else None, keep=keep)
    except RateLimitedError as exc:
        return exc.retry_after_s
    except (NetworkError, ApiError, AssetIntegrityError, InsufficientSpaceError) as exc:
        player.note_error(f"download of {sha}: {exc}")
        return backoff.next_delay()
    except (OSError, PlayerError) as exc:
        player.note_error(f"download of {sha}: {exc!r}")
        return backoff.next_delay()
    backoff.reset()
    player.on_asset_ready()
    return 0.0
