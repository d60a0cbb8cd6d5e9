"""The media cache: resumable, verified downloads and eviction that keeps disk free.

A file is named by its SHA-256 and becomes visible under that name only after its bytes
were hashed, fsynced and renamed from `<sha>.part`; a file whose hash no longer matches
is deleted and never handed out for playback.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from signage_player.errors import AssetIntegrityError, InsufficientSpaceError
from signage_player.faults import armed, crash_point
from signage_player.keys import fsync_dir
from signage_player.state import CachedAsset, PlayerState

DAY_MS = 24 * 3600 * 1000
MIN_FREE_RATIO = 0.10
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class AssetBody:
    """A response body for an asset: `offset` is where its bytes start in the file."""

    offset: int
    chunks: Iterable[bytes]


class AssetSource(Protocol):
    """Where asset bytes come from (the API client), from a byte offset on."""

    def download_asset(self, url: str, offset: int = 0) -> AbstractContextManager[AssetBody]:
        """Open the asset at `url`, asking for the bytes from `offset` (a `Range`)."""
        ...


class DiskUsage(Protocol):
    """The fields of `shutil.disk_usage` the cache reads."""

    @property
    def total(self) -> int:
        """Bytes on the file system."""
        ...

    @property
    def free(self) -> int:
        """Bytes still free."""
        ...


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fault_after_write(handle: BinaryIO) -> bool:
    # Only when the crash point is armed: make the partial bytes durable first, so the
    # crash leaves exactly the `.part` file a power cut after a write would leave.
    if not armed("download.after_part_write"):
        return False
    handle.flush()
    os.fsync(handle.fileno())
    return True


def _check_sha(sha256: str) -> str:
    # The name comes from the server's plan: refuse anything that is not a plain digest,
    # so it can never point outside the cache directory.
    if not _SHA256.match(sha256):
        raise AssetIntegrityError(f"{sha256!r} is not a lowercase hex SHA-256")
    return sha256


class MediaCache:
    """Files in one directory, indexed in the player state."""

    def __init__(
        self,
        directory: Path,
        state: PlayerState,
        source: AssetSource,
        *,
        now_ms: Callable[[], int],
        disk_usage: Callable[[Path], DiskUsage] = shutil.disk_usage,
        min_free_ratio: float = MIN_FREE_RATIO,
    ) -> None:
        self.directory = directory
        self.state = state
        self.source = source
        self.now_ms = now_ms
        self.disk_usage = disk_usage
        self.min_free_ratio = min_free_ratio
        directory.mkdir(parents=True, exist_ok=True)

    def file_path(self, sha256: str) -> Path:
        """Where a verified file lives."""
        return self.directory / _check_sha(sha256)

    def part_path(self, sha256: str) -> Path:
        """Where a download in progress lives."""
        return self.directory / f"{_check_sha(sha256)}.part"

    def has(self, sha256: str) -> bool:
        """True when the file is indexed and present (not re-hashed; see `playable_path`)."""
        return self.state.cached(sha256) is not None and self.file_path(sha256).exists()

    def fetch(self, sha256: str, url: str, size: int | None, *, keep: Collection[str] = ()) -> Path:
        """Download (or resume) an asset until it is verified; returns its path."""
        final = self.file_path(sha256)
        if self.has(sha256) or (final.exists() and self.playable_path(sha256)):
            return final
        part = self.part_path(sha256)
        have = part.stat().st_size if part.exists() else 0
        if size is not None:
            self.ensure_room(max(0, size - have), keep={*keep, sha256})
        # One retry from scratch: a corrupt .part (torn write, bit rot) must not block forever.
        for attempt in (1, 2):
            try:
                self._download(sha256, url, size)
                break
            except AssetIntegrityError:
                part.unlink(missing_ok=True)
                if attempt == 2:
                    raise
        crash_point("download.after_rename_before_index")
        now = self.now_ms()
        stored = final.stat().st_size
        self.state.put_cached(CachedAsset(sha256, str(final), stored, now, now))
        return final

    def _download(self, sha256: str, url: str, size: int | None) -> None:
        part = self.part_path(sha256)
        offset = part.stat().st_size if part.exists() else 0
        if size is not None and offset > size:
            part.unlink()
            offset = 0
        if size is None or offset < size:
            offset = self._receive(part, url, offset, size)
        self._finish(part, sha256, size)

    def _receive(self, part: Path, url: str, offset: int, size: int | None) -> int:
        with self.source.download_asset(url, offset) as body:
            if body.offset not in (0, offset):
                raise AssetIntegrityError(f"server resumed at {body.offset}, asked {offset}")
            # `a+b` would ignore seek on write; `r+b` needs the file to exist.
            part.touch(exist_ok=True)
            with part.open("r+b") as handle:
                # A 200 instead of 206 means the server sent everything again: start over.
                handle.seek(body.offset)
                handle.truncate()
                written = body.offset
                try:
                    for chunk in body.chunks:
                        handle.write(chunk)
                        written += len(chunk)
                        if written > body.offset and _fault_after_write(handle):
                            crash_point("download.after_part_write")
                        if size is not None and written > size:
                            raise AssetIntegrityError(f"more than the announced {size} bytes")
                finally:
                    # Keep what arrived, durably, so the next attempt resumes after it.
                    handle.flush()
                    os.fsync(handle.fileno())
        return written

    def _finish(self, part: Path, sha256: str, size: int | None) -> None:
        actual_size = part.stat().st_size
        if size is not None and actual_size != size:
            raise AssetIntegrityError(f"{sha256}: got {actual_size} bytes, expected {size}")
        actual = file_sha256(part)
        if actual != sha256:
            raise AssetIntegrityError(f"{sha256}: the bytes hash to {actual}")
        os.replace(part, self.file_path(sha256))
        fsync_dir(self.directory)

    def playable_path(self, sha256: str) -> Path | None:
        """The file if its bytes still match its hash; otherwise delete it and return None."""
        path = self.file_path(sha256)
        if not path.exists():
            self.state.drop_cached(sha256)
            return None
        if file_sha256(path) != sha256:
            self.remove(sha256)
            return None
        if self.state.cached(sha256) is None:
            # Verified bytes that lost their index row (e.g. a crash after rename): adopt them.
            now = self.now_ms()
            self.state.put_cached(CachedAsset(sha256, str(path), path.stat().st_size, now, now))
        else:
            self.state.touch_cached(sha256, used_at_ms=self.now_ms(), verified=True)
        return path

    def remove(self, sha256: str) -> None:
        """Delete a file, any partial download of it, and its index row."""
        self.file_path(sha256).unlink(missing_ok=True)
        self.part_path(sha256).unlink(missing_ok=True)
        self.state.drop_cached(sha256)

    def _enough_free(self, extra_bytes: int) -> bool:
        usage = self.disk_usage(self.directory)
        return usage.free - extra_bytes >= usage.total * self.min_free_ratio

    def ensure_room(self, needed_bytes: int, *, keep: Collection[str]) -> list[str]:
        """Evict least recently used files outside `keep` until `needed_bytes` fit."""
        evicted: list[str] = []
        for asset in self.state.cached_assets():
            if self._enough_free(needed_bytes):
                break
            if asset.sha256 not in keep:
                self.remove(asset.sha256)
                evicted.append(asset.sha256)
        if not self._enough_free(needed_bytes):
            raise InsufficientSpaceError(
                f"{needed_bytes} more bytes would leave less than "
                f"{self.min_free_ratio:.0%} of the disk free"
            )
        return evicted

    def evict(self, *, keep: Collection[str], unused_days: float = 7.0) -> list[str]:
        """Drop files unused for `unused_days` and, if the disk is short, LRU files too.

        Files in `keep` (the assets of the plans in force) are never evicted.
        """
        cutoff = self.now_ms() - int(unused_days * DAY_MS)
        evicted: list[str] = []
        for asset in self.state.cached_assets():
            if asset.sha256 not in keep and asset.last_used_ms < cutoff:
                self.remove(asset.sha256)
                evicted.append(asset.sha256)
        evicted += self._sweep_strays(keep)
        # When everything left is needed, the run loop reports the shortage in its heartbeat.
        with contextlib.suppress(InsufficientSpaceError):
            evicted += self.ensure_room(0, keep=keep)
        return evicted

    def _sweep_strays(self, keep: Collection[str]) -> list[str]:
        # Files the index does not know (a crash between rename and index, or an old
        # partial download of content no longer planned) would otherwise leak disk.
        removed: list[str] = []
        indexed = {asset.sha256 for asset in self.state.cached_assets()}
        for path in self.directory.iterdir():
            name = path.name.removesuffix(".part")
            if not _SHA256.match(name) or name in keep or name in indexed:
                continue
            path.unlink(missing_ok=True)
            removed.append(name)
        return removed
