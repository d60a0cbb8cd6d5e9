"""Ed25519 signatures with `cryptography`: the verifier the device services use."""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# Below this many signatures a batch is checked on the calling thread alone: handing
# work to another thread would cost more than it saves.
PARALLEL_FROM = 64


class Ed25519Verifier:
    """Verifies a device's signatures against its raw 32-byte public key.

    `verify_many` splits a batch into one part per core, checks one part on the calling
    thread and the others on a small pool: OpenSSL checks a signature without holding the
    GIL, so a device's catch-up batch of 1,000 records uses every core. (Handing the pool
    pairs while the caller still parses the next ones gains nothing: the caller holds the
    GIL the pool needs between two signatures.) `threads=1` checks all on the caller.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = max(1, threads if threads is not None else min(4, os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when `signature` is the key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def verify_many(self, public_key: bytes, signed: Sequence[tuple[bytes, bytes]]) -> list[bool]:
        """`verify` of each (message, signature) pair under one key, in order."""
        try:
            key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError:
            return [False] * len(signed)
        if self.threads == 1 or len(signed) < PARALLEL_FROM:
            return _check_all(key, signed)
        size = -(-len(signed) // self.threads)
        first, *rest = [signed[i : i + size] for i in range(0, len(signed), size)]
        pending = [self._executor().submit(_check_all, key, part) for part in rest]
        results = _check_all(key, first)
        for future in pending:
            results.extend(future.result())
        return results

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="verify")
            return self._pool


def _check_all(key: Ed25519PublicKey, signed: Sequence[tuple[bytes, bytes]]) -> list[bool]:
    results = []
    for message, signature in signed:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            results.append(False)
        else:
            results.append(True)
    return results


def ed25519_check(public_key: bytes, message: bytes, signature_b64: str) -> bool:
    """`verify_bundle`'s signature check: a raw key, the message, a standard-base64 signature."""
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return Ed25519Verifier().verify(public_key, message, signature)
