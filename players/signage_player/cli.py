"""The `signage-player` command: enrol this device, run the player, show its state."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import requests

from signage_player import __version__
from signage_player.api import ApiClient, NetworkError, RateLimitedError
from signage_player.backends import BACKEND_NAMES, make_backend
from signage_player.backoff import Backoff, jittered
from signage_player.clock import Clock, CorrectedClock, SystemClock, clock_from_env
from signage_player.errors import BackendError, StateError
from signage_player.keys import (
    fingerprint,
    generate_key,
    load_key,
    load_or_create_key,
    public_key_b64,
)
from signage_player.runner import Player
from signage_player.state import PlayerState

STATE_ENV = "SIGNAGE_PLAYER_STATE"
DEFAULT_POLL_S = 5.0


def default_state_dir() -> Path:
    """`$SIGNAGE_PLAYER_STATE`, else the XDG state directory of the user."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "signage-player"


def device_clock() -> Clock:
    """The system clock; a test-only accelerated one when `$SIGNAGE_PLAYER_CLOCK` is set."""
    return clock_from_env() or SystemClock()


def _iso(ms: int | None) -> str:
    if ms is None:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def enroll(
    state_dir: Path,
    server: str,
    *,
    screen: str | None,
    out: TextIO,
    again: bool = False,
    clock: Clock | None = None,
    session: requests.Session | None = None,
    max_polls: int | None = None,
) -> int:
    """Show the enrolment code and fingerprint, then poll until an admin binds the device."""
    clock = clock or device_clock()
    with PlayerState.in_dir(state_dir) as state:
        if state.token() and not again:
            print("Already enrolled; use --again for a new identity.", file=out)
            return 1
        if again:
            try:
                state.reset_chain()
            except StateError as exc:
                print(f"Cannot start a new identity: {exc}.", file=out)
                return 1
            state.set_values({"token": None, "device_id": None})
    key = generate_key(state_dir) if again else load_or_create_key(state_dir)
    public = public_key_b64(key)
    facts: dict[str, object] = {"software_version": __version__}
    if screen:
        facts["screen_size"] = screen
    http_context = nullcontext(session) if session else requests.Session()
    with PlayerState.in_dir(state_dir) as state, http_context as http:
        api = ApiClient(server, http, CorrectedClock(clock))
        pending = api.enroll(public, facts)
        print(f"Enrolment code: {pending.code}", file=out)
        print(f"Key fingerprint: {fingerprint(key)}", file=out, flush=True)
        backoff = Backoff(base_s=DEFAULT_POLL_S, cap_s=300.0)
        polls = 0
        while max_polls is None or polls < max_polls:
            polls += 1
            try:
                status = api.poll_enrolment(key, public, pending.code)
            except RateLimitedError as exc:
                clock.sleep(backoff.next_delay(exc.retry_after_s))
                continue
            except NetworkError as exc:
                print(f"Server unreachable ({exc}); trying again.", file=out, flush=True)
                clock.sleep(backoff.next_delay())
                continue
            if status.enrolled and status.token and status.device_id is not None:
                state.save_enrolment(token=status.token, device_id=status.device_id)
                state.set_values({"server_url": server})
                print(f"Enrolled as device {status.device_id}.", file=out)
                return 0
            backoff.reset()
            clock.sleep(jittered(pending.poll_interval_s or DEFAULT_POLL_S))
    print("Not enrolled yet.", file=out)
    return 1


def status(state_dir: Path, out: TextIO) -> int:
    """Print what the state directory holds: identity, chain, outbox, plan, cache, time."""
    key = load_key(state_dir)
    with PlayerState.in_dir(state_dir) as state:
        head = state.chain_head()
        play = state.open_play()
        plan, etag = state.last_plan()
        horizon = (plan or {}).get("horizon") or {}
        error = state.get_value("last_error")
        assets = state.cached_assets()
        last_known, offset = state.last_time()
        lines = [
            f"state directory: {state_dir}",
            f"server: {state.get_value('server_url') or 'not set'}",
            f"device id: {state.device_id() if state.device_id() is not None else 'not enrolled'}",
            f"key fingerprint: {fingerprint(key) if key else 'no key yet'}",
            f"chain head: seq {head.seq}, hash {head.hash}",
            f"records waiting to be sent: {state.outbox_size()}",
            f"open play: {play.asset_sha256 if play else 'none'}",
            f"plan ETag: {etag or 'no plan yet'}",
            f"plan horizon ends: {_iso(horizon.get('end_ms'))}",
            f"cached files: {len(assets)}, {sum(a.size for a in assets)} bytes",
            f"last known time: {_iso(last_known)} (offset {offset} ms)",
            f"last error: {json.loads(error)[0] if error else 'none'}",
        ]
    print("\n".join(lines), file=out)
    return 0


def run(
    state_dir: Path,
    backend_name: str,
    *,
    out: TextIO,
    mpv_options: Sequence[str] = (),
    mpv_headless: bool = False,
    until: threading.Event | None = None,
) -> int:
    """Play the plan until SIGTERM/SIGINT (or `until`); the play on screen closes cleanly."""
    with PlayerState.in_dir(state_dir) as state:
        server, token = state.get_value("server_url"), state.token()
    if not server or not token:
        print("Not enrolled: run `signage-player enroll --server URL` first.", file=out)
        return 2
    clock = device_clock()
    try:
        options: dict[str, object] = {}
        if backend_name == "mpv":
            options = {"headless": mpv_headless, "extra_args": list(mpv_options)}
        backend = make_backend(backend_name, clock, **options)
    except BackendError as exc:
        print(f"Cannot start the {backend_name} backend: {exc}", file=out)
        return 2
    stop = until or threading.Event()
    if until is None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    with requests.Session() as http:
        api = ApiClient(server, http, CorrectedClock(clock), token)
        player = Player(state_dir, api, backend, clock)
        print(
            f"Playing with the {backend.name} backend; state in {state_dir}.", file=out, flush=True
        )
        player.run(until=stop)
    print("Stopped.", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signage-player", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=None, help="where state is kept")
    # `--state` is accepted after the command too: `signage-player run --state DIR`.
    state_opt = argparse.ArgumentParser(add_help=False)
    state_opt.add_argument(
        "--state",
        "--state-dir",
        dest="sub_state_dir",
        type=Path,
        default=None,
        help="where state is kept (default $SIGNAGE_PLAYER_STATE or ~/.local/state)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    enrol_cmd = commands.add_parser("enroll", parents=[state_opt], help="enrol this device")
    enrol_cmd.add_argument("--server", required=True, help="base URL, e.g. https://signage.example")
    enrol_cmd.add_argument("--screen", help="screen size in pixels, e.g. 1920x1080")
    enrol_cmd.add_argument(
        "--again", action="store_true", help="make a new identity (new key, new chain)"
    )
    run_cmd = commands.add_parser("run", parents=[state_opt], help="play the plan")
    run_cmd.add_argument("--backend", choices=BACKEND_NAMES, default="mpv")
    run_cmd.add_argument(
        "--mpv-option",
        action="append",
        default=[],
        metavar="OPT",
        help="extra mpv option, e.g. --mpv-option=--vo=gpu --mpv-option=--gpu-context=drm",
    )
    run_cmd.add_argument(
        "--mpv-headless", action="store_true", help="mpv without screen or sound (tests)"
    )
    commands.add_parser("status", parents=[state_opt], help="print the state of this player")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `signage-player`."""
    args = _parser().parse_args(argv)
    state_dir: Path = args.sub_state_dir or args.state_dir or default_state_dir()
    if args.command == "enroll":
        return enroll(state_dir, args.server, screen=args.screen, out=sys.stdout, again=args.again)
    if args.command == "status":
        return status(state_dir, sys.stdout)
    return run(
        state_dir,
        args.backend,
        out=sys.stdout,
        mpv_options=args.mpv_option,
        mpv_headless=args.mpv_headless,
    )


if __name__ == "__main__":
    sys.exit(main())
