"""The JSON contract: the exact keys, their order and nesting, of ``--json`` and the API.

The JSON the CLI prints and the API answers is public: scripts and newsrooms read it by
key. The key lists below were captured from the output of the commands on these same
fixtures *before* issue 16 moved the code behind them to typed models; they are written
out by hand, never generated from the code, so that a refactor which renames, drops,
reorders or nests a key fails here. A key added on purpose is added here too.

Values are not pinned (other tests check them), except where a key's presence depends
on the input: ``status_as_of`` is present exactly when a date was given.

Each command or endpoint has its own ``test_<command>_json_keys`` /
``test_api_<endpoint>_keys`` function; ``exposure`` and ``/exposure`` are pinned apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tradetrace.api import create_app

AURUS = "tt-inn-7743237789"

# -- the captured contract ------------------------------------------------------------------------

INGEST = ["rows_in", "loaded", "quarantined", "files"]
#: A file's counts, then how it was read, both as ``reading`` and flattened into the file.
INGEST_FILE = [
    "file", "sha256", "profile", "rows_in", "loaded", "quarantined", "skipped", "synthetic",
    "encoding", "delimiter", "reading", "direction", "reporter_country", "granularity",
    "currency", "mapping", "fallbacks", "value_currencies", "unmapped_columns", "detected",
]  # fmt: skip
INGEST_READING = [
    "direction", "reporter_country", "granularity", "currency", "mapping", "fallbacks",
    "value_currencies", "unmapped_columns", "detected",
]  # fmt: skip
RESOLVE = ["parties", "entities", "merges"]

SCREEN_QUERY = ["name", "country", "schema", "identifiers", "as_of"]
SCREEN_MATCH = [
    "list", "id", "name", "matched_name", "score", "listing_date", "delisting_date",
    "listing_date_note", "programs", "explanation",
]  # fmt: skip
#: Keys every explanation has, whether a name or an identifier matched (others vary).
EXPLANATION = {"query_name", "matched_name", "features", "score"}
API_SCREEN = ["as_of", "threshold", "results"]
API_SCREEN_RESULT = ["name", "country", "matches"]

API_ENTITY = [
    "entity_id", "name", "aliases", "country", "identifiers", "importer_lines",
    "exporter_lines", "parties", "value_usd", "matches",
]  # fmt: skip
API_ENTITY_ALIAS = ["name", "script", "lines"]
API_ENTITY_MATCH = [
    "entity_id", "list", "list_entity_id", "list_name", "query_name", "matched_name", "score",
    "explanation", "listing_date", "delisting_date", "listing_date_note", "programs",
]  # fmt: skip
API_SEARCH_HIT = ["entity_id", "name", "country", "score", "matched", "lines", "identifiers"]


def assert_keys(obj: object, keys: list[str]) -> None:
    """``obj`` is a JSON object with exactly ``keys``, in that order."""
    assert isinstance(obj, dict), obj
    assert list(obj) == keys


def assert_screen_match(match: dict, as_of: bool) -> None:
    assert_keys(match, SCREEN_MATCH + (["status_as_of"] if as_of else []))
    assert isinstance(match["programs"], list)
    assert isinstance(match["explanation"], dict) and set(match["explanation"]) >= EXPLANATION


# -- fixtures -------------------------------------------------------------------------------------

SYNTHETIC = (
    "Buyer,Buyer country,Seller,Date of export,HS code,Quantity,Amount (USD)\n"
    "ACME TRADING FZE,AE,ООО СИНТЕЗ,2023-05-02,850440,10,1200.50\n"
    "ACME TRADING FZE,AE,ООО СИНТЕЗ,2023-06-11,850440,4,480\n"
)


@pytest.fixture(scope="module")
def client(aurus_db):
    with TestClient(create_app(aurus_db), raise_server_exceptions=False) as c:
        yield c


def cli_json(run, *args: str | Path) -> object:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- CLI ------------------------------------------------------------------------------------------


def test_ingest_and_resolve_json_keys(cli, tmp_path):
    path = tmp_path / "SYNTHETIC_sales.csv"
    path.write_text(SYNTHETIC, encoding="utf-8")
    ingested = cli_json(cli, "ingest", path, "--reporter", "RU")
    assert_keys(ingested, INGEST)
    [file] = ingested["files"]
    assert_keys(file, INGEST_FILE)
    assert_keys(file["reading"], INGEST_READING)
    for key in ("mapping", "fallbacks", "value_currencies", "detected"):  # keyed by field
        assert isinstance(file[key], dict), key
    assert_keys(cli_json(cli, "resolve"), RESOLVE)


@pytest.mark.parametrize("as_of", [None, "2024-01-15"])
def test_screen_name_json_keys(aurus_db, cli_for, as_of):
    dated = ("--as-of", as_of) if as_of else ()
    result = cli_json(cli_for(aurus_db), "screen-name", "LLC AURUS", *dated)
    assert_keys(result, ["query", "matches"])
    assert_keys(result["query"], SCREEN_QUERY)
    assert result["query"]["as_of"] == as_of and result["query"]["identifiers"] == []
    assert result["matches"]
    for match in result["matches"]:
        assert_screen_match(match, as_of=bool(as_of))


def test_screen_name_json_keys_without_matches(aurus_db, cli_for):
    result = cli_json(cli_for(aurus_db), "screen-name", "Siemens AG")
    assert_keys(result, ["query", "matches"])
    assert_keys(result["query"], SCREEN_QUERY)
    assert result["matches"] == []


# -- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [None, "2024-01-15"])
def test_api_screen_keys(client, as_of):
    names = ["LLC AURUS", {"name": "ООО «АУРУС»", "country": "RU"}, "Siemens AG"]
    body = {"names": names, **({"as_of": as_of} if as_of else {})}
    response = client.post("/screen", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_keys(answer, API_SCREEN)
    assert answer["as_of"] == as_of
    assert [r["name"] for r in answer["results"]] == ["LLC AURUS", "ООО «АУРУС»", "Siemens AG"]
    for result in answer["results"]:
        assert_keys(result, API_SCREEN_RESULT)
        for match in result["matches"]:
            assert_screen_match(match, as_of=bool(as_of))
    assert answer["results"][0]["matches"] and answer["results"][2]["matches"] == []


def test_api_entity_keys(client):
    response = client.get(f"/entities/{AURUS}")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert_keys(entity, API_ENTITY)
    assert entity["aliases"] and entity["matches"]
    for alias in entity["aliases"]:
        assert_keys(alias, API_ENTITY_ALIAS)
    for match in entity["matches"]:
        assert_keys(match, API_ENTITY_MATCH)
        assert set(match["explanation"]) >= EXPLANATION


def test_api_search_keys(client):
    response = client.get("/entities", params={"q": "АУРУС"})
    assert response.status_code == 200, response.text
    hits = response.json()
    assert isinstance(hits, list) and hits
    for hit in hits:
        assert_keys(hit, API_SEARCH_HIT)


# -- exposure (CLI and API) ------------------------------------------------------------------------

#: Every object of ``exposure --json`` and ``GET /exposure``, by its path, and its keys in
#: order: read from the output of tradetrace before issue 16 (AURUS, 2018-2023), plus the
#: objects that output left empty, from the code that wrote them.
EXPOSURE_OBJECTS = {
    "": (
        "target", "period", "role", "total_usd", "declarations", "lines", "aggregate_rows",
        "unvalued_lines", "unit_value_flagged", "by_year", "by_origin_country",
        "by_dispatch_country", "by_supplier", "by_category", "events", "transshipment", "chpl",
        "country_groups", "concentration", "continued_after_designation",
        "listed_counterparties", "categories", "sources", "synthetic", "findings",
        "official_statistics",
    ),
    "target": ("entity_id", "name", "aliases", "listings", "country", "identifiers"),
    "target.aliases[]": ("name", "script"),
    "target.listings[]": (
        "list", "list_entity_id", "list_name", "listing_date", "delisting_date",
        "listing_date_note", "programs", "score", "matched_name",
    ),
    "period": ("from", "to"),
    "unit_value_flagged": ("value_usd", "share", "rows", "rule"),
    "by_year[]": ("year", "value_usd"),
    "by_origin_country[]": ("country", "value_usd", "share", "declarations", "aggregate_rows"),
    "by_dispatch_country[]": ("country", "value_usd", "share", "declarations", "aggregate_rows"),
    "by_supplier[]": (
        "entity_id", "name", "country", "value_usd", "declarations", "aggregate_rows",
        "first_date", "last_date", "share", "lines", "origin_countries", "listings",
    ),
    "by_supplier[].listings[]": ("list", "listing_date"),
    "by_category[]": (
        "category", "hs_codes", "value_usd", "share", "declarations", "aggregate_rows",
    ),
    "events[]": (
        "name", "date", "before_usd", "after_usd", "by_origin_after", "suppliers_after",
        "new_suppliers_after", "source", "in_period", "before_declarations",
        "after_declarations", "before_aggregate_rows", "after_aggregate_rows",
    ),
    "events[].by_origin_after[]": ("country", "value_usd", "share"),
    "events[].suppliers_after[]": (
        "entity_id", "name", "country", "value_usd", "first_date", "last_date",
    ),
    "events[].new_suppliers_after[]": (
        "entity_id", "name", "country", "value_usd", "first_date", "last_date",
    ),
    "transshipment[]": (
        "origin", "dispatch", "value_usd", "declarations", "aggregate_rows", "hub", "share",
    ),
    "chpl[]": ("tier", "hs6", "description", "value_usd", "declarations", "aggregate_rows"),
    "country_groups[]": ("group", "value_usd", "share", "basis", "dispatch_value_usd"),
    "concentration": ("hhi_supplier", "hhi_country", "top_supplier_share", "scale"),
    "continued_after_designation[]": ("list", "date", "value_usd", "suppliers"),
    "continued_after_designation[].suppliers[]": (
        "entity_id", "name", "country", "value_usd", "declarations", "aggregate_rows",
        "first_date", "last_date", "share", "lines", "origin_countries", "listings",
    ),
    "continued_after_designation[].suppliers[].listings[]": ("list", "listing_date"),
    "listed_counterparties[]": (
        "entity_id", "name", "list", "listing_date", "value_usd", "value_usd_after_listing",
        "declarations_after_listing", "last_date",
    ),
    "sources[]": ("file", "synthetic", "lines", "aggregate_rows"),
    "findings[]": ("id", "text", "value_usd", "evidence"),
    "official_statistics[]": (
        "hub", "watch_list", "value_usd", "origins", "ratios", "rerouted_usd",
    ),
    "official_statistics[].ratios[]": (
        "reporter", "basis", "ratio", "baseline_usd_per_month", "after_usd_per_month",
        "excess_usd", "excess_low_usd", "excess_high_usd", "after", "evidence", "reporter_name",
    ),
    "official_statistics[].ratios[].after": ("from", "to"),
}  # fmt: skip


def objects_by_path(value: object, path: str = "") -> dict[str, list[tuple[str, ...]]]:
    """Each JSON object in ``value`` by its path (``events[].suppliers_after[]``), as the
    tuple of its keys in order."""
    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(item: object, where: str) -> None:
        if isinstance(item, dict):
            found.setdefault(where, []).append(tuple(item))
            for key, child in item.items():
                walk(child, f"{where}.{key}" if where else key)
        elif isinstance(item, list):
            for child in item:
                walk(child, f"{where}[]")

    walk(value, path)
    return found


def assert_exposure_contract(data: dict) -> None:
    for path, keys in objects_by_path(data).items():
        assert path in EXPOSURE_OBJECTS, f"unexpected object at {path!r}"
        for found in keys:
            assert found == EXPOSURE_OBJECTS[path], path


def test_exposure_json_keeps_its_keys(aurus_db, cli_for):
    result = cli_for(aurus_db)("exposure", "ООО «АУРУС»", "--from", "2018-01-01",
                               "--to", "2023-12-31", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert_exposure_contract(data)
    seen = objects_by_path(data)
    assert len(seen) >= 20  # the AURUS store exercises nearly every object


def test_exposure_objects_no_output_shows_keep_their_keys():
    """Objects empty in the AURUS sample (listed counterparties, listings of suppliers):
    the models that write them declare the pinned keys, in order."""
    from tradetrace.analyse.results import CounterpartyBrief, ListedCounterparty, ListingBrief

    assert tuple(ListedCounterparty.model_fields) == EXPOSURE_OBJECTS["listed_counterparties[]"]
    assert tuple(ListingBrief.model_fields) == EXPOSURE_OBJECTS["by_supplier[].listings[]"]
    assert (
        tuple(CounterpartyBrief.model_fields) == EXPOSURE_OBJECTS["events[].new_suppliers_after[]"]
    )


def test_api_exposure_is_the_cli_json(aurus_db, cli_for, client):
    cli = json.loads(cli_for(aurus_db)("exposure", AURUS, "--json").output)
    response = client.get(f"/exposure/{AURUS}")
    assert response.status_code == 200, response.text
    assert response.json() == cli
    assert_exposure_contract(response.json())


def _results(cls: type) -> set[str]:
    """The names of every typed result model (subclasses of ``Result``, at any depth)."""
    return {name for sub in cls.__subclasses__() for name in {sub.__name__, *_results(sub)}}


def test_every_key_of_the_openapi_answers_is_described(client):
    """The OpenAPI schema comes from the result models, and each key says what it is."""
    import tradetrace.analyse.results  # noqa: F401 - registers the models
    import tradetrace.screen.results  # noqa: F401
    from tradetrace.result import Result

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    typed = sorted(_results(Result) & set(schemas))
    assert {"ExposureResult", "EntityDetail", "EntityHit", "Finding", "ScreenMatch"} <= set(typed)
    undocumented = [
        f"{name}.{key}"
        for name in typed
        for key, field in schemas[name].get("properties", {}).items()
        if not field.get("description")
    ]
    assert undocumented == []
