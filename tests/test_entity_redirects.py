"""Entity ids outlive judgements: who keeps an id, and where a retired id leads.

Read top to bottom, this is the manual for stable ids (resolve/ids.py, resolve/redirects.py):

1. A fresh store gets content-derived ids: ``tt-inn-<INN>``, else a hash of a party id.
2. ``resolve judge A B --different`` splits an entity: the part that keeps the id's basis
   (the INN of a ``tt-inn-…`` id; if both parts hold it, the part with more of the
   entity's declaration lines) keeps the id; the other part gets a new one.
3. ``resolve judge A B --same`` merges two entities: the merged one keeps the INN-based id if
   either had one, else the id of the side with more lines. The other id is retired and
   ``entity_redirects`` sends it to the survivor.
4. A retired id keeps working wherever an entity id is given: ``entities show``,
   ``exposure``, ``resolve explain``, ``entities search``, the API (the successor's data,
   saying ``redirected_from``) and the dashboard (a saved ``#<old id>`` link).
5. Chains collapse (a → b, b → c ⇒ a → c), and an id in use again is not redirected.
6. A full re-run of ``resolve`` keeps every id and every redirect.

The store: three records of ООО «РОМАШКА» (two with its INN), АО «СЕВЕР» with no INN, and
three foreign suppliers with no INN (hash ids): ZENITH (2 lines), ACME (5), OMEGA (9).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tradetrace.api import create_app
from tradetrace.resolve.ids import Retired, keep_ids
from tradetrace.resolve.redirects import collapse
from tradetrace.store import open_store

ROMASHKA = "tt-inn-7743237789"
HEADER = ["Номер ДТ", "Дата ДТ", "Получатель", "ИНН получателя", "Отправитель",
          "Страна отправления", "Код ТН ВЭД", "Статистическая стоимость, USD"]  # fmt: skip
#: (importer, its INN, supplier, lines)
TRADE = [
    ("ООО «РОМАШКА»", "7743237789", "ACME LTD", 4),  # record A: the INN, 4 lines
    ("ООО РОМАШКА", "7743237789", "ACME LTD", 1),  # record B: the INN, 1 line
    ("ООО «РОМАШКА»", "", "ZENITH GMBH", 2),  # record C: no INN, 2 lines
    ("АО «СЕВЕР»", "", "OMEGA SPA", 9),
]


def write_declarations(path: Path) -> Path:
    rows, n = [], 0
    for importer, inn, supplier, lines in TRADE:
        for _ in range(lines):
            n += 1
            rows.append([f"D{n}", f"{n:02d}.03.2021", importer, inn, supplier, "DE",
                         "8708299009", "1000"])  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


@pytest.fixture(scope="module")
def resolved(tmp_path_factory, cli_for) -> Path:
    """Ingested and resolved once; every test works on its own copy."""
    tmp = tmp_path_factory.mktemp("redirects")
    db = tmp / "base.duckdb"
    run = cli_for(db)
    for step in (("ingest", write_declarations(tmp / "trade.csv")), ("resolve",)):
        result = run(*step)
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(resolved, tmp_path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copy(resolved, copy)
    return copy


@pytest.fixture
def tt(db, cli_for):
    """``tt("entities", "show", id)`` → the CLI's JSON (``--json`` added), exit code checked."""
    run = cli_for(db)

    def call(*args: str):
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return call


def sql(db: Path, query: str) -> list[dict]:
    with open_store(db, read_only=True) as store:
        return store.query(query).to_pylist()


def entity_of(db: Path, name: str, inn: str | None = None) -> str:
    """The entity id of the party record with this name (and INN, or none)."""
    inn_test = f"inn = '{inn}'" if inn else "inn IS NULL"
    [row] = sql(db, f"SELECT entity_id FROM parties WHERE name = '{name}' AND {inn_test}")
    return row["entity_id"]


def party_of(db: Path, name: str, inn: str | None = None) -> str:
    inn_test = f"inn = '{inn}'" if inn else "inn IS NULL"
    [row] = sql(db, f"SELECT party_id FROM parties WHERE name = '{name}' AND {inn_test}")
    return row["party_id"]


def redirects(db: Path) -> dict[str, tuple[str, str]]:
    rows = sql(db, "SELECT * FROM entity_redirects")
    return {r["old_id"]: (r["new_id"], r["reason"]) for r in rows}


def hash_id(party_id: str) -> str:
    return "tt-" + hashlib.sha1(party_id.encode()).hexdigest()[:16]


def ids_of(db: Path) -> list[dict]:
    return sql(db, "SELECT party_id, entity_id FROM parties ORDER BY party_id")


# -- 1. a fresh store -----------------------------------------------------------------------------


def test_a_fresh_store_gets_content_ids_and_no_redirects(db):
    assert entity_of(db, "ООО «РОМАШКА»", "7743237789") == ROMASHKA
    assert entity_of(db, "ООО РОМАШКА", "7743237789") == ROMASHKA
    assert entity_of(db, "ООО «РОМАШКА»") == ROMASHKA  # record C joins on its name
    for supplier in ("ACME LTD", "ZENITH GMBH", "OMEGA SPA", "АО «СЕВЕР»"):
        assert entity_of(db, supplier) == hash_id(party_of(db, supplier))
    assert redirects(db) == {}  # the table exists from the first run on, empty


# -- 2. splits ------------------------------------------------------------------------------------


def test_split_off_record_without_the_inn_gets_a_new_id(db, tt):
    a, c = party_of(db, "ООО «РОМАШКА»", "7743237789"), party_of(db, "ООО «РОМАШКА»")
    tt("resolve", "judge", a, c, "--different", "--who", "analyst")
    assert entity_of(db, "ООО «РОМАШКА»", "7743237789") == ROMASHKA
    assert entity_of(db, "ООО РОМАШКА", "7743237789") == ROMASHKA
    assert entity_of(db, "ООО «РОМАШКА»") == hash_id(c)
    assert redirects(db) == {}  # nothing was retired


def test_when_both_parts_hold_the_inn_the_part_with_more_lines_keeps_it(db, tt):
    """Records A (4 lines) and B (1 line) both carry the INN. Apart, both could claim
    tt-inn-7743237789; the part with more of the entity's lines keeps it. (Ids derived
    afresh took it from both, renaming the firm everyone had saved.)"""
    a, b = party_of(db, "ООО «РОМАШКА»", "7743237789"), party_of(db, "ООО РОМАШКА", "7743237789")
    tt("resolve", "judge", a, b, "--different", "--who", "analyst")
    kept = entity_of(db, "ООО «РОМАШКА»", "7743237789")  # record A, 4 of the 7 lines
    other = entity_of(db, "ООО РОМАШКА", "7743237789")
    assert kept == ROMASHKA
    assert other != ROMASHKA and other.startswith("tt-") and "-inn-" not in other
    shown = tt("entities", "show", ROMASHKA)
    assert shown["importer_lines"] > tt("entities", "show", other)["importer_lines"]
    assert redirects(db) == {}


# -- 3. merges ------------------------------------------------------------------------------------


def test_a_merge_keeps_the_id_of_the_side_with_more_lines(db, tt):
    zenith, acme = entity_of(db, "ZENITH GMBH"), entity_of(db, "ACME LTD")  # 2 and 5 lines
    tt("resolve", "judge", zenith, acme, "--same", "--who", "analyst")
    assert entity_of(db, "ZENITH GMBH") == entity_of(db, "ACME LTD") == acme
    assert redirects(db) == {zenith: (acme, "merged")}
    [row] = sql(db, 'SELECT "at" FROM entity_redirects')  # AT is an SQL keyword
    assert row["at"].endswith("+00:00")  # UTC, ISO 8601


def test_a_merge_prefers_the_inn_based_id_over_more_lines(db, tt):
    sever = entity_of(db, "АО «СЕВЕР»")  # 9 lines, no INN; ООО «РОМАШКА» has 7
    tt("resolve", "judge", sever, ROMASHKA, "--same", "--who", "analyst")
    assert entity_of(db, "АО «СЕВЕР»") == ROMASHKA
    assert redirects(db) == {sever: (ROMASHKA, "merged")}


# -- 4. a retired id keeps working ----------------------------------------------------------------


@pytest.fixture
def merged(db, tt) -> tuple[str, str]:
    """ZENITH merged into ACME: (the retired id, the id it leads to)."""
    zenith, acme = entity_of(db, "ZENITH GMBH"), entity_of(db, "ACME LTD")
    tt("resolve", "judge", zenith, acme, "--same", "--who", "analyst")
    return zenith, acme


def test_entities_show_follows_a_retired_id(tt, merged, cli_for, db):
    old, new = merged
    shown = tt("entities", "show", old)
    assert shown["entity_id"] == new
    assert shown["redirected_from"] == old and shown["redirect_reason"] == "merged"
    assert shown["exporter_lines"] == 7 and shown["parties"] == 2
    assert "redirected_from" not in tt("entities", "show", new)
    table = cli_for(db)("entities", "show", old)
    assert table.exit_code == 0 and "ACME LTD" in table.stdout
    assert f"{old} was merged into {new}" in table.stderr


def test_exposure_explain_and_search_follow_a_retired_id(tt, merged):
    old, new = merged
    exposure = tt("exposure", old, "--role", "exporter")
    assert exposure["target"]["entity_id"] == new
    assert exposure["target"]["redirected_from"] == old
    assert exposure["lines"] == 7  # ACME's 5 and ZENITH's 2
    assert exposure == {**tt("exposure", new, "--role", "exporter"), "target": exposure["target"]}
    explained = tt("resolve", "explain", old)
    assert explained["entity"]["entity_id"] == new and explained["redirected_from"] == old
    assert [f["old_id"] for f in tt("resolve", "explain", new)["former_ids"]] == [old]
    [hit, *_] = tt("entities", "search", old)
    assert hit["entity_id"] == new and hit["score"] == 1.0


def test_an_unknown_id_is_still_an_error(db, run_cli, merged):
    result = run_cli("entities", "show", "tt-0000000000000000")
    assert result.returncode == 2 and "no entity 'tt-0000000000000000'" in result.stderr


def test_the_api_answers_a_retired_id_with_the_successor(db, merged):
    """200 with the successor's data (``redirected_from`` says so) rather than a 301/308:
    every client gets the answer in one round trip, whether or not it follows redirects
    or re-sends its API key to a new URL. ``Content-Location`` names the canonical URL."""
    old, new = merged
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        entity = client.get(f"/entities/{old}")
        assert entity.status_code == 200
        assert entity.json()["entity_id"] == new
        assert entity.json()["redirected_from"] == old
        assert entity.json()["redirect_reason"] == "merged"
        assert entity.headers["content-location"] == f"/entities/{new}"
        assert "redirected_from" not in client.get(f"/entities/{new}").json()

        exposure = client.get(f"/exposure/{old}", params={"role": "exporter"})
        assert exposure.status_code == 200
        assert exposure.json()["target"]["entity_id"] == new
        assert exposure.json()["target"]["redirected_from"] == old
        assert exposure.headers["content-location"] == f"/exposure/{new}?role=exporter"
        current = client.get(f"/exposure/{new}", params={"role": "exporter"}).json()
        assert {**current, "target": exposure.json()["target"]} == exposure.json()

        report = client.get(f"/report/{old}", params={"role": "exporter", "format": "json"})
        assert report.status_code == 200 and report.json()["target"]["entity_id"] == new
        graph = client.get(f"/graph/{old}", params={"role": "exporter"})
        assert graph.status_code == 200 and graph.json()["target"] == new
        lines = client.get("/declarations", params={"exporter": old}).json()
        assert lines["total"] == 7
        assert client.get("/entities", params={"q": old}).json()[0]["entity_id"] == new
        assert client.get("/entities/tt-0000000000000000").status_code == 404


# -- 5. chains, and ids that come back ------------------------------------------------------------


def test_chains_collapse_and_every_old_id_leads_to_the_last_entity(db, tt, merged):
    zenith, acme = merged  # ZENITH → ACME (7 lines together)
    omega = entity_of(db, "OMEGA SPA")  # 9 lines: more than ACME's 7
    tt("resolve", "judge", acme, omega, "--same", "--who", "analyst")
    assert redirects(db) == {zenith: (omega, "merged"), acme: (omega, "merged")}
    for old in (zenith, acme):
        assert tt("entities", "show", old)["entity_id"] == omega
        assert tt("exposure", old, "--role", "exporter")["target"]["entity_id"] == omega
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        assert client.get(f"/entities/{zenith}").json()["entity_id"] == omega
        exposure = client.get(f"/exposure/{zenith}", params={"role": "exporter"}).json()
        assert exposure["target"]["entity_id"] == omega and exposure["lines"] == 16


def test_an_id_in_use_again_is_not_redirected(db, tt, merged):
    """ZENITH was merged into ACME; a newer judgement separates them again. ZENITH's record
    gets its own id back (the hash of its party id), so that id stops redirecting."""
    zenith, acme = merged  # judge the records: both ids now name the merged entity
    tt("resolve", "judge", party_of(db, "ZENITH GMBH"), party_of(db, "ACME LTD"), "--different",
       "--who", "analyst")  # fmt: skip
    assert entity_of(db, "ZENITH GMBH") == zenith and entity_of(db, "ACME LTD") == acme
    assert redirects(db) == {}
    assert "redirected_from" not in tt("entities", "show", zenith)


# -- 6. full re-runs ------------------------------------------------------------------------------


def test_a_full_rerun_keeps_every_id_and_redirect(db, tt, merged):
    a, b = party_of(db, "ООО «РОМАШКА»", "7743237789"), party_of(db, "ООО РОМАШКА", "7743237789")
    tt("resolve", "judge", a, b, "--different", "--who", "analyst")
    before, moved = ids_of(db), redirects(db)
    tt("resolve")
    assert ids_of(db) == before and redirects(db) == moved
    assert entity_of(db, "ООО «РОМАШКА»", "7743237789") == ROMASHKA


# -- the rules on their own (resolve/ids.py, resolve/redirects.py) -------------------------------


def test_keep_ids_rules():
    fresh = {"a": "tt-inn-7743237789", "c": "tt-hc"}
    inn = {"a": ["inn:7743237789"], "b": ["inn:7743237789"]}
    lines = {"a": 1, "b": 10, "c": 3}
    # a fresh store: the content ids
    assert keep_ids({"a": ["a", "b"], "c": ["c"]}, fresh, {}, lines, inn) == (fresh, [])
    # a split where both parts hold the INN: the heavier part (b, 10 lines) keeps the id
    before = {"a": "tt-inn-7743237789", "b": "tt-inn-7743237789", "c": "tt-hc"}
    ids, retired = keep_ids(
        {"a": ["a"], "b": ["b"], "c": ["c"]},
        {"a": "tt-ha", "b": "tt-hb", "c": "tt-hc"}, before, lines, inn,
    )  # fmt: skip
    assert ids == {"a": "tt-ha", "b": "tt-inn-7743237789", "c": "tt-hc"} and retired == []
    # a merge of an INN entity (1 line) and a hash entity (3 lines): the INN id wins
    ids, retired = keep_ids({"a": ["a", "c"]}, {"a": "tt-inn-7743237789"},
                            {"a": "tt-inn-7743237789", "c": "tt-hc"}, lines, inn)  # fmt: skip
    assert ids == {"a": "tt-inn-7743237789"}
    assert retired == [Retired("tt-hc", "tt-inn-7743237789", "merged")]
    # the INN has gone from the records: its id cannot stay; the records go to a new id
    ids, retired = keep_ids({"c": ["c"]}, {"c": "tt-hc2"}, {"c": "tt-inn-7743237789"}, lines)
    assert ids == {"c": "tt-hc2"}
    assert retired == [Retired("tt-inn-7743237789", "tt-hc2", "renamed")]


def test_a_hash_id_stays_with_the_heavier_part_and_the_other_gets_a_free_id():
    """{p1, p2, p3} was named after its smallest record, p1. Split into {p1} and {p2, p3},
    the part with 10 of its 11 lines keeps the id, and p1 needs another."""
    lines = {"p1": 1, "p2": 5, "p3": 5}
    before = dict.fromkeys(lines, hash_id("p1"))
    fresh = {"p1": hash_id("p1"), "p2": hash_id("p2")}  # what a fresh store would say
    ids, retired = keep_ids({"p1": ["p1"], "p2": ["p2", "p3"]}, fresh, before, lines)
    assert ids["p2"] == hash_id("p1")
    assert ids["p1"] not in (hash_id("p1"), hash_id("p2")) and ids["p1"].startswith("tt-")
    assert retired == []


def test_redirects_collapse_chains_and_drop_ids_in_use():
    stored = [{"old_id": "a", "new_id": "b", "reason": "merged", "at": "t0"}]
    rows = collapse(stored, [Retired("b", "c", "merged"), Retired("z", None, "gone")], {"c"}, "t1")
    assert [(r["old_id"], r["new_id"], r["at"]) for r in rows] == [("a", "c", "t0"),
                                                                  ("b", "c", "t1")]  # fmt: skip
    assert collapse(rows, [Retired("c", "a", "split")], {"a"}, "t2") == [
        {"old_id": "b", "new_id": "a", "reason": "merged", "at": "t1"},
        {"old_id": "c", "new_id": "a", "reason": "split", "at": "t2"},
    ]  # "a" is in use again: it means itself, and what led through it leads to it


# -- the dashboard: a saved link to a retired id --------------------------------------------------


def test_a_saved_dashboard_link_lands_on_the_successor(db, tt):
    import os
    import socket
    import threading
    import time

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("TRADETRACE_REQUIRE_BROWSER"):
            pytest.fail(f"{chromium} missing")
        pytest.skip(f"{chromium} not installed")
    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    sever = entity_of(db, "АО «СЕВЕР»")
    tt("resolve", "judge", sever, ROMASHKA, "--same", "--who", "analyst")  # an importer
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port,
                                           log_level="error"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"http://127.0.0.1:{port}/#{sever}")
            expect(page.locator("#message")).to_contain_text(
                f"{sever} was merged into {ROMASHKA}", timeout=30_000
            )
            assert page.url.endswith(f"/#{ROMASHKA}")  # the saved link is updated too
            assert ROMASHKA in page.inner_text("#entity-meta")
            browser.close()
        assert errors == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- the same on Spark ----------------------------------------------------------------------------


def test_ids_and_redirects_on_a_spark_warehouse(tmp_path, resolved):
    """The redirect table goes through the store like every other (no engine-specific
    code): on a Parquet warehouse a merge retires an id and the old id still answers.
    Needs Java 17+ and pyspark; skipped without them unless TRADETRACE_REQUIRE_SPARK=1."""
    import os

    from typer.testing import CliRunner

    from tradetrace.cli import app

    missing = [] if shutil.which("java") else ["no java on PATH"]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("pyspark not installed")
    if missing:
        if os.environ.get("TRADETRACE_REQUIRE_SPARK") == "1":
            pytest.fail("; ".join(missing))
        pytest.skip("; ".join(missing))

    warehouse = tmp_path / "warehouse"

    def spark(*args: str | Path) -> dict:
        argv = ["--backend", "spark", "--db", str(warehouse), *map(str, args), "--json"]
        result = CliRunner().invoke(app, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    spark("ingest", write_declarations(tmp_path / "trade.csv"))
    spark("resolve")
    with open_store(warehouse, read_only=True, backend="spark") as store:
        parties = store.to_arrow(store.table("parties").select("name", "entity_id")).to_pylist()
    ids = {row["name"]: row["entity_id"] for row in parties}
    assert ids["ZENITH GMBH"] == entity_of(resolved, "ZENITH GMBH")  # same ids as DuckDB
    spark("resolve", "judge", ids["ZENITH GMBH"], ids["ACME LTD"], "--same", "--who", "analyst")
    shown = spark("entities", "show", ids["ZENITH GMBH"])
    assert shown["entity_id"] == ids["ACME LTD"] and shown["redirect_reason"] == "merged"
    spark("resolve")  # a full re-run keeps the redirect
    with open_store(warehouse, read_only=True, backend="spark") as store:
        moved = store.to_arrow(store.table("entity_redirects")).to_pylist()
    assert [(r["old_id"], r["new_id"]) for r in moved] == [(ids["ZENITH GMBH"], ids["ACME LTD"])]
