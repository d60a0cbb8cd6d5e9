"""Settings: `config.yaml` read once into frozen dataclasses, `SIGNAGE_*` overriding."""

from __future__ import annotations

import dataclasses
import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from signage.domain.errors import SignageError


class ConfigError(SignageError):
    """A setting is missing or invalid; the message names the key."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///instance/signage.db"
    busy_timeout_ms: int = 5000


@dataclass(frozen=True)
class MediaSettings:
    root: str = "media"
    max_upload_mb: int = 512


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Where the Flask secret key lives; created (0600) on first start when absent.
    secret_key_file: str = "instance/secret_key"  # noqa: S105 (a path, not a secret)
    # Set true behind HTTPS so session cookies carry the Secure flag.
    secure_cookies: bool = False
    login_rate_limit: str = "10 per minute"
    # How many proxies (nginx, Caddy) stand in front and set X-Forwarded-For. 0 ignores the
    # header; behind one proxy set 1, or every client looks like the proxy to the login and
    # enrolment limits.
    proxy_hops: int = 0


@dataclass(frozen=True)
class ScheduleSettings:
    default_timezone: str = "Asia/Dushanbe"


@dataclass(frozen=True)
class PlayerSettings:
    poll_interval_seconds: int = 30


@dataclass(frozen=True)
class RenderSettings:
    fps: int = 25
    duration_seconds: float = 10.0
    preset: str = "medium"
    crf: int = 20
    font_file: str = ""
    font_families: tuple[str, ...] = ("DejaVu Sans", "Noto Sans")


@dataclass(frozen=True)
class BackupSettings:
    directory: str = "backups"
    keep: int = 14
    interval_minutes: int = 360


@dataclass(frozen=True)
class WorkerSettings:
    lease_seconds: int = 30


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from configuration; paths are absolute."""

    base_dir: str = "."
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    player: PlayerSettings = field(default_factory=PlayerSettings)
    render: RenderSettings = field(default_factory=RenderSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)

    def path(self, relative: str) -> Path:
        """A configured path, resolved against the directory of config.yaml."""
        p = Path(relative)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]))
        return url


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Turn a YAML or environment value into the type of the default."""
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"'{value}' is not true or false")
        if isinstance(default, int):
            if isinstance(value, bool):
                raise ValueError("expected a whole number")
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, list | tuple):
                return tuple(str(v) for v in value)
            raise ValueError("expected a list")
        if not isinstance(value, str | int | float):
            raise ValueError("expected a text value")
        return str(value)
    except ValueError as exc:
        raise ConfigError(f"config: invalid value for '{key}': {exc}") from None


def _section_classes() -> dict[str, Any]:
    return {
        "database": DatabaseSettings,
        "media": MediaSettings,
        "server": ServerSettings,
        "schedule": ScheduleSettings,
        "player": PlayerSettings,
        "render": RenderSettings,
        "backup": BackupSettings,
        "worker": WorkerSettings,
    }


def load_settings(
    path: str | Path | None = "config.yaml",
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Read settings from YAML, then `SIGNAGE_<SECTION>_<KEY>` variables, then overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        config_path = Path(path)
        if not config_path.exists():
            raise ConfigError(f"config: file '{config_path}' not found")
        base_dir = config_path.resolve().parent
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config: '{config_path}' is not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config: '{config_path}' must hold a mapping of sections")
        raw = loaded
    sections: dict[str, Any] = {}
    for name, cls in _section_classes().items():
        given = raw.get(name) or {}
        if not isinstance(given, dict):
            raise ConfigError(f"config: '{name}' must be a mapping")
        defaults = cls()
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ConfigError(f"config: unknown key '{name}.{unknown[0]}'")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = f"{name}.{f.name}"
            default = getattr(defaults, f.name)
            value = given.get(f.name, default)
            env_name = f"SIGNAGE_{name}_{f.name}".upper()
            if env_name in environ:
                value = environ[env_name]
            if overrides and f.name in overrides.get(name, {}):
                value = overrides[name][f.name]
            if value is None:
                raise ConfigError(f"config: missing value for '{key}'")
            values[f.name] = _coerce(key, value, default)
        sections[name] = cls(**values)
    unknown_sections = sorted(set(raw) - set(_section_classes()))
    if unknown_sections:
        raise ConfigError(f"config: unknown section '{unknown_sections[0]}'")
    settings = Settings(base_dir=str(base_dir), **sections)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    url = settings.database.url
    if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigError(
            "config: 'database.url' must start with sqlite:// or postgresql+psycopg://"
        )
    try:
        zoneinfo.ZoneInfo(settings.schedule.default_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config: 'schedule.default_timezone' '{settings.schedule.default_timezone}'"
            " is not an IANA time zone"
        ) from None
    checks = [
        ("server.port", 0 < settings.server.port < 65536),
        ("server.proxy_hops", 0 <= settings.server.proxy_hops <= 5),
        ("player.poll_interval_seconds", settings.player.poll_interval_seconds >= 5),
        ("render.fps", 1 <= settings.render.fps <= 60),
        ("render.crf", 0 <= settings.render.crf <= 51),
        ("render.duration_seconds", 1 <= settings.render.duration_seconds <= 120),
        ("backup.keep", settings.backup.keep >= 1),
        ("backup.interval_minutes", settings.backup.interval_minutes >= 1),
        ("media.max_upload_mb", settings.media.max_upload_mb >= 1),
        ("worker.lease_seconds", settings.worker.lease_seconds >= 5),
    ]
    for key, ok in checks:
        if not ok:
            raise ConfigError(f"config: value for '{key}' is out of range")
    from limits import parse_many

    try:
        rates = parse_many(settings.server.login_rate_limit)
    except ValueError:
        rates = []
    if len(rates) != 1 or rates[0].amount < 1:
        raise ConfigError(
            f"config: 'server.login_rate_limit' '{settings.server.login_rate_limit}' must be "
            "one rate of at least 1, such as '10 per minute'"
        )
    presets = {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"}
    if settings.render.preset not in presets:
        raise ConfigError(f"config: 'render.preset' must be one of {', '.join(sorted(presets))}")


def secret_key(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """The Flask secret: `SIGNAGE_SECRET_KEY`, else the key file, created on first use."""
    environ = os.environ if environ is None else environ
    if environ.get("SIGNAGE_SECRET_KEY"):
        return environ["SIGNAGE_SECRET_KEY"]
    key_path = settings.path(settings.server.secret_key_file)
    if not key_path.exists():
        import secrets

        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_path.read_text().strip()
