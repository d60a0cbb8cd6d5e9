"""Ed25519 signatures with `cryptography`: the verifier the device services use."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Ed25519Verifier:
    """Verifies a device's signatures against its raw 32-byte public key."""

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True when `signature` is the key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def ed25519_check(public_key: bytes, message: bytes, signature_b64: str) -> bool:
    """`verify_bundle`'s signature check: a raw key, the message, a standard-base64 signature."""
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return Ed25519Verifier().verify(public_key, message, signature)
