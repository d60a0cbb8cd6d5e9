"""Server-side play-record rules, checked against records made by the real player code."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from signage_player import records as player_records

from signage.domain import playlog
from signage.domain.errors import ValidationError

T0 = 1_760_000_000_000
HOUR = 3_600_000
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TAJIK = "Аз шиканҷа ва беҷазоӣ даст кашед!"


def player_record(**changes: object) -> player_records.PlayRecord:
    facts = player_records.PlayFacts(
        location_id=1,
        asset_sha256="ab" * 32,
        playlist_id=5,
        entry_id=12,
        approval_id=7,
        started_at_ms=T0,
        ended_at_ms=T0 + 10_000,
        device_clock_offset_ms=-1250,
        clock_verified=True,
        status="completed",
        reason=None,
    )
    return player_records.seal(
        replace(facts, **changes),  # type: ignore[arg-type]
        key=KEY,
        device_id=3,
        seq=1,
        prev_hash=playlog.GENESIS_HASH,
    )


def server_record(**changes: object) -> playlog.PlayRecord:
    return playlog.parse_record(player_record(**changes).to_json())


ids = st.one_of(st.none(), st.integers(0, 2**53 - 1), st.text(min_size=1, max_size=12))


@given(
    location_id=ids,
    playlist_id=ids,
    reason=st.one_of(st.none(), st.text(max_size=40), st.just(TAJIK)),
    started=st.integers(0, 2**52),
    offset=st.integers(-(2**40), 2**40),
    verified=st.booleans(),
    status=st.sampled_from(playlog.STATUSES),
)
def test_canonical_bytes_are_identical_on_device_and_server(
    location_id: str | int | None,
    playlist_id: str | int | None,
    reason: str | None,
    started: int,
    offset: int,
    verified: bool,
    status: str,
) -> None:
    record = player_record(
        location_id=location_id,
        playlist_id=playlist_id,
        reason=reason,
        started_at_ms=started,
        ended_at_ms=started + 1,
        device_clock_offset_ms=offset,
        clock_verified=verified,
        status=status,
    ).to_json()
    assert playlog.canonical_bytes(record) == player_records.canonical_bytes(record)
    server = playlog.PlayRecord(**record)  # type: ignore[arg-type]
    assert server.record_hash() == player_records.PlayRecord.from_json(record).record_hash()


def test_a_player_record_parses_and_its_signature_verifies() -> None:
    sent = player_record(status="interrupted", reason=TAJIK)
    parsed = playlog.parse_record(sent.to_json())
    assert parsed.reason == TAJIK
    assert parsed.record_hash() == sent.record_hash()
    # What the server's signing adapter does, with the domain's bytes.
    KEY.public_key().verify(playlog.signature_bytes(parsed.signature), parsed.canonical_bytes())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ended_at_ms", T0 + 0.5),
        ("seq", True),
        ("seq", 0),
        ("status", "skipped"),
        ("id", "6F1C2A4E-8B7D-4C1E-9F3A-2D5B7C9E0A11"),
        ("id", "not-a-uuid"),
        ("id", "6f1c2a4e8b7d4c1e9f3a2d5b7c9e0a11"),
        ("id", "{6f1c2a4e-8b7d-4c1e-9f3a-2d5b7c9e0a11}"),
        ("id", "6f1c2a4e-8b7d-4c1e-9f3a-2d5b7c9e0a11\n"),
        ("asset_sha256", "AB" * 32),
        ("asset_sha256", "ab" * 32 + "\n"),
        ("prev_hash", "0" * 64 + "\n"),
        ("prev_hash", None),
        ("device_id", None),
        ("device_id", ""),
        ("clock_verified", 1),
        ("signature", "!!!"),
        ("signature", "AAAA"),
        ("reason", 7),
        ("started_at_ms", -1),
        ("started_at_ms", 2**60),
    ],
)
def test_structural_faults_name_the_field(field: str, value: object) -> None:
    data = {**player_record().to_json(), field: value}
    with pytest.raises(ValidationError) as caught:
        playlog.parse_record(data)
    assert caught.value.field == field


def test_missing_and_unknown_fields_are_refused() -> None:
    data = player_record().to_json()
    with pytest.raises(ValidationError, match="reason"):
        playlog.parse_record({k: v for k, v in data.items() if k != "reason"})
    with pytest.raises(ValidationError, match="signature"):
        playlog.parse_record({k: v for k, v in data.items() if k != "signature"})
    with pytest.raises(ValidationError, match="extra"):
        playlog.parse_record({**data, "extra": 1})
    with pytest.raises(ValidationError):
        playlog.parse_record([data])


def test_chain_links() -> None:
    genesis = playlog.GENESIS_HASH
    assert playlog.link_problem(1, genesis, None) is None
    assert playlog.link_problem(1, "1" * 64, None) is not None
    assert playlog.link_problem(2, "1" * 64, "1" * 64) is None
    assert playlog.link_problem(2, "1" * 64, "2" * 64) is not None
    # The predecessor has not arrived: stored, judged when it comes.
    assert playlog.link_problem(7, "1" * 64, None) is None


def test_gaps_are_derived_and_closed_by_late_records() -> None:
    assert playlog.missing_ranges([]) == []
    assert playlog.missing_ranges([1, 2, 3]) == []
    assert playlog.missing_ranges([3]) == [(1, 2)]
    assert playlog.missing_ranges([1, 2, 5, 6, 9]) == [(3, 4), (7, 8)]
    assert playlog.missing_ranges([1, 2, 5, 6, 9, 3, 4]) == [(7, 8)]


@given(st.sets(st.integers(1, 300)))
def test_gaps_and_present_seqs_tile_one_to_max(present: set[int]) -> None:
    gaps = playlog.missing_ranges(present)
    missing = {seq for first, last in gaps for seq in range(first, last + 1)}
    assert not missing & present
    assert missing | present == set(range(1, max(present, default=0) + 1))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ended_at_ms": T0 - 1}, "ends before it starts"),
        ({"ended_at_ms": T0 + 25 * HOUR}, "longer than 24 h"),
        ({"started_at_ms": T0 + 2 * HOUR, "ended_at_ms": T0 + 2 * HOUR}, "starts in the future"),
        ({"ended_at_ms": T0 + 2 * HOUR}, "ends in the future"),
        ({"started_at_ms": T0 - 48 * HOUR, "ended_at_ms": T0 - 47 * HOUR}, "enrolled"),
    ],
)
def test_implausible_records_say_why(changes: dict[str, int], reason: str) -> None:
    record = server_record(**changes)
    found = playlog.implausibility(record, now_ms=T0 + HOUR, enrolled_at_ms=T0 - 24 * HOUR)
    assert found is not None
    assert reason in found


def test_a_plausible_record_has_no_reason() -> None:
    record = server_record()
    assert playlog.implausibility(record, now_ms=T0 + HOUR, enrolled_at_ms=T0 - HOUR) is None
    # A little clock skew is tolerated.
    assert playlog.implausibility(record, now_ms=T0 + 5_000, enrolled_at_ms=T0 + 60_000) is None


def test_counting_rule() -> None:
    record = server_record(ended_at_ms=T0 + 10_500)
    assert playlog.counts(record, 10_000)
    assert not playlog.counts(server_record(ended_at_ms=T0 + 10_501), 10_000)
    assert playlog.counts(server_record(ended_at_ms=T0 + 9_500), 10_000)
    assert not playlog.counts(server_record(ended_at_ms=T0 + 9_499), 10_000)
    assert not playlog.counts(server_record(status="interrupted", reason="boundary"), 10_000)
    # Unverified clocks still count; the caller marks them.
    assert playlog.counts(server_record(clock_verified=False), 10_000)


def test_exclusion_reasons_explain_the_shortfall() -> None:
    now = T0 + HOUR

    def why(record: playlog.PlayRecord) -> str | None:
        return playlog.exclusion_reason(record, 10_000, now_ms=now, enrolled_at_ms=None)

    assert why(server_record()) is None
    assert why(server_record(status="interrupted", reason="boundary")) == "interrupted: boundary"
    assert why(server_record(ended_at_ms=T0 + 4_000)) == "ran 4000 ms, expected 10000 ms"
    assert why(server_record(ended_at_ms=T0 - 1)) == "ends before it starts"
