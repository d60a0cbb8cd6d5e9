"""The demo's simulated billboards: one real player process per demo screen.

Each player enrols through the normal protocol; the demo confirms its code through the
same device service an admin's form uses. The players are separate programs (the
`signage-player` command), so the control server never imports the player package.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("signage.demo")
ENROL_TIMEOUT_S = 60


def player_command() -> list[str]:
    """How to start the player program of this environment."""
    beside = Path(sys.executable).with_name("signage-player")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("signage-player")
    if found is None:
        raise RuntimeError("the signage-player program is not installed (pip install ./players)")
    return [found]


def enrol_and_bind(services: Any, admin: Any, location: Any, state_dir: Path, server: str) -> bool:
    """Enrol one player (if it is not yet) and bind its code to `location`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    screen = f"{location.spec.screen_width}x{location.spec.screen_height}"
    command = [*player_command(), "--state-dir", str(state_dir), "enroll", "--server", server]
    process = subprocess.Popen(  # noqa: S603 - our own program, fixed arguments
        [*command, "--screen", screen],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    timer = threading.Timer(ENROL_TIMEOUT_S, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Already enrolled"):
                process.wait()
                return True  # a later `make run`: the player keeps its identity and token
            if line.startswith("Enrolment code:"):
                code = line.split(":", 1)[1].strip()
                services.devices.bind_device(admin, code, location.id)
                log.info("demo player for %s enrolled (code %s)", location.spec.name, code)
        return process.wait() == 0
    finally:
        timer.cancel()


def run_demo_players(services: Any, server: str, instance: Path, stop: threading.Event) -> None:
    """Start a simulated player per location and keep them running until `stop`."""
    admin = next(
        (u for u in services.users.list_users() if u.username == "admin" and u.active), None
    )
    if admin is None:
        log.warning("no demo admin account: the demo players are not started")
        return
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for location in services.locations.list_locations():
            state_dir = instance / "players" / f"location-{location.id}"
            if not enrol_and_bind(services, admin, location, state_dir, server):
                log.warning("demo player for %s did not enrol", location.spec.name)
                continue
            command = [*player_command(), "--state-dir", str(state_dir), "run"]
            log_file = (state_dir / "player.log").open("ab")
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own program, fixed arguments
                    [*command, "--backend", "simulate"],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            )
        log.info("%d simulated players running", len(processes))
        stop.wait()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
