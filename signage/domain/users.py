"""Users, roles and personal API tokens."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from signage.domain.errors import ValidationError


class Role(enum.StrEnum):
    """What a user may do; DESIGN.md's role table."""

    ADMIN = "admin"
    STAFF = "staff"
    APPROVER = "approver"
    AUDITOR = "auditor"


ALL_ROLES = frozenset(Role)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True)
class User:
    """A person who logs in to the control server."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool
    created_at: datetime

    def has_any(self, roles: frozenset[Role]) -> bool:
        """True when the user holds at least one of `roles`."""
        return bool(self.roles & roles)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A personal bearer token; only its SHA-256 is stored."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def validate_username(username: str) -> str:
    """Lower-case login name of 2–40 letters, digits, dots, dashes, underscores."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise ValidationError(
            "username", "use 2–40 lower-case letters, digits, '.', '-' or '_', starting alnum"
        )
    return name


def validate_password(password: str) -> str:
    """A password of at least MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise ValidationError("password", "must have at most 256 characters")
    return password


def parse_roles(values: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[Role]:
    """Roles from their names; at least one, each known."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            raise ValidationError("roles", f"unknown role '{value}'") from None
    if not roles:
        raise ValidationError("roles", "choose at least one role")
    return frozenset(roles)
