"""The media cache against a loopback HTTP server: resume, verification, eviction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from signage_player.api import ApiClient, NetworkError
from signage_player.cache import MediaCache
from signage_player.errors import AssetIntegrityError, InsufficientSpaceError
from signage_player.state import CachedAsset, PlayerState

from tests.player.player_fakes import T0_MS, FakeServer

DAY = 24 * 3600 * 1000


def media(seed: int, size: int = 200_000) -> tuple[str, bytes]:
    data = hashlib.shake_256(str(seed).encode()).digest(size)
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture
def cache(tmp_path: Path, state: PlayerState, api: ApiClient) -> MediaCache:
    return MediaCache(tmp_path / "media", state, api, now_ms=lambda: T0_MS)


def test_download_is_verified_renamed_and_indexed(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(1)
    fake_server.assets[sha] = data
    path = cache.fetch(sha, api.asset_url(sha), len(data))
    assert path.read_bytes() == data
    assert path.name == sha
    assert not cache.part_path(sha).exists()
    assert cache.playable_path(sha) == path
    entry = cache.state.cached(sha)
    assert entry is not None
    assert entry.size == len(data)
    # A second fetch finds it in the cache and asks nothing.
    cache.fetch(sha, api.asset_url(sha), len(data))
    assert len(fake_server.ranges_asked()) == 1


def test_a_partial_file_is_resumed_with_range(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(2)
    fake_server.assets[sha] = data
    cache.part_path(sha).write_bytes(data[:70_000])
    path = cache.fetch(sha, api.asset_url(sha), len(data))
    assert path.read_bytes() == data
    assert fake_server.ranges_asked() == ["bytes=70000-"]


def test_a_broken_connection_leaves_a_part_that_the_next_try_resumes(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(3)
    fake_server.assets[sha] = data
    fake_server.cut_after = 150_000
    with pytest.raises(NetworkError):
        cache.fetch(sha, api.asset_url(sha), len(data))
    kept = cache.part_path(sha).stat().st_size
    assert 0 < kept <= 150_000
    assert cache.playable_path(sha) is None
    path = cache.fetch(sha, api.asset_url(sha), len(data))
    assert path.read_bytes() == data
    assert fake_server.ranges_asked() == [None, f"bytes={kept}-"]


def test_a_server_that_ignores_range_restarts_the_file(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(4)
    fake_server.assets[sha] = data
    fake_server.honour_range = False
    cache.part_path(sha).write_bytes(b"\xff" * 1000)
    assert cache.fetch(sha, api.asset_url(sha), len(data)).read_bytes() == data


def test_a_corrupt_part_is_thrown_away_and_fetched_whole(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(5)
    fake_server.assets[sha] = data
    cache.part_path(sha).write_bytes(b"\x00" * 1000)  # torn write: zeros, not the real bytes
    assert cache.fetch(sha, api.asset_url(sha), len(data)).read_bytes() == data
    assert fake_server.ranges_asked() == ["bytes=1000-", None]


def test_a_complete_part_is_finished_without_asking_again(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(6)
    fake_server.assets[sha] = data
    cache.part_path(sha).write_bytes(data)
    assert cache.fetch(sha, api.asset_url(sha), len(data)).read_bytes() == data
    assert fake_server.ranges_asked() == []


def test_a_bit_flipped_file_is_never_playable_and_is_fetched_again(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(7)
    fake_server.assets[sha] = data
    path = cache.fetch(sha, api.asset_url(sha), len(data))
    flipped = bytearray(path.read_bytes())
    flipped[123_456] ^= 0x10
    path.write_bytes(bytes(flipped))
    assert cache.playable_path(sha) is None
    assert not path.exists()
    assert cache.state.cached(sha) is None
    again = cache.fetch(sha, api.asset_url(sha), len(data))
    assert cache.playable_path(sha) == again
    assert again.read_bytes() == data


def test_a_server_sending_wrong_bytes_never_yields_a_file(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, _ = media(8)
    fake_server.assets[sha] = b"not what was promised"
    with pytest.raises(AssetIntegrityError):
        cache.fetch(sha, api.asset_url(sha), None)
    assert not cache.file_path(sha).exists()
    assert not cache.part_path(sha).exists()
    assert cache.playable_path(sha) is None


def test_names_that_are_not_digests_are_refused(cache: MediaCache) -> None:
    with pytest.raises(AssetIntegrityError):
        cache.file_path("../../etc/passwd")


@dataclass
class Usage:
    total: int
    free: int


class FakeDisk:
    """A disk of `total` bytes whose only contents are the cache directory's files."""

    def __init__(self, directory: Path, total: int) -> None:
        self.directory = directory
        self.total = total

    def __call__(self, _: Path) -> Usage:
        used = sum(p.stat().st_size for p in self.directory.iterdir())
        return Usage(self.total, self.total - used)


def put(state: PlayerState, directory: Path, name: str, size: int, last_used: int) -> str:
    sha = hashlib.sha256(name.encode()).hexdigest()
    (directory / sha).write_bytes(b"x" * size)
    state.put_cached(CachedAsset(sha, str(directory / sha), size, last_used, last_used))
    return sha


def disk_cache(tmp_path: Path, state: PlayerState, api: ApiClient, total: int) -> MediaCache:
    directory = tmp_path / "disk"
    directory.mkdir()
    return MediaCache(
        directory, state, api, now_ms=lambda: T0_MS, disk_usage=FakeDisk(directory, total)
    )


def test_eviction_drops_stale_files_and_keeps_ten_percent_free(
    tmp_path: Path, state: PlayerState, api: ApiClient
) -> None:
    cache = disk_cache(tmp_path, state, api, total=1000)
    d = cache.directory
    stale = put(state, d, "stale", 40, T0_MS - 8 * DAY)
    planned_stale = put(state, d, "planned but old", 100, T0_MS - 30 * DAY)
    older = put(state, d, "older", 300, T0_MS - 2 * DAY)
    newer = put(state, d, "newer", 320, T0_MS - 1 * DAY)
    planned = put(state, d, "planned", 200, T0_MS - 3 * DAY)
    (d / ("f" * 64 + ".part")).write_bytes(b"y" * 10)  # a download nobody plans any more
    # 970 of 1000 bytes used: the stale files go, then the least recently used until 10% free.
    evicted = cache.evict(keep={planned, planned_stale}, unused_days=7)
    assert set(evicted) == {stale, "f" * 64, older}
    remaining = {a.sha256 for a in state.cached_assets()}
    assert remaining == {planned, planned_stale, newer}
    assert FakeDisk(d, 1000)(d).free >= 100


def test_room_for_a_download_is_made_or_refused(
    tmp_path: Path, state: PlayerState, api: ApiClient
) -> None:
    cache = disk_cache(tmp_path, state, api, total=1000)
    d = cache.directory
    old = put(state, d, "old", 400, T0_MS - DAY)
    planned = put(state, d, "planned", 400, T0_MS - 2 * DAY)
    assert cache.ensure_room(300, keep={planned}) == [old]
    with pytest.raises(InsufficientSpaceError):
        cache.ensure_room(600, keep={planned})
    assert state.cached(planned) is not None
    assert (d / planned).exists()


def test_a_verified_file_without_index_row_is_adopted(
    cache: MediaCache, fake_server: FakeServer, api: ApiClient
) -> None:
    sha, data = media(9)
    cache.file_path(sha).write_bytes(data)
    assert cache.fetch(sha, api.asset_url(sha), len(data)).read_bytes() == data
    assert fake_server.ranges_asked() == []
    assert cache.state.cached(sha) is not None
