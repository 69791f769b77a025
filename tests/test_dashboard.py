"""The web dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

The app runs on loopback over the AURUS pipeline store; the test searches «АУРУС» as an
analyst would and checks the findings, charts, network and evidence render. Screenshots
go to ``out/test-artifacts/``. ``make test`` installs Chromium when missing and sets
TRADETRACE_REQUIRE_BROWSER=1, so there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tradetrace.formatting import money, money_compact

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "test-artifacts"
# Chromium's background services try the network, which is closed here: switch them off.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long to wait for the app's answer: the first search builds the name index, and the
# machine running the suite may be busy with other tests.
ANSWER_MS = 120_000


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """The app over ``db`` on a free loopback port, in a thread: its base URL."""
    import uvicorn

    from tradetrace.api import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(aurus_db):
    with serving(aurus_db) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    if not CHROMIUM.exists():
        if os.environ.get("TRADETRACE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        tab.goto(server + "/")
        tab.errors = errors  # type: ignore[attr-defined]
        yield tab
        browser.close()


def test_search_aurus_and_see_the_finding(page):
    page.fill("#q", "АУРУС")
    page.click("#search button")
    page.wait_for_selector("#findings li", timeout=ANSWER_MS)
    assert page.is_visible("#synthetic"), "the SYNTHETIC banner must show for sample data"
    assert page.inner_text("#entity-name") == "OOO AURUS"
    findings = page.locator("#findings li").all_inner_texts()
    assert len(findings) >= 5
    assert "imported at least $" in findings[0] and "OOO AURUS" in findings[0]
    assert any("invasion of Ukraine" in f for f in findings)
    assert any("designated by the US Treasury's OFAC" in f for f in findings)
    page.wait_for_selector("#network g.node", timeout=ANSWER_MS)  # the whole page, network too
    page.screenshot(path=str(ARTIFACTS / "dashboard-aurus.png"), full_page=True)


def test_charts_and_network_render(page):
    for chart in ("#chart-year", "#chart-origin", "#chart-suppliers", "#chart-categories"):
        assert page.locator(f"{chart} svg rect").count() >= 3, chart
    assert "KR" in page.inner_text("#chart-origin")
    page.wait_for_selector("#network g.node", timeout=ANSWER_MS)
    assert page.locator("#network g.node").count() == 10  # AURUS and its 9 suppliers
    assert page.locator("#network line").count() == 9
    assert page.locator("#network circle[fill='#c62828']").count() >= 1  # AURUS is listed
    page.locator("#network").screenshot(path=str(ARTIFACTS / "dashboard-network.png"))


# The API answer the page is showing now: the app's own query (role, period) for its entity.
SHOWN_EXPOSURE = """async () => {
    const path = "/exposure/" + encodeURIComponent(state.target) + "?" + exposureQuery();
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": " + response.status + " " + await response.text());
    return response.json();
}"""
# Each element's text and its box on the page, with the box of the chart SVG around it.
BOXES = """(nodes) => nodes.map((node) => {
    const box = node.getBoundingClientRect(), chart = node.ownerSVGElement.getBoundingClientRect();
    return {text: node.textContent, box: [box.left, box.top, box.right, box.bottom],
            chart: [chart.left, chart.top, chart.right, chart.bottom]};
})"""


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether two [left, top, right, bottom] boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        box[0] >= outer[0] - slack
        and box[1] >= outer[1] - slack
        and box[2] <= outer[2] + slack
        and box[3] <= outer[3] + slack
    )


def test_event_labels_on_the_year_chart_do_not_overlap(page):
    events = page.evaluate(SHOWN_EXPOSURE)["events"]
    assert len(events) >= 2, "the AURUS period holds the invasion and the OFAC designation"
    texts = page.locator("#chart-year svg text")
    labels = [t for t in texts.evaluate_all(BOXES) if any(e["date"] in t["text"] for e in events)]
    assert len(labels) == len(events), labels
    page.locator("#chart-year").screenshot(path=str(ARTIFACTS / "dashboard-by-year.png"))
    for n, a in enumerate(labels):
        assert inside(a["box"], a["chart"]), f"{a['text']!r} runs out of the chart"
        for b in labels[n + 1 :]:
            assert not overlap(a["box"], b["box"]), f"{a['text']!r} overlaps {b['text']!r}"


def test_supplier_names_are_shortened_at_the_end_never_clipped(page):
    suppliers = [s for s in page.evaluate(SHOWN_EXPOSURE)["by_supplier"] if s["value_usd"] > 0]
    texts = page.locator("#chart-suppliers svg text").evaluate_all(BOXES)
    labels = [t for t in texts if not t["text"].startswith("$")]  # the rest are bar values
    page.locator("#chart-suppliers").screenshot(path=str(ARTIFACTS / "dashboard-suppliers.png"))
    assert len(labels) == min(len(suppliers), 12)
    assert any(label["text"].endswith("…") for label in labels), "AURUS has long supplier names"
    for label, supplier in zip(labels, suppliers, strict=False):
        name, shown = supplier["name"], label["text"]
        assert shown == name or (shown.endswith("…") and name.startswith(shown[:-1])), shown
        assert inside(label["box"], label["chart"]), f"{shown!r} is clipped by its chart"


def test_hangul_and_chinese_render_as_glyphs_not_empty_boxes(page):
    """Without a CJK font every character is the same empty box; with one, each its own glyph."""
    names = "현대모비스" + "宁波海兴"  # Hyundai Mobis; Ningbo Haixing: no character twice
    font = page.evaluate("getComputedStyle(document.getElementById('entity-name')).fontFamily")
    drawn = page.evaluate(
        """([text, font]) => Array.from(text, (character) => {
            const canvas = Object.assign(document.createElement("canvas"), {width: 48, height: 48});
            const context = canvas.getContext("2d");
            context.font = "32px " + font;
            context.fillText(character, 4, 38);
            return canvas.toDataURL();
        })""",
        [names, font],
    )
    assert len(set(drawn)) == len(names), "CJK characters render as identical boxes"
    # Named, so Chinese names get Chinese glyph shapes rather than whichever CJK face is first.
    assert "Noto Sans CJK KR" in font and "Noto Sans CJK SC" in font, font


def test_search_placeholder_quotes_are_balanced(page):
    placeholder = page.get_attribute("#q", "placeholder")
    assert "«" in placeholder, placeholder
    # Every «…» closes before the next opens: nothing doubled, nothing nested.
    assert not re.search("[«»]", re.sub("«[^«»]*»", "", placeholder)), placeholder


def test_money_is_whole_dollars_rounded_down(page):
    x = page.evaluate(SHOWN_EXPOSURE)
    figures = [x["total_usd"]] + [e[k] for e in x["events"] for k in ("before_usd", "after_usd")]
    assert any(round(v) > v for v in figures), "no figure rounds up: floor and round look alike"
    assert page.locator(".kpi b").first.inner_text() == money(x["total_usd"])
    events = page.locator("#events tbody tr").all()
    for row, event in zip(events, x["events"], strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[2:4] == [money(event["before_usd"]), money(event["after_usd"])], cells
    values = page.locator("#chart-suppliers svg text").all_text_contents()
    suppliers = [s["value_usd"] for s in x["by_supplier"] if s["value_usd"] > 0][:12]
    assert [v for v in values if v.startswith("$")] == [money_compact(v) for v in suppliers]


def test_table_dates_stay_on_one_line(page):
    """A date wrapped at a hyphen ("2022-02-" over "24") no longer reads as YYYY-MM-DD."""
    dates = page.locator("#events td, #matches td").evaluate_all(
        """(cells) => cells.filter((cell) => /^\\d{4}-\\d{2}-\\d{2}$/.test(cell.textContent))
            .map((cell) => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                return [cell.textContent, range.getClientRects().length];
            })"""
    )
    assert dates, "the events and matches tables hold dates"
    assert all(lines == 1 for _, lines in dates), dates


def test_dates_are_typed_as_iso(page):
    """The period reads and takes YYYY-MM-DD, whatever the browser's locale."""
    from playwright.sync_api import expect

    for field in ("#from", "#to"):
        page.fill(field, "")
    page.locator("#from").press_sequentially("2024-03-01")
    with page.expect_request(lambda r: "/exposure/" in r.url) as sent:
        page.click("#options button")
    assert "from=2024-03-01" in sent.value.url
    expect(page.locator("#entity-meta")).to_contain_text("period 2024-", timeout=ANSWER_MS)
    for field in ("#from", "#to"):
        assert page.get_attribute(field, "placeholder") == "YYYY-MM-DD", field


def test_the_period_can_be_narrowed(page):
    page.fill("#from", "2018-01-01")
    page.fill("#to", "2023-12-31")
    page.click("#options button")
    from playwright.sync_api import expect

    expect(page.locator("#findings li").first).to_contain_text(
        "From 2018 to 2023", timeout=ANSWER_MS
    )
    first = page.locator("#findings li").first.inner_text()
    assert "at least $34.0M" in first
    assert "$15.5M" in page.locator("#findings li").nth(1).inner_text()


def test_evidence_and_matches(page):
    page.locator("#findings li a").first.click()
    page.wait_for_selector("#evidence table tbody tr", timeout=ANSWER_MS)
    assert page.locator("#evidence table tbody tr").count() == 442  # every line, 2018–2023
    assert "ofac_sdn" in page.inner_text("#matches") and "47956" in page.inner_text("#matches")
    assert "2024-02-23" in page.inner_text("#matches")
    page.screenshot(path=str(ARTIFACTS / "dashboard-evidence.png"), full_page=True)


def test_no_script_errors(page):
    assert page.errors == []  # type: ignore[attr-defined]


# -- alerts ---------------------------------------------------------------------------------------

AURUS = "tt-inn-7743237789"


@pytest.fixture(scope="module")
def alert_server(alert_db):
    """The app over ``alert_db``: AURUS's designation is the latest screening's alert."""
    with serving(alert_db) as url:
        yield url


def test_alerts_panel_shows_the_aurus_designation(page, alert_server):
    """A tab of its own on the alert store: the row, its money as the page writes money,
    and its party opening the entity."""
    from playwright.sync_api import expect

    tab = page.context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        tab.goto(alert_server + "/")
        row = tab.locator("#alerts tbody tr", has=tab.locator(f"[data-entity='{AURUS}']"))
        expect(row).to_have_count(1, timeout=ANSWER_MS)
        [alert] = [a for a in tab.evaluate(ALERTS) if a["entity_id"] == AURUS]
        assert alert["event"] == "designated" and alert["list_entity_id"] == "47956"
        after = alert["trade_after_listing_usd"]
        assert round(after) > after, "the figure must tell floor from round"
        head = tab.locator("#alerts thead th").all_inner_texts()
        cells = dict(zip(head, row.locator("td").all_inner_texts(), strict=True))
        assert cells["trade on or after listing"] == money(after), cells
        assert cells["trade"] == money(alert["trade_usd"])
        assert cells["event"].startswith("designated") and cells["party"] == "OOO AURUS"
        assert "ofac_sdn 47956" in cells["list entry"] and cells["listed"] == "2024-02-23"
        assert cells["programmes"] == ", ".join(alert["programs"])
        assert cells["last trade"] == alert["last_trade_date"]
        assert cells["declarations"] == f"{alert['declarations']:,}"
        tab.locator("#alerts-card").screenshot(path=str(ARTIFACTS / "dashboard-alerts.png"))
        tab.fill("#since", "2999-01-01")
        tab.click("#alerts-options button")
        expect(tab.locator("#alerts")).to_have_text(
            "No alerts seen since 2999-01-01.", timeout=ANSWER_MS
        )
        tab.fill("#since", "")
        tab.click("#alerts-options button")
        tab.locator(f"#alerts button[data-entity='{AURUS}']").click(timeout=ANSWER_MS)
        expect(tab.locator("#entity-name")).to_have_text("OOO AURUS", timeout=ANSWER_MS)
        assert errors == []
    finally:
        tab.close()


ALERTS = """async () => {
    const response = await fetch("/alerts");
    if (!response.ok) throw new Error("/alerts: " + response.status + " " + await response.text());
    return response.json();
}"""


# -- official statistics -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flows_server(aurus_with_flows):
    """The app over AURUS's store with the real Comext file loaded beside it."""
    with serving(aurus_with_flows) as url:
        yield url


def test_the_flows_panel_and_the_context_of_the_routes(page, flows_server):
    """The diversion table, a pair's monthly chart with the invasion line, and AURUS's
    dispatch countries with their ratios as the exposure gives them."""
    from playwright.sync_api import expect

    tab = page.context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        tab.goto(flows_server + f"/#{AURUS}")
        row = tab.locator("#flows tbody tr", has=tab.locator("button[data-series='DE:KG']"))
        expect(row).to_have_count(1, timeout=ANSWER_MS)
        cells = row.locator("td").all_inner_texts()
        assert cells[:2] == ["Germany", "Kyrgyzstan"] and cells[4] == "12.98×"
        assert not tab.locator("#flows tbody td", has_text="EA20").count()  # overlapping groups
        row.locator("button").click()
        chart = tab.locator("#flows-chart svg")
        expect(chart.locator("polyline.actual")).to_have_count(1, timeout=ANSWER_MS)
        assert chart.locator("line.invasion").count() == 1 and chart.locator("polygon.band").count()
        assert "Germany → Kyrgyzstan" in tab.inner_text("#flows-chart h3")
        tab.locator("#flows-card").screenshot(path=str(ARTIFACTS / "dashboard-flows.png"))

        context = tab.locator(
            "#context tbody tr", has=tab.locator("button[data-series='EU27_2020:AM']")
        )
        expect(context).to_have_count(1, timeout=ANSWER_MS)
        exposure = tab.evaluate(SHOWN_EXPOSURE)
        [armenia] = [h for h in exposure["official_statistics"] if h["hub"] == "AM"]
        cells = context.locator("td").all_inner_texts()
        assert cells[:4] == ["AM", "hub", money(armenia["value_usd"]), "EU-27"]
        assert cells[6] == f"{armenia['ratios'][0]['ratio']:.2f}×"
        context.locator("button").click()
        expect(tab.locator("#context-chart svg polyline.actual")).to_have_count(
            1, timeout=ANSWER_MS
        )
        tab.locator("#context-card").screenshot(path=str(ARTIFACTS / "dashboard-context.png"))
        assert errors == []
    finally:
        tab.close()


def test_without_statistics_the_panels_say_how_to_load_them(page):
    from playwright.sync_api import expect

    if page.is_hidden("#entity"):  # this module's first test on its worker
        page.goto(page.url.split("#")[0] + f"#{AURUS}")
        page.reload()  # a new hash alone does not open the entity
    expect(page.locator("#flows")).to_contain_text("tradetrace stats load", timeout=ANSWER_MS)
    expect(page.locator("#context")).to_contain_text(
        "No official statistics are loaded", timeout=ANSWER_MS
    )
