"""Play records: canonical bytes, signature, hash chain."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.errors import RecordError
from signage_player.records import (
    GENESIS_HASH,
    PlayFacts,
    PlayRecord,
    canonical_bytes,
    seal,
    verify_chain,
)

TAJIK = "Аз шиканҷа ва беҷазоӣ даст кашед!"
RECORD_ID = "6f1c2a4e-8b7d-4c1e-9f3a-2d5b7c9e0a11"


def facts(**changes: object) -> PlayFacts:
    base = PlayFacts(
        location_id=1,
        asset_sha256="ab" * 32,
        playlist_id=5,
        entry_id=12,
        approval_id=7,
        started_at_ms=1_760_000_000_000,
        ended_at_ms=1_760_000_010_000,
        device_clock_offset_ms=-1250,
        clock_verified=True,
        status="interrupted",
        reason=TAJIK,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_canonical_bytes_match_the_golden_example(key: Ed25519PrivateKey) -> None:
    record = seal(facts(), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH, record_id=RECORD_ID)
    golden = (
        '{"approval_id":7,"asset_sha256":"' + "ab" * 32 + '","clock_verified":true,'
        '"device_clock_offset_ms":-1250,"device_id":3,"ended_at_ms":1760000010000,'
        '"entry_id":12,"id":"6f1c2a4e-8b7d-4c1e-9f3a-2d5b7c9e0a11","location_id":1,'
        '"playlist_id":5,"prev_hash":"'
        + "0"
        * 64
        + '","reason":"Аз шиканҷа ва беҷазоӣ даст кашед!",'
        '"seq":1,"started_at_ms":1760000000000,"status":"interrupted"}'
    ).encode("utf-8")
    assert record.canonical_bytes() == golden
    # Tajik letters travel as UTF-8, never as \u escapes.
    assert "ҷ".encode() in golden
    assert b"\\u" not in golden


def test_empty_fields_are_present_as_null(key: Ed25519PrivateKey) -> None:
    record = seal(
        facts(asset_sha256=None, playlist_id=None, entry_id=None, approval_id=None, reason=None),
        key=key,
        device_id=3,
        seq=1,
        prev_hash=GENESIS_HASH,
    )
    text = record.canonical_bytes().decode()
    for name in ("asset_sha256", "playlist_id", "entry_id", "approval_id", "reason"):
        assert f'"{name}":null' in text
    assert "signature" not in text


def test_signature_verifies_with_the_public_key_and_is_padded_base64(
    key: Ed25519PrivateKey,
) -> None:
    record = seal(facts(), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH)
    raw = base64.b64decode(record.signature, validate=True)
    assert len(raw) == 64
    assert record.signature.endswith("==")
    key.public_key().verify(raw, record.canonical_bytes())
    tampered = record.canonical_bytes().replace(b'"seq":1', b'"seq":2')
    with pytest.raises(InvalidSignature):
        key.public_key().verify(raw, tampered)


def test_record_hash_covers_canonical_bytes_dot_signature(key: Ed25519PrivateKey) -> None:
    record = seal(facts(), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH)
    expected = hashlib.sha256(
        record.canonical_bytes() + b"." + record.signature.encode("ascii")
    ).hexdigest()
    assert record.record_hash() == expected


def test_chain_links_each_record_to_the_previous_hash(key: Ed25519PrivateKey) -> None:
    chain: list[PlayRecord] = []
    prev = GENESIS_HASH
    for seq in range(1, 4):
        record = seal(facts(), key=key, device_id=3, seq=seq, prev_hash=prev)
        chain.append(record)
        prev = record.record_hash()
    assert chain[0].prev_hash == "0" * 64
    assert chain[2].prev_hash == chain[1].record_hash()
    assert verify_chain(chain) is None
    broken = [chain[0], replace(chain[1], ended_at_ms=chain[1].ended_at_ms + 1), chain[2]]
    assert verify_chain(broken) == 3


def test_floats_are_refused(key: Ed25519PrivateKey) -> None:
    with pytest.raises(RecordError, match="float"):
        seal(facts(ended_at_ms=1.5), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH)
    record = seal(facts(), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH).to_json()
    with pytest.raises(RecordError, match="float"):
        canonical_bytes({**record, "device_clock_offset_ms": 0.0})


def test_missing_and_unknown_fields_are_refused(key: Ed25519PrivateKey) -> None:
    record = seal(facts(), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH).to_json()
    without_reason = {k: v for k, v in record.items() if k != "reason"}
    with pytest.raises(RecordError, match="reason"):
        canonical_bytes(without_reason)
    with pytest.raises(RecordError, match="colour"):
        canonical_bytes({**record, "colour": "red"})


def test_seq_starts_at_one_and_status_is_checked(key: Ed25519PrivateKey) -> None:
    with pytest.raises(RecordError):
        seal(facts(), key=key, device_id=3, seq=0, prev_hash=GENESIS_HASH)
    with pytest.raises(RecordError):
        seal(facts(status="skipped"), key=key, device_id=3, seq=1, prev_hash=GENESIS_HASH)


def test_record_survives_a_json_round_trip(key: Ed25519PrivateKey) -> None:
    record = seal(facts(), key=key, device_id="dev-3", seq=1, prev_hash=GENESIS_HASH)
    assert PlayRecord.from_json(record.to_json()) == record
