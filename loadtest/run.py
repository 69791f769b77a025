"""Load test of ``tradetrace serve``: many analysts screening names and opening exposures at once.

Run with ``make loadtest`` or ``python loadtest/run.py --db PATH [--clients 50] [--seconds 20]``.
It starts the real server (``python -m tradetrace --db PATH serve``) on a free loopback
port, waits for ``/health``, then runs ``--clients`` closed-loop clients (each sends its
next request as soon as the last one is answered) for ``--seconds`` against a mix of

* ``POST /screen``: batches of 1-20 names drawn from the store's entity names and
  misspellings of them, each with an ``as_of`` day; and
* ``GET /exposure/{target}``: AURUS by entity id, by its Cyrillic name and by its INN, and
  entities found with ``/entities?q=`` searches, some with a ``from``/``to`` period.

Every request is timed from its first byte sent to its last byte received, and every
one counts: the first request for an exposure pays for computing it. An error is a
non-2xx answer or a transport error. The exit status is 1 when there was an error or
p99 reached ``--p99-target`` ms. The last line is always
``loadtest: N requests, E errors, p50 X ms, p99 Y ms``.

The clients speak HTTP/1.1 over asyncio streams, one keep-alive connection each. httpx
costs milliseconds of CPU per request: on two cores it saturated at ~230 requests/s and
its own queueing, not the server, set the latencies. Setup calls still use httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import duckdb
import httpx

AURUS_TARGETS = ("tt-inn-7743237789", "ООО «АУРУС»", "7743237789")
AS_OF_DAYS = ("2022-02-24", "2023-06-30", "2024-03-01", "2025-01-01")
#: Most exposures are opened for the whole record, some for a period.
PERIODS: tuple[dict[str, str], ...] = (
    {},
    {},
    {},
    {"from": "2018-01-01", "to": "2023-12-31"},
    {"from": "2022-02-24"},
)
SCREEN_SHARE = 0.5  # half the requests screen a batch, half open an exposure
SCREEN, EXPOSURE = "POST /screen", "GET /exposure/{target}"
TIMEOUT = 60.0


@dataclass
class Workload:
    """Everything the clients draw from, fixed before the clock starts."""

    names: list[str]
    targets: list[tuple[str, str]]  # (target, role)


@dataclass
class Tally:
    """Latencies (ms) and failures of one endpoint."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen:
    """``tradetrace serve`` as a user runs it, on loopback (so no API key is needed)."""
    env = {k: v for k, v in os.environ.items() if k != "TRADETRACE_API_KEY"}
    cmd = [sys.executable, "-m", "tradetrace", "--db", str(db), "serve", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{tail(log)}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer /health within {timeout:.0f} s:\n{tail(log)}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text("utf-8", errors="replace")[-chars:] if log.exists() else ""


# -- the workload ---------------------------------------------------------------------------------


def store_names(db: Path) -> list[str]:
    """Every entity name and alias spelling in the store (read before the server starts)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT name FROM entities UNION SELECT unnest(aliases).name FROM entities"
        ).fetchall()
    return sorted({name for (name,) in rows if name})


def misspell(name: str, rng: random.Random) -> str:
    """One typing slip: a letter dropped, doubled, swapped with its neighbour or replaced."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:-1])
    slip = rng.choice(("drop", "double", "swap", "replace"))
    if slip == "drop":
        return name[:i] + name[i + 1 :]
    if slip == "double":
        return name[:i] + name[i] + name[i:]
    if slip == "swap":
        return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]
    return name[:i] + rng.choice("AEIOUАЕИОУ") + name[i + 1 :]


def find_targets(base: str, names: list[str], count: int, rng: random.Random) -> list[tuple]:
    """Entities found as an analyst finds them, by searching a name; each with its main role."""
    found: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        for name in rng.sample(names, min(len(names), count * 4)):
            if len(found) >= count:
                break
            hits = client.get("/entities", params={"q": name, "limit": 1}).raise_for_status()
            for hit in hits.json():
                if hit["entity_id"] in found or hit["entity_id"] == AURUS_TARGETS[0]:
                    continue
                detail = client.get(f"/entities/{hit['entity_id']}").raise_for_status().json()
                role = "importer" if detail["importer_lines"] else "exporter"
                found[hit["entity_id"]] = role
    return [*((t, "importer") for t in AURUS_TARGETS), *found.items()]


def build_workload(names: list[str], base: str, targets: int, seed: int) -> Workload:
    rng = random.Random(seed)
    misspelt = [misspell(name, rng) for name in names]
    return Workload(names + misspelt, find_targets(base, names, targets, rng))


def screen_request(work: Workload, rng: random.Random) -> tuple[str, str, bytes]:
    batch: list = rng.sample(work.names, min(len(work.names), rng.randint(1, 20)))
    if rng.random() < 0.3:  # some callers send the country too
        batch[0] = {"name": batch[0], "country": rng.choice(("RU", "CN", "KR", "TR"))}
    body = {"names": batch, "as_of": rng.choice(AS_OF_DAYS)}
    return "POST", "/screen", json.dumps(body, ensure_ascii=False).encode("utf-8")


def exposure_request(work: Workload, rng: random.Random) -> tuple[str, str, bytes]:
    target, role = rng.choice(work.targets)
    params = {**rng.choice(PERIODS), **({"role": role} if role != "importer" else {})}
    query = f"?{urlencode(params)}" if params else ""
    return "GET", f"/exposure/{quote(target, safe='')}{query}", b""


# -- the clients ----------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened after an error or a long idle spell."""

    IDLE = 3.0  # below uvicorn's keep-alive timeout (5 s), so it never closes one under us

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.used = 0.0

    async def request(self, method: str, target: str, body: bytes) -> int:
        """Send one request and read the whole answer; its status code."""
        if self.streams is None or time.monotonic() - self.used > self.IDLE:
            await self.close()
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if method == "POST":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode("ascii") + b"\r\n" + body)
        status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        if headers.get("transfer-encoding") == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
        self.used = time.monotonic()
        if headers.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    return int(status_line.split(" ", 2)[1]), headers


async def client_loop(
    base: str, work: Workload, stop: float, rng: random.Random, tallies: dict
) -> None:
    url = urlsplit(base)
    connection = Connection(url.hostname or "127.0.0.1", url.port or 80)
    try:
        while time.monotonic() < stop:
            screen = rng.random() < SCREEN_SHARE
            method, target, body = (screen_request if screen else exposure_request)(work, rng)
            started = time.perf_counter()
            try:
                async with asyncio.timeout(TIMEOUT):
                    status = await connection.request(method, target, body)
                failure = None if 200 <= status < 300 else f"HTTP {status}"
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError, ValueError) as exc:  # fmt: skip
                failure = type(exc).__name__
                await connection.close()
            tally = tallies[SCREEN if screen else EXPOSURE]
            tally.latencies.append((time.perf_counter() - started) * 1000)
            if failure:
                tally.errors[failure] += 1
    finally:
        await connection.close()


async def run_clients(
    base: str, work: Workload, clients: int, seconds: float, seed: int
) -> tuple[dict[str, Tally], float]:
    """The tallies, and the seconds from the first request to the last answer."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    started = time.monotonic()
    stop = started + seconds
    loops = (client_loop(base, work, stop, random.Random(seed * 1000 + n), tallies)
             for n in range(clients))  # fmt: skip
    await asyncio.gather(*loops)
    return tallies, time.monotonic() - started


# -- the report -----------------------------------------------------------------------------------


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest latency at or above ``q`` of all requests."""
    if not sorted_ms:
        return 0.0
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


def report(tallies: dict[str, Tally], elapsed: float, p99_target: float) -> int:
    """Print the table and the summary line; the exit status (0 when every target is met)."""
    everything = Tally()
    for tally in tallies.values():
        everything.latencies += tally.latencies
        everything.errors.update(tally.errors)
    header = f"{'endpoint':<24}{'requests':>9}{'errors':>8}{'req/s':>8}"
    print(header + "".join(f"{h:>9}" for h in ("p50 ms", "p90 ms", "p99 ms", "max ms")))
    for name, tally in [*sorted(tallies.items()), ("all", everything)]:
        ms = sorted(tally.latencies)
        figures = [percentile(ms, q) for q in (0.5, 0.9, 0.99)] + [ms[-1] if ms else 0.0]
        errors = sum(tally.errors.values())
        print(
            f"{name:<24}{len(ms):>9}{errors:>8}{len(ms) / elapsed:>8.1f}"
            + "".join(f"{f:>9.1f}" for f in figures)
        )
    for failure, count in everything.errors.most_common():
        print(f"  error: {failure} x {count}")
    ms = sorted(everything.latencies)
    errors = sum(everything.errors.values())
    p50, p99 = round(percentile(ms, 0.5)), round(percentile(ms, 0.99))
    ok_errors, ok_p99 = errors == 0, p99 < p99_target
    print(f"errors {errors} (target 0): {'ok' if ok_errors else 'FAILED'}")
    print(f"p99 {p99} ms (target < {p99_target:.0f} ms): {'ok' if ok_p99 else 'FAILED'}")
    print(f"loadtest: {len(ms)} requests, {errors} errors, p50 {p50} ms, p99 {p99} ms")
    return 0 if ok_errors and ok_p99 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a resolved, screened store")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they run")
    parser.add_argument("--targets", type=int, default=6, help="entities found by search")
    parser.add_argument("--p99-target", type=float, default=500.0, help="ms")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="test a server already running there (e.g. under a profiler)")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        parser.error(f"--db {args.db}: no store here; run `make demo` first")
    names = store_names(args.db)  # before the server opens the store
    if not names:
        parser.error(f"--db {args.db}: no entities; run `tradetrace resolve` first")
    log = Path(tempfile.mkstemp(prefix="tradetrace-loadtest-", suffix=".log")[1])
    if args.url:
        base, server = args.url.rstrip("/"), None
    else:
        base = f"http://127.0.0.1:{free_port()}"
        server = start_server(args.db, int(base.rsplit(":", 1)[1]), log)
    try:
        if server is not None:
            wait_healthy(base, server, log, timeout=120)
        work = build_workload(names, base, args.targets, args.seed)
        print(
            f"{args.clients} clients for {args.seconds:g} s against {base} "
            f"({len(work.names)} names, {len(work.targets)} exposure targets)"
        )
        tallies, elapsed = asyncio.run(
            run_clients(base, work, args.clients, args.seconds, args.seed)
        )
    finally:
        if server is not None:
            stop_server(server)
    if any(tally.errors for tally in tallies.values()):  # before the report: its line is last
        print(f"server log ({log}):\n{tail(log, 1500)}", file=sys.stderr, flush=True)
    else:
        log.unlink(missing_ok=True)
    return report(tallies, elapsed, args.p99_target)


if __name__ == "__main__":
    sys.exit(main())
