"""What is on screen: the show playing and when it started, or why the screen is black;
and cutting that show when a new plan removes it, at once or at the instant it says.
"""

from __future__ import annotations

import threading

from signage_player.clock import CorrectedClock, wait
from signage_player.decide import Show
from signage_player.schedule import Plan, black_reason, first_removal


class Screen:
    """The screen's state, guarded by the Player's lock (shared with plans and errors)."""

    def __init__(
        self, lock: threading.RLock, clock: CorrectedClock, stopping: threading.Event
    ) -> None:
        self._lock = lock
        self._clock = clock
        self._stopping = stopping
        self.current: Show | None = None
        self.started_ms: int | None = None
        self.black_reason: str | None = "starting"
        # Why the backend was told to stop (`stop_play`): the interrupted play's reason.
        self.cut_reason: str | None = None
        self.stop_play = threading.Event()
        # Bumped with every new plan, so a cut armed for an older plan stands down.
        self.generation = 0

    def cut_for(self, plan: Plan, now_ms: int) -> None:
        """Under the lock: cut the show if `plan` removes it now, or arm a cut for later."""
        current = self.current
        if current is None:
            return
        approval = current.scheduled.slot.entry.approval_id
        removal = first_removal(plan, approval, now_ms, current.end_ms)
        if removal is None:
            return
        at, reason = removal
        if at <= now_ms:
            self.cut_reason = reason
            self.stop_play.set()
            # The screen goes black now: a heartbeat with the new ETag must say so.
            self.current = None
            self.black_reason = black_reason(plan, now_ms) or reason
            return
        generation = self.generation
        threading.Thread(
            target=self._cut_later,
            args=(current, generation, at, reason),
            name="signage-cut",
            daemon=True,
        ).start()

    def _cut_later(self, show: Show, generation: int, at_ms: int, reason: str) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self.current is not show or self.generation != generation:
                    return
                if self._clock.now_ms() >= at_ms:
                    self.cut_reason = reason
                    self.stop_play.set()
                    return
            left = at_ms - self._clock.now_ms()
            wait(self._clock.clock, self._stopping, min(max(left, 1), 1000) / 1000)
