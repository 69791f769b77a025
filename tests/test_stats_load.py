"""`tradetrace stats load`: official statistics into `trade_flows`, every row or nothing.

The figures are recomputed here from the raw files with pandas, not with the loader's code:
the labels are matched as the files write them, the ECB monthly average is the mean of the
rates in ``currency_converter``'s own file over the days it lists.
"""

from __future__ import annotations

import io
import shutil
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import currency_converter
import pandas as pd
import pytest

from conftest import SHARED_DATA
from tradetrace.errors import InputError
from tradetrace.stats.codes import code_of
from tradetrace.stats.load import load_stats
from tradetrace.store import open_store

AGGREGATE = SHARED_DATA / "trade" / "aggregate"
COMEXT = AGGREGATE / "eurostat_comext_eu_members_to_russia_and_neighbours_monthly.csv.gz"
IMF = AGGREGATE / "imf_imts_russia_by_partner_2016_2024.csv"
TEST_DATA = Path(__file__).parent / "data" / "stats"
BULK = TEST_DATA / "SYNTHETIC_comext_bulk_full201901.dat"
BULK_V2 = TEST_DATA / "SYNTHETIC_comext_bulk_full_v2_202402.dat"
COMTRADE = TEST_DATA / "SYNTHETIC_comtrade_download_2023.csv"
COMTRADE_API = TEST_DATA / "SYNTHETIC_comtrade_api_202303.csv"
YEARS = [str(year) for year in range(2016, 2025)]
GERMANY = "Germany (incl. German Democratic Republic 'DD' from 1991)"
ITALY = "Italy (incl. San Marino 'SM' -> 1993)"
EU27 = (
    "European Union - 27 countries (AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, "
    "IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK)"
)
COLUMNS = ["reporter", "partner", "flow", "product", "product_level", "frequency", "period",
           "valuation", "value", "currency", "source_row"]  # fmt: skip


def _raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict:
    """Both real files loaded once into a store, their raw rows, and what the load said."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    db = tmp_path_factory.mktemp("stats") / "real.duckdb"
    with open_store(db) as store:
        summaries = load_stats(store, [COMEXT, IMF])
        flows = store.to_arrow(store.table("trade_flows")).to_pandas()
    return {"comext": _raw(COMEXT), "imf": _raw(IMF), "flows": flows, "summaries": summaries}


@pytest.fixture(scope="module")
def ecb() -> dict[str, pd.Series]:
    """USD per EUR, averaged over the days the ECB published: by month and by year."""
    rates = pd.read_csv(
        currency_converter.CURRENCY_FILE, compression="zip", usecols=["Date", "USD"]
    )
    day = pd.to_datetime(rates["Date"])
    return {
        "month": rates.groupby(day.dt.strftime("%Y-%m"))["USD"].mean(),
        "year": rates.groupby(day.dt.strftime("%Y"))["USD"].mean(),
    }


def _flows(real: dict, source: str, **equal: str) -> pd.DataFrame:
    flows = real["flows"]
    mask = flows["source"] == source
    for column, value in equal.items():
        mask &= flows[column] == value
    return flows[mask]


# -- (a) Comext: the raw euros, at the ECB monthly average ----------------------------------------


@pytest.mark.parametrize(
    ("label", "partner_label", "flow", "period", "reporter", "partner"),
    [  # months with TARGET holidays on weekdays: Good Friday and Easter Monday, 1 May, 25-26 Dec
        (GERMANY, "Kyrgyzstan", "EXPORT", "2023-04", "DE", "KG"),
        (EU27, "Armenia", "EXPORT", "2019-12", "EU27_2020", "AM"),
        (ITALY, "Russian Federation (Russia)", "EXPORT", "2023-05", "IT", "RU"),
        ("Czechia", "Kyrgyzstan", "IMPORT", "2022-04", "CZ", "KG"),
    ],
    ids=["DE-KG", "EU27-AM", "IT-RU", "CZ-KG-import"],
)
def test_a_comext_month_is_the_raw_euros_at_the_ecb_monthly_average(
    real, ecb, label, partner_label, flow, period, reporter, partner
):
    raw = real["comext"]
    raw = raw[(raw.reporter == label) & (raw.partner == partner_label) & (raw.flow == flow)
              & (raw.period_iso == period)]  # fmt: skip
    assert len(raw) == 1
    (row,) = _flows(real, "eurostat_comext", reporter=reporter, partner=partner,
                    flow=flow.lower(), period=period).itertuples()  # fmt: skip
    rate = ecb["month"][period]
    assert row.value == float(raw.value_eur.iloc[0])
    assert (row.currency, row.frequency, row.product, row.product_level) == (
        "EUR", "month", "TOTAL", "total")  # fmt: skip
    assert row.valuation == ("FOB" if flow == "EXPORT" else "CIF")
    assert row.usd_rate == pytest.approx(rate, rel=1e-12)
    assert row.value_usd == pytest.approx(float(raw.value_eur.iloc[0]) * rate, rel=1e-12)
    assert (row.reporter_label, row.partner_label) == (label, partner_label)
    assert row.source_row == raw.index[0] + 1  # the data row: the header is not counted


def test_a_comext_year_of_a_pair_sums_the_raw_months(real, ecb):
    raw = real["comext"]
    raw = raw[(raw.reporter == GERMANY) & (raw.partner == "Kyrgyzstan") & (raw.flow == "EXPORT")
              & raw.period_iso.str.startswith("2023")]  # fmt: skip
    flows = _flows(real, "eurostat_comext", reporter="DE", partner="KG", flow="export")
    flows = flows[flows.period.str.startswith("2023")]
    assert len(flows) == len(raw) == 12
    expected = sum(
        float(v) * ecb["month"][p] for v, p in zip(raw.value_eur, raw.period_iso, strict=True)
    )
    assert flows.value.sum() == sum(float(v) for v in raw.value_eur)
    assert flows.value_usd.sum() == pytest.approx(expected, rel=1e-12)


# -- (b) IMF: millions of US dollars --------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "partner_id", "year", "flow", "partner", "valuation"),
    [
        ("MG_CIF_USD", "DEU", "2021", "import", "DE", "CIF"),
        ("XG_FOB_USD", "CHN", "2023", "export", "CN", "FOB"),
        ("MG_CIF_USD", "G001", "2019", "import", "WORLD", "CIF"),
    ],
    ids=["RU-imports-DE", "RU-exports-CN", "RU-imports-world"],
)
def test_b_an_imf_year_is_the_raw_figure_times_a_million(
    real, indicator, partner_id, year, flow, partner, valuation
):
    raw = real["imf"]
    raw = raw[(raw["INDICATOR.ID"] == indicator) & (raw["COUNTERPART_COUNTRY.ID"] == partner_id)]
    assert len(raw) == 1 and raw[year].iloc[0] != ""
    (row,) = _flows(real, "imf_imts", partner=partner, flow=flow, period=year).itertuples()
    assert row.value == float(raw[year].iloc[0]) * 1e6
    assert (row.value_usd, row.usd_rate, row.currency) == (row.value, 1.0, "USD")
    assert (row.reporter, row.valuation, row.frequency, row.product) == (
        "RU", valuation, "year", "TOTAL")  # fmt: skip
    assert row.source_row == raw.index[0] + 1


# -- (c) every data row, and the IMF's blanks counted ---------------------------------------------


def test_c_every_data_row_is_a_row_and_imf_blanks_are_counted(real):
    comext, imf = real["summaries"]
    raw_imf = real["imf"][YEARS]
    blanks = int((raw_imf == "").sum().sum())
    assert (comext.rows, comext.blanks) == (len(real["comext"]), 0) == (14063, 0)
    assert (imf.rows, imf.blanks) == (raw_imf.size - blanks, blanks) == (3704, 526)
    rows = _flows(real, "eurostat_comext").source_row
    assert sorted(rows) == list(range(1, len(real["comext"]) + 1))
    figures = (raw_imf != "").sum(axis=1)  # per data row: how many years have a figure
    imf_rows = _flows(real, "imf_imts").source_row.value_counts()
    assert imf_rows.to_dict() == {i + 1: n for i, n in figures.items() if n}
    assert (comext.period_from, comext.period_to, comext.reporters, comext.partners) == (
        "2019-01", "2024-08", 32, 6)  # fmt: skip
    assert (imf.period_from, imf.period_to, imf.reporters) == ("2016", "2024", 1)


def test_c_the_summary_sums_what_was_written(real):
    for summary in real["summaries"]:
        flows = _flows(real, summary.source)
        assert summary.value_usd == pytest.approx(flows.value_usd.sum(), rel=1e-12)
        assert summary.partners == flows.partner.nunique()
        assert {summary.load_id} == set(flows.load_id)


# -- (d) the bulk and Comtrade shapes -------------------------------------------------------------


def _load(db: Path, *paths: Path) -> pd.DataFrame:
    with open_store(db) as store:
        load_stats(store, list(paths))
        return store.to_arrow(store.table("trade_flows")).to_pandas()


def _rows(flows: pd.DataFrame, source_file: str) -> list[tuple]:
    mine = flows[flows.source_file == source_file].sort_values("source_row")
    return [tuple(r) for r in mine[COLUMNS].itertuples(index=False)]


def test_d_comext_bulk_files_load_to_their_rows(db_path, ecb):
    flows = _load(db_path, BULK, BULK_V2)
    assert _rows(flows, BULK.name) == [
        ("DE", "KG", "export", "84713000", "hs8", "month", "2019-01", "FOB", 125000.0, "EUR", 1),
        ("DE", "KG", "export", "84713000", "hs8", "month", "2019-01", "FOB", 5000.0, "EUR", 2),
        ("DE", "RU", "export", "03021100", "hs8", "month", "2019-01", "FOB", 42000.0, "EUR", 3),
        ("GR", "AM", "export", "33049900", "hs8", "month", "2019-01", "FOB", 17500.0, "EUR", 4),
        ("IT", "RU", "import", "27090090", "hs8", "month", "2019-01", "CIF", 9150000.0, "EUR", 5),
        ("IT", "QU", "export", "99RRR100", "other", "month", "2019-01", "FOB", 800.0, "EUR", 6),
        ("FR", "KZ", "export", "88024000", "hs8", "year", "2019", "FOB", 61000000.0, "EUR", 7),
    ]
    assert _rows(flows, BULK_V2.name) == [
        ("AT", "KZ", "export", "85176200", "hs8", "month", "2024-02", "FOB", 268000.0, "EUR", 1),
        ("AT", "GE", "export", "30049000", "hs8", "month", "2024-02", "FOB", 91500.0, "EUR", 2),
        ("LT", "AM", "export", "87032390", "hs8", "month", "2024-02", "FOB", 1840000.0, "EUR", 3),
    ]
    year = flows[flows.period == "2019"].iloc[0]  # a whole year: the ECB annual average
    assert year.usd_rate == pytest.approx(ecb["year"]["2019"], rel=1e-12)
    assert str(year.period_start) == "2019-01-01"


def test_d_comtrade_files_load_to_their_rows(db_path):
    flows = _load(db_path, COMTRADE, COMTRADE_API)
    assert _rows(flows, COMTRADE.name) == [
        ("KZ", "DE", "import", "TOTAL", "total", "year", "2023", "CIF", 3150000000.5, "USD", 1),
        ("KZ", "RU", "export", "TOTAL", "total", "year", "2023", "FOB", 9480000000.0, "USD", 2),
        ("KG", "CN", "import", "8471", "hs4", "year", "2023", "CIF", 86500000.0, "USD", 3),
        ("KG", "WORLD", "export", "TOTAL", "total", "year", "2023", "FOB", 3310000000.0, "USD", 4),
        ("AM", "COMTRADE:899", "export", "TOTAL", "total", "year", "2023", "FOB", 1250000.0,
         "USD", 5),
        ("AM", "KZ", "import", "854231", "hs6", "year", "2023", "FOB", 2200000.0, "USD", 6),
    ]  # fmt: skip
    assert _rows(flows, COMTRADE_API.name) == [  # no ISO columns: the numeric codes
        ("US", "KG", "export", "TOTAL", "total", "month", "2023-03", "FOB", 4100000.0, "USD", 1),
        ("FR", "WORLD", "export", "TOTAL", "total", "month", "2023-03", "FOB", 5.23e10, "USD", 2),
    ]
    assert (flows.value_usd == flows.value).all() and (flows.usd_rate == 1.0).all()
    labels = flows[flows.source_file == COMTRADE.name].partner_label.tolist()
    assert labels == ["Germany", "Russian Federation", "China", "World", "Areas, nes", "Kazakhstan"]


def test_codes_of_labels_codes_and_aggregates():
    assert {label: code_of(label, "eurostat_comext") for label in (
        GERMANY, "Greece", "United Kingdom", "Russian Federation (Russia)", "Ireland (Eire)", EU27,
        "European Union (AT-01/1995, BE-01/1958, GB-01/1973->01/2020)",
        "Euro area - 20 countries (AT, BE)", "Euro area (AT-01/1999, HR-01/2023)", "EL", "XI",
    )} == {
        GERMANY: "DE", "Greece": "GR", "United Kingdom": "GB", "Russian Federation (Russia)": "RU",
        "Ireland (Eire)": "IE", EU27: "EU27_2020",
        "European Union (AT-01/1995, BE-01/1958, GB-01/1973->01/2020)": "EU",
        "Euro area - 20 countries (AT, BE)": "EA20", "Euro area (AT-01/1999, HR-01/2023)": "EA",
        "EL": "GR", "XI": "XI",
    }  # fmt: skip
    assert [code_of(c, "imf_imts") for c in ("RUS", "W00", "G001", "G998", "TX899", "YUG", "WBG")] \
        == ["RU", "WORLD", "WORLD", "IMF:G998", "IMF:TX899", "YUCS", "PS"]  # fmt: skip
    assert code_of("G998", "eurostat_comext") is None  # a source's own codes are its own
    assert code_of("Atlantis", "eurostat_comext") is None


# -- (e) one-line errors, and the store unchanged -------------------------------------------------


def _relational(path: Path, *rows: str) -> Path:
    header = "reporter,partner,flow,product,stat_procedure,period,period_iso,value_eur"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = "Austria,Armenia,EXPORT,Total,Total,Jan. 2019,2019-01,982972"


def _stored(db: Path) -> pd.DataFrame:
    with open_store(db, read_only=True) as store:
        flows = store.to_arrow(store.table("trade_flows")).to_pandas()
    return flows.sort_values(["source_file", "source_row"]).reset_index(drop=True)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            "Atlantis,Armenia,EXPORT,Total,Total,Feb. 2019,2019-02,10",
            "row 2, column 'reporter': unknown reporter 'Atlantis': not a country or a known "
            "aggregate (add it to tradetrace/stats/data/aggregates.yaml)",
        ),
        (
            "Austria,Armenia,EXPORT,Total,Total,Feb. 2019,2019-02,n/a",
            "row 2, column 'value_eur': 'n/a' is not a number: expected the trade value",
        ),
        (
            "Austria,Armenia,EXPORT,Total,Total,Mar. 2019,2019-02,10",
            "row 2, column 'period': 'Mar. 2019' is not the month of period_iso '2019-02'",
        ),
        (
            "Austria,Armenia,TRANSIT,Total,Total,Feb. 2019,2019-02,10",
            "row 2, column 'flow': unknown flow 'TRANSIT': expected EXPORT or IMPORT",
        ),
    ],
    ids=["unknown-label", "not-a-number", "periods-disagree", "unknown-flow"],
)
def test_e_a_bad_cell_is_one_line_naming_file_row_column_and_nothing_is_written(
    db_path, tmp_path, bad_row, message
):
    _load(db_path, BULK)
    before = _stored(db_path)
    good = _relational(tmp_path / "good.csv", GOOD)
    bad = _relational(tmp_path / "bad.csv", GOOD, bad_row)
    with open_store(db_path) as store, pytest.raises(InputError) as error:
        load_stats(store, [good, bad])  # the good file first: it is not written either
    assert str(error.value) == f"{bad}: {message}"
    assert "\n" not in str(error.value)
    pd.testing.assert_frame_equal(_stored(db_path), before)


def test_e_an_imf_cell_that_is_not_a_number_names_its_year_column(db_path, tmp_path):
    lines = IMF.read_text(encoding="utf-8-sig").splitlines()
    bad = tmp_path / "imf.csv"
    broken = lines[1].replace('"0.001435"', '"1,4"')  # Tuvalu's 2017 imports
    bad.write_text("\n".join([lines[0], lines[2], broken]) + "\n", encoding="utf-8")
    with open_store(db_path) as store, pytest.raises(InputError) as error:
        load_stats(store, [bad])
    expected = "row 2, column '2017': '1,4' is not a number: expected the trade value"
    assert str(error.value) == f"{bad}: {expected}"


def test_e_the_command_prints_the_error_in_one_line_and_exits_2(db_path, tmp_path):
    from tradetrace.cli import main

    _load(db_path, BULK)
    before = _stored(db_path)
    bad = _relational(tmp_path / "bad.csv", GOOD, "Atlantis,Armenia,EXPORT,Total,Total,Feb. 2019,"
                      "2019-02,10")  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    argv = ["tradetrace", "--db", str(db_path), "stats", "load", str(bad)]
    with (
        mock.patch.object(sys, "argv", argv),
        redirect_stdout(out),
        redirect_stderr(err),
        pytest.raises(SystemExit) as done,
    ):
        main()
    assert done.value.code == 2
    assert err.getvalue().strip().count("\n") == 0
    assert err.getvalue().startswith(f"error: {bad}: row 2, column 'reporter': unknown reporter")
    pd.testing.assert_frame_equal(_stored(db_path), before)


def test_e_a_file_of_no_known_shape_says_so(db_path, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with open_store(db_path) as store, pytest.raises(InputError, match="not a statistics file"):
        load_stats(store, [other])


# -- (f) the same file again replaces its rows ----------------------------------------------------


def test_f_loading_the_same_file_twice_keeps_one_copy(db_path, tmp_path, cli):
    import json

    _load(db_path, BULK, COMTRADE)
    first = _stored(db_path)
    again = tmp_path / BULK.name  # the same file from another folder is the same file
    shutil.copy2(BULK, again)
    loaded = cli("stats", "load", again, "--json")
    assert loaded.exit_code == 0, loaded.output
    assert [s["rows"] for s in json.loads(loaded.output)] == [7]
    second = _stored(db_path)
    assert len(second) == len(first) == 13
    assert second.load_id.nunique() == 2 and set(second.load_id) != set(first.load_id)
    columns = [c for c in first.columns if c not in ("load_id", "loaded_at")]
    pd.testing.assert_frame_equal(second[columns], first[columns])
    listed = cli("stats", "--json")
    assert listed.exit_code == 0, listed.output
    assert [(r["source"], r["source_file"], r["rows"]) for r in json.loads(listed.output)] == [
        ("eurostat_comext", BULK.name, 7),
        ("un_comtrade", COMTRADE.name, 6),
    ]


def test_stats_with_nothing_loaded_lists_nothing(cli, db_path):
    with open_store(db_path):
        pass
    listed = cli("stats", "--json")
    assert (listed.exit_code, listed.output.strip()) == (0, "[]")


def test_the_files_here_are_marked_synthetic():
    for path in TEST_DATA.iterdir():
        assert path.name == "README.md" or path.name.startswith("SYNTHETIC_"), path
