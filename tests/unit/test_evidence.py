"""Evidence bundles: a clean one verifies; each kind of tampering is named precisely."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest

from signage.domain.errors import ValidationError
from signage.domain.evidence import (
    CHECKPOINTS,
    MANIFEST,
    PLAYS_CSV,
    DeviceEvidence,
    build_bundle,
    chain_path,
)
from signage.domain.evidence_checkpoint import (
    GENESIS_DIGEST,
    ChainHead,
    parse_checkpoint,
    parse_signed_checkpoint,
    public_key_pem,
    raw_public_key,
)
from signage.domain.evidence_verify import Finding, Problem, VerificationReport, verify_bundle
from tests.unit import evidence_fixtures as fx

DEVICE3 = chain_path(3)


def verify(files: dict[str, bytes]) -> VerificationReport:
    return verify_bundle(files, fx.ed25519_check)


def only(report: VerificationReport) -> Finding:
    assert len(report.findings) == 1, report.lines()
    return report.findings[0]


def line_of(files: dict[str, bytes], path: str, seq: int) -> tuple[list[dict[str, object]], int]:
    rows = fx.lines(files, path)
    [index] = [n for n, row in enumerate(rows) if row["seq"] == seq]
    return rows, index


@pytest.fixture
def files() -> dict[str, bytes]:
    return fx.bundle()


def test_a_clean_bundle_verifies(files: dict[str, bytes]) -> None:
    report = verify(files)
    assert report.ok, report.lines()
    assert sorted(files) == [
        CHECKPOINTS,
        "devices/3/chain.jsonl",
        "devices/3/public_key.pem",
        "devices/5/chain.jsonl",
        "devices/5/public_key.pem",
        MANIFEST,
        PLAYS_CSV,
        "server_public_key.pem",
    ]
    # Device 3: seqs 3-10 without the gap at 4; device 5: 3-6. Campaign plays in the
    # period: device 3's 3, 5 (interrupted), 7 and device 5's 3-6: 7 plays, 6 counted.
    assert (report.plays, report.counted_plays, report.counted_ms) == (7, 6, 60_000)
    assert report.declared_gaps == (("3", 4, 4),)
    assert [seq for seq, _ in report.checkpoints] == [2, 3]
    assert report.lines()[-1] == "OK"


def test_other_campaigns_records_are_reduced_and_still_link(files: dict[str, bytes]) -> None:
    rows = fx.lines(files, DEVICE3)
    reduced = [row for row in rows if "signature" not in row]
    assert [row["seq"] for row in reduced] == [6, 8, 10]
    assert all(sorted(row) == ["hash", "id", "prev_hash", "seq"] for row in reduced)
    report = verify(files)
    assert report.ok
    assert (report.full_records, report.reduced_records) == (4 + 4, 3)


def test_a_reduced_records_hash_edited_breaks_the_next_link(files: dict[str, bytes]) -> None:
    rows, index = line_of(files, DEVICE3, 6)
    original = rows[index]["hash"]
    rows[index]["hash"] = "f" * 64
    fx.put_lines(files, DEVICE3, rows)
    finding = only(verify(files))
    assert (finding.problem, finding.device_id, finding.seq) == (Problem.CHAIN_BREAK, 3, 7)
    assert (finding.expected, finding.found) == ("f" * 64, original)


def test_a_changed_field_names_the_record(files: dict[str, bytes]) -> None:
    rows, index = line_of(files, DEVICE3, 7)
    rows[index]["location_id"] = 99
    fx.put_lines(files, DEVICE3, rows)
    finding = only(verify(files))
    assert finding.problem is Problem.ALTERED_RECORD
    assert (finding.device_id, finding.seq, finding.record_id) == (3, 7, rows[index]["id"])
    assert finding.failed == ("signature", "hash")


def test_a_changed_field_with_its_hash_recomputed_also_breaks_the_chain(
    files: dict[str, bytes],
) -> None:
    from signage.domain import playlog

    rows, index = line_of(files, DEVICE3, 7)
    rows[index]["location_id"] = 99
    body = {k: v for k, v in rows[index].items() if k != "hash"}
    forged_hash = playlog.parse_record(body).record_hash()
    rows[index]["hash"] = forged_hash
    fx.put_lines(files, DEVICE3, rows)
    report = verify(files)
    [altered] = report.of(Problem.ALTERED_RECORD)
    assert (altered.seq, altered.failed) == (7, ("signature",))
    [broken] = report.of(Problem.CHAIN_BREAK)
    assert (broken.seq, broken.expected) == (8, forged_hash)
    assert len(report.findings) == 2


def test_a_deleted_record_is_an_undeclared_gap(files: dict[str, bytes]) -> None:
    rows, index = line_of(files, DEVICE3, 6)
    del rows[index]
    fx.put_lines(files, DEVICE3, rows)
    finding = only(verify(files))
    assert (finding.problem, finding.device_id) == (Problem.MISSING_RECORDS, 3)
    assert (finding.seq, finding.last_seq) == (6, 6)


def test_a_record_inserted_with_another_key_is_named(files: dict[str, bytes]) -> None:
    rows, index = line_of(files, DEVICE3, 6)
    prev = rows[index]["prev_hash"]
    forged = fx.seal(3, 6, str(prev), key=fx.OTHER_KEY)
    rows.insert(index, {**forged.to_json(), "hash": forged.record_hash()})
    fx.put_lines(files, DEVICE3, rows)
    report = verify(files)
    [altered] = report.of(Problem.ALTERED_RECORD)
    assert (altered.device_id, altered.seq, altered.record_id) == (3, 6, forged.id)
    assert altered.failed == ("signature",)
    [duplicate] = report.of(Problem.DUPLICATE_SEQ)
    assert duplicate.seq == 6
    assert len(report.findings) == 2


def test_an_edited_prev_hash_names_the_break(files: dict[str, bytes]) -> None:
    rows, index = line_of(files, DEVICE3, 7)
    true_prev = rows[index]["prev_hash"]
    rows[index]["prev_hash"] = "0" * 63 + "1"
    fx.put_lines(files, DEVICE3, rows)
    report = verify(files)
    [broken] = report.of(Problem.CHAIN_BREAK)
    assert (broken.device_id, broken.seq) == (3, 7)
    assert (broken.expected, broken.found) == (true_prev, "0" * 63 + "1")
    [altered] = report.of(Problem.ALTERED_RECORD)
    assert altered.seq == 7
    assert len(report.findings) == 2


def test_a_tail_cut_before_the_checkpointed_head(files: dict[str, bytes]) -> None:
    rows = [row for row in fx.lines(files, DEVICE3) if int(str(row["seq"])) <= 8]
    fx.put_lines(files, DEVICE3, rows)
    report = verify(files)
    [head] = report.of(Problem.HEAD_MISMATCH)
    assert (head.device_id, head.checkpoint_seq, head.seq, head.found) == (3, 2, 10, None)
    assert "the chain ends at seq 8" in head.message
    [missing] = report.of(Problem.MISSING_RECORDS)
    assert (missing.seq, missing.last_seq) == (9, 10)
    assert len(report.findings) == 2


def test_an_edited_checkpoint_fails_its_signature_and_the_next_link(
    files: dict[str, bytes],
) -> None:
    rows = fx.lines(files, CHECKPOINTS)
    first = rows[0]["checkpoint"]
    assert isinstance(first, dict)
    original = parse_signed_checkpoint(rows[0]).checkpoint.digest()
    first["devices"]["5"]["seq"] = 3
    fx.put_lines(files, CHECKPOINTS, rows)
    report = verify(files)
    [signature] = report.of(Problem.CHECKPOINT_SIGNATURE)
    assert signature.checkpoint_seq == 2
    [link] = report.of(Problem.CHECKPOINT_LINK)
    assert (link.checkpoint_seq, link.found) == (3, original)
    [digest] = report.of(Problem.CHECKPOINT_DIGEST)
    assert (digest.checkpoint_seq, digest.expected) == (2, original)
    assert len(report.findings) == 3


def test_a_changed_csv_total_is_named(files: dict[str, bytes]) -> None:
    text = files[PLAYS_CSV].decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[-2].startswith("TOTAL,7,")
    assert lines[-2].endswith(",6,60.000")
    lines[-2] = lines[-2][: -len(",6,60.000")] + ",7,70.000"
    files[PLAYS_CSV] = "\r\n".join(lines).encode("utf-8-sig")
    fx.rehash(files, PLAYS_CSV)
    report = verify(files)
    assert sorted((f.file, f.total, f.expected, f.found) for f in report.findings) == [
        (PLAYS_CSV, "counted plays", "6", "7"),
        (PLAYS_CSV, "counted seconds", "60.000", "70.000"),
    ]
    assert {f.problem for f in report.findings} == {Problem.CSV_TOTAL}


def test_a_changed_csv_row_is_named(files: dict[str, bytes]) -> None:
    text = files[PLAYS_CSV].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    [cut] = [row for row in rows if row["status"] == "interrupted"]
    # The interrupted play is the only one that does not count; claim it did.
    edited = text.replace(",no,0.000", ",yes,4.000", 1)
    files[PLAYS_CSV] = edited.encode("utf-8-sig")
    fx.rehash(files, PLAYS_CSV)
    report = verify(files)
    [row] = report.of(Problem.CSV_ROW)
    assert (row.device_id, row.seq, row.record_id) == (3, 5, cut["record_id"])
    assert (row.expected, row.found) == (
        f"{cut['record_id']} no 0.000",
        f"{cut['record_id']} yes 4.000",
    )
    assert len(report.findings) == 1  # its TOTAL line still tells the truth


def test_a_changed_manifest_hash_is_named(files: dict[str, bytes]) -> None:
    manifest = json.loads(files[MANIFEST])
    manifest["files"][PLAYS_CSV] = "0" * 64
    files[MANIFEST] = json.dumps(manifest).encode()
    finding = only(verify(files))
    assert (finding.problem, finding.file, finding.expected) == (
        Problem.FILE_HASH,
        PLAYS_CSV,
        "0" * 64,
    )


def test_a_file_changed_without_the_manifest_is_named(files: dict[str, bytes]) -> None:
    files[PLAYS_CSV] = files[PLAYS_CSV].replace(b"Asia/Dushanbe", b"Asia/Tashkent")
    report = verify(files)
    assert [f.file for f in report.of(Problem.FILE_HASH)] == [PLAYS_CSV]


def test_a_missing_device_key_fails_every_signature(files: dict[str, bytes]) -> None:
    files["devices/3/public_key.pem"] = public_key_pem(fx.raw(fx.OTHER_KEY))
    fx.rehash(files, "devices/3/public_key.pem")
    report = verify(files)
    assert {f.seq for f in report.of(Problem.ALTERED_RECORD)} == {3, 5, 7, 9}
    assert all(f.failed == ("signature",) for f in report.findings)


# ---------------------------------------------------------------------------
# The CSV, the checkpoint format, the builder's refusals
# ---------------------------------------------------------------------------


def test_the_csv_has_a_bom_local_and_utc_times_and_neutralised_formulas(
    files: dict[str, bytes],
) -> None:
    data = files[PLAYS_CSV]
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    first = rows[0]
    assert (first["device_id"], first["seq"]) == ("3", "3")
    # T0 + 90 s = 2025-10-09 08:54:50 UTC = 13:54:50 in Dushanbe (UTC+5).
    assert first["started_utc"] == "2025-10-09T08:54:50.000Z"
    assert first["started_local"] == "2025-10-09T13:54:50.000+05:00"
    kathmandu = next(row for row in rows if row["device_id"] == "5")
    assert kathmandu["started_local"].endswith("+05:45")
    [cut] = [row for row in rows if row["status"] == "interrupted"]
    assert cut["reason"] == '\'=HYPERLINK("x") ' + fx.TAJIK
    assert (cut["counted"], cut["counted_seconds"]) == ("no", "0.000")
    assert rows[-1]["device_id"] == "TOTAL"


def test_checkpoints_link_by_digest_and_round_trip() -> None:
    devices = {3: fx.chain(3, 10), 5: fx.chain(5, 6)}
    one, two, three = fx.checkpoints(devices)
    assert one.checkpoint.previous == GENESIS_DIGEST
    assert two.checkpoint.previous == one.checkpoint.digest()
    assert three.checkpoint.previous == two.checkpoint.digest()
    parsed = parse_signed_checkpoint(json.loads(json.dumps(two.to_json())))
    assert parsed == two
    assert two.checkpoint.head_of(3) == ChainHead(10, devices[3][-1].record_hash())
    assert two.checkpoint.to_json()["created_at"] == "2025-10-09T09:00:00.000Z"
    assert fx.ed25519_check(fx.raw(fx.SERVER_KEY), two.checkpoint.canonical_bytes(), two.signature)


def test_a_checkpoint_digest_with_a_trailing_newline_is_refused() -> None:
    one = fx.checkpoints({3: fx.chain(3, 10), 5: fx.chain(5, 6)})[0]
    document = one.checkpoint.to_json()
    assert parse_checkpoint(document) == one.checkpoint
    with pytest.raises(ValidationError, match="previous"):
        parse_checkpoint({**document, "previous": f"{document['previous']}\n"})
    head = {"seq": 2, "hash": f"{document['devices']['3']['hash']}\n"}
    with pytest.raises(ValidationError, match="hash"):
        parse_checkpoint({**document, "devices": {"3": head}})


def test_public_keys_travel_as_pem_that_reads_back() -> None:
    from cryptography.hazmat.primitives import serialization

    raw = fx.raw(fx.SERVER_KEY)
    pem = public_key_pem(raw)
    assert raw_public_key(pem) == raw
    loaded = serialization.load_pem_public_key(pem)
    assert loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    with pytest.raises(ValidationError):
        raw_public_key(
            b"-----BEGIN PUBLIC KEY-----\n"
            + base64.b64encode(b"x" * 44)
            + b"\n-----END PUBLIC KEY-----\n"
        )


def test_a_bundle_needs_a_checkpoint_after_the_period() -> None:
    records = fx.chain(5, 6)
    early = fx.checkpoints({3: fx.chain(3, 10), 5: records})[:2]  # heads device 5 at 4
    with pytest.raises(ValidationError, match="no checkpoint covers device 5"):
        build_bundle(
            campaign_id=1,
            approval_ids={7},
            period_start=fx.instant(fx.T0),
            period_end=fx.instant(fx.T0 + 270_000),
            devices=[DeviceEvidence(5, 50, "Asia/Kathmandu", fx.raw(fx.DEVICE_KEYS[5]), records)],
            checkpoints=early,
            server_public_key=fx.raw(fx.SERVER_KEY),
            expected_durations=fx.EXPECTED,
            created_at=fx.instant(fx.T0 + 600_000),
        )
