"""Accounts, login and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from signage.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from signage.domain.users import (
    ApiToken,
    Role,
    User,
    parse_roles,
    validate_password,
    validate_username,
)
from signage.services.audit import record_event
from signage.services.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory

TOKEN_PREFIX = "sgn_"  # noqa: S105 (a visible prefix, not a secret)


@dataclass(frozen=True, slots=True)
class UserServices:
    """The account use cases, bound to their ports."""

    uow_factory: UnitOfWorkFactory
    hasher: PasswordHasher
    clock: Clock

    def create_user(
        self,
        actor: str,
        username: str,
        password: str,
        roles: Sequence[str],
        display_name: str = "",
    ) -> User:
        """Create an account; the username must be new."""
        name = validate_username(username)
        validate_password(password)
        role_set = parse_roles(tuple(roles))
        shown = display_name.strip() or name
        if len(shown) > 120:
            raise ValidationError("display_name", "must have at most 120 characters")
        with self.uow_factory() as uow:
            if uow.users.by_username(name) is not None:
                raise ConflictError(f"username '{name}' is taken", field="username")
            user = uow.users.add(
                name, shown, role_set, self.hasher.hash(password), self.clock.now()
            )
            record_event(
                uow, self.clock, actor, "user.create", "user", user.id, None, _public(user)
            )
            uow.commit()
            return user

    def authenticate(self, username: str, password: str) -> User:
        """The active user with these credentials, or AuthenticationError."""
        with self.uow_factory() as uow:
            user = uow.users.by_username(username.strip().lower())
            if user is None:
                # Spend the same time as a real check so names cannot be probed.
                self.hasher.verify(_DUMMY_HASH.get(self.hasher), password)
                raise AuthenticationError("wrong username or password")
            stored = uow.users.password_hash(user.id)
            if not self.hasher.verify(stored, password):
                raise AuthenticationError("wrong username or password")
            if not user.active:
                raise AuthenticationError("this account is disabled")
            if self.hasher.needs_rehash(stored):
                uow.users.update(user.id, password_hash=self.hasher.hash(password))
                uow.commit()
            return user

    def get_user(self, user_id: int) -> User:
        """One user by id."""
        with self.uow_factory(readonly=True) as uow:
            user = uow.users.get(user_id)
            if user is None:
                raise NotFoundError(f"user {user_id} not found")
            return user

    def list_users(self) -> Sequence[User]:
        """Every account, by username."""
        with self.uow_factory(readonly=True) as uow:
            return sorted(uow.users.list(), key=lambda u: u.username)

    def update_user(
        self,
        actor: str,
        user_id: int,
        *,
        display_name: str | None = None,
        roles: Sequence[str] | None = None,
        active: bool | None = None,
    ) -> User:
        """Change display name, roles or the enabled flag."""
        role_set = parse_roles(tuple(roles)) if roles is not None else None
        with self.uow_factory() as uow:
            before = self._existing(uow, user_id)
            if before.username == actor and (
                active is False or (role_set is not None and Role.ADMIN not in role_set)
            ):
                raise ConflictError("you cannot disable yourself or drop your own admin role")
            after = uow.users.update(
                user_id, display_name=display_name, roles=role_set, active=active
            )
            record_event(
                uow,
                self.clock,
                actor,
                "user.update",
                "user",
                user_id,
                _public(before),
                _public(after),
            )
            uow.commit()
            return after

    def reset_password(self, actor: str, user_id: int, password: str) -> None:
        """Set a new password for an account."""
        validate_password(password)
        with self.uow_factory() as uow:
            self._existing(uow, user_id)
            uow.users.update(user_id, password_hash=self.hasher.hash(password))
            record_event(uow, self.clock, actor, "user.reset_password", "user", user_id)
            uow.commit()

    def create_token(self, actor: User, name: str) -> tuple[ApiToken, str]:
        """A new personal API token; the secret is returned once and stored hashed."""
        label = name.strip()
        if not label or len(label) > 80:
            raise ValidationError("name", "give the token a name of 1–80 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.uow_factory() as uow:
            token = uow.tokens.add(
                actor.id, label, hash_token(secret), secret[:10], self.clock.now()
            )
            record_event(
                uow,
                self.clock,
                actor.username,
                "token.create",
                "api_token",
                token.id,
                None,
                {"name": label, "user_id": actor.id},
            )
            uow.commit()
            return token, secret

    def tokens_for(self, user_id: int) -> Sequence[ApiToken]:
        """The tokens of one user, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return sorted(uow.tokens.list_for(user_id), key=lambda t: t.id, reverse=True)

    def revoke_token(self, actor: User, token_id: int) -> None:
        """Revoke a token of one's own (admins: anyone's)."""
        with self.uow_factory() as uow:
            token = uow.tokens.get(token_id)
            if token is None or (token.user_id != actor.id and Role.ADMIN not in actor.roles):
                raise NotFoundError(f"token {token_id} not found")
            if token.revoked_at is None:
                uow.tokens.revoke(token_id, self.clock.now())
                record_event(uow, self.clock, actor.username, "token.revoke", "api_token", token_id)
                uow.commit()

    def user_for_token(self, secret: str) -> User:
        """The active owner of a valid, unrevoked token."""
        with self.uow_factory() as uow:
            token = uow.tokens.by_hash(hash_token(secret))
            if token is None or token.revoked_at is not None:
                raise AuthenticationError("invalid or revoked API token")
            user = uow.users.get(token.user_id)
            if user is None or not user.active:
                raise AuthenticationError("the token's account is disabled")
            uow.tokens.touch(token.id, self.clock.now())
            uow.commit()
            return user

    @staticmethod
    def _existing(uow: UnitOfWork, user_id: int) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        return user


def hash_token(secret: str) -> str:
    """SHA-256 of a bearer token: tokens are 256-bit random, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _public(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(r.value for r in user.roles),
        "active": user.active,
    }


class _DummyHash:
    """One cached hash per hasher, for constant-time refusals of unknown names."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def get(self, hasher: PasswordHasher) -> str:
        key = id(hasher)
        if key not in self._cache:
            self._cache[key] = hasher.hash(secrets.token_hex(16))
        return self._cache[key]


_DUMMY_HASH = _DummyHash()
