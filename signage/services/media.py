"""The media library: uploads become content-addressed assets, or a clear refusal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from signage.domain.assets import AssetInfo, AssetKind, is_sha256
from signage.domain.errors import NotFoundError
from signage.services.audit import record_event
from signage.services.library_ports import MediaFiles, StoredAsset
from signage.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class MediaServices:
    """Upload, list and locate assets."""

    uow_factory: UnitOfWorkFactory
    files: MediaFiles
    clock: Clock
    max_bytes: int

    def upload(self, actor: str, stream: BinaryIO, name: str) -> tuple[AssetInfo, bool]:
        """Store an upload (refused uploads raise UploadRefusedError and leave nothing)."""
        staged = self.files.receive(stream, self.max_bytes, name)
        try:
            with self.uow_factory() as uow:
                info = staged.info
                created = uow.assets.add(info, staged.display_name, self.clock.now(), actor)
                if created:
                    record_event(
                        uow,
                        self.clock,
                        actor,
                        "asset.upload",
                        "asset",
                        info.sha256,
                        None,
                        {
                            "name": staged.display_name,
                            "kind": info.kind.value,
                            "mime": info.mime,
                            "size": f"{info.width}x{info.height}",
                            "bytes": info.byte_size,
                        },
                    )
                # The file goes in place before the row commits: a row never lacks its file.
                stored, _ = self.files.commit(staged)
                uow.commit()
        except BaseException:
            self.files.discard(staged)
            raise
        return stored, created

    def list_assets(self, kind: AssetKind | None = None) -> Sequence[StoredAsset]:
        """Assets, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.assets.list(kind))

    def get_asset(self, sha256: str) -> StoredAsset:
        """One asset by its hash."""
        with self.uow_factory(readonly=True) as uow:
            asset = uow.assets.get(sha256) if is_sha256(sha256) else None
            if asset is None:
                raise NotFoundError(f"asset {sha256[:16]} not found")
            return asset

    def path_of(self, sha256: str) -> Path:
        """Where an asset's bytes are."""
        asset = self.get_asset(sha256)
        return self.files.path_for(asset.info.sha256, asset.info.extension)
