"""Route-matrix cases of devices: the player API (device tokens) and the admin device pages."""

from __future__ import annotations

import base64
import io
import itertools
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from tests.web.route_cases import ANYONE, Case, fixed

P = "/api/player/v1"
READERS = ("admin", "auditor")
TAKEDOWN_READERS = ("approver", "admin", "auditor")
_names = itertools.count(1)


@dataclass(frozen=True)
class DeviceCase(Case):
    """A player-API route behind a device token: every user role and anonymous get 401."""

    device: bool = True


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def poll_signature(key: Ed25519PrivateKey, code: str) -> str:
    return base64.b64encode(key.sign(b"signage-enroll-poll:" + code.encode())).decode("ascii")


def admin(svc: Any) -> Any:
    return next(u for u in svc.users.list_users() if u.username == "admin")


def location(svc: Any, width: int = 1920, height: int = 1080) -> int:
    data = {"name": f"Device site {next(_names)}", "screen_width": width, "screen_height": height}
    return int(svc.locations.create_location("test", data).id)


@dataclass(frozen=True)
class EnrolledDevice:
    id: int
    location_id: int
    token: str
    key: Ed25519PrivateKey


def enrolled_device(svc: Any, location_id: int | None = None) -> EnrolledDevice:
    """A device enrolled, bound by the admin and holding its token."""
    key = Ed25519PrivateKey.generate()
    where = location_id or location(svc)
    pending = svc.devices.enrol(public_b64(key), {"software_version": "test"}, "192.0.2.1")
    device = svc.devices.bind_device(admin(svc), pending.code, where)
    answer = svc.devices.poll_enrolment(
        public_b64(key), pending.code, poll_signature(key, pending.code)
    )
    return EnrolledDevice(device.id, where, answer.token, key)


_DEVICES: dict[str, EnrolledDevice] = {}


def device_token(svc: Any) -> str:
    """The bearer token of the matrix's one device for these services (one per database)."""
    database = str(svc.settings.database_url)
    if database not in _DEVICES:
        _DEVICES[database] = enrolled_device(svc)
    return _DEVICES[database].token


def png(shade: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (shade, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def _pending_poll(svc: Any) -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    pending = svc.devices.enrol(public_b64(key), {}, "192.0.2.2")
    return {
        "public_key": public_b64(key),
        "code": pending.code,
        "signature": poll_signature(key, pending.code),
    }


def _bind_form(svc: Any) -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    pending = svc.devices.enrol(public_b64(key), {"screen_size": "1920x1080"}, "192.0.2.3")
    return {
        "code": pending.code,
        "location_id": str(location(svc)),
        "fingerprint": pending.fingerprint,
    }


def _with_screenshot(svc: Any) -> int:
    device = enrolled_device(svc)
    svc.devices.save_screenshot(svc.devices.device_for_token(device.token), png())
    return device.id


def _campaign(svc: Any) -> int:
    staff = next(u for u in svc.users.list_users() if u.username == "staff")
    data = {
        "name": f"Withdrawn {next(_names)}",
        "first_date": "2026-06-01",
        "last_date": "2026-06-10",
    }
    return int(svc.campaigns.create_campaign(staff, data).id)


def _blank(svc: Any) -> int:
    return int(svc.campaigns.blank(admin(svc), location(svc), "matrix test").id)


DEVICE_CASES: dict[tuple[str, str], Case] = {
    ("player_v1.enroll", "POST"): Case(
        ANYONE,
        201,
        fixed(f"{P}/enroll"),
        lambda _s, _r: {"public_key": public_b64(Ed25519PrivateKey.generate()), "facts": {}},
        json=True,
    ),
    ("player_v1.enroll_poll", "POST"): Case(
        ANYONE, 200, fixed(f"{P}/enroll/poll"), lambda s, _r: _pending_poll(s), json=True
    ),
    ("player_v1.plan", "GET"): DeviceCase((), 200, fixed(f"{P}/plan")),
    ("player_v1.asset", "GET"): DeviceCase((), 404, fixed(f"{P}/assets/{'ab' * 32}")),
    ("player_v1.plays", "POST"): DeviceCase(
        (), 200, fixed(f"{P}/plays"), lambda _s, _r: {"records": []}, json=True
    ),
    ("player_v1.heartbeat", "POST"): DeviceCase(
        (), 200, fixed(f"{P}/heartbeat"), lambda _s, _r: {"showing": "black"}, json=True
    ),
    ("player_v1.screenshot", "POST"): DeviceCase(
        (), 201, fixed(f"{P}/screenshot"), lambda _s, _r: png(), raw=True
    ),
    ("devices.index", "GET"): Case(READERS, 200, fixed("/devices")),
    ("devices.bind", "POST"): Case(
        ("admin",), 303, fixed("/devices/bind"), lambda s, _r: _bind_form(s)
    ),
    ("devices.detail", "GET"): Case(
        READERS, 200, lambda s, _r: f"/devices/{enrolled_device(s).id}"
    ),
    ("devices.revoke", "POST"): Case(
        ("admin",),
        303,
        lambda s, _r: f"/devices/{enrolled_device(s).id}/revoke",
        lambda _s, _r: {"reason": "stolen"},
    ),
    ("devices.request_screenshot", "POST"): Case(
        ("admin",), 303, lambda s, _r: f"/devices/{enrolled_device(s).id}/screenshot", None
    ),
    ("devices.screenshot", "GET"): Case(
        READERS, 200, lambda s, _r: f"/devices/{_with_screenshot(s)}/screenshot.png"
    ),
    ("devices.campaign_takedown", "GET"): Case(
        TAKEDOWN_READERS, 200, lambda s, _r: f"/campaigns/{_campaign(s)}/takedown"
    ),
    ("devices.blank_takedown", "GET"): Case(
        TAKEDOWN_READERS, 200, lambda s, _r: f"/blanks/{_blank(s)}/takedown"
    ),
}
