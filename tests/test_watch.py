"""``watch``: rescreening only what changed gives what a full ``screen`` gives, and says what
changed for the store's parties.

The list versions are the real OFAC SDN as it stood on past dates, rebuilt from the real
first-seen history (``lists load --as-of``). The store is the SYNTHETIC AURUS sample plus
one SYNTHETIC file whose exporter carries the name of a real SDN entry removed in 2023.
Step by step, as an analyst would run them:

1. the SDN as of 2023-01-01 is loaded and the store screened (the first screening);
2. the extra file is ingested and the store resolved again, then ``watch``: the new party
   matches the SDN entry (``designated``, cause ``first screening``);
3. the SDN as of 2024-03-01, then ``watch``: AURUS designated on 2024-02-23 (``list
   change``), the removed entry ``delisted``;
4. the SDN as of 2024-05-03 from a copy of the history where AURUS's first snapshot is
   corrected by a day (as missed scraper runs are), then ``watch``: its
   ``listing_date_changed``.

After each ``watch`` the matches equal those of a full ``screen`` of a copy of the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import SHARED_DATA
from tradetrace.screen.changes import ListChanges, PartyChanges
from tradetrace.screen.history import match_events

OFAC = SHARED_DATA / "sanctions" / "ofac"
SDN = OFAC / "sdn_2024-05-03.csv.gz"
HISTORY = OFAC / "sdn_first_seen_2021-08-18_to_2024-05-03.csv"
AURUS, AURUS_ENTRY = "tt-inn-7743237789", "47956"

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not found")


def first_seen() -> dict[str, dict]:
    with HISTORY.open(encoding="utf-8", newline="") as fh:
        return {row["ent_num"]: row for row in csv.DictReader(fh)}


def removed_in_2023() -> dict:
    """A real SDN company on the list on 2023-01-01 and removed before 2024-03-01."""
    for row in first_seen().values():
        removed = row["removed_by_date"]
        if (
            row["sdn_type"] == "entity"
            and row["first_seen_date"] <= "2023-01-01"
            and removed
            and "2023-01-01" < removed <= "2024-03-01"
            and len(row["sdn_name"].split()) >= 3
        ):
            return row
    raise AssertionError("no entry removed in 2023 in the history")


def extra_file(sample_dir: Path, out: Path, exporter: str) -> Path:
    """Three lines of the SYNTHETIC sample, as a new file whose exporter is ``exporter``."""
    source = sample_dir / "synthetic_ru_customs_2022_2024.csv"
    with source.open(encoding="cp1251", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    header, lines = rows[0], rows[1:4]
    name, address = header.index("Отправитель"), header.index("Адрес отправителя")
    for line in lines:  # one declaration of three lines
        line[0] = "10702070/150123/9990001"
        line[name], line[address] = exporter, "CARRERA 54 NO. 72-80, BARRANQUILLA, COLOMBIA"
    path = out / "synthetic_extra_exporter.csv"
    with path.open("w", encoding="cp1251", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows([header, *lines])
    return path


def corrected_history(folder: Path) -> Path:
    """The SDN files beside a copy of the history with AURUS first seen a day earlier."""
    folder.mkdir()
    for path in OFAC.iterdir():
        if path != HISTORY:
            (folder / path.name).symlink_to(path)
    with HISTORY.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    for row in rows:
        if row["ent_num"] == AURUS_ENTRY:
            row["first_seen_date"] = "2024-02-22"
    with (folder / HISTORY.name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(rows)
    return folder / SDN.name


def matches(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute("SELECT * FROM matches").fetchall(), key=repr)


def full_screen_of_a_copy(db: Path, cli_for) -> list[tuple]:
    copy = db.with_name(db.stem + "_full.duckdb")
    shutil.copy(db, copy)
    assert cli_for(copy)("screen").exit_code == 0
    return matches(copy)


@pytest.fixture(scope="module")
def history(aurus_sample, aurus_resolved, cli_for, tmp_path_factory) -> dict:
    """The four steps of the module note; each step's ``watch`` output and matches."""
    tmp = tmp_path_factory.mktemp("watch")
    db = tmp / "watched.duckdb"
    shutil.copy(aurus_resolved, db)
    run = cli_for(db)
    gone = removed_in_2023()
    steps: dict = {"removed": gone}

    def ok(*args):
        result = run(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def watch(name: str):
        result = run("watch", "--json")
        assert result.exit_code in (0, 1), result.output
        steps[name] = {
            "exit": result.exit_code,
            "alerts": json.loads(result.output),
            "matches": matches(db),
            "full": full_screen_of_a_copy(db, cli_for),
        }

    ok("lists", "load", SDN, "--as-of", "2023-01-01")
    steps["first"] = json.loads(ok("screen", "--json").output)
    steps["first_matches"] = matches(db)
    steps["loaded"] = json.loads(ok("lists", "--json").output)
    ok("ingest", extra_file(aurus_sample["dir"], tmp, gone["sdn_name"]))
    ok("resolve")
    watch("party")
    ok("lists", "load", SDN, "--as-of", "2024-03-01")
    watch("lists")
    ok("lists", "load", corrected_history(tmp / "ofac"), "--as-of", "2024-05-03")
    watch("corrected")
    steps["db"] = db
    return steps


def only(alerts: list[dict], **equal) -> dict:
    found = [a for a in alerts if all(a[k] == v for k, v in equal.items())]
    assert len(found) == 1, (equal, alerts)
    return found[0]


@pytest.mark.parametrize("step", ["party", "lists", "corrected"])
def test_incremental_screening_equals_a_full_screen(history, step):
    assert history[step]["matches"] == history[step]["full"]


def test_a_new_party_is_screened_when_it_arrives(history):
    gone = history["removed"]
    alert = only(history["party"]["alerts"], list_entity_id=gone["ent_num"])
    assert alert["event"] == "designated" and alert["cause"] == "first screening"
    assert alert["list_version"] == "2023-01-01"
    assert alert["trade_usd"] > 0 and len(alert["evidence"]) == 1
    assert alert["evidence"] == ["10702070/150123/9990001"]
    assert history["party"]["exit"] == 1


def test_a_designation_alerts_with_the_trade_before_and_after(history):
    alert = only(history["lists"]["alerts"], entity_id=AURUS, event="designated")
    assert alert["list_entity_id"] == AURUS_ENTRY and alert["cause"] == "list change"
    assert alert["listing_date"] == first_seen()[AURUS_ENTRY]["first_seen_date"] == "2024-02-23"
    assert (alert["previous_list_version"], alert["list_version"]) == ("2023-01-01", "2024-03-01")
    assert "RUSSIA-EO14024" in alert["programs"]
    # the trade after the listing is that of the lines dated on or after it
    assert 0 < alert["trade_after_listing_usd"] < alert["trade_usd"]
    assert set(alert["evidence_after_listing"]) < set(alert["evidence"])
    assert alert["declarations"] == len(alert["evidence"])
    assert alert["last_trade_date"] >= alert["listing_date"]


def test_an_entry_leaving_the_list_is_a_delisting(history):
    gone = history["removed"]
    alert = only(history["lists"]["alerts"], list_entity_id=gone["ent_num"])
    assert alert["event"] == "delisted" and alert["cause"] == "list change"
    # the first version without it: the history says it left on `removed_by_date`
    assert gone["removed_by_date"] <= alert["delisting_date"] == "2024-03-01"


def test_a_corrected_listing_date_is_an_alert(history):
    alert = only(history["corrected"]["alerts"], entity_id=AURUS)
    assert alert["event"] == "listing_date_changed"
    assert (alert["previous_listing_date"], alert["listing_date"]) == ("2024-02-23", "2024-02-22")


def test_alerts_of_a_run_and_since_a_day(history, cli_for):
    run = cli_for(history["db"])
    latest = json.loads(run("alerts", "--json").output)
    assert latest == history["corrected"]["alerts"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    every = json.loads(run("alerts", "--since", today, "--json").output)
    assert len(every) >= sum(len(history[s]["alerts"]) for s in ("party", "lists", "corrected"))
    assert json.loads(run("alerts", "--since", "2999-01-01", "--json").output) == []


def test_since_a_time_with_an_offset_is_converted_to_utc(history, cli_for):
    """``--since`` 2024-05-01T14:00+05:00 is 09:00 UTC: the offset is applied, not dropped."""
    run = cli_for(history["db"])
    newest = max(
        dt.datetime.fromisoformat(a["detected_at"].replace("Z", "+00:00"))
        for a in history["corrected"]["alerts"]
    )
    east = dt.timezone(dt.timedelta(hours=5))

    def since(moment: dt.datetime) -> list:
        text = moment.astimezone(east).isoformat()
        return json.loads(run("alerts", "--since", text, "--json").output)

    assert since(newest - dt.timedelta(seconds=1))
    assert since(newest + dt.timedelta(seconds=1)) == []


def test_as_of_list_reproduces_what_was_known(history, cli_for):
    """The lists loaded by the first load are the 2023 SDN: screening against them again
    gives the first screening's matches (plus the extra party's, whose file came later)."""
    loaded_at = next(v["loaded_at"] for v in history["loaded"] if v["list"] == "ofac_sdn")
    moment = dt.datetime.fromisoformat(str(loaded_at)).isoformat(timespec="microseconds")
    result = cli_for(history["db"])("screen", "--as-of-list", moment, "--json")
    known = json.loads(result.output)
    assert known["lists"] == {"ofac_sdn": "2023-01-01"}
    pairs = {(m["entity_id"], m["list_entity_id"]) for m in known["results"]}
    first = {(m[0], m[2]) for m in history["first_matches"]}
    party = {(m["entity_id"], m["list_entity_id"]) for m in history["party"]["alerts"]}
    assert pairs == first | party


def test_no_change_exits_zero(history, cli_for):
    copy = history["db"].with_name("unchanged.duckdb")
    shutil.copy(history["db"], copy)
    result = cli_for(copy)("watch", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_events_of_a_match_that_no_longer_holds():
    """A match that ends while its entry stays on the list is ``match_gone``; the cause is
    the party's when its names changed."""
    row = {
        "entity_id": "e1", "list": "ofac_sdn", "list_entity_id": "1", "list_name": "X",
        "matched_name": "X", "score": 0.9, "programs": ["P"], "listing_date": dt.date(2022, 1, 1),
        "delisting_date": None,
    }  # fmt: skip
    lists = ListChanges(frozenset(), frozenset(), frozenset(), [], {"ofac_sdn": "v1"}, {})
    parties = PartyChanges(frozenset(), frozenset({"e1"}), frozenset())
    now = dt.datetime(2026, 1, 1)
    [event] = match_events(
        [row], [], lists=lists, parties=parties, names={"e1": "X"}, run_id=7, detected_at=now
    )
    assert (event["event"], event["cause"], event["run_id"]) == ("match_gone", "party change", 7)
