"""Online backups of the SQLite database and the instance's secret files."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from signage.domain.errors import SignageError

DB_FILE = "signage.db"
SECRETS_DIR = "secrets"


class BackupError(SignageError):
    """A backup or restore could not be made."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """Where a backup went and what it holds."""

    path: Path
    files: tuple[str, ...]
    removed: tuple[Path, ...]


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL; refuses other databases."""
    if not database_url.startswith("sqlite:///"):
        raise BackupError(
            "the built-in backup covers SQLite only; back PostgreSQL up with pg_dump (README)"
        )
    return Path(database_url[len("sqlite:///") :])


def make_backup(
    database_url: str, secret_files: list[Path], directory: Path, keep: int, at: datetime
) -> BackupResult:
    """Copy the live database with SQLite's backup API, plus secrets; keep the newest `keep`."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"database file {source.name} does not exist yet")
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"signage-{at.strftime('%Y%m%dT%H%M%S%fZ')}"
    work = directory / (final.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    files = [DB_FILE]
    src = sqlite3.connect(source)
    dst = sqlite3.connect(work / DB_FILE)
    try:
        with dst:
            src.backup(dst)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"backup copy failed its integrity check: {check}")
    finally:
        src.close()
        dst.close()
    secret_dir = work / SECRETS_DIR
    secret_dir.mkdir(mode=0o700)
    for secret in secret_files:
        if secret.exists():
            shutil.copy2(secret, secret_dir / secret.name)
            os.chmod(secret_dir / secret.name, 0o600)
            files.append(f"{SECRETS_DIR}/{secret.name}")
    _fsync_tree(work)
    work.rename(final)
    removed = prune(directory, keep)
    return BackupResult(final, tuple(files), removed)


def list_backups(directory: Path) -> list[Path]:
    """Finished backups, oldest first."""
    if not directory.exists():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_dir() and p.name.startswith("signage-") and not p.name.endswith(".tmp")
    )


def prune(directory: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest `keep` backups."""
    backups = list_backups(directory)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        shutil.rmtree(path)
    return tuple(doomed)


def restore_backup(backup: Path, database_url: str, secret_files: list[Path]) -> None:
    """Put a backup's database and secrets back in place (the server must be stopped)."""
    target = sqlite_path(database_url)
    copy = backup / DB_FILE
    if not copy.exists():
        raise BackupError(f"{backup} holds no {DB_FILE}")
    conn = sqlite3.connect(copy)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        check = str(exc)
    finally:
        conn.close()
    if check != "ok":
        raise BackupError(f"{backup.name} failed its integrity check: {check}")
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copy2(copy, staged)
    os.replace(staged, target)
    for secret in secret_files:
        saved = backup / SECRETS_DIR / secret.name
        if saved.exists():
            secret.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(saved, secret)
            os.chmod(secret, 0o600)


def _fsync_tree(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
