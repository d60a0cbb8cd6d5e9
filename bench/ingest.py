"""Benchmark of play ingest: signed records through the real `POST /api/player/v1/plays`.

Run: `.venv/bin/python bench/ingest.py [--records N] [--postgres URL]`. In the same run it
times the floor: the same records, each verified with the same signature library
(`cryptography`, Ed25519) and hashed, then inserted with a raw batched INSERT (the
driver's `executemany`, one transaction per batch of 1,000) into a copy of the
`play_records` table (same columns, same indexes) in the same database. Both take
batches of 1,000. The endpoint verifies a batch on one thread per core (as served);
it is also timed with one thread (`--single` line) for comparison with the one-thread
floor. With `--postgres URL` (or `SIGNAGE_TEST_DATABASE_URL` set) the same is run against
PostgreSQL too, in a schema of its own that is dropped afterwards. The last line is
`ingest_ratio: X` (SQLite endpoint rate / floor rate). Goals: ratio ≥ 0.5, endpoint
≥ 5,000 records/s on SQLite.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from signage_player.keys import public_key_b64
from signage_player.records import GENESIS_HASH, PlayFacts, seal
from werkzeug.serving import make_server

from signage import create_app
from signage.adapters.db.engine import make_engine
from signage.adapters.db.migrate import upgrade
from signage.adapters.passwords import Argon2Hasher
from signage.adapters.signing import Ed25519Verifier
from signage.bootstrap import build_services
from signage.config import load_settings
from signage.domain.assets import AssetInfo, AssetKind

BATCH = 1000
FLOOR_TABLE = "play_records_floor"


def setup(root: Path, url: str | None = None) -> tuple[Any, Any, Ed25519PrivateKey, str]:
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": url or f"sqlite:///{root / 'signage.db'}"},
            "media": {"root": str(root / "media")},
            "server": {"secret_key_file": str(root / "instance" / "secret_key")},
        },
    )
    services = build_services(settings, hasher=Argon2Hasher(fast=True))
    upgrade(services.engine)
    admin = services.users.create_user("bench", "admin", "correct horse battery", ["admin"])
    where = services.locations.create_location(
        "bench", {"name": "Bench site", "screen_width": 1920, "screen_height": 1080}
    )
    sha = hashlib.sha256(b"bench poster").hexdigest()
    with services.uow_factory() as uow:
        info = AssetInfo(sha, AssetKind.IMAGE, "image/png", 1920, 1080, None, 1000)
        uow.assets.add(info, "poster.png", services.clock.now(), "bench")
        uow.commit()
    key = Ed25519PrivateKey.generate()
    public = public_key_b64(key)
    pending = services.devices.enrol(public, {"software_version": "bench"}, "192.0.2.9")
    services.devices.bind_device(admin, pending.code, where.id)
    signature = base64.b64encode(key.sign(b"signage-enroll-poll:" + pending.code.encode()))
    answer = services.devices.poll_enrolment(public, pending.code, signature.decode("ascii"))
    return services, answer, key, sha


def make_records(key: Ed25519PrivateKey, device_id: int, sha: str, n: int) -> list[dict[str, Any]]:
    start = int(datetime.now(UTC).timestamp() * 1000) - n * 8000 - 60_000
    prev, records = GENESIS_HASH, []
    for seq in range(1, n + 1):
        facts = PlayFacts(
            1, sha, 1, 1, 1, start + seq * 8000, start + seq * 8000 + 8000, 0, True, "completed"
        )
        record = seal(facts, key=key, device_id=device_id, seq=seq, prev_hash=prev)
        prev = record.record_hash()
        records.append(record.to_json())
    return records


def endpoint(services: Any, token: str, bodies: list[bytes]) -> float:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/player/v1/plays"
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        began = time.perf_counter()
        for body in bodies:
            response = session.post(url, data=body, headers=headers, timeout=120)
            response.raise_for_status()
            outcomes = {r["status"] for r in response.json()["results"]}
            assert outcomes == {"accepted"}, outcomes
        return time.perf_counter() - began
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _floor_rows(
    public_raw: bytes, device_id: int, batch: list[dict[str, Any]], columns: list[str], at: Any
) -> list[list[Any]]:
    public = Ed25519PublicKey.from_public_bytes(public_raw)
    rows = []
    for record in batch:
        canonical = _canonical(record)
        public.verify(base64.b64decode(record["signature"]), canonical)
        digest = hashlib.sha256(canonical + b"." + record["signature"].encode()).hexdigest()
        values = {
            **record,
            "device_id": device_id,
            "hash": digest,
            "canonical": canonical.decode(),
            "received_at": at,
            "note": None,
        }
        rows.append([values[c] for c in columns])
    return rows


def floor(
    db: Path, public_raw: bytes, device_id: int, batches: list[list[dict[str, Any]]]
) -> float:
    """SQLite: verify, hash, sqlite3 executemany into a copy of the table."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    schema = conn.execute(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'play_records' AND sql IS NOT NULL"
    ).fetchall()
    for kind, sql in sorted(schema, key=lambda row: row[0] != "table"):
        sql = sql.replace("play_records", FLOOR_TABLE)
        if kind == "index":
            sql = sql.replace("INDEX ix_", "INDEX floor_ix_").replace(
                "INDEX uq_", "INDEX floor_uq_"
            )
        conn.execute(sql)
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({FLOOR_TABLE})")]
    insert = (
        f"INSERT INTO {FLOOR_TABLE} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    received = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    began = time.perf_counter()
    for batch in batches:
        rows = _floor_rows(public_raw, device_id, batch, columns, received)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def floor_postgres(
    engine: Any, public_raw: bytes, device_id: int, batches: list[list[dict[str, Any]]]
) -> float:
    """PostgreSQL: verify, hash, psycopg executemany into a copy of the table."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE play_records INCLUDING ALL)")
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = current_schema() "
                "ORDER BY ordinal_position",
                (FLOOR_TABLE,),
            )
            columns = [row[0] for row in cursor.fetchall()]
        conn.commit()
        insert = (
            f"INSERT INTO {FLOOR_TABLE} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
            f"VALUES ({', '.join('%s' for _ in columns)})"
        )
        received = datetime.now(UTC)
        began = time.perf_counter()
        for batch in batches:
            rows = _floor_rows(public_raw, device_id, batch, columns, received)
            with conn.cursor() as cursor:
                cursor.executemany(insert, rows)
            conn.commit()
        return time.perf_counter() - began
    finally:
        raw.close()


def _single_thread(services: Any) -> Any:
    """The same services with the signatures checked on the calling thread alone."""
    player = dataclasses.replace(services.player, verifier=Ed25519Verifier(threads=1))
    return dataclasses.replace(services, player=player)


def run(root: Path, n: int, postgres: str | None, label: str) -> tuple[float, float, float]:
    """Endpoint (threads per core), endpoint (one thread), floor: records/s each; each
    endpoint run on a database of its own."""
    rates = []
    floor_rate = 0.0
    for single in (False, True):
        here = root / ("one" if single else "all")
        with postgres_schema(postgres) if postgres else contextlib.nullcontext(None) as url:
            services, answer, key, sha = setup(here, url)
            if single:
                services = _single_thread(services)
            records = make_records(key, answer.device_id, sha, n)
            batches = [records[i : i + BATCH] for i in range(0, n, BATCH)]
            bodies = [json.dumps({"records": batch}).encode() for batch in batches]
            elapsed = endpoint(services, answer.token, bodies)
            with services.uow_factory(readonly=True) as uow:
                stored = uow.plays.count_for(answer.device_id)
            assert stored == n, stored
            threads = services.player.verifier.threads
            name = f"endpoint, {threads} thread{'s' if threads > 1 else ''}"
            print(f"{label} {name}: {n} records in {elapsed:.2f} s = {n / elapsed:,.0f} records/s")
            rates.append(n / elapsed)
            if not single:
                raw_key = key.public_key().public_bytes_raw()
                if url is None:
                    services.engine.dispose()
                    base = floor(here / "signage.db", raw_key, answer.device_id, batches)
                else:
                    base = floor_postgres(services.engine, raw_key, answer.device_id, batches)
                print(f"{label} floor: {n} records in {base:.2f} s = {n / base:,.0f} records/s")
                floor_rate = n / base
            services.engine.dispose()
    return rates[0], rates[1], floor_rate


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throw-away schema on the server of `url`: the URL that uses it, dropped after."""
    name = f"bench_ingest_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    try:
        joiner = "&" if "?" in url else "?"
        yield f"{url}{joiner}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("SIGNAGE_TEST_DATABASE_URL"))
    args = parser.parse_args()
    n = args.records - args.records % BATCH or BATCH
    print(f"{n} records of one device in batches of {BATCH}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="signage-bench-ingest-") as tmp:
        root = Path(tmp)
        if args.postgres:
            pg_rate, _, pg_floor = run(root / "pg", n, args.postgres, "postgresql")
            print(f"postgresql ratio: {pg_rate / pg_floor:.2f}")
        rate, _, floor_rate = run(root / "sqlite", n, None, "sqlite")
    print(f"ingest_ratio: {rate / floor_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
