"""The list index saved beside the store: written, reused, never stale, rebuilt when damaged."""

from __future__ import annotations

import csv
import json
import os
import pickle
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradetrace.cli import app
from tradetrace.screen import index_cache
from tradetrace.screen.candidates import list_keys
from tradetrace.screen.index_cache import (
    STATS,
    cache_path,
    index_for_file,
    index_for_store,
    load_index,
    save_index,
    with_config,
)
from tradetrace.screen.lists.load import load_lists
from tradetrace.screen.match import ListIndex, MatchConfig, Query
from tradetrace.screen.results import screen_names
from tradetrace.screen.run import current_entries
from tradetrace.store import open_store

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
FIRST = (DATA / "ofac_sdn_advanced_sample.xml", DATA / "uk_ofsi_sample.csv")
AURUS = ("ООО «АУРУС»", "--country", "RU")


@pytest.fixture(autouse=True)
def _fresh():
    """Each test starts with no index kept in memory and zero counts."""
    index_cache.forget()
    STATS.clear()
    yield
    index_cache.forget()


def invoke(db: Path, *args) -> str:
    result = runner.invoke(app, ["--db", str(db), *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def screen(db: Path, name: str, *options: str) -> list[dict]:
    return json.loads(invoke(db, "screen-name", name, "--json", *options))["matches"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with two lists loaded (and their index saved), seen as by a new process."""
    db = tmp_path / "store.duckdb"
    invoke(db, "lists", "load", *FIRST)
    index_cache.forget()
    STATS.clear()
    return db


def test_lists_load_saves_the_index_and_screen_name_loads_it(tmp_path):
    db = tmp_path / "store.duckdb"
    invoke(db, "lists", "load", *FIRST)
    assert cache_path(db).is_file()
    assert STATS["built"] == 1 and STATS["saved"] == 1
    saved = cache_path(db).stat().st_mtime_ns
    for _ in range(2):
        index_cache.forget()  # as a new process: nothing in memory
        STATS.clear()
        [aurus] = [m for m in screen(db, *AURUS) if m["list"] == "ofac_sdn"]
        assert aurus["name"] == "LIMITED LIABILITY COMPANY AURUS"
        assert STATS["loaded"] == 1 and STATS["built"] == 0 and STATS["saved"] == 0
    assert cache_path(db).stat().st_mtime_ns == saved  # read, never rewritten


def test_one_index_serves_every_threshold(db):
    strict = screen(db, "AURUS LLC", "--threshold", "0.99")
    loose = screen(db, "AURUS LLC", "--threshold", "0.6")
    assert STATS["built"] == 0 and STATS["loaded"] == 1 and STATS["memory"] == 1
    assert len(loose) >= len(strict)
    assert all(m["score"] >= 0.6 for m in loose) and all(m["score"] >= 0.99 for m in strict)


def test_new_lists_are_screened_at_once(db):
    name = "Testovy Priborostroitelny Zavod"
    assert {m["list"] for m in screen(db, name)} == {"uk_ofsi"}
    invoke(db, "lists", "load", DATA / "eu_fsf_sample.xml")
    index_cache.forget()
    STATS.clear()
    assert {m["list"] for m in screen(db, name)} == {"uk_ofsi", "eu"}
    assert STATS["loaded"] == 1  # saved by `lists load`


def test_a_saved_index_is_never_served_for_other_lists(db):
    """Lists loaded by any path (here the library, which saves no index) make it stale."""
    assert index_for_file(db) is not None
    with open_store(db) as store:
        load_lists(store, [DATA / "eu_fsf_sample.xml"])
    index_cache.forget()
    assert index_for_file(db) is None  # the file is there, but for the old lists
    with open_store(db, read_only=True) as store:
        index = index_for_store(store)
    assert STATS["built"] == 1
    assert "eu" in {e["list"] for e in index.entries}
    assert index_for_file(db) is not None


def test_loading_the_same_file_again_rebuilds_the_index(db):
    before = cache_path(db).stat().st_mtime_ns
    invoke(db, "lists", "load", FIRST[0])
    assert STATS["built"] == 1 and cache_path(db).stat().st_mtime_ns != before


def test_changed_code_rebuilds_the_index(db, monkeypatch):
    monkeypatch.setattr(index_cache, "code_version", lambda: "another version")
    assert index_for_file(db) is None
    screen(db, *AURUS)
    assert STATS["built"] == 1 and STATS["loaded"] == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-5000] + bytes(b ^ 0xFF for b in data[-5000:]),  # flipped bits
        lambda data: b"not an index at all",
        lambda data: b"",
    ],
    ids=["truncated", "flipped", "garbage", "empty"],
)
def test_a_damaged_file_is_ignored_and_rebuilt(db, damage):
    path = cache_path(db)
    path.write_bytes(damage(path.read_bytes()))
    [aurus] = [m for m in screen(db, *AURUS) if m["list"] == "ofac_sdn"]
    assert aurus["id"]
    assert STATS["rejected"] == 1 and STATS["built"] == 1 and STATS["saved"] == 1
    index_cache.forget()
    STATS.clear()
    screen(db, *AURUS)
    assert STATS["loaded"] == 1 and STATS["built"] == 0  # the rebuilt file is good


def test_the_stamp_skips_duckdb_until_the_store_changes(db, monkeypatch):
    monkeypatch.setattr(index_cache, "SETTLED", -1.0)  # the store was written just now
    reads = []
    read_lists = index_cache._read_lists
    monkeypatch.setattr(index_cache, "_read_lists", lambda db: reads.append(1) or read_lists(db))
    for _ in range(3):
        index_cache.forget()
        assert index_for_file(db) is not None
    assert len(reads) == 1  # then the stamp answered
    time.sleep(0.01)
    with open_store(db) as store:  # any write changes the fingerprint
        load_lists(store, [DATA / "un_sample.xml"])
    index_cache.forget()
    assert index_for_file(db) is None and len(reads) == 2  # read again: stale, not served


def test_a_store_not_settled_is_not_stamped(db):
    os.utime(db)  # changed just now
    assert index_for_file(db) is not None
    assert not index_cache._stamp_path(db).exists()


def test_no_file_no_cache(tmp_path):
    """Without a store file to save beside (``cache=False`` here) the index is built."""
    db = tmp_path / "store.duckdb"
    with open_store(db) as store:
        load_lists(store, list(FIRST))
        index_for_store(store, cache=False)
        index_cache.forget()
        index_for_store(store, cache=False)
    assert STATS["built"] == 2 and not cache_path(db).exists()


def _lists() -> list[Path]:
    sanctions = SHARED / "sanctions"
    real = [
        sanctions / "ofac/sdn_2024-05-03.csv.gz",
        sanctions / "uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
    ]
    if all(p.exists() for p in real):
        return real
    return [
        *FIRST,
        DATA / "un_sample.xml",
        DATA / "eu_fsf_sample.xml",
        DATA / "os_delta_sample.json",
    ]


def _queries(index: ListIndex) -> list[Query]:
    """Names from the lists (whole, with a letter dropped) and a few from nowhere."""
    entries = list(index.entries)
    step = max(1, len(entries) // 30)
    names = [e["name"] for e in entries[::step]]
    names += [a["name"] for e in entries[::step] for a in (e["aliases"] or [])[:1]]
    names += [n[:3] + n[4:] for n in names if len(n) > 6]
    names += ["ООО «АУРУС»", "Siemens AG", "TRADING LLC", "Muhammad Hassan", "ICI", ""]
    queries = [Query(n, c, s) for n in names for c, s in ((None, "Company"), ("RU", "Person"))]
    queries += [Query("anything", None, "Company", ("inn:7743237789",))]
    queries += [Query(n, "RU", "Vessel") for n in names[:20]]
    return queries


def test_a_loaded_index_answers_as_the_built_one(tmp_path):
    db = tmp_path / "store.duckdb"
    with open_store(db) as store:
        load_lists(store, _lists())
        entries = current_entries(store)
    built = ListIndex(entries, MatchConfig())
    path = tmp_path / "index"
    assert save_index(built, path, "key", entries)
    assert load_index(path, "other key") is None
    loaded = load_index(path, "key")
    assert loaded is not None and STATS["loaded"] == 1
    queries = _queries(built)
    for threshold, some in ((0.85, queries), (0.7, queries[::4])):
        a = with_config(built, MatchConfig(threshold=threshold))
        b = with_config(loaded, MatchConfig(threshold=threshold))
        for query in some:
            assert screen_names(b, [query]) == screen_names(a, [query]), query
    for query in queries[:1]:  # scores every name: slow
        assert loaded.exhaustive(query) == built.exhaustive(query)
    sort = [("token", "ascending"), ("name_id", "ascending")]
    assert list_keys(loaded).sort_by(sort).equals(list_keys(built).sort_by(sort))
    # sent to another process (Spark ships the index to its workers): plain data again
    copied = pickle.loads(pickle.dumps(loaded))
    for query in queries[:20]:
        assert copied.match(query) == built.match(query)


def test_screen_file_gives_the_same_rows_with_and_without_the_saved_index(db, tmp_path):
    names = ["LIMITED LIABILITY COMPANY AURUS", "Ivan Ivanovich TESTOV", "TPZ LLC", "Siemens AG"]
    sample = tmp_path / "names.csv"
    sample.write_text("name\n" + "\n".join(names) + "\n", encoding="utf-8")
    with_cache, without = tmp_path / "with.csv", tmp_path / "without.csv"
    invoke(db, "screen-file", sample, "--out", with_cache)
    assert STATS["loaded"] == 1 and STATS["built"] == 0
    cache_path(db).unlink()
    index_cache.forget()
    invoke(db, "screen-file", sample, "--out", without)
    assert STATS["built"] == 1
    assert with_cache.read_text(encoding="utf-8") == without.read_text(encoding="utf-8")
    with with_cache.open(encoding="utf-8") as handle:
        rows = {(r["name"], r["list"]) for r in csv.DictReader(handle)}
    assert {(names[0], "ofac_sdn"), ("Siemens AG", "")} <= rows


def test_the_api_keeps_one_index_per_list_version(db):
    from fastapi.testclient import TestClient

    from tradetrace.api import create_app

    body = {"names": ["Testovy Priborostroitelny Zavod", "ООО «АУРУС»"]}
    with TestClient(create_app(db)) as client:
        first = client.post("/screen", json=body).json()["results"]
        assert {m["list"] for m in first[0]["matches"]} == {"uk_ofsi"}
        assert STATS["built"] == 0 and STATS["loaded"] == 1  # saved by `lists load`
        invoke(db, "lists", "load", DATA / "eu_fsf_sample.xml")
        time.sleep(0.6)  # the server checks for a new snapshot twice a second
        later = client.post("/screen", json=body).json()["results"]
        assert {m["list"] for m in later[0]["matches"]} == {"uk_ofsi", "eu"}
        assert list(db.parent.glob(".*serving*/*.duckdb"))  # it reads a snapshot ...
        assert not list(db.parent.glob(".*serving*/*.screen-index"))  # ... not its index
    assert STATS["built"] == 1  # by `lists load`, not by the server
