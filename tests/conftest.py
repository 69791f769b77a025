"""Shared fixtures: a fresh store per test, the shared real-data folder, a tiny CLI runner."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradetrace.cli import app
from tradetrace.store import open_store

SHARED_DATA = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


#: Whole pipelines, real vendor files, Spark, a browser, fuzzing, crash and load checks:
#: ``make test`` runs them, ``make test-fast`` (``-m "not slow"``) leaves them out.
END_TO_END = {
    "test_api.py", "test_api_schema.py", "test_crash.py", "test_dashboard.py",
    "test_entity_redirects.py", "test_exposure.py", "test_exposure_real_shapes.py",
    "test_fuzz_short.py", "test_graph.py", "test_json_contract.py", "test_loadtest_short.py",
    "test_match_recall.py", "test_python_api.py", "test_python_docs.py",
    "test_real_vendor_files.py", "test_report.py",
    "test_report_pdf.py", "test_sample_pipeline.py", "test_screen.py",
    "test_screen_index_cache.py", "test_screen_precision.py", "test_search_speed.py",
    "test_spark.py", "test_store_catalogue.py", "test_watch.py", "test_watch_cli.py",
    "test_watch_real.py",
}  # fmt: skip
#: Fixtures that build a whole store or start the real process: end to end wherever used.
END_TO_END_FIXTURES = {"aurus_db", "run_cli"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.path.name in END_TO_END or fixtures & END_TO_END_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture
def store(db_path: Path):
    with open_store(db_path) as s:
        yield s


@pytest.fixture(scope="session")
def cli_for():
    """``cli_for(db)("ingest", path)``: run the CLI in-process against a store."""
    runner = CliRunner()

    def bind(db: Path):
        def run(*args: str | Path):
            argv = ["--db", str(db), *map(str, args)]
            return runner.invoke(app, argv, catch_exceptions=False)

        return run

    return bind


@pytest.fixture
def cli(cli_for, db_path: Path):
    """Run the CLI against the test's store: ``cli("ingest", path)`` → click Result."""
    return cli_for(db_path)


@pytest.fixture
def run_cli(db_path: Path):
    """Run the real ``tradetrace`` process (for exit codes and stderr as a user sees them)."""
    import subprocess
    import sys

    def run(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "tradetrace", "--db", str(db_path), *map(str, args)]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=300)

    return run


#: The AURUS pipeline is built once per session, one step after another, each step's store a
#: copy of the one before, so every module that needs a stage shares it instead of rebuilding
#: it: ``aurus_sample`` (generated and ingested), ``aurus_resolved``, ``aurus_db`` (screened).
#: The stores they return are never written by tests: a test that changes one works on a copy.


@pytest.fixture(scope="session")
def aurus_sample(tmp_path_factory, cli_for) -> dict:
    """The SYNTHETIC sample (3,000 rows, seed 7), generated and ingested once.

    ``dir``: the sample folder; ``manifest``: what ``sample --json`` printed; ``ingested``:
    a store with both customs files ingested (copy it before use); ``ingest``: what
    ``ingest --json`` printed.
    """
    tmp = tmp_path_factory.mktemp("aurus")
    sample, ingested = tmp / "sample", tmp / "ingested.duckdb"
    made = cli_for(tmp / "unused.duckdb")(
        "sample", "--out", sample, "--rows", "3000", "--seed", "7", "--json"
    )
    assert made.exit_code == 0, f"sample: {made.output}"
    loaded = cli_for(ingested)(
        "ingest", sample / "synthetic_ru_customs_2018_2021.csv",
        sample / "synthetic_ru_customs_2022_2024.csv", "--json",
    )  # fmt: skip
    assert loaded.exit_code == 0, f"ingest: {loaded.output}"
    return {
        "dir": sample,
        "manifest": json.loads(made.output),
        "ingested": ingested,
        "ingest": json.loads(loaded.output),
    }


@pytest.fixture(scope="session")
def aurus_resolved(aurus_sample, cli_for) -> Path:
    """``aurus_sample``'s store, resolved (a store of its own, beside the sample folder)."""
    db = aurus_sample["ingested"].with_name("resolved.duckdb")
    shutil.copy(aurus_sample["ingested"], db)
    result = cli_for(db)("resolve")
    assert result.exit_code == 0, f"resolve: {result.output}"
    return db


@pytest.fixture(scope="session")
def aurus_db(aurus_resolved, cli_for) -> Path:
    """The whole pipeline once: SYNTHETIC sample → ingest → resolve → real OFAC/UK lists → screen.

    Read-only for the tests that share it (exposure, report, graph, API). The sample folder
    is beside it (``aurus_db.parent / "sample"``).
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    db = aurus_resolved.with_name("aurus.duckdb")
    shutil.copy(aurus_resolved, db)
    run = cli_for(db)
    for step in (
        ("lists", "load", SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz",
         SHARED_DATA / "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz"),
        ("screen",),
    ):  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, f"{step[0]}: {result.output}"
    return db


@pytest.fixture(scope="session")
def alert_db(aurus_db, cli_for, tmp_path_factory) -> Path:
    """A copy of ``aurus_db`` screened against the OFAC SDN as it stood on 2023-01-01, then
    watched after the 2024-05-03 list was loaded: AURUS's designation (entry 47956, listed
    2024-02-23) is the latest run's alert. Read-only for the tests that share it."""
    import duckdb

    sdn = SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz"
    db = tmp_path_factory.mktemp("alerts") / "alerts.duckdb"
    shutil.copy(aurus_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM list_entries WHERE list = 'ofac_sdn'")
    run = cli_for(db)
    for step, status in (
        (("lists", "load", sdn, "--as-of", "2023-01-01"), 0),
        (("screen",), 0),
        (("lists", "load", sdn), 0),
        (("watch",), 1),  # 1: there are alerts
    ):
        result = run(*step)
        assert result.exit_code == status, f"{step[0]}: {result.output}"
    return db


#: The real official statistics of ``../shared/data/trade/aggregate`` (docs/stats.md).
COMEXT = (
    SHARED_DATA
    / "trade/aggregate/eurostat_comext_eu_members_to_russia_and_neighbours_monthly.csv.gz"
)


@pytest.fixture(scope="session")
def aurus_with_flows(aurus_db, tmp_path_factory, cli_for) -> Path:
    """A copy of ``aurus_db`` (SYNTHETIC) with the real Comext file loaded beside it: the
    exposure's context from official statistics. Read-only for the tests that share it."""
    db = tmp_path_factory.mktemp("aurus_flows") / "aurus.duckdb"
    shutil.copy(aurus_db, db)
    result = cli_for(db)("stats", "load", COMEXT)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="session")
def shared_list():
    """``shared_list("sanctions/ofac/sdn_2024-05-03.csv.gz")``: a list file of the shared
    data read with ``read_list`` once per session (Arrow tables are immutable, so the
    modules that build an index from the same files share the parsing)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    from tradetrace.screen.lists.load import read_list

    tables: dict[str, object] = {}

    def read(relative: str):
        if relative not in tables:
            tables[relative] = read_list(SHARED_DATA / relative)
        return tables[relative]

    return read


#: The 41 real vendor files, as ``eval/real_store.py`` ingests them (the Armenian monthly
#: files need ``--currency AMD``: nothing in them says their values are drams).
REAL_FILES = SHARED_DATA / "trade" / "firm_level_samples_aaziko"
REAL_CURRENCY = {"armenia_export_s.csv.gz": "AMD", "armenia_import_s.csv.gz": "AMD"}


@pytest.fixture(scope="session")
def real_resolved(tmp_path_factory) -> dict:
    """The 41 real vendor files ingested in name order and resolved, once per session:
    ``db`` (copy it before writing) and ``files`` (each file's ingest result by name)."""
    if not REAL_FILES.is_dir():
        pytest.skip(f"{REAL_FILES} not found")
    from tradetrace.ingest.detect import Options
    from tradetrace.ingest.pipeline import ingest
    from tradetrace.resolve.run import resolve

    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    files = {}
    with open_store(db) as store:
        for path in sorted(REAL_FILES.glob("*.csv.gz")):
            currency = REAL_CURRENCY.get(path.name)
            options = Options(currency=currency) if currency else None
            files[path.name] = ingest(store, [path], options=options).files[0]
        resolve(store)
    return {"db": db, "files": files}
