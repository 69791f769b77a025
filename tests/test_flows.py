"""``flows diversion`` and ``flows mirror`` on the real Comext and IMF files, every figure
recomputed here from the raw files with pandas.

The recomputation shares no code with tradetrace: the raw CSVs are read with pandas, euros
become dollars at the mean of the ECB's published EUR/USD rates of the month (read from
``currency_converter``'s own file), and the trend-and-season model is fitted again with
pandas dummies and ``numpy.linalg.lstsq``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import COMEXT, SHARED_DATA

AGGREGATE = SHARED_DATA / "trade" / "aggregate"
IMF = AGGREGATE / "imf_imts_russia_by_partner_2016_2024.csv"
#: reporter code → its Comext label, partner code → its label
PAIRS = {
    ("DE", "KG"): ("Germany (incl. German Democratic Republic 'DD' from 1991)", "Kyrgyzstan"),
    ("IT", "KZ"): ("Italy (incl. San Marino 'SM' -> 1993)", "Kazakhstan"),
    ("EU27_2020", "AM"): (
        "European Union - 27 countries (AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, "
        "HU, IE, IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK)",
        "Armenia",
    ),
}

pytestmark = pytest.mark.skipif(not AGGREGATE.is_dir(), reason="shared data not found")


@pytest.fixture(scope="module")
def flows_db(tmp_path_factory, cli_for) -> Path:
    db = tmp_path_factory.mktemp("flows") / "flows.duckdb"
    result = cli_for(db)("stats", "load", COMEXT, IMF)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def usd_per_eur() -> dict[str, float]:
    """Month → the mean of the ECB's published USD rates (``currency_converter``'s file)."""
    import currency_converter

    source = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(source) as archive:
        name = archive.namelist()[0]
        with archive.open(name) as fh:
            rates = pd.read_csv(fh, usecols=["Date", "USD"], na_values="N/A").dropna()
    rates["month"] = rates["Date"].str[:7]
    return rates.groupby("month")["USD"].mean().to_dict()


@pytest.fixture(scope="module")
def comext(usd_per_eur) -> pd.DataFrame:
    raw = pd.read_csv(COMEXT)
    raw["usd"] = raw["value_eur"] * raw["period_iso"].map(usd_per_eur)
    return raw


@pytest.fixture(scope="module")
def diversion(flows_db, cli_for) -> dict:
    result = cli_for(flows_db)(
        "flows", "diversion", "--partners", "KZ,KG,AM,GE,UZ",
        "--baseline", "2019-01:2021-12", "--after", "2022-03:", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def series(comext: pd.DataFrame, reporter: str, partner: str) -> pd.Series:
    label, name = PAIRS[(reporter, partner)]
    rows = comext[(comext.reporter == label) & (comext.partner == name) & (comext.flow == "EXPORT")]
    return rows.groupby("period_iso")["usd"].sum().sort_index()


def model(months: list[str]) -> pd.DataFrame:
    """Level, trend in months, February..December dummies."""
    index = pd.PeriodIndex(months, freq="M")
    x = pd.get_dummies(index.month, prefix="m", drop_first=True, dtype=float)
    x.insert(0, "trend", (index - index[0]).map(lambda d: d.n).astype(float))
    x.insert(0, "level", 1.0)
    return x.reindex(columns=["level", "trend"] + [f"m_{m}" for m in range(2, 13)], fill_value=0)


def projection(values: pd.Series, after: list[str]) -> np.ndarray:
    base = values[(values.index >= "2019-01") & (values.index <= "2021-12")]
    x = model(list(base.index))
    y = np.log1p(base.to_numpy())
    beta, *_ = np.linalg.lstsq(x.to_numpy(), y, rcond=None)
    smearing = np.mean(np.exp(y - x.to_numpy() @ beta))
    months = list(base.index) + after
    x_after = model(months).iloc[len(base) :].to_numpy()
    return np.exp(x_after @ beta) * smearing - 1.0


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_each_figure_of_a_pair_is_that_of_the_raw_file(diversion, comext, pair):
    reporter, partner = pair
    [row] = [r for r in diversion["rows"] if (r["reporter"], r["partner"]) == pair]
    values = series(comext, reporter, partner)
    after = [m for m in values.index if m >= "2022-03"]
    expected = projection(values, after)
    actual = values[after].to_numpy()
    assert row["after_months"] == len(after) == 30  # 2022-03 to 2024-08
    assert row["after_usd_per_month"] == pytest.approx(actual.mean(), rel=1e-9)
    assert row["baseline_usd_per_month"] == pytest.approx(expected.mean(), rel=1e-6)
    assert row["ratio"] == pytest.approx(actual.sum() / expected.sum(), abs=5e-4)
    assert row["excess_usd"] == pytest.approx(actual.sum() - expected.sum(), rel=1e-6)
    assert row["excess_low_usd"] <= row["excess_usd"] <= row["excess_high_usd"]
    year = next(y for y in row["by_year"] if y["year"] == 2023)
    in_2023 = [i for i, m in enumerate(after) if m.startswith("2023")]
    assert year["value_usd"] == pytest.approx(actual[in_2023].sum(), rel=1e-9)
    assert year["baseline_usd"] == pytest.approx(expected[in_2023].sum(), rel=1e-6)
    assert year["months"] == 12 and len(year["evidence"]) == 12


def test_a_series_month_is_the_raw_file_and_its_model(flows_db, cli_for, comext, tmp_path):
    """``flows series``: every month's exports, and for the months after the projection,
    recomputed from the raw file; the chart is written beside."""
    chart = tmp_path / "de-kg.svg"
    result = cli_for(flows_db)(
        "flows", "series", "--reporter", "DE", "--partner", "KG", "--chart", chart, "--json"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    values = series(comext, "DE", "KG")
    months = {p["month"][:7]: p for p in got["months"]}
    assert list(months) == list(values.index)
    for month, value in values.items():
        assert months[month]["value_usd"] == pytest.approx(value, abs=0.005)  # cents
    after = [m for m in values.index if m >= "2022-03"]
    for month, expected in zip(after, projection(values, after), strict=True):
        point = months[month]
        assert point["expected_usd"] == pytest.approx(expected, rel=1e-6)
        assert point["expected_low_usd"] <= point["expected_high_usd"]
    assert {months[m]["expected_usd"] for m in ("2022-01", "2022-02")} == {None}
    assert months["2020-06"]["expected_low_usd"] is None is not months["2020-06"]["expected_usd"]
    assert got["invasion"] == "2022-02-24" and got["row"]["ratio"] > 10
    svg = chart.read_text()
    assert svg.startswith("<svg") and "Invasion, 24 Feb 2022" in svg
    assert "Germany's exports to Kyrgyzstan, monthly" in svg


def test_the_json_has_the_documented_shape(diversion):
    assert diversion["baseline"] == {"from": "2019-01-01", "to": "2021-12-01"}
    assert diversion["after"] == {"from": "2022-03-01", "to": "2024-08-01"}
    keys = {"reporter", "partner", "baseline_usd_per_month", "after_usd_per_month", "ratio",
            "excess_usd", "excess_low_usd", "excess_high_usd", "by_year"}  # fmt: skip
    assert all(keys <= set(row) for row in diversion["rows"])
    assert {"year", "value_usd", "baseline_usd", "ratio"} <= set(diversion["rows"][0]["by_year"][0])


def test_germany_to_kyrgyzstan_is_a_finding_that_cites_its_rows(diversion, comext):
    [finding] = [f for f in diversion["findings"] if f["id"] == "diversion:DE:KG:2023"]
    assert finding["text"].startswith("In 2023, Germany's exports to Kyrgyzstan were ")
    assert "their 2019–2021 level: about $" in finding["text"]
    assert finding["text"].endswith("more than the pre-war trend.")
    assert len(finding["evidence"]) == 12
    rows = {int(e.rsplit("#", 1)[1]) for e in finding["evidence"]}
    raw = comext.iloc[[r - 1 for r in rows]]  # source_row is the 1-based data row
    assert set(raw.period_iso) == {f"2023-{m:02d}" for m in range(1, 13)}
    assert set(raw.partner) == {"Kyrgyzstan"} and set(raw.flow) == {"EXPORT"}
    assert raw.reporter.str.startswith("Germany").all()


def test_only_members_and_the_eu27_make_findings(diversion):
    assert {f["reporter"] for f in diversion["findings"]} - {"EU27_2020"} <= {
        r["reporter"] for r in diversion["rows"] if len(r["reporter"]) == 2
    } - {"EU", "EA"}


@pytest.mark.parametrize(("partner", "iso3"), [("DE", "DEU"), ("IT", "ITA"), ("NL", "NLD")])
def test_a_mirror_row_is_the_two_raw_files_side_by_side(flows_db, cli_for, comext, partner, iso3):
    result = cli_for(flows_db)("flows", "mirror", "--country", "RU", "--json")
    assert result.exit_code == 0, result.output
    mirror = json.loads(result.output)
    [row] = [r for r in mirror["rows"] if r["partner"] == partner and r["year"] == 2021]
    label = {"DE": "Germany", "IT": "Italy", "NL": "Netherlands"}[partner]
    sent = comext[
        comext.reporter.str.startswith(label) & (comext.partner == "Russian Federation (Russia)")
        & (comext.flow == "EXPORT") & comext.period_iso.str.startswith("2021")
    ]["usd"].sum()  # fmt: skip
    imf = pd.read_csv(IMF, encoding="utf-8-sig")
    got = (
        imf[(imf["COUNTERPART_COUNTRY.ID"] == iso3) & (imf["TRADE_FLOW.ID"] == "MG")]["2021"].iloc[
            0
        ]
        * 1e6
    )
    assert row["partner_exports_usd"] == pytest.approx(sent, rel=1e-9)
    assert row["country_imports_usd"] == pytest.approx(got, rel=1e-9)
    assert row["gap_usd"] == pytest.approx(got - sent, rel=1e-6, abs=1)
    assert row["ratio"] == pytest.approx(got / sent, abs=5e-4)
    assert row["partner_months"] == 12 and row["notes"] == []
    assert any("CIF" in c for c in mirror["caveats"])


def test_bad_windows_are_one_line_errors(flows_db, cli_for):
    run = cli_for(flows_db)
    from tradetrace.errors import InputError

    for args in (
        ("--baseline", "2019-01"),
        ("--after", "2022-13:"),
        ("--baseline", "2021-12:2019-01"),
    ):
        with pytest.raises(InputError):
            run("flows", "diversion", *args)


def test_the_same_on_a_copy_with_an_older_version_beside(flows_db, cli_for, tmp_path, diversion):
    """Loading the file again replaces its rows: the figures do not double."""
    db = tmp_path / "again.duckdb"
    shutil.copy(flows_db, db)
    assert cli_for(db)("stats", "load", COMEXT).exit_code == 0
    again = json.loads(cli_for(db)("flows", "diversion", "--json").output)
    assert again["rows"] == diversion["rows"]
    assert dt.date.fromisoformat(again["after"]["to"]) == dt.date(2024, 8, 1)


# -- the firm level: an exposure's dispatch countries in the official statistics ----------------


AURUS = ("exposure", "ООО «АУРУС»", "--from", "2018-01-01", "--to", "2023-12-31", "--json")


def test_an_exposure_gives_each_dispatch_country_its_diversion_ratio(
    aurus_with_flows, cli_for, comext
):
    """AURUS's Korean goods came via Armenia: the EU-27's exports to Armenia after the
    invasion, against the pre-war trend, are the diversion command's row and the raw file's."""
    from tradetrace.reference.country_groups import HUBS

    run = cli_for(aurus_with_flows)
    x = json.loads(run(*AURUS).output)
    routes = {r["dispatch"] for r in x["transshipment"]}
    hubs = {c["country"] for c in x["by_dispatch_country"] if c["country"] in HUBS}
    assert {h["hub"] for h in x["official_statistics"]} == routes | hubs
    armenia = next(h for h in x["official_statistics"] if h["hub"] == "AM")
    assert armenia["watch_list"] and armenia["origins"] == ["KR"]
    via = sum(r["value_usd"] for r in x["transshipment"] if r["dispatch"] == "AM")
    assert armenia["rerouted_usd"] == pytest.approx(via, abs=0.01)
    assert armenia["value_usd"] == next(
        c["value_usd"] for c in x["by_dispatch_country"] if c["country"] == "AM"
    )
    china = next(h for h in x["official_statistics"] if h["hub"] == "CN")
    assert china["ratios"] == [] and china["rerouted_usd"] == 0  # Comext here: RU's neighbours
    [eu27] = armenia["ratios"]  # Korea does not report to Eurostat
    assert (eu27["reporter"], eu27["basis"]) == ("EU27_2020", "eu27")
    flows = json.loads(run("flows", "diversion", "--partners", "AM", "--json").output)
    row = next(r for r in flows["rows"] if r["reporter"] == "EU27_2020")
    assert {k: eu27[k] for k in ("ratio", "excess_usd", "evidence")} == {
        k: row[k] for k in ("ratio", "excess_usd", "evidence")
    }
    values = series(comext, "EU27_2020", "AM")
    after = [m for m in values.index if m >= "2022-03"]
    assert eu27["ratio"] == pytest.approx(
        values[after].sum() / projection(values, after).sum(), abs=5e-4
    )
    assert eu27["after"] == {"from": "2022-03-01", "to": "2024-08-01"}


def test_the_report_shows_the_context_and_its_chart(aurus_with_flows, aurus_db, cli_for, tmp_path):
    args = ("report", "ООО «АУРУС»", "--from", "2018-01-01", "--to", "2023-12-31")
    html, md, bare = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "bare.md"
    assert cli_for(aurus_with_flows)(*args, "--out", html).exit_code == 0
    assert cli_for(aurus_with_flows)(*args, "--format", "md", "--out", md).exit_code == 0
    page = html.read_text()
    section = page[page.index('<section id="statistics">') :]
    section = section[: section.index("</section>")]
    assert "Armenia" in section and "EU-27" in section and "×" in section
    assert 'class="chart chart-flows-AM"' in section and "Invasion, 24 Feb 2022" in section
    text = md.read_text()
    assert "## Context from official statistics" in text
    assert "| Armenia ⚑ |" in text and "| EU-27 |" in text
    assert cli_for(aurus_db)(*args, "--format", "md", "--out", bare).exit_code == 0
    assert "No official statistics are loaded." in bare.read_text()
