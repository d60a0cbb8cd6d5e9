"""A billboard device written from `players/PROTOCOL.md` and DESIGN.md alone.

It shares no code with the project's player (`signage_player`) or server: its own
Ed25519 key, its own canonical JSON, its own hash chain. Tests use it to show that
what the documents promise is what the server does for any implementation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

API = "/api/player/v1"
ZEROS = "0" * 64


class Transport(Protocol):
    def post(self, path: str, **kwargs: Any) -> Any: ...

    def get(self, path: str, **kwargs: Any) -> Any: ...


def canonical(record: dict[str, Any]) -> bytes:
    """DESIGN.md: every field but the signature, sorted keys, `,` and `:`, UTF-8 kept."""
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class IndependentDevice:
    http: Transport
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    token: str = ""
    device_id: Any = None
    location_id: Any = None
    seq: int = 0
    head: str = ZEROS

    @property
    def public_b64(self) -> str:
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def enrol(self) -> dict[str, Any]:
        """`POST /enroll`: the code and fingerprint an admin checks."""
        answer = self.http.post(
            f"{API}/enroll",
            json={"public_key": self.public_b64, "facts": {"screen_size": "1920x1080"}},
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return dict(answer.get_json())

    def collect_token(self, code: str) -> None:
        """`POST /enroll/poll` after the admin bound the code."""
        signature = self.key.sign(b"signage-enroll-poll:" + code.encode())
        answer = self.http.post(
            f"{API}/enroll/poll",
            json={
                "public_key": self.public_b64,
                "code": code,
                "signature": base64.b64encode(signature).decode(),
            },
        ).get_json()
        assert answer["status"] == "enrolled", answer
        self.token, self.device_id = answer["token"], answer["device_id"]
        self.location_id = answer["location_id"]

    def plan(self) -> dict[str, Any]:
        answer = self.http.get(f"{API}/plan", headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return dict(answer.get_json())

    def record(self, started_at_ms: int, ended_at_ms: int, **ids: Any) -> dict[str, Any]:
        """The next record of this device's chain, signed; `ids` as they should be sent."""
        self.seq += 1
        record = {
            "id": str(uuid.uuid4()),
            "device_id": self.device_id,
            "seq": self.seq,
            "location_id": self.location_id,
            "asset_sha256": None,
            "playlist_id": None,
            "entry_id": None,
            "approval_id": None,
            "started_at_ms": started_at_ms,
            "ended_at_ms": ended_at_ms,
            "device_clock_offset_ms": 0,
            "clock_verified": True,
            "status": "completed",
            "reason": None,
            "prev_hash": self.head,
            **ids,
        }
        message = canonical(record)
        record["signature"] = base64.b64encode(self.key.sign(message)).decode()
        self.head = hashlib.sha256(message + b"." + record["signature"].encode()).hexdigest()
        return record

    def send(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /plays`; the per-record answers."""
        answer = self.http.post(
            f"{API}/plays",
            json={"records": records},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return list(answer.get_json()["results"])


def plan_ids(plan: dict[str, Any]) -> dict[str, Any]:
    """The ids of the first item of the first content segment, as the plan gives them."""
    segment = next(s for s in plan["segments"] if s["kind"] == "content")
    entry = segment["entries"][0]
    playlist = plan["playlists"][entry["playlist"]]
    item = playlist["items"][0]
    return {
        "location_id": plan["location_id"],
        "approval_id": entry["approval_id"],
        "entry_id": entry["entry_id"],
        "playlist_id": playlist["playlist_id"],
        "asset_sha256": item["asset_sha256"],
        "duration_ms": item["duration_ms"],
    }
