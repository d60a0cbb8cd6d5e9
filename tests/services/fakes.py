"""In-memory fakes of the ports, for service tests without a database."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from signage.domain.audit import GENESIS_HASH, AuditEvent, StoredAuditEvent, event_hash
from signage.domain.locations import Location, LocationSpec
from signage.domain.users import ApiToken, Role, User
from signage.services.ports import AuditFilter


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at


class PlainHasher:
    """Reversible on purpose: the tests only need the protocol."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain$" + password

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class Store:
    """The 'database': what committed units of work left behind."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.passwords: dict[int, str] = {}
        self.tokens: dict[int, tuple[ApiToken, str]] = {}
        self.locations: dict[int, Location] = {}
        self.audit: list[StoredAuditEvent] = []
        self.references: dict[int, list[str]] = {}


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.s = store

    def add(
        self,
        username: str,
        display_name: str,
        roles: frozenset[Role],
        password_hash: str,
        at: datetime,
    ) -> User:
        user = User(len(self.s.users) + 1, username, display_name, roles, True, at)
        self.s.users[user.id] = user
        self.s.passwords[user.id] = password_hash
        return user

    def get(self, user_id: int) -> User | None:
        return self.s.users.get(user_id)

    def by_username(self, username: str) -> User | None:
        return next((u for u in self.s.users.values() if u.username == username), None)

    def password_hash(self, user_id: int) -> str:
        return self.s.passwords[user_id]

    def list(self) -> Sequence[User]:
        return list(self.s.users.values())

    def update(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        roles: frozenset[Role] | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        user = self.s.users[user_id]
        user = replace(
            user,
            display_name=display_name if display_name is not None else user.display_name,
            roles=roles if roles is not None else user.roles,
            active=active if active is not None else user.active,
        )
        self.s.users[user_id] = user
        if password_hash is not None:
            self.s.passwords[user_id] = password_hash
        return user

    def count(self) -> int:
        return len(self.s.users)


class FakeTokens:
    def __init__(self, store: Store) -> None:
        self.s = store

    def add(self, user_id: int, name: str, token_hash: str, prefix: str, at: datetime) -> ApiToken:
        token = ApiToken(len(self.s.tokens) + 1, user_id, name, prefix, at, None, None)
        self.s.tokens[token.id] = (token, token_hash)
        return token

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t, h in self.s.tokens.values() if h == token_hash), None)

    def get(self, token_id: int) -> ApiToken | None:
        found = self.s.tokens.get(token_id)
        return found[0] if found else None

    def list_for(self, user_id: int) -> Sequence[ApiToken]:
        return [t for t, _h in self.s.tokens.values() if t.user_id == user_id]

    def revoke(self, token_id: int, at: datetime) -> None:
        token, digest = self.s.tokens[token_id]
        self.s.tokens[token_id] = (replace(token, revoked_at=at), digest)

    def touch(self, token_id: int, at: datetime) -> None:
        token, digest = self.s.tokens[token_id]
        self.s.tokens[token_id] = (replace(token, last_used_at=at), digest)


class FakeLocations:
    def __init__(self, store: Store) -> None:
        self.s = store

    def add(self, spec: LocationSpec, at: datetime) -> Location:
        location = Location(max(self.s.locations, default=0) + 1, spec)
        self.s.locations[location.id] = location
        return location

    def get(self, location_id: int) -> Location | None:
        return self.s.locations.get(location_id)

    def by_name(self, name: str) -> Location | None:
        return next(
            (loc for loc in self.s.locations.values() if loc.spec.name.lower() == name.lower()),
            None,
        )

    def list(self) -> Sequence[Location]:
        return list(self.s.locations.values())

    def update(self, location_id: int, spec: LocationSpec, at: datetime) -> Location:
        self.s.locations[location_id] = Location(location_id, spec)
        return self.s.locations[location_id]

    def delete(self, location_id: int) -> None:
        del self.s.locations[location_id]

    def references(self, location_id: int) -> Sequence[str]:
        return self.s.references.get(location_id, [])


class FakeAudit:
    def __init__(self, store: Store) -> None:
        self.s = store

    def append(self, event: AuditEvent, at: datetime) -> StoredAuditEvent:
        prev = self.s.audit[-1].hash if self.s.audit else GENESIS_HASH
        seq = len(self.s.audit) + 1
        stored = StoredAuditEvent(seq, at, event, prev, event_hash(seq, at, event, prev))
        self.s.audit.append(stored)
        return stored

    def list(self, audit_filter: AuditFilter) -> Sequence[StoredAuditEvent]:
        return list(reversed(self.s.audit))[: audit_filter.limit]

    def count(self) -> int:
        return len(self.s.audit)


class FakeUnitOfWork:
    """Works on a copy of the store; only commit() publishes it (rollback by default)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.committed = False

    def __enter__(self) -> Self:
        self.work = copy.deepcopy(self.store)
        self.users = FakeUsers(self.work)
        self.tokens = FakeTokens(self.work)
        self.locations = FakeLocations(self.work)
        self.audit = FakeAudit(self.work)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        self.store.__dict__.update(self.work.__dict__)
        self.committed = True

    def rollback(self) -> None:
        self.work = copy.deepcopy(self.store)


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = Store()
        self.opened: list[FakeUnitOfWork] = []

    def __call__(self, *, readonly: bool = False) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store)
        self.opened.append(uow)
        return uow
