"""UK loaders: the OFSI Consolidated List CSV and the covyr UK Sanctions List tables."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists.model import ListEntry, entries_table
from tradetrace.screen.lists.uk import load_ofsi_conlist, load_uk_sanctions_list

DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OFSI_FILE = SHARED / "sanctions" / "uk_ofsi" / "uk_ofsi_conlist_2025-04-10.csv.gz"
COVYR_DIR = SHARED / "sanctions" / "uk_covyr"


def _by_id(entries: list[ListEntry]) -> dict[str, ListEntry]:
    return {e.list_entity_id: e for e in entries}


# --- hand-made OFSI sample ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict[str, ListEntry]:
    return _by_id(list(load_ofsi_conlist(DATA / "uk_ofsi_sample.csv")))


def test_sample_groups_rows_by_group_id(sample):
    assert set(sample) == {"90001", "90002", "90003"}
    assert {e.list for e in sample.values()} == {"uk_ofsi"}
    assert [sample[i].schema for i in ("90001", "90002", "90003")] == [
        "Company",
        "Person",
        "Vessel",
    ]


def test_sample_version_from_title_row(sample):
    # The "Last Updated 10/04/2025" title row before the header, not the per-row column.
    assert {e.version for e in sample.values()} == {"2025-04-10"}


def test_sample_company_names_ids_and_dates(sample):
    co = sample["90001"]
    assert co.name == "TESTOVY PRIBOROSTROITELNY ZAVOD LLC"
    kinds = {a.name: a.type for a in co.aliases}
    assert kinds["TEST INSTRUMENT PLANT LLC"] == "variation"
    assert kinds["TPZ"] == "weak"  # Alias Quality "Low quality"
    non_latin = next(a for a in co.aliases if a.type == "non-latin")
    assert non_latin.script == "Cyrillic"
    ids = {(i.type, i.value) for i in co.identifiers}
    # "(Business Reg No):(1) OGRN: 1027700123450 (2) 7704123450": labelled and bare.
    assert ids == {("ogrn", "1027700123450"), ("inn", "7704123450")}
    assert co.listing_date == "2024-02-23"
    assert co.programs == ("Russia",)
    assert co.countries == ("RU",)
    assert co.addresses == ("ul. Testovaya, d. 1, Moscow, 123456, Russia",)
    assert co.extra["uk_sanctions_list_ref"] == ["RUS9001"]


def test_sample_person_takes_earliest_regime_date(sample):
    person = sample["90002"]
    assert person.name == "Ivan Ivanovich TESTOV"
    assert person.programs == ("Russia", "Global Human Rights")
    assert person.listing_date == "2021-12-10"
    assert person.extra["regime_listed_on"] == {
        "Russia": "2022-03-15",
        "Global Human Rights": "2021-12-10",
    }
    ids = {(i.type, i.value) for i in person.identifiers}
    assert ("inn", "771234567859") in ids  # National Identification Number, "Russian INN"
    assert {("passport", "750000001"), ("passport", "720000002")} <= ids
    assert person.addresses == ()  # a Country-only row is not an address


def test_sample_ship_imo_from_remarks(sample):
    ship = sample["90003"]
    assert ("imo", "9074729") in {(i.type, i.value) for i in ship.identifiers}
    assert ship.listing_date == "2025-02-24"


def test_sample_fits_the_arrow_table(sample):
    table = entries_table(sample.values())
    assert table.num_rows == 3


def test_gzipped_copy_reads_the_same(tmp_path, sample):
    gz = tmp_path / "conlist.csv.gz"
    gz.write_bytes(gzip.compress((DATA / "uk_ofsi_sample.csv").read_bytes()))
    again = _by_id(list(load_ofsi_conlist(gz)))
    assert again.keys() == sample.keys()
    assert again["90001"].name == sample["90001"].name


def test_explicit_version_wins(tmp_path):
    entries = list(load_ofsi_conlist(DATA / "uk_ofsi_sample.csv", version="2030-01-01"))
    assert {e.version for e in entries} == {"2030-01-01"}


# --- errors ---------------------------------------------------------------------------


def test_csv_without_header_is_an_input_error(tmp_path):
    bad = tmp_path / "not_ofsi.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not_ofsi\.csv: line 1: no OFSI header"):
        list(load_ofsi_conlist(bad))


def test_damaged_gzip_is_an_input_error(tmp_path):
    bad = tmp_path / "conlist.csv.gz"
    bad.write_bytes(gzip.compress(b"Name 6,Group ID\n" * 200)[:40])
    with pytest.raises(InputError, match=r"conlist\.csv\.gz"):
        list(load_ofsi_conlist(bad))


def test_covyr_missing_column_is_an_input_error(tmp_path):
    (tmp_path / "subjects.csv").write_text("unique_id,subject_type\nRUS1,entity\n")
    (tmp_path / "subject_names.csv").write_text("unique_id,name_type,full_name\n")
    with pytest.raises(InputError, match=r"subjects\.csv: line 1: missing column"):
        list(load_uk_sanctions_list(tmp_path))


def test_covyr_small_folder(tmp_path):
    (tmp_path / "subjects.csv").write_text(
        "unique_id,subject_type,un_reference_number,ofsi_group_id,date_designated,last_updated\n"
        "RUS9001,entity,,90001,23/02/2024,01/03/2024\n"
    )
    (tmp_path / "subject_names.csv").write_text(
        "name_id,unique_id,name_type,alias_strength,full_name,name_6,name_1,name_2,name_3,"
        "name_4,name_5\n"
        "1,RUS9001,primary,,Test Plant LLC,Test Plant LLC,,,,,\n"
        "2,RUS9001,alias,low_quality_aka,TPZ,TPZ,,,,,\n"
    )
    (tmp_path / "subject_identifiers.csv").write_text(
        "id,unique_id,ofsi_group_id,raw_value,identifier_type,additional_info\n"
        '1,RUS9001,90001,"TIN: 7704123450, Registration number: 1027700123450",'
        "business_registration_numbers,\n"
    )
    (entry,) = load_uk_sanctions_list(tmp_path)  # no countries/dobs tables: still loads
    assert entry.list_entity_id == "RUS9001"
    assert entry.listing_date == "2024-02-23"
    assert entry.version == "2024-03-01"
    assert entry.aliases[0].type == "weak"
    assert {(i.type, i.value) for i in entry.identifiers} >= {
        ("inn", "7704123450"),
        ("ogrn", "1027700123450"),
    }


# --- the real files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ofsi() -> dict[str, ListEntry]:
    if not OFSI_FILE.is_file():
        pytest.skip(f"shared data not found at {OFSI_FILE}")
    return _by_id(list(load_ofsi_conlist(OFSI_FILE)))


@pytest.fixture(scope="module")
def covyr() -> dict[str, ListEntry]:
    if not (COVYR_DIR / "subjects.csv").is_file():
        pytest.skip(f"shared data not found at {COVYR_DIR}")
    return _by_id(list(load_uk_sanctions_list(COVYR_DIR)))


def test_ofsi_real_group_count_and_version(ofsi):
    assert len(ofsi) == 4686
    assert {e.version for e in ofsi.values()} == {"2025-04-10"}
    assert all(e.listing_date for e in ofsi.values())
    assert Counter(e.schema for e in ofsi.values())["Vessel"] > 0


def test_ofsi_real_nami(ofsi):
    nami = ofsi["16516"]
    assert "NAMI" in nami.name
    assert nami.schema == "Company"
    assert nami.listing_date == "2024-06-13"
    assert nami.programs == ("Russia",)
    assert nami.countries == ("RU",)
    assert any("Avtomotornaya" in a for a in nami.addresses)
    assert any(a.type == "non-latin" and "НАМИ" in a.name for a in nami.aliases)
    assert nami.extra["uk_sanctions_list_ref"] == ["RUS2127"]


def test_ofsi_real_russian_companies_have_identifiers(ofsi):
    russian = [e for e in ofsi.values() if "Russia" in e.programs and e.schema == "Company"]
    with_ids = [e for e in russian if any(i.type in ("inn", "ogrn") for i in e.identifiers)]
    assert len(with_ids) > 100


def test_covyr_real_counts_and_version(covyr):
    assert len(covyr) == 6046
    assert Counter(e.schema for e in covyr.values()) == {
        "Person": 3883,
        "Company": 1531,
        "Vessel": 632,
    }
    assert {e.version for e in covyr.values()} == {"2026-04-29"}
    assert sum(e.list_entity_id.startswith("RUS") for e in covyr.values()) == 3252


def test_covyr_real_nami(covyr):
    nami = covyr["RUS2127"]
    assert nami.list == "uk_sanctions_list"
    assert "NAMI" in nami.name
    assert nami.listing_date == "2024-06-13"
    assert nami.countries == ("RU",)
    assert nami.programs == ("RUS",)
    assert nami.extra["ofsi_group_id"] == "16516"
    assert "FSUE NAMI" in {a.name for a in nami.aliases}
