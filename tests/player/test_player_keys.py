"""The device key: made once, private to its owner, exported for enrolment."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from signage_player.errors import DeviceKeyError
from signage_player.keys import (
    fingerprint,
    generate_key,
    key_path,
    load_key,
    load_or_create_key,
    public_key_b64,
    public_key_pem,
    public_key_raw,
)


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    mode = stat.S_IMODE(key_path(tmp_path).stat().st_mode)
    assert mode == 0o600
    again = load_or_create_key(tmp_path)
    assert public_key_raw(again) == public_key_raw(first)
    assert not list(tmp_path.glob(".*.tmp"))


def test_re_enrolment_makes_a_new_identity(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    second = generate_key(tmp_path)
    assert public_key_raw(second) != public_key_raw(first)
    loaded = load_key(tmp_path)
    assert loaded is not None
    assert public_key_raw(loaded) == public_key_raw(second)
    assert stat.S_IMODE(key_path(tmp_path).stat().st_mode) == 0o600


def test_no_key_before_the_first_start(tmp_path: Path) -> None:
    assert load_key(tmp_path) is None


def test_a_damaged_key_file_is_reported(tmp_path: Path) -> None:
    key_path(tmp_path).write_bytes(b"not a key")
    with pytest.raises(DeviceKeyError):
        load_key(tmp_path)


def test_public_exports_agree(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    raw = base64.b64decode(public_key_b64(key), validate=True)
    assert len(raw) == 32
    from_pem = serialization.load_pem_public_key(public_key_pem(key).encode())
    assert isinstance(from_pem, Ed25519PublicKey)
    assert public_key_raw(from_pem) == raw


def test_fingerprint_is_grouped_hex_of_sha256_of_the_raw_key() -> None:
    raw = bytes(32)
    shown = fingerprint(raw)
    groups = shown.split(" ")
    assert len(groups) == 16
    assert all(len(g) == 4 for g in groups)
    # SHA-256 of 32 zero bytes.
    assert shown.replace(" ", "") == (
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    )
