"""The SYNTHETIC sample through the command line: generate, ingest, and find the scenario."""

from __future__ import annotations

import json
import shutil

import pytest

from tradetrace.store import open_store


@pytest.fixture(scope="module")
def sample_store(aurus_sample, tmp_path_factory):
    """The sample generated and ingested through the command line once per session
    (``aurus_sample`` in conftest.py), on a copy of its store for this module."""
    db = tmp_path_factory.mktemp("sample") / "store.duckdb"
    shutil.copy(aurus_sample["ingested"], db)
    return db, aurus_sample["manifest"], aurus_sample["ingest"]


#: Defects that leave a row uncountable (quarantined); the others load with a note.
QUARANTINED_KINDS = ("bad_date", "malformed_line")


def test_every_defect_is_quarantined_and_nothing_else(sample_store):
    """Only the defects that leave a row uncountable are quarantined; the rest load, each
    with what is wrong said in ``notes`` (or, for the rouble gap, the monthly rate)."""
    db, manifest, result = sample_store
    kinds = manifest["bad_rows_by_kind"]
    assert set(kinds) == {*QUARANTINED_KINDS, "bad_hs", "missing_value", "unknown_country",
                          "no_fx_rate"}  # fmt: skip
    assert all(kinds.values())
    assert result["quarantined"] == sum(kinds[k] for k in QUARANTINED_KINDS)
    assert result["rows_in"] == manifest["rows_written"] == result["loaded"] + result["quarantined"]
    assert all(f["synthetic"] for f in result["files"])
    with open_store(db, read_only=True) as store:
        [row] = store.query(
            """
            SELECT count(*) FILTER (WHERE notes LIKE '%is not an HS code%'
                                    AND hs_code IS NULL) AS bad_hs,
                   count(*) FILTER (WHERE notes LIKE '%is not a country%'
                                    AND origin_country IS NULL) AS unknown_country,
                   count(*) FILTER (WHERE value IS NULL AND value_usd IS NULL
                                    AND quantity IS NOT NULL) AS missing_value,
                   count(*) FILTER (WHERE currency = 'RUB' AND date >= DATE '2022-04-01'
                                    AND value_usd_source = 'hmrc-monthly'
                                    AND value_usd > 0) AS no_fx_rate,
                   count(*) FILTER (WHERE notes IS NOT NULL) AS noted,
                   count(*) FILTER (WHERE value_usd IS NULL) AS unvalued
            FROM declarations
            """
        ).to_pylist()
    assert row == {
        "bad_hs": kinds["bad_hs"],
        "unknown_country": kinds["unknown_country"],
        "missing_value": kinds["missing_value"],
        "no_fx_rate": kinds["no_fx_rate"],
        "noted": kinds["bad_hs"] + kinds["unknown_country"],  # and no good row
        "unvalued": kinds["missing_value"],
    }


def test_both_encodings_are_detected(sample_store):
    _, _, result = sample_store
    encodings = {
        f["file"].rsplit("/", 1)[-1]: (f["encoding"], f["delimiter"]) for f in result["files"]
    }
    assert encodings["synthetic_ru_customs_2018_2021.csv"] == ("utf-8", ",")
    assert encodings["synthetic_ru_customs_2022_2024.csv"][1] == ";"
    assert encodings["synthetic_ru_customs_2022_2024.csv"][0].replace("_", "").lower() in {
        "cp1251",
        "windows1251",
    }


def test_the_aurus_figures_survive_ingest(sample_store):
    db, manifest, _ = sample_store
    figures = manifest["aurus"]
    with open_store(db, read_only=True) as store:
        [row] = store.query(
            """
            SELECT round(sum(value_usd), 2) AS total,
                   round(sum(value_usd) FILTER (WHERE origin_country = 'KR'), 2) AS kr,
                   round(sum(value_usd) FILTER (WHERE date >= DATE '2022-02-24'), 2) AS after,
                   round(sum(value_usd) FILTER (
                       WHERE date >= DATE '2022-02-24' AND origin_country = 'KR'), 2) AS kr_after
            FROM declarations
            WHERE (importer_id = '7743237789' OR importer_name ILIKE '%AURUS%'
                   OR importer_name ILIKE '%АУРУС%')
              AND date BETWEEN DATE '2018-01-01' AND DATE '2023-12-31'
            """
        ).to_pylist()
    assert row == {
        "total": figures["total_2018_2023"],
        "kr": figures["kr_2018_2023"],
        "after": figures["after_invasion_2018_2023"],
        "kr_after": figures["kr_after_invasion_2018_2023"],
    }


def test_quarantine_summary_counts_each_kind(sample_store, cli_for):
    db, manifest, _ = sample_store
    result = cli_for(db)("quarantine", "--summary", "--json")
    counts = {row["reason"]: row["rows"] for row in json.loads(result.output)}
    kinds = manifest["bad_rows_by_kind"]
    assert sum(counts.values()) == kinds["bad_date"] + kinds["malformed_line"]
    dates = sum(n for reason, n in counts.items() if reason.startswith("unparseable date"))
    malformed = sum(n for reason, n in counts.items() if reason.startswith("malformed line"))
    assert (dates, malformed) == (kinds["bad_date"], kinds["malformed_line"])
    assert "unknown country" not in counts  # such rows load, with a note
