"""The client of the player API (`/api/player/v1`): enrolment, plan, assets, plays, heartbeat.

Every call has a timeout, feeds the server's time to the corrected clock, and respects a
`429 Retry-After` by refusing further calls locally until it has passed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signage_player.cache import AssetBody
from signage_player.clock import CorrectedClock
from signage_player.errors import PlayerError
from signage_player.records import Ident, PlayRecord

API_PREFIX = "/api/player/v1"
MAX_PLAYS_BATCH = 1000
# (connect, read) seconds; the read timeout bounds each socket read, also while streaming.
DEFAULT_TIMEOUT = (5.0, 30.0)
CHUNK_BYTES = 64 * 1024
ENROL_POLL_CONTEXT = b"signage-enroll-poll:"
SCREENSHOT_HEADER = "Signage-Screenshot-Requested"
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")

Outcome = Literal["accepted", "duplicate", "quarantined"]
_OUTCOMES: tuple[Outcome, ...] = ("accepted", "duplicate", "quarantined")


class ApiError(PlayerError):
    """The server answered with an error status; `reason` is its explanation."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class UnauthorizedError(ApiError):
    """The token is missing, wrong or revoked: the device must enrol again."""


class RateLimitedError(ApiError):
    """The server asked to wait; no call is made before `retry_after_s` has passed."""

    def __init__(self, retry_after_s: float, reason: str = "rate limited") -> None:
        super().__init__(429, reason)
        self.retry_after_s = retry_after_s


class NetworkError(PlayerError):
    """The server could not be reached or the connection broke."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A pending enrolment: the code to show and the fingerprint the admin checks."""

    code: str
    fingerprint: str | None
    poll_interval_s: float | None


@dataclass(frozen=True, slots=True)
class EnrolmentStatus:
    """The answer to an enrolment poll: pending, or the token and identity once bound."""

    enrolled: bool
    token: str | None = None
    device_id: Ident | None = None
    location_id: Ident | None = None


@dataclass(frozen=True, slots=True)
class PlanResponse:
    """A plan (None when the server said `304 Not Modified`) and the ETag now in force."""

    plan: dict[str, Any] | None
    etag: str | None
    screenshot_requested: bool = False

    @property
    def not_modified(self) -> bool:
        """True when the plan held by the player is still current."""
        return self.plan is None


@dataclass(frozen=True, slots=True)
class PlayResult:
    """The server's answer for one record."""

    id: str
    outcome: Outcome
    reason: str | None


def enrol_poll_signature(key: Ed25519PrivateKey, code: str) -> str:
    """Proof that the poller holds the key: Ed25519 over `signage-enroll-poll:<code>`."""
    return base64.b64encode(key.sign(ENROL_POLL_CONTEXT + code.encode("utf-8"))).decode("ascii")


class ApiClient:
    """The player's side of the versioned JSON API, over an injected `requests.Session`."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        clock: CorrectedClock,
        token: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.clock = clock
        self.token = token
        self.timeout = timeout
        self._not_before_mono: int | None = None

    def url(self, path: str) -> str:
        """The URL for an API route (`plan`) or for a URL the server gave (absolute or `/…`)."""
        if path.startswith(("http://", "https://", "/")):
            return urljoin(self.base_url + "/", path)
        return f"{self.base_url}{API_PREFIX}/{path}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        mono = self.clock.clock.monotonic_ms
        if self._not_before_mono is not None and mono() < self._not_before_mono:
            raise RateLimitedError((self._not_before_mono - mono()) / 1000, "still waiting")
        send_headers = {"Accept": "application/json", **(headers or {})}
        if self.token:
            send_headers["Authorization"] = f"Bearer {self.token}"
        sent = mono()
        try:
            response = self.session.request(
                method,
                self.url(path),
                json=json,
                data=data,
                headers=send_headers,
                timeout=self.timeout,
                stream=stream,
            )
        except requests.RequestException as exc:
            raise NetworkError(f"{method} {path}: {exc}") from exc
        # Every answer carries the server's time, error answers included.
        self.clock.observe_headers(response.headers, sent, mono())
        if response.status_code >= 400:
            self._raise_for(response)
        return response

    def _raise_for(self, response: requests.Response) -> None:
        reason = _reason(response)
        response.close()
        if response.status_code == 429:
            wait_s = self._retry_after_s(response.headers.get("Retry-After"))
            self._not_before_mono = self.clock.clock.monotonic_ms() + int(wait_s * 1000)
            raise RateLimitedError(wait_s, reason)
        if response.status_code in (401, 403):
            raise UnauthorizedError(response.status_code, reason)
        raise ApiError(response.status_code, reason)

    def _retry_after_s(self, value: str | None) -> float:
        # Without a usable header, one second is a polite minimum rather than zero.
        if value is None:
            return 1.0
        if value.strip().isdigit():
            return float(value.strip())
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 1.0
        if when.tzinfo is None:
            return 1.0
        return max(0.0, when.timestamp() - self.clock.now_ms() / 1000)

    def enroll(self, public_key_b64: str, facts: Mapping[str, object]) -> Enrolment:
        """Ask to be enrolled; returns the one-time code to show on screen."""
        body = _object(
            self._request(
                "POST", "enroll", json={"public_key": public_key_b64, "facts": dict(facts)}
            )
        )
        return Enrolment(
            code=str(body["code"]),
            fingerprint=body.get("fingerprint"),
            poll_interval_s=body.get("poll_interval_s"),
        )

    def poll_enrolment(
        self, key: Ed25519PrivateKey, public_key_b64: str, code: str
    ) -> EnrolmentStatus:
        """Ask whether an admin has bound this device; on success the client keeps the token."""
        response = self._request(
            "POST",
            "enroll/poll",
            json={
                "public_key": public_key_b64,
                "code": code,
                "signature": enrol_poll_signature(key, code),
            },
        )
        body = _object(response)
        if body.get("status") != "enrolled":
            return EnrolmentStatus(enrolled=False)
        status = EnrolmentStatus(
            enrolled=True,
            token=str(body["token"]),
            device_id=body["device_id"],
            location_id=body.get("location_id"),
        )
        self.token = status.token
        return status

    def get_plan(self, etag: str | None = None) -> PlanResponse:
        """The plan for the horizon, or not-modified when `etag` is still current."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self._request("GET", "plan", headers=headers)
        wanted = response.headers.get(SCREENSHOT_HEADER, "").strip() == "1"
        if response.status_code == 304:
            return PlanResponse(None, response.headers.get("ETag", etag), wanted)
        return PlanResponse(_object(response), response.headers.get("ETag"), wanted)

    def asset_url(self, sha256: str) -> str:
        """The URL of an asset when the plan gives none."""
        return self.url(f"assets/{sha256}")

    @contextmanager
    def download_asset(self, url: str, offset: int = 0) -> Iterator[AssetBody]:
        """Stream an asset's bytes from `offset` on (a `Range` request when above zero)."""
        headers = {"Accept": "*/*"}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = self._request("GET", url, headers=headers, stream=True)
        except ApiError as exc:
            if exc.status != 416:
                raise
            response = None
        if response is None:
            # Nothing lies past `offset`: the partial file may already be whole.
            yield AssetBody(offset, ())
            return
        try:
            start = 0
            if response.status_code == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if match is None:
                    raise ApiError(206, "partial content without a usable Content-Range")
                start = int(match.group(1))
            yield AssetBody(start, _chunks(response))
        finally:
            response.close()

    def post_plays(self, records: Sequence[PlayRecord]) -> list[PlayResult]:
        """Send a batch of records; returns the answer for each record the server answered."""
        if len(records) > MAX_PLAYS_BATCH:
            raise ValueError(f"at most {MAX_PLAYS_BATCH} records per batch")
        body = _object(
            self._request(
                "POST", "plays", json={"records": [record.to_json() for record in records]}
            )
        )
        results: list[PlayResult] = []
        for item in body.get("results") or []:
            # An answer the player cannot read leaves the record in the outbox for next time.
            if not isinstance(item, dict) or "id" not in item:
                continue
            outcome = item.get("status")
            if outcome in _OUTCOMES:
                results.append(PlayResult(str(item["id"]), outcome, item.get("reason")))
        return results

    def heartbeat(self, payload: Mapping[str, object]) -> dict[str, Any]:
        """Report what is playing and the device's health; returns the server's answer."""
        return _object(self._request("POST", "heartbeat", json=dict(payload)))

    def post_screenshot(self, png: bytes) -> None:
        """Send a PNG of the screen, as an admin asked (heartbeat answer or plan header)."""
        self._request("POST", "screenshot", data=png, headers={"Content-Type": "image/png"})


def _chunks(response: requests.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_content(chunk_size=CHUNK_BYTES)
    except requests.RequestException as exc:
        raise NetworkError(f"download broke: {exc}") from exc


def _object(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a response body (an empty body reads as `{}`)."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise ApiError(response.status_code, "the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(response.status_code, "the answer is not a JSON object")
    return body


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason or "error"
    if isinstance(body, dict):
        for key in ("reason", "error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return response.reason or "error"
