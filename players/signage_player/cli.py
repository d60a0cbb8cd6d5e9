"""The `signage-player` command: enrol this device, show its state (the run loop comes later)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import requests

from signage_player import __version__
from signage_player.api import ApiClient, NetworkError, RateLimitedError
from signage_player.backoff import Backoff, jittered
from signage_player.clock import Clock, CorrectedClock, SystemClock
from signage_player.errors import StateError
from signage_player.keys import (
    fingerprint,
    generate_key,
    load_key,
    load_or_create_key,
    public_key_b64,
)
from signage_player.state import PlayerState

STATE_ENV = "SIGNAGE_PLAYER_STATE"
DEFAULT_POLL_S = 5.0


def default_state_dir() -> Path:
    """`$SIGNAGE_PLAYER_STATE`, else the XDG state directory of the user."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "signage-player"


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
    clock = clock or SystemClock()
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
        _, etag = state.last_plan()
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
            f"cached files: {len(assets)}, {sum(a.size for a in assets)} bytes",
            f"last known time: {_iso(last_known)} (offset {offset} ms)",
        ]
    print("\n".join(lines), file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signage-player", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=None, help="where state is kept")
    commands = parser.add_subparsers(dest="command", required=True)
    enrol_cmd = commands.add_parser("enroll", help="enrol this device with a server")
    enrol_cmd.add_argument("--server", required=True, help="base URL, e.g. https://signage.example")
    enrol_cmd.add_argument("--screen", help="screen size in pixels, e.g. 1920x1080")
    enrol_cmd.add_argument(
        "--again", action="store_true", help="make a new identity (new key, new chain)"
    )
    commands.add_parser("run", help="play the plan (not built yet)")
    commands.add_parser("status", help="print the state of this player")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `signage-player`."""
    args = _parser().parse_args(argv)
    state_dir: Path = args.state_dir or default_state_dir()
    if args.command == "enroll":
        return enroll(state_dir, args.server, screen=args.screen, out=sys.stdout, again=args.again)
    if args.command == "status":
        return status(state_dir, sys.stdout)
    print("signage-player run: the run loop is not part of this build yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
