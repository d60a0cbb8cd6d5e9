"""The player's run loop: a playback thread that never waits on the network, and two
network threads (plan/outbox/heartbeat, and downloads) that feed it.

Plans: the newest plan received is *active* and its removals apply at once; content it
adds is shown only once its assets are verified. Until then, where the active plan's
segment is not ready, the previous fully-ready plan (the *fallback*) keeps playing what
the active plan still allows (its approval is still in the plan, and the active plan
shows content then); otherwise the screen is black. See `players/PROTOCOL.md`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from signage_player import __version__
from signage_player.api import ApiClient
from signage_player.backends import Backend
from signage_player.cache import MediaCache
from signage_player.clock import Clock, CorrectedClock, wait
from signage_player.errors import PlanError, PlayerError, StateError
from signage_player.faults import crash_point
from signage_player.keys import load_key
from signage_player.network import download_loop, sync_loop, upload_outbox
from signage_player.records import Ident, PlayFacts, PlayRecord, Status
from signage_player.schedule import (
    DEFAULT_POLL_INTERVAL_S,
    Plan,
    Scheduled,
    assets_needed,
    black_reason,
    first_removal,
    next_boundary,
    parse_plan,
    scheduled_at,
    segment_assets,
)
from signage_player.state import OpenPlay, PlayerState

log = logging.getLogger(__name__)

# A play that starts this far into its item is noted as `joined` (the server counts a play
# only when it lasted its item's duration within 500 ms).
JOIN_TOLERANCE_MS = 500
CRASH_REASON = "crash"
SHUTDOWN_REASON = "shutdown"
IDLE_BLACK_MS = 60_000
FALLBACK_KEY = "fallback_plan"
LAST_ERROR_KEY = "last_error"
HORIZON_KEY = "horizon_expired_at_ms"


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


def iso(ms: int | None) -> str:
    """An instant in ms as ISO 8601 UTC (or `never`)."""
    if ms is None:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class Player:
    """One billboard player: state directory, API client, playback backend and clock."""

    def __init__(
        self,
        state_dir: Path,
        api: ApiClient,
        backend: Backend,
        clock: Clock,
        *,
        download_api: ApiClient | None = None,
        poll_interval_s: float | None = None,
        heartbeat_interval_s: float | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.state = PlayerState.in_dir(state_dir)
        key = load_key(state_dir)
        device_id = self.state.device_id()
        if key is None or device_id is None:
            self.state.close()
            raise StateError("this player is not enrolled (run `signage-player enroll`)")
        self.key = key
        self.device_id: Ident = device_id
        last_known, last_offset = self.state.last_time()
        # The player owns the time: after a restart it continues from the last known time.
        self.clock = CorrectedClock(clock, last_known_ms=last_known, last_offset_ms=last_offset)
        api.clock = self.clock
        api.token = api.token or self.state.token()
        self.api = api
        self._own_session: requests.Session | None = None
        if download_api is None:
            # Downloads run in their own thread; a requests.Session is not shared across threads.
            self._own_session = requests.Session()
            download_api = ApiClient(
                api.base_url, self._own_session, self.clock, api.token, timeout=api.timeout
            )
        download_api.clock = self.clock
        self.download_api = download_api
        self.backend = backend
        self.cache = MediaCache(
            state_dir / "media", self.state, download_api, now_ms=self.clock.now_ms
        )
        self.poll_interval_s = poll_interval_s
        self.heartbeat_interval_s = heartbeat_interval_s

        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._stop_play = threading.Event()
        self._wake_playback = threading.Event()
        self.wake_sync = threading.Event()
        self.wake_download = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._generation = 0
        self._cut_reason: str | None = None
        self._current: Show | None = None
        self._current_started_ms: int | None = None
        self._black_reason: str | None = "starting"
        self._beat_soon = True
        self._active: Plan | None = None
        self._active_doc: dict[str, Any] | None = None
        self._active_etag: str | None = None
        self._fallback: Plan | None = None
        self._fallback_doc: dict[str, Any] | None = None
        self._last_error: str | None = None
        self._last_error_at_ms: int | None = None
        self._load_plans()
        self._restore_errors()

    # --- start and stop ---------------------------------------------------------------

    def _load_plans(self) -> None:
        doc, etag = self.state.last_plan()
        if doc is not None:
            try:
                self._active, self._active_doc, self._active_etag = parse_plan(doc), doc, etag
            except PlanError as exc:
                self.note_error(f"stored plan unreadable: {exc}")
        raw = self.state.get_value(FALLBACK_KEY)
        if raw is not None and self._active is not None:
            with contextlib.suppress(PlanError, ValueError):
                fallback_doc = json.loads(raw)
                self._fallback, self._fallback_doc = parse_plan(fallback_doc), fallback_doc

    def _restore_errors(self) -> None:
        raw = self.state.get_value(LAST_ERROR_KEY)
        if raw:
            with contextlib.suppress(ValueError, TypeError):
                self._last_error, self._last_error_at_ms = json.loads(raw)

    def start(self) -> None:
        """Close a play a crash left open, then start the playback and network threads."""
        recovered = self.state.recover_open_play(
            key=self.key, device_id=self.device_id, reason=CRASH_REASON
        )
        if recovered is not None:
            log.warning("closed play %s left open by a crash", recovered.id)
        for name, target in (
            ("signage-playback", self._playback_loop),
            ("signage-sync", self._sync_loop),
            ("signage-download", self._download_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def run(self, until: threading.Event | None = None) -> None:
        """Start, wait for `until` (or for `stop()` from another thread), then stop."""
        self.start()
        if until is None:
            self._stopping.wait()
        else:
            until.wait()
        self.stop()

    def stop(self, timeout_s: float = 30.0, *, flush: bool = True) -> None:
        """End cleanly: the play on screen is closed as interrupted (`shutdown`).

        With `flush`, one last attempt sends the outbox (the records stay if it fails).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._cut_reason = SHUTDOWN_REASON
            self._stopping.set()
            self._stop_play.set()
        for event in (self._wake_playback, self.wake_sync, self.wake_download):
            event.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout_s)
        self._threads = []
        self.backend.close()
        with contextlib.suppress(Exception):
            self.state.note_time(self.clock.now_ms(), self.clock.offset_ms())
        if flush:
            with contextlib.suppress(PlayerError):
                upload_outbox(self, final=True)
        self.state.close()
        if self._own_session is not None:
            self._own_session.close()

    def __enter__(self) -> Player:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what to show -----------------------------------------------------------------

    def _has(self, sha256: str) -> bool:
        return self.cache.has(sha256)

    def _plan_ready(self, plan: Plan, now_ms: int) -> bool:
        return all(self._has(sha) for sha in assets_needed(plan, now_ms))

    def decide(self, now_ms: int) -> Decision:
        """What the screen should show at `now_ms` given the plans and the cache."""
        with self._lock:
            active, fallback = self._active, self._fallback
        if active is None:
            return Black(None, "no_plan")
        reason = black_reason(active, now_ms)
        if reason is not None:
            return Black(next_boundary(active, now_ms), reason)
        on = scheduled_at(active, now_ms)
        if on is None:  # pragma: no cover - black_reason said content
            return Black(next_boundary(active, now_ms), "empty")
        if all(self._has(sha) for sha in segment_assets(active, on.segment)):
            return Show(active, on, on.end_ms, on.cut_reason, "active")
        if fallback is not None:
            old = scheduled_at(fallback, now_ms)
            if old is not None and self._has(old.slot.item.asset_sha256):
                removal = first_removal(active, old.slot.entry.approval_id, now_ms, old.end_ms)
                if removal is None:
                    return Show(fallback, old, old.end_ms, old.cut_reason, "fallback")
                if removal[0] > now_ms:
                    return Show(fallback, old, removal[0], removal[1], "fallback")
        if self._has(on.slot.item.asset_sha256):
            return Show(active, on, on.end_ms, on.cut_reason, "active")
        return Black(on.end_ms, "not_ready")

    # --- the playback thread ----------------------------------------------------------

    def _playback_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception as exc:  # a billboard keeps going; the heartbeat reports it
                log.exception("playback step failed")
                self.note_error(f"playback: {exc!r}")
                wait(self.clock.clock, self._stopping, 1.0)

    def _step(self) -> None:
        now = self.clock.now_ms()
        with self._lock:
            if self._stopping.is_set():
                return
            self._wake_playback.clear()
            decision = self.decide(now)
            if isinstance(decision, Show):
                self._stop_play.clear()
                self._cut_reason = None
                self._current, self._current_started_ms = decision, None
                self._black_reason = None
            else:
                self._current, self._black_reason = None, decision.reason
        if isinstance(decision, Show):
            self._play(decision)
        else:
            self._black(decision, now)

    def _black(self, decision: Black, now: int) -> None:
        if decision.reason == "horizon_end":
            self._note_horizon_expired(now)
        until = decision.until_ms if decision.until_ms is not None else now + IDLE_BLACK_MS
        self.backend.black(until - now, self._wake_playback)

    def _play(self, show: Show) -> None:
        on = show.scheduled
        sha = on.slot.item.asset_sha256
        path = self.cache.playable_path(sha)
        if path is None:
            # Never play bytes that do not match their name: note it, fetch again, go black.
            self._record_unplayable(show, "asset_corrupt")
            self.wake_download.set()
            with self._lock:
                self._current, self._black_reason = None, "asset_corrupt"
            self.backend.black(show.end_ms - self.clock.now_ms(), self._wake_playback)
            return
        started = self.clock.now_ms()
        if started >= show.end_ms:
            return
        offset = started - on.start_ms
        self.state.begin_play(
            OpenPlay(
                record_id=str(uuid.uuid4()),
                location_id=show.plan.location_id,
                asset_sha256=sha,
                playlist_id=on.slot.playlist.playlist_id,
                entry_id=on.slot.entry.entry_id,
                approval_id=on.slot.entry.approval_id,
                started_at_ms=started,
                device_clock_offset_ms=self.clock.offset_ms(),
                clock_verified=self.clock.verified,
            )
        )
        crash_point("record.after_begin_play")
        with self._lock:
            self._current_started_ms = started
        asset = show.plan.assets.get(sha)
        outcome = self.backend.play(
            path,
            offset,
            show.end_ms - started,
            self._stop_play,
            mime=asset.mime if asset else None,
        )
        ended = self.clock.now_ms()
        with self._lock:
            cut = self._cut_reason
            self._current = None
        status: Status
        reason: str | None
        if outcome.ending == "failed":
            status, reason = "failed", outcome.reason
        elif outcome.ending == "stopped":
            status, reason = "interrupted", cut or "stopped"
        elif show.end_reason is None:
            status, reason = "completed", ("joined" if offset >= JOIN_TOLERANCE_MS else None)
        else:
            status, reason = "interrupted", show.end_reason
        self.state.finish_play(
            ended_at_ms=max(ended, started),
            status=status,
            reason=reason,
            key=self.key,
            device_id=self.device_id,
            clock_verified=self.clock.verified,
        )
        crash_point("record.after_outbox_write")
        self.state.note_time(ended, self.clock.offset_ms())
        self.wake_sync.set()
        if status == "failed":
            self.note_error(f"play of {sha} failed: {reason}")
            # Black for the rest of the turn, rather than failing again and again.
            self.backend.black(show.end_ms - self.clock.now_ms(), self._stop_play)

    def _record_unplayable(self, show: Show, reason: str) -> PlayRecord:
        now = self.clock.now_ms()
        on = show.scheduled
        self.note_error(f"{on.slot.item.asset_sha256}: {reason}; fetching it again")
        return self.state.append_play(
            PlayFacts(
                location_id=show.plan.location_id,
                asset_sha256=on.slot.item.asset_sha256,
                playlist_id=on.slot.playlist.playlist_id,
                entry_id=on.slot.entry.entry_id,
                approval_id=on.slot.entry.approval_id,
                started_at_ms=now,
                ended_at_ms=now,
                device_clock_offset_ms=self.clock.offset_ms(),
                clock_verified=self.clock.verified,
                status="failed",
                reason=reason,
            ),
            key=self.key,
            device_id=self.device_id,
        )

    # --- plans --------------------------------------------------------------------------

    def install_plan(self, doc: dict[str, Any], etag: str | None) -> Plan:
        """Make a received plan active: removals apply at once, additions wait for assets."""
        plan = parse_plan(doc)
        if plan.device_id is not None and str(plan.device_id) != str(self.device_id):
            raise PlanError(f"the plan is for device {plan.device_id}, not {self.device_id}")
        self.state.save_plan(doc, etag)
        now = self.clock.now_ms()
        with self._lock:
            old, old_doc = self._active, self._active_doc
            if old is not None and old_doc is not None and self._plan_ready(old, now):
                self._fallback, self._fallback_doc = old, old_doc
            self._active, self._active_doc, self._active_etag = plan, doc, etag
            self._generation += 1
            self._check_current(plan, now)
            if self._fallback is not None and self._plan_ready(plan, now):
                self._fallback, self._fallback_doc = None, None
            self._save_fallback()
            self._beat_soon = True
        self._wake_playback.set()
        self.wake_download.set()
        self.wake_sync.set()
        return plan

    def _save_fallback(self) -> None:
        doc = self._fallback_doc
        self.state.set_values(
            {FALLBACK_KEY: None if doc is None else json.dumps(doc, ensure_ascii=False)}
        )

    def _check_current(self, plan: Plan, now: int) -> None:
        # Under the lock: cut the play on screen if the new plan removes it now, or arm a
        # cut for the instant it removes it later in the play.
        current = self._current
        if current is None:
            return
        approval = current.scheduled.slot.entry.approval_id
        removal = first_removal(plan, approval, now, current.end_ms)
        if removal is None:
            return
        at, reason = removal
        if at <= now:
            self._cut_reason = reason
            self._stop_play.set()
            # The screen goes black now: a heartbeat with the new ETag must say so.
            self._current = None
            self._black_reason = black_reason(plan, now) or reason
            return
        generation = self._generation
        threading.Thread(
            target=self._cut_later,
            args=(current, generation, at, reason),
            name="signage-cut",
            daemon=True,
        ).start()

    def _cut_later(self, show: Show, generation: int, at_ms: int, reason: str) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._current is not show or self._generation != generation:
                    return
                if self.clock.now_ms() >= at_ms:
                    self._cut_reason = reason
                    self._stop_play.set()
                    return
            left = at_ms - self.clock.now_ms()
            wait(self.clock.clock, self._stopping, min(max(left, 1), 1000) / 1000)

    def on_asset_ready(self) -> None:
        now = self.clock.now_ms()
        with self._lock:
            active = self._active
            if self._fallback is not None and active is not None and self._plan_ready(active, now):
                self._fallback, self._fallback_doc = None, None
                self._save_fallback()
        self._wake_playback.set()

    # --- errors -------------------------------------------------------------------------

    def note_error(self, message: str) -> None:
        now = self.clock.now_ms()
        with self._lock:
            # A black screen past the horizon is the error the operator must see first.
            if (
                self.state.get_value(HORIZON_KEY) is not None
                and self._last_error
                and self._last_error.startswith("plan horizon")
            ):
                return
            self._last_error, self._last_error_at_ms = message, now
        with contextlib.suppress(Exception):
            self.state.set_values({LAST_ERROR_KEY: json.dumps([message, now])})

    def _note_horizon_expired(self, now: int) -> None:
        if self.state.get_value(HORIZON_KEY) is not None:
            return
        with self._lock:
            end = self._active.horizon_end_ms if self._active else now
        self.state.set_values({HORIZON_KEY: str(end)})
        message = f"plan horizon ended at {iso(end)} without a new plan; the screen is black"
        with self._lock:
            self._last_error, self._last_error_at_ms = message, now
        self.state.set_values({LAST_ERROR_KEY: json.dumps([message, now])})

    def errors_reported(self, reported_at_ms: int | None) -> None:
        # The server has the error now; keep a horizon error only while still past it.
        with self._lock:
            if reported_at_ms is None or self._last_error_at_ms != reported_at_ms:
                return
            if self._black_reason == "horizon_end":
                return
            self._last_error = self._last_error_at_ms = None
        self.state.set_values({LAST_ERROR_KEY: None, HORIZON_KEY: None})

    # --- for the network threads and the heartbeat ------------------------------------

    @property
    def stopping(self) -> threading.Event:
        """Set once `stop()` was called."""
        return self._stopping

    @property
    def active_plan(self) -> Plan | None:
        """The newest plan received (its removals are in force)."""
        with self._lock:
            return self._active

    def active_etag(self) -> str | None:
        """The ETag of the active plan (its removals are in force)."""
        with self._lock:
            return self._active_etag

    def poll_interval(self) -> float:
        """Seconds between plan polls: the override, else the plan's, else the default."""
        with self._lock:
            active = self._active
        if self.poll_interval_s is not None:
            return self.poll_interval_s
        return active.poll_interval_s if active else DEFAULT_POLL_INTERVAL_S

    def take_beat_soon(self) -> bool:
        """True (once) when something happened that the server should hear about now."""
        with self._lock:
            soon, self._beat_soon = self._beat_soon, False
            return soon

    def wanted_assets(self) -> tuple[list[str], set[str]]:
        """Assets the active plan still needs, soonest first, and every asset to keep."""
        now = self.clock.now_ms()
        with self._lock:
            active, fallback = self._active, self._fallback
        needed = assets_needed(active, now) if active else []
        keep = set(needed) | (set(assets_needed(fallback, now)) if fallback else set())
        return needed, keep

    def snapshot(self) -> dict[str, Any]:
        """What the heartbeat reports: playing, plan, cache, disk, clock, errors."""
        now = self.clock.now_ms()
        with self._lock:
            current, started = self._current, self._current_started_ms
            active, etag, fallback = self._active, self._active_etag, self._fallback
            black, error, error_at = self._black_reason, self._last_error, self._last_error_at_ms
        playing: dict[str, Any] | None = None
        if current is not None:
            on = current.scheduled
            playing = {
                "asset_sha256": on.slot.item.asset_sha256,
                "creative_id": on.slot.item.creative_id,
                "entry_id": on.slot.entry.entry_id,
                "approval_id": on.slot.entry.approval_id,
                "playlist_id": on.slot.playlist.playlist_id,
                "started_at_ms": started,
                "ends_at_ms": current.end_ms,
                "from_plan": current.role,
            }
        needed = assets_needed(active, now) if active else []
        missing = [sha for sha in needed if not self._has(sha)]
        cached = self.state.cached_assets()
        horizon = self.state.get_value(HORIZON_KEY)
        head = self.state.chain_head()
        return {
            "at_ms": now,
            "software_version": __version__,
            "backend": self.backend.name,
            "showing": "content" if current is not None else "black",
            "black_reason": None if current is not None else black,
            "playing": playing,
            "plan_etag": etag,
            "plan_ready": active is not None and not missing,
            "fallback_in_use": fallback is not None,
            "horizon_end_ms": active.horizon_end_ms if active else None,
            "horizon_expired_at_ms": int(horizon) if horizon else None,
            "cache": {
                "files": len(cached),
                "bytes": sum(asset.size for asset in cached),
                "needed": len(needed),
                "missing": len(missing),
            },
            "free_disk_bytes": free_disk_bytes(self.cache.directory),
            "clock_offset_ms": self.clock.offset_ms(),
            "clock_verified": self.clock.verified,
            "outbox": self.state.outbox_size(),
            "chain_head": {"seq": head.seq, "hash": head.hash},
            "last_error": error,
            "last_error_at_ms": error_at,
        }

    def _sync_loop(self) -> None:
        sync_loop(self)

    def _download_loop(self) -> None:
        download_loop(self)


def free_disk_bytes(path: Path) -> int | None:
    """Free bytes on the file system of `path`, or None if it cannot be read."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


__all__ = ["Black", "Decision", "Player", "PlayerError", "Show", "iso"]
