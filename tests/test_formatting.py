"""One way to write a figure: the rounding policy of ``tradetrace.formatting``, held by the
CLI, the report and the findings alike (docs/exposure.md, "Rounding")."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from tradetrace.formatting import (
    money,
    money_compact,
    share,
    share_words,
    whole_dollar_grid,
    whole_dollars,
)

AURUS = "tt-inn-7743237789"
#: A period whose total, $6,715,700.69, rounds up to nearest but down as a lower bound.
PERIOD = ("--from", "2018-01-01", "--to", "2019-12-31")
REUTERS = ("--from", "2018-01-01", "--to", "2023-12-31")

cents = st.integers(min_value=0, max_value=10**12).map(lambda c: c / 100)


def test_money_is_rounded_down_everywhere():
    assert money(34_049_999.6) == "$34,049,999"
    assert money_compact(1_234_567_890.0) == "$1.2B"
    assert money_compact(-1_234_567_890.0) == "-$1.2B" and money_compact(None) == "–"
    assert money_compact(999_999_999.99) == "$999.9M"
    assert money_compact(34_049_999.6) == "$34.0M"
    assert money_compact(573_049.67) == "$573,000"
    assert money_compact(950.99) == "$950"
    assert money(None) == "–"


def test_shares_are_rounded_to_nearest():
    assert share(0.4559) == "45.6%" and share_words(0.4559) == "46%"
    assert share_words(0.004) == "less than 1%"


@given(st.lists(cents, min_size=1, max_size=30))
def test_whole_dollars_add_up_to_the_total_rounded_down(values):
    rounded = whole_dollars(values)
    total_cents = sum(round(v * 100) for v in values)
    assert sum(rounded) == total_cents // 100
    for value, dollars in zip(values, rounded, strict=True):
        assert int(value) <= dollars <= int(value) + 1  # never more than a dollar off


@given(st.lists(st.lists(cents, min_size=3, max_size=3), min_size=1, max_size=8))
def test_a_grid_adds_up_across_and_down(rows):
    grid = whole_dollar_grid(rows)
    total_cents = sum(round(v * 100) for row in rows for v in row)
    assert sum(map(sum, grid)) == total_cents // 100
    row_totals = whole_dollars([sum(r) for r in rows])
    assert [sum(r) for r in grid] == row_totals


def _table(markdown: str, first_header: str) -> list[list[str]]:
    """The cells of the Markdown table whose first header is ``first_header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip(" *") for cell in line.strip("|").split("|")])
    return rows


def _dollars(cell: str) -> int:
    return int(cell.replace("$", "").replace(",", "") or 0)


def test_one_figure_reads_the_same_in_the_cli_the_report_and_the_findings(aurus_db, cli_for):
    """$6,715,700.69 is "$6,715,700" in the CLI and in every report table (never the
    nearest "$6,715,701"), "$6.7M" in the findings; a year reads alike in CLI and report."""
    run = cli_for(aurus_db)
    data = json.loads(run("exposure", AURUS, *PERIOD, "--json").output)
    assert data["total_usd"] == 6_715_700.69
    cli = run("exposure", AURUS, *PERIOD).output
    report = run("report", AURUS, *PERIOD, "--format", "md").output
    assert "Period 2018-01-01 – 2019-12-31: $6,715,700 " in cli
    assert "at least $6,715,700 " in report
    assert "$6,715,701" not in cli + report
    assert "at least $6.7M of goods" in data["findings"][0]["text"]
    years = {row[0]: row[-1] for row in _table(report, "Year")}
    assert years.pop("Period") == "$6,715,700"
    for year, value in years.items():
        assert re.search(rf"│ {year} +│ +\{value} │", cli), (year, value)


def test_report_tables_add_up_to_the_totals_they_print(aurus_db, cli_for):
    """The Period row is the sum of its cells, and every year's total the sum of its row."""
    report = cli_for(aurus_db)("report", "ООО «АУРУС»", *REUTERS, "--format", "md").output
    rows = _table(report, "Year")
    *years, period = rows
    assert period[0] == "Period"
    for row in rows:
        assert sum(map(_dollars, row[1:-1])) == _dollars(row[-1]), row
    for column in range(1, len(period)):
        assert sum(_dollars(r[column]) for r in years) == _dollars(period[column]), column
    assert "so that the rows add up to the total" in report


def test_figures_are_never_cut_in_an_80_column_table(aurus_db, cli_for):
    """Printed to a file (80 columns), names wrap; amounts and dates stay whole."""
    run = cli_for(aurus_db)
    data = json.loads(run("exposure", AURUS, *REUTERS, "--json").output)
    text = run("exposure", AURUS, *REUTERS).output
    assert max(len(line) for line in text.splitlines()) <= 80
    lines = text.splitlines()
    for s in data["by_supplier"]:
        whole = (money(s["value_usd"]), s["first_date"], s["last_date"])
        assert any(all(figure in line for figure in whole) for line in lines), whole
    for event in data["events"]:
        assert money(event["before_usd"]) in text and event["date"] in text
