"""Fixtures for the reliability tests: a live server on loopback and enrolled player processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from signage.adapters.clock import AcceleratedClock
from tests.reliability.harness import LiveServer, Player, Stage, ffmpeg_spy, make_stage, serve

# Four times real time: a 10 s video plays in 2.5 s; everything else keeps its proportions.
E2E_FACTOR = 4.0


@dataclass
class Live:
    """A stage (services + rendered video + a campaign on one screen), its server, a player."""

    stage: Stage
    server: LiveServer
    player: Player
    location: Any
    campaign: Any
    approval: Any
    played_log: Path


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """An enrolled headless player (not yet started) of a campaign showing a real rendered
    quote video all day, against the app served on 127.0.0.1, on a 4× clock."""
    clock = AcceleratedClock(E2E_FACTOR, datetime.now(UTC))
    stage = make_stage(tmp_path, clock)
    stage.render_quote()
    location = stage.screen("Rudaki screen")
    campaign, approval = stage.campaign("Stop torture week", [location.id], days=2)
    server = serve(stage)
    spy, log = ffmpeg_spy(tmp_path)
    player = Player(
        tmp_path / "player",
        server.url,
        backend="headless",
        clock_env=clock.env_value(),
        extra_env={"IMAGEIO_FFMPEG_EXE": str(spy)},
    )
    try:
        player.enroll(stage, location.id)
        yield Live(stage, server, player, location, campaign, approval, log)
    finally:
        player.kill()
        server.stop()
        stage.services.engine.dispose()
