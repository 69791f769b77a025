"""``lists load FILE --as-of DATE``: the OFAC SDN list as it stood on a past date.

The list is rebuilt from the first-seen table beside the SDN file; the expected entries
are computed here again from that table with the csv module. Real-data tests use the
shared OFAC files and are skipped when they are absent.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
from pathlib import Path

import pytest

from tradetrace.cli import main
from tradetrace.errors import InputError
from tradetrace.screen.lists.common import LoadStats
from tradetrace.screen.lists.load import load_lists, read_list
from tradetrace.screen.lists.ofac import DELISTED_NOTE, load_ofac_csv

SHARED = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
OFAC = SHARED / "sanctions" / "ofac"
SDN = OFAC / "sdn_2024-05-03.csv.gz"
FIRST_SEEN = OFAC / "sdn_first_seen_2021-08-18_to_2024-05-03.csv"
CONS = OFAC / "cons_prim_2025-12-19.csv"
EARLY, LATE = "2023-01-01", "2024-03-01"
AURUS = "47956"  # first seen 2024-02-23

pytestmark = pytest.mark.skipif(
    not (SDN.exists() and FIRST_SEEN.exists()), reason=f"shared OFAC data not at {OFAC}"
)


def on_list(rows: list[dict[str, str]], day: str) -> set[str]:
    """The ent_nums on the list on ``day``, from the first-seen table's rows alone."""
    first_snapshot = min(r["first_seen_date"] for r in rows)
    listed = set()
    for r in rows:
        first = first_snapshot if r["first_seen_is_censored"] == "true" else r["first_seen_date"]
        if first <= day and (not r["removed_by_date"] or r["removed_by_date"] > day):
            listed.add(r["ent_num"])
    return listed


@pytest.fixture(scope="module")
def history() -> list[dict[str, str]]:
    with FIRST_SEEN.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def lists() -> dict[str, dict[str, dict]]:
    """The SDN list as of EARLY and LATE, read once each as ``lists load`` reads it."""
    return {
        day: {row["list_entity_id"]: row for row in read_list(SDN, as_of=day).to_pylist()}
        for day in (EARLY, LATE)
    }


@pytest.mark.parametrize("day", [EARLY, LATE])
def test_the_entries_are_those_on_the_list_that_day(lists, history, day) -> None:
    assert set(lists[day]) == on_list(history, day)
    assert {row["version"] for row in lists[day].values()} == {day}
    assert {row["list"] for row in lists[day].values()} == {"ofac_sdn"}


def test_aurus_is_absent_before_its_listing_and_present_after(lists) -> None:
    assert AURUS not in lists[EARLY]
    aurus = lists[LATE][AURUS]
    assert aurus["name"] == "LIMITED LIABILITY COMPANY AURUS"
    assert str(aurus["listing_date"]) == "2024-02-23"
    assert aurus["delisting_date"] is None


def test_an_entry_removed_later_is_listed_without_its_future_delisting(lists, history) -> None:
    removed_between = {
        r["ent_num"]
        for r in history
        if r["first_seen_date"] <= EARLY < r["removed_by_date"] <= LATE
    }
    assert "6330" in removed_between  # NASSER DAVID, Julio Cesar: removed by 2023-07-12
    assert removed_between <= set(lists[EARLY])
    assert not removed_between & set(lists[LATE])
    for ent in removed_between:
        row = lists[EARLY][ent]
        assert row["delisting_date"] is None, ent
        assert DELISTED_NOTE not in (row["listing_date_note"] or ""), ent


def test_skipped_entries_are_counted_by_reason(history) -> None:
    stats = LoadStats()
    entries = list(load_ofac_csv(SDN, first_seen=FIRST_SEEN, as_of=EARLY, stats=stats))
    later = sum(1 for r in history if r["first_seen_date"] > EARLY)
    removed = sum(1 for r in history if r["removed_by_date"] and r["removed_by_date"] <= EARLY)
    assert stats.entries == len(entries) == len(on_list(history, EARLY))
    assert stats.skipped["as_of_first_seen_after_date"] == later
    assert stats.skipped["as_of_removed_by_date"] == removed
    assert stats.skipped["as_of_missing_from_history"] == 0
    assert stats.entries + later + removed == len(history)  # every entry ever seen, once
    assert stats.version == EARLY
    assert not any("last_seen_date" in e.extra for e in entries)  # a later fact


def run_main(argv: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """``tradetrace ARGV`` in this process as a user runs it: (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tradetrace", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize("day", ["2020-01-01", "2024-05-04"])
def test_a_date_outside_the_history_is_one_line(db_path, monkeypatch, capsys, day) -> None:
    argv = ["--db", str(db_path), "lists", "load", str(SDN), "--as-of", day]
    code, stderr = run_main(argv, monkeypatch, capsys)
    assert code == 2
    assert stderr == (
        f"error: {FIRST_SEEN}: history covers 2021-08-18 to 2024-05-03; "
        f"cannot rebuild the list as of {day}\n"
    )


def test_a_list_without_history_is_one_line(db_path, tmp_path, monkeypatch, capsys) -> None:
    lone = tmp_path / SDN.name  # the SDN file with no first-seen table beside it
    shutil.copy(SDN, lone)
    for path, name in ((CONS, "ofac_cons"), (lone, "ofac_sdn")):
        argv = ["--db", str(db_path), "lists", "load", str(path), "--as-of", EARLY]
        code, stderr = run_main(argv, monkeypatch, capsys)
        assert code == 2, stderr
        assert stderr.startswith(f"error: {path}: no history known for list {name}; --as-of")
        assert stderr.count("\n") == 1 and "Traceback" not in stderr


def test_load_lists_passes_the_date_on(store) -> None:
    with pytest.raises(InputError, match="no history known for list ofac_cons"):
        load_lists(store, [CONS], as_of=EARLY)
