"""The Ed25519 verifier: a batch checked on several threads answers like one by one."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage.adapters.signing import PARALLEL_FROM, Ed25519Verifier


def _batch(size: int, bad: set[int]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    key = Ed25519PrivateKey.generate()
    pairs = []
    for index in range(size):
        message = f"record {index}".encode()
        signature = key.sign(message)
        if index in bad:
            signature = bytes([signature[0] ^ 1]) + signature[1:]  # one bit off
        pairs.append((message, signature))
    return key.public_key().public_bytes_raw(), pairs


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("size", [1, PARALLEL_FROM - 1, PARALLEL_FROM, 1000])
def test_every_verdict_lands_on_its_own_record(threads: int, size: int) -> None:
    bad = {0, size // 2, size - 1} | {i for i in range(size) if i % 97 == 13}
    public, pairs = _batch(size, bad)
    verdicts = Ed25519Verifier(threads).verify_many(public, pairs)
    assert verdicts == [index not in bad for index in range(size)]
    single = Ed25519Verifier(1)
    assert verdicts == [single.verify(public, m, s) for m, s in pairs]


def test_a_malformed_key_verifies_nothing() -> None:
    _, pairs = _batch(PARALLEL_FROM * 2, set())
    assert Ed25519Verifier(2).verify_many(b"short", pairs) == [False] * len(pairs)
    assert Ed25519Verifier(2).verify_many(os.urandom(32), []) == []
