"""Crash safety and concurrency: a killed ingest leaves the store as it was, a re-run completes,
and readers of the API see the store before or after an ingest, never in between.

The files are the SYNTHETIC sample; the ingest runs as a real ``tradetrace`` process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tradetrace.sample.generator import generate_sample
from tradetrace.store import open_store


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A small file to commit first and a big one (two batches of the pipeline) to kill."""
    small, big = tmp_path_factory.mktemp("small"), tmp_path_factory.mktemp("big")
    generate_sample(small, rows=2_000, seed=1)
    generate_sample(big, rows=300_000, seed=2)  # about 180,000 records in the 2018-2021 file
    return {
        "small": small / "synthetic_ru_customs_2022_2024.csv",
        "big": big / "synthetic_ru_customs_2018_2021.csv",
    }


def tradetrace(db: Path, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tradetrace", "--db", str(db), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def state(db: Path) -> dict:
    with open_store(db, read_only=True) as store:
        return store.query(
            "SELECT (SELECT count(*) FROM declarations) AS declarations, "
            "(SELECT count(*) FROM quarantine) AS quarantine, "
            "(SELECT count(*) FROM ingest_runs) AS runs, "
            "(SELECT count(*) FROM declaration_rows) AS rows_written"
        ).to_pylist()[0]


#: Runs ``tradetrace`` in a process that SIGKILLs itself at a chosen point of the ingest: when
#: the second batch is about to be staged (the first batch's rows are written, its run is not
#: committed), or a moment later, while the engine is normalising and writing that batch.
KILLER = """
import os, signal, sys, threading
from tradetrace.store.embedded import DuckDBStore
from tradetrace.cli import main

when, staged = sys.argv.pop(1), []
stage_copy = DuckDBStore.stage_copy

def killing(self, name, batch):
    staged.append(name)
    if len(staged) == 2:
        if when == "between-batches":
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGKILL)).start()
    return stage_copy(self, name, batch)

DuckDBStore.stage_copy = killing
sys.argv[0] = "tradetrace"
main()
"""


def killed(db: Path, when: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", KILLER, when, "--db", str(db), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("when", ["between-batches", "mid-batch"])
def test_sigkill_mid_ingest_leaves_the_store_as_before(files, tmp_path, when):
    db = tmp_path / "crash.duckdb"
    first = tradetrace(db, "ingest", str(files["small"]), "--json")
    assert first.wait() == 0, first.communicate()
    before = state(db)

    victim = killed(db, when, "ingest", str(files["big"]), "--json")
    assert victim.returncode == -signal.SIGKILL, victim.stderr

    after = state(db)
    assert {k: after[k] for k in ("declarations", "quarantine", "runs")} == {
        k: before[k] for k in ("declarations", "quarantine", "runs")
    }
    assert after["rows_written"] > before["rows_written"], "killed before any batch was written"

    rerun = tradetrace(db, "ingest", str(files["big"]), "--json")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    result = json.loads(out)
    assert result["rows_in"] == result["loaded"] + result["quarantined"] > 0
    final = state(db)
    assert final["declarations"] == before["declarations"] + result["loaded"]
    assert final["quarantine"] == before["quarantine"] + result["quarantined"]
    assert final["rows_written"] == final["declarations"]  # the dead run's rows are gone


def test_a_writer_waits_for_another_writer(files, tmp_path):
    """Two ingests at once: the second waits for the lock instead of failing."""
    db = tmp_path / "two.duckdb"
    one = tradetrace(db, "ingest", str(files["big"]), "--json")
    time.sleep(1.0)
    two = tradetrace(db, "ingest", str(files["small"]), "--json")
    assert one.wait(timeout=300) == 0 and two.wait(timeout=300) == 0, two.communicate()
    assert state(db)["runs"] == 2


def test_the_lock_wait_is_bounded(files, tmp_path):
    db = tmp_path / "held.duckdb"
    assert tradetrace(db, "ingest", str(files["small"])).wait() == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    try:
        env = {**os.environ, "TRADETRACE_LOCK_TIMEOUT": "1"}
        cmd = [sys.executable, "-m", "tradetrace", "--db", str(db), "quarantine", "--summary"]
        busy = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    finally:
        holder.kill()
    assert busy.returncode == 2
    assert "busy: another tradetrace process is using it" in busy.stderr
    assert len(busy.stderr.strip().splitlines()) == 1


def test_api_readers_see_before_or_after_an_ingest_never_between(files, tmp_path):
    from fastapi.testclient import TestClient

    from tradetrace.api import create_app

    db = tmp_path / "served.duckdb"
    assert tradetrace(db, "ingest", str(files["small"])).wait() == 0
    before = state(db)["declarations"]
    seen: list[int | str] = []
    stop = threading.Event()
    with TestClient(create_app(db), raise_server_exceptions=False) as client:

        def read() -> None:
            while not stop.is_set():
                response = client.get("/summary")
                seen.append(response.json()["lines"] if response.status_code == 200 else
                            f"{response.status_code} {response.text}")  # fmt: skip
                time.sleep(0.02)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        ingest = tradetrace(db, "ingest", str(files["big"]), "--json")
        out, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, err
        after = before + json.loads(out)["loaded"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not seen or seen[-1] != after):
            time.sleep(0.1)
        stop.set()
        for thread in readers:
            thread.join()
    assert seen and seen[0] == before and seen[-1] == after
    assert set(seen) <= {before, after}, {s for s in seen if s not in (before, after)}
