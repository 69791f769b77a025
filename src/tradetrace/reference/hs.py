"""Harmonized System (HS) reference: chapter→section map, code normalisation, nomenclature.

The section structure is fixed by the WCO HS Convention and has not changed since 1988, so it
is typed here rather than read from a file: declarations can be grouped by section even when
no nomenclature file has been imported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

__all__ = [
    "CHAPTER_SECTIONS",
    "NOMENCLATURE_SCHEMA",
    "SECTIONS_SCHEMA",
    "load_nomenclature",
    "load_sections",
    "normalise_hs",
    "section_of_chapter",
    "section_ranges",
]

# (first chapter, last chapter, section); chapter 77 is reserved for future use by the WCO.
_SECTION_RANGES: tuple[tuple[int, int, str], ...] = (
    (1, 5, "I"),
    (6, 14, "II"),
    (15, 15, "III"),
    (16, 24, "IV"),
    (25, 27, "V"),
    (28, 38, "VI"),
    (39, 40, "VII"),
    (41, 43, "VIII"),
    (44, 46, "IX"),
    (47, 49, "X"),
    (50, 63, "XI"),
    (64, 67, "XII"),
    (68, 70, "XIII"),
    (71, 71, "XIV"),
    (72, 83, "XV"),
    (84, 85, "XVI"),
    (86, 89, "XVII"),
    (90, 92, "XVIII"),
    (93, 93, "XIX"),
    (94, 96, "XX"),
    (97, 97, "XXI"),
)

#: Two-digit chapter ("01".."97", without "77") → section Roman numeral.
CHAPTER_SECTIONS: dict[str, str] = {
    f"{ch:02d}": section
    for first, last, section in _SECTION_RANGES
    for ch in range(first, last + 1)
    if ch != 77
}

NOMENCLATURE_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("level", pa.int8(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("parent", pa.string()),
        pa.field("section", pa.string()),
        pa.field("edition", pa.string(), nullable=False),
    ]
)

SECTIONS_SCHEMA = pa.schema(
    [pa.field("section", pa.string(), nullable=False), pa.field("name", pa.string())]
)

_NON_DIGITS = re.compile(r"[^0-9]+")  # not \D: "٣" is a digit to Python, not in HS


def section_of_chapter(ch: str) -> str | None:
    """Section numeral for a chapter ("1", "01" or a longer code); None if not a WCO chapter."""
    digits = _NON_DIGITS.sub("", ch or "")
    if not digits:
        return None
    key = digits.zfill(2) if len(digits) == 1 else digits[:2]
    return CHAPTER_SECTIONS.get(key)


def section_ranges() -> list[tuple[int, int, str]]:
    """(first chapter, last chapter, section) ranges, for building a SQL ``CASE`` elsewhere.

    Section XV spans the reserved chapter 77; callers must treat 77 separately if it matters.
    """
    return list(_SECTION_RANGES)


def normalise_hs(code: str | None) -> str | None:
    """Canonical digit string for an HS / TN VED / HTS code, or None if it cannot be one.

    Rules, applied in order:

    1. keep digits only, so "8542.31", "8542 31 000 0" and "8542-31" all become plain digits;
    2. an odd length of 5, 7 or 9 digits means a spreadsheet dropped the leading zero of a
       chapter 01–09 code ("10121" → "010121"), so one zero is put back;
    3. fewer than 2 digits, or a chapter outside 01–97 (or the reserved 77), gives None.

    The code is not truncated: national 8/10-digit lines are returned whole; slice ``[:6]``
    for HS6.
    """
    if code is None:
        return None
    digits = _NON_DIGITS.sub("", str(code))
    if len(digits) in (5, 7, 9):
        digits = "0" + digits
    if len(digits) < 2 or digits[:2] not in CHAPTER_SECTIONS:
        return None
    return digits


def _read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 (BOM tolerated) CSV, checking the header first.

    Rows whose cells are all empty (the HS2017 file ends with ``,,,,``) are skipped.
    """
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{path}:1: missing column(s) {', '.join(missing)}; header is {header!r}"
            )
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            if None in row or any(row.get(c) is None for c in required):
                raise ValueError(
                    f"{path}:{reader.line_num}: expected {len(header)} fields, got a ragged row"
                )
            yield reader.line_num, row


def load_nomenclature(path: Path, edition: str = "HS2022") -> pa.Table:
    """Read a DataHub ``harmonized-system.csv`` file into a ``code, level, ...`` table.

    Codes stay strings (leading zeros matter). The grand-total row (``hscode == "TOTAL"``) is
    dropped and the ``TOTAL`` placeholder used as chapter parent / section of Comtrade's
    chapter 99 ("not specified") becomes null; those 99 rows are kept because they occur in
    trade statistics.
    """
    path = Path(path)
    codes: list[str] = []
    levels: list[int] = []
    descriptions: list[str | None] = []
    parents: list[str | None] = []
    sections: list[str | None] = []
    for line, row in _read_rows(path, ("section", "hscode", "description", "parent", "level")):
        code = row["hscode"].strip()
        if code.upper() == "TOTAL":
            continue
        raw_level = row["level"].strip()
        if raw_level not in ("2", "4", "6"):
            raise ValueError(f"{path}:{line}: level must be 2, 4 or 6, got {raw_level!r}")
        level = int(raw_level)
        if not code.isdigit() or len(code) != level:
            raise ValueError(
                f"{path}:{line}: hscode {code!r} is not a {level}-digit code for level {level}"
            )
        parent = row["parent"].strip()
        section = row["section"].strip()
        codes.append(code)
        levels.append(level)
        descriptions.append(row["description"].strip() or None)
        parents.append(None if not parent or parent.upper() == "TOTAL" else parent)
        sections.append(None if not section or section.upper() == "TOTAL" else section)
    if not codes:
        raise ValueError(f"{path}: no HS codes found")
    return pa.table(
        {
            "code": codes,
            "level": pa.array(levels, pa.int8()),
            "description": descriptions,
            "parent": parents,
            "section": sections,
            "edition": [edition] * len(codes),
        },
        schema=NOMENCLATURE_SCHEMA,
    )


def load_sections(path: Path) -> pa.Table:
    """Read DataHub ``sections.csv`` (section numeral, name) so reports can label sections."""
    path = Path(path)
    sections: list[str] = []
    names: list[str | None] = []
    known = set(CHAPTER_SECTIONS.values())
    for line, row in _read_rows(path, ("section", "name")):
        section = row["section"].strip()
        if section not in known:
            raise ValueError(f"{path}:{line}: unknown HS section {section!r}")
        sections.append(section)
        names.append(row["name"].strip() or None)
    if not sections:
        raise ValueError(f"{path}: no HS sections found")
    return pa.table({"section": sections, "name": names}, schema=SECTIONS_SCHEMA)
