"""The catalogue of stored tables: it matches what the pipeline writes, the docs show it, and a
command run before its prerequisite names the command to run first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import SHARED_DATA
from tradetrace.errors import StoreError
from tradetrace.store import open_store

DOC = Path(__file__).resolve().parents[1] / "docs" / "store.md"
RESOLVE_FIRST = "error: no resolved entities in this store: run `tradetrace resolve` first"
LISTS_FIRST = "error: no sanctions lists in this store: run `tradetrace lists load` first"


@pytest.fixture(scope="module")
def full_db(aurus_db, tmp_path_factory, cli_for) -> Path:
    """The AURUS pipeline store, plus the steps it leaves out: reference data, a judgement and
    official statistics."""
    db = tmp_path_factory.mktemp("catalogue") / "full.duckdb"
    shutil.copyfile(aurus_db, db)
    run = cli_for(db)
    with open_store(db, read_only=True) as store:
        two = store.to_arrow(store.table("entities").select("entity_id").limit(2))
    a, b = two["entity_id"].to_pylist()
    imf = SHARED_DATA / "trade/aggregate/imf_imts_russia_by_partner_2016_2024.csv"
    for step in (
        ("data", "import", SHARED_DATA),
        ("resolve", "judge", a, b, "--different"),
        ("stats", "load", imf),
    ):
        result = run(*step)
        assert result.exit_code == 0, f"{step}: {result.output}"
    return db


def _columns(schema) -> list[tuple[str, str]]:
    """Columns and types in order, as declared or as stored: nullability aside, and a timestamp
    declared without a precision has the engine's (microseconds)."""
    default = {"scale": 6}
    return [
        (name, str(dtype.copy(nullable=True, **(default if _unscaled(dtype) else {}))))
        for name, dtype in schema.items()
    ]


def _unscaled(dtype) -> bool:
    return dtype.is_timestamp() and dtype.scale is None


def test_every_stored_table_is_catalogued_with_its_columns(full_db):
    from tradetrace.store.catalogue import CATALOGUE

    with open_store(full_db, read_only=True) as store:
        stored = {name: store.table(name).schema() for name in store.con.list_tables()}
    assert sorted(stored) == sorted(CATALOGUE)  # nothing uncatalogued, nothing stale
    for name, schema in stored.items():
        assert _columns(schema) == _columns(CATALOGUE[name].schema()), name


def test_the_docs_show_the_catalogue():
    from tradetrace.store.catalogue import markdown

    assert markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/store.md is out of date: paste in tradetrace.store.catalogue.markdown()"
    )


def test_a_missing_table_names_the_command_that_writes_it(store):
    with pytest.raises(StoreError) as missing:
        store.table("entities")
    assert f"error: {missing.value}" == RESOLVE_FIRST
    with pytest.raises(StoreError, match="no table '_nothing'"):
        store.table("_nothing")


@pytest.fixture
def unresolved(db_path: Path) -> Path:
    """A store as `tradetrace ingest` leaves it: declarations, no entities."""
    with open_store(db_path):
        pass
    return db_path


@pytest.mark.parametrize(
    "command",
    [
        ("exposure", "7743237789"),
        ("report", "7743237789", "--format", "md"),
        ("entities", "search", "aurus"),
        ("screen",),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_command_before_resolve_says_to_resolve(unresolved, run_cli, command):
    proc = run_cli(*command)
    assert (proc.returncode, proc.stderr.strip(), proc.stdout) == (2, RESOLVE_FIRST, "")


def test_screening_before_lists_are_loaded_says_to_load_them(unresolved, run_cli):
    from tradetrace.resolve.run import ENTITY_SCHEMA

    with open_store(unresolved) as store:
        store.replace_table("entities", ENTITY_SCHEMA.empty_table())
    proc = run_cli("screen")
    assert (proc.returncode, proc.stderr.strip(), proc.stdout) == (2, LISTS_FIRST, "")


def test_the_api_answers_409_with_the_command_to_run(unresolved):
    from tradetrace.api import create_app

    with TestClient(create_app(unresolved), raise_server_exceptions=False) as client:
        for path in ("/entities/tt-inn-7743237789", "/declarations", "/entities?q=aurus"):
            response = client.get(path)
            assert response.status_code == 409, (path, response.text)
            assert f"error: {response.json()['detail']}" == RESOLVE_FIRST, path
