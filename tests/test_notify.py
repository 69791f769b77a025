"""notify/: the Markdown digest, the Atom feed and the webhook, on hand-built alerts.

The webhook talks to a real HTTP server on 127.0.0.1 (no other network), and every test
passes a ``sleep`` that only records, so the retries cost no time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tradetrace.analyse.alerts import Alert
from tradetrace.errors import TradetraceError
from tradetrace.formatting import day, money
from tradetrace.notify.atom import ATOM_NS, alert_id, alerts_atom, write_atom
from tradetrace.notify.markdown import alerts_markdown, md_code, md_escape
from tradetrace.notify.webhook import (
    RETRY_AFTER_CAP,
    WebhookDelivery,
    WebhookError,
    post_alerts,
)

A = f"{{{ATOM_NS}}}"
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def make_alert(**changes: Any) -> Alert:
    base: dict[str, Any] = {
        "entity_id": "e-aurus",
        "entity_name": "ООО «АУРУС»",
        "list": "ofac_sdn",
        "list_entity_id": "36123",
        "event": "designated",
        "listing_date": dt.date(2022, 2, 24),
        "trade_usd": 1_234_567.89,
        "trade_after_listing_usd": 500_000.99,
        "last_trade_date": dt.date(2023, 3, 3),
        "evidence": [f"DECL-{i:02d}" for i in range(13)],
        "detected_at": dt.datetime(2024, 5, 3, 12, 30, 5),
        "cause": "list change",
        "list_name": "AURUS LIMITED LIABILITY COMPANY",
        "matched_name": "OOO AURUS",
        "score": 0.934,
        "programs": ("RUSSIA-EO14024",),
        "previous_listing_date": None,
        "delisting_date": None,
        "list_version": "2024-05-03",
        "previous_list_version": "2024-04-26",
        "declarations": 13,
        "declarations_after_listing": 5,
        "evidence_after_listing": [f"DECL-{i:02d}" for i in range(8, 13)],
        "run_id": 7,
    }
    return Alert(**(base | changes))


@pytest.fixture
def alerts() -> list[Alert]:
    """One alert of each event, given out of the digest's order."""
    return [
        make_alert(
            event="match_gone",
            entity_id="e-star",
            entity_name="A*B_C [Trading](x) <b>#1</b> | `ok`",
            list="eu_fsf",
            list_entity_id="EU.1234.56",
            list_name="A*B_C TRADING",
            matched_name=None,
            listing_date=None,
            trade_after_listing_usd=None,
            declarations_after_listing=0,
            evidence_after_listing=[],
            evidence=["X-1", "X-2"],
            declarations=2,
            trade_usd=950.5,
            score=0.88,
            programs=(),
        ),
        make_alert(),
        make_alert(
            event="listing_date_changed",
            entity_id="e-vostok",
            entity_name="АО «Восток»",
            list_entity_id="40001",
            previous_listing_date=dt.date(2023, 1, 10),
            listing_date=dt.date(2023, 6, 1),
            trade_after_listing_usd=0.0,
            declarations_after_listing=0,
            evidence_after_listing=[],
            last_trade_date=dt.date(2023, 5, 31),
            cause="first screening",
        ),
        make_alert(
            event="delisted",
            entity_id="e-gone",
            entity_name="Delisted Shipping Ltd.",
            list="uk_sanctions",
            list_entity_id="RUS0001",
            delisting_date=dt.date(2024, 4, 30),
            trade_usd=0.0,
            trade_after_listing_usd=0.0,
            last_trade_date=None,
            evidence=[],
            evidence_after_listing=[],
            declarations=0,
            declarations_after_listing=0,
            detected_at=dt.datetime(2024, 5, 4, 8, 0, tzinfo=dt.UTC),
        ),
    ]


# --- Markdown -----------------------------------------------------------------------------


def test_markdown_heading_counts_and_groups_in_event_order(alerts):
    text = alerts_markdown(alerts, title="Weekly alerts")
    assert text.startswith("# Weekly alerts: 4 alerts\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Newly matched a list entry (1)",
        "## List entry delisted (1)",
        "## Listing date changed (1)",
        "## No longer matches a listed entry (1)",
    ]


def test_markdown_figures_go_through_formatting(alerts):
    text = alerts_markdown(alerts)
    designated = text.split("## List entry delisted")[0]
    assert "**ООО «АУРУС»** (party `e-aurus`)" in designated
    assert "`ofac_sdn`) entry `36123` AURUS LIMITED LIABILITY COMPANY" in designated
    assert "programmes: RUSSIA-EO14024" in designated
    assert f"Listed on {day(dt.date(2022, 2, 24))}." in designated
    assert f"Trade: {money(1_234_567.89)} over 13 declarations" in designated
    assert "$1,234,567 over 13 declarations, last on 3 March 2023." in designated
    assert f"On or after the listing date: {money(500_000.99)} over 5 declarations." in designated
    assert "$500,000 over 5 declarations" in designated
    assert "Seen 3 May 2024 at 12:30 UTC in screening run 7 (list change" in designated


def test_markdown_evidence_shows_ten_then_and_n_more(alerts):
    many = make_alert(evidence_after_listing=[])  # no trade after the listing: all of it
    text = alerts_markdown([many])
    line = next(x for x in text.splitlines() if "`DECL-00`" in x)
    assert all(f"`DECL-{i:02d}`" in line for i in range(10))
    assert "DECL-10" not in line
    assert line.endswith("and 3 more.")
    text = alerts_markdown(alerts)
    assert "Evidence: `X-1`, `X-2`." in text  # short lists get no "more"


def test_markdown_says_plainly_when_there_is_no_trade_or_it_cannot_be_known(alerts):
    text = alerts_markdown(alerts)
    sections = dict(zip(["head", *range(4)], text.split("\n## "), strict=True))
    delisted, changed, gone = sections[1], sections[2], sections[3]
    assert "No trade in the store." in delisted
    assert "Evidence: no declarations." in delisted
    assert "delisted on 30 April 2024" in delisted
    assert "Listing date changed from 10 January 2023 to 1 June 2023." in changed
    assert "No trade on or after the listing date." in changed
    assert "Listing date unknown" in gone
    assert "cannot be known" in gone
    assert "last score 0.88" in gone
    assert "programmes: none recorded" in gone


def test_markdown_escapes_names(alerts):
    text = alerts_markdown(alerts)
    assert r"**A\*B\_C \[Trading\](x) \<b\>\#1\</b\> \| \`ok\`**" in text
    assert "A*B_C" not in text  # neither in the party's nor in the entry's name
    assert md_escape("ООО «АУРУС»") == "ООО «АУРУС»"  # nothing to escape in Cyrillic
    assert md_escape("two\nlines") == "two lines"
    assert md_code("a`b") == "``a`b``"


def test_markdown_without_alerts():
    assert alerts_markdown([]) == "# Tradetrace alerts\n\nNo alerts.\n"


# --- Atom ---------------------------------------------------------------------------------


def test_atom_parses_with_one_entry_per_alert(alerts):
    feed = ET.fromstring(alerts_atom(alerts, "urn:uuid:0e5d7b9c-1111-4222-8333-444455556666", "T"))
    assert feed.tag == f"{A}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{A}{tag}") is not None, tag
    assert feed.findtext(f"{A}author/{A}name") == "tradetrace"
    # The latest detected_at, so the same alerts give the same feed.
    assert feed.findtext(f"{A}updated") == "2024-05-04T08:00:00Z"
    entries = feed.findall(f"{A}entry")
    assert len(entries) == len(alerts)
    for entry, alert in zip(entries, alerts, strict=True):
        assert entry.findtext(f"{A}id") == alert_id(alert)
        assert RFC3339_Z.match(entry.findtext(f"{A}updated") or "")
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "text"
        assert alert.list_entity_id in (content.text or "")
    first = entries[0]
    assert first.findtext(f"{A}updated") == "2024-05-03T12:30:05Z"
    assert "A*B_C [Trading](x) <b>#1</b>" in (first.findtext(f"{A}title") or "")  # plain text
    designated = entries[1].findtext(f"{A}content") or ""
    assert "ООО «АУРУС»" in designated and "$1,234,567 over 13 declarations" in designated
    # the declarations to open first: those on or after the listing date
    assert "Evidence on or after the listing date: DECL-08, DECL-09, DECL-10" in designated


def test_atom_ids_are_stable_and_unique(alerts):
    ids = [alert_id(a) for a in alerts]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert ids == [alert_id(a.model_copy()) for a in alerts]  # same alert, same id
    again = make_alert(trade_usd=1.0, entity_name="renamed")  # same key, other facts
    assert alert_id(again) == alert_id(make_alert())
    assert alert_id(make_alert(run_id=8)) != alert_id(make_alert())
    assert alert_id(make_alert(event="match_gone")) != alert_id(make_alert())
    one = alerts_atom(alerts, "tag:example.org,2024:alerts", "T")
    assert one == alerts_atom(alerts, "tag:example.org,2024:alerts", "T")


def test_atom_times_are_rfc3339_utc():
    aware = dt.datetime(2024, 5, 3, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    feed = ET.fromstring(
        alerts_atom([make_alert(detected_at=aware)], "urn:x:y", "T", updated=aware)
    )
    assert feed.findtext(f"{A}updated") == "2024-05-03T12:30:00Z"
    assert feed.findtext(f"{A}entry/{A}updated") == "2024-05-03T12:30:00Z"


def test_atom_survives_control_characters_and_an_empty_feed():
    feed = ET.fromstring(alerts_atom([make_alert(entity_name="Bad\x0bName\x00")], "urn:x:y", "T"))
    assert "BadName" in (feed.findtext(f"{A}entry/{A}title") or "")
    empty = ET.fromstring(alerts_atom([], "urn:x:y", "Nothing"))
    assert empty.findall(f"{A}entry") == [] and RFC3339_Z.match(empty.findtext(f"{A}updated"))
    with pytest.raises(ValueError, match="absolute IRI"):
        alerts_atom([], "not an iri", "T")


def test_write_atom_replaces_the_file_atomically(tmp_path, alerts):
    path = tmp_path / "feeds" / "alerts.xml"
    assert write_atom(path, alerts, feed_id="urn:x:y", title="T") == path
    write_atom(path, alerts[:1], feed_id="urn:x:y", title="T")
    assert len(ET.parse(path).getroot().findall(f"{A}entry")) == 1
    assert [p.name for p in path.parent.iterdir()] == ["alerts.xml"]  # no temp file left


# --- Webhook ------------------------------------------------------------------------------


class Server:
    """A loopback HTTP server that answers from a script: a status, or "hang"."""

    def __init__(self, script: list[int | str], headers: dict[str, str] | None = None):
        self.script, self.headers = script, headers or {}
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                n = len(server.requests)
                server.requests.append((dict(self.headers), body))
                answer = server.script[min(n, len(server.script) - 1)]
                if answer == "hang":
                    server.release.wait(5)  # longer than the client's timeout
                    return
                self.send_response(int(answer))
                for key, value in server.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Loopback only, whatever proxy the environment names."""
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_webhook_retries_a_500_then_delivers(alerts, sleeps):
    with Server([500, 200]) as server:
        got = post_alerts(server.url, alerts, backoff=0.5, sleep=sleeps.append)
    assert got == WebhookDelivery(server.url, 200, 2)
    assert sleeps == [0.5]
    assert len(server.requests) == 2
    headers, body = server.requests[-1]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"].startswith("tradetrace/")
    payload = json.loads(body.decode("utf-8"))
    assert payload["alerts"] == [a.to_json() for a in alerts]
    assert payload["text"] == alerts_markdown(alerts)


def test_webhook_gives_up_after_retries_with_exponential_backoff(alerts, sleeps):
    with Server([500]) as server, pytest.raises(WebhookError) as caught:
        post_alerts(server.url, alerts, retries=3, backoff=0.5, sleep=sleeps.append)
    assert len(server.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    host = server.url.rsplit("/", 1)[0]  # the path is hidden: chat webhooks keep a secret there
    assert str(caught.value) == (
        f"webhook {host}/…: gave up after 4 attempts (HTTP 500 Internal Server Error)"
    )
    assert isinstance(caught.value, TradetraceError) and caught.value.attempts == 4


def test_webhook_to_a_dead_port_fails_quickly_in_one_line(alerts, sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    start = time.monotonic()
    with pytest.raises(WebhookError) as caught:
        post_alerts(url, alerts, retries=3, sleep=sleeps.append)
    assert time.monotonic() - start < 2
    assert str(caught.value) == f"webhook {url}: gave up after 4 attempts (Connection refused)"
    assert "\n" not in str(caught.value)


def test_webhook_retries_a_server_that_never_answers(alerts, sleeps):
    with Server(["hang"]) as server, pytest.raises(WebhookError) as caught:
        start = time.monotonic()
        post_alerts(server.url, alerts, timeout=0.3, retries=1, sleep=sleeps.append)
    assert time.monotonic() - start < 2  # two bounded attempts, not the server's 5 s
    assert len(server.requests) == 2 and sleeps == [0.5]
    assert "gave up after 2 attempts (timed out)" in str(caught.value)


def test_webhook_does_not_retry_a_client_error(alerts, sleeps):
    with Server([400, 200]) as server, pytest.raises(WebhookError) as caught:
        post_alerts(server.url, alerts, sleep=sleeps.append)
    assert len(server.requests) == 1 and sleeps == []
    assert "gave up after 1 attempt (HTTP 400 Bad Request, not retried)" in str(caught.value)


def test_webhook_honours_retry_after_up_to_a_cap(alerts, sleeps):
    with Server([429, 200], {"Retry-After": "7"}) as server:
        assert post_alerts(server.url, alerts, sleep=sleeps.append).attempts == 2
    with Server([503, 200], {"Retry-After": "86400"}) as server:
        post_alerts(server.url, alerts, sleep=sleeps.append)
    with Server([503, 200], {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) as server:
        post_alerts(server.url, alerts, backoff=0.25, sleep=sleeps.append)
    assert sleeps == [7.0, RETRY_AFTER_CAP, 0.25]


def test_webhook_does_not_follow_a_redirect(alerts, sleeps):
    with Server([302], {"Location": "http://127.0.0.1:1/elsewhere"}) as server:
        with pytest.raises(WebhookError, match=r"HTTP 302 Found, not retried"):
            post_alerts(server.url, alerts, sleep=sleeps.append)
        assert len(server.requests) == 1


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "http://", "http://h:port/", "x"]
)
def test_webhook_accepts_only_http_urls(url, alerts, sleeps):
    with pytest.raises(WebhookError) as caught:
        post_alerts(url, alerts, sleep=sleeps.append)
    assert str(caught.value).startswith("webhook ") and "/etc/passwd" not in str(caught.value)
    assert "\n" not in str(caught.value) and caught.value.attempts == 0
