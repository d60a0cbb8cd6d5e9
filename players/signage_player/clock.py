"""Time for the player: injectable clocks and the correction to the server's time."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Protocol

SERVER_TIME_HEADER = "Signage-Server-Time"
# For tests only: `factor:origin_unix_ms:real_origin_ns` runs the player on an accelerated
# clock shared with a test server (see `clock_from_env`). Off unless set.
CLOCK_ENV = "SIGNAGE_PLAYER_CLOCK"
# `Date` is truncated to whole seconds, so the true instant lies in [s, s + 1 s): aim at the middle.
_DATE_HEADER_CENTRE_MS = 500


class Clock(Protocol):
    """A source of wall time and monotonic time in milliseconds."""

    def wall_ms(self) -> int:
        """Milliseconds since the epoch by the device's own (possibly wrong) clock."""
        ...

    def monotonic_ms(self) -> int:
        """Milliseconds on a clock that never jumps; only differences mean anything."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real clocks of the machine."""

    def wall_ms(self) -> int:
        """Milliseconds since the epoch by the system clock."""
        return time.time_ns() // 1_000_000

    def monotonic_ms(self) -> int:
        """Milliseconds by the system's monotonic clock."""
        return time.monotonic_ns() // 1_000_000

    def sleep(self, seconds: float) -> None:
        """Sleep in real time."""
        time.sleep(seconds)

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` for `event`; True if it was set."""
        return event.wait(max(0.0, seconds))


class AcceleratedClock:
    """A clock running `factor` times faster than real time, for long tests in short runs.

    Several components (player, fake server) share one origin so they agree on the time:
    pass the same `origin_ms` and `real_origin_ns` to each, or share the instance.
    """

    def __init__(self, factor: float, origin_ms: int, real_origin_ns: int | None = None) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self.origin_ms = origin_ms
        self.real_origin_ns = time.monotonic_ns() if real_origin_ns is None else real_origin_ns

    def _elapsed_ms(self) -> int:
        return int((time.monotonic_ns() - self.real_origin_ns) * self.factor) // 1_000_000

    def wall_ms(self) -> int:
        """The origin plus accelerated elapsed time."""
        return self.origin_ms + self._elapsed_ms()

    def monotonic_ms(self) -> int:
        """Accelerated elapsed time since the shared origin."""
        return self._elapsed_ms()

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of accelerated time (`seconds / factor` of real time)."""
        time.sleep(max(0.0, seconds) / self.factor)

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` of accelerated time for `event`; True if it was set."""
        return event.wait(max(0.0, seconds) / self.factor)


def clock_from_env(environ: Mapping[str, str] | None = None) -> AcceleratedClock | None:
    """The test-only accelerated clock named by `$SIGNAGE_PLAYER_CLOCK`, else None.

    The value is `factor:origin_unix_ms:real_origin_ns`: the clock reads `origin_unix_ms`
    when `time.monotonic_ns()` (system-wide on Linux) read `real_origin_ns`, and runs
    `factor` times faster from there, so a test server with the same three numbers agrees
    with the player to the millisecond. Never set on a billboard.
    """
    raw = (os.environ if environ is None else environ).get(CLOCK_ENV, "").strip()
    if not raw:
        return None
    try:
        factor, origin_ms, real_origin_ns = raw.split(":")
        return AcceleratedClock(float(factor), int(origin_ms), int(real_origin_ns))
    except ValueError as exc:
        raise ValueError(f"{CLOCK_ENV} must be factor:origin_unix_ms:real_origin_ns") from exc


class ManualClock:
    """A clock that moves only when told to; `sleep` advances it at once."""

    def __init__(self, wall_ms: int, monotonic_ms: int = 0) -> None:
        self._wall = wall_ms
        self._mono = monotonic_ms
        self._lock = threading.Lock()

    def wall_ms(self) -> int:
        """The current manual wall time."""
        return self._wall

    def monotonic_ms(self) -> int:
        """The current manual monotonic time."""
        return self._mono

    def sleep(self, seconds: float) -> None:
        """Advance both clocks by `seconds`."""
        self.advance(round(seconds * 1000))

    def wait_event(self, event: threading.Event, seconds: float) -> bool:
        """True at once if `event` is set; otherwise advance the clock by `seconds`."""
        if event.is_set():
            return True
        self.sleep(seconds)
        return event.is_set()

    def advance(self, ms: int) -> None:
        """Advance both clocks by `ms`."""
        with self._lock:
            self._wall += ms
            self._mono += ms

    def set_wall(self, wall_ms: int) -> None:
        """Make the wall clock jump (as an unset RTC or a manual change would)."""
        self._wall = wall_ms


def wait(clock: Clock, event: threading.Event, seconds: float) -> bool:
    """Wait up to `seconds` of `clock` time for `event`; True if it was set.

    Clocks with a `wait_event` method wait on the event itself; any other clock is polled
    in short sleeps of its own time.
    """
    waiter = getattr(clock, "wait_event", None)
    if callable(waiter):
        return bool(waiter(event, seconds))
    deadline = clock.monotonic_ms() + int(seconds * 1000)
    while not event.is_set():
        left = deadline - clock.monotonic_ms()
        if left <= 0:
            return False
        clock.sleep(min(left / 1000, 0.05))
    return True


def server_time_ms(headers: Mapping[str, str]) -> int | None:
    """The server's time from `Signage-Server-Time` (ms), else from `Date`; None if absent."""
    precise = headers.get(SERVER_TIME_HEADER)
    if precise is not None:
        try:
            return int(precise.strip())
        except ValueError:
            pass
    date = headers.get("Date")
    if date is None:
        return None
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        # RFC 9110 dates are GMT; a zone-less parse means a malformed header.
        return None
    return int(parsed.timestamp()) * 1000 + _DATE_HEADER_CENTRE_MS


class CorrectedClock:
    """The player's best estimate of the server's time, and whether it has been checked.

    After a start the estimate is the later of (device clock + last offset) and the last
    known time: without a real-time clock the device clock restarts in the past, and the
    last known time plus monotonic time is all there is. It stays unverified until a
    server response is observed.
    """

    def __init__(
        self, clock: Clock, *, last_known_ms: int | None = None, last_offset_ms: int = 0
    ) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._anchor_mono = clock.monotonic_ms()
        estimate = clock.wall_ms() + last_offset_ms
        self._anchor_ms = estimate if last_known_ms is None else max(estimate, last_known_ms)
        self._verified = False
        self.last_round_trip_ms: int | None = None

    @property
    def verified(self) -> bool:
        """True once the time has been checked against the server since this start."""
        return self._verified

    def now_ms(self) -> int:
        """Clock-corrected milliseconds since the epoch (UTC)."""
        with self._lock:
            return self._anchor_ms + (self.clock.monotonic_ms() - self._anchor_mono)

    def offset_ms(self) -> int:
        """Corrected time minus the device's wall clock (what records report)."""
        return self.now_ms() - self.clock.wall_ms()

    def observe(
        self, server_ms: int, sent_mono_ms: int, received_mono_ms: int, tolerance_ms: int = 0
    ) -> int:
        """Take the server's time from a response; returns the new offset.

        Once verified, a reading that agrees with the estimate within its own uncertainty
        (half the round trip, plus `tolerance_ms` for a coarse header) leaves the estimate
        alone: it carries no information, and re-anchoring on it would only add jitter.
        """
        # The server stamped its reply somewhere during the round trip: the midpoint halves
        # the worst error.
        midpoint = (sent_mono_ms + received_mono_ms) // 2
        round_trip = max(0, received_mono_ms - sent_mono_ms)
        with self._lock:
            estimate = self._anchor_ms + (midpoint - self._anchor_mono)
            agrees = abs(server_ms - estimate) <= round_trip // 2 + tolerance_ms
            if not (self._verified and agrees):
                self._anchor_ms = server_ms
                self._anchor_mono = midpoint
            self._verified = True
            self.last_round_trip_ms = round_trip
        return self.offset_ms()

    def observe_headers(
        self, headers: Mapping[str, str], sent_mono_ms: int, received_mono_ms: int
    ) -> bool:
        """Observe the server time carried by response headers; False if there was none."""
        server_ms = server_time_ms(headers)
        if server_ms is None:
            return False
        # `Date` has whole seconds: its reading is only good to half a second either way.
        coarse = headers.get(SERVER_TIME_HEADER) is None
        tolerance = _DATE_HEADER_CENTRE_MS if coarse else 0
        self.observe(server_ms, sent_mono_ms, received_mono_ms, tolerance)
        return True
