"""Clock correction: offset to the server's time, and the unverified mode after a power cut."""

from __future__ import annotations

import time

from signage_player.clock import (
    AcceleratedClock,
    CorrectedClock,
    ManualClock,
    server_time_ms,
)

T0 = 1_760_000_000_000


def test_server_time_prefers_the_millisecond_header() -> None:
    headers = {"Signage-Server-Time": str(T0 + 123), "Date": "Thu, 09 Oct 2025 08:53:20 GMT"}
    assert server_time_ms(headers) == T0 + 123


def test_date_header_is_used_centred_in_its_second() -> None:
    assert server_time_ms({"Date": "Thu, 09 Oct 2025 08:53:20 GMT"}) == T0 + 500
    assert server_time_ms({"Date": "yesterday"}) is None
    assert server_time_ms({}) is None


def test_offset_uses_the_midpoint_of_the_round_trip() -> None:
    device = ManualClock(wall_ms=T0, monotonic_ms=1_000)
    clock = CorrectedClock(device)
    assert not clock.verified
    # Sent at mono 1000, answered at 1200: the server's 'now' is taken for mono 1100.
    device.advance(200)
    offset = clock.observe(T0 + 60_100, sent_mono_ms=1_000, received_mono_ms=1_200)
    assert clock.verified
    assert clock.now_ms() == T0 + 60_200
    assert offset == 60_000 == clock.offset_ms()
    device.advance(5_000)
    assert clock.now_ms() == T0 + 65_200


def test_corrected_time_ignores_later_jumps_of_the_device_clock() -> None:
    device = ManualClock(wall_ms=T0, monotonic_ms=0)
    clock = CorrectedClock(device)
    clock.observe(T0, 0, 0)
    device.advance(1_000)
    device.set_wall(T0 - 3_600_000)
    assert clock.now_ms() == T0 + 1_000
    assert clock.offset_ms() == 3_601_000


def test_after_a_power_cut_without_rtc_time_continues_from_last_known() -> None:
    # No real-time clock: the device woke up believing it is 1970.
    device = ManualClock(wall_ms=0, monotonic_ms=0)
    clock = CorrectedClock(device, last_known_ms=T0, last_offset_ms=120)
    assert clock.now_ms() == T0
    assert not clock.verified
    device.advance(30_000)
    assert clock.now_ms() == T0 + 30_000
    assert not clock.verified
    device.advance(1_000)
    clock.observe_headers({"Signage-Server-Time": str(T0 + 7_200_000)}, 31_000, 31_000)
    assert clock.verified
    assert clock.now_ms() == T0 + 7_200_000


def test_a_device_clock_past_the_last_known_time_is_used_with_the_saved_offset() -> None:
    device = ManualClock(wall_ms=T0 + 600_000, monotonic_ms=0)
    clock = CorrectedClock(device, last_known_ms=T0, last_offset_ms=-250)
    assert clock.now_ms() == T0 + 600_000 - 250
    assert not clock.verified


def test_headers_without_time_leave_the_clock_unverified() -> None:
    clock = CorrectedClock(ManualClock(wall_ms=T0))
    assert clock.observe_headers({"Content-Type": "text/plain"}, 0, 0) is False
    assert not clock.verified


def test_accelerated_clocks_share_an_origin() -> None:
    origin_ns = time.monotonic_ns()
    player = AcceleratedClock(1_000, origin_ms=T0, real_origin_ns=origin_ns)
    server = AcceleratedClock(1_000, origin_ms=T0, real_origin_ns=origin_ns)
    before = player.wall_ms()
    player.sleep(20)  # 20 accelerated seconds: 20 ms of real time
    after = server.wall_ms()
    assert after - before >= 20_000
    assert player.monotonic_ms() >= 20_000
