"""Exposure, report and graph on the shapes real vendor files have: no crash, honest words.

Real customs files (the firm-level vendor samples) crashed ``exposure`` and ``report`` with
``TypeError: 'NoneType' object is not iterable``: a supplier whose lines all lack an origin
country got ``origin_countries = None`` from DuckDB (``ARRAY_AGG`` of no rows is NULL).
They also read wrongly: an unknown origin "originated in an unknown country", the missing
supplier column counted as one supplier, "(party not declared)", and made the trade
"highly concentrated".

The store here is built from a SYNTHETIC file written by the test, one line per shape:

* a supplier with no country and no origin on any of its lines (ACME GMBH, GAMMA SRL);
* lines without a supplier at all (D03, D10), the largest value of the target's period,
  and an importer none of whose lines names a supplier (ООО «ВОСТОК», the shape of the
  vendor files without a supplier column);
* lines whose value is unknown (quantity only, ``value_usd`` NULL: D02, D06, D08, D11);
* a zero-valued line (D04) and a transshipment (KR goods dispatched from CN);
* an importer whose only line is unvalued (ООО «ПУСТО»);
* a counterparty and an importer listed on the SYNTHETIC UK OFSI sample list
  (``tests/data/lists/uk_ofsi_sample.csv``), with trade after the listing date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tradetrace.analyse.exposure import exposure, options_from
from tradetrace.analyse.graph import GRAPH_FORMATS, export_graph, supplier_graph
from tradetrace.analyse.results import ExposureResult
from tradetrace.api import create_app
from tradetrace.report import render_exposure
from tradetrace.report.charts import supplier_chart
from tradetrace.report.colours import UNKNOWN
from tradetrace.report.context import build_context
from tradetrace.store import open_store

LISTS = Path(__file__).parent / "data" / "lists"
ROMASHKA = "tt-inn-7728012340"  # a valid, made-up INN
LISTED_IMPORTER = "tt-inn-7704123450"  # the INN of the UK sample list's company
UNVALUED = ("D02", "D06", "D08", "D11")
#: SYNTHETIC declarations: every party, INN and figure is made up.
SHAPES = """\
declaration_id,date,importer,importer inn,exporter,exporter country,origin,dispatch,hs code,quantity,value_usd
D01,2021-03-01,ООО «РОМАШКА»,7728012340,ACME GMBH,,,,850440,5,1000
D02,2021-06-01,ООО «РОМАШКА»,7728012340,ACME GMBH,,,,850440,5,
D03,2022-03-10,ООО «РОМАШКА»,7728012340,,,,,870829,5,5000
D04,2022-04-01,ООО «РОМАШКА»,7728012340,BETA LTD,KR,KR,CN,870829,3,0
D05,2022-05-01,ООО «РОМАШКА»,7728012340,BETA LTD,KR,KR,CN,870829,3,700
D06,2023-01-01,ООО «РОМАШКА»,7728012340,GAMMA SRL,,,,940540,2,
D07,2024-03-01,ООО «РОМАШКА»,7728012340,TESTOVY PRIBOROSTROITELNY ZAVOD LLC,,,,902680,1,300
D08,2022-01-01,ООО «ПУСТО»,,ACME GMBH,,,,850440,1,
D09,2023-05-01,ООО «ТЕСТОВЫЙ ПРИБОРОСТРОИТЕЛЬНЫЙ ЗАВОД»,7704123450,ACME GMBH,,,,850440,2,200
D10,2024-04-01,ООО «ТЕСТОВЫЙ ПРИБОРОСТРОИТЕЛЬНЫЙ ЗАВОД»,7704123450,,,,,850440,2,400
D11,2024-05-01,ООО «ТЕСТОВЫЙ ПРИБОРОСТРОИТЕЛЬНЫЙ ЗАВОД»,7704123450,ACME GMBH,,,,850440,2,
D12,2024-06-01,ООО «ТЕСТОВЫЙ ПРИБОРОСТРОИТЕЛЬНЫЙ ЗАВОД»,7704123450,ACME GMBH,,,,850440,2,50
D13,2023-07-01,ООО «ВОСТОК»,,,,CN,CN,870829,1,100
"""  # noqa: E501


@pytest.fixture(scope="module")
def db(tmp_path_factory, cli_for) -> Path:
    """SYNTHETIC shapes → ingest → resolve → the UK OFSI sample list → screen."""
    tmp = tmp_path_factory.mktemp("shapes")
    data = tmp / "synthetic_real_shapes.csv"
    data.write_text(SHAPES, encoding="utf-8")
    db = tmp / "shapes.duckdb"
    run = cli_for(db)
    for step in (
        ("ingest", data),
        ("resolve",),
        ("lists", "load", LISTS / "uk_ofsi_sample.csv"),
        ("screen",),
    ):
        result = run(*step)
        assert result.exit_code == 0, f"{step[0]}: {result.output}"
    return db


def sql(db: Path, query: str) -> list[dict]:
    with open_store(db, read_only=True) as store:
        return store.query(query).to_pylist()


def entity(db: Path, name: str) -> str:
    [row] = sql(db, f"SELECT entity_id FROM entities WHERE name = '{name}'")
    return row["entity_id"]


def compute(db: Path, target: str, role: str = "importer", *dates: str) -> ExposureResult:
    start, end = (*dates, None, None)[:2]
    with open_store(db, read_only=True) as store:
        return exposure(store, target, options_from(role, start, end))


def texts(result: ExposureResult) -> str:
    return "\n".join(f.text for f in result.findings)


def no_none(page: str) -> bool:
    """No Python ``None`` leaked into the page ("None of the suppliers matched" is prose)."""
    return re.search(r"\bNone\b(?! of the)", page) is None


def target_of(db: Path, text: str) -> str:
    """``=NAME`` is the entity of exactly that name (a name two entities share is ambiguous)."""
    return entity(db, text[1:]) if text.startswith("=") else text


def test_the_fixture_has_the_shapes_of_the_real_files(db):
    """Guards the rest: each shape below must really be in the store."""
    lines = sql(db, "SELECT * FROM resolved_declarations ORDER BY declaration_id")
    assert [r["declaration_id"] for r in lines if r["value_usd"] is None] == list(UNVALUED)
    assert [r["declaration_id"] for r in lines if r["value_usd"] == 0] == ["D04"]
    assert [r["declaration_id"] for r in lines if r["exporter_entity_id"] is None] == [
        "D03",
        "D10",
        "D13",
    ]
    acme = sql(db, "SELECT country FROM entities WHERE name = 'ACME GMBH'")
    assert acme == [{"country": None}]
    listed = sql(db, "SELECT DISTINCT entity_id FROM matches ORDER BY 1")
    assert LISTED_IMPORTER in {r["entity_id"] for r in listed} and len(listed) == 2


# -- the crash and its root cause --------------------------------------------------------------


def test_a_supplier_without_origin_countries_has_an_empty_list(db):
    """The real crash: ``sorted(None)`` in ``by_supplier`` for a supplier with no origin."""
    result = compute(db, ROMASHKA)
    by_name = {s.name: s for s in result.by_supplier}
    assert by_name["ACME GMBH"].origin_countries == []
    assert by_name["GAMMA SRL"].origin_countries == []
    assert by_name["BETA LTD"].origin_countries == ["KR"]
    assert all(isinstance(c.declarations, int) for c in result.by_category)


# -- null value_usd, zero values, missing parties and countries --------------------------------


def test_unvalued_lines_count_as_lines_and_add_nothing(db):
    result = compute(db, ROMASHKA)
    assert result.total_usd == 1000 + 5000 + 0 + 700 + 300
    assert result.lines == 7 and result.unvalued_lines == 2
    assert sum(r.value_usd for r in result.by_year) == result.total_usd
    assert sum(r.value_usd for r in result.by_origin_country) == result.total_usd
    gamma = next(s for s in result.by_supplier if s.name == "GAMMA SRL")
    assert (gamma.value_usd, gamma.share, gamma.lines) == (0.0, 0.0, 1)


def test_an_importer_whose_only_line_is_unvalued(db):
    result = compute(db, "ООО «ПУСТО»")
    assert (result.total_usd, result.lines, result.unvalued_lines) == (0.0, 1, 1)
    assert result.concentration.hhi_supplier is None
    assert result.concentration.hhi_country is None
    [total] = result.findings
    assert "no declarations" in total.text and total.evidence == ["D08"]
    assert "ООО «ПУСТО» (ООО «ПУСТО»" not in total.text


def test_findings_name_no_unknown_country_and_no_undeclared_supplier(db):
    """Value without an origin or a supplier is the largest here, and is said to be unknown."""
    result = compute(db, ROMASHKA)
    assert result.by_origin_country[0].country is None  # D03's $5,000
    assert result.by_supplier[0].entity_id is None
    words = texts(result)
    assert "unknown country" not in words and "(party not declared)" not in words
    assert "from 3 suppliers, with goods from 1 country of origin" in words
    ids = [f.id for f in result.findings]
    assert "origin:KR" in ids and "origin:None" not in ids
    concentration = next(f for f in result.findings if f.id == "concentration")
    assert concentration.text.startswith("The largest supplier, ACME GMBH,")
    assert "71% of the value has no supplier named" in concentration.text
    assert concentration.evidence == ["D01", "D02"]
    invasion = next(e for e in result.events if e.name == "invasion")
    assert all(s.entity_id for s in invasion.new_suppliers_after)


def test_concentration_counts_only_declared_suppliers_and_countries(db):
    """Lines without a supplier or origin are not one supplier or country: HHI 10,000 was a lie."""
    result = compute(db, ROMASHKA)
    shares = {s.entity_id: s.share for s in result.by_supplier}
    expected = sum((share * 100) ** 2 for key, share in shares.items() if key and share)
    assert result.concentration.hhi_supplier == pytest.approx(expected, abs=0.1)
    kr = next(c.share for c in result.by_origin_country if c.country == "KR")
    assert result.concentration.hhi_country == pytest.approx((kr * 100) ** 2, abs=0.1)
    assert result.concentration.top_supplier_share == shares[entity(db, "ACME GMBH")]


def test_a_target_with_no_supplier_named_at_all(db):
    result = compute(db, "ООО «ВОСТОК»")
    assert [s.name for s in result.by_supplier] == ["(party not declared)"]
    assert result.concentration.hhi_supplier is None
    assert result.concentration.hhi_country == 10000.0
    assert result.concentration.top_supplier_share == 0.0
    assert [f.id for f in result.findings] == ["total", "origin:CN"]
    total, origin = result.findings
    assert "in 1 customs declaration (no supplier named), with goods from 1 country" in (total.text)
    assert "of it originated in China (no supplier named): mainly" in origin.text


def test_a_target_with_no_origin_country_at_all(db):
    result = compute(db, LISTED_IMPORTER)
    assert [c.country for c in result.by_origin_country] == [None]
    assert result.concentration.hhi_country is None
    words = texts(result)
    assert "with no country of origin declared" in words
    assert not any(f.id.startswith("origin:") for f in result.findings)
    assert "no origin country declared" in words


def test_deliveries_after_the_designation_name_who_is_known(db):
    """The target is listed (identical INN); a supplier after it is not named, one has no
    country: neither is "(party not declared) (an unknown country …)"."""
    result = compute(db, LISTED_IMPORTER)
    [after] = result.continued_after_designation
    assert after.date == dt.date(2024, 2, 23) and after.value_usd == 450.0
    designation = next(f for f in result.findings if f.id == "designation:uk_ofsi")
    assert (
        "After that date ACME GMBH (last on 1 June 2024) and suppliers not named in the "
        "declarations still delivered at least $450 of goods in 3 declarations."
    ) in designation.text
    assert designation.evidence == ["D10", "D11", "D12"]


def test_a_listed_supplier_without_country(db):
    result = compute(db, ROMASHKA)
    [listed] = result.listed_counterparties
    assert listed.name == "TESTOVY PRIBOROSTROITELNY ZAVOD LLC"
    assert (listed.value_usd_after_listing, listed.last_date) == (300.0, dt.date(2024, 3, 1))


# -- periods without data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "role", "dates"),
    [
        (ROMASHKA, "exporter", ()),  # never an exporter: no date range at all
        (ROMASHKA, "importer", ("2030-01-01", "2030-12-31")),  # nothing in the window
        (ROMASHKA, "importer", ("2030-01-01",)),  # only --from, after the last line
        (ROMASHKA, "importer", (None, "2000-12-31")),  # only --to, before the first line
    ],
)
def test_no_declarations_in_the_window(db, target, role, dates):
    result = compute(db, target, role, *dates)
    assert result.total_usd == 0 and result.declarations == 0
    assert [f.id for f in result.findings] == ["total"]
    period = result.period
    assert not (period.start and period.end) or period.start <= period.end
    with open_store(db, read_only=True) as store:
        page = render_exposure(store, result, "md").decode("utf-8")
    assert no_none(page) and "Data: no declaration lines in the period." in page


# -- report, graph and API end to end -----------------------------------------------------------

TARGETS = [
    (ROMASHKA, "importer"),
    ("ООО «РОМАШКА»", "importer"),
    ("ООО «ПУСТО»", "importer"),
    (LISTED_IMPORTER, "importer"),
    ("ACME GMBH", "exporter"),
    ("=TESTOVY PRIBOROSTROITELNY ZAVOD LLC", "exporter"),
    (ROMASHKA, "exporter"),
]


@pytest.mark.parametrize(("target", "role"), TARGETS)
def test_cli_exposure_report_and_graph(db, cli_for, tmp_path, target, role):
    """What a user runs: every command exits 0 (a traceback would raise here)."""
    run, target = cli_for(db), target_of(db, target)
    assert run("exposure", target, "--role", role).exit_code == 0
    shown = run("exposure", target, "--role", role, "--json")
    assert shown.exit_code == 0 and json.loads(shown.output)["role"] == role
    out = tmp_path / "r.md"
    assert run("report", target, "--role", role, "--format", "md", "--out", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "# Exposure report: " in page and no_none(page)
    for fmt in GRAPH_FORMATS:
        graph_role = role if target != ROMASHKA or role == "importer" else "any"
        assert run("graph", target, "--role", graph_role, "--format", fmt).exit_code == 0


def test_markdown_shows_unknowns_as_dashes(db):
    with open_store(db, read_only=True) as store:
        page = render_exposure(store, compute(db, LISTED_IMPORTER), "md").decode("utf-8")
        empty = render_exposure(store, compute(db, "ООО «ПУСТО»"), "md").decode("utf-8")
    assert "by origin country – (not measurable: none declared)" in page
    assert "by supplier – (not measurable: none declared)" in empty


def test_html_report_charts_and_tables_unknowns(db):
    """A supplier with no origin is coloured "unknown", not "several origins"; an unvalued
    evidence line shows a dash, not $0."""
    with open_store(db, read_only=True) as store:
        result = compute(db, ROMASHKA)
        chart = supplier_chart(build_context(store, result)).to_dict()
        page = render_exposure(store, result, "html").decode("utf-8")
        listed = render_exposure(store, compute(db, LISTED_IMPORTER), "html").decode("utf-8")
    colours = chart["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert colours == ["South Korea", UNKNOWN]
    assert "<svg" in page and no_none(page) and no_none(listed)
    unvalued = re.findall(r"D11</td>.*?</tr>", listed)
    assert unvalued and all(row.endswith('<td class="num">–</td></tr>') for row in unvalued)


def test_graph_with_parties_without_country(db):
    with open_store(db, read_only=True) as store:
        graph = supplier_graph(store, "ACME GMBH", hops=2, role="exporter")
        ftm = export_graph(store, graph, "ftm")
        graphml = export_graph(store, graph, "graphml")
    nodes = {n["name"]: n for n in graph.nodes}
    assert nodes["ACME GMBH"]["country"] is None and "None" not in graphml
    unvalued = next(e for e in graph.edges if e["target"] == entity(db, "ООО «ПУСТО»"))
    assert (unvalued["value_usd"], unvalued["lines"]) == (0.0, 1)
    assert ftm.count("\n") > len(graph.nodes)


def test_api_answers_the_same_shapes(db):
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        for target, role in TARGETS[:5]:
            params = {"role": role}
            assert client.get(f"/exposure/{target}", params=params).status_code == 200
            md = client.get(f"/report/{target}", params={**params, "format": "md"})
            assert md.status_code == 200 and no_none(md.text)
            graph = client.get(f"/graph/{target}", params=params)
            assert graph.status_code == 200, graph.text
