"""EU loaders: FSF XML and CSV (hand-made samples) and the pakote aggregate JSON."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists.eu import (
    PAKOTE_NOTE,
    REGULATION_NOTE,
    load_eu_fsf_csv,
    load_eu_fsf_xml,
    load_pakote_json,
)
from tradetrace.screen.lists.model import ListEntry, entries_table

DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PAKOTE_FILE = SHARED / "sanctions" / "eu_un_ofac_pakote" / "all_2026-01-28.json.gz"


def _by_id(entries) -> dict[str, ListEntry]:
    return {e.list_entity_id: e for e in entries}


@pytest.fixture(scope="module")
def xml_entries() -> dict[str, ListEntry]:
    return _by_id(load_eu_fsf_xml(DATA / "eu_fsf_sample.xml"))


@pytest.fixture(scope="module")
def csv_entries() -> dict[str, ListEntry]:
    return _by_id(load_eu_fsf_csv(DATA / "eu_fsf_sample.csv"))


# --- FSF XML --------------------------------------------------------------------------


def test_xml_three_entities_with_dates(xml_entries):
    assert set(xml_entries) == {"900001", "900002", "900003"}
    assert {e.list for e in xml_entries.values()} == {"eu"}
    assert {e.version for e in xml_entries.values()} == {"2024-06-14"}  # generationDate
    assert all(e.listing_date for e in xml_entries.values())


def test_xml_russian_company(xml_entries):
    co = xml_entries["900001"]
    assert co.schema == "Company"
    assert co.name == "Limited Liability Company Testovy Priborostroitelny Zavod"
    assert co.listing_date == "2024-02-23"  # designationDate
    assert co.listing_date_note is None
    assert co.programs == ("RUS",)
    assert co.countries == ("RU",)
    assert {(i.type, i.value, i.country) for i in co.identifiers} == {
        ("inn", "7704123450", "RU"),
        ("ogrn", "1027700123450", "RU"),
    }
    assert co.extra["eu_reference_number"] == "EU.90001.01"
    assert co.extra["regulations"][0]["number_title"] == "2024/745 (OJ L 2024/745)"


def test_xml_person_with_weak_alias(xml_entries):
    person = xml_entries["900002"]
    assert person.schema == "Person"
    assert person.name == "Ivan Ivanovich TESTOV"
    assert {a.name: a.type for a in person.aliases} == {
        "Иван Иванович ТЕСТОВ": "aka",
        "Vanya Testov": "weak",
    }
    assert person.listing_date == "2022-03-15"
    assert ("passport", "750000001") in {(i.type, i.value) for i in person.identifiers}
    assert person.extra["birth_dates"] == ["1970-01-01"]


def test_xml_without_designation_date_uses_first_regulation(xml_entries):
    ent = xml_entries["900003"]
    assert ent.listing_date == "2012-01-24"
    assert ent.listing_date_note == REGULATION_NOTE
    assert ent.identifiers[0].type == "registration"  # an Iranian number, not an OGRN


def test_xml_gzipped_and_without_namespace(tmp_path, xml_entries):
    text = (DATA / "eu_fsf_sample.xml").read_text(encoding="utf-8")
    plain = tmp_path / "eu_2024-01-02.xml.gz"
    plain.write_bytes(gzip.compress(text.replace(' xmlns="http://eu.europa.ec/fpi/fsd/export"', "")
                                    .replace(' generationDate="2024-06-14T17:10:21.563+02:00"', "")
                                    .encode()))  # fmt: skip
    again = _by_id(load_eu_fsf_xml(plain))
    assert again.keys() == xml_entries.keys()
    assert {e.version for e in again.values()} == {"2024-01-02"}  # from the file name
    assert again["900001"].identifiers == xml_entries["900001"].identifiers


def test_xml_fits_the_arrow_table(xml_entries):
    assert entries_table(xml_entries.values()).num_rows == 3


# --- FSF CSV --------------------------------------------------------------------------


def test_csv_matches_xml(xml_entries, csv_entries):
    assert csv_entries.keys() == xml_entries.keys()
    for key, from_xml in xml_entries.items():
        a = dataclasses.asdict(from_xml)
        b = dataclasses.asdict(csv_entries[key])
        a.pop("source_file"), b.pop("source_file")
        assert a == b, key


def test_csv_version_from_file_generation_date(csv_entries):
    assert {e.version for e in csv_entries.values()} == {"2024-06-14"}


# --- errors ---------------------------------------------------------------------------


def test_truncated_xml_names_file_and_line(tmp_path):
    bad = tmp_path / "cut.xml"
    bad.write_bytes((DATA / "eu_fsf_sample.xml").read_bytes()[:3000])
    with pytest.raises(InputError, match=r"cut\.xml: line \d+, column \d+: malformed XML"):
        list(load_eu_fsf_xml(bad))


def test_xml_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE export [\n <!ENTITY a "aaaaaaaaaa">\n'
        ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        '<export><sanctionEntity logicalId="1"><remark>&b;</remark></sanctionEntity></export>\n'
    )
    with pytest.raises(InputError, match=r"bomb\.xml: line \d+.*unsafe XML"):
        list(load_eu_fsf_xml(bomb))


def test_xml_external_entity_is_refused(tmp_path):
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<export><sanctionEntity logicalId="1"><remark>&x;</remark></sanctionEntity></export>\n'
    )
    with pytest.raises(InputError, match=r"xxe\.xml: line \d+.*unsafe XML"):
        list(load_eu_fsf_xml(xxe))


def test_xml_with_another_root_is_an_input_error(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text("<CONSOLIDATED_LIST/>")
    with pytest.raises(InputError, match=r"other\.xml: .*not an EU FSF"):
        list(load_eu_fsf_xml(other))


def test_csv_without_header_is_an_input_error(tmp_path):
    bad = tmp_path / "eu.csv"
    bad.write_text("Name;Programme\nX;RUS\n")
    with pytest.raises(InputError, match=r"eu\.csv: line 1: no EU FSF CSV header"):
        list(load_eu_fsf_csv(bad))


def test_pakote_not_json_is_an_input_error(tmp_path):
    bad = tmp_path / "all.json"
    bad.write_text('{"metadata": {},\n "entities": [\n')
    with pytest.raises(InputError, match=r"all\.json: line \d+, column \d+: not JSON"):
        list(load_pakote_json(bad))


def test_pakote_small_file_keeps_only_eu(tmp_path):
    data = {
        "metadata": {"generated": "2026-01-28T06:31:48.762424Z"},
        "entities": [
            {"name": "Μπάμπαρ Χαλσά", "type": "entity", "aliases": ["Babbar Khalsa"],
             "birthdates": [], "identifiers": [], "source": ["EU"], "source_id": "205"},
            {"name": "UN only", "type": "entity", "aliases": [], "birthdates": [],
             "identifiers": [], "source": ["UN"], "source_id": "QDe.001"},
            {"name": "JSC Test", "type": "entity", "aliases": [], "birthdates": [],
             "identifiers": [{"type": "regnumber", "number": "1027700123450", "country": "00"},
                             {"type": "fiscalcode", "number": "7704123450", "country": "00"},
                             {"type": None, "number": "remark text", "country": None}],
             "source": ["EU", "OFAC"], "source_id": "137721"},
        ],
    }  # fmt: skip
    path = tmp_path / "all.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    entries = _by_id(load_pakote_json(path))
    assert set(entries) == {"205", "137721"}
    assert entries["205"].name == "Babbar Khalsa"  # Latin alias preferred over Greek
    assert entries["205"].aliases[0].name == "Μπάμπαρ Χαλσά"
    # Country "00" (unknown) but both check digits pass: read as Russian INN and OGRN.
    assert {(i.type, i.value) for i in entries["137721"].identifiers} == {
        ("ogrn", "1027700123450"),
        ("inn", "7704123450"),
    }
    assert {e.version for e in entries.values()} == {"2026-01-28"}


# --- the real pakote file -------------------------------------------------------------


@pytest.fixture(scope="module")
def pakote() -> dict[str, ListEntry]:
    if not PAKOTE_FILE.is_file():
        pytest.skip(f"shared data not found at {PAKOTE_FILE}")
    return _by_id(load_pakote_json(PAKOTE_FILE))


def test_pakote_real_eu_entries_without_dates(pakote):
    assert len(pakote) == 5795  # metadata.by_source.EU
    assert Counter(e.schema for e in pakote.values()) == {"Person": 4302, "Company": 1493}
    assert all(e.listing_date is None for e in pakote.values())
    assert {e.listing_date_note for e in pakote.values()} == {PAKOTE_NOTE}
    assert {e.version for e in pakote.values()} == {"2026-01-28"}
    assert all("EU" in e.extra["sources"] for e in pakote.values())
    assert {e.list for e in pakote.values()} == {"eu"}


def test_pakote_real_russian_identifiers(pakote):
    inns = [i for e in pakote.values() for i in e.identifiers if i.type == "inn"]
    assert len(inns) > 100
    hps = pakote["137721"]
    assert hps.name == "JSC NPO High Precision Systems"
    assert ("inn", "7704721192") in {(i.type, i.value) for i in hps.identifiers}
