"""Screening against the real lists in shared/data, with listing dates and explanations."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradetrace.cli import app
from tradetrace.screen.match import compare_names, status_on
from tradetrace.store import open_store

runner = CliRunner()
PAIRS = Path(__file__).parent / "data" / "name_pairs.csv"


def invoke(db, *args):
    result = runner.invoke(app, ["--db", str(db), *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


SHARED_DATA = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


@pytest.fixture(scope="module")
def lists_db(tmp_path_factory):
    if not SHARED_DATA.is_dir():
        pytest.skip("shared data not found")
    sanctions = SHARED_DATA / "sanctions"
    db = tmp_path_factory.mktemp("screen") / "lists.duckdb"
    invoke(
        db,
        "lists",
        "load",
        sanctions / "ofac/sdn_2024-05-03.csv.gz",
        sanctions / "ofac/cons_prim_2025-12-19.csv",
        sanctions / "uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
        sanctions / "uk_covyr",
        sanctions / "un/un_consolidated_2026-02-27.xml.gz",
    )
    return db


def screen(db, name, *options):
    return json.loads(invoke(db, "screen-name", name, "--json", *options).output)


def test_lists_summary(lists_db):
    rows = json.loads(invoke(lists_db, "lists", "--json").output)
    by_list = {r["list"]: r for r in rows}
    assert by_list["ofac_sdn"]["entries"] == 14965
    assert by_list["ofac_sdn"]["version"] == "2024-05-03"
    assert {"ofac_cons", "uk_ofsi", "uk_sanctions_list", "un"} <= set(by_list)


@pytest.mark.parametrize("name", ["LIMITED LIABILITY COMPANY AURUS", "Aurus LLC", "ООО «АУРУС»"])
def test_aurus_finds_ofac_47956_with_its_listing_date(lists_db, name):
    result = screen(lists_db, name, "--country", "RU")
    assert list(result) == ["query", "matches"]
    ofac = [m for m in result["matches"] if m["list"] == "ofac_sdn"]
    assert ofac[0]["id"] == "47956"
    assert ofac[0]["listing_date"] == "2024-02-23"
    assert "RUSSIA-EO14024" in ofac[0]["programs"]
    assert ofac[0]["explanation"]["features"]["name"] >= 0.85
    assert {"list", "id", "name", "score", "listing_date", "programs", "explanation"} <= set(
        ofac[0]
    )


@pytest.mark.parametrize("name", ["ФГУП «НАМИ»", "FSUE NAMI", "NAMI"])
def test_nami_finds_ofac_and_the_uk_listing(lists_db, name):
    matches = screen(lists_db, name)["matches"]
    ids = {(m["list"], m["id"]): m for m in matches}
    assert ("ofac_sdn", "47953") in ids
    uk = [m for m in matches if m["list"] in {"uk_ofsi", "uk_sanctions_list"}]
    assert any(m["listing_date"] == "2024-06-13" for m in uk)


def test_identifier_equality_is_decisive(lists_db):
    matches = screen(lists_db, "Some Other Name", "--id", "inn:7743237789")["matches"]
    assert matches[0]["id"] == "47956" and matches[0]["score"] == 1.0
    assert matches[0]["explanation"]["features"] == {"identifier": 1.0}


@pytest.mark.parametrize(
    "name",
    ["Hyundai Motor Company", "Samsung Electronics", "Siemens AG", "CORP", "TRADING LLC"],
)  # fmt: skip
def test_well_known_unlisted_firms_match_nothing(lists_db, name):
    assert screen(lists_db, name)["matches"] == []


def test_bank_of_armenia_is_not_bank_of_america(lists_db):
    assert not compare_names("Bank of Armenia", "Bank of America")[1]
    names = [m["name"] for m in screen(lists_db, "Bank of Armenia")["matches"]]
    assert not any("AMERICA" in n for n in names)


def test_as_of_status(lists_db):
    before = screen(lists_db, "LLC AURUS", "--as-of", "2023-06-01")["matches"]
    after = screen(lists_db, "LLC AURUS", "--as-of", "2024-03-01")["matches"]
    assert before[0]["status_as_of"] == "not listed"
    assert after[0]["status_as_of"] == "listed"


def test_status_rules():
    assert status_on("2024-02-22", "2024-02-23", None) == "not listed"
    assert status_on("2024-02-23", "2024-02-23", None) == "listed"
    assert status_on("2025-01-01", "2024-02-23", "2024-12-31") == "delisted"
    assert status_on("2025-01-01", None, None) == "listing date unknown"


def test_name_pair_evaluation_set():
    """The hand-labelled pairs in tests/data/name_pairs.csv (see the README for the figures)."""
    tp = fp = fn = 0
    with PAIRS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            _, predicted = compare_names(row["name1"], row["name2"], row["schema"])
            truth = row["is_match"] == "1"
            tp += predicted and truth
            fp += predicted and not truth
            fn += truth and not predicted
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.99
    assert recall >= 0.8
    assert 2 * precision * recall / (precision + recall) >= 0.88


def test_names_compare_cli(cli, tmp_path):
    out = tmp_path / "scores.csv"
    result = cli("names", "compare", PAIRS, "--out", out)
    assert result.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 51 and {"score", "is_match"} <= set(rows[0])


def test_screen_file(lists_db, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("name,country\nLLC AURUS,RU\nSiemens AG,DE\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    invoke(lists_db, "screen-file", names, "--out", out, "--as-of", "2024-03-01")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    aurus = [r for r in rows if r["name"] == "LLC AURUS" and r["list"] == "ofac_sdn"]
    assert aurus[0]["id"] == "47956" and aurus[0]["status_as_of"] == "listed"
    assert [r["list"] for r in rows if r["name"] == "Siemens AG"] == [""]


def test_sample_screening_labels_declarations_by_date(lists_db, tmp_path):
    db = tmp_path / "sample.duckdb"
    sample_dir = tmp_path / "s"
    invoke(db, "sample", "--out", sample_dir, "--rows", "2000")
    invoke(db, "ingest", *sorted(sample_dir.glob("synthetic_ru_customs_*.csv")))
    invoke(db, "resolve")
    invoke(db, "lists", "load", *_list_paths())
    summary = json.loads(invoke(db, "screen", "--json").output)
    assert summary["matched_entities"] >= 1
    with open_store(db, read_only=True) as store:
        [aurus] = store.query(
            "SELECT list_entity_id, listing_date FROM matches "
            "WHERE entity_id = 'tt-inn-7743237789' AND list = 'ofac_sdn'"
        ).to_pylist()
        statuses = store.query(
            "SELECT importer_status, min(date) AS first, max(date) AS last "
            "FROM screened_declarations WHERE importer_entity_id = 'tt-inn-7743237789' "
            "GROUP BY 1 ORDER BY 1"
        ).to_pylist()
    assert aurus["list_entity_id"] == "47956"
    assert str(aurus["listing_date"]) == "2024-02-23"
    by_status = {r["importer_status"]: r for r in statuses}
    assert str(by_status["not listed"]["last"]) < "2024-02-23"
    assert str(by_status["listed"]["first"]) >= "2024-02-23"


def _list_paths():
    return [SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz"]


def test_lists_diff_between_two_versions(cli, tmp_path, shared_data):
    import gzip

    with gzip.open(SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz", "rt",
                   encoding="latin-1") as handle:  # fmt: skip
        lines = handle.read().splitlines()[:40]
    old, new = tmp_path / "sdn_2024-01-01.csv", tmp_path / "sdn_2024-02-01.csv"
    old.write_text("\n".join(lines[:30]) + "\n", encoding="latin-1")
    new.write_text("\n".join(lines[5:40]) + "\n", encoding="latin-1")
    report = json.loads(cli("lists", "diff", old, new, "--json").output)
    assert report["old"] == ["ofac_sdn@2024-01-01"] and report["new"] == ["ofac_sdn@2024-02-01"]
    assert (len(report["added"]), len(report["removed"]), report["unchanged"]) == (10, 5, 25)
