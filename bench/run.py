"""tradetrace benchmarks: one table of figures, each next to its target.

Run with ``make bench`` (or ``python bench/run.py [--rows N] [--only ingest]``). Every
measured step runs in a fresh child process so its peak resident memory is its own.
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
    # the 2018–2021 file holds a bit over half the rows: ask for enough of them
    subprocess.run(
        [PYTHON, "-m", "tradetrace", "sample", "--out", str(folder), "--rows", str(rows * 2)],
        check=True,
        capture_output=True,
    )
    source = folder / "synthetic_ru_customs_2018_2021.csv"
    with source.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        dst.write(src.readline())
        for n, line in enumerate(src):
            if n >= rows:
                break
            dst.write(line)
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
    small_rows = max(rows // 2, 1000)
    path, small = sample_file(rows), sample_file(small_rows)
    for p in (path, small):
        warm = p.with_name("warm.csv")
        if not warm.exists():
            lines = p.read_text(encoding="utf-8").splitlines(keepends=True)[:50]
            warm.write_text("".join(lines), encoding="utf-8")
    ours = child(INGEST.format(path=str(path), db=str(store_path(rows))))
    raw = child(RAW_SCAN.format(path=str(path)))
    ours_small = child(INGEST.format(path=str(small), db=str(store_path(small_rows))))
    ratio = ours["seconds"] / raw["seconds"]
    growth = ours["peak_mb"] / ours_small["peak_mb"]
    label = f"ingest {rows:,} rows"
    return [
        Figure(label, "ingest + normalise", ours["seconds"], "s", "", None),
        Figure(label, "throughput", rows / ours["seconds"], "rows/s", "", None),
        Figure(label, "DuckDB raw read_csv, same file", raw["seconds"], "s", "", None),
        Figure(label, "ratio to raw read_csv", ratio, "x", "<= 3", ratio <= 3),
        Figure(label, "peak memory", ours["peak_mb"], "MB", "<= 3000", ours["peak_mb"] <= 3000),
        Figure(
            label,
            f"peak memory, {rows:,} vs {small_rows:,} rows",
            growth,
            "x",
            "<= 1.5 (flat)",
            growth <= 1.5,
        ),
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
    r = child(RESOLVE.format(db=str(db), keep=False))
    label = f"resolve {r['party_rows']:,} party rows"
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
    db = store_path(rows)
    if not db.exists():
        bench_ingest(rows)
    resolved = db.with_name("screen_" + db.name)
    shutil.copy(db, resolved)
    child(RESOLVE.format(db=str(resolved), keep=True))  # the screen step needs the entities
    shared = os.environ.get("TRADETRACE_SHARED_DATA") or str(HERE.parents[1] / "shared" / "data")
    r = child(SCREEN.format(shared=shared, db=str(resolved), count=100_000, exhaustive=60))
    resolved.unlink()
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


REPLICATE = """
import duckdb
con = duckdb.connect({db!r})
base = con.execute("SELECT max(source_row) FROM declaration_rows").fetchone()[0]
copies = "range(1, {factor}) AS r(k)"
con.execute("INSERT INTO declaration_rows SELECT d.* REPLACE (declaration_id || '~' || k "
            "AS declaration_id, source_row + k * ? AS source_row) FROM declaration_rows d, "
            + copies, [base])
con.execute("INSERT INTO declaration_entities SELECT e.* REPLACE (source_row + k * ? "
            "AS source_row) FROM declaration_entities e, " + copies, [base])
con.execute("CHECKPOINT")
result = {{"rows": con.execute("SELECT count(*) FROM declarations").fetchone()[0]}}
"""

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
result = {{"cold": cold, "warm": statistics.median(warm), "lines": r["lines"]}}
"""


def bench_exposure(rows: int, factor: int = 10) -> list[Figure]:
    """Exposure on a store of ``factor`` × ``rows`` lines (the sample repeated under new ids)."""
    db = store_path(rows)
    if not db.exists():
        bench_ingest(rows)
    big = db.with_name(f"exposure_x{factor}_" + db.name)
    if not big.exists():
        shutil.copy(db, big)
        child(RESOLVE.format(db=str(big), keep=True))
        child(REPLICATE.format(db=str(big), factor=factor))
    total = rows * factor
    figures = []
    for target, how in (("tt-inn-7743237789", "entity id"), ("ООО «АУРУС»", "Cyrillic name")):
        r = child(EXPOSURE.format(db=str(big), target=target))
        label = f"exposure AURUS by {how}, {total:,} rows ({r['lines']:,} target lines)"
        figures += [
            Figure(label, "cold (first call in a new process)", r["cold"], "s", "", None),
            Figure(label, "warm (median of 5)", r["warm"], "s", "<= 1", r["warm"] <= 1),
            Figure(label, "peak memory", r["peak_mb"], "MB", "<= 3000", r["peak_mb"] <= 3000),
        ]
    return figures


BENCHES = {
    "ingest": bench_ingest,
    "resolve": bench_resolve,
    "screen": bench_screen,
    "exposure": bench_exposure,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.time()
    figures: list[Figure] = []
    for name in args.only or BENCHES:
        figures += BENCHES[name](args.rows)
    table = Table(title=f"tradetrace benchmarks ({platform.node()}, {args.rows:,} rows)")
    for column in ("step", "figure", "value", "unit", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for f in figures:
        mark = "" if f.ok is None else ("yes" if f.ok else "NO")
        value = f"{f.value:,.3f}" if abs(f.value) < 10 else f"{f.value:,.2f}"
        table.add_row(f.step, f.figure, value, f.unit, f.target, mark)
    Console(width=140).print(table)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "seconds": time.time() - started,
                "figures": [asdict(f) for f in figures],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
