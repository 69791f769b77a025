"""Readers: every supported file becomes batches of raw text cells, and no record is lost.

Each reader yields string columns ``c0 … cN`` (the header by position) plus ``_source_row``,
the 1-based data record number (header and blank lines not counted). Records that cannot be
split into cells come back as :class:`Malformed`, so good rows + malformed = records written.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tradetrace.errors import InputError
from tradetrace.ingest import readers
from tradetrace.ingest.readers import (
    SOURCE_ROW,
    Malformed,
    Source,
    cell_text,
    dedupe_header,
    detect_encoding,
    expand_sources,
    open_table,
    sniff_delimiter,
)

# -- helpers --------------------------------------------------------------------------------------


@dataclass
class Read:
    """Everything a reader produced for one source, with cells keyed by header name."""

    header: list[str]
    rows: list[dict[str, object]]
    malformed: list[Malformed]
    encoding: str | None
    delimiter: str | None

    @property
    def numbers(self) -> list[int]:
        return [row[SOURCE_ROW] for row in self.rows]  # type: ignore[misc]

    @property
    def malformed_numbers(self) -> list[int]:
        return [m.row for m in self.malformed]

    def column(self, name: str) -> list[object]:
        return [row[name] for row in self.rows]


def read_source(source: Source) -> Read:
    """Drain a reader, checking the batch contract on the way."""
    reader = open_table(source)
    names = [f"c{i}" for i in range(len(reader.header))]
    rows: list[dict[str, object]] = []
    for batch in reader.batches():
        assert batch.schema.names == [*names, SOURCE_ROW]
        assert all(batch.schema.field(n).type == pa.string() for n in names)
        assert batch.schema.field(SOURCE_ROW).type == pa.int64()
        for record in batch.to_pylist():
            row = {h: record[c] for h, c in zip(reader.header, names, strict=True)}
            rows.append({**row, SOURCE_ROW: record[SOURCE_ROW]})
    return Read(reader.header, rows, reader.take_malformed(), reader.encoding, reader.delimiter)


def read(path: Path) -> Read:
    sources = expand_sources(path)
    assert len(sources) == 1
    return read_source(sources[0])


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def xlsx(path: Path, rows: list[list[object]], *, sheets: tuple[str, ...] = ()) -> Path:
    """A workbook with optional empty sheets in front of the one holding ``rows``."""
    book = openpyxl.Workbook()
    first = book.active
    for i, title in enumerate(sheets):
        sheet = first if i == 0 else book.create_sheet()
        sheet.title = title
    data = book.create_sheet("data") if sheets else first
    for row in rows:
        data.append(row)
    book.save(path)
    return path


RU_HEADER = "Номер ДТ;Дата ДТ;Получатель;Код ТН ВЭД;Описание товара;Фактурная стоимость"
RU_ROWS = (
    '10005020/150318/0001234;15.03.2018;ООО "РОМАШКА";8708299009;'
    "ЧАСТИ И ПРИНАДЛЕЖНОСТИ, КУЗОВА;1 234,56\n"
    "10005020/160318/0004321;16.03.2018;Ёлкин И.П.;4011100000;ШИНЫ ПНЕВМАТИЧЕСКИЕ;99,5\n"
)
RU_CSV = f"{RU_HEADER}\n{RU_ROWS}"


# -- delimited text: delimiters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = [
        ["declaration", "date", "importer", "value"],
        ["D1", "15.03.2018", "OOO ROMASHKA", "1234.56"],
        ["D2", "16.03.2018", "ACME LTD", "99"],
    ]
    path = write(tmp_path / "decl.csv", "".join(delimiter.join(r) + "\n" for r in lines))
    result = read(path)
    assert result.delimiter == delimiter
    assert result.header == lines[0]
    assert result.column("importer") == ["OOO ROMASHKA", "ACME LTD"]
    assert result.numbers == [1, 2]


def test_semicolon_file_with_decimal_commas_is_not_read_as_comma_separated(
    tmp_path: Path,
) -> None:
    """The Russian layout: ';' between fields, ',' inside numbers and descriptions."""
    result = read(write(tmp_path / "ru.csv", RU_CSV))
    assert result.delimiter == ";"
    assert result.column("Описание товара") == [
        "ЧАСТИ И ПРИНАДЛЕЖНОСТИ, КУЗОВА",
        "ШИНЫ ПНЕВМАТИЧЕСКИЕ",
    ]
    assert result.column("Фактурная стоимость") == ["1 234,56", "99,5"]


def test_tsv_is_always_tab_separated(tmp_path: Path) -> None:
    """A ``.tsv`` is not sniffed: its commas are data even when there are more of them."""
    path = write(tmp_path / "decl.tsv", "name\tvalue\nACME, INC., LLC\t1,234,567\n")
    result = read(path)
    assert result.delimiter == "\t"
    assert result.rows == [{"name": "ACME, INC., LLC", "value": "1,234,567", SOURCE_ROW: 1}]


def test_txt_is_read_as_delimited_text(tmp_path: Path) -> None:
    result = read(write(tmp_path / "export.txt", "a|b\n1|2\n"))
    assert result.rows == [{"a": "1", "b": "2", SOURCE_ROW: 1}]


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ("a,b,c\n1,2,3\n", ".csv", ","),
        ("a;b;c\n1,5;2,5;3,5\n", ".csv", ";"),
        ("a\tb\n1\t2\n", ".csv", "\t"),
        ("a|b\n1|x, y\n", ".csv", "|"),
        ('id,desc\n1,"bolts; nuts, washers"\n', ".csv", ","),
        ("a,b\n1,2\n", ".tsv", "\t"),
        ("a,b\n1,2\n", ".tab", "\t"),
        ("name\nACME\n", ".csv", ","),
        ("", ".csv", ","),
    ],
    ids=[
        "comma",
        "semicolon-with-decimal-commas",
        "tab",
        "pipe",
        "quoted-delimiters",
        "tsv-suffix",
        "tab-suffix",
        "single-column",
        "empty",
    ],
)
def test_sniff_delimiter(text: str, suffix: str, expected: str) -> None:
    assert sniff_delimiter(text, suffix) == expected


# -- delimited text: encodings --------------------------------------------------------------------


def test_utf8(tmp_path: Path) -> None:
    result = read(write(tmp_path / "ru.csv", RU_CSV))
    assert result.encoding == "utf-8"
    assert result.header[0] == "Номер ДТ"
    assert result.column("Получатель") == ['ООО "РОМАШКА"', "Ёлкин И.П."]


def test_utf8_with_bom_does_not_leak_into_the_first_header(tmp_path: Path) -> None:
    result = read(write(tmp_path / "ru.csv", RU_CSV, encoding="utf-8-sig"))
    assert result.encoding == "utf-8-sig"
    assert result.header[0] == "Номер ДТ"
    assert result.column("Номер ДТ")[0] == "10005020/150318/0001234"


@pytest.mark.parametrize(
    "text",
    [
        RU_CSV,
        "id;имя\n1;Привет мир\n2;Ёлка\n",
        "id;name;country\n1;ООО ЯТАШ РУС;КИТАЙ\n",
        "id,name\n1,Ё\n",
    ],
    ids=["customs-export", "short", "all-caps", "only-cyrillic-is-the-last-byte"],
)
def test_cp1251_is_detected_without_being_told(tmp_path: Path, text: str) -> None:
    """Short cp1251 files fool generic detectors (cp1250, even cp932); here they read exactly
    like their UTF-8 twin."""
    result = read(write(tmp_path / "ru.csv", text, encoding="cp1251"))
    twin = read(write(tmp_path / "twin.csv", text))
    assert result.encoding == "cp1251"
    assert (result.header, result.rows) == (twin.header, twin.rows)


def test_cp1251_customs_export_cells(tmp_path: Path) -> None:
    result = read(write(tmp_path / "ru.csv", RU_CSV, encoding="cp1251"))
    assert result.column("Получатель") == ['ООО "РОМАШКА"', "Ёлкин И.П."]
    assert result.column("Описание товара")[0] == "ЧАСТИ И ПРИНАДЛЕЖНОСТИ, КУЗОВА"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"id,name\n1,ACME\n", "utf-8"),
        ("id;имя\n1;Ромашка\n".encode(), "utf-8"),
        ("\ufeffid;имя\n".encode(), "utf-8-sig"),
        ("Получатель\nООО Ромашка\n".encode("cp1251"), "cp1251"),
        ("Страна\nКНР\n".encode("cp1251"), "cp1251"),
        (RU_CSV.encode("cp1251"), "cp1251"),
    ],
    ids=["ascii", "utf-8", "utf-8-bom", "cp1251-name", "cp1251-tiny", "cp1251-export"],
)
def test_detect_encoding(sample: bytes, expected: str) -> None:
    assert detect_encoding(sample) == expected


def test_a_character_cut_by_the_sample_boundary_is_still_utf8() -> None:
    sample = "имя\nРомашка".encode()[:-1]  # the last letter's second byte is past the sample
    assert detect_encoding(sample) == "utf-8"


def test_a_cut_character_at_the_end_of_a_whole_file_is_not_utf8() -> None:
    """When the sample is the whole file there is no boundary to blame: it is cp1251."""
    sample = "id,name\n1,ООО Д".encode("cp1251")
    assert detect_encoding(sample, complete=True) == "cp1251"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("name;city\nMüller GmbH;München\n", "Müller"),
        ("name;city\nSociété Générale;Paris à côté\n", "Société Générale"),
    ],
    ids=["german", "french"],
)
def test_western_european_text_is_not_mistaken_for_russian(text: str, word: str) -> None:
    """Accents inside Latin words ("Mьller" in cp1251) do not make a Russian text."""
    sample = text.encode("cp1252")
    encoding = detect_encoding(sample)
    assert encoding != "cp1251"
    assert word in sample.decode(encoding)


def test_binary_file_named_csv_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="blob.csv: cannot detect the text encoding"):
        read(path)


# -- delimited text: quoting, blank lines, header -------------------------------------------------


def test_quoted_fields_keep_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    text = (
        "id;description;importer\n"
        '1;"BOLTS; NUTS, WASHERS";"ООО ""РОМАШКА"""\n'
        '2;"LINE ONE\nLINE TWO\r\n\nLINE FOUR";ACME\n'
        "3;PLAIN;ACME\n"
    )
    result = read(write(tmp_path / "q.csv", text))
    assert result.column("description") == [
        "BOLTS; NUTS, WASHERS",
        "LINE ONE\nLINE TWO\r\n\nLINE FOUR",
        "PLAIN",
    ]
    assert result.column("importer")[0] == 'ООО "РОМАШКА"'
    assert result.numbers == [1, 2, 3], "a multi-line record is still one record"


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    text = "id,name\n1,a\n\n\n2,b\r\n\r\n3,c\n\n"
    result = read(write(tmp_path / "blank.csv", text))
    assert result.column("id") == ["1", "2", "3"]
    assert result.numbers == [1, 2, 3]
    assert result.malformed == []


def test_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    """And a malformed record after them still gets its data record number."""
    text = "\n\n\r\nid,name\n1,a\n2\n3,c\n"
    result = read(write(tmp_path / "lead.csv", text))
    assert result.header == ["id", "name"]
    assert result.rows == [
        {"id": "1", "name": "a", SOURCE_ROW: 1},
        {"id": "3", "name": "c", SOURCE_ROW: 3},
    ]
    assert result.malformed_numbers == [2]


def test_crlf_line_endings(tmp_path: Path) -> None:
    result = read(write(tmp_path / "crlf.csv", "id,name\r\n1,a\r\n2,b\r\n"))
    assert result.rows == [
        {"id": "1", "name": "a", SOURCE_ROW: 1},
        {"id": "2", "name": "b", SOURCE_ROW: 2},
    ]


def test_cells_are_kept_as_written(tmp_path: Path) -> None:
    """No trimming, no typing, no null for empty: that is normalisation's job."""
    text = 'a,b,c,d\n  padded  ,,"",007\n'
    result = read(write(tmp_path / "raw.csv", text))
    assert result.rows == [{"a": "  padded  ", "b": "", "c": "", "d": "007", SOURCE_ROW: 1}]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    result = read(write(tmp_path / "h.csv", "id,name\n"))
    assert result.header == ["id", "name"]
    assert result.rows == [] and result.malformed == []


def test_duplicate_and_blank_header_names_are_made_addressable(tmp_path: Path) -> None:
    text = "Name;;Name; Value ;Name_2\n1;2;3;4;5\n"
    result = read(write(tmp_path / "dup.csv", text))
    assert result.header == ["Name", "column_2", "Name_2", "Value", "Name_2_2"]
    assert result.rows == [
        {"Name": "1", "column_2": "2", "Name_2": "3", "Value": "4", "Name_2_2": "5", SOURCE_ROW: 1}
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "a", "a"], ["a", "a_2", "a_3"]),
        (["", " ", "x"], ["column_1", "column_2", "x"]),
        (["\ufeffid", " Name "], ["id", "Name"]),
        (["a", "a_2", "a"], ["a", "a_2", "a_3"]),
        (["column_2", ""], ["column_2", "column_2_2"]),
    ],
    ids=["unique", "repeated", "blank", "bom-and-spaces", "suffix-clash", "blank-clash"],
)
def test_dedupe_header(header: list[str], expected: list[str]) -> None:
    assert dedupe_header(header) == expected
    assert len(set(dedupe_header(header))) == len(header)


def test_header_of_only_delimiters_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"noheader.csv: line 1: no header row"):
        read(write(tmp_path / "noheader.csv", ";;;\n1;2;3;4\n"))


# -- delimited text: malformed records ------------------------------------------------------------


def test_too_few_and_too_many_fields_are_malformed_with_their_record_number(
    tmp_path: Path,
) -> None:
    text = 'id,name,value\n1,a,10\n2,b\n3,"c, quoted",30\n4,d,40,extra\n5,e,50\n'
    result = read(write(tmp_path / "bad.csv", text))
    assert result.column("id") == ["1", "3", "5"]
    assert result.numbers == [1, 3, 5]
    assert result.malformed == [
        Malformed(2, "2,b", "malformed line: expected 3 fields, found 2"),
        Malformed(4, "4,d,40,extra", "malformed line: expected 3 fields, found 4"),
    ]


def test_record_numbers_count_records_not_lines(tmp_path: Path) -> None:
    """Multi-line quoted cells and blank lines do not shift the numbers of later records."""
    text = 'id,name,value\n1,"two\nlines",7\n\n2,x\n3,y,z\n'
    result = read(write(tmp_path / "lines.csv", text))
    assert result.numbers == [1, 3]
    assert result.malformed_numbers == [2]


def test_record_numbers_survive_many_batches(tmp_path: Path, monkeypatch) -> None:
    """With tiny blocks every batch boundary falls somewhere different; numbers stay exact."""
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 64)
    lines, bad, good = ["id,name,value"], [], []
    for record in range(1, 81):
        if record % 7 == 0:
            lines.append(f"{record},too few")
            bad.append(record)
        else:
            lines.append(f"{record},name {record},v")
            good.append(record)
        if record % 11 == 0:
            lines.append("")
    result = read(write(tmp_path / "many.csv", "\n".join(lines) + "\n"))
    assert result.numbers == good
    assert result.column("id") == [str(n) for n in good]
    assert result.malformed_numbers == bad


def test_invalid_utf8_after_the_sample_is_an_input_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "SAMPLE_BYTES", 16)
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,name\n1,plain ascii\n2," + "Ромашка".encode("cp1251") + b"\n")
    with pytest.raises(InputError, match="mixed.csv"):
        read(path)


# -- compressed and archived text -----------------------------------------------------------------


def test_csv_gz_reads_like_csv(tmp_path: Path) -> None:
    path = tmp_path / "ru.csv.gz"
    path.write_bytes(gzip.compress(RU_CSV.encode("cp1251")))
    source = expand_sources(path)[0]
    assert (source.inner_name, source.suffix) == ("ru.csv", ".csv")
    result = read_source(source)
    assert (result.encoding, result.delimiter) == ("cp1251", ";")
    assert result.column("Получатель") == ['ООО "РОМАШКА"', "Ёлкин И.П."]


def test_corrupt_gz_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(InputError, match="broken.csv.gz: cannot read file"):
        read(path)


def test_zip_holding_two_csvs_is_two_sources(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("imports.csv", "id,name\n1,a\n2,b\n")
        archive.writestr("2023/exports.csv", "id;name\n3;c\n")
        archive.writestr("__MACOSX/._imports.csv", "resource fork")
        archive.writestr("readme.pdf", "not data")
        archive.writestr("empty-folder/", "")
    sources = expand_sources(path)
    assert [s.name for s in sources] == [f"{path}:imports.csv", f"{path}:2023/exports.csv"]
    first, second = (read_source(s) for s in sources)
    assert first.column("name") == ["a", "b"] and first.numbers == [1, 2]
    assert second.column("name") == ["c"] and second.numbers == [1]


def test_zip_without_a_supported_member_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.pdf", "x")
    with pytest.raises(InputError, match="docs.zip: the archive holds no supported file"):
        expand_sources(path)


def test_file_named_zip_that_is_not_one_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path / "fake.zip", "id,name\n")
    with pytest.raises(InputError, match="fake.zip: not a readable zip archive"):
        expand_sources(path)


def test_progress_counts_the_stored_bytes(tmp_path: Path) -> None:
    """The progress bar measures the compressed file, which is what the user sees on disk."""
    path = tmp_path / "big.csv.gz"
    path.write_bytes(gzip.compress(("id,name\n" + "1,abc\n" * 5000).encode()))
    seen: list[int] = []
    reader = open_table(Source(path), seen.append)
    assert sum(b.num_rows for b in reader.batches()) == 5000
    assert sum(seen) == path.stat().st_size


# -- Excel ----------------------------------------------------------------------------------------


def test_xlsx_cells_read_as_a_user_sees_them(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "decl.xlsx",
        [
            ["Date", "Value", "Importer", "HS Code", "Note"],
            [dt.datetime(2018, 3, 15), 1234.0, "ООО Ромашка", 8708299009, None],
            [None, None, None, None, None],
            [dt.datetime(2018, 3, 15, 10, 20), 1234.5, "ACME", "0401100000", "x"],
            [dt.date(2018, 3, 16), 0.1, "ACME", 4011100000, None, "beyond the header"],
            [dt.datetime(2018, 3, 17), -3.0, 42, 8708.0, "last"],
        ],
    )
    result = read(path)
    assert result.header == ["Date", "Value", "Importer", "HS Code", "Note"]
    assert result.rows == [
        {
            "Date": "2018-03-15",
            "Value": "1234",
            "Importer": "ООО Ромашка",
            "HS Code": "8708299009",
            "Note": "",
            SOURCE_ROW: 1,
        },
        {
            "Date": "2018-03-15 10:20:00",
            "Value": "1234.5",
            "Importer": "ACME",
            "HS Code": "0401100000",
            "Note": "x",
            SOURCE_ROW: 2,
        },
        {
            "Date": "2018-03-17",
            "Value": "-3",
            "Importer": "42",
            "HS Code": "8708",
            "Note": "last",
            SOURCE_ROW: 4,
        },
    ], "the empty row is layout (not counted); the row with an extra cell is record 3"
    assert result.malformed == [
        Malformed(
            3,
            "2018-03-16\t0.1\tACME\t4011100000\t\tbeyond the header",
            "cells beyond the header's 5 columns",
        )
    ]
    assert (result.encoding, result.delimiter) == (None, None)


def test_xlsx_header_after_empty_rows_and_trailing_blank_header_cells(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "offset.xlsx",
        [[], [None, None], ["id", "name", None, None], [1, "a", None, None], [2, "b"]],
    )
    result = read(path)
    assert result.header == ["id", "name"]
    assert result.rows == [
        {"id": "1", "name": "a", SOURCE_ROW: 1},
        {"id": "2", "name": "b", SOURCE_ROW: 2},
    ]


def test_xlsx_duplicate_and_blank_header_cells(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "dup.xlsx", [["Name", None, "Name", 2018], ["a", "b", "c", "d"]])
    assert read(path).header == ["Name", "column_2", "Name_2", "2018"]


def test_xlsx_empty_cover_sheet_is_passed_over(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "cover.xlsx", [["id", "name"], [1, "a"]], sheets=("Cover",))
    result = read(path)
    assert result.header == ["id", "name"]
    assert result.rows == [{"id": "1", "name": "a", SOURCE_ROW: 1}]


def test_xlsx_without_any_content_is_an_input_error(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "blank.xlsx", [])
    with pytest.raises(InputError, match="blank.xlsx: no sheet has a header row"):
        read(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("text", "text"),
        (dt.datetime(2018, 3, 15), "2018-03-15"),
        (dt.datetime(2018, 3, 15, 10, 20, 5), "2018-03-15 10:20:05"),
        (dt.date(2018, 3, 15), "2018-03-15"),
        (1234.0, "1234"),
        (-3.0, "-3"),
        (1234.5, "1234.5"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (42, "42"),
    ],
)
def test_cell_text(value: object, expected: str) -> None:
    assert cell_text(value) == expected


# -- Parquet --------------------------------------------------------------------------------------


def test_parquet_typed_columns_become_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "line": pa.array([1, None, -3], pa.int64()),
            "value": pa.array([1234.0, 0.1, None], pa.float64()),
            "date": pa.array([dt.date(2018, 3, 15), None, dt.date(2020, 2, 29)], pa.date32()),
            "arrived": pa.array(
                [dt.datetime(2018, 3, 15), dt.datetime(2018, 3, 16), None], pa.timestamp("us")
            ),
            "importer": pa.array(["ООО Ромашка", None, "ACME"], pa.string()),
            "hs": pa.array(["0401100000", "8708", ""], pa.large_string()),
        }
    )
    path = tmp_path / "decl.parquet"
    pq.write_table(table, path)
    result = read(path)
    assert result.header == ["line", "value", "date", "arrived", "importer", "hs"]
    assert result.rows == [
        {
            "line": "1",
            "value": "1234",
            "date": "2018-03-15",
            "arrived": "2018-03-15",
            "importer": "ООО Ромашка",
            "hs": "0401100000",
            SOURCE_ROW: 1,
        },
        {
            "line": "",
            "value": "0.1",
            "date": "",
            "arrived": "2018-03-16",
            "importer": "",
            "hs": "8708",
            SOURCE_ROW: 2,
        },
        {
            "line": "-3",
            "value": "",
            "date": "2020-02-29",
            "arrived": "",
            "importer": "ACME",
            "hs": "",
            SOURCE_ROW: 3,
        },
    ]


def test_parquet_timestamps_with_a_time_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "times.parquet"
    stamps = [dt.datetime(2018, 3, 15, 10, 20), dt.datetime(2018, 3, 16)]
    pq.write_table(pa.table({"at": pa.array(stamps, pa.timestamp("s"))}), path)
    first, second = read(path).column("at")
    assert first.startswith("2018-03-15 10:20:00")  # type: ignore[union-attr]
    assert second.startswith("2018-03-16 00:00:00")  # type: ignore[union-attr]


def test_parquet_inside_a_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": ["a", "b"]}), buffer)
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("part.parquet", buffer.getvalue())
    (source,) = expand_sources(path)
    assert read_source(source).rows == [{"id": "a", SOURCE_ROW: 1}, {"id": "b", SOURCE_ROW: 2}]


# -- JSON lines -----------------------------------------------------------------------------------


def test_json_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"id": 1, "importer": "ООО Ромашка", "goods": {"hs": "8708", "qty": [1, 2]}},
            ensure_ascii=False,
        ),
        "[1, 2]",
        "",
        json.dumps({"id": 2, "importer": None, "value": 2.5, "late_key": "x"}),
        "{not json",
        '"a string"',
        json.dumps({"id": 3.0, "value": 10}),
    ]
    result = read(write(tmp_path / "decl.jsonl", "\n".join(lines) + "\n"))
    assert result.header == ["id", "importer", "goods", "value", "late_key"]
    assert result.rows == [
        {
            "id": "1",
            "importer": "ООО Ромашка",
            "goods": '{"hs": "8708", "qty": [1, 2]}',
            "value": "",
            "late_key": "",
            SOURCE_ROW: 1,
        },
        {"id": "2", "importer": "", "goods": "", "value": "2.5", "late_key": "x", SOURCE_ROW: 3},
        {"id": "3", "importer": "", "goods": "", "value": "10", "late_key": "", SOURCE_ROW: 6},
    ]
    assert result.malformed == [
        Malformed(2, "[1, 2]", "malformed line: not a JSON object"),
        Malformed(4, "{not json", "malformed line: not a JSON object"),
        Malformed(5, '"a string"', "malformed line: not a JSON object"),
    ]


def test_json_lines_without_any_object_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="list.json: no JSON object"):
        read(write(tmp_path / "list.json", "[1, 2]\n"))


def test_ndjson_gz(tmp_path: Path) -> None:
    path = tmp_path / "decl.ndjson.gz"
    path.write_bytes(gzip.compress(b'{"id": "a"}\n{"id": "b"}\n'))
    assert read(path).column("id") == ["a", "b"]


# -- files that cannot be read --------------------------------------------------------------------


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": [1]}), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("renamed.csv", _xlsx_bytes(), "renamed.csv: looks like an Excel or zip file"),
        ("renamed.jsonl", _xlsx_bytes(), "renamed.jsonl: looks like an Excel or zip file"),
        ("renamed.csv", _parquet_bytes(), "renamed.csv: looks like a Parquet file"),
        ("text.parquet", b"id,name\n1,a\n", "text.parquet: not a Parquet file"),
        ("text.xlsx", b"id,name\n1,a\n", "text.xlsx: not an Excel .xlsx file"),
        ("zip.xlsx", b"PK\x03\x04 truncated", "zip.xlsx: not a readable Excel workbook"),
    ],
    ids=[
        "xlsx-as-csv",
        "xlsx-as-jsonl",
        "parquet-as-csv",
        "csv-as-parquet",
        "csv-as-xlsx",
        "broken-xlsx",
    ],
)
def test_wrong_extension_is_an_input_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read(path)


@pytest.mark.parametrize(
    "name", ["empty.csv", "empty.tsv", "empty.xlsx", "empty.parquet", "empty.jsonl"]
)
def test_empty_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match=f"{name}: empty file"):
        read(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv.gz", gzip.compress(b"")), ("blank.csv", b"\n\n  \r\n")],
    ids=["empty-gz", "only-blank-lines"],
)
def test_file_without_text_is_an_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"{name}: empty file"):
        read(path)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("report.pdf", "'.pdf'"), ("old.xls", "'.xls'"), ("README", "'(none)'")],
)
def test_unsupported_extension_is_an_input_error(tmp_path: Path, name: str, shown: str) -> None:
    path = write(tmp_path / name, "id,name\n1,a\n")
    with pytest.raises(InputError, match=re.escape(f"{name}: unsupported file type {shown}")):
        read(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputError, match="nowhere.csv: no such file"):
        expand_sources(path)
    with pytest.raises(InputError, match="nowhere.csv: cannot read file"):
        open_table(Source(path))


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        expand_sources(tmp_path)


# -- the invariant: good rows + malformed = records written ---------------------------------------


def _csv(path: Path) -> tuple[Path, int]:
    text = 'id,name\n1,a\n2\n\n3,"multi\nline"\n4,d,extra\n5,e\n'
    return write(path, text), 5


def _make(kind: str, tmp_path: Path) -> tuple[Path, int]:
    """A file of ``kind`` with good and malformed records, and how many records it holds."""
    if kind == "csv":
        return _csv(tmp_path / "f.csv")
    if kind == "tsv":
        return write(tmp_path / "f.tsv", "id\tname\n1\ta\n2\n3\tc\td\n4\td\n"), 4
    if kind == "csv.gz":
        path, count = _csv(tmp_path / "plain.csv")
        gz = tmp_path / "f.csv.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        return gz, count
    if kind == "zip":
        path, count = _csv(tmp_path / "plain.csv")
        archive_path = tmp_path / "f.zip"
        with zipfile.ZipFile(archive_path, "w") as archive:
            archive.write(path, "member.csv")
        return archive_path, count
    if kind == "xlsx":
        rows = [["id", "name"], [1, "a"], [2, "b", "extra"], [], [3, "c"], [4, None, None, "x"]]
        return xlsx(tmp_path / "f.xlsx", rows), 4
    if kind == "parquet":
        path = tmp_path / "f.parquet"
        pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", None, "c"]}), path)
        return path, 3
    if kind == "jsonl":
        text = '{"id": 1}\n\n[2]\n{"id": 3}\nnot json\n{"id": 5, "name": "e"}\n'
        return write(tmp_path / "f.jsonl", text), 5
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["csv", "tsv", "csv.gz", "zip", "xlsx", "parquet", "jsonl"])
def test_every_record_is_either_a_row_or_malformed(tmp_path: Path, kind: str) -> None:
    path, written = _make(kind, tmp_path)
    result = read(path)
    assert len(result.rows) + len(result.malformed) == written
    assert sorted(result.numbers + result.malformed_numbers) == list(range(1, written + 1))


def test_a_record_longer_than_a_block_is_read_whole(tmp_path: Path, monkeypatch) -> None:
    """Arrow needs a record within one block: a longer one is read again with bigger blocks,
    going on after the records already given, with every number (and malformed line) once."""
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 64)
    long_cell = "x" * 3000 + "\nsecond line"  # 64 → 512 → 4096 bytes: two retries
    lines = ["id,name,value"]
    for record in range(1, 41):
        if record == 25:
            lines.append(f'{record},"{long_cell}",v')
        elif record in (3, 30):
            lines.append(f"{record},too few")
        else:
            lines.append(f"{record},name {record},v")
    result = read(write(tmp_path / "long.csv", "\n".join(lines) + "\n"))
    good = [n for n in range(1, 41) if n not in (3, 30)]
    assert result.numbers == good
    assert result.column("id") == [str(n) for n in good]
    assert result.column("name")[good.index(25)] == long_cell
    assert result.malformed_numbers == [3, 30]


def test_a_record_too_long_for_any_block_is_an_input_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 64)
    monkeypatch.setattr(readers, "CSV_MAX_BLOCK_BYTES", 512)
    path = write(tmp_path / "huge.csv", 'id,name\n1,a\n2,"' + "x" * 2000 + '"\n')
    with pytest.raises(InputError, match=r"huge.csv: row after 1: straddling"):
        read(path)
