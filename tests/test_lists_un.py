"""The UN Security Council Consolidated List loader.

A manual for ``tradetrace.screen.lists.un``: ids are UN reference numbers, the
regime is the program, ``LISTED_ON`` is the listing date (also when written with a
time zone), low-quality aliases are ``weak``, and hostile or broken XML is refused
with a one-line error. Real-data tests are skipped when the shared data is absent.
"""

from __future__ import annotations

import gzip
import os
from collections import Counter
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists.common import LoadStats
from tradetrace.screen.lists.model import Alias, Identifier
from tradetrace.screen.lists.un import load_un_xml

DATA = Path(__file__).parent / "data" / "lists"
SHARED = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
UN = SHARED / "sanctions" / "un" / "un_consolidated_2026-02-27.xml.gz"
SAMPLE = DATA / "un_sample.xml"


@pytest.fixture(scope="module")
def un() -> tuple[dict, LoadStats]:
    if not UN.exists():
        pytest.skip(f"shared UN list not at {UN}")
    stats = LoadStats()
    return {e.list_entity_id: e for e in load_un_xml(UN, stats=stats)}, stats


def test_every_individual_and_entity_is_an_entry(un) -> None:
    entries, stats = un
    assert len(entries) == stats.entries == 1003  # reference numbers are unique
    assert Counter(e.schema for e in entries.values()) == {"Person": 730, "LegalEntity": 273}
    assert {e.list for e in entries.values()} == {"un"}
    assert stats.version == "2026-02-27"  # the root's dateGenerated


def test_listing_dates_are_the_lists_own(un) -> None:
    entries, _ = un
    omm = entries["KPe.020"]
    assert omm.name == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert (omm.listing_date, omm.listing_date_note) == ("2014-07-28", None)
    assert omm.programs == ("DPRK",)
    assert omm.countries == ("KP",)
    assert entries["YEi.004"].listing_date == "2015-04-14"  # written "2015-04-14-04:00"
    assert all(e.listing_date for e in entries.values())


def test_aliases_are_typed(un) -> None:
    entries, _ = un
    kinds = Counter(a.type for e in entries.values() for a in e.aliases)
    assert kinds["weak"] == 615  # QUALITY "Low"
    assert kinds["fka"] == 18 and kinds["aka"] > 2000 and kinds["non-latin"] > 300
    adf = entries["CDe.001"]
    assert Alias("Allied Democratic Forces", "aka") in adf.aliases
    assert Alias("NALU", "fka") in adf.aliases


def test_the_sample_records() -> None:
    entries = {e.list_entity_id: e for e in load_un_xml(SAMPLE)}
    assert list(entries) == ["QDi.154", "YEi.004", "KPe.020"]
    ghaith = entries["QDi.154"]
    assert ghaith.name == "SULAIMAN JASSEM SULAIMAN ALI ABO GHAITH"
    assert ghaith.schema == "Person" and ghaith.programs == ("Al-Qaida",)
    assert ghaith.aliases == (
        Alias("Abo Ghaith", "weak"),
        Alias("سليمان جاسم سليمان علي أبوغيث", "non-latin"),
    )
    assert ghaith.identifiers == (Identifier("passport", "849594", "KW"),)
    assert ghaith.countries == ("KW",)
    assert ghaith.extra["dataid"] == "111496"
    omm = entries["KPe.020"]
    assert omm.schema == "LegalEntity"
    assert Identifier("imo", "1790183") in omm.identifiers  # "(IMO) Number: 1790183" in comments


def test_gzip_and_an_explicit_version(tmp_path: Path) -> None:
    packed = tmp_path / "consolidated.xml.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    entries = list(load_un_xml(packed, version="2026-03-01"))
    assert len(entries) == 3 and {e.version for e in entries} == {"2026-03-01"}


def test_a_name_listing_several_names_adds_each_as_an_alias(tmp_path: Path) -> None:
    xml = tmp_path / "un.xml"
    xml.write_text(
        '<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z"><ENTITIES><ENTITY>'
        "<DATAID>6908026</DATAID><FIRST_NAME>COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; "
        "GREAT LAKES BUSINESS COMPANY (GLBC)</FIRST_NAME><UN_LIST_TYPE>DRC</UN_LIST_TYPE>"
        "<LISTED_ON>2007-03-29</LISTED_ON></ENTITY></ENTITIES></CONSOLIDATED_LIST>",
        encoding="utf-8",
    )
    (entry,) = load_un_xml(xml)
    assert entry.list_entity_id == "6908026"  # no REFERENCE_NUMBER: DATAID
    assert Alias("GREAT LAKES BUSINESS COMPANY (GLBC)", "aka") in entry.aliases


@pytest.mark.parametrize("name", ["un_billion_laughs.xml", "un_external_entity.xml"])
def test_entity_declarations_are_refused(name: str) -> None:
    # refused at the DOCTYPE (line 2): every DTD is, before any entity is declared
    with pytest.raises(InputError, match=rf"{name}: line 2, column \d+: unsafe XML refused"):
        list(load_un_xml(DATA / name))


def test_a_truncated_file_is_an_input_error(tmp_path: Path) -> None:
    cut = tmp_path / "un_cut.xml"
    cut.write_bytes(SAMPLE.read_bytes()[:3000])
    with pytest.raises(InputError, match=r"un_cut\.xml: line \d+, column \d+: malformed XML"):
        list(load_un_xml(cut))


def test_another_xml_format_is_refused() -> None:
    with pytest.raises(InputError, match="not a UN consolidated list"):
        list(load_un_xml(DATA / "ofac_sdn_advanced_sample.xml"))
