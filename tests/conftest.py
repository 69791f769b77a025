"""Shared fixtures: a fresh store per test, the shared real-data folder, a tiny CLI runner."""

from __future__ import annotations

import os
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
    "test_match_recall.py", "test_real_vendor_files.py", "test_report.py",
    "test_report_pdf.py", "test_sample_pipeline.py", "test_screen.py",
    "test_screen_index_cache.py", "test_screen_precision.py", "test_search_speed.py",
    "test_spark.py", "test_store_catalogue.py",
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


@pytest.fixture(scope="session")
def aurus_db(tmp_path_factory, cli_for) -> Path:
    """The whole pipeline once: SYNTHETIC sample → ingest → resolve → real OFAC/UK lists → screen.

    Read-only for the tests that share it (exposure, report, graph, API).
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("aurus")
    db = tmp / "aurus.duckdb"
    run = cli_for(db)
    sample = tmp / "sample"
    for step in (
        ("sample", "--out", sample, "--rows", "3000", "--seed", "7"),
        ("ingest", sample / "synthetic_ru_customs_2018_2021.csv",
         sample / "synthetic_ru_customs_2022_2024.csv"),
        ("resolve",),
        ("lists", "load", SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz",
         SHARED_DATA / "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz"),
        ("screen",),
    ):  # fmt: skip
        result = run(*step)
        assert result.exit_code == 0, f"{step[0]}: {result.output}"
    return db
