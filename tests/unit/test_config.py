"""Settings load once from YAML, environment overrides win, bad values name their key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from signage.config import ConfigError, load_settings, secret_key

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_loads_with_documented_defaults() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    assert settings.schedule.default_timezone == "Asia/Dushanbe"
    assert settings.server.port == 8000
    assert settings.database_url.startswith("sqlite:////")  # made absolute
    assert settings.database_url.endswith("/instance/signage.db")
    assert "DejaVu Sans" in settings.render.font_families


def test_environment_overrides_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: 9000\n")
    settings = load_settings(
        path, environ={"SIGNAGE_SERVER_PORT": "9100", "SIGNAGE_PLAYER_POLL_INTERVAL_SECONDS": "60"}
    )
    assert settings.server.port == 9100
    assert settings.player.poll_interval_seconds == 60


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "media:\n  root: store\n"), environ={})
    assert settings.path(settings.media.root) == tmp_path / "store"


@pytest.mark.parametrize(
    ("text", "environ", "key"),
    [
        ("server:\n  port: eighty\n", {}, "server.port"),
        ("", {"SIGNAGE_SERVER_PORT": "70000"}, "server.port"),
        ("schedule:\n  default_timezone: Mars/Olympus\n", {}, "schedule.default_timezone"),
        ("database:\n  url: mysql://x\n", {}, "database.url"),
        ("database:\n  url:\n", {}, "database.url"),
        ("server:\n  colour: red\n", {}, "server.colour"),
        ("servers:\n  port: 1\n", {}, "servers"),
        ("render:\n  preset: warp\n", {}, "render.preset"),
        ("", {"SIGNAGE_SERVER_SECURE_COOKIES": "maybe"}, "server.secure_cookies"),
        ("server:\n  login_rate_limit: often\n", {}, "server.login_rate_limit"),
        ("server:\n  login_rate_limit: 0 per minute\n", {}, "server.login_rate_limit"),
        ("server:\n  login_rate_limit: 10/minute;100/hour\n", {}, "server.login_rate_limit"),
        ("", {"SIGNAGE_SERVER_PROXY_HOPS": "-1"}, "server.proxy_hops"),
    ],
)
def test_a_bad_setting_stops_with_one_line_naming_the_key(
    tmp_path: Path, text: str, environ: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(write(tmp_path, text), environ=environ)
    message = str(excinfo.value)
    assert key in message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_settings_are_frozen() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    with pytest.raises(AttributeError):
        settings.server.port = 1  # type: ignore[misc]


def test_secret_key_comes_from_a_0600_file_created_once_never_from_yaml(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, "server:\n  secret_key_file: instance/key\n"), environ={}
    )
    first = secret_key(settings, environ={})
    key_file = tmp_path / "instance" / "key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key(settings, environ={}) == first
    assert secret_key(settings, environ={"SIGNAGE_SECRET_KEY": "from-env"}) == "from-env"
    assert "secret_key:" not in REPO_CONFIG.read_text()
