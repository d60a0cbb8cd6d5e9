"""The player's error hierarchy: one root so the run loop can tell ours from bugs."""

from __future__ import annotations


class PlayerError(Exception):
    """Root of every error the player raises on purpose."""


class RecordError(PlayerError, ValueError):
    """A record cannot be made canonical (a float, a missing field, a bad status)."""


class DeviceKeyError(PlayerError):
    """The key file exists but cannot be read as an Ed25519 private key."""


class StateError(PlayerError):
    """The state database does not allow the operation (e.g. a second open play)."""


class AssetIntegrityError(PlayerError):
    """A downloaded file does not match its SHA-256 or size."""


class InsufficientSpaceError(PlayerError):
    """A download would leave less than the reserved share of the disk free."""


class PlanError(PlayerError, ValueError):
    """A plan document breaks the protocol (bad field, overlap, hole, unknown reference)."""


class BackendError(PlayerError):
    """A playback backend cannot start (missing program, broken IPC)."""
