"""SQLAlchemy Core repositories of devices: enrolments, devices, heartbeats, plays, alerts."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from signage.adapters.db import tables as t
from signage.adapters.db.rollups import add_heartbeat_rollup
from signage.domain.devices import Device, DeviceAlert, DeviceState, Enrolment, Heartbeat
from signage.services.device_ports import Screenshot

e = t.enrolments.c
dv = t.devices.c
hb = t.device_heartbeats.c
pe = t.device_plan_etags.c
pr = t.play_records.c
q = t.play_quarantine.c
al = t.device_alerts.c
ss = t.schedule_stamp.c
STAMP_ID = 1


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw(text: str) -> bytes:
    return base64.b64decode(text)


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


def _enrolment(row: Any) -> Enrolment:
    return Enrolment(
        id=row.id,
        code=row.code,
        public_key=_raw(row.public_key),
        facts=dict(row.facts or {}),
        client_ip=row.client_ip,
        created_at=row.created_at,
        expires_at=row.expires_at,
        device_id=row.device_id,
        bound_at=row.bound_at,
    )


class SqlEnrolmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        code: str,
        public_key: bytes,
        facts: Mapping[str, Any],
        client_ip: str,
        at: datetime,
        expires_at: datetime,
    ) -> Enrolment:
        result = self.conn.execute(
            insert(t.enrolments).values(
                code=code,
                public_key=_b64(public_key),
                facts=dict(facts),
                client_ip=client_ip,
                created_at=at,
                expires_at=expires_at,
            )
        )
        return Enrolment(_new_id(result), code, public_key, dict(facts), client_ip, at, expires_at)

    def by_code(self, code: str) -> Enrolment | None:
        row = self.conn.execute(select(t.enrolments).where(e.code == code)).first()
        return _enrolment(row) if row else None

    def open_for_key(self, public_key: bytes, at: datetime) -> Enrolment | None:
        row = self.conn.execute(
            select(t.enrolments)
            .where(e.public_key == _b64(public_key), e.device_id.is_(None), e.expires_at > at)
            .order_by(e.id.desc())
        ).first()
        return _enrolment(row) if row else None

    def latest_for_key(self, public_key: bytes) -> Enrolment | None:
        row = self.conn.execute(
            select(t.enrolments).where(e.public_key == _b64(public_key)).order_by(e.id.desc())
        ).first()
        return _enrolment(row) if row else None

    def started_from(self, client_ip: str, since: datetime) -> Sequence[datetime]:
        rows = self.conn.execute(
            select(e.created_at)
            .where(e.client_ip == client_ip, e.created_at >= since)
            .order_by(e.created_at)
        )
        return [r.created_at for r in rows]

    def bind(self, enrolment_id: int, device_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.enrolments)
            .where(e.id == enrolment_id, e.device_id.is_(None))
            .values(device_id=device_id, bound_at=at)
        )

    def pending(self, at: datetime) -> Sequence[Enrolment]:
        rows = self.conn.execute(
            select(t.enrolments)
            .where(e.device_id.is_(None), e.expires_at > at)
            .order_by(e.id.desc())
        )
        return [_enrolment(r) for r in rows]


def _device(row: Any) -> Device:
    return Device(
        id=row.id,
        location_id=row.location_id,
        public_key=_raw(row.public_key),
        facts=dict(row.facts or {}),
        state=DeviceState(row.state),
        enrolled_at=row.enrolled_at,
        enrolled_by=row.enrolled_by,
        retired_at=row.retired_at,
        retired_reason=row.retired_reason,
        token_issued_at=row.token_issued_at,
        last_seen_at=row.last_seen_at,
        last_plan_etag=row.last_plan_etag,
        last_plan_at=row.last_plan_at,
        screenshot_requested_at=row.screenshot_requested_at,
    )


def _heartbeat(row: Any) -> Heartbeat:
    return Heartbeat(
        at=row.at,
        device_at_ms=row.device_at_ms,
        showing=row.showing,
        black_reason=row.black_reason,
        playing=row.playing,
        plan_etag=row.plan_etag,
        plan_ready=row.plan_ready,
        cache=row.cache,
        free_disk_bytes=row.free_disk_bytes,
        clock_offset_ms=row.clock_offset_ms,
        clock_verified=row.clock_verified,
        software_version=row.software_version,
        last_error=row.last_error,
        last_error_at_ms=row.last_error_at_ms,
        payload=dict(row.payload or {}),
        plan_issued_at=row.plan_issued_at,
    )


# Every device API request runs this; built once, bound per call.
_BY_TOKEN_HASH = select(t.devices).where(dv.token_hash == bindparam("token_hash"))


class SqlDeviceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock_chain(self, device_id: int) -> None:
        """Queue writers of one device's chain behind each other (SQLite's write lock does
        this already; PostgreSQL takes the device row's lock until the commit)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                select(t.devices.c.id).where(t.devices.c.id == device_id).with_for_update()
            )

    def add(
        self,
        location_id: int,
        public_key: bytes,
        facts: Mapping[str, Any],
        at: datetime,
        by: str,
    ) -> Device:
        result = self.conn.execute(
            insert(t.devices).values(
                location_id=location_id,
                public_key=_b64(public_key),
                facts=dict(facts),
                state=DeviceState.ACTIVE.value,
                enrolled_at=at,
                enrolled_by=by,
                retired_reason="",
            )
        )
        return Device(
            _new_id(result), location_id, public_key, dict(facts), DeviceState.ACTIVE, at, by
        )

    def get(self, device_id: int) -> Device | None:
        row = self.conn.execute(select(t.devices).where(dv.id == device_id)).first()
        return _device(row) if row else None

    def by_token_hash(self, token_hash: str) -> Device | None:
        row = self.conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash}).first()
        return _device(row) if row else None

    def with_key(self, public_key: bytes) -> Sequence[Device]:
        rows = self.conn.execute(
            select(t.devices).where(dv.public_key == _b64(public_key)).order_by(dv.id)
        )
        return [_device(r) for r in rows]

    def active_at(self, location_id: int) -> Device | None:
        row = self.conn.execute(
            select(t.devices).where(
                dv.location_id == location_id, dv.state == DeviceState.ACTIVE.value
            )
        ).first()
        return _device(row) if row else None

    def list(self) -> Sequence[Device]:
        active_first = (dv.state != DeviceState.ACTIVE.value).label("retired")
        rows = self.conn.execute(select(t.devices).order_by(active_first, dv.id.desc()))
        return [_device(r) for r in rows]

    def retire(self, device_id: int, state: DeviceState, at: datetime, reason: str) -> None:
        # A retired device's token stops working at once: its hash is dropped.
        self.conn.execute(
            update(t.devices)
            .where(dv.id == device_id, dv.state == DeviceState.ACTIVE.value)
            .values(state=state.value, retired_at=at, retired_reason=reason, token_hash=None)
        )

    def set_token(self, device_id: int, token_hash: str, at: datetime) -> None:
        self.conn.execute(
            update(t.devices)
            .where(dv.id == device_id)
            .values(token_hash=token_hash, token_issued_at=at)
        )

    def note_plan(self, device_id: int, etag: str, at: datetime) -> None:
        done = self.conn.execute(
            update(t.device_plan_etags)
            .where(pe.device_id == device_id, pe.etag == etag)
            .values(last_issued_at=at)
        )
        if done.rowcount == 0:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        insert(t.device_plan_etags).values(
                            device_id=device_id, etag=etag, first_issued_at=at, last_issued_at=at
                        )
                    )
            except IntegrityError:  # a concurrent poll inserted it first
                self.conn.execute(
                    update(t.device_plan_etags)
                    .where(pe.device_id == device_id, pe.etag == etag)
                    .values(last_issued_at=at)
                )
        self.conn.execute(
            update(t.devices).where(dv.id == device_id).values(last_plan_etag=etag, last_plan_at=at)
        )

    def plan_issued_at(self, device_id: int, etag: str) -> datetime | None:
        row = self.conn.execute(
            select(pe.last_issued_at).where(pe.device_id == device_id, pe.etag == etag)
        ).first()
        return row.last_issued_at if row else None

    def add_heartbeat(self, device_id: int, heartbeat: Heartbeat) -> None:
        self.conn.execute(
            insert(t.device_heartbeats).values(
                device_id=device_id,
                at=heartbeat.at,
                device_at_ms=heartbeat.device_at_ms,
                showing=heartbeat.showing,
                black_reason=heartbeat.black_reason,
                playing=dict(heartbeat.playing) if heartbeat.playing is not None else None,
                plan_etag=heartbeat.plan_etag,
                plan_issued_at=heartbeat.plan_issued_at,
                plan_ready=heartbeat.plan_ready,
                cache=dict(heartbeat.cache) if heartbeat.cache is not None else None,
                free_disk_bytes=heartbeat.free_disk_bytes,
                clock_offset_ms=heartbeat.clock_offset_ms,
                clock_verified=heartbeat.clock_verified,
                software_version=heartbeat.software_version,
                last_error=heartbeat.last_error,
                last_error_at_ms=heartbeat.last_error_at_ms,
                payload=dict(heartbeat.payload),
            )
        )
        add_heartbeat_rollup(self.conn, device_id, heartbeat.at, heartbeat.plan_ready)
        self.conn.execute(
            update(t.devices).where(dv.id == device_id).values(last_seen_at=heartbeat.at)
        )

    def latest_heartbeat(self, device_id: int) -> Heartbeat | None:
        found = self.heartbeats(device_id, 1)
        return found[0] if found else None

    def heartbeats(self, device_id: int, limit: int) -> Sequence[Heartbeat]:
        rows = self.conn.execute(
            select(t.device_heartbeats)
            .where(hb.device_id == device_id)
            .order_by(hb.at.desc(), hb.id.desc())
            .limit(limit)
        )
        return [_heartbeat(r) for r in rows]

    def first_confirmation(self, device_id: int, since: datetime) -> datetime | None:
        row = self.conn.execute(
            select(hb.at)
            .where(hb.device_id == device_id, hb.at >= since, hb.plan_issued_at >= since)
            .order_by(hb.at)
            .limit(1)
        ).first()
        return row.at if row else None

    def request_screenshot(self, device_id: int, at: datetime | None) -> None:
        self.conn.execute(
            update(t.devices).where(dv.id == device_id).values(screenshot_requested_at=at)
        )

    def save_screenshot(self, device_id: int, data: bytes, at: datetime) -> None:
        s = t.device_screenshots.c
        done = self.conn.execute(
            update(t.device_screenshots)
            .where(s.device_id == device_id)
            .values(taken_at=at, data=data)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(t.device_screenshots).values(device_id=device_id, taken_at=at, data=data)
            )

    def screenshot(self, device_id: int) -> Screenshot | None:
        s = t.device_screenshots.c
        row = self.conn.execute(
            select(t.device_screenshots).where(s.device_id == device_id)
        ).first()
        return Screenshot(row.device_id, row.taken_at, bytes(row.data)) if row else None


_BUMP = (
    update(t.schedule_stamp)
    .where(ss.id == STAMP_ID)
    .values(value=ss.value + 1, changed_at=bindparam("at"))
)


def bump_schedule_stamp(conn: Connection, at: datetime) -> None:
    """Count one plan-changing write (the row is created on the first bump if the
    migration did not)."""
    if conn.execute(_BUMP, {"at": at}).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(t.schedule_stamp).values(id=STAMP_ID, value=1, changed_at=at))
    except IntegrityError:  # a concurrent first bump inserted it
        conn.execute(_BUMP, {"at": at})


class SqlScheduleStampRepository:
    """The one-row schedule stamp."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def bump(self, at: datetime) -> None:
        bump_schedule_stamp(self.conn, at)


def _alert(row: Any) -> DeviceAlert:
    return DeviceAlert(row.id, row.device_id, row.kind, row.since, row.at, row.closed_at)


class SqlDeviceAlertRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_offline(self, device_id: int) -> DeviceAlert | None:
        row = self.conn.execute(
            select(t.device_alerts).where(
                al.device_id == device_id, al.kind == "offline", al.closed_at.is_(None)
            )
        ).first()
        return _alert(row) if row else None

    def add(self, device_id: int, kind: str, since: datetime, at: datetime) -> DeviceAlert:
        result = self.conn.execute(
            insert(t.device_alerts).values(device_id=device_id, kind=kind, since=since, at=at)
        )
        return DeviceAlert(_new_id(result), device_id, kind, since, at)

    def close(self, alert_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.device_alerts)
            .where(al.id == alert_id, al.closed_at.is_(None))
            .values(closed_at=at)
        )

    def recent(self, since: datetime) -> Sequence[DeviceAlert]:
        rows = self.conn.execute(
            select(t.device_alerts)
            .where(
                or_(
                    (al.kind == "offline") & al.closed_at.is_(None),
                    al.at >= since,
                    al.closed_at >= since,
                )
            )
            .order_by(al.at.desc(), al.id.desc())
        )
        return [_alert(r) for r in rows]
