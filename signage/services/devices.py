"""Devices: enrolment and binding, tokens, revocation, heartbeats, screenshots, alerts, reach."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from signage.domain.devices import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_TTL,
    ENROL_LIMIT,
    ENROL_LIMIT_WINDOW,
    MAX_SCREENSHOT_BYTES,
    Device,
    DeviceAlert,
    DeviceState,
    Enrolment,
    EnrolmentRateLimitedError,
    Heartbeat,
    Takedown,
    clean_facts,
    display_code,
    hash_token,
    is_online,
    is_png,
    normalise_code,
    parse_heartbeat,
    poll_message,
    public_key_from_b64,
    refused_token,
    reported_screen,
    signature_from_b64,
)
from signage.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SignageError,
    ValidationError,
    valid_id,
)
from signage.domain.locations import Location
from signage.domain.users import Role, User
from signage.services.audit import record_event
from signage.services.device_ports import (
    QuarantinedPlay,
    Screenshot,
    SignatureVerifier,
    StoredPlay,
)
from signage.services.device_watch import AlertView, alert_views, offline_alerts, takedown
from signage.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

DEVICE_TOKEN_PREFIX = "sgd_"  # noqa: S105 (a visible prefix, not a secret)


class EnrolmentExpiredError(SignageError):
    """The enrolment code expired before an admin bound it: the device must enrol again."""


@dataclass(frozen=True, slots=True)
class EnrolmentAnswer:
    """The answer to an enrolment poll."""

    enrolled: bool
    token: str | None = None
    device_id: int | None = None
    location_id: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A device as the devices page shows it."""

    device: Device
    location_name: str
    online: bool
    heartbeat: Heartbeat | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceDetail:
    """One device with its recent heartbeats, plays and quarantined records."""

    view: DeviceView
    heartbeats: tuple[Heartbeat, ...]
    play_count: int
    plays: tuple[StoredPlay, ...]
    quarantined: tuple[QuarantinedPlay, ...]
    screenshot_at: datetime | None


def _require_admin(user: User, action: str) -> None:
    if Role.ADMIN not in user.roles:
        raise PermissionDeniedError(f"only admins may {action}")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _same_fingerprint(given: str, expected: str) -> bool:
    def squeeze(text: str) -> str:
        return "".join(text.lower().split())

    return secrets.compare_digest(squeeze(given), squeeze(expected))


def _location(uow: UnitOfWork, location_id: int) -> Location:
    location = uow.locations.get(location_id) if valid_id(location_id) else None
    if location is None:
        raise NotFoundError(f"location {location_id} not found")
    return location


def _device(uow: UnitOfWork, device_id: int) -> Device:
    device = uow.devices.get(device_id) if valid_id(device_id) else None
    if device is None:
        raise NotFoundError(f"device {device_id} not found")
    return device


@dataclass(frozen=True, slots=True)
class DeviceServices:
    """Device life cycle; the acting admin is passed in for the role rules."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    verifier: SignatureVerifier
    poll_interval_s: int

    # --- enrolment ---------------------------------------------------------------------

    def enrol(self, public_key_b64: object, facts: object, client_ip: str) -> Enrolment:
        """A pending enrolment with a one-time code (the same one while the key's is open)."""
        raw = public_key_from_b64(public_key_b64)
        cleaned = clean_facts(facts)
        with self.uow_factory() as uow:
            now = self.clock.now()
            known = uow.devices.with_key(raw)
            if any(not d.active for d in known):
                raise PermissionDeniedError(
                    "this key belongs to a retired device; an admin must enrol a new key"
                )
            if known:
                device = known[-1]
                if device.last_plan_at is not None or device.last_seen_at is not None:
                    raise ConflictError(f"this key is already enrolled as device {device.id}")
                bound = uow.enrolments.latest_for_key(raw)
                if bound is not None:
                    return bound  # bound, token not collected yet: the next poll collects it
            existing = uow.enrolments.open_for_key(raw, now)
            if existing is not None:
                return existing
            recent = uow.enrolments.started_from(client_ip, now - ENROL_LIMIT_WINDOW)
            if len(recent) >= ENROL_LIMIT:
                wait = recent[-ENROL_LIMIT] + ENROL_LIMIT_WINDOW - now
                raise EnrolmentRateLimitedError(max(1, math.ceil(wait.total_seconds())))
            code = _new_code()
            while uow.enrolments.by_code(code) is not None:
                code = _new_code()
            enrolment = uow.enrolments.add(code, raw, cleaned, client_ip, now, now + CODE_TTL)
            uow.commit()
            return enrolment

    def poll_enrolment(
        self, public_key_b64: object, code: object, signature_b64: object
    ) -> EnrolmentAnswer:
        """Pending, or (once bound) the device's bearer token, issued to the key holder only."""
        raw = public_key_from_b64(public_key_b64)
        if not isinstance(code, str):
            raise ValidationError("code", "must be text")
        signature = signature_from_b64(signature_b64)
        if not self.verifier.verify(raw, poll_message(code), signature):
            raise AuthenticationError("the signature does not match the public key")
        with self.uow_factory() as uow:
            now = self.clock.now()
            enrolment = uow.enrolments.by_code(normalise_code(code))
            if enrolment is None or enrolment.public_key != raw:
                raise NotFoundError("no enrolment with this code for this key")
            if enrolment.device_id is None:
                if enrolment.expired(now):
                    raise EnrolmentExpiredError("the code expired; enrol again for a new one")
                return EnrolmentAnswer(False)
            device = _device(uow, enrolment.device_id)
            if not device.active:
                raise PermissionDeniedError("this device was retired")
            if device.last_plan_at is not None or device.last_seen_at is not None:
                raise ConflictError("this device collected its token already")
            # Issued again on every poll until first used: a lost answer is simply asked again.
            secret = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
            uow.devices.set_token(device.id, hash_token(secret), now)
            uow.commit()
            return EnrolmentAnswer(True, secret, device.id, device.location_id)

    def pending_enrolment(self, code: str) -> Enrolment:
        """The unbound, unexpired enrolment with this code (for the admin to check its key)."""
        with self.uow_factory(readonly=True) as uow:
            return self._open_enrolment(uow, code, self.clock.now())

    def pending_enrolments(self) -> list[Enrolment]:
        """Enrolments waiting for an admin, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return list(uow.enrolments.pending(self.clock.now()))

    @staticmethod
    def _open_enrolment(uow: UnitOfWork, code: str, now: datetime) -> Enrolment:
        enrolment = uow.enrolments.by_code(normalise_code(code))
        if enrolment is None:
            raise ValidationError("code", "no device is waiting with this code")
        if enrolment.device_id is not None:
            raise ConflictError("this code was used already", field="code")
        if enrolment.expired(now):
            raise ValidationError("code", "this code expired; the device shows a new one")
        return enrolment

    def bind_device(
        self, admin: User, code: str, location_id: int, fingerprint: str | None = None
    ) -> Device:
        """Bind the device waiting with `code` to a location; it replaces the active one there.

        When `fingerprint` is given it must match the key's (what the admin read off
        the screen); the device collects its token on its next enrolment poll.
        """
        _require_admin(admin, "enrol devices")
        with self.uow_factory() as uow:
            now = self.clock.now()
            enrolment = self._open_enrolment(uow, code, now)
            location = _location(uow, location_id)
            if fingerprint is not None and not _same_fingerprint(
                fingerprint, enrolment.fingerprint
            ):
                raise ValidationError("fingerprint", "does not match the device's key")
            if uow.devices.with_key(enrolment.public_key):
                raise ConflictError("this key is already enrolled", field="code")
            replaced = uow.devices.active_at(location.id)
            if replaced is not None:
                uow.devices.retire(
                    replaced.id, DeviceState.REPLACED, now, "replaced by a new device"
                )
            device = uow.devices.add(
                location.id, enrolment.public_key, enrolment.facts, now, admin.username
            )
            uow.enrolments.bind(enrolment.id, device.id, now)
            record_event(
                uow,
                self.clock,
                admin.username,
                "device.bind",
                "device",
                device.id,
                None,
                {
                    "location_id": location.id,
                    "fingerprint": device.fingerprint,
                    "code": display_code(enrolment.code),
                    "replaced_device_id": replaced.id if replaced else None,
                },
            )
            uow.commit()
            return device

    def revoke_device(self, admin: User, device_id: int, reason: str = "") -> Device:
        """Revoke a device: its token stops working and its key can never enrol again."""
        _require_admin(admin, "revoke devices")
        clean = " ".join(reason.split())[:500]
        with self.uow_factory() as uow:
            device = _device(uow, device_id)
            if not device.active:
                raise ConflictError(f"device {device_id} is already {device.state.value}")
            uow.devices.retire(device.id, DeviceState.REVOKED, self.clock.now(), clean)
            record_event(
                uow,
                self.clock,
                admin.username,
                "device.revoke",
                "device",
                device.id,
                {"state": device.state.value},
                {"state": DeviceState.REVOKED.value},
                reason=clean,
            )
            retired = _device(uow, device.id)
            uow.commit()
            return retired

    def device_for_token(self, secret: str) -> Device:
        """The active device holding this bearer token."""
        with self.uow_factory(readonly=True) as uow:
            device = uow.devices.by_token_hash(hash_token(secret))
        if device is None or not device.active:
            raise refused_token()
        return device

    # --- what devices report -------------------------------------------------------------

    def record_heartbeat(self, device: Device, data: object) -> dict[str, Any]:
        """Store a heartbeat; the answer tells the device whether a screenshot is wanted."""
        with self.uow_factory() as uow:
            now = self.clock.now()
            heartbeat = parse_heartbeat(data, now)
            issued = (
                uow.devices.plan_issued_at(device.id, heartbeat.plan_etag)
                if heartbeat.plan_etag
                else None
            )
            uow.devices.add_heartbeat(device.id, replace(heartbeat, plan_issued_at=issued))
            current = _device(uow, device.id)
            uow.commit()
        return {"screenshot_requested": current.screenshot_requested_at is not None}

    def request_screenshot(self, admin: User, device_id: int) -> None:
        """Ask the device for a screenshot; it learns so from its next heartbeat or plan."""
        _require_admin(admin, "ask for screenshots")
        with self.uow_factory() as uow:
            device = _device(uow, device_id)
            if not device.active:
                raise ConflictError(f"device {device_id} is {device.state.value}")
            uow.devices.request_screenshot(device.id, self.clock.now())
            uow.commit()

    def save_screenshot(self, device: Device, data: bytes) -> None:
        """Keep the device's latest screenshot (a PNG) and clear the request."""
        if not is_png(data):
            raise ValidationError("screenshot", "must be a PNG image")
        if len(data) > MAX_SCREENSHOT_BYTES:
            raise ValidationError("screenshot", "must be at most 10 MiB")
        with self.uow_factory() as uow:
            uow.devices.save_screenshot(device.id, data, self.clock.now())
            uow.devices.request_screenshot(device.id, None)
            uow.commit()

    def screenshot(self, device_id: int) -> Screenshot:
        """The device's latest screenshot."""
        with self.uow_factory(readonly=True) as uow:
            _device(uow, device_id)
            shot = uow.devices.screenshot(device_id)
        if shot is None:
            raise NotFoundError(f"device {device_id} has sent no screenshot")
        return shot

    # --- pages ---------------------------------------------------------------------------

    def _view(self, uow: UnitOfWork, device: Device, names: Mapping[int, Location]) -> DeviceView:
        location = names.get(device.location_id)
        heartbeat = uow.devices.latest_heartbeat(device.id)
        online = device.active and is_online(
            device.last_seen_at, self.clock.now(), self.poll_interval_s
        )
        warnings: list[str] = []
        screen = reported_screen(device.facts)
        if location is not None and screen is not None:
            expected = (location.spec.screen_width, location.spec.screen_height)
            if screen != expected:
                warnings.append(
                    f"the device reports a {screen[0]}x{screen[1]} screen;"
                    f" the location's is {expected[0]}x{expected[1]}"
                )
        if heartbeat is not None and heartbeat.last_error:
            warnings.append(f"last error: {heartbeat.last_error}")
        name = location.spec.name if location else f"location {device.location_id}"
        return DeviceView(device, name, online, heartbeat, tuple(warnings))

    def list_devices(self) -> list[DeviceView]:
        """Every device, active ones first, with its latest heartbeat."""
        with self.uow_factory(readonly=True) as uow:
            names = {loc.id: loc for loc in uow.locations.list()}
            return [self._view(uow, d, names) for d in uow.devices.list()]

    def device_detail(self, device_id: int) -> DeviceDetail:
        """One device with its recent history."""
        with self.uow_factory(readonly=True) as uow:
            device = _device(uow, device_id)
            names = {loc.id: loc for loc in uow.locations.list()}
            shot = uow.devices.screenshot(device.id)
            return DeviceDetail(
                view=self._view(uow, device, names),
                heartbeats=tuple(uow.devices.heartbeats(device.id, 20)),
                play_count=uow.plays.count_for(device.id),
                plays=tuple(uow.plays.for_device(device.id, 20)),
                quarantined=tuple(uow.plays.quarantined(device.id, 20)),
                screenshot_at=shot.taken_at if shot else None,
            )

    # --- alerts and take-down reach (signage.services.device_watch) ---------------------

    def check_offline(self) -> list[DeviceAlert]:
        """Raise an alert for each active device gone offline; note each one that came back."""
        with self.uow_factory() as uow:
            raised = offline_alerts(uow, self.clock.now(), self.poll_interval_s)
            uow.commit()
        return raised

    def dashboard_alerts(self) -> list[AlertView]:
        """Open offline alerts and the last day's recoveries, newest first."""
        with self.uow_factory(readonly=True) as uow:
            return alert_views(uow, self.clock.now())

    def takedown_status(
        self, *, campaign_id: int | None = None, blank_id: int | None = None
    ) -> Takedown:
        """Per screen: "stopped at T" (a heartbeat reported a plan issued after the
        take-down), "not reached: offline since T", or not confirmed yet."""
        if (campaign_id is None) == (blank_id is None):
            raise ValidationError("takedown", "name a campaign or a blank")
        with self.uow_factory(readonly=True) as uow:
            return takedown(uow, self.clock.now(), self.poll_interval_s, campaign_id, blank_id)
