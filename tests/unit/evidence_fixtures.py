"""Real signed chains and checkpoints for the evidence bundle tests.

Device 3 has records 1-10 (seq 4 never arrived: a known gap); odd seqs play
campaign 1 (approval 7), even ones another campaign (approval 8). Device 5
has records 1-6, all of campaign 1. Record n starts at T0 + n × 30 s and runs
10 s. The period [T0 + 90 s, T0 + 270 s) holds device 3's seqs 3-8 and
device 5's 3-6. Checkpoint 2 (T0 + 400 s) signs device 3 at 10 and device 5
at 4; checkpoint 3 (T0 + 500 s) signs device 5 at 6.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from signage_player import records as player_records

from signage.domain import playlog
from signage.domain.evidence import DeviceEvidence, build_bundle, sha256_hex
from signage.domain.evidence_checkpoint import ChainHead, SignedCheckpoint, next_checkpoint
from signage.domain.evidence_csv import NOT_IN_PLAYLIST

T0 = 1_760_000_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEVICE_KEYS = {
    3: Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
    5: Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))),
}
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
SERVER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35)))
SHA_CAMPAIGN, SHA_OTHER = "c" * 64, "d" * 64
TAJIK = "Аз шиканҷа ва беҷазоӣ даст кашед!"
EXPECTED = {(7, 5, SHA_CAMPAIGN): 10_000, (8, 6, SHA_OTHER): 10_000}
__all__ = ["NOT_IN_PLAYLIST"]


def instant(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def raw(key: Ed25519PrivateKey) -> bytes:
    from signage_player.keys import public_key_raw

    return public_key_raw(key)


def ed25519_check(public_key: bytes, message: bytes, signature_b64: str) -> bool:
    """The injected signature check, as the CLI's adapter would do it."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(signature_b64, validate=True), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(
    device: int,
    seq: int,
    prev_hash: str,
    *,
    key: Ed25519PrivateKey | None = None,
    campaign: bool = True,
    **changes: object,
) -> playlog.PlayRecord:
    start = T0 + seq * 30_000 + (5_000 if device == 5 else 0)
    facts: dict[str, object] = {
        "location_id": device * 10,
        "asset_sha256": SHA_CAMPAIGN if campaign else SHA_OTHER,
        "playlist_id": 5 if campaign else 6,
        "entry_id": 50 if campaign else 60,
        "approval_id": 7 if campaign else 8,
        "started_at_ms": start,
        "ended_at_ms": start + 10_000,
        "device_clock_offset_ms": -1250,
        "clock_verified": True,
        "status": "completed",
        "reason": None,
        **changes,
    }
    record = player_records.seal(
        player_records.PlayFacts(**facts),  # type: ignore[arg-type]
        key=key or DEVICE_KEYS[device],
        device_id=device,
        seq=seq,
        prev_hash=prev_hash,
    )
    return playlog.parse_record(record.to_json())


def chain(
    device: int, last: int, *, missing: frozenset[int] = frozenset()
) -> list[playlog.PlayRecord]:
    """A device's chain 1..last; every seq is signed, the `missing` ones never reach the server.

    Device 3's seq 5 was cut after 4 s, with a reason a spreadsheet would run as a formula.
    """
    made, prev = [], playlog.GENESIS_HASH
    for seq in range(1, last + 1):
        changes: dict[str, object] = {}
        if (device, seq) == (3, 5):
            changes = {
                "status": "interrupted",
                "reason": '=HYPERLINK("x") ' + TAJIK,
                "ended_at_ms": T0 + seq * 30_000 + 4_000,
            }
        record = seal(device, seq, prev, campaign=device == 5 or seq % 2 == 1, **changes)
        prev = record.record_hash()
        made.append(record)
    return [record for record in made if record.seq not in missing]


def sign(point: object) -> SignedCheckpoint:
    from signage.domain.evidence_checkpoint import Checkpoint

    assert isinstance(point, Checkpoint)
    signature = base64.b64encode(SERVER_KEY.sign(point.canonical_bytes())).decode("ascii")
    return SignedCheckpoint(point, signature)


def checkpoints(devices: dict[int, list[playlog.PlayRecord]]) -> list[SignedCheckpoint]:
    def head(device: int, seq: int) -> ChainHead:
        [record] = [r for r in devices[device] if r.seq == seq]
        return ChainHead(seq, record.record_hash())

    audit = ChainHead(1, "e" * 64)
    one = next_checkpoint(None, instant(T0 + 60_000), {3: head(3, 2), 5: head(5, 2)}, audit)
    two = next_checkpoint(one, instant(T0 + 400_000), {3: head(3, 10), 5: head(5, 4)}, audit)
    three = next_checkpoint(two, instant(T0 + 500_000), {3: head(3, 10), 5: head(5, 6)}, audit)
    return [sign(one), sign(two), sign(three)]


def bundle() -> dict[str, bytes]:
    """The clean bundle of campaign 1 for the period."""
    devices = {3: chain(3, 10, missing=frozenset({4})), 5: chain(5, 6)}
    return build_bundle(
        campaign_id=1,
        approval_ids={7},
        period_start=instant(T0 + 90_000),
        period_end=instant(T0 + 270_000),
        devices=[
            DeviceEvidence(3, 30, "Asia/Dushanbe", raw(DEVICE_KEYS[3]), devices[3]),
            DeviceEvidence(5, 50, "Asia/Kathmandu", raw(DEVICE_KEYS[5]), devices[5]),
        ],
        checkpoints=checkpoints(devices),
        server_public_key=raw(SERVER_KEY),
        expected_durations=EXPECTED,
        created_at=instant(T0 + 600_000),
    )


def lines(files: dict[str, bytes], path: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in files[path].splitlines()]


def put_lines(files: dict[str, bytes], path: str, rows: list[dict[str, object]]) -> None:
    """Write a JSONL file back and fix its manifest hash, as a careful forger would."""
    files[path] = b"".join(
        json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        for row in rows
    )
    rehash(files, path)


def rehash(files: dict[str, bytes], path: str) -> None:
    manifest = json.loads(files["manifest.json"])
    manifest["files"][path] = sha256_hex(files[path])
    files["manifest.json"] = json.dumps(manifest).encode()
