"""Online backups of SQLite plus secrets; restore brings the data back."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from signage.adapters.backup import BackupError, list_backups, restore_backup
from signage.jobs.tasks import backup, secret_files
from tests.conftest import build, make_settings

SITE = {"name": "Circus roundabout", "screen_width": 1920, "screen_height": 1080}


def test_backup_then_restore_brings_back_the_database_and_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, backup={"keep": 2})
    services = build(settings)
    services.locations.create_location("admin", SITE)
    key_file = settings.path(settings.server.secret_key_file)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text("the-secret")
    result = backup(services)
    assert (result.path / "signage.db").exists()
    assert "secrets/secret_key" in result.files
    saved_key = result.path / "secrets" / "secret_key"
    assert stat.S_IMODE(saved_key.stat().st_mode) == 0o600

    # Damage after the backup: a new location, and a lost secret.
    services.locations.create_location("admin", {**SITE, "name": "Later"})
    key_file.unlink()
    services.engine.dispose()

    restore_backup(result.path, settings.database_url, secret_files(services))
    restored = build(settings)
    names = [loc.spec.name for loc in restored.locations.list_locations()]
    assert names == ["Circus roundabout"]
    assert key_file.read_text() == "the-secret"
    restored.engine.dispose()


def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    services = build(make_settings(tmp_path, backup={"keep": 2}))
    made = [backup(services).path for _ in range(4)]
    assert list_backups(tmp_path / "backups") == made[-2:]
    services.engine.dispose()


def test_a_corrupt_backup_is_refused_and_the_database_left_alone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = build(settings)
    services.locations.create_location("admin", SITE)
    bad = tmp_path / "backups" / "signage-bad"
    bad.mkdir(parents=True)
    (bad / "signage.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    services.engine.dispose()
    with pytest.raises(BackupError):
        restore_backup(bad, settings.database_url, [])
    again = build(settings)
    assert len(again.locations.list_locations()) == 1
    again.engine.dispose()


def test_backup_refuses_postgres_with_advice(tmp_path: Path) -> None:
    from signage.adapters.backup import make_backup

    with pytest.raises(BackupError, match="pg_dump"):
        make_backup("postgresql+psycopg://u@h/db", [], tmp_path, 3, _now())


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
