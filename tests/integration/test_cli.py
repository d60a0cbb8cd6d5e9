"""The `signage` command as an admin uses it."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from signage.cli import cli
from tests.conftest import config_file

REPO = Path(__file__).resolve().parents[2]


def run(config: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_migrate_import_is_idempotent_and_users_commands(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    assert "revision" in run(config, "migrate")
    demo = str(REPO / "playlists" / "dushanbe-2022.yaml")
    no_admin = CliRunner().invoke(cli, ["--config", str(config), "import", demo])
    assert no_admin.exit_code != 0
    assert "create an admin first" in no_admin.output
    run(config, "users", "create", "root", "--role", "admin", "--password", "a fine password")
    first = run(config, "import", demo)
    assert "locations: 7 created; quotes: 6 created; renders: 18" in first
    assert "campaign 1 created; playlists created: 2; entries added: 2" in first
    again = run(config, "import", demo)
    assert "locations: 0 created; quotes: 0 created" in again
    assert "campaign 1 already present" in again
    exported = yaml.safe_load(run(config, "export", "1"))
    assert exported["campaign"]["name"].startswith("Stop torture and impunity")
    run(config, "users", "create", "malika", "--role", "staff", "--password", "a fine password")
    run(config, "users", "set-roles", "malika", "--role", "approver", "--role", "staff")
    run(config, "users", "disable", "malika")
    listing = run(config, "users", "list")
    assert "malika\tapprover,staff\tdisabled" in listing


def test_seed_demo_prints_logins_once_and_keeps_them_private(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    run(config, "migrate")
    first = run(config, "seed-demo")
    assert "admin" in first
    assert "locations: 7 created" in first
    assert "submitted; approved once its renders finish" in first
    marker = tmp_path / "instance" / "demo-approval.json"
    assert marker.exists()
    logins = tmp_path / "instance" / "demo-logins.txt"
    assert oct(logins.stat().st_mode & 0o777) == "0o600"
    second = run(config, "seed-demo")
    assert "created on first start" in second


def test_a_bad_import_names_the_problem(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    run(config, "migrate")
    run(config, "users", "create", "root", "--role", "admin", "--password", "a fine password")
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: signage-campaign/1\nlocations:\n  - name: X\n    screen_width: 0\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "import", str(bad)])
    assert result.exit_code != 0
    assert "locations[0].screen_height" in result.output or "screen_width" in result.output


def test_a_bad_setting_stops_with_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("server:\n  port: lots\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "migrate"])
    assert result.exit_code != 0
    assert "server.port" in result.output


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    run(config, "migrate")
    run(config, "users", "create", "root", "--role", "admin", "--password", "a fine password")
    run(config, "import", str(REPO / "playlists" / "dushanbe-2022.yaml"))
    out = run(config, "backup")
    folder = Path(out.split("backup written to ", 1)[1].split(" (", 1)[0])
    assert folder.is_dir()
    run(config, "users", "create", "later", "--role", "staff", "--password", "a fine password")
    run(config, "restore", str(folder), "--yes")
    assert "later" not in run(config, "users", "list")
