"""A proof-of-play world: an approved poster campaign on the centre screen, an enrolled
device with its key, and signed records made by the real player code (`seal`)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.records import GENESIS_HASH, PlayFacts, PlayRecord, seal

from signage.domain.evidence import sha256_hex
from tests.services.schedule_world import START, World
from tests.web.route_cases_devices import enrolled_device

T0_MS = int((START + timedelta(hours=1)).timestamp() * 1000)  # 14:00 in Dushanbe
POSTER_MS = 8000


@dataclass
class LedgerWorld:
    world: World
    device: Any
    key: Ed25519PrivateKey
    campaign: Any
    approval: Any
    playlist_id: int
    entry_id: int
    sha: str

    @property
    def s(self) -> Any:
        return self.world.s

    def facts(self, start_ms: int, **changes: Any) -> PlayFacts:
        facts = PlayFacts(
            location_id=self.world.centre.id,
            asset_sha256=self.sha,
            playlist_id=self.playlist_id,
            entry_id=self.entry_id,
            approval_id=self.approval.id,
            started_at_ms=start_ms,
            ended_at_ms=start_ms + POSTER_MS,
            device_clock_offset_ms=0,
            clock_verified=True,
            status="completed",
        )
        return replace(facts, **changes)

    def chain(
        self, facts: list[PlayFacts], first_seq: int = 1, prev: str = GENESIS_HASH
    ) -> list[PlayRecord]:
        records = []
        for seq, item in enumerate(facts, start=first_seq):
            record = seal(item, key=self.key, device_id=self.device.id, seq=seq, prev_hash=prev)
            records.append(record)
            prev = record.record_hash()
        return records

    def plays(self, n: int, start_ms: int = T0_MS, **changes: Any) -> list[PlayRecord]:
        """`n` back-to-back poster plays from seq 1."""
        return self.chain([self.facts(start_ms + i * POSTER_MS, **changes) for i in range(n)])

    def send(self, records: list[Any]) -> list[tuple[str, str | None]]:
        bodies = [r.to_json() if hasattr(r, "to_json") else r for r in records]
        return [(r.status, r.reason) for r in self.s.player.record_plays(self.device, bodies)]


def ledger_world(world: World) -> LedgerWorld:
    creative = world.still("poster")
    sha = creative.asset_sha256
    playlist = world.s.playlists.create_playlist(
        world.staff, "Posters", [{"creative_id": creative.id, "duration_ms": POSTER_MS}]
    )
    campaign, approval = world.approved_campaign(playlist.playlist.id)
    enrolled = enrolled_device(world.s, world.centre.id)
    device = world.s.devices.device_for_token(enrolled.token)
    entry_id = approval.snapshot.entries[0].entry.id
    return LedgerWorld(
        world, device, enrolled.key, campaign, approval, playlist.playlist.id, entry_id, sha
    )


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lines(files: dict[str, bytes], path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in files[path].splitlines()]


def put_lines(files: dict[str, bytes], path: str, rows: list[dict[str, Any]]) -> None:
    """Write a JSONL file back and fix its manifest hash, as a careful forger would."""
    files[path] = b"".join(
        json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        for row in rows
    )
    manifest = json.loads(files["manifest.json"])
    manifest["files"][path] = sha256_hex(files[path])
    files["manifest.json"] = json.dumps(manifest).encode()
