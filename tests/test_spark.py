"""The Spark backend: the same pipeline on PySpark (local mode) gives the same answers.

The sample of the ``aurus_db`` fixture (SYNTHETIC, 3,000 rows) goes through every step
again with ``--backend spark`` into a Parquet warehouse, and the two stores are compared
table by table and answer by answer. Needs Java 17+; skipped without it, except where
``TRADETRACE_REQUIRE_SPARK=1`` (``make test``, CI), where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from tradetrace.cli import app
from tradetrace.errors import StoreError
from tradetrace.store import open_store

SHARED_DATA = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
AURUS = "ООО «АУРУС»"


def _spark_available() -> None:
    reasons = []
    if shutil.which("java") is None:
        reasons.append("no java on PATH")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reasons.append("pyspark not installed (pip install 'tradetrace[spark]')")
    if reasons:
        if os.environ.get("TRADETRACE_REQUIRE_SPARK") == "1":
            pytest.fail("Spark backend required here: " + "; ".join(reasons))
        pytest.skip("; ".join(reasons))


def spark_cli(warehouse: Path):
    runner = CliRunner()

    def run(*args: str | Path):
        argv = ["--backend", "spark", "--db", str(warehouse), *map(str, args)]
        return runner.invoke(app, argv, catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def warehouse(aurus_db: Path, tmp_path_factory) -> Path:
    """The ``aurus_db`` pipeline again, step for step, on Spark."""
    _spark_available()
    sample = aurus_db.parent / "sample"
    lists = SHARED_DATA / "sanctions"
    path = tmp_path_factory.mktemp("spark") / "warehouse"
    run = spark_cli(path)
    for step in (
        ("ingest", sample / "synthetic_ru_customs_2018_2021.csv",
         sample / "synthetic_ru_customs_2022_2024.csv"),
        ("resolve",),
        ("lists", "load", lists / "ofac/sdn_2024-05-03.csv.gz",
         lists / "uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz"),
        ("screen",),
    ):  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, f"{step[0]}: {result.output}"
    return path


def rows(path: Path, backend: str, table: str, *key: str) -> list[dict]:
    with open_store(path, read_only=True, backend=backend) as store:
        data = store.to_arrow(store.table(table)).to_pylist()
    return sorted(data, key=lambda r: tuple(str(r[k]) for k in key))


@pytest.mark.parametrize(
    "args",
    [(AURUS,), (AURUS, "--from", "2018-01-01", "--to", "2023-12-31"),
     ("HANBIT AUTOTECH", "--role", "exporter")],
    ids=["whole-history", "reuters-period", "supplier"],
)  # fmt: skip
def test_exposure_json_is_identical(aurus_db, cli_for, warehouse, args):
    duck = cli_for(aurus_db)("exposure", *args, "--json")
    spark = spark_cli(warehouse)("exposure", *args, "--json")
    assert duck.exit_code == 0 and spark.exit_code == 0, spark.output
    assert json.loads(spark.output) == json.loads(duck.output)
    assert spark.output == duck.output  # byte for byte, key order included


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("declarations", ("ingest_id", "source_row")),
        ("quarantine", ("ingest_id", "row")),
        ("resolved_declarations", ("ingest_id", "source_row")),
        ("entity_links", ("party_a", "party_b")),
        ("screened_declarations", ("ingest_id", "source_row")),
    ],
)
def test_tables_are_identical(aurus_db, warehouse, table, key):
    duck, spark = rows(aurus_db, "duckdb", table, *key), rows(warehouse, "spark", table, *key)
    assert len(spark) == len(duck) > 0
    assert spark == duck


def test_entities_and_matches_agree(aurus_db, warehouse):
    """Same entities and sanctions matches (sums of floats only to the cent: the engines add
    in different orders)."""
    for table, key in (("entities", ("entity_id",)), ("matches", ("entity_id", "list_entity_id"))):
        duck, spark = rows(aurus_db, "duckdb", table, *key), rows(warehouse, "spark", table, *key)
        assert len(spark) == len(duck) > 0
        for a, b in zip(duck, spark, strict=True):
            for column in a:
                if isinstance(a[column], float):
                    assert b[column] == pytest.approx(a[column], abs=0.005)
                else:
                    assert b[column] == a[column], (table, column)


def test_the_warehouse_is_plain_parquet(warehouse):
    """Any Parquet reader sees the rows; one partition per committed ingest run."""
    parts = sorted(p.name for p in (warehouse / "declaration_rows").iterdir() if p.is_dir())
    assert len(parts) == 2 and all(p.startswith("ingest_id=") for p in parts)
    dataset = ds.dataset(warehouse / "declaration_rows", format="parquet", partitioning="hive")
    with open_store(warehouse, read_only=True, backend="spark") as store:
        assert dataset.count_rows() == store.count("declarations") == 3457


def test_an_uncommitted_run_is_discarded_by_the_next_writer(warehouse, tmp_path):
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    committed = next(p for p in (copy / "declaration_rows").iterdir() if p.is_dir())
    dead = copy / "declaration_rows" / ("ingest_id=" + "0" * 64)
    shutil.copytree(committed, dead)  # rows of a run that never wrote its ingest_runs row
    with open_store(copy, read_only=True, backend="spark") as store:
        assert store.count("declarations") == 3457  # invisible to readers ...
    with open_store(copy, backend="spark"):
        pass
    assert not dead.exists()  # ... and gone once a writer opens the store


def test_user_mistakes_are_one_line_errors(warehouse, tmp_path):
    with open_store(warehouse, read_only=True, backend="spark") as store:
        with pytest.raises(StoreError, match="exactly one SELECT"):
            store.query("DROP TABLE declarations")
        with pytest.raises(StoreError, match=r"^sql: .*nope"):
            store.query("SELECT nope FROM declarations")
    with pytest.raises(StoreError, match="no store here yet"):
        open_store(tmp_path / "nothing-here", read_only=True, backend="spark").__enter__()
    cmd = [sys.executable, "-m", "tradetrace", "--backend", "oracle", "exposure", AURUS]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip() == "error: unknown backend 'oracle'; choose one of duckdb, spark"


def test_spelling_similarity_scores_the_same_on_both_engines(warehouse):
    """The pairs where splink's Spark Jaro-Winkler and DuckDB's disagree (around the 0.92 and
    0.85 levels) get the same level and probability on both engines."""
    import pyarrow as pa

    from tradetrace.resolve.model import score
    from tradetrace.resolve.parties import features
    from tradetrace.store.spark import spark_session

    names = ["TIANJIN QIHENG TRADING", "TIANDZHIN KIKHENG TRADING", "MYEONGHAGEULROBEOL",
             "MYUNGHA GLOBAL", "MARTHA", "MARHTA", "DWAYNE", "DUANE"]  # fmt: skip
    records = pa.table(
        {
            "party_id": [f"pt-{i}" for i in range(len(names))],
            "name": names,
            "identifier": [None] * len(names),
            "address": ["1 HARBOUR ROAD"] * len(names),  # one block: every pair is compared
            "country": ["CN"] * len(names),
        }
    )
    feats = features(records)

    def pairs(spark) -> list[tuple]:
        table = score(feats, threshold=0.0, spark=spark).table
        rows = zip(*(table[c].to_pylist() for c in ("party_a", "party_b", "name_level",
                                                    "match_probability")), strict=True)  # fmt: skip
        return sorted((*sorted((a, b)), level, round(p, 12)) for a, b, level, p in rows)

    duckdb_pairs = pairs(None)
    assert len(duckdb_pairs) == len(names) * (len(names) - 1) // 2
    assert pairs(spark_session()) == duckdb_pairs


def test_watch_gives_the_same_matches_and_alerts_on_both_engines(
    aurus_db, cli_for, warehouse, tmp_path
):
    """A list added after the first screening, then ``watch`` on each engine: the
    incremental writes (``delete_in``, appends) give the same matches and alerts."""
    duck, spark = tmp_path / "duck.duckdb", tmp_path / "warehouse"
    shutil.copy(aurus_db, duck)
    shutil.copytree(warehouse, spark)
    un = SHARED_DATA / "sanctions/un/un_consolidated_2026-02-27.xml.gz"
    answers = []
    for run in (cli_for(duck), spark_cli(spark)):
        assert run("lists", "load", un).exit_code == 0
        watched = run("watch", "--json")
        assert watched.exit_code in (0, 1), watched.output
        answers.append([{k: v for k, v in a.items() if k != "detected_at"}
                        for a in json.loads(watched.output)])  # fmt: skip
    assert answers[0] == answers[1]
    key = ("entity_id", "list", "list_entity_id")
    assert rows(spark, "spark", "matches", *key) == rows(duck, "duckdb", "matches", *key)


def test_official_statistics_give_the_same_answers_on_both_engines(
    aurus_db, cli_for, warehouse, tmp_path
):
    """``stats load`` of the real Comext and IMF files, then every ``flows`` command and the
    exposure with its context from official statistics: the same JSON on each engine."""
    aggregate = SHARED_DATA / "trade" / "aggregate"
    files = sorted(aggregate.glob("*.csv*"))
    duck, spark = tmp_path / "duck.duckdb", tmp_path / "warehouse"
    shutil.copy(aurus_db, duck)
    shutil.copytree(warehouse, spark)
    answers = []
    for run in (cli_for(duck), spark_cli(spark)):
        assert run("stats", "load", *files).exit_code == 0
        printed = [
            run(*args, "--json")
            for args in (
                ("stats",),
                ("flows", "diversion"),
                ("flows", "mirror"),
                ("flows", "series", "--reporter", "DE", "--partner", "KG"),
                ("exposure", AURUS, "--from", "2018-01-01", "--to", "2023-12-31"),
            )
        ]
        assert all(p.exit_code == 0 for p in printed), [p.output for p in printed]
        answers.append([json.loads(p.output) for p in printed])
    duck_answers, spark_answers = answers
    for name, a, b in zip(("stats", "diversion", "mirror", "series", "exposure"),
                          duck_answers, spark_answers, strict=True):  # fmt: skip
        assert_same(without_load_times(b), without_load_times(a), name)
    assert duck_answers[4]["official_statistics"], "AURUS's routes have a context"
    key = ("source_file", "source_row")
    tables = [
        [{k: v for k, v in row.items() if k not in {"load_id", "loaded_at"}} for row in found]
        for found in (rows(spark, "spark", "trade_flows", *key),
                      rows(duck, "duckdb", "trade_flows", *key))
    ]  # fmt: skip
    assert_same(*tables, "trade_flows")


def without_load_times(value: object) -> object:
    """An answer without the moments it was loaded at (each engine loaded at its own)."""
    if isinstance(value, dict):
        return {k: without_load_times(v) for k, v in value.items() if k not in {"loaded_at"}}
    if isinstance(value, list):
        return [without_load_times(v) for v in value]
    return value


def assert_same(got: object, expected: object, where: str) -> None:
    """Equal, floats to 1e-9 relative (the engines add a year's thousands of rows in
    different orders)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected), where
        for key in expected:
            assert_same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for n, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_same(a, b, f"{where}[{n}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), where
    else:
        assert got == expected, where


def test_the_python_api_opens_a_warehouse(aurus_db, warehouse):
    """``tt.open(folder, backend="spark")``: the same data frames as on the DuckDB store."""
    import tradetrace as tt

    period = {"start": "2018-01-01", "end": "2023-12-31"}
    with tt.open(warehouse, backend="spark", read_only=True) as spark:
        on_spark = spark.exposure(AURUS, **period)
        lazily = spark.declarations(importer=on_spark.target.entity_id).count().to_pyarrow()
        with tt.open(aurus_db, read_only=True) as duck:
            on_duck = duck.exposure(AURUS, **period)
            assert on_spark.to_json() == on_duck.to_json()
            for table in on_duck.tables:
                assert on_spark.to_arrow(table).equals(on_duck.to_arrow(table)), table
            counted = duck.declarations(importer=on_duck.target.entity_id).count()
            assert lazily.as_py() == counted.to_pyarrow().as_py() > 400
