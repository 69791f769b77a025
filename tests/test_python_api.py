"""The Python API (``import tradetrace as tt``): the whole pipeline through it alone, and its
data frames equal to the CLI's JSON for exposure, screening and entity search.

This module imports nothing from tradetrace but the package itself: what it does, a user
can do without touching a private module.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import tradetrace as tt
from conftest import COMEXT, SHARED_DATA

SDN = SHARED_DATA / "sanctions/ofac/sdn_2024-05-03.csv.gz"
UK = SHARED_DATA / "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz"
UN = SHARED_DATA / "sanctions/un/un_consolidated_2026-02-27.xml.gz"
IMF = SHARED_DATA / "trade/aggregate/imf_imts_russia_by_partner_2016_2024.csv"
AURUS = "ООО «АУРУС»"
PERIOD = {"start": "2018-01-01", "end": "2023-12-31"}


def plain(value: object) -> object:
    """A data frame cell as its JSON value: days as ISO text, NaN and NA as null."""
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return [plain(v) for v in items] if isinstance(items, list) else plain(items)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


#: Columns of free-form objects, which a data frame holds as their JSON text (frames.py).
AS_TEXT = {"explanation"}


def records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: json.loads(v) if k in AS_TEXT and v is not None else plain(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def test_the_whole_pipeline_through_the_public_api(tmp_path):
    """Sample → ingest → resolve → lists → screen → exposure → report → graph → watch →
    alerts → statistics, with ``tradetrace`` and nothing below it."""
    manifest = tt.generate_sample(tmp_path / "sample", rows=3000, seed=7)
    files = sorted(tmp_path / "sample" / f["name"] for f in manifest["files"]
                   if f["name"].startswith("synthetic_ru_customs_"))  # fmt: skip
    assert "ru_customs" in tt.infer_profile(files[0])
    with tt.open(tmp_path / "pipeline.duckdb") as store:
        preview = store.preview(files[0], rows=2)
        assert preview[0]["direction"] == "import"
        ingested = store.ingest(files)
        assert ingested.loaded + ingested.quarantined == ingested.rows_in > 3000
        by_file = ingested.to_pandas()
        assert by_file["rows_in"].sum() == ingested.rows_in and set(by_file["direction"]) == {
            "import"
        }
        assert len(store.quarantine()) == ingested.quarantined
        assert store.sql("SELECT count(*) AS n FROM declarations").n[0] == ingested.loaded
        assert store.resolve().entities > 9
        aurus = store.search(AURUS).entity_id[0]
        assert store.explain(aurus)["entity"]["entity_id"] == aurus
        assert set(store.load_lists([SDN, UK])["list"]) >= {"ofac_sdn"}
        run = store.screen()
        assert run.matched_entities >= 1 and run.kind == "full"
        assert len(store.matches()) == run.matches
        known = store.screen(as_of_list=dt.datetime.now(dt.UTC))
        assert "ofac_sdn" in known.lists
        x = store.exposure(AURUS, **PERIOD)
        assert "at least $34.0M" in x.findings[0].text
        assert b"SYNTHETIC" in store.report(AURUS, "md", out=tmp_path / "aurus.md", **PERIOD)
        assert (tmp_path / "aurus.md").exists()
        network = store.graph(AURUS)
        assert "<graphml" in store.export_graph(network, "graphml")
        assert network.to_pandas("nodes")["id"].tolist() == network.node_ids()
        assert len(network.to_pandas("edges")) == len(network.edges)
        assert store.lists().shape[0] >= 1
        store.load_lists(UN)
        alerts = store.watch()
        assert alerts.to_pandas().shape[0] == len(alerts)
        assert store.alerts().to_json() == alerts.to_json()
        assert store.load_stats([COMEXT, IMF])["rows"].iloc[0] > 10_000
        assert store.diversion(partners=["KG"]).rows.shape[0] > 0
        assert store.flow_series("DE", "KG").chart("months").to_dict()["layer"]
        assert store.mirror().rows.shape[0] > 0
        assert store.stats().shape[0] == 2
        assert store.declarations(importer=x.target.entity_id).count().to_pyarrow().as_py() > 400
    assert tt.compare_names("OOO AURUS", "ООО «АУРУС»")[1]
    assert tt.diff_lists(SDN, SDN)["added"] == []
    assert {"name", "fields", "description"} <= set(tt.profiles().columns)


@pytest.fixture(scope="module")
def aurus(aurus_db):
    with tt.open(aurus_db, read_only=True) as store:
        yield store


def test_exposure_frames_equal_the_cli_json(aurus, aurus_db, cli_for):
    printed = json.loads(cli_for(aurus_db)("exposure", AURUS, "--from", PERIOD["start"],
                                           "--to", PERIOD["end"], "--json").output)  # fmt: skip
    x = aurus.exposure(AURUS, **PERIOD)
    assert x.to_json() == printed
    for table in x.tables:
        assert records(x.to_pandas(table)) == printed[table], table
    assert x.total_usd == printed["total_usd"]
    assert x.findings[0].evidence == printed["findings"][0]["evidence"]


def test_screening_frames_equal_the_cli_json(aurus, aurus_db, cli_for, tmp_path):
    printed = json.loads(cli_for(aurus_db)("screen-name", AURUS, "--country", "RU", "--as-of",
                                           "2024-03-01", "--json").output)  # fmt: skip
    hit = aurus.screen_name(AURUS, country="RU", as_of="2024-03-01")
    assert records(hit.matches) == printed["matches"]
    names = pd.DataFrame(
        {"name": ["OOO AURUS", "Nobody In Particular Ltd"], "country": ["RU", None]}
    )
    names.to_csv(tmp_path / "names.csv", index=False)
    cli_for(aurus_db)("screen-file", tmp_path / "names.csv", "--out", tmp_path / "out.csv")
    by_file = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    screened = aurus.screen_names(names, country="country")
    assert list(screened.columns[:2]) == ["name", "country"]
    for column in ("list", "id", "list_name", "listing_date"):
        assert [plain(v) for v in screened[column]] == [v or None for v in by_file[column]]
    nobody = screened[screened["name"] == "Nobody In Particular Ltd"]
    assert len(nobody) == 1 and nobody["list"].isna().all()
    spaced = names.rename(columns={"name": "party name"}).set_index(pd.Index(["a", "b"]))
    again = aurus.screen_names(spaced, name="party name", country="country")
    assert again["list"].equals(screened["list"]) and list(again.columns[:2]) == [
        "party name", "country",
    ]  # fmt: skip
    with pytest.raises(tt.InputError, match="no column 'nom'"):
        aurus.screen_names(names, name="nom")


def test_entity_search_frames_equal_the_cli_json(aurus, aurus_db, cli_for):
    printed = json.loads(cli_for(aurus_db)("entities", "search", "АУРУС", "--json").output)
    assert records(aurus.search("АУРУС")) == printed
    detail = aurus.entity(printed[0]["entity_id"])
    shown = json.loads(cli_for(aurus_db)("entities", "show", printed[0]["entity_id"],
                                         "--json").output)  # fmt: skip
    assert records(detail.aliases) == shown["aliases"]
    assert records(detail.matches) == shown["matches"]


def test_each_user_mistake_has_its_error_type(aurus, tmp_path):
    with pytest.raises(tt.NotFoundError):
        aurus.exposure("Nobody In Particular Ltd")
    with pytest.raises(tt.NotFoundError):
        aurus.exposure("tt-no-such-entity")
    with pytest.raises(tt.InputError):
        aurus.exposure(AURUS, start="2018-13-01")
    with tt.open(tmp_path / "empty.duckdb") as empty, pytest.raises(tt.MissingStepError):
        empty.exposure(AURUS)
    for error in (tt.NotFoundError, tt.AmbiguousTargetError, tt.MissingStepError,
                  tt.InputError, tt.ProfileError, tt.StoreError):  # fmt: skip
        assert issubclass(error, tt.TradetraceError)


def test_notebooks_see_html_and_charts(aurus):
    x = aurus.exposure(AURUS, **PERIOD)
    page = x._repr_html_()
    assert "$34,000,000" in page and "by_origin_country" in page
    assert "From 2018 to 2023" in page  # the findings, as sentences
    assert set(x.charts) == {"by_year", "events", "by_supplier", "by_category"}
    assert x.chart("by_year").to_dict()["layer"]
    with pytest.raises(tt.InputError):
        x.chart("pie")
    with pytest.raises(tt.InputError):
        x.to_pandas()  # an exposure has many tables: name one


def test_empty_tables_keep_their_columns_and_types(aurus):
    """None of AURUS's suppliers is listed: an empty table, with its columns and dtypes."""
    frame = aurus.exposure(AURUS, **PERIOD).listed_counterparties
    assert frame.empty
    assert list(frame.columns) == [
        "entity_id", "name", "list", "listing_date", "value_usd", "value_usd_after_listing",
        "declarations_after_listing", "last_date",
    ]  # fmt: skip
    assert [str(t) for t in frame.dtypes] == [
        "string", "string", "string", "datetime64[ms]", "float64", "float64", "Int64",
        "datetime64[ms]",
    ]  # fmt: skip


def test_everything_public_is_typed():
    """``py.typed`` ships, and every public function and method has annotations."""
    assert (Path(tt.__file__).parent / "py.typed").exists()
    for name in tt.__all__:
        assert hasattr(tt, name), name
    public = [getattr(tt, n) for n in tt.__all__ if inspect.isfunction(getattr(tt, n))]
    for cls in (tt.Workspace, tt.View, tt.Rows):
        public += [m for n, m in inspect.getmembers(cls, inspect.isfunction)
                   if not n.startswith("_") and m.__module__.startswith("tradetrace")]  # fmt: skip
    for function in public:
        signature = inspect.signature(function)
        assert signature.return_annotation is not inspect.Signature.empty, function.__name__
        for parameter in signature.parameters.values():
            if parameter.name != "self":
                assert parameter.annotation is not inspect.Parameter.empty, (
                    function.__name__, parameter.name,
                )  # fmt: skip


def test_import_is_light():
    """``import tradetrace`` loads no engine: the CLI starts fast, the API loads on use."""
    import subprocess
    import sys

    code = (
        "import sys, tradetrace; "
        "print(sorted(m for m in ('ibis', 'pandas', 'duckdb') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]", loaded.stderr


def test_two_read_only_workspaces_share_a_file(aurus_db, tmp_path):
    """Two notebooks (or a notebook and the dashboard) can read one file at once."""
    copy = tmp_path / "aurus.duckdb"
    shutil.copy(aurus_db, copy)
    with tt.open(copy, read_only=True) as a, tt.open(copy, read_only=True) as b:
        assert a.search("AURUS").entity_id[0] == b.search("AURUS").entity_id[0]


def test_serve_makes_the_cli_s_checks(aurus_db):
    """``tt.serve`` is ``tradetrace serve``: beyond loopback it refuses to start without a
    key, before any server starts."""
    with pytest.raises(tt.InputError, match="needs an API key"):
        tt.serve(aurus_db, host="0.0.0.0")
    with pytest.raises(tt.InputError, match="16 characters"):
        tt.serve(aurus_db, host="0.0.0.0", api_key="short")
