"""The exposure report: AURUS 2018-2023 rendered as HTML, PDF, Markdown and JSON.

The store is the shared ``aurus_db`` fixture (SYNTHETIC sample, real OFAC SDN and UK
lists), opened read-only; the formats are rendered once per module.
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import dataclass

import pytest
from markupsafe import escape

from tradetrace.analyse.exposure import exposure, options_from
from tradetrace.analyse.results import ExposureResult
from tradetrace.errors import InputError, TradetraceError
from tradetrace.report import MEDIA_TYPES, REPORT_FORMATS, render_exposure, render_report
from tradetrace.report.colours import HUES
from tradetrace.report.render import pdf
from tradetrace.store import open_store

AURUS = "tt-inn-7743237789"
PERIOD = ("--from", "2018-01-01", "--to", "2023-12-31")


@dataclass(frozen=True)
class Rendered:
    x: ExposureResult
    html: str
    md: str
    json: bytes


@pytest.fixture(scope="module")
def rendered(aurus_db) -> Rendered:
    options = options_from(start="2018-01-01", end="2023-12-31")
    with open_store(aurus_db, read_only=True) as store:
        x = exposure(store, AURUS, options)
        return Rendered(
            x=x,
            html=render_exposure(store, x, "html").decode("utf-8"),
            md=render_report(store, "ООО «АУРУС»", options, "md").decode("utf-8"),
            json=render_report(store, AURUS, options, "json"),
        )


def section(html: str, anchor: str) -> str:
    """The HTML from ``id="anchor"`` to the next section."""
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start)
    return html[start : end if end > 0 else None]


def chart(html: str, name: str) -> str:
    found = re.search(rf'<svg[^>]*class="chart chart-{name}".*?</svg>', html, re.S)
    assert found, f"no {name} chart"
    return found.group(0)


# -- the public contract ----------------------------------------------------------------------


def test_formats_and_media_types():
    assert REPORT_FORMATS == ("html", "pdf", "md", "json")
    assert set(MEDIA_TYPES) == set(REPORT_FORMATS)
    assert MEDIA_TYPES["pdf"] == "application/pdf"


def test_an_unknown_format_is_an_input_error_listing_the_formats(rendered, aurus_db):
    with open_store(aurus_db, read_only=True) as store:
        with pytest.raises(InputError, match="html, pdf, md, json"):
            render_report(store, AURUS, fmt="docx")
        with pytest.raises(InputError, match="'xlsx'"):
            render_exposure(store, rendered.x, fmt="xlsx")


def test_json_is_the_exposure_and_what_the_cli_prints(rendered, aurus_db, cli_for):
    assert json.loads(rendered.json) == rendered.x.to_json()
    assert rendered.json.decode("utf-8") == json.dumps(
        rendered.x.to_json(), ensure_ascii=False, indent=2
    )
    assert "ООО «АУРУС»" in rendered.json.decode("utf-8")  # not \u-escaped
    result = cli_for(aurus_db)("exposure", AURUS, *PERIOD, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(rendered.json)


# -- HTML ---------------------------------------------------------------------------------------


def test_html_opens_with_the_synthetic_banner_and_the_title(rendered):
    html = rendered.html
    banner = html.index('class="synthetic-banner"')
    assert banner < html.index("<main>") < html.index("<h1>")
    assert "they are not real customs records" in html[banner : html.index("<main>")]
    assert f"<h1>{rendered.x.target.name}</h1>" in html
    assert AURUS in html and "INN 7743237789" in html
    assert "ООО «АУРУС»" in html and '<span class="script">Cyrillic</span>' in html


def test_html_sections_come_in_the_agreed_order(rendered):
    anchors = [
        "findings", "by-year", "events", "suppliers", "categories", "routes", "chpl",
        "groups", "sanctions", "evidence", "methodology",
    ]  # fmt: skip
    positions = [rendered.html.index(f'<section id="{a}"') for a in anchors]
    assert positions == sorted(positions)


def test_html_states_every_finding_and_links_it_to_its_evidence(rendered):
    findings = section(rendered.html, "findings")
    for finding in rendered.x.findings:
        assert str(escape(finding.text)) in findings
        anchor = "evidence-" + re.sub(r"[^0-9A-Za-z]", "-", finding.id)
        assert f'href="#{anchor}"' in findings
        assert f'id="{anchor}"' in rendered.html


def test_html_lists_every_evidence_id_of_the_total(rendered):
    [total] = [f for f in rendered.x.findings if f.id == "total"]
    assert len(total.evidence) == rendered.x.declarations == 190
    block = rendered.html[rendered.html.index('id="evidence-total"') :]
    block = block[: block.index('<div class="evidence"', 10)]
    ids = re.findall(r'<div class="ids">(.*?)</div>', block, re.S)[0]
    assert re.findall(r"<span>([^<]+)</span>", ids) == total.evidence


def test_html_is_self_contained(rendered):
    html = rendered.html
    for attribute in re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', html):
        assert not re.match(r"(?i)(https?:)?//", attribute), attribute
    assert not re.search(r"<script|<link\b|<img\b|<iframe|@import|url\((?!#)", html)
    assert html.count("<svg") >= 4


def test_the_year_chart_has_years_events_and_consistent_colours(rendered):
    years = chart(rendered.html, "years")
    for year in range(2018, 2024):
        assert f">{year}</text>" in years
    assert "Invasion 24 Feb 2022" in years
    assert "OFAC SDN listing 23 Feb 2024 →" in years  # after the period: at the right edge
    assert "South Korea" in years and "Value (USD)" in years


def test_each_origin_country_has_one_colour_everywhere(rendered):
    routes = section(rendered.html, "routes")
    pattern = r'<span class="swatch" style="background: (#[0-9a-f]{6})"></span>([^<]+)<'
    swatches = {name: colour for colour, name in re.findall(pattern, routes)}
    assert swatches["South Korea"] == HUES[0]  # the largest origin takes the first hue
    assert len(set(swatches.values())) == len(swatches) == 5
    for name in ("years", "events", "suppliers"):
        svg = chart(rendered.html, name)
        for country, colour in swatches.items():
            assert f'fill="{colour}"' in svg, (name, country)


def test_html_tables_carry_the_published_figures(rendered):
    by_year = section(rendered.html, "by-year")
    assert "$34,000,000" in by_year and "$15,500,000" in by_year
    routes = section(rendered.html, "routes")
    assert re.search(r'class="cell route"[^>]*>\$1,172,250<', routes)  # KR goods via Armenia
    assert 'title="Armenia"' in routes
    suppliers = section(rendered.html, "suppliers")
    for supplier in rendered.x.by_supplier:
        assert str(escape(supplier.name)) in suppliers


def test_html_explains_the_ofac_listing(rendered):
    sanctions = section(rendered.html, "sanctions")
    assert "OFAC SDN entry 47956" in sanctions
    assert "<b>2024-02-23</b>" in sanctions
    assert "first seen in OFAC SDN snapshots" in sanctions  # the date is a proxy
    assert "identical identifier (INN 7743237789)" in sanctions
    assert "RUSSIA-EO14024" in sanctions
    assert "None of the 9 suppliers matched" in sanctions


def test_html_methodology_names_version_and_caveats(rendered):
    from tradetrace import __version__

    method = rendered.html[rendered.html.index('<section id="methodology"') :]
    assert f"tradetrace {__version__}" in method
    assert "lower bound" in method and "SYNTHETIC data" in method
    assert re.search(r"on \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", method)


# -- Markdown -------------------------------------------------------------------------------------


def test_markdown_has_banner_findings_and_pipe_tables(rendered):
    md = rendered.md
    assert md.startswith("> **SYNTHETIC**")
    for n, finding in enumerate(rendered.x.findings, start=1):
        assert f"{n}. {finding.text}" in md
    assert "| # | Supplier | Country | Value | Share | Declarations |" in md
    top = rendered.x.by_supplier[0]
    assert f"| 1 | {top.name} | China | $7,200,000 | 21.2% | 40 |" in md
    assert "RUSSIA-EO14024" in md and "**2024-02-23**" in md
    [total] = [f for f in rendered.x.findings if f.id == "total"]
    assert ", ".join(total.evidence) in md
    assert "<svg" not in md


# -- PDF ------------------------------------------------------------------------------------------


def test_pdf_is_the_report_with_its_charts(aurus_db):
    import pypdfium2

    with open_store(aurus_db, read_only=True) as store:
        options = options_from(start="2018-01-01", end="2023-12-31")
        data = render_report(store, AURUS, options, "pdf")
    assert data.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(data)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    assert "AURUS" in text and "SYNTHETIC" in text
    assert "Invasion 24 Feb 2022" in text  # the year chart's SVG text made it into the PDF


def test_missing_pango_is_a_one_line_error(monkeypatch):
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(TradetraceError, match="libpango-1.0-0") as raised:
        pdf("<html></html>")
    assert "\n" not in str(raised.value)


def test_an_exporter_report_names_buyers_and_their_listings(aurus_db):
    with open_store(aurus_db, read_only=True) as store:
        md = render_report(store, "Hanbit Autotech", options_from(role="exporter"), "md")
    md = md.decode("utf-8")
    assert "| # | Buyer | Country | Value |" in md
    assert "## Buyers" in md and "as exporter" in md
    listed = md[md.index("## Sanctions matches") : md.index("## Evidence")]
    assert "**OOO AURUS** (buyer): OFAC SDN entry 47956" in listed
    assert "**2024-02-23**" in listed and "After its listing: $573,049 in 5 declarations" in listed


def test_a_name_match_is_explained_feature_by_feature():
    from tradetrace.report.labels import explain_match

    text = explain_match(
        '{"query_name": "FSUE NAMI", "matched_name": "NAMI", "alias_type": "aka", '
        '"features": {"name": 0.93, "country": 0.05, "weak_alias": -0.05}, "score": 0.93}'
    )
    assert text == (
        "“FSUE NAMI” matched “NAMI” (an alias on the list, type “aka”): name similarity 0.93, "
        "country agrees (+0.05), matched a weak alias (-0.05), score 0.93."
    )
