"""HS reference: section map, code normalisation, nomenclature loading, shipped CHPL table."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tradetrace.reference.chpl import chpl_table
from tradetrace.reference.hs import (
    CHAPTER_SECTIONS,
    load_nomenclature,
    load_sections,
    normalise_hs,
    section_of_chapter,
    section_ranges,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


# --- sections ---------------------------------------------------------------------------------


def test_chapter_sections_cover_01_to_97_except_77() -> None:
    assert len(CHAPTER_SECTIONS) == 96
    assert "77" not in CHAPTER_SECTIONS
    assert CHAPTER_SECTIONS["01"] == "I"
    assert CHAPTER_SECTIONS["15"] == "III"
    assert CHAPTER_SECTIONS["71"] == "XIV"
    assert CHAPTER_SECTIONS["76"] == CHAPTER_SECTIONS["78"] == "XV"
    assert CHAPTER_SECTIONS["85"] == "XVI"
    assert CHAPTER_SECTIONS["97"] == "XXI"


@pytest.mark.parametrize(
    ("chapter", "section"),
    [("01", "I"), ("1", "I"), ("84", "XVI"), ("854231", "XVI"), ("93", "XIX"), ("97", "XXI")],
)
def test_section_of_chapter(chapter: str, section: str) -> None:
    assert section_of_chapter(chapter) == section


@pytest.mark.parametrize("chapter", ["77", "00", "98", "99", "", "ab"])
def test_section_of_chapter_rejects_non_chapters(chapter: str) -> None:
    assert section_of_chapter(chapter) is None


def test_section_ranges_agree_with_map() -> None:
    ranges = section_ranges()
    assert len(ranges) == 21
    assert ranges[0] == (1, 5, "I") and ranges[-1] == (97, 97, "XXI")
    for first, last, section in ranges:
        for ch in range(first, last + 1):
            assert CHAPTER_SECTIONS.get(f"{ch:02d}") == (None if ch == 77 else section)
    # contiguous, no overlap
    assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:], strict=False))


# --- normalise_hs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8542.31", "854231"),
        ("8542 31 000 0", "8542310000"),
        ("8542-31-0000", "8542310000"),
        (" 01 ", "01"),
        ("10121", "010121"),  # spreadsheet dropped the leading zero of 010121
        ("1012100", "01012100"),
        ("101210000", "0101210000"),
        ("0101.21", "010121"),
        ("87", "87"),
        ("9701", "9701"),
    ],
)
def test_normalise_hs(raw: str, expected: str) -> None:
    assert normalise_hs(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "8", "n/a", "из", "7700", "77.01", "00", "9901", "98", "...", "-"]
)
def test_normalise_hs_rejects_garbage(raw: str | None) -> None:
    assert normalise_hs(raw) is None


# --- nomenclature -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hs2022() -> pa.Table:
    return load_nomenclature(shared("hs/hs2022_nomenclature.csv"))


def test_load_nomenclature_real_hs2022(hs2022: pa.Table) -> None:
    assert hs2022.schema.names == ["code", "level", "description", "parent", "section", "edition"]
    assert hs2022.schema.field("code").type == pa.string()
    assert hs2022.schema.field("level").type == pa.int8()
    assert hs2022.num_rows == 6939  # 6,940 data rows minus the TOTAL row
    levels = Counter(hs2022.column("level").to_pylist())
    assert levels[6] == 5613
    assert set(levels) == {2, 4, 6}
    assert "TOTAL" not in hs2022.column("code").to_pylist()
    assert "TOTAL" not in set(hs2022.column("parent").drop_null().to_pylist())
    assert set(hs2022.column("edition").to_pylist()) == {"HS2022"}
    rows = {r["code"]: r for r in hs2022.to_pylist()}
    assert rows["010121"]["parent"] == "0101"
    assert rows["010121"]["section"] == "I"
    assert rows["01"]["parent"] is None
    assert rows["854231"]["section"] == "XVI"


def test_nomenclature_sections_match_wco_map(hs2022: pa.Table) -> None:
    for row in hs2022.select(["code", "section"]).to_pylist():
        assert section_of_chapter(row["code"][:2]) == row["section"], row


def test_load_nomenclature_hs2017_edition() -> None:
    table = load_nomenclature(shared("hs/hs2017_nomenclature.csv"), edition="HS2017")
    assert pc.sum(pc.equal(table.column("level"), 6)).as_py() == 5388
    assert set(table.column("edition").to_pylist()) == {"HS2017"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_nomenclature_bad_level_names_line(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "hs.csv",
        "section,hscode,description,parent,level\nI,01,Animals; live,TOTAL,2\nI,0101,Horses,01,3\n",
    )
    with pytest.raises(ValueError, match=r"hs\.csv:3: level must be 2, 4 or 6"):
        load_nomenclature(bad)


def test_load_nomenclature_code_level_mismatch(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "hs.csv",
        "section,hscode,description,parent,level\nI,101,Horses,01,4\n",
    )
    with pytest.raises(ValueError, match=r"hs\.csv:2: hscode '101'"):
        load_nomenclature(bad)


def test_load_nomenclature_missing_column(tmp_path: Path) -> None:
    bad = _write(tmp_path / "hs.csv", "section,hscode,description,level\nI,01,Animals,2\n")
    with pytest.raises(ValueError, match=r"hs\.csv:1: missing column\(s\) parent"):
        load_nomenclature(bad)


def test_load_nomenclature_ragged_row(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "hs.csv",
        "section,hscode,description,parent,level\nI,01,Animals,TOTAL,2\nI,0101\n",
    )
    with pytest.raises(ValueError, match=r"hs\.csv:3:"):
        load_nomenclature(bad)


def test_load_sections_real() -> None:
    table = load_sections(shared("hs/hs_sections.csv"))
    assert table.schema.names == ["section", "name"]
    assert table.num_rows == 21
    assert set(table.column("section").to_pylist()) == set(CHAPTER_SECTIONS.values())


def test_load_sections_unknown_section(tmp_path: Path) -> None:
    bad = _write(tmp_path / "s.csv", "\ufeffsection,name\nI,Animals\nXXII,Nope\n")
    with pytest.raises(ValueError, match=r"s\.csv:3: unknown HS section 'XXII'"):
        load_sections(bad)


# --- CHPL (shipped fact table) ----------------------------------------------------------------


def test_chpl_table_shape_and_tiers() -> None:
    table = chpl_table()
    assert table.schema.names == ["hs6", "tier", "description"]
    assert table.num_rows == 50
    assert Counter(table.column("tier").to_pylist()) == {
        "Tier 1": 4,
        "Tier 2": 5,
        "Tier 3.A": 16,
        "Tier 3.B": 9,
        "Tier 4.A": 11,
        "Tier 4.B": 5,
    }
    codes = table.column("hs6").to_pylist()
    assert len(set(codes)) == 50
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert codes[0] == "854231"


def test_chpl_codes_exist_in_hs2022(hs2022: pa.Table) -> None:
    descriptions = {r["code"]: r["description"] for r in hs2022.to_pylist()}
    for row in chpl_table().to_pylist():
        assert descriptions[row["hs6"]] == row["description"]


def test_chpl_matches_shared_copy() -> None:
    with shared("export_controls/chpl_hs6_2024-02-23.csv").open(encoding="utf-8-sig") as fh:
        original = [(r["hs6"], r["tier"], r["hs2022_description"]) for r in csv.DictReader(fh)]
    shipped = [(r["hs6"], r["tier"], r["description"]) for r in chpl_table().to_pylist()]
    assert shipped == original


def test_load_nomenclature_skips_blank_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hs.csv",
        "section,hscode,description,parent,level\nI,01,Animals,TOTAL,2\n,,,,\n\n",
    )
    assert load_nomenclature(path).column("code").to_pylist() == ["01"]
