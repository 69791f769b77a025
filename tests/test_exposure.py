"""Exposure: the Reuters-style AURUS finding, end to end, with every figure traceable.

The store comes from the ``aurus_db`` fixture: the SYNTHETIC sample ingested, resolved,
and screened against the real OFAC SDN (2024-05-03) and UK OFSI lists.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tradetrace.analyse.categories import load_category_map
from tradetrace.errors import InputError
from tradetrace.formatting import money_compact, period_text
from tradetrace.reference.country_groups import COALITION, EU, load_unfriendly
from tradetrace.store import open_store

AURUS = "tt-inn-7743237789"
REUTERS_PERIOD = ("--from", "2018-01-01", "--to", "2023-12-31")


def exposure(cli_for, db: Path, *args: str) -> dict:
    result = cli_for(db)("exposure", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def manifest(db: Path) -> dict:
    return json.loads((db.parent / "sample" / "synthetic_manifest.json").read_text())["aurus"]


@pytest.fixture(scope="module")
def reuters(aurus_db, cli_for) -> dict:
    return exposure(cli_for, aurus_db, "ООО «АУРУС»", *REUTERS_PERIOD)


# -- the published finding ------------------------------------------------------------------------


def test_the_published_figures_hold_exactly(reuters, aurus_db):
    scenario = manifest(aurus_db)
    assert reuters["target"]["entity_id"] == AURUS
    assert reuters["period"] == {"from": "2018-01-01", "to": "2023-12-31"}
    assert reuters["total_usd"] == scenario["total_2018_2023"] == 34_000_000.00
    origins = {r["country"]: r["value_usd"] for r in reuters["by_origin_country"]}
    assert origins["KR"] == scenario["kr_2018_2023"] == 15_500_000.00
    assert origins == scenario["by_origin_2018_2023"]
    [invasion] = [e for e in reuters["events"] if e["name"] == "invasion"]
    assert invasion["date"] == "2022-02-24"
    assert invasion["after_usd"] == scenario["after_invasion_2018_2023"] == 16_000_000.00
    assert invasion["before_usd"] + invasion["after_usd"] == pytest.approx(34_000_000.00)
    kr_after = {r["country"]: r["value_usd"] for r in invasion["by_origin_after"]}["KR"]
    assert kr_after == scenario["kr_after_invasion_2018_2023"] == 5_000_000.00
    assert reuters["declarations"] == scenario["declarations_2018_2023"]
    assert reuters["lines"] == scenario["lines_2018_2023"]


def test_designation_comes_from_the_real_ofac_list(reuters):
    [listing] = [x for x in reuters["target"]["listings"] if x["list"] == "ofac_sdn"]
    assert (listing["list_entity_id"], listing["listing_date"]) == ("47956", "2024-02-23")
    names = [e["name"] for e in reuters["events"]]
    assert "designation:ofac_sdn" in names
    [designation] = [e for e in reuters["events"] if e["name"] == "designation:ofac_sdn"]
    assert designation["date"] == "2024-02-23" and not designation["in_period"]


def test_a_korean_supplier_kept_delivering_after_the_designation(reuters, aurus_db):
    scenario = manifest(aurus_db)["after_designation"]
    [after] = reuters["continued_after_designation"]
    assert after["date"] == "2024-02-23"
    korean = [s for s in after["suppliers"] if s["country"] == "KR"]
    assert korean and all(s["last_date"] > "2024-02-23" for s in korean)
    assert korean[0]["last_date"] == scenario["last_date"]
    assert after["value_usd"] == pytest.approx(scenario["value_usd"], abs=0.01)


def test_findings_read_like_the_published_story(reuters):
    text = {f["id"]: f["text"] for f in reuters["findings"]}
    assert text["total"].startswith("From 2018 to 2023, OOO AURUS (ООО «АУРУС», INN 7743237789)")
    assert "imported at least $34.0M of goods in 190 customs declarations" in text["total"]
    assert "At least $15.5M (46%) of it originated in South Korea" in text["origin:KR"]
    for category in ("car body components", "sensors", "switches", "welding equipment"):
        assert category in text["origin:KR"]
    assert (
        "after Russia's full-scale invasion of Ukraine on 24 February 2022"
        in text["event:invasion"]
    )
    assert "at least $16.0M" in text["event:invasion"]
    assert "$5.0M of it originating in South Korea" in text["event:invasion"]
    designation = text["designation:ofac_sdn"]
    assert "designated by the US Treasury's OFAC" in designation
    assert "on 23 February 2024" in designation and "HANBIT AUTOTECH" in designation
    assert "last on 24 September 2024" in designation


def test_every_finding_is_backed_by_its_declarations(reuters, aurus_db):
    """Summing the period's lines of the evidence declarations gives the finding's figure."""
    findings = {f["id"]: f for f in reuters["findings"]}
    with open_store(aurus_db, read_only=True) as store:

        def total(ids: list[str], where: str) -> float:
            quoted = ", ".join(f"'{i}'" for i in ids)
            sql = (
                "SELECT coalesce(sum(value_usd), 0) AS v FROM resolved_declarations "
                f"WHERE importer_entity_id = '{AURUS}' AND declaration_id IN ({quoted}) "
                f"AND date BETWEEN '2018-01-01' AND '2023-12-31' AND {where}"
            )
            return store.query(sql)["v"][0].as_py()

        assert total(findings["total"]["evidence"], "true") == pytest.approx(34_000_000.00)
        assert total(findings["origin:KR"]["evidence"], "origin_country = 'KR'") == (
            pytest.approx(15_500_000.00)
        )
        invasion = findings["event:invasion"]["evidence"]
        assert total(invasion, "date >= '2022-02-24'") == pytest.approx(16_000_000.00)
    assert len(findings["total"]["evidence"]) == reuters["declarations"]
    assert all(f["evidence"] for f in reuters["findings"] if f["value_usd"] > 0)


# -- the target -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["ООО «АУРУС»", "LLC AURUS", "Aurus", "7743237789", "ИНН 7743237789", AURUS]
)
def test_any_script_name_or_tax_id_reaches_the_same_entity(aurus_db, cli_for, target):
    result = exposure(cli_for, aurus_db, target, *REUTERS_PERIOD)
    assert result["target"]["entity_id"] == AURUS
    assert result["total_usd"] == 34_000_000.00


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("tt-does-not-exist", "no entity 'tt-does-not-exist'"),
        ("ZZZQ NOTHING LIKE IT", "no entity named"),
        ("1234567890", "no entity has the tax id 1234567890"),
    ],
)
def test_unknown_targets_are_one_line_errors(aurus_db, target, message):
    run = subprocess.run(
        [sys.executable, "-m", "tradetrace", "--db", str(aurus_db), "exposure", target],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_an_ambiguous_name_lists_the_candidates(cli, tmp_path):
    """Two firms called the same, with different INNs, are two entities: the analyst chooses."""
    data = tmp_path / "twins.csv"
    rows = ["declaration_id,date,importer,importer inn,exporter,origin,hs code,value_usd"]
    for n, inn in enumerate(["7707083893", "7728168971"] * 3):
        rows.append(f"D{n},2023-0{n + 1}-10,ООО «ВЕКТОР»,{inn},ACME GMBH,DE,850440,1000")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert cli("ingest", data).exit_code == 0
    assert cli("resolve").exit_code == 0
    with pytest.raises(InputError, match="ambiguous: tt-inn-77.*tt-inn-77.*entity id"):
        cli("exposure", "ВЕКТОР")
    chosen = json.loads(cli("exposure", "tt-inn-7707083893", "--json").output)
    assert chosen["total_usd"] == 3000.0


# -- sections -------------------------------------------------------------------------------------


REQUIRED = {
    "target": {"entity_id", "name", "aliases", "listings"},
    "period": {"from", "to"},
    "by_year": {"year", "value_usd"},
    "by_origin_country": {"country", "value_usd", "share"},
    "by_dispatch_country": {"country", "value_usd", "share"},
    "by_supplier": {
        "entity_id", "name", "country", "value_usd", "declarations", "first_date", "last_date"
    },
    "by_category": {"category", "hs_codes", "value_usd"},
    "events": {
        "name", "date", "before_usd", "after_usd", "by_origin_after", "suppliers_after",
        "new_suppliers_after",
    },
    "transshipment": {"origin", "dispatch", "value_usd", "declarations"},
    "chpl": {"tier", "hs6", "value_usd"},
    "country_groups": {"group", "value_usd", "share"},
    "concentration": {"hhi_supplier", "hhi_country"},
    "findings": {"id", "text", "value_usd", "evidence"},
}  # fmt: skip


def test_the_json_contract(reuters):
    assert set(REQUIRED) | {"total_usd", "declarations"} <= set(reuters)
    for key, fields in REQUIRED.items():
        value = reuters[key]
        for item in value if isinstance(value, list) else [value]:
            assert fields <= set(item), (key, fields - set(item))
        assert value, f"{key} is empty for AURUS"
    event = reuters["events"][0]
    assert {"country", "value_usd"} <= set(event["by_origin_after"][0])
    assert {"entity_id", "name", "value_usd", "last_date"} <= set(event["suppliers_after"][0])
    assert isinstance(reuters["total_usd"], float) and isinstance(reuters["declarations"], int)
    assert reuters["synthetic"] and all(s["synthetic"] for s in reuters["sources"])
    assert sum(s["lines"] for s in reuters["sources"]) == reuters["lines"]


def test_breakdowns_add_up(reuters):
    total = reuters["total_usd"]
    for key in (
        "by_year",
        "by_origin_country",
        "by_dispatch_country",
        "by_supplier",
        "by_category",
    ):
        assert sum(r["value_usd"] for r in reuters[key]) == pytest.approx(total), key
    assert sum(r["share"] for r in reuters["by_origin_country"]) == pytest.approx(1, abs=1e-3)
    assert [r["year"] for r in reuters["by_year"]] == list(range(2018, 2024))


def test_transshipment_and_hubs(reuters, aurus_db):
    routes = {(r["origin"], r["dispatch"]): r for r in reuters["transshipment"]}
    assert set(routes) <= {("KR", c) for c in manifest(aurus_db)["transit_dispatch_countries"]}
    assert routes and all(r["hub"] for r in routes.values())
    assert sum(r["declarations"] for r in routes.values()) == 7


def test_korean_goods_fall_into_the_reported_categories(reuters):
    labels = {c["category"] for c in reuters["by_category"]}
    assert {
        "Car body components",
        "Sensors and measuring instruments",
        "Switches, relays and connectors",
        "Welding equipment",
    } <= labels
    body = next(c for c in reuters["by_category"] if c["category"] == "Car body components")
    assert all(code.startswith(("8707", "870810", "870821", "870829")) for code in body["hs_codes"])


def test_chpl_and_country_groups(reuters):
    tiers = {(r["tier"], r["hs6"]) for r in reuters["chpl"]}
    assert ("Tier 3.A", "853690") in tiers  # switches/connectors n.e.c. are on the CHPL
    groups = {g["group"]: g for g in reuters["country_groups"]}
    assert groups["coalition"]["value_usd"] == 15_500_000.00 + 1_400_000.00  # KR + IT
    assert groups["EU"]["value_usd"] == 1_400_000.00
    assert groups["G7"]["value_usd"] == 1_400_000.00
    assert groups["EAEU"]["value_usd"] == 0.0
    assert groups["EAEU"]["dispatch_value_usd"] > 0  # KR goods sent on from KZ/AM
    assert 0 < reuters["concentration"]["hhi_supplier"] < reuters["concentration"]["hhi_country"]


def test_a_user_event_splits_the_period(aurus_db, cli_for):
    result = exposure(
        cli_for, aurus_db, AURUS, *REUTERS_PERIOD, "--event", "first-eu-package=2022-02-23"
    )
    [event] = [e for e in result["events"] if e["name"] == "first-eu-package"]
    assert event["source"] == "user"
    assert event["before_usd"] + event["after_usd"] == pytest.approx(result["total_usd"])
    assert any(f["id"] == "event:first-eu-package" for f in result["findings"])


def test_new_suppliers_after_an_event(aurus_db, cli_for):
    result = exposure(cli_for, aurus_db, AURUS, "--event", "late=2018-06-01")
    [event] = [e for e in result["events"] if e["name"] == "late"]
    new = {s["entity_id"] for s in event["new_suppliers_after"]}
    firsts = {s["entity_id"]: s["first_date"] for s in result["by_supplier"]}
    assert new == {e for e, first in firsts.items() if first >= "2018-06-01"}
    assert new and len(new) < len(firsts)


def test_the_supplier_side_sees_its_listed_buyer(aurus_db, cli_for):
    result = exposure(cli_for, aurus_db, "HANBIT AUTOTECH", "--role", "exporter")
    [listed] = result["listed_counterparties"]
    assert listed["entity_id"] == AURUS and listed["listing_date"] == "2024-02-23"
    assert listed["value_usd_after_listing"] > 0
    assert any(
        "a buyer, was listed by the US Treasury's OFAC" in f["text"] for f in result["findings"]
    )


def test_an_empty_period_says_so(aurus_db, cli_for):
    result = exposure(cli_for, aurus_db, AURUS, "--from", "2030-01-01", "--to", "2030-12-31")
    assert result["total_usd"] == 0 and result["declarations"] == 0
    assert [f["id"] for f in result["findings"]] == ["total"]
    assert "no declarations" in result["findings"][0]["text"]


def test_the_table_output(aurus_db, cli_for):
    result = cli_for(aurus_db)("exposure", "АУРУС", *REUTERS_PERIOD)
    assert result.exit_code == 0
    assert "Findings" in result.output and "$15,500,000" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "buyer"), "--role 'buyer'"),
        (("--from", "2023-13-01"), "--from '2023-13-01'"),
        (("--event", "invasion:2022-02-24"), "expected NAME=YYYY-MM-DD"),
        (("--categories", "no-such-map.yaml"), "no such category map"),
        (("--from", "2024-01-01", "--to", "2023-01-01"), "is after --to"),
    ],
)
def test_bad_options_are_one_line_errors(aurus_db, cli_for, args, message):
    with pytest.raises(InputError, match=message):
        cli_for(aurus_db)("exposure", AURUS, *args)


# -- categories, wording, reference groups --------------------------------------------------------


def test_user_category_map(aurus_db, cli_for, tmp_path):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "name: mine\nfallback: section\ncategories:\n  Vehicle parts: ['87']\n", encoding="utf-8"
    )
    result = exposure(cli_for, aurus_db, AURUS, "--categories", str(mapping))
    labels = [c["category"] for c in result["by_category"]]
    assert "Vehicle parts" in labels
    assert all(label == "Vehicle parts" or label.startswith("HS section") for label in labels)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories: [1, 2]", "expected a mapping"),
        ("categories:\n  A: ['87x']", "not 2-6 HS digits"),
        ("categories:\n  A: ['8708']\n  B: ['8708']", "in both 'A' and 'B'"),
        ("fallback: tariff\ncategories:\n  A: ['87']", "fallback must be"),
        ("categories: {A: [", "not valid YAML"),
    ],
)
def test_bad_category_maps(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_category_map(path)


def test_longest_prefix_wins():
    from tradetrace.analyse.categories import HsNames

    names = HsNames({"87": "Vehicles", "8708": "Motor vehicle parts"}, {})
    mapping = load_category_map()
    assert mapping.label("870829", names) == "Car body components"
    assert mapping.label("870899", names) == "Other vehicle parts"
    assert mapping.label("870120", names) == "HS 87: Vehicles"
    assert load_category_map("hs-heading").label("870120", names) == "HS heading 8701"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (34_000_000.00, "$34.0M"),
        (34_099_999.99, "$34.0M"),  # "at least": never rounded up
        (15_549_999.999999, "$15.5M"),
        (16_000_000.0000001, "$16.0M"),
        (573_049.67, "$573,000"),
        (999.99, "$999"),
    ],
)
def test_money_is_rounded_down(value, text):
    assert money_compact(value) == text


def test_period_wording():
    assert period_text("2018-01-01", "2023-12-31") == "from 2018 to 2023"
    assert period_text("2023-01-01", "2023-12-31") == "in 2023"
    assert period_text("2018-01-03", "2024-09-24") == "from 3 January 2018 to 24 September 2024"


def test_country_groups():
    assert len(EU) == 27 and "GB" not in EU
    assert {"KR", "JP", "TW", "US", "GB", "CH", "NO"} <= COALITION
    assert not {"CN", "TR", "IN", "KZ", "AE"} & COALITION


def test_unfriendly_list_from_shared_data(shared_data, store):
    from tradetrace.reference.country_groups import UNFRIENDLY_TABLE, country_groups

    table = load_unfriendly(next((shared_data / "countries").glob("russia_unfriendly*.csv")))
    assert table.num_rows == 251 and sum(table["unfriendly"].to_pylist()) == 56
    assert "unfriendly" not in country_groups(store)
    store.replace_table(UNFRIENDLY_TABLE, table)
    unfriendly = country_groups(store)["unfriendly"]
    assert {"KR", "US", "DE", "JP", "TW"} <= unfriendly and not {"CN", "TR", "KZ"} & unfriendly


def test_period_bounds_default_to_the_targets_data(aurus_db, cli_for):
    result = exposure(cli_for, aurus_db, AURUS)
    assert result["period"]["from"] <= "2018-01-31" and result["period"]["to"] >= "2024-03-01"
    assert dt.date.fromisoformat(result["period"]["to"])
    [designation] = [e for e in result["events"] if e["name"] == "designation:ofac_sdn"]
    assert designation["in_period"] and designation["after_usd"] > 0
