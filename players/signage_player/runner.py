"""The player's run loop: a playback thread that never waits on the network, and two
network threads (plan/outbox/heartbeat, and downloads) that feed it.

`Player` wires the parts and runs the playback thread. What to show at an instant is
`decide`; the active and fallback plans are `plans`; the show on screen and its cuts are
`screen`; records of plays are `plays`; the last error is `error_report`; the heartbeat
body is `heartbeat`; the network threads are `network`. See `players/PROTOCOL.md`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from pathlib import Path
from typing import Any

import requests

from signage_player.api import ApiClient
from signage_player.backends import Backend
from signage_player.cache import MediaCache
from signage_player.clock import Clock, CorrectedClock, wait
from signage_player.decide import Black, Decision, Show, decision_at
from signage_player.error_report import ErrorReport, iso
from signage_player.errors import PlanError, PlayerError, StateError
from signage_player.faults import crash_point
from signage_player.heartbeat import Seen, free_disk_bytes, heartbeat_body
from signage_player.keys import load_key
from signage_player.network import download_loop, sync_loop, upload_outbox
from signage_player.plans import Plans, wanted_assets
from signage_player.plays import open_play, play_ending, unplayable_facts
from signage_player.records import Ident, PlayRecord
from signage_player.schedule import DEFAULT_POLL_INTERVAL_S, Plan, parse_plan
from signage_player.screen import Screen
from signage_player.state import PlayerState

log = logging.getLogger(__name__)

CRASH_REASON = "crash"
SHUTDOWN_REASON = "shutdown"
IDLE_BLACK_MS = 60_000


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
        self._wake_playback = threading.Event()
        self.wake_sync = threading.Event()
        self.wake_download = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._beat_soon = True
        self._screenshot_wanted = False
        # All three are guarded by `_lock`, so one snapshot sees screen, plans and error.
        self._screen = Screen(self._lock, self.clock, self._stopping)
        self._plans = Plans(self.state, self.cache.has)
        self._errors = ErrorReport(self.state, self._lock)
        problem = self._plans.load()
        if problem is not None:
            self.note_error(problem)
        self._errors.restore()

    # --- start and stop ---------------------------------------------------------------

    def start(self) -> None:
        """Close a play a crash left open, then start the playback and network threads."""
        recovered = self.state.recover_open_play(
            key=self.key, device_id=self.device_id, reason=CRASH_REASON
        )
        if recovered is not None:
            log.warning("closed play %s left open by a crash", recovered.id)
        for name, target in (
            ("signage-playback", self._playback_loop),
            ("signage-sync", functools.partial(sync_loop, self)),
            ("signage-download", functools.partial(download_loop, self)),
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
            self._screen.cut_reason = SHUTDOWN_REASON
            self._stopping.set()
            self._screen.stop_play.set()
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

    def decide(self, now_ms: int) -> Decision:
        """What the screen should show at `now_ms` given the plans and the cache."""
        with self._lock:
            active, fallback = self._plans.active, self._plans.fallback
        return decision_at(active, fallback, self.cache.has, now_ms)

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
                self._screen.stop_play.clear()
                self._screen.cut_reason = None
                self._screen.current, self._screen.started_ms = decision, None
                self._screen.black_reason = None
            else:
                self._screen.current, self._screen.black_reason = None, decision.reason
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
                self._screen.current, self._screen.black_reason = None, "asset_corrupt"
            self.backend.black(show.end_ms - self.clock.now_ms(), self._wake_playback)
            return
        started = self.clock.now_ms()
        if started >= show.end_ms:
            return
        offset = started - on.start_ms
        self.state.begin_play(open_play(show, started, self.clock))
        crash_point("record.after_begin_play")
        with self._lock:
            self._screen.started_ms = started
        asset = show.plan.assets.get(sha)
        outcome = self.backend.play(
            path,
            offset,
            show.end_ms - started,
            self._screen.stop_play,
            mime=asset.mime if asset else None,
        )
        ended = self.clock.now_ms()
        with self._lock:
            cut = self._screen.cut_reason
            self._screen.current = None
        status, reason = play_ending(outcome, show, cut, offset)
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
            self.backend.black(show.end_ms - self.clock.now_ms(), self._screen.stop_play)

    def _record_unplayable(self, show: Show, reason: str) -> PlayRecord:
        now = self.clock.now_ms()
        self.note_error(f"{show.scheduled.slot.item.asset_sha256}: {reason}; fetching it again")
        facts = unplayable_facts(show, now, self.clock, reason)
        return self.state.append_play(facts, key=self.key, device_id=self.device_id)

    # --- plans --------------------------------------------------------------------------

    def install_plan(self, doc: dict[str, Any], etag: str | None) -> Plan:
        """Make a received plan active: removals apply at once, additions wait for assets."""
        plan = parse_plan(doc)
        if plan.device_id is not None and str(plan.device_id) != str(self.device_id):
            raise PlanError(f"the plan is for device {plan.device_id}, not {self.device_id}")
        self.state.save_plan(doc, etag)
        now = self.clock.now_ms()
        with self._lock:
            self._plans.activate(plan, doc, etag, now)
            self._screen.generation += 1
            self._screen.cut_for(plan, now)
            self._plans.drop_fallback_if_ready(now)
            self._plans.save_fallback()
            self._beat_soon = True
        self._wake_playback.set()
        self.wake_download.set()
        self.wake_sync.set()
        return plan

    def on_asset_ready(self) -> None:
        """A file came in: the fallback may go, and the screen may show more."""
        now = self.clock.now_ms()
        with self._lock:
            if self._plans.drop_fallback_if_ready(now):
                self._plans.save_fallback()
        self._wake_playback.set()

    # --- errors -------------------------------------------------------------------------

    def note_error(self, message: str) -> None:
        """Keep `message` as the last error; the next heartbeat reports it."""
        self._errors.note(message, self.clock.now_ms())

    def _note_horizon_expired(self, now: int) -> None:
        if self._errors.past_horizon():
            return
        with self._lock:
            active = self._plans.active
            end = active.horizon_end_ms if active else now
        self._errors.note_horizon_expired(end, now)

    def errors_reported(self, reported_at_ms: int | None) -> None:
        """The server has the error noted at `reported_at_ms`; forget it unless still true."""
        self._errors.reported(reported_at_ms, lambda: self._screen.black_reason == "horizon_end")

    # --- for the network threads and the heartbeat ------------------------------------

    @property
    def stopping(self) -> threading.Event:
        """Set once `stop()` was called."""
        return self._stopping

    @property
    def active_plan(self) -> Plan | None:
        """The newest plan received (its removals are in force)."""
        with self._lock:
            return self._plans.active

    def active_etag(self) -> str | None:
        """The ETag of the active plan (its removals are in force)."""
        with self._lock:
            return self._plans.active_etag

    def poll_interval(self) -> float:
        """Seconds between plan polls: the override, else the plan's, else the default."""
        with self._lock:
            active = self._plans.active
        if self.poll_interval_s is not None:
            return self.poll_interval_s
        return active.poll_interval_s if active else DEFAULT_POLL_INTERVAL_S

    def take_beat_soon(self) -> bool:
        """True (once) when something happened that the server should hear about now."""
        with self._lock:
            soon, self._beat_soon = self._beat_soon, False
            return soon

    def note_screenshot_requested(self) -> None:
        """The server asked for a screenshot; the sync thread sends one soon."""
        with self._lock:
            self._screenshot_wanted = True

    def take_screenshot_request(self) -> bool:
        """True (once) when a screenshot was asked for since the last call."""
        with self._lock:
            wanted, self._screenshot_wanted = self._screenshot_wanted, False
            return wanted

    def showing_black(self) -> bool:
        """True when nothing is on screen (black), as the heartbeat would say."""
        with self._lock:
            return self._screen.current is None

    def wanted_assets(self) -> tuple[list[str], set[str]]:
        """Assets the active plan still needs, soonest first, and every asset to keep."""
        now = self.clock.now_ms()
        with self._lock:
            active, fallback = self._plans.active, self._plans.fallback
        return wanted_assets(active, fallback, now)

    def snapshot(self) -> dict[str, Any]:
        """What the heartbeat reports: playing, plan, cache, disk, clock, errors."""
        now = self.clock.now_ms()
        with self._lock:
            seen = Seen(
                at_ms=now,
                current=self._screen.current,
                started_ms=self._screen.started_ms,
                active=self._plans.active,
                etag=self._plans.active_etag,
                fallback=self._plans.fallback,
                black_reason=self._screen.black_reason,
                error=self._errors.message,
                error_at_ms=self._errors.at_ms,
            )
        return heartbeat_body(
            seen,
            state=self.state,
            cache=self.cache,
            clock=self.clock,
            backend=self.backend.name,
            errors=self._errors,
        )


# Re-exported: these lived here before the split and callers may import them from here.
__all__ = ["Black", "Decision", "Player", "PlayerError", "Show", "free_disk_bytes", "iso"]
