"""The player installs into a fresh virtual environment from its own metadata (players/
pyproject.toml: requests, cryptography) and runs there without any of the server's libraries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

pytestmark = pytest.mark.slow
PLAYERS = Path(__file__).resolve().parents[2] / "players"
INSTALL_TIMEOUT_S = 180
SERVER_ONLY = ("flask", "sqlalchemy", "PIL", "moviepy")


def run(command: list[str], cwd: Path, timeout_s: float = 60) -> subprocess.CompletedProcess[Any]:
    """Outside the checkout and with no PYTHONPATH: only the venv's own packages count."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout_s, check=False, cwd=cwd, env=env
    )


def test_player_installs_and_runs_in_a_fresh_venv(tmp_path: Path) -> None:
    # A copy, so the build leaves nothing behind in the checkout.
    source = tmp_path / "players"
    shutil.copytree(
        PLAYERS,
        source,
        ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__", ".mypy_cache"),
    )
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], tmp_path, 120).returncode == 0
    python = venv / "bin" / "python"
    try:
        install = run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                str(source),
            ],
            tmp_path,
            INSTALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        need(False, f"pip install did not finish in {INSTALL_TIMEOUT_S} s (package index?)")
        return
    need(
        install.returncode == 0,
        f"pip install ./players failed (no package index?): {install.stderr[-500:]}",
    )

    helped = run([str(venv / "bin" / "signage-player"), "--help"], tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "enroll" in helped.stdout
    assert "run" in helped.stdout
    for module in ("signage_player.cli", "signage_player.runner", "requests", "cryptography"):
        imported = run([str(python), "-c", f"import {module}"], tmp_path)
        assert imported.returncode == 0, imported.stderr
    for module in (*SERVER_ONLY, "signage"):
        attempt = run([str(python), "-c", f"import {module}"], tmp_path)
        assert attempt.returncode != 0, f"{module} is importable in the player's venv"
        assert "ModuleNotFoundError" in attempt.stderr
