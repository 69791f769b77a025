"""``watch`` on the 41 real vendor files: the walk-through of the README, checked.

The real parties are screened against the real OFAC SDN as it stood on 2023-01-01
(rebuilt from the first-seen history), then the 2024-05-03 list is loaded and ``watch``
screens what changed. Its matches must equal a full ``screen``'s, each alert must be an
entry the history says was added in between, and the figures of the one alert the hand
judgements (``eval/labels/screening_judgements.csv``) call the listed firm are recomputed
here from the declarations.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import SHARED_DATA

FOLDER = SHARED_DATA / "trade" / "firm_level_samples_aaziko"
OFAC = SHARED_DATA / "sanctions" / "ofac"
SDN = OFAC / "sdn_2024-05-03.csv.gz"
JUDGEMENTS = Path(__file__).parents[1] / "eval" / "labels" / "screening_judgements.csv"
NIKIMT = "42068"  # JSC NIKIMT-Atomstroy, a Rosatom institute, designated 2023-04-12

pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason=f"{FOLDER} not found")


def matches(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute("SELECT * FROM matches").fetchall(), key=repr)


@pytest.fixture(scope="module")
def watched(real_resolved, tmp_path_factory, cli_for) -> dict:
    db = tmp_path_factory.mktemp("watch_real") / "real.duckdb"
    shutil.copy(real_resolved["db"], db)  # the 41 files ingested and resolved
    run = cli_for(db)
    for step in (("lists", "load", SDN, "--as-of", "2023-01-01"), ("screen",),
                 ("lists", "load", SDN)):  # fmt: skip
        assert run(*step).exit_code == 0, step
    result = run("watch", "--json")
    assert result.exit_code == 1, result.output  # alerts
    full = db.with_name("full.duckdb")
    shutil.copy(db, full)
    assert cli_for(full)("screen").exit_code == 0
    return {"db": db, "alerts": json.loads(result.output), "full": matches(full)}


def test_incremental_screening_equals_a_full_screen_on_the_real_samples(watched):
    assert matches(watched["db"]) == watched["full"]


def test_every_alert_is_an_entry_added_between_the_two_versions(watched):
    with (OFAC / "sdn_first_seen_2021-08-18_to_2024-05-03.csv").open(newline="") as fh:
        history = {row["ent_num"]: row for row in csv.DictReader(fh)}
    assert watched["alerts"]
    for alert in watched["alerts"]:
        assert alert["event"] == "designated" and alert["cause"] == "list change"
        first = history[alert["list_entity_id"]]["first_seen_date"]
        assert "2023-01-01" < first <= "2024-05-03"
        assert alert["listing_date"] == first


def test_every_alert_is_judged_by_hand_and_the_listed_firm_is_among_them(watched):
    with JUDGEMENTS.open(newline="") as fh:
        judged = {(r["list"], r["list_entity_id"]): r for r in csv.DictReader(fh)}
    for alert in watched["alerts"]:
        assert (alert["list"], alert["list_entity_id"]) in judged, alert["entity_name"]
    true = [
        a for a in watched["alerts"] if judged[(a["list"], a["list_entity_id"])]["same"] == "true"
    ]
    assert [a["list_entity_id"] for a in true] == [NIKIMT]


def test_the_figures_of_an_alert_are_those_of_its_declarations(watched):
    [alert] = [a for a in watched["alerts"] if a["list_entity_id"] == NIKIMT]
    with duckdb.connect(str(watched["db"]), read_only=True) as con:
        lines = con.execute(
            "SELECT DISTINCT declaration_id, line_no, source_file, source_row, date, value_usd "
            "FROM resolved_declarations WHERE ? IN (importer_entity_id, exporter_entity_id)",
            [alert["entity_id"]],
        ).fetchall()
    listed = alert["listing_date"]
    after = [line for line in lines if line[4] is not None and line[4].isoformat() >= listed]
    assert alert["trade_usd"] == round(sum(line[5] or 0 for line in lines), 2)
    assert alert["trade_after_listing_usd"] == round(sum(line[5] or 0 for line in after), 2)
    assert alert["evidence"] == sorted({line[0] for line in lines})
    assert alert["evidence_after_listing"] == sorted({line[0] for line in after})
    assert alert["last_trade_date"] == max(line[4] for line in lines).isoformat()
