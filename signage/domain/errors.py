"""The error hierarchy shared by every layer; the web layer maps it to HTTP."""

from __future__ import annotations


class SignageError(Exception):
    """Root of every error the application raises on purpose."""


class ValidationError(SignageError):
    """An input value is unacceptable; `field` names it and `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFoundError(SignageError):
    """The object asked for does not exist (or is not visible to the caller)."""


class ConflictError(SignageError):
    """The change clashes with the current state (duplicate name, still referenced)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class AuthenticationError(SignageError):
    """Credentials are missing, wrong, or belong to a disabled account."""


class PermissionDeniedError(SignageError):
    """The caller is known but its roles do not allow the action."""


MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """Whether a number from a URL can be a row id at all (larger ones overflow databases)."""
    return 0 < value <= MAX_ID
