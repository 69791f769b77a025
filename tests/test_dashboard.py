"""The web dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

The app runs on loopback over the AURUS pipeline store; the test searches «АУРУС» as an
analyst would and checks the findings, charts, network and evidence render. Screenshots
go to ``out/test-artifacts/``. ``make test`` installs Chromium when missing and sets
TRADETRACE_REQUIRE_BROWSER=1, so there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def server(aurus_db):
    import uvicorn

    from tradetrace.api import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(aurus_db), host="127.0.0.1", port=port, log_level="error")
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
    page.wait_for_selector("#findings li", timeout=30_000)
    assert page.is_visible("#synthetic"), "the SYNTHETIC banner must show for sample data"
    assert page.inner_text("#entity-name") == "OOO AURUS"
    findings = page.locator("#findings li").all_inner_texts()
    assert len(findings) >= 5
    assert "imported at least $" in findings[0] and "OOO AURUS" in findings[0]
    assert any("invasion of Ukraine" in f for f in findings)
    assert any("designated by the US Treasury's OFAC" in f for f in findings)
    page.screenshot(path=str(ARTIFACTS / "dashboard-aurus.png"), full_page=True)


def test_charts_and_network_render(page):
    for chart in ("#chart-year", "#chart-origin", "#chart-suppliers", "#chart-categories"):
        assert page.locator(f"{chart} svg rect").count() >= 3, chart
    assert "KR" in page.inner_text("#chart-origin")
    page.wait_for_selector("#network g.node", timeout=30_000)
    assert page.locator("#network g.node").count() == 10  # AURUS and its 9 suppliers
    assert page.locator("#network line").count() == 9
    assert page.locator("#network circle[fill='#c62828']").count() >= 1  # AURUS is listed
    page.locator("#network").screenshot(path=str(ARTIFACTS / "dashboard-network.png"))


def test_the_period_can_be_narrowed(page):
    page.fill("#from", "2018-01-01")
    page.fill("#to", "2023-12-31")
    page.click("#options button")
    from playwright.sync_api import expect

    expect(page.locator("#findings li").first).to_contain_text("From 2018 to 2023", timeout=30_000)
    first = page.locator("#findings li").first.inner_text()
    assert "at least $34.0M" in first
    assert "$15.5M" in page.locator("#findings li").nth(1).inner_text()


def test_evidence_and_matches(page):
    page.locator("#findings li a").first.click()
    page.wait_for_selector("#evidence table tbody tr", timeout=30_000)
    assert page.locator("#evidence table tbody tr").count() == 442  # every line, 2018–2023
    assert "ofac_sdn" in page.inner_text("#matches") and "47956" in page.inner_text("#matches")
    assert "2024-02-23" in page.inner_text("#matches")
    page.screenshot(path=str(ARTIFACTS / "dashboard-evidence.png"), full_page=True)


def test_no_script_errors(page):
    assert page.errors == []  # type: ignore[attr-defined]
