"""Unchanged player polls (`GET /api/player/v1/plan` → 304) against an empty route of our app.

Usage: .venv/bin/python bench/poll.py [--seconds 3] [--rounds 7] [--slice 0.25] [--connections 4]
                                      [--campaigns 2] [--rate 200] [--latency-seconds 10]

Sets up a throw-away instance (SQLite, media root, one screen with two approved campaigns
and an enrolled device), then serves it as in production: gunicorn, 2 sync workers, pinned
to core 0 (`taskset -c 0`). The floor is bench/empty_app.py (`signage.create_app()` with the
same config plus one bench-only route, `GET /bench/empty` → 204: the same stack, no work)
under the same gunicorn command, also on core 0. A light load generator (this
file re-executed with `--generate`, raw sockets, threads) runs on core 1:

- closed loop, `--connections` clients, `--rounds` rounds of `--seconds` per side: maximum
  throughput of each server. Within a round the clients switch between the two servers every
  `--slice` seconds (ABBA order), each slice ending when its last answer is in, so both
  sides see the same host: this machine's speed drifts by a third over seconds, which
  made separate consecutive runs of each side disagree by more than the difference measured;
- open loop at `--rate` requests/s for `--latency-seconds`: latency from each request's
  scheduled send time (no coordinated omission) to the end of its answer.

Every answer must be 304 (plan) or 204 (floor); anything else counts as an error. The last
line is `poll_ratio: X`, the median of the per-round plan/floor throughput ratios
(goals: ratio ≥ 0.8, p99 < 50 ms at 200 requests/s).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PLAN_PATH = "/api/player/v1/plan"
FLOOR_PATH = "/bench/empty"
TIMEOUT_S = 5.0
LATENCY_THREADS = 64


# --- the load generator (runs on core 1, in its own process) --------------------------------


def _fetch(port: int, payload: bytes) -> int:
    """One request on a fresh connection; the status code, 0 on a transport error.

    gunicorn's sync worker closes every connection after one answer, so the answer
    ends at EOF (a player polling every 30 s opens a new connection each time too).
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
            sock.sendall(payload)
            head = sock.recv(65536)
            while sock.recv(65536):
                pass
        return int(head[9:12])
    except (OSError, ValueError):
        return 0


def _interleaved(sides: list[dict[str, Any]], slices: int, slice_s: float, connections: int) -> Any:
    """Closed loop over both servers in turn: `slices` slices of `slice_s` seconds each,
    alternating between the sides, `connections` clients each.

    A slice ends when its last request is answered, so no request of one side runs in the
    other's time. Alternating every fraction of a second lets both sides see the same
    host: a machine that slows down for a few seconds slows both alike.
    """
    targets = [(side["port"], side["request"].encode("latin-1")) for side in sides]
    counts: list[Counter[int]] = [Counter() for _ in sides]
    elapsed = [0.0] * len(sides)
    start, end = threading.Barrier(connections + 1), threading.Barrier(connections + 1)
    current: dict[str, Any] = {}
    lock = threading.Lock()

    def client() -> None:
        for _ in range(slices):
            start.wait()
            index, deadline = current["index"], current["deadline"]
            port, payload = targets[index]
            mine: Counter[int] = Counter()
            while time.perf_counter() < deadline:
                mine[_fetch(port, payload)] += 1
            with lock:
                counts[index].update(mine)
            end.wait()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    for n in range(slices):
        index = n % len(sides) if (n // len(sides)) % 2 == 0 else len(sides) - 1 - n % len(sides)
        began = time.perf_counter()
        current.update(index=index, deadline=began + slice_s)
        start.wait()
        end.wait()
        elapsed[index] += time.perf_counter() - began
    for thread in threads:
        thread.join()
    return {
        "cpu": time.process_time() - cpu,
        "elapsed": elapsed,
        "statuses": [{str(k): v for k, v in c.items()} for c in counts],
    }


def _open_loop(port: int, payload: bytes, seconds: float, rate: float) -> dict[str, Any]:
    todo: queue.Queue[float | None] = queue.Queue()
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def worker() -> None:
        while (scheduled := todo.get()) is not None:
            status = _fetch(port, payload)
            done = time.perf_counter()
            with lock:
                results.append((status, done - scheduled))

    threads = [threading.Thread(target=worker) for _ in range(LATENCY_THREADS)]
    for thread in threads:
        thread.start()
    total = round(seconds * rate)
    began, cpu = time.perf_counter(), time.process_time()
    for n in range(total):
        scheduled = began + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        todo.put(scheduled)  # measured from here even when the generator is late
    for _ in threads:
        todo.put(None)
    for thread in threads:
        thread.join()
    return {
        "elapsed": time.perf_counter() - began,
        "cpu": time.process_time() - cpu,
        "sent": total,
        "results": results,
    }


def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one load phase described by `spec`; the figures as JSON-able data."""
    if spec["mode"] == "interleaved":
        return _interleaved(spec["sides"], spec["slices"], spec["slice"], spec["connections"])
    payload = spec["request"].encode("latin-1")
    return _open_loop(spec["port"], payload, spec["seconds"], spec["rate"])


# --- the instance -----------------------------------------------------------------------------


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (192, 108), colour).save(buffer, "PNG")
    return buffer.getvalue()


def write_config(root: Path) -> Path:
    """A config file for a throw-away instance under `root`."""
    config = root / "config.yaml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "database": {"url": f"sqlite:///{root / 'signage.db'}"},
                "media": {"root": str(root / "media")},
                "server": {"secret_key_file": str(root / "instance" / "secret_key")},
                "backup": {"directory": str(root / "backups")},
            },
            indent=2,
        )
    )
    return config


def seed_instance(config: Path, campaigns: int = 2) -> tuple[str, str]:
    """Migrate, seed users, one screen with `campaigns` approved campaigns, an enrolled device.

    Returns the device's bearer token and a description of the schedule.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from signage.adapters.db.migrate import upgrade
    from signage.adapters.passwords import Argon2Hasher
    from signage.bootstrap import build_services
    from signage.config import load_settings, secret_key
    from signage.domain.devices import poll_message

    settings = load_settings(config, environ={})
    secret_key(settings, environ={})  # created once here, not raced by two workers
    svc = build_services(settings, hasher=Argon2Hasher(fast=True))
    try:
        upgrade(svc.engine)
        users = {
            role: svc.users.create_user("bench", role, "correct horse battery", [role])
            for role in ("admin", "staff", "approver")
        }
        screen = svc.locations.create_location(
            "admin",
            {"name": "Bench screen", "screen_width": 1920, "screen_height": 1080, "tags": ["b"]},
        )
        playlists = []
        for n, colours in enumerate((((200, 20, 20), (20, 200, 20)), ((20, 20, 200),))):
            items = []
            for m, colour in enumerate(colours):
                info, _ = svc.media.upload("staff", io.BytesIO(_png(colour)), f"p{n}{m}.png")
                creative = svc.creatives.create_asset_creative("staff", info.sha256, f"p{n}{m}")
                items.append({"creative_id": creative.id, "duration_ms": 8000 + 2000 * m})
            playlists.append(svc.playlists.create_playlist(users["staff"], f"L{n}", items))
        today = datetime.now(UTC).date()
        dates = {
            "first_date": (today - timedelta(days=1)).isoformat(),
            "last_date": (today + timedelta(days=30)).isoformat(),
        }
        entries = (
            {"priority": 5},
            {"window": "08:00-12:00", "weekdays": [0, 1, 2, 3, 4], "priority": 7},
        )
        for n in range(campaigns):
            playlist, entry = playlists[n % 2], entries[n % 2]
            campaign = svc.campaigns.create_campaign(users["staff"], {"name": f"C{n}", **dates})
            svc.campaign_content.add_entry(
                users["staff"],
                campaign.id,
                {"playlist_id": playlist.playlist.id, "location_ids": [screen.id], **entry},
            )
            svc.campaigns.submit(users["staff"], campaign.id)
            svc.campaigns.approve(users["approver"], campaign.id)
        key = Ed25519PrivateKey.generate()
        public = base64.b64encode(
            key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
        enrolment = svc.devices.enrol(public, {"software_version": "bench"}, "127.0.0.1")
        svc.devices.bind_device(users["admin"], enrolment.code, screen.id)
        signature = base64.b64encode(key.sign(poll_message(enrolment.code))).decode()
        answer = svc.devices.poll_enrolment(public, enrolment.code, signature)
        assert answer.token is not None
        schedule = (
            f"one 1920×1080 screen (Asia/Dushanbe), {campaigns} approved campaigns of still "
            "images, alternately 2 items all day (priority 5) and 1 item 08:00-12:00 Mon-Fri "
            "(priority 7)"
        )
        return answer.token, schedule
    finally:
        svc.engine.dispose()


# --- the servers ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A gunicorn master started by this script, in its own process group."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its live workers."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self) -> None:
        """SIGTERM to its process group (gunicorn's graceful stop), SIGKILL after 10 s."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def start_server(
    name: str, app: str, extra: list[str], env: dict[str, str], pin: list[str], work: Path
) -> Server:
    """gunicorn -w 2 (sync workers) on a free loopback port."""
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log = work / f"{name}.log"
    command = [*pin, gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", *extra, app]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, proc, log)


def raw_get(port: int, path: str, headers: dict[str, str]) -> bytes:
    """The bytes of one GET request (HTTP/1.1, Connection: close)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def wait_ready(server: Server, path: str, headers: dict[str, str]) -> None:
    """Until the server answers (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    tail = server.log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"{server.name} server did not start; its log ends:\n{tail}")


def first_plan(port: int, token: str) -> tuple[str, dict[str, Any], int, int]:
    """The full plan once (200): its ETag, document, size; and the status of a 304 check."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", PLAN_PATH, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {PLAN_PATH} answered {response.status}: {body[:300]!r}")
        etag = response.headers["ETag"]
    finally:
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}", "If-None-Match": etag}
        conn.request("GET", PLAN_PATH, headers=headers)
        check = conn.getresponse()
        check.read()
    finally:
        conn.close()
    return etag, json.loads(body), len(body), check.status


# --- driving the generator ----------------------------------------------------------------------


def run_generator(pin: list[str], spec: dict[str, Any]) -> dict[str, Any]:
    """One load phase in a child process on the generator's core."""
    command = [*pin, sys.executable, str(Path(__file__).resolve()), "--generate", json.dumps(spec)]
    limit = spec["seconds"] + 60
    done = subprocess.run(command, capture_output=True, check=True, timeout=limit)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _errors(statuses: dict[str, int], expected: int) -> int:
    return sum(n for status, n in statuses.items() if int(status) != expected)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(args: argparse.Namespace, work: Path, servers: list[Server]) -> None:
    """Set up, start both servers, run the phases, print every figure."""
    have_taskset = shutil.which("taskset") is not None
    cores = os.sched_getaffinity(0)
    pinned = have_taskset and {0, 1} <= cores
    server_pin = ["taskset", "-c", "0"] if pinned else []
    load_pin = ["taskset", "-c", "1"] if pinned else []
    if not pinned:
        why = "taskset is missing" if not have_taskset else "cores 0 and 1 not both usable"
        print(f"NOTE: {why}; server and generator run unpinned, figures are less comparable")

    config = write_config(work)
    token, schedule = seed_instance(config, args.campaigns)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env["SIGNAGE_CONFIG"] = str(config)
    auth = {"Authorization": f"Bearer {token}"}
    servers.append(start_server("plan", "signage:create_app()", [], env, server_pin, work))
    servers.append(
        start_server("floor", "empty_app:app", ["--pythonpath", str(BENCH)], env, server_pin, work)
    )
    plan_server, floor_server = servers
    wait_ready(plan_server, PLAN_PATH, auth)
    wait_ready(floor_server, FLOOR_PATH, {})
    etag, document, size, check = first_plan(plan_server.port, token)
    if check != 304:
        raise SystemExit(f"If-None-Match with the plan's ETag answered {check}, not 304")
    content = sum(1 for s in document["segments"] if s["kind"] == "content")
    sides = {
        "plan": (
            plan_server,
            raw_get(plan_server.port, PLAN_PATH, {**auth, "If-None-Match": etag}),
            304,
        ),
        # The same request bytes but the path: the floor parses the same headers.
        "floor": (
            floor_server,
            raw_get(floor_server.port, FLOOR_PATH, {**auth, "If-None-Match": etag}),
            204,
        ),
    }
    print(f"workload: {schedule}")
    print(
        f"plan document: {size} bytes, {len(document['segments'])} segments ({content} with "
        f"content), {len(document['playlists'])} playlists, {len(document['assets'])} assets; "
        f"polls send its ETag and expect 304"
    )
    print(
        f"servers: gunicorn {_gunicorn_version()} -w 2 (sync) on "
        f"{'core 0' if pinned else 'any core'}; plan = signage:create_app() on SQLite, "
        f"floor = bench/empty_app.py (create_app() + GET {FLOOR_PATH} → 204)"
    )
    print(
        f"generator: {'core 1' if pinned else 'any core'}, raw sockets, one connection per "
        f"request; closed loop {args.connections} clients × {args.seconds:g} s per side × "
        f"{args.rounds} rounds, switching sides every {args.slice:g} s; "
        f"open loop {args.rate:g} req/s × {args.latency_seconds:g} s"
    )
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")

    names = ("plan", "floor")

    def interleaved(seconds: float) -> dict[str, Any]:
        slices = 2 * max(1, round(seconds / args.slice))
        spec = {
            "mode": "interleaved",
            "sides": [
                {"port": sides[n][0].port, "request": sides[n][1].decode("latin-1")} for n in names
            ],
            "slices": slices,
            "slice": args.slice,
            "connections": args.connections,
            "seconds": slices * args.slice,
        }
        return run_generator(load_pin, spec)

    interleaved(2.0)  # warm-up: imports, DB connections, caches

    ratios: list[float] = []
    errors: Counter[str] = Counter()
    for round_no in range(1, args.rounds + 1):
        cpu_before = [sides[n][0].cpu_seconds() for n in names]
        result = interleaved(args.seconds)
        rates: dict[str, float] = {}
        line = []
        for i, name in enumerate(names):
            server, _, expected = sides[name]
            server_cpu = server.cpu_seconds() - cpu_before[i]
            statuses, elapsed = result["statuses"][i], result["elapsed"][i]
            done = sum(statuses.values())
            bad = _errors(statuses, expected)
            errors[name] += bad
            rates[name] = (done - bad) / elapsed
            line.append(
                f"{name} {rates[name]:.0f} req/s ({done} requests in {elapsed:.1f} s, {bad} "
                f"errors, server cpu {1000 * server_cpu / max(done, 1):.2f} ms/req)"
            )
        ratios.append(rates["plan"] / rates["floor"])
        generator = 100 * result["cpu"] / sum(result["elapsed"])
        print(
            f"round {round_no}: {'  '.join(line)}  generator cpu {generator:.0f} %  "
            f"ratio {ratios[-1]:.2f}"
        )

    for name in ("plan", "floor"):
        server, payload, expected = sides[name]
        spec = {
            "mode": "open",
            "port": server.port,
            "request": payload.decode("latin-1"),
            "seconds": args.latency_seconds,
            "rate": args.rate,
        }
        result = run_generator(load_pin, spec)
        good = [lat for status, lat in result["results"] if status == expected]
        bad = len(result["results"]) - len(good)
        errors[f"{name} at {args.rate:g} req/s"] += bad
        if not good:
            print(f"latency {name}: every request failed")
            continue
        ms = [1000 * lat for lat in good]
        print(
            f"latency {name} at {args.rate:g} req/s ({result['sent']} sent, {bad} errors): "
            f"p50 {_percentile(ms, 0.5):.1f} ms  p90 {_percentile(ms, 0.9):.1f} ms  "
            f"p99 {_percentile(ms, 0.99):.1f} ms  max {max(ms):.1f} ms"
        )
    print("errors: " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"poll_ratio: {statistics.median(ratios):.2f}")


def _gunicorn_version() -> str:
    from importlib.metadata import version

    return version("gunicorn")


def main() -> None:
    """Parse the arguments; run the benchmark, or one generator phase with --generate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per side and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--slice", type=float, default=0.25, help="seconds on one side before switching"
    )
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--campaigns", type=int, default=2, help="approved campaigns (≥ 1)")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(generate(json.loads(args.generate))))
        return

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="signage-poll-") as tmp:
        try:
            measure(args, Path(tmp), servers)
        except KeyboardInterrupt:
            print("interrupted; stopping the servers", file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
