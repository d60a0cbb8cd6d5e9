"""The server's Ed25519 signing key: a PEM file in instance/, created (0600) on first use.

It signs the checkpoints. Losing it does not invalidate what it signed (the
public key travels in every bundle), but a new key starts a new line of
trust, so backups carry the file (signage.jobs.tasks.secret_files).
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FILE_NAME = "server_signing_key"


class ServerKeyFile:
    """Loads the key from `path`, creating it when absent; signs with it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the key file now if it does not exist yet (first start)."""
        self._private()

    def _private(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is None:
                if not self.path.exists():
                    _create(self.path)
                loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
                if not isinstance(loaded, Ed25519PrivateKey):
                    raise ValueError(f"{self.path} does not hold an Ed25519 private key")
                self._key = loaded
            return self._key

    def sign(self, message: bytes) -> str:
        """The standard-base64 Ed25519 signature of `message`."""
        return base64.b64encode(self._private().sign(message)).decode("ascii")

    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return (
            self._private()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )


def _create(path: Path) -> None:
    """Write a new key beside its final name, then link it in: two starters cannot both win."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    staged = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # Another process may have created it first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(staged, path)
    finally:
        staged.unlink(missing_ok=True)
