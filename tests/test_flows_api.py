"""The REST API's ``/flows/diversion``, ``/flows/series`` and ``/flows/mirror`` answer what
the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import SHARED_DATA
from tradetrace.api.app import create_app

AGGREGATE = SHARED_DATA / "trade" / "aggregate"
COMEXT = AGGREGATE / "eurostat_comext_eu_members_to_russia_and_neighbours_monthly.csv.gz"
IMF = AGGREGATE / "imf_imts_russia_by_partner_2016_2024.csv"

pytestmark = pytest.mark.skipif(not AGGREGATE.is_dir(), reason="shared data not found")


@pytest.fixture(scope="module")
def flows_db(tmp_path_factory, cli_for) -> Path:
    db = tmp_path_factory.mktemp("flows_api") / "flows.duckdb"
    assert cli_for(db)("stats", "load", COMEXT, IMF).exit_code == 0
    return db


@pytest.fixture(scope="module")
def client(flows_db):
    with TestClient(create_app(flows_db), raise_server_exceptions=False) as c:
        yield c


def test_diversion_answers_what_the_cli_prints(client, flows_db, cli_for):
    printed = cli_for(flows_db)(
        "flows", "diversion", "--partners", "KG,AM", "--reporters", "DE,IT", "--json"
    )
    answer = client.get("/flows/diversion", params={"partners": "KG,AM", "reporters": "DE,IT"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == json.loads(printed.output)
    assert {(r["reporter"], r["partner"]) for r in answer.json()["rows"]} == {
        ("DE", "KG"), ("DE", "AM"), ("IT", "KG"), ("IT", "AM"),
    }  # fmt: skip


def test_series_answers_what_the_cli_prints(client, flows_db, cli_for):
    printed = cli_for(flows_db)("flows", "series", "--reporter", "DE", "--partner", "KG", "--json")
    answer = client.get("/flows/series", params={"reporter": "DE", "partner": "kg"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == json.loads(printed.output)


def test_mirror_answers_what_the_cli_prints(client, flows_db, cli_for):
    printed = cli_for(flows_db)("flows", "mirror", "--country", "RU", "--by", "year", "--json")
    answer = client.get("/flows/mirror", params={"country": "ru", "by": "year"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == json.loads(printed.output)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/flows/diversion", {"baseline": "2019"}),
        ("/flows/diversion", {"after": "2022-13:"}),
        ("/flows/mirror", {"by": "month"}),
        ("/flows/series", {"reporter": "DE", "partner": "XX"}),
    ],
)
def test_bad_parameters_are_one_line_400s(client, path, params):
    answer = client.get(path, params=params)
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
