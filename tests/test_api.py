"""The REST API over the AURUS pipeline store: every endpoint, bad input, limits and auth."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from tradetrace.api import create_app
from tradetrace.api.app import Limits
from tradetrace.errors import StoreError

AURUS = "tt-inn-7743237789"
REUTERS = {"from": "2018-01-01", "to": "2023-12-31"}
KEY = "k" * 24


@pytest.fixture(scope="module")
def client(aurus_db):
    with TestClient(create_app(aurus_db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def keyed(aurus_db):
    with TestClient(create_app(aurus_db, api_key=KEY), raise_server_exceptions=False) as c:
        yield c


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def bad(response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail
    assert "Traceback" not in response.text and 'File "' not in response.text
    return detail


# -- service ---------------------------------------------------------------------------------------


def test_health_summary_and_spec(client):
    assert ok(client.get("/health"))["status"] == "ok"
    summary = ok(client.get("/summary"))
    assert summary["synthetic"] and summary["entities"] > 9 and summary["matched_entities"] >= 1
    spec = ok(client.get("/openapi.json"))
    for path in ("/screen", "/entities", "/entities/{entity_id}", "/exposure/{target}",
                 "/declarations", "/graph/{target}", "/report/{target}"):  # fmt: skip
        assert path in spec["paths"], path
    assert client.get("/docs").status_code == 404  # its page loads a CDN; the spec is enough


def test_the_dashboard_is_served_by_the_app_itself(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ("/static/app.js", "/static/style.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    assert "http://" not in page.text.replace("http://www.w3.org", "")
    assert "https://" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


# -- entities -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["АУРУС", "LLC Aurus", "7743237789"])
def test_entity_search_any_script(client, q):
    found = ok(client.get("/entities", params={"q": q}))
    assert found[0]["entity_id"] == AURUS


def test_entity_detail_with_matches_and_explanations(client):
    entity = ok(client.get(f"/entities/{AURUS}"))
    assert entity["name"] == "OOO AURUS" and "inn:7743237789" in entity["identifiers"]
    [ofac] = [m for m in entity["matches"] if m["list"] == "ofac_sdn"]
    assert ofac["list_entity_id"] == "47956" and ofac["listing_date"] == "2024-02-23"
    assert ofac["explanation"]["score"] == ofac["score"]
    assert bad(client.get("/entities/tt-missing"), 404) == "no entity 'tt-missing'"


# -- screening ------------------------------------------------------------------------------------


def test_screen_batch_with_as_of(client):
    body = {
        "names": ["LLC AURUS", {"name": "ООО «АУРУС»", "country": "RU"}, "Siemens AG"],
        "as_of": "2024-01-15",
    }
    result = ok(client.post("/screen", json=body))
    by_name = {r["name"]: r["matches"] for r in result["results"]}
    assert by_name["Siemens AG"] == []
    for name in ("LLC AURUS", "ООО «АУРУС»"):
        [match] = [m for m in by_name[name] if m["list"] == "ofac_sdn"]
        assert match["id"] == "47956" and match["status_as_of"] == "not listed"
    later = ok(client.post("/screen", json={**body, "as_of": "2024-03-01"}))
    assert later["results"][0]["matches"][0]["status_as_of"] == "listed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"names": []}, "names"),
        ({"names": ["x" * (Limits.name_chars + 1)]}, "names"),
        ({"names": [{"name": "A", "country": "Russia"}]}, "country"),
        ({"names": ["A"], "as_of": "2024-02-30"}, "as_of"),
        ({"names": ["A"], "threshold": 2}, "threshold"),
        ({"names": ["A"] * (Limits.batch_names + 1)}, "names"),
        ({}, "names"),
    ],
)
def test_screen_rejects_bad_batches(client, body, message):
    assert message in bad(client.post("/screen", json=body))


def test_screen_rejects_non_json_and_oversized_bodies(client):
    assert bad(
        client.post("/screen", content=b"{not json", headers={"content-type": "application/json"})
    )
    huge = json.dumps({"names": ["A" * 200] * 6000})
    assert "over" in bad(
        client.post("/screen", content=huge, headers={"content-type": "application/json"}), 413
    )


# -- exposure, declarations -----------------------------------------------------------------------


def test_exposure_endpoint_equals_the_cli(client, aurus_db, cli_for):
    api = ok(client.get("/exposure/ООО «АУРУС»", params=REUTERS))
    cli = json.loads(cli_for(aurus_db)("exposure", AURUS, "--from", "2018-01-01",
                                      "--to", "2023-12-31", "--json").output)  # fmt: skip
    assert api == cli
    assert api["total_usd"] == 34_000_000.00


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"role": "buyer"}, 400, "role"),
        ({"from": "2023-13-01"}, 400, "from"),
        ({"event": "invasion"}, 400, "NAME=YYYY-MM-DD"),
        ({"categories": "/etc/passwd"}, 400, "categories must be one of"),
        ({"from": "2024-01-01", "to": "2023-01-01"}, 400, "is after"),
    ],
)
def test_exposure_bad_options(client, params, status, message):
    assert message in bad(client.get(f"/exposure/{AURUS}", params=params), status)


def test_exposure_unknown_and_ambiguous_targets(client):
    assert "no entity named" in bad(client.get("/exposure/ZZQX NOTHING"))
    assert "no entity 'tt-x'" in bad(client.get("/exposure/tt-x"))


def test_declarations_filters_and_pages(client):
    first = ok(client.get("/declarations", params={"importer": AURUS, "page_size": 100, **REUTERS}))
    assert first["total"] == 442 and len(first["rows"]) == 100
    page_two = {"importer": AURUS, "page_size": 100, "page": 2, **REUTERS}
    second = ok(client.get("/declarations", params=page_two))
    assert not {r["source_row"] for r in first["rows"]} & {r["source_row"] for r in second["rows"]}
    korean = ok(client.get("/declarations", params={"importer": AURUS, "origin": "kr", **REUTERS}))
    assert korean["total"] > 0 and all(r["origin_country"] == "KR" for r in korean["rows"])
    ids = [r["declaration_id"] for r in first["rows"][:3]]
    chosen = ok(client.get("/declarations", params={"declaration_id": ids}))
    assert {r["declaration_id"] for r in chosen["rows"]} == set(ids)
    by_hs = ok(client.get("/declarations", params={"importer": AURUS, "hs": "8515"}))
    assert by_hs["total"] > 0 and all(r["hs_code"].startswith("8515") for r in by_hs["rows"])


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": Limits.page_size + 1},
        {"page": 0},
        {"origin": "KOR"},
        {"hs": "87a"},
        {"from": "yesterday"},
        {"declaration_id": [str(n) for n in range(Limits.declaration_ids + 1)]},
    ],
)
def test_declarations_bad_filters(client, params):
    bad(client.get("/declarations", params=params))


INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE declaration_rows; --", '") OR 1=1 --', "%' --"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_text_parameters_are_never_sql(client, text):
    """Hostile text is a value: it finds nothing, breaks nothing, and the data stays."""
    assert ok(client.get("/declarations", params={"entity": text}))["total"] == 0
    assert ok(client.get("/declarations", params={"declaration_id": [text]}))["total"] == 0
    assert client.get(f"/entities/{text}").status_code == 404
    assert client.get("/entities", params={"q": text}).status_code == 200
    assert client.get(f"/exposure/{text}").status_code == 400
    assert ok(client.post("/screen", json={"names": [text]}))["results"][0]["name"] == text
    assert ok(client.get("/declarations", params={"importer": AURUS}))["total"] == 461


# -- graph and report -----------------------------------------------------------------------------


def test_graph_endpoint(client):
    graph = ok(client.get(f"/graph/{AURUS}", params={"hops": 1}))
    assert graph["target"] == AURUS and len(graph["nodes"]) == 10
    graphml = client.get(f"/graph/{AURUS}", params={"format": "graphml"})
    assert graphml.status_code == 200 and "graphml" in graphml.headers["content-type"]
    ftm = client.get(f"/graph/{AURUS}", params={"format": "ftm"})
    assert all(json.loads(line)["schema"] for line in ftm.text.splitlines())
    bad(client.get(f"/graph/{AURUS}", params={"hops": 9}))
    bad(client.get(f"/graph/{AURUS}", params={"format": "dot"}))


def test_report_endpoint(client):
    html = client.get(f"/report/{AURUS}", params=REUTERS)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "SYNTHETIC" in html.text and "$34.0M" in html.text
    md = client.get(f"/report/{AURUS}", params={"format": "md", **REUTERS})
    assert md.status_code == 200 and "attachment" in md.headers["content-disposition"]
    as_json = ok(client.get(f"/report/{AURUS}", params={"format": "json", **REUTERS}))
    assert as_json["total_usd"] == 34_000_000.00
    bad(client.get(f"/report/{AURUS}", params={"format": "docx"}))


# -- alerts ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alert_client(alert_db):
    with TestClient(create_app(alert_db), raise_server_exceptions=False) as c:
        yield c


def test_alerts_endpoint_equals_the_cli(alert_client, alert_db, cli_for):
    api = ok(alert_client.get("/alerts"))
    assert api == json.loads(cli_for(alert_db)("alerts", "--json").output)
    [aurus] = [a for a in api if a["entity_id"] == AURUS]
    assert aurus["event"] == "designated" and aurus["cause"] == "list change"
    assert (aurus["list"], aurus["list_entity_id"]) == ("ofac_sdn", "47956")
    assert aurus["listing_date"] == "2024-02-23" and aurus["last_trade_date"] >= "2024-02-23"
    assert 0 < aurus["trade_after_listing_usd"] < aurus["trade_usd"]
    assert aurus["declarations"] == len(aurus["evidence"]) > 0
    assert aurus["declarations_after_listing"] == len(aurus["evidence_after_listing"]) > 0
    assert ok(alert_client.get("/alerts", params={"run": aurus["run_id"]})) == api
    assert ok(alert_client.get("/alerts", params={"run": aurus["run_id"] + 1})) == []


def test_alerts_since_a_day(alert_client):
    latest = ok(alert_client.get("/alerts"))
    since = ok(alert_client.get("/alerts", params={"since": "2000-01-01"}))
    assert len(since) > len(latest) and all(a in since for a in latest)  # every run's
    assert ok(alert_client.get("/alerts", params={"since": "2999-01-01"})) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2024-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "20240101"}, "since"),
        ({"run": 0}, "run"),
        ({"run": "last"}, "run"),
    ],
)
def test_alerts_bad_parameters(alert_client, params, message):
    assert message in bad(alert_client.get("/alerts", params=params))


def test_alerts_on_a_store_never_screened(aurus_resolved):
    with TestClient(create_app(aurus_resolved), raise_server_exceptions=False) as c:
        detail = bad(c.get("/alerts"), 409)
    assert detail == "no screening results in this store: run `tradetrace screen` first"


# -- auth -----------------------------------------------------------------------------------------


def test_a_key_guards_every_data_endpoint(keyed):
    for path in ("/summary", f"/entities/{AURUS}", "/entities?q=AURUS", f"/exposure/{AURUS}",
                 "/declarations", f"/graph/{AURUS}"):  # fmt: skip
        assert "API key" in bad(keyed.get(path), 401)
        assert bad(keyed.get(path, headers={"X-API-Key": "wrong" * 5}), 401)
    assert ok(keyed.get("/summary", headers={"X-API-Key": KEY}))
    assert ok(keyed.get("/summary", headers={"Authorization": f"Bearer {KEY}"}))
    assert bad(keyed.post("/screen", json={"names": ["A"]}), 401)
    assert keyed.get("/").status_code == 200 and keyed.get("/health").status_code == 200


def serve(aurus_db, *args: str) -> subprocess.CompletedProcess:
    """``tradetrace serve`` as a user runs it, with no key in the environment."""

    cmd = [sys.executable, "-m", "tradetrace", "--db", str(aurus_db), "serve", *args]
    environment = {k: v for k, v in os.environ.items() if k != "TRADETRACE_API_KEY"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=environment)


def test_serving_beyond_loopback_needs_a_key(aurus_db):
    refused = serve(aurus_db, "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 2
    assert "needs an API key" in refused.stderr and "Traceback" not in refused.stderr
    short = serve(aurus_db, "--host", "0.0.0.0", "--api-key", "short")
    assert short.returncode == 2 and "16 characters" in short.stderr
    assert serve(aurus_db, "--host", "not-a-host").returncode == 2


def test_the_app_needs_a_store(tmp_path):
    with pytest.raises(StoreError):
        create_app(tmp_path / "none.duckdb")


def test_cors_is_closed_by_default(client, aurus_db):
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
    with TestClient(create_app(aurus_db, cors_origins=["https://newsroom.example"])) as open_:
        allowed = open_.get("/health", headers={"Origin": "https://newsroom.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://newsroom.example"
