"""tradetrace benchmarks: one table of figures, each next to its target.

Run with ``make bench`` (or ``python bench/run.py [--sizes N …] [--only ingest …]``).
For each size (default 1M and 10M declaration lines) it measures ingest (and its ratio to
DuckDB's raw ``read_csv`` of the same file), resolve and exposure on the embedded DuckDB
store; then screening throughput and candidate recall; then ``screen-name`` in a new
process and one name through the API (``--only screen-name``: the saved list index, see
``tradetrace.screen.index_cache``); then the same pipeline on Spark local mode for the
smallest size. Every measured step runs in a fresh child process so its peak resident
memory is its own (for Spark: the Python driver or the JVM, whichever is larger).
Results are printed and written to ``bench/results.json``. Data is the SYNTHETIC sample
(``tradetrace sample``), generated once per size into ``bench/data/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results.json"
PYTHON = sys.executable


@dataclass
class Figure:
    step: str
    figure: str
    value: float
    unit: str
    target: str
    ok: bool | None


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it must print one JSON object as its last line.

    The child adds its own peak RSS (``peak_mb``), so each step's memory is isolated.
    """
    wrapper = (
        "import json, resource, sys\n"
        f"{code}\n"
        "result['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(result))\n"
    )
    proc = subprocess.run([PYTHON, "-c", wrapper], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sample_file(rows: int) -> Path:
    """A UTF-8 Russian-format declarations file with exactly ``rows`` data lines."""
    target = DATA / f"declarations_{rows}.csv"
    if target.exists():
        return target
    folder = DATA / f"sample_{rows}"
    # the 2018–2021 file (UTF-8) holds about 60% of the rows asked for
    subprocess.run(
        [PYTHON, "-m", "tradetrace", "sample", "--out", str(folder), "--rows", str(rows * 7 // 4)],
        check=True,
        capture_output=True,
    )
    tmp = target.with_suffix(".part")
    written = 0
    source = folder / "synthetic_ru_customs_2018_2021.csv"
    with source.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        dst.write(src.readline())
        for line in src:
            if written >= rows:
                break
            dst.write(line)
            written += 1
    if written < rows:
        raise SystemExit(f"sample gave {written:,} lines, fewer than {rows:,}")
    tmp.replace(target)
    shutil.rmtree(folder)
    return target


INGEST = """
import time, pathlib
from tradetrace.store import open_store
from tradetrace.ingest.pipeline import ingest
db = pathlib.Path({db!r})
for stale in (db, db.with_suffix(".duckdb.wal")):
    stale.unlink(missing_ok=True)
with open_store(db) as store:
    ingest(store, [pathlib.Path({path!r}).with_name("warm.csv")])  # reference tables, compile
    start = time.perf_counter()
    r = ingest(store, [pathlib.Path({path!r})])
    result = {{"seconds": time.perf_counter() - start, "rows": r.rows_in, "loaded": r.loaded}}
"""

RAW_SCAN = """
import time, tempfile, pathlib, duckdb
db = pathlib.Path(tempfile.mkdtemp()) / "raw.duckdb"
con = duckdb.connect(str(db))
start = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [{path!r}])
result = {{"seconds": time.perf_counter() - start}}
"""


def bench_ingest(rows: int) -> list[Figure]:
    path = sample_file(rows)
    warm = path.with_name("warm.csv")
    if not warm.exists():
        with path.open(encoding="utf-8") as src:
            warm.write_text("".join(next(src) for _ in range(50)), encoding="utf-8")
    ours = child(INGEST.format(path=str(path), db=str(store_path(rows))))
    raw = child(RAW_SCAN.format(path=str(path)))
    ratio = ours["seconds"] / raw["seconds"]
    label = f"ingest {rows:,} rows"
    return [
        Figure(label, "ingest + normalise", ours["seconds"], "s", "", None),
        Figure(label, "throughput", rows / ours["seconds"], "rows/s", "", None),
        Figure(label, "DuckDB raw read_csv, same file", raw["seconds"], "s", "", None),
        Figure(label, "ratio to raw read_csv", ratio, "x", "<= 3", ratio <= 3),
        Figure(label, "peak memory", ours["peak_mb"], "MB", "<= 3000", ours["peak_mb"] <= 3000),
    ]


def store_path(rows: int) -> Path:
    """The store the ingest benchmark leaves behind, for the later steps."""
    return DATA / f"store_{rows}.duckdb"


RESOLVE = """
import time, shutil, pathlib
from tradetrace.store import open_store
from tradetrace.resolve.run import resolve
db = pathlib.Path({db!r})
work = db.with_name("resolve_" + db.name)
shutil.copy(db, work)
with open_store(work) as store:
    party_rows = store.query("SELECT count(importer_name) + count(exporter_name) AS n "
                             "FROM declarations").to_pylist()[0]["n"]
    start = time.perf_counter()
    r = resolve(store)
    result = {{"seconds": time.perf_counter() - start, "party_rows": party_rows,
              "parties": r.parties, "entities": r.entities}}
work.replace(db) if {keep} else work.unlink()
"""


def bench_resolve(rows: int) -> list[Figure]:
    db = store_path(rows)
    if not db.exists():
        bench_ingest(rows)
    r = child(RESOLVE.format(db=str(db), keep=True))  # exposure and screening read it
    label = f"resolve {rows:,} rows ({r['party_rows']:,} party rows)"
    return [
        Figure(label, "distinct party records", r["parties"], "", "", None),
        Figure(label, "entities", r["entities"], "", "", None),
        Figure(label, "time", r["seconds"], "s", "<= 180", r["seconds"] <= 180),
        Figure(label, "peak memory", r["peak_mb"], "MB", "<= 3000", r["peak_mb"] <= 3000),
    ]


SCREEN = """
import random, time, pathlib, os
from tradetrace.store import open_store
from tradetrace.screen.lists.load import read_list
from tradetrace.screen.match import ListIndex, Query
import pyarrow as pa
shared = pathlib.Path({shared!r})
files = [shared / "sanctions/ofac/sdn_2024-05-03.csv.gz",
         shared / "sanctions/ofac/cons_prim_2025-12-19.csv",
         shared / "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
         shared / "sanctions/un/un_consolidated_2026-02-27.xml.gz"]
entries = pa.concat_tables([read_list(f) for f in files])
start = time.perf_counter()
index = ListIndex(entries)
build = time.perf_counter() - start
with open_store({db!r}, read_only=True) as store:
    names = store.query("SELECT DISTINCT name FROM parties WHERE name IS NOT NULL").to_pylist()
names = [r["name"] for r in names]
rng = random.Random(7)
list_names = [n.text for n in index.names]
while len(names) < {count}:  # list names with small changes: the queries that should match
    words = rng.choice(list_names).split()
    if len(words) > 2 and rng.random() < 0.5:
        words.pop(rng.randrange(len(words)))
    names.append(" ".join(words) + rng.choice(["", " LLC", " LTD", " CO., LTD"]))
names = names[:{count}]
start = time.perf_counter()
hits = sum(1 for n in names if index.match(Query(n)))
seconds = time.perf_counter() - start
sample = rng.sample(names[-20000:], {exhaustive})
found = expected = 0
for n in sample:
    want = {{(m.list, m.list_entity_id) for m in index.exhaustive(Query(n))}}
    got = {{(m.list, m.list_entity_id) for m in index.match(Query(n))}}
    expected += len(want); found += len(want & got)
result = {{"names": len(names), "seconds": seconds, "hits": hits, "build": build,
          "list_names": len(index.names), "recall": found / expected if expected else 1.0,
          "exhaustive_queries": len(sample), "expected": expected}}
"""


def bench_screen(rows: int) -> list[Figure]:
    db = resolved_store(rows)
    r = child(SCREEN.format(shared=shared_data(), db=str(db), count=100_000, exhaustive=60))
    label = f"screen {r['names']:,} names vs {r['list_names']:,} list names"
    rate = r["names"] / r["seconds"]
    return [
        Figure(label, "index build", r["build"], "s", "", None),
        Figure(label, "throughput", rate, "names/s", ">= 2000", rate >= 2000),
        Figure(label, "names with a match", r["hits"], "", "", None),
        Figure(
            label,
            f"candidate recall vs exhaustive ({r['exhaustive_queries']} queries, "
            f"{r['expected']} matches)",
            r["recall"],
            "",
            ">= 0.99",
            r["recall"] >= 0.99,
        ),
        Figure(label, "peak memory", r["peak_mb"], "MB", "<= 3000", r["peak_mb"] <= 3000),
    ]


SCREEN_NAME_LISTS = (
    "sanctions/ofac/sdn_2024-05-03.csv.gz",
    "sanctions/ofac/cons_prim_2025-12-19.csv",
    "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
    "sanctions/uk_covyr",
    "sanctions/un/un_consolidated_2026-02-27.xml.gz",
)
SCREEN_NAME = ("screen-name", "ООО «АУРУС»", "--country", "RU", "--as-of", "2024-03-01")

SCREEN_API = """
import random, statistics, time
from fastapi.testclient import TestClient
from tradetrace.api import create_app
from tradetrace.screen.index_cache import STATS
from tradetrace.store import open_store
with open_store({db!r}, read_only=True) as store:
    rows = store.query("SELECT name FROM current_list_entries ORDER BY list, list_entity_id")
list_names = rows.column("name").to_pylist()
rng = random.Random(7)
names = []
while len(names) < {count}:  # list names, some with a word dropped or a legal form added
    words = rng.choice(list_names).split()
    if len(words) > 2 and rng.random() < 0.5:
        words.pop(rng.randrange(len(words)))
    name = " ".join(words) + rng.choice(["", " LLC", " LTD", " OOO"])
    if name not in names:
        names.append(name)
names[:{plain}] = ["Kamaz Trading House " + str(i) for i in range({plain})]  # no list name
start = time.perf_counter()
with TestClient(create_app({db!r})) as client:
    ready = client.post("/screen", json={{"names": ["warm up"]}})
    assert ready.status_code == 200, ready.text
    first = time.perf_counter() - start
    time.sleep(8)  # warm: the worker processes the server starts (for exposures) are up
    times = []
    for name in names:  # each new to the server: matched, not a kept answer
        start = time.perf_counter()
        answer = client.post("/screen", json={{"names": [name], "as_of": "2024-03-01"}})
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.text
    again = []
    for name in names[:20]:  # asked before: the kept answer
        start = time.perf_counter()
        client.post("/screen", json={{"names": [name], "as_of": "2024-03-01"}})
        again.append(time.perf_counter() - start)
times.sort()
result = {{"first": first, "median": statistics.median(times),
          "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1],
          "kept": statistics.median(again), "names": len(names), "built": STATS["built"],
          "loaded": STATS["loaded"]}}
"""


def bench_screen_name(rows: int) -> list[Figure]:
    """``screen-name`` in a new process, and one name through the API (its index warm).

    The store holds the demo's five lists (``bench/data/screen_lists.duckdb``, loaded
    once). ``rows`` is unused: screening one name does not depend on the declarations.
    """
    shared = Path(shared_data())
    db = DATA / "screen_lists.duckdb"
    tradetrace = Path(PYTHON).with_name("tradetrace")
    command = [str(tradetrace)] if tradetrace.exists() else [PYTHON, "-m", "tradetrace"]
    if not db.exists():
        paths = [str(shared / p) for p in SCREEN_NAME_LISTS]
        subprocess.run([*command, "--db", str(db), "lists", "load", *paths], check=True,
                       capture_output=True)  # fmt: skip

    def run() -> float:
        start = time.perf_counter()
        subprocess.run([*command, "--db", str(db), *SCREEN_NAME], check=True,
                       capture_output=True)  # fmt: skip
        return time.perf_counter() - start

    for stale in db.parent.glob(db.name + ".screen-index*"):  # as before the saved index
        stale.unlink()
    cold = run()  # builds the index and saves it
    warm = sorted(run() for _ in range(7))
    api = child(SCREEN_API.format(db=str(db), count=60, plain=10))
    label = "screen-name ООО «АУРУС» (5 lists)"
    api_label = f"API POST /screen, one name ({api['names']} names new to the server)"
    median = warm[len(warm) // 2]
    return [
        Figure(label, "new process, no saved index (builds, saves)", cold, "s", "", None),
        Figure(
            label, "new process, saved index (median of 7)", median, "s", "< 1.5", median < 1.5
        ),  # fmt: skip
        Figure(label, "new process, saved index (slowest of 7)", warm[-1], "s", "", None),
        Figure(
            api_label, "app start to first answer (index loaded)", api["first"], "s", "", None
        ),  # fmt: skip
        Figure(
            api_label, "per name, median", api["median"] * 1000, "ms", "< 50", api["median"] < 0.05
        ),  # fmt: skip
        Figure(api_label, "per name, p95", api["p95"] * 1000, "ms", "< 50", api["p95"] < 0.05),
        Figure(
            api_label,
            "per name asked again (kept answer), median",
            api["kept"] * 1000,
            "ms",
            "",
            None,
        ),  # fmt: skip
        Figure(api_label, "peak memory", api["peak_mb"], "MB", "", None),
    ]


EXPOSURE = """
import statistics, time
from tradetrace.store import open_store
from tradetrace.analyse.exposure import exposure
with open_store({db!r}, read_only=True) as store:
    start = time.perf_counter()
    r = exposure(store, {target!r})
    cold = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        exposure(store, {target!r})
        warm.append(time.perf_counter() - start)
result = {{"cold": cold, "warm": statistics.median(warm), "lines": r.lines}}
"""


def bench_exposure(rows: int) -> list[Figure]:
    db = resolved_store(rows)
    figures = []
    for target, how in (("tt-inn-7743237789", "entity id"), ("ООО «АУРУС»", "Cyrillic name")):
        r = child(EXPOSURE.format(db=str(db), target=target))
        label = f"exposure AURUS by {how}, {rows:,} rows ({r['lines']:,} target lines)"
        figures += [
            Figure(label, "cold (first call in a new process)", r["cold"], "s", "", None),
            Figure(label, "warm (median of 5)", r["warm"], "s", "<= 1", r["warm"] <= 1),
            Figure(label, "peak memory", r["peak_mb"], "MB", "<= 3000", r["peak_mb"] <= 3000),
        ]
    return figures


WATCH_SETUP = """
import time, shutil, pathlib
from tradetrace.store import open_store
from tradetrace.screen.index_cache import prepare_index
from tradetrace.screen.lists.load import load_lists
from tradetrace.screen.run import screen_entities
db, work = pathlib.Path({db!r}), pathlib.Path({work!r})
shutil.copy(db, work)
sdn = pathlib.Path({shared!r}) / "sanctions/ofac/sdn_2024-05-03.csv.gz"
result = {{}}
with open_store(work) as store:
    # the real SDN on two days of its history one entry apart (2024-04-02: one change)
    load_lists(store, [sdn], as_of="2024-04-01")
    prepare_index(store)
    start = time.perf_counter()
    screen_entities(store)
    result["full"] = time.perf_counter() - start
    start = time.perf_counter()
    load_lists(store, [sdn], as_of="2024-04-02")
    prepare_index(store)
    result["load"] = time.perf_counter() - start
"""

WATCH = """
import time
from tradetrace.store import open_store
from tradetrace.screen.run import screen_entities
with open_store({work!r}) as store:
    start = time.perf_counter()
    run = screen_entities(store, incremental=True)
    result = {{"watch": time.perf_counter() - start, "entities": run.entities,
              "screened": run.entities_screened, "kind": run.kind,
              "entries": run.entries_added + run.entries_removed + run.entries_changed}}
"""


def bench_watch(rows: int) -> list[Figure]:
    """``watch`` after a one-entry change of the real SDN, against a full ``screen`` (each
    in a process of its own, so the rescreen's peak memory is its own)."""
    db = resolved_store(rows)
    work = db.with_name("watch_" + db.name)
    try:
        setup = child(WATCH_SETUP.format(db=str(db), work=str(work), shared=shared_data()))
        r = child(WATCH.format(work=str(work)))
    finally:
        for path in work.parent.glob(work.name + "*"):
            path.unlink()
    assert r["kind"] == "incremental", r
    label = (f"watch after a {r['entries']}-entry SDN change, {rows:,} rows "
             f"({r['entities']:,} entities)")  # fmt: skip
    ratio = r["watch"] / setup["full"]
    return [
        Figure(label, "full screen", setup["full"], "s", "", None),
        Figure(label, "full screen peak memory", setup["peak_mb"], "MB", "", None),
        Figure(label, "list load (with its index)", setup["load"], "s", "", None),
        Figure(label, "incremental rescreen", r["watch"], "s", "<= 10", r["watch"] <= 10),
        Figure(label, "entities rescreened", r["screened"], "", "", None),
        Figure(label, "rescreen / full screen", ratio, "x", "<= 0.25", ratio <= 0.25),
        Figure(label, "rescreen peak memory", r["peak_mb"], "MB", "<= 3000",
               r["peak_mb"] <= 3000),
    ]  # fmt: skip


def resolved_store(rows: int) -> Path:
    """The ingested and resolved store of ``rows`` lines (made if an earlier step did not)."""
    db = store_path(rows)
    if not db.exists():
        bench_ingest(rows)
    check = child(HAS_ENTITIES.format(db=str(db)))
    if not check["resolved"]:
        bench_resolve(rows)
    return db


HAS_ENTITIES = """
from tradetrace.store import open_store
with open_store({db!r}, read_only=True) as store:
    result = {{"resolved": store.has_table("entities")}}
"""


def shared_data() -> str:
    return os.environ.get("TRADETRACE_SHARED_DATA") or str(HERE.parents[1] / "shared" / "data")


SPARK_STEP = """
import os, time, pathlib, resource
os.environ["TRADETRACE_SPARK_MASTER"] = os.environ.get("TRADETRACE_SPARK_MASTER", "local[*]")
from tradetrace.store import open_store
warehouse, step, shared = {warehouse!r}, {step!r}, pathlib.Path({shared!r})
start = time.perf_counter()
with open_store(warehouse, backend="spark") as store:
    if step == "ingest":
        from tradetrace.ingest.pipeline import ingest
        out = ingest(store, [pathlib.Path({path!r})]).loaded
    elif step == "resolve":
        from tradetrace.resolve.run import resolve
        out = resolve(store).entities
    elif step == "screen":
        from tradetrace.screen.lists.load import load_lists
        from tradetrace.screen.run import screen_entities
        load_lists(store, [shared / "sanctions/ofac/sdn_2024-05-03.csv.gz",
                           shared / "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz"])
        out = screen_entities(store).matches
    else:
        from tradetrace.analyse.exposure import exposure
        out = exposure(store, "tt-inn-7743237789").lines
    seconds = time.perf_counter() - start
    spark = store.spark
spark.stop()  # the JVM exits, so its peak memory is counted below
jvm = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
result = {{"seconds": seconds, "out": out, "jvm_mb": jvm}}
"""


def bench_spark(rows: int) -> list[Figure]:
    """The same pipeline on Spark local mode (every core), into a Parquet warehouse."""
    path = sample_file(rows)
    warehouse = DATA / f"warehouse_{rows}"
    shutil.rmtree(warehouse, ignore_errors=True)
    figures = []
    for step, what in (("ingest", "lines loaded"), ("resolve", "entities"),
                       ("screen", "matches (lists loaded in the step)"),
                       ("exposure", "AURUS lines")):  # fmt: skip
        r = child(SPARK_STEP.format(warehouse=str(warehouse), step=step, path=str(path),
                                    shared=shared_data()))  # fmt: skip
        peak = max(r["peak_mb"], r["jvm_mb"])
        label = f"spark local: {step} {rows:,} rows"
        figures += [
            Figure(label, "time (session start included)", r["seconds"], "s", "", None),
            Figure(label, what, r["out"], "", "", None),
            Figure(label, "peak memory (driver or JVM)", peak, "MB", "", None),
        ]
    return figures


#: steps run for every size, in order (each reads what the one before wrote)
PER_SIZE = {"ingest": bench_ingest, "resolve": bench_resolve, "exposure": bench_exposure}
#: steps run once, on the smallest size
ONCE = {"screen": bench_screen, "screen-name": bench_screen_name, "watch": bench_watch,
        "spark": bench_spark}  # fmt: skip
BENCHES = {**PER_SIZE, **ONCE}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.time()
    chosen = args.only or list(BENCHES)
    figures: list[Figure] = []
    for rows in sorted(args.sizes):
        for name, bench in PER_SIZE.items():
            if name in chosen:
                figures += bench(rows)
                save(figures, args.sizes, started)  # a failing later step keeps these
    figures += flatness(figures, sorted(args.sizes))
    for name, bench in ONCE.items():
        if name in chosen:
            figures += bench(min(args.sizes))
    figures.append(Figure("whole run", "wall time", time.time() - started, "s", "<= 1200",
                          time.time() - started <= 1200))  # fmt: skip
    print_table(figures, args.sizes)
    save(figures, args.sizes, started)


def save(figures: list[Figure], sizes: list[int], started: float) -> None:
    RESULTS.write_text(
        json.dumps(
            {
                "sizes": sizes,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "seconds": time.time() - started,
                "figures": [asdict(f) for f in figures],
            },
            indent=2,
        )
    )


def flatness(figures: list[Figure], sizes: list[int]) -> list[Figure]:
    """Peak memory of the largest pipeline, and how ingest memory grows with the input."""
    out = []
    largest = f"{sizes[-1]:,} rows"
    peaks = [f.value for f in figures if f.figure == "peak memory" and largest in f.step]
    if peaks:
        peak = max(peaks)
        out.append(Figure(f"pipeline {largest}", "peak memory of any step", peak, "MB",
                          "<= 3000", peak <= 3000))  # fmt: skip
    ingest = {f.step: f.value for f in figures if f.step.startswith("ingest") and
              f.figure == "peak memory"}  # fmt: skip
    if len(sizes) > 1 and len(ingest) == len(sizes):
        small, big = ingest[f"ingest {sizes[0]:,} rows"], ingest[f"ingest {sizes[-1]:,} rows"]
        growth = big / small
        out.append(Figure(f"ingest {largest}", f"peak memory, {sizes[-1]:,} vs {sizes[0]:,} rows",
                          growth, "x", "<= 1.5 (flat)", growth <= 1.5))  # fmt: skip
    return out


def print_table(figures: list[Figure], sizes: list[int]) -> None:
    sizes_text = ", ".join(f"{n:,}" for n in sorted(sizes))
    table = Table(title=f"tradetrace benchmarks ({platform.node()}, {os.cpu_count()} cores, "
                        f"{sizes_text} rows, SYNTHETIC sample)")  # fmt: skip
    for column in ("step", "figure", "value", "unit", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for f in figures:
        mark = "" if f.ok is None else ("yes" if f.ok else "NO")
        value = f"{f.value:,.3f}" if abs(f.value) < 10 else f"{f.value:,.2f}"
        table.add_row(f.step, f.figure, value, f.unit, f.target, mark)
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
