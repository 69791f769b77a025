"""OFAC list loaders: the legacy CSVs (SDN and non-SDN) and the advanced XML.

A manual for ``tradetrace.screen.lists.ofac`` (and the shared helpers in
``screen.lists.common``): what an entry looks like, where its listing date comes from
(the first-seen proxy, or "censored" when it predates the first snapshot), which
side-file rows are skipped and counted, and how broken or hostile files are refused.
Real-data tests use the shared OFAC files and are skipped when they are absent.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists.common import (
    LoaderError,
    LoadStats,
    country_codes,
    date_in_name,
    file_version,
    parse_date,
    read_text,
    split_names,
)
from tradetrace.screen.lists.model import Alias, Identifier, entries_table
from tradetrace.screen.lists.ofac import (
    CENSORED_NOTE,
    FIRST_SEEN_NOTE,
    classify_identifier,
    load_ofac_advanced_xml,
    load_ofac_csv,
    parse_programs,
    parse_remarks,
)

DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
OFAC = SHARED / "sanctions" / "ofac"
SDN = OFAC / "sdn_2024-05-03.csv.gz"
ALT = OFAC / "alt_2025-12.csv.gz"
ADD = OFAC / "add_2025-12.csv.gz"
COMMENTS = OFAC / "sdn_comments_2025-12.csv.gz"
FIRST_SEEN = OFAC / "sdn_first_seen_2021-08-18_to_2024-05-03.csv"
CENSORED = CENSORED_NOTE.format(first="2021-08-18")

needs_ofac = pytest.mark.skipif(not SDN.exists(), reason=f"shared OFAC data not at {OFAC}")


# --- the real SDN list (loaded once) ----------------------------------------------------


@pytest.fixture(scope="module")
def sdn() -> tuple[dict, LoadStats, float]:
    """The real SDN list of 2024-05-03 with Dec 2025 alt/add/comments and first-seen dates."""
    if not SDN.exists():
        pytest.skip(f"shared OFAC data not at {OFAC}")
    stats = LoadStats()
    start = time.perf_counter()
    entries = list(load_ofac_csv(SDN, ALT, ADD, COMMENTS, FIRST_SEEN, stats=stats))
    elapsed = time.perf_counter() - start
    return {e.list_entity_id: e for e in entries}, stats, elapsed


@needs_ofac
def test_every_sdn_row_becomes_one_entry(sdn) -> None:
    entries, stats, _ = sdn
    assert len(entries) == stats.rows["sdn"] == stats.entries == 14_965
    assert {e.list for e in entries.values()} == {"ofac_sdn"}
    assert {e.version for e in entries.values()} == {"2024-05-03"}  # from the file name


@needs_ofac
def test_aurus_is_a_russian_company_listed_on_2024_02_23(sdn) -> None:
    aurus = sdn[0]["47956"]
    assert aurus.name == "LIMITED LIABILITY COMPANY AURUS"
    assert aurus.schema == "Company"  # SDN_Type "-0-" is an entity
    assert aurus.programs == ("RUSSIA-EO14024",)
    assert aurus.listing_date == "2024-02-23"
    assert aurus.listing_date_note == FIRST_SEEN_NOTE
    assert aurus.delisting_date is None
    assert Identifier("inn", "7743237789", "RU") in aurus.identifiers
    assert Identifier("ogrn", "5177746340998", "RU") in aurus.identifiers
    assert aurus.countries == ("RU",)
    assert any("Tatarstan" in address for address in aurus.addresses)


@needs_ofac
def test_aliases_come_from_alt_and_weak_ones_from_remarks(sdn) -> None:
    entries = sdn[0]
    assert Alias("FSUE NAMI", "aka") in entries["47953"].aliases
    lashkar = entries["7140"]  # Remarks: a.k.a. 'JUD'; a.k.a. 'TAJK'; a.k.a. 'MML'.
    assert {a.name for a in lashkar.aliases if a.type == "weak"} == {"JUD", "TAJK", "MML"}
    assert lashkar.programs == ("FTO", "SDGT")  # Program cell "FTO] [SDGT"


@needs_ofac
def test_entries_already_on_the_first_snapshot_have_no_listing_date(sdn) -> None:
    aerocaribbean = sdn[0]["36"]
    assert aerocaribbean.listing_date is None
    assert aerocaribbean.listing_date_note == CENSORED
    censored = [e for e in sdn[0].values() if e.listing_date_note == CENSORED]
    assert all(e.listing_date is None for e in censored)
    assert 8_000 < len(censored) < 9_083  # 9,083 censored in the table, incl. delisted ones


@needs_ofac
def test_side_file_rows_without_an_sdn_row_are_skipped_and_counted(sdn) -> None:
    _, stats, _ = sdn
    # add/alt are from Dec 2025: the 4,139 entities designated after May 2024 (and
    # some delisted ones) have addresses and aliases but no name row.
    assert stats.skipped["add_entities_without_sdn_row"] >= 4_139
    assert stats.skipped["alt_without_sdn_row"] > 0
    assert stats.rows["alt"] == 20_107 and stats.rows["add"] == 24_244
    assert any("not from the same list version" in note for note in stats.notes)


@needs_ofac
def test_sdn_with_alt_and_add_loads_quickly(sdn) -> None:
    assert sdn[2] < 15  # about 1.5 s here; the target is < 5 s


@needs_ofac
def test_vessel_and_individual_details(sdn) -> None:
    linda = sdn[0]["34941"]
    assert linda.schema == "Vessel"
    assert Identifier("imo", "9256858") in linda.identifiers
    assert Alias("LADY D", "fka") in linda.aliases  # f.k.a. in the Remarks
    assert linda.countries == ("RU",)  # the vessel flag
    person = sdn[0]["45710"]
    assert person.schema == "Person"
    assert Identifier("passport", "753129173", "RU") in person.identifiers
    assert Identifier("national_id", "9201745357", "RU") in person.identifiers


@needs_ofac
def test_the_remarks_overflow_is_joined_without_broken_clauses(sdn) -> None:
    sberbank = sdn[0]["17018"]  # Remarks cut at 1,000 characters in the 2024 file
    assert Identifier("inn", "7707083893", "RU") in sberbank.identifiers
    assert "Directive 3)ive" not in sberbank.remarks


@needs_ofac
def test_entries_become_the_list_entries_table(sdn) -> None:
    table = entries_table(list(sdn[0].values())[:100])
    assert table.num_rows == 100


@needs_ofac
def test_delisted_entries_can_be_loaded_from_the_first_seen_table() -> None:
    stats = LoadStats()
    entries = list(load_ofac_csv(SDN, first_seen=FIRST_SEEN, include_delisted=True, stats=stats))
    assert len(entries) == 15_892  # every ent_num of the scraper history
    assert stats.rows["delisted_from_first_seen"] == 927
    noriega = next(e for e in entries if e.list_entity_id == "1572")
    assert noriega.name == "NORIEGA, Manuel Antonio"
    assert noriega.delisting_date == "2021-12-30"
    assert noriega.listing_date is None  # already listed on the first snapshot
    assert "first snapshot without the entry" in noriega.listing_date_note


@needs_ofac
def test_the_non_sdn_consolidated_list_loads_with_the_same_function() -> None:
    stats = LoadStats()
    entries = list(
        load_ofac_csv(
            OFAC / "cons_prim_2025-12-19.csv",
            OFAC / "cons_alt_2025-12-19.csv",
            OFAC / "cons_add_2025-12-19.csv",
            OFAC / "cons_comments_2025-12-19.csv",
            list_name="ofac_cons",
            stats=stats,
        )
    )
    assert len(entries) == 442 and {e.list for e in entries} == {"ofac_cons"}
    assert stats.version == "2025-12-19"
    by_id = {e.list_entity_id: e for e in entries}
    assert Alias("HANIYA, Ismail", "aka") in by_id["9639"].aliases
    assert by_id["9639"].listing_date is None
    # Non-SDN entries quote their own (directive / CMIC) listing date in the Remarks.
    assert by_id["30882"].listing_date == "2021-06-03"
    assert by_id["30882"].listing_date_note == "from the Remarks: 'Listing Date (CMIC)'"
    assert Identifier("inn", "7744001497", "RU") in by_id["17016"].identifiers


# --- hand-made CSV files ----------------------------------------------------------------

SDN_ROWS = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '47956,"LIMITED LIABILITY COMPANY AURUS",-0- ,"[RUSSIA-EO14024] [UKRAINE-EO13662]",-0- ,'
    '-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Tax ID No. 7743237789 (Russia); Registration Number '
    "5177746340998 (Russia); a.k.a. 'AURUS'.\"\r\n"
    '45710,"SHAGIVALEEV, Timur Nailevich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,'
    '-0- ,-0- ,-0- ,"nationality Russia; Passport 753129173 (Russia) expires 29 Apr 2026."\r\n'
    "\x1a"
)
FIRST_SEEN_ROWS = (
    "ent_num,sdn_name,sdn_type,programs,first_seen_date,first_seen_is_censored,"
    "last_seen_date,removed_by_date,name_at_first_seen,programs_at_first_seen\n"
    "36,AEROCARIBBEAN AIRLINES,entity,CUBA,2021-08-18,true,2024-05-03,,,\n"
    "47956,LIMITED LIABILITY COMPANY AURUS,entity,RUSSIA-EO14024,2024-02-23,false,2024-05-03,,,\n"
    '1572,"NORIEGA, Manuel Antonio",individual,CUBA,2021-08-18,true,2021-12-22,2021-12-30,,\n'
    "99001,GONE LLC,entity,RUSSIA-EO14024,2022-03-01,false,2023-01-05,2023-01-06,,\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode(encoding)))
    else:
        path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def small(tmp_path: Path) -> dict[str, Path]:
    return {
        "sdn": write(tmp_path / "sdn_2024-05-03.csv.gz", SDN_ROWS),
        "alt": write(
            tmp_path / "alt.csv",
            '47956,1,"aka","AURUS LLC",-0- \r\n99999,2,"fka","NEWER ENTITY",-0- \r\n',
        ),
        "add": write(
            tmp_path / "add.csv",
            '47956,1,"Alabuga","Republic of Tatarstan","Russia",-0- \r\n'
            '99999,2,-0- ,"Minsk","Belarus",-0- \r\n99999,3,-0- ,-0- ,-0- ,-0- \r\n',
        ),
        "first_seen": write(tmp_path / "first_seen.csv", FIRST_SEEN_ROWS),
    }


def test_a_small_list_with_every_side_file(small: dict[str, Path]) -> None:
    stats = LoadStats()
    entries = {e.list_entity_id: e for e in load_ofac_csv(**small, stats=stats)}
    aurus = entries["47956"]
    assert aurus.programs == ("RUSSIA-EO14024", "UKRAINE-EO13662")
    assert aurus.aliases == (Alias("AURUS LLC", "aka"), Alias("AURUS", "weak"))
    assert aurus.addresses == ("Alabuga, Republic of Tatarstan, Russia",)
    assert (aurus.listing_date, aurus.listing_date_note) == ("2024-02-23", FIRST_SEEN_NOTE)
    assert entries["36"].listing_date is None and entries["36"].listing_date_note == CENSORED
    assert entries["45710"].countries == ("RU",)  # "nationality Russia" and "(Russia)"
    assert stats.skipped["alt_without_sdn_row"] == 1
    assert stats.skipped["add_without_sdn_row"] == 2  # the empty address row counts too
    assert stats.skipped["add_entities_without_sdn_row"] == 1
    assert stats.version == "2024-05-03"


def test_include_delisted_adds_entries_removed_before_the_file(small: dict[str, Path]) -> None:
    entries = {e.list_entity_id: e for e in load_ofac_csv(**small, include_delisted=True)}
    gone = entries["99001"]
    assert (gone.listing_date, gone.delisting_date) == ("2022-03-01", "2023-01-06")
    assert gone.listing_date_note.startswith(FIRST_SEEN_NOTE)
    assert gone.extra["from_first_seen_only"] is True
    assert entries["1572"].schema == "Person" and entries["1572"].listing_date is None


def test_without_first_seen_there_is_no_listing_date(small: dict[str, Path]) -> None:
    entries = list(load_ofac_csv(small["sdn"], version="2024-05-04"))
    assert {e.listing_date for e in entries} == {None}
    assert {e.listing_date_note for e in entries} == {"OFAC legacy CSV has no listing date"}
    assert {e.version for e in entries} == {"2024-05-04"}  # an explicit version wins


def test_entries_missing_from_the_first_seen_table_say_so(tmp_path: Path) -> None:
    first_seen = write(tmp_path / "fs.csv", FIRST_SEEN_ROWS.split("\n", 1)[0] + "\n")
    sdn = write(tmp_path / "sdn.csv", SDN_ROWS)
    entry = next(iter(load_ofac_csv(sdn, first_seen=first_seen)))
    assert entry.listing_date is None
    assert entry.listing_date_note.startswith("not in the first-seen table")


def test_windows_1252_files_are_detected(tmp_path: Path) -> None:
    row = '100,"CAF\xc9 DEL MAR S.A.",-0- ,"SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    sdn = write(tmp_path / "sdn.csv", row, encoding="cp1252")
    stats = LoadStats()
    (entry,) = load_ofac_csv(sdn, stats=stats)
    assert entry.name == "CAF\xc9 DEL MAR S.A."
    assert stats.encodings[str(sdn)] == "cp1252"


def test_the_remarks_overflow_is_glued_when_from_the_same_version(tmp_path: Path) -> None:
    remarks = "Website x.example; " + "a" * 966 + "; Tax ID No. 77"
    assert len(remarks) == 1000
    row = f'500,"BANK",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"{remarks}"\r\n'
    sdn = write(tmp_path / "sdn.csv", row)
    comments = write(tmp_path / "sdn_comments.csv", '500,"07083893 (Russia)."\r\n')
    (entry,) = load_ofac_csv(sdn, comments=comments)
    assert Identifier("inn", "7707083893", "RU") in entry.identifiers


def test_a_row_with_the_wrong_column_count_names_file_and_line() -> None:
    bad = DATA / "ofac_sdn_bad_columns.csv"
    with pytest.raises(InputError, match=r"ofac_sdn_bad_columns\.csv: line 2: sdn row has 11"):
        list(load_ofac_csv(bad))


def test_an_unterminated_quote_is_an_input_error(tmp_path: Path) -> None:
    sdn = write(tmp_path / "sdn.csv", SDN_ROWS.replace('"CUBA",', '"CUBA,', 1))
    with pytest.raises(InputError, match=r"sdn\.csv: line \d+"):
        list(load_ofac_csv(sdn))


def test_bad_side_files_and_first_seen_tables_are_refused(small: dict[str, Path]) -> None:
    bad_alt = write(small["alt"].with_name("alt_bad.csv"), '47956,1,"aka"\r\n')
    with pytest.raises(LoaderError, match=r"alt_bad\.csv: line 1: alt row has 3 columns"):
        list(load_ofac_csv(small["sdn"], alt=bad_alt))
    bad_fs = write(small["alt"].with_name("fs_bad.csv"), "ent_num,first_seen_date\n1,2022-01-01\n")
    with pytest.raises(LoaderError, match="lacks columns first_seen_is_censored"):
        list(load_ofac_csv(small["sdn"], first_seen=bad_fs))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        list(load_ofac_csv(tmp_path / "sdn.csv"))


# --- remarks, programs, identifiers ----------------------------------------------------


def test_programs_in_every_style() -> None:
    assert parse_programs("[RUSSIA-EO14024] [UKRAINE-EO13662]") == (
        "RUSSIA-EO14024",
        "UKRAINE-EO13662",
    )
    assert parse_programs("FTO] [SDGT") == ("FTO", "SDGT")
    assert parse_programs("RUSSIA-EO14024") == ("RUSSIA-EO14024",)
    assert parse_programs(None) == ()


def test_remarks_yield_identifiers_aliases_and_countries() -> None:
    facts = parse_remarks(
        "Tax ID No. 7743237789 (Russia); Registration Number 02696754 (United Kingdom); "
        "SWIFT/BIC SABRRUMM; alt. Passport T321642 (Colombia) issued 12 Jan 2005; "
        "Vessel Registration Identification IMO 9256858; a.k.a. 'JUD'; f.k.a. 'OLD NAME'; "
        "Executive Order 14024 information (ii) and (vi); Linked To: ACME (Iran)."
    )
    assert facts.identifiers == [
        Identifier("inn", "7743237789", "RU"),
        Identifier("registration", "02696754", "GB"),
        Identifier("swift", "SABRRUMM", "RU"),
        Identifier("passport", "T321642", "CO"),
        Identifier("imo", "9256858"),
    ]
    assert facts.aliases == [Alias("JUD", "weak"), Alias("OLD NAME", "fka")]
    assert facts.countries == ["RU", "GB", "CO"]  # not VI from "(vi)", not Iran (linked)


def test_identifier_classification() -> None:
    assert classify_identifier("Tax ID No.", "7743237789", None) == Identifier(
        "inn", "7743237789", "RU"
    )
    assert classify_identifier("Tax ID No.", "52-1943868", "US") == Identifier(
        "tax_id", "52-1943868", "US"
    )
    assert classify_identifier("Registration Number", "1027739228406", "RU").type == "ogrn"
    assert classify_identifier("Vessel Registration Identification", "IMO 9256859") is None
    assert classify_identifier("SWIFT/BIC", "not a bic") is None
    assert classify_identifier("Gender", "Male") is None


# --- the advanced XML ------------------------------------------------------------------

SAMPLE = DATA / "ofac_sdn_advanced_sample.xml"


def test_the_advanced_xml_sample() -> None:
    stats = LoadStats()
    entries = {e.list_entity_id: e for e in load_ofac_advanced_xml(SAMPLE, stats=stats)}
    assert list(entries) == ["47956", "45710", "34941"]
    assert stats.version == "2024-05-03"  # DateOfIssue
    aurus = entries["47956"]
    assert (aurus.name, aurus.schema, aurus.list) == (
        "LIMITED LIABILITY COMPANY AURUS",
        "Company",
        "ofac_sdn",
    )
    assert aurus.aliases == (Alias("OOO AURUS", "aka"),)
    assert aurus.identifiers == (
        Identifier("inn", "7743237789", "RU"),
        Identifier("ogrn", "5177746340998", "RU"),
    )
    assert aurus.programs == ("RUSSIA-EO14024",)
    assert aurus.listing_date == "2024-02-23" and aurus.listing_date_note is None
    assert aurus.countries == ("RU",) and "Republic of Tatarstan" in aurus.addresses[0]
    person = entries["45710"]
    assert (person.name, person.schema) == ("SHAGIVALEEV, Timur Nailevich", "Person")
    assert Identifier("passport", "753129173", "RU") in person.identifiers
    assert person.extra["Gender"] == ["Male"]
    vessel = entries["34941"]
    assert (vessel.schema, vessel.listing_date) == ("Vessel", "2022-02-22")
    assert vessel.identifiers == (Identifier("imo", "9256858"),)
    assert vessel.aliases == (Alias("LADY D", "fka"),) and vessel.countries == ("RU",)


def test_the_advanced_xml_parser_ignores_the_namespace(tmp_path: Path) -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML",
        "http://www.un.org/sanctions/1.0",
    )
    older = write(tmp_path / "sdn_advanced.xml.gz", text)
    assert list(load_ofac_advanced_xml(older, list_name="ofac_cons")) == [
        e.__class__(**{**e.__dict__, "list": "ofac_cons", "source_file": str(older)})
        for e in load_ofac_advanced_xml(SAMPLE)
    ]


def test_a_truncated_xml_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"ofac_sdn_advanced_truncated\.xml: line \d+, column \d+"):
        list(load_ofac_advanced_xml(DATA / "ofac_sdn_advanced_truncated.xml"))


@pytest.mark.parametrize("name", ["un_billion_laughs.xml", "un_external_entity.xml"])
def test_entity_declarations_are_refused(name: str) -> None:
    # refused at the DOCTYPE (line 2): every DTD is, before any entity is declared
    with pytest.raises(InputError, match=rf"{name}: line 2, column \d+: unsafe XML refused"):
        list(load_ofac_advanced_xml(DATA / name))


# --- shared helpers ------------------------------------------------------------------


def test_helpers_for_dates_versions_and_names(tmp_path: Path) -> None:
    assert parse_date("24/02/2022", ("%d/%m/%Y",)) == "2022-02-24"
    assert parse_date("2026-02-27T00:00:09.554Z") == "2026-02-27"
    assert parse_date("2015-04-07-04:00") == "2015-04-07"
    assert parse_date("31/02/2022", ("%d/%m/%Y",)) is None and parse_date("  ") is None
    assert date_in_name("sdn_2024-05-03.csv.gz") == "2024-05-03"
    assert date_in_name("add_2025-12.csv.gz") is None
    plain = write(tmp_path / "sdn.csv", "x")
    assert file_version(plain) == time.strftime("%Y-%m-%d", time.localtime(plain.stat().st_mtime))
    assert file_version(plain, own_stamp="2020-01-01") == "2020-01-01"
    assert split_names("A (CAGL) ; B (GLBC); A (CAGL)") == ["A (CAGL)", "B (GLBC)"]


def test_country_names_in_list_styles() -> None:
    assert country_codes("Russia") == ("RU",)
    assert country_codes("Korea, North") == ("KP",)
    assert country_codes("Congo, Democratic Republic of the") == ("CD",)
    assert country_codes("North Macedonia, The Republic of") == ("MK",)
    assert country_codes("Region: Crimea") == ("UA",)
    assert country_codes("Russia; Belarus") == ("RU", "BY")
    assert country_codes("undetermined") == () and country_codes(None) == ()


def test_gzip_is_detected_by_content_and_ctrl_z_dropped(tmp_path: Path) -> None:
    misnamed = tmp_path / "list.csv"
    misnamed.write_bytes(gzip.compress("caf\xe9\r\n\x1a".encode("cp1252")))
    assert read_text(misnamed) == ("caf\xe9\r\n", "cp1252")
