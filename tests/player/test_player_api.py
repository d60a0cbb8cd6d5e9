"""The API client against a loopback fake of the player API."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from signage_player.api import (
    ENROL_POLL_CONTEXT,
    MAX_PLAYS_BATCH,
    ApiClient,
    ApiError,
    NetworkError,
    RateLimitedError,
)
from signage_player.clock import CorrectedClock, ManualClock
from signage_player.keys import public_key_b64
from signage_player.records import PlayFacts
from signage_player.state import PlayerState

from tests.player.player_fakes import SERVER_TIME_MS, T0_MS, FakeServer


def facts(i: int) -> PlayFacts:
    return PlayFacts(
        location_id=1,
        asset_sha256=None,
        playlist_id=None,
        entry_id=None,
        approval_id=None,
        started_at_ms=T0_MS + i * 1000,
        ended_at_ms=T0_MS + i * 1000 + 900,
        device_clock_offset_ms=0,
        clock_verified=True,
        status="completed",
    )


def test_every_response_measures_the_clock_offset(api: ApiClient) -> None:
    assert not api.clock.verified
    api.heartbeat({"playing": None})
    assert api.clock.verified
    # The fake server is 90 s ahead of the device.
    assert api.clock.offset_ms() == SERVER_TIME_MS - T0_MS


def test_plan_is_fetched_then_not_modified(api: ApiClient, fake_server: FakeServer) -> None:
    first = api.get_plan()
    assert first.plan == {"segments": []}
    assert first.etag == '"plan-1"'
    second = api.get_plan(first.etag)
    assert second.not_modified
    assert second.etag == first.etag
    assert fake_server.requests[-1][2]["If-None-Match"] == '"plan-1"'
    assert fake_server.requests[-1][2]["Authorization"] == "Bearer t0k"


def test_retry_after_is_honoured_without_calling_the_server(
    api: ApiClient, fake_server: FakeServer, manual_clock: ManualClock
) -> None:
    fake_server.rate_limit_once = 30
    with pytest.raises(RateLimitedError) as first:
        api.get_plan()
    assert first.value.retry_after_s == 30
    calls = len(fake_server.requests)
    manual_clock.advance(10_000)
    with pytest.raises(RateLimitedError) as second:
        api.get_plan()
    assert 19 <= second.value.retry_after_s <= 20
    assert len(fake_server.requests) == calls
    manual_clock.advance(20_000)
    assert api.get_plan().plan is not None


def test_outbox_keeps_records_until_answered(
    api: ApiClient, fake_server: FakeServer, state: PlayerState, key: Ed25519PrivateKey
) -> None:
    records = [state.append_play(facts(i), key=key, device_id=42) for i in range(4)]
    fake_server.play_answers = {
        records[1].id: ("duplicate", None),
        records[2].id: ("quarantined", "bad signature"),
        records[3].id: ("unanswered", None),
    }
    results = api.post_plays(state.pending_records())
    assert [(r.outcome, r.reason) for r in results] == [
        ("accepted", None),
        ("duplicate", None),
        ("quarantined", "bad signature"),
    ]
    state.forget_answered(r.id for r in results)
    assert state.pending_records() == [records[3]]
    sent = json.loads(fake_server.requests[-1][3])["records"]
    assert sent[0] == records[0].to_json()


def test_batches_are_limited(api: ApiClient) -> None:
    with pytest.raises(ValueError, match="1000"):
        api.post_plays([object()] * (MAX_PLAYS_BATCH + 1))  # type: ignore[list-item]


def test_enrolment_poll_proves_the_key_and_keeps_the_token(
    fake_server: FakeServer, manual_clock: ManualClock, key: Ed25519PrivateKey
) -> None:
    with requests.Session() as session:
        client = ApiClient(fake_server.base_url, session, CorrectedClock(manual_clock))
        pending = client.enroll(public_key_b64(key), {"software_version": "0.1.0"})
        assert pending.code == "K7Q-2MX"
        status = client.poll_enrolment(key, public_key_b64(key), pending.code)
    assert status.enrolled
    assert (status.token, status.device_id) == ("t0k", 42)
    assert client.token == "t0k"
    body = json.loads(fake_server.requests[-1][3])
    signature = base64.b64decode(body["signature"])
    key.public_key().verify(signature, ENROL_POLL_CONTEXT + b"K7Q-2MX")
    assert "Authorization" not in fake_server.requests[0][2]


def test_an_unreachable_server_is_a_network_error(manual_clock: ManualClock) -> None:
    with requests.Session() as session:
        client = ApiClient("http://127.0.0.1:9", session, CorrectedClock(manual_clock))
        with pytest.raises(NetworkError):
            client.get_plan()


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[Any] = []

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(*args, **kwargs)


def test_every_call_has_a_timeout(fake_server: FakeServer, manual_clock: ManualClock) -> None:
    fake_server.assets["a" * 64] = b"bytes"
    with RecordingSession() as session:
        client = ApiClient(fake_server.base_url, session, CorrectedClock(manual_clock), "t0k")
        client.get_plan()
        client.heartbeat({})
        client.post_plays([])
        with client.download_asset(client.asset_url("a" * 64)) as body:
            list(body.chunks)
    assert len(session.timeouts) == 4
    assert all(t is not None for t in session.timeouts)


def test_urls_given_by_the_server_are_resolved(api: ApiClient) -> None:
    base = api.base_url
    assert api.url("plan") == f"{base}/api/player/v1/plan"
    assert api.url("/api/player/v1/assets/ab") == f"{base}/api/player/v1/assets/ab"
    assert api.url("https://cdn.example/ab") == "https://cdn.example/ab"
    assert api.asset_url("ab" * 32) == f"{base}/api/player/v1/assets/{'ab' * 32}"


def test_error_answers_carry_the_servers_reason(api: ApiClient) -> None:
    with pytest.raises(ApiError) as caught, api.download_asset(api.asset_url("c" * 64)):
        pass
    assert caught.value.status == 404
    assert caught.value.reason == "no such asset"
    assert api.clock.verified  # error answers still set the clock
