"""The device's Ed25519 identity: kept in the state directory, readable by its owner only."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signage_player.errors import DeviceKeyError

KEY_FILE = "device_key.pem"


def key_path(state_dir: Path) -> Path:
    """Where the device key lives inside the state directory."""
    return state_dir / KEY_FILE


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` atomically with mode 0600: temp file, fsync, rename, fsync directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    # O_EXCL with mode 0600 so the secret is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable across a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_key(state_dir: Path) -> Ed25519PrivateKey:
    """Make a new device identity, replacing any previous key (re-enrolment)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private_file(key_path(state_dir), pem)
    return key


def load_key(state_dir: Path) -> Ed25519PrivateKey | None:
    """The stored device key, or None when the device has none yet."""
    path = key_path(state_dir)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # Never replace a damaged key silently: that would be a new identity and chain.
        raise DeviceKeyError(f"{path} cannot be read as a private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise DeviceKeyError(f"{path} does not hold an Ed25519 private key")
    return key


def load_or_create_key(state_dir: Path) -> Ed25519PrivateKey:
    """The stored device key, made on first use."""
    return load_key(state_dir) or generate_key(state_dir)


def public_key_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw public key in standard base64, as sent at enrolment."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM, for evidence bundles and humans."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey | bytes) -> str:
    """SHA-256 of the raw public key in hex, grouped by four: `ab12 cd34 …`."""
    raw = key if isinstance(key, bytes) else public_key_raw(key)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))
