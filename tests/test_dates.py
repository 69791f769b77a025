"""One rule for dates, wherever a user gives one: every CLI option and every API parameter.

A date is a calendar day written ``YYYY-MM-DD`` (ASCII digits), blanks around it ignored;
nothing else (no week dates, no ``20241231``, no times, no timestamps, no empty text).
Before issue 16 the CLI took ``2024-W10-1`` and ``20241231`` (Python 3.11's
``date.fromisoformat``) where the API refused them, and blanks were refused by ``--from``
but taken by ``--event``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tradetrace.api import create_app
from tradetrace.cli import app
from tradetrace.dates import parse_date, parse_moment
from tradetrace.errors import InputError

AURUS = "tt-inn-7743237789"
ACCEPTED = {"2024-01-15": dt.date(2024, 1, 15), " 2024-01-16 ": dt.date(2024, 1, 16)}
REFUSED = [
    "2024-W10-1",  # ISO week date
    "20241231",  # ISO basic format
    "2024-02-30",  # no such day
    "0000-01-01",  # no year 0
    "2024-1-5",
    "2024-01-15T00:00",
    "2024-01-15 00:00",
    "15/01/2024",
    "0",  # pydantic alone would read a Unix timestamp
    "",
    "٢٠٢٤-٠١-١٥",  # Arabic-Indic digits: regex \d would take them
]
INPUTS = [*ACCEPTED, *REFUSED]


@pytest.mark.parametrize("text", INPUTS)
def test_the_parser(text):
    if text in ACCEPTED:
        assert parse_date(text, "--from") == ACCEPTED[text]
        return
    with pytest.raises(InputError) as raised:
        parse_date(text, "--from")
    message = str(raised.value)
    assert message.startswith(f"--from {text!r}: ") and "\n" not in message


# -- the same verdict through the CLI and the API -------------------------------------------------

#: A surface takes the date text and answers None (accepted) or the one-line refusal.
Surface = Callable[[str], str | None]


def cli_surfaces(db) -> dict[str, Surface]:
    runner = CliRunner()

    def run(*args: str) -> str | None:
        result = runner.invoke(app, ["--db", str(db), *args])
        if result.exit_code == 0:
            return None
        assert isinstance(result.exception, InputError), result.output
        return str(result.exception)

    return {
        "--as-of": lambda d: run("screen-name", "LLC AURUS", "--as-of", d, "--json"),
        "--from": lambda d: run("exposure", AURUS, "--from", d, "--json"),
        "--to": lambda d: run("exposure", AURUS, "--to", d, "--json"),
        "--event": lambda d: run("exposure", AURUS, "--event", f"sanctions={d}", "--json"),
    }


def api_surfaces(client: TestClient) -> dict[str, Surface]:
    def verdict(response) -> str | None:
        if response.status_code == 200:
            return None
        assert response.status_code == 400, response.text
        return response.json()["detail"]

    exposure = f"/exposure/{AURUS}"
    return {
        "as_of": lambda d: verdict(client.post("/screen", json={"names": ["A"], "as_of": d})),
        "from": lambda d: verdict(client.get(exposure, params={"from": d})),
        "to": lambda d: verdict(client.get(exposure, params={"to": d})),
        "event": lambda d: verdict(client.get(exposure, params={"event": f"sanctions={d}"})),
        "declarations from": lambda d: verdict(client.get("/declarations", params={"from": d})),
        "declarations to": lambda d: verdict(client.get("/declarations", params={"to": d})),
    }


@pytest.fixture(scope="module")
def surfaces(aurus_db) -> dict[str, Surface]:
    with TestClient(create_app(aurus_db), raise_server_exceptions=False) as client:
        yield {**cli_surfaces(aurus_db), **api_surfaces(client)}


@pytest.mark.parametrize("text", INPUTS)
def test_cli_and_api_give_the_same_verdict(surfaces, text):
    verdicts = {name: surface(text) for name, surface in surfaces.items()}
    if text in ACCEPTED:
        assert verdicts == dict.fromkeys(surfaces), verdicts
        return
    for name, message in verdicts.items():
        option = name.split()[-1]
        assert message is not None, f"{name} took {text!r}"
        assert option.lstrip("-") in message and repr(text)[1:-1] in message, (name, message)
        assert "\n" not in message, message


def test_a_refused_date_is_one_line_and_exit_2(run_cli):
    refused = run_cli("screen-name", "LLC AURUS", "--as-of", "2024-W10-1")
    assert refused.returncode == 2, refused.stdout
    assert refused.stderr.strip() == "error: --as-of '2024-W10-1': expected a date as YYYY-MM-DD"


def test_a_moment_is_naive_utc():
    """``--as-of-list``, ``alerts --since`` and their Python arguments: a day is its end (or
    start), a time with an offset is converted, one without is UTC already."""
    east = dt.timezone(dt.timedelta(hours=5))
    nine = dt.datetime(2024, 5, 1, 9, 0)
    assert parse_moment("2024-05-01T14:00:00+05:00", "--since") == nine
    assert parse_moment(dt.datetime(2024, 5, 1, 14, tzinfo=east), "since") == nine
    assert parse_moment("2024-05-01T09:00:00", "--since") == nine
    assert parse_moment("2024-05-01", "--as-of-list") == dt.datetime(2024, 5, 1, 23, 59, 59, 999999)
    assert parse_moment(dt.date(2024, 5, 1), "since", day_ends=False) == dt.datetime(2024, 5, 1)
    with pytest.raises(InputError, match="--since: '2024-05-01T25:00' is not a date"):
        parse_moment("2024-05-01T25:00", "--since")
