"""OpenSanctions FtM loader: plain entity lines, delta ops, Sanction-linked listing dates."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists.model import ListEntry, entries_table
from tradetrace.screen.lists.opensanctions import load_ftm

DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OS_DIR = SHARED / "sanctions" / "opensanctions"
DELTA_FILE = OS_DIR / "yente_fixture_entities.delta_2024-05-28.json.gz"
T1_FILE = OS_DIR / "yente_fixture_t1_entities.ftm.json"


def _by_id(entries) -> dict[str, ListEntry]:
    return {e.list_entity_id: e for e in entries}


# --- hand-made delta ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict[str, ListEntry]:
    return _by_id(load_ftm(DATA / "os_delta_sample.json"))


def test_sample_ops_applied_in_order(sample):
    # os-test-gone was ADDed then DELeted; Sanctions and the Address are not targets;
    # the last line is a plain (non-delta) entity.
    assert set(sample) == {"os-test-co", "os-test-person", "os-test-vessel"}
    person = sample["os-test-person"]
    assert person.name == "Ivan Ivanovich TESTOV"  # the MOD replaced the ADD
    assert ("Ivan Testov", "fka") in {(a.name, a.type) for a in person.aliases}


def test_sample_listing_date_from_linked_sanctions(sample):
    co = sample["os-test-co"]
    # Two sanctions, one linked through a referent id; earliest listingDate wins.
    assert co.listing_date == "2024-02-23"
    assert "listingDate" in co.listing_date_note
    assert co.programs == ("EU-UKR", "HM Treasury OFSI")  # programId, else authority
    assert co.delisting_date is None
    assert co.extra["datasets"] == ["eu_fsf", "gb_hmt_sanctions"]


def test_sample_start_date_fallback_and_delisting(sample):
    person = sample["os-test-person"]
    assert person.listing_date == "2022-03-15"
    assert "startDate" in person.listing_date_note
    assert person.delisting_date == "2023-09-14"  # its only sanction has ended


def test_sample_names_identifiers_addresses(sample):
    co = sample["os-test-co"]
    assert co.schema == "Company"
    assert {(a.name, a.type) for a in co.aliases} >= {("TPZ LLC", "aka"), ("Zavod", "weak")}
    assert {(i.type, i.value) for i in co.identifiers} == {
        ("inn", "7704123450"),
        ("ogrn", "1027700123450"),
    }
    assert co.addresses == ("ul. Testovaya 1, Moscow",)  # addressEntity via a referent
    assert co.countries == ("RU",)
    person = sample["os-test-person"]
    assert ("inn", "771234567859") in {(i.type, i.value) for i in person.identifiers}
    vessel = sample["os-test-vessel"]
    assert vessel.schema == "Vessel"
    assert ("imo", "9074729") in {(i.type, i.value) for i in vessel.identifiers}
    assert vessel.listing_date is None


def test_sample_version_is_newest_last_change(sample):
    assert {e.version for e in sample.values()} == {"2025-02-24"}
    assert entries_table(sample.values()).num_rows == 3


# --- errors ---------------------------------------------------------------------------


def test_line_that_is_not_json(tmp_path):
    bad = tmp_path / "bad.ftm.json"
    bad.write_text('{"id": "a", "schema": "Person", "properties": {}}\n{"id": "b", oops\n')
    with pytest.raises(InputError, match=r"bad\.ftm\.json: line 2, column \d+: not JSON"):
        list(load_ftm(bad))


def test_unknown_op_and_missing_schema(tmp_path):
    bad = tmp_path / "delta.json"
    bad.write_text('{"op": "UPSERT", "entity": {"id": "a"}}\n')
    with pytest.raises(InputError, match=r"delta\.json: line 1: unknown delta op"):
        list(load_ftm(bad))
    bad.write_text('{"op": "ADD", "entity": {"id": "a", "properties": {}}}\n')
    with pytest.raises(InputError, match=r"delta\.json: line 1: .*without 'id' or 'schema'"):
        list(load_ftm(bad))


def test_unknown_schema_names_the_line(tmp_path):
    bad = tmp_path / "e.json"
    bad.write_text('\n{"id": "a", "schema": "NoSuchSchema", "properties": {}}\n')
    with pytest.raises(InputError, match=r"e\.json: line 2: not an FtM entity"):
        list(load_ftm(bad))


# --- the real files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def delta() -> dict[str, ListEntry]:
    if not DELTA_FILE.is_file():
        pytest.skip(f"shared data not found at {DELTA_FILE}")
    return _by_id(load_ftm(DELTA_FILE))


def test_delta_real_ops(delta):
    with gzip.open(DELTA_FILE, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    ops = Counter(line["op"] for line in lines)
    assert ops == {"ADD": 90, "MOD": 1039, "DEL": 571}
    deleted = {line["entity"]["id"] for line in lines if line["op"] == "DEL"}
    assert not deleted & delta.keys()
    # 1,129 entities remain after the ops; 576 of them are sanctioned targets.
    assert len(delta) == 576
    assert Counter(e.schema for e in delta.values()) == {
        "Person": 451,
        "Organization": 97,
        "LegalEntity": 27,
        "Company": 1,
    }
    assert {e.list for e in delta.values()} == {"opensanctions"}


def test_delta_real_sanction_dates(delta):
    dated = [e for e in delta.values() if e.listing_date]
    assert len(dated) >= 40
    assert all(e.extra["sanction_ids"] for e in dated)
    assert all(e.listing_date_note.startswith("earliest Sanction.") for e in dated)


@pytest.fixture(scope="module")
def t1() -> dict[str, ListEntry]:
    if not T1_FILE.is_file():
        pytest.skip(f"shared data not found at {T1_FILE}")
    return _by_id(load_ftm(T1_FILE))


def test_t1_real_fixture_loads(t1):
    assert len(t1) == 6  # the seventh line is an Address
    assert {e.version for e in t1.values()} == {"2024-03-28"}
    kuzmenko = t1["NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert kuzmenko.schema == "Person"
    assert kuzmenko.name == "Vitaly Yurievich KUZMENKO"
    assert ("inn", "366510784303") in {(i.type, i.value) for i in kuzmenko.identifiers}
    assert kuzmenko.countries == ("RU",)
    assert kuzmenko.extra["datasets"] == ["eu_fsf"]
    assert t1["NK-2GdmHtZTeNXjNVrBGEXZNj"].schema == "Organization"
