"""SQLAlchemy Core repositories that map rows to domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, text, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.adapters.db.device_repos import bump_schedule_stamp
from signage.domain.audit import GENESIS_HASH, AuditEvent, StoredAuditEvent, event_hash
from signage.domain.errors import ConflictError
from signage.domain.locations import Location, LocationSpec, Orientation
from signage.domain.users import ApiToken, Role, User
from signage.domain.windows import OperatingHours
from signage.services.ports import AuditFilter


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        active=bool(row.active),
        created_at=row.created_at,
    )


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        username: str,
        display_name: str,
        roles: frozenset[Role],
        password_hash: str,
        at: datetime,
    ) -> User:
        result = self.conn.execute(
            insert(t.users).values(
                username=username,
                display_name=display_name,
                roles=_roles_text(roles),
                password_hash=password_hash,
                active=True,
                created_at=at,
            )
        )
        user = self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return _user(row) if row else None

    def by_username(self, username: str) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return _user(row) if row else None

    def password_hash(self, user_id: int) -> str:
        return str(
            self.conn.execute(
                select(t.users.c.password_hash).where(t.users.c.id == user_id)
            ).scalar_one()
        )

    def list(self) -> Sequence[User]:
        return [_user(r) for r in self.conn.execute(select(t.users).order_by(t.users.c.id))]

    def update(
        self,
        user_id: int,
        *,
        display_name: str | None = None,
        roles: frozenset[Role] | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        values: dict[str, Any] = {}
        if display_name is not None:
            values["display_name"] = display_name
        if roles is not None:
            values["roles"] = _roles_text(roles)
        if active is not None:
            values["active"] = active
        if password_hash is not None:
            values["password_hash"] = password_hash
        if values:
            self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(**values))
        user = self.get(user_id)
        assert user is not None
        return user

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlTokenRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, user_id: int, name: str, token_hash: str, prefix: str, at: datetime) -> ApiToken:
        result = self.conn.execute(
            insert(t.api_tokens).values(
                user_id=user_id, name=name, token_hash=token_hash, prefix=prefix, created_at=at
            )
        )
        token = self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert token is not None
        return token

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.conn.execute(
            select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def get(self, token_id: int) -> ApiToken | None:
        row = self.conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
        return _token(row) if row else None

    def list_for(self, user_id: int) -> Sequence[ApiToken]:
        rows = self.conn.execute(select(t.api_tokens).where(t.api_tokens.c.user_id == user_id))
        return [_token(r) for r in rows]

    def revoke(self, token_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=at)
        )

    def touch(self, token_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(last_used_at=at)
        )


def _location(row: Any) -> Location:
    return Location(
        id=row.id,
        spec=LocationSpec(
            name=row.name,
            address=row.address,
            latitude=row.latitude,
            longitude=row.longitude,
            timezone=row.timezone,
            screen_width=row.screen_width,
            screen_height=row.screen_height,
            orientation=Orientation(row.orientation),
            operating_hours=OperatingHours.from_mapping(row.operating_hours),
            tags=frozenset(row.tags),
        ),
    )


def _location_values(spec: LocationSpec) -> dict[str, Any]:
    return {**spec.as_dict(), "name_key": name_key(spec.name)}


def name_key(name: str) -> str:
    """The form of a name that uniqueness is decided on (Unicode-aware, case-blind)."""
    return " ".join(name.casefold().split())


class SqlLocationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, spec: LocationSpec, at: datetime) -> Location:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.locations).values(
                        **_location_values(spec), created_at=at, updated_at=at
                    )
                )
        except IntegrityError:  # a concurrent request took the name first
            raise ConflictError(f"a location named '{spec.name}' exists", field="name") from None
        return Location(int(result.inserted_primary_key[0]), spec)  # type: ignore[index]

    def get(self, location_id: int) -> Location | None:
        row = self.conn.execute(select(t.locations).where(t.locations.c.id == location_id)).first()
        return _location(row) if row else None

    def by_name(self, name: str) -> Location | None:
        row = self.conn.execute(
            select(t.locations).where(t.locations.c.name_key == name_key(name))
        ).first()
        return _location(row) if row else None

    def list(self) -> Sequence[Location]:
        return [_location(r) for r in self.conn.execute(select(t.locations))]

    def update(self, location_id: int, spec: LocationSpec, at: datetime) -> Location:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(t.locations)
                    .where(t.locations.c.id == location_id)
                    .values(**_location_values(spec), updated_at=at)
                )
        except IntegrityError:
            raise ConflictError(f"a location named '{spec.name}' exists", field="name") from None
        # A location's zone, hours and screen go into its plan: every edit, whichever
        # path makes it (form, API, CSV import), is a schedule change for the polls.
        bump_schedule_stamp(self.conn, at)
        return Location(location_id, spec)

    def delete(self, location_id: int) -> None:
        self.conn.execute(sql_delete(t.locations).where(t.locations.c.id == location_id))

    def references(self, location_id: int) -> Sequence[str]:
        """Tables whose rows point at this location, found from the live schema."""
        found = []
        inspector = inspect(self.conn)
        for table_name in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table_name):
                if fk["referred_table"] != "locations" or len(fk["constrained_columns"]) != 1:
                    continue
                column = fk["constrained_columns"][0]
                # Names come from the schema itself, never from a request.
                query = text(f'SELECT count(*) FROM "{table_name}" WHERE "{column}" = :id')  # noqa: S608
                count = self.conn.execute(query, {"id": location_id}).scalar_one()
                if count:
                    found.append(f"{count} {table_name.replace('_', ' ')}")
        return found


def _stored(row: Any) -> StoredAuditEvent:
    return StoredAuditEvent(
        seq=row.seq,
        at=row.at,
        event=AuditEvent(
            actor=row.actor,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            before=row.before,
            after=row.after,
            reason=row.reason,
        ),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAuditRepository:
    """Append-only: there is no update or delete here on purpose."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: AuditEvent, at: datetime) -> StoredAuditEvent:
        # Bumping the head row first takes its row lock, so concurrent appenders queue.
        bumped = self.conn.execute(
            update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=t.audit_head.c.seq + 1)
        )
        if bumped.rowcount == 0:
            self.conn.execute(insert(t.audit_head).values(id=1, seq=1, hash=GENESIS_HASH))
        head = self.conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
        seq, prev = int(head.seq), str(head.hash)
        digest = event_hash(seq, at, event, prev)
        self.conn.execute(
            insert(t.audit_events).values(
                seq=seq,
                at=at,
                actor=event.actor,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                before=event.before,
                after=event.after,
                reason=event.reason,
                prev_hash=prev,
                hash=digest,
            )
        )
        self.conn.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(hash=digest))
        return StoredAuditEvent(seq, at, event, prev, digest)

    def list(self, audit_filter: AuditFilter) -> Sequence[StoredAuditEvent]:
        c = t.audit_events.c
        query = select(t.audit_events).order_by(c.seq.desc())
        if audit_filter.actor:
            query = query.where(c.actor == audit_filter.actor)
        if audit_filter.object_type:
            query = query.where(c.object_type == audit_filter.object_type)
        if audit_filter.action:
            query = query.where(c.action == audit_filter.action)
        if audit_filter.since:
            query = query.where(c.at >= audit_filter.since)
        if audit_filter.until:
            query = query.where(c.at < audit_filter.until)
        query = query.limit(audit_filter.limit).offset(audit_filter.offset)
        return [_stored(r) for r in self.conn.execute(query)]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one())
