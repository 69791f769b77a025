"""Hostile input, as properties: broken exports never escape as tracebacks, and no row is lost.

Every reader, the profile mapper, every sanctions-list loader and the value parsers get random
and damaged input (random delimiters, quotes, encodings, BOMs, NUL bytes, truncation, byte flips,
corrupt .gz/.zip wrappers, mutated real list fixtures). The properties:

* the only exception allowed is a :class:`TradetraceError` whose message is one line naming the
  file (``fuzz/targets.py`` holds these checks, shared with the atheris harness);
* readers number each record once, and keep every record of an undamaged file, cell for cell;
* ingest through the real pipeline keeps ``rows_in = loaded + quarantined`` (the plain UTF-8
  comma case is ``tests/test_ingest.py``'s; here: other delimiters, encodings, wrappers, formats,
  damage), and a file that fails leaves the store as it was;
* parsers return canonical values (ISO dates, ASCII codes) and round-trip what they should.

``TRADETRACE_FUZZ_EXAMPLES=N`` multiplies every example count (default 1: the file runs in
about 30 s). The end of the file keeps one regression test per bug the fuzzing found.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import struct
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from stdnum.ru import inn as stdnum_inn

from tradetrace.errors import InputError, ProfileError, TradetraceError
from tradetrace.ingest.detect import Options
from tradetrace.ingest.pipeline import ingest
from tradetrace.ingest.profiles import (
    builtin_profiles,
    get_profile,
    parse_overrides,
    resolve_mapping,
)
from tradetrace.ingest.readers import expand_sources, open_table
from tradetrace.reference.countries import to_iso2, valid_iso2_codes
from tradetrace.reference.fx import load_user_rates
from tradetrace.reference.hs import normalise_hs
from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.screen.lists.eu import load_eu_fsf_xml, load_pakote_json
from tradetrace.screen.lists.load import detect
from tradetrace.screen.lists.ofac import load_ofac_advanced_xml
from tradetrace.screen.lists.opensanctions import load_ftm
from tradetrace.screen.lists.uk import load_uk_sanctions_list
from tradetrace.screen.lists.un import load_un_xml
from tradetrace.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import targets  # noqa: E402  (fuzz/ is not a package: its targets are shared with atheris)

SCALE = max(1, int(os.environ.get("TRADETRACE_FUZZ_EXAMPLES", "1")))
DATA = Path(__file__).parent / "data" / "lists"


def fuzz(examples: int) -> settings:
    """Modest example counts (scaled by TRADETRACE_FUZZ_EXAMPLES), no deadline: files are I/O."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def clean_or_error(call: Callable[[], object], *names: str) -> object | None:
    """``call()``'s result, or None when it raised a one-line TradetraceError naming a file."""
    try:
        return call()
    except TradetraceError as exc:
        targets.check_error(exc, names)
        return None


# -- damage ----------------------------------------------------------------------------------------

TOKENS = [
    b'"', b"\n", b"\r", b"\r\n", b"\x00", b",", b";", b"\t", b"|", b"\xef\xbb\xbf", b"\xff\xfe",
    b"\x98", b"\xd0", b"<", b">", b"&", b"&amp;", b"]]>", b"<!DOCTYPE x>", b"{", b"}", b"[", b"-0-",
    b"\\ud800", b"PK\x03\x04", b"\x1f\x8b",
]  # fmt: skip
DAMAGE = st.lists(
    st.tuples(
        st.sampled_from(["truncate", "flip", "insert", "delete", "duplicate"]),
        st.integers(0, 1 << 20),
        st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=6)),
    ),
    max_size=3,
)


def damaged(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    """``data`` cut, flipped, spliced: what disks, mail gateways and vendors do to files."""
    out = bytearray(data)
    for op, where, payload in ops:
        at = where % (len(out) + 1)
        if op == "truncate":
            del out[at:]
        elif op == "flip" and out:
            out[at % len(out)] ^= 1 << (where % 8)
        elif op == "insert":
            out[at:at] = payload
        elif op == "delete":
            del out[at : at + 1 + where % 64]
        elif op == "duplicate":
            out[at:at] = out[at : at + 1 + where % 64]
    return bytes(out)


# -- delimited text --------------------------------------------------------------------------------

RU_HEADER = next(csv.reader([targets.RU_HEADER.replace(", кг", " кг").replace(", USD", " USD")]))
GENERIC_HEADER = ["declaration id", "date", "importer", "exporter", "hs code", "value usd"]
TRICKY = [
    "", " ", '"', '""', "a,b", "a;b", "a\tb", "a|b", "two\nlines", "cr\ronly", "\r\n", "\x00",
    "\ufeff", "ООО «А»", "15.03.2018", "31.02.2021", "43174", "8708299009", "1 234,5", "KR",
    "КИТАЙ", "USD", "RUB", "=cmd|' /C calc'!A0", "\\", "'", "\u00a0", "\U0001f600",
]  # fmt: skip
CELL = st.one_of(st.sampled_from(TRICKY), st.text(max_size=10))
HEADERS = st.one_of(
    st.sampled_from([RU_HEADER, GENERIC_HEADER]),
    st.lists(CELL, min_size=1, max_size=6),
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1251", "utf-16"]


@st.composite
def delimited(draw: st.DrawFn, damage: bool = True) -> bytes:
    """A CSV written by the csv module (random dialect and encoding), maybe damaged after."""
    header = draw(HEADERS)
    width = len(header)
    rows = draw(
        st.lists(st.lists(CELL, min_size=max(width - 2, 0), max_size=width + 2), max_size=8)
    )
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
    )
    writer.writerows([header, *rows])
    data = buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    return damaged(data, draw(DAMAGE)) if damage else data


@fuzz(40)
@given(data=delimited(), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_delimited_text_never_escapes_and_numbers_each_record_once(data: bytes, suffix: str):
    name = f"declarations{suffix}"
    clean_or_error(lambda: targets.read_declarations(targets.write(name, data)), name)


WORDS = ["ООО", "Ромашка", "болт", "ДАТЧИК", "Москва", "KR", "8708", "1 234,5", "a b", "x-y", "7"]
SAFE_CELL = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abcXYZ019 .,-/()", max_size=8))


def read_all(path: Path) -> tuple[list[list[str]], list[int]]:
    """Good rows' cells (by position) and malformed record numbers of one plain file."""
    [source] = expand_sources(path)
    reader = open_table(source)
    rows: list[list[str]] = []
    for batch in reader.batches():
        columns = [batch.column(i).to_pylist() for i in range(len(reader.header))]
        rows += [list(cells) for cells in zip(*columns, strict=True)] if columns else []
    return rows, [m.row for m in reader.take_malformed()]


@fuzz(25)
@given(
    header=st.lists(
        st.sampled_from(["id", "name", "Дата", "value", "Страна"]), min_size=1, max_size=5
    ),
    rows=st.lists(st.lists(SAFE_CELL, min_size=1, max_size=6), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_undamaged_tsv_keeps_every_record_cell_for_cell(header, rows, encoding, newline):
    """Wrong-width rows are malformed, never dropped; good rows come back exactly as written."""
    rows = [[f"r{i}", *row[1:]] for i, row in enumerate(rows)]  # no blank line: first cell set
    text = newline.join("\t".join(r) for r in [header, *rows]) + newline
    good, malformed = read_all(targets.write("table.tsv", text.encode(encoding)))
    expected = [r for r in rows if len(r) == len(header)]
    assert good == expected
    assert sorted(malformed) == [i + 1 for i, r in enumerate(rows) if len(r) != len(header)]


@fuzz(25)
@given(
    rows=st.lists(
        st.lists(CELL.filter(lambda c: "\x00" not in c), min_size=3, max_size=3), max_size=8
    ),
    delimiter=st.sampled_from([",", ";", "|"]),
)
def test_quoted_csv_keeps_delimiters_quotes_and_newlines_in_cells(rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows([["id", "name", "note"], *rows])
    good, malformed = read_all(targets.write("quoted.csv", buffer.getvalue().encode()))
    assert malformed == []
    assert good == rows


# -- wrappers: .gz and .zip, whole or corrupt ------------------------------------------------------


@fuzz(30)
@given(
    data=delimited(damage=False),
    wrapper=st.sampled_from(["gz", "zip"]),
    member=st.sampled_from(["a.csv", "dir/b.tsv", "c.txt", "d.jsonl", "e.exe", ".hidden.csv"]),
    ops=DAMAGE,
)
def test_compressed_and_zipped_files_read_like_plain_ones_or_fail_cleanly(
    data: bytes, wrapper: str, member: str, ops
):
    if wrapper == "gz":
        name, wrapped = "declarations.csv.gz", gzip.compress(data)
    else:
        name, wrapped = "declarations.zip", targets.zip_of({member: data})
    result = clean_or_error(
        lambda: targets.read_declarations(targets.write(name, damaged(wrapped, ops))), name
    )
    if not ops and result is not None and (wrapper == "gz" or member in ("a.csv", "c.txt")):
        plain = clean_or_error(lambda: targets.read_declarations(targets.write("plain.csv", data)))
        assert result == plain


# -- spreadsheets, Parquet, JSON lines ------------------------------------------------------------

XLSX_TEXT = st.text(  # what XML 1.0 can hold; "=…" would be a formula without a cached value
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn")), max_size=10
).filter(lambda t: not t.startswith("="))
XLSX_CELL = st.one_of(
    st.none(),
    XLSX_TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@fuzz(20)
@given(
    header=st.lists(XLSX_TEXT.filter(str.strip), min_size=1, max_size=4),
    rows=st.lists(st.lists(XLSX_CELL, max_size=6), max_size=6),
    ops=DAMAGE,
)
def test_xlsx_keeps_every_non_empty_row_or_fails_cleanly(header, rows, ops):
    path = targets.write("declarations.xlsx", damaged(xlsx_bytes([header, *rows]), ops))
    counted = clean_or_error(lambda: targets.read_declarations(path), "declarations.xlsx")
    if not ops:
        assert counted is not None
        good, bad = counted
        assert good + bad == sum(any(c not in (None, "") for c in row) for row in rows)


@fuzz(20)
@given(
    columns=st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.sampled_from(["string", "int64", "float64", "timestamp"]),
        min_size=1,
        max_size=4,
    ),
    length=st.integers(0, 5),
    values=st.data(),
    ops=DAMAGE,
)
def test_parquet_keeps_every_row_or_fails_cleanly(columns, length, values, ops):
    kinds = {
        "string": st.one_of(st.none(), st.text(max_size=8)),
        "int64": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        "float64": st.one_of(st.none(), st.floats()),
        "timestamp": st.one_of(st.none(), st.datetimes(dt.datetime(1970, 1, 1))),
    }
    table = pa.table(
        {
            name: pa.array(
                values.draw(st.lists(kinds[kind], min_size=length, max_size=length)),
                pa.timestamp("s") if kind == "timestamp" else kind,
            )
            for name, kind in columns.items()
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    path = targets.write("declarations.parquet", damaged(buffer.getvalue(), ops))
    counted = clean_or_error(lambda: targets.read_declarations(path), "declarations.parquet")
    if not ops:
        assert counted == (length, 0)


JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
JSON_VALUE = st.recursive(
    JSON_SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
JSON_LINE = st.one_of(
    st.dictionaries(st.text(max_size=8), JSON_VALUE, max_size=5).map(json.dumps),
    JSON_VALUE.map(json.dumps),
    st.sampled_from(
        ["", "   ", "{not json", '{"a": "\\ud800"}', '{"a": 1e999}', "[" * 5000, '{"a": 1}{"b": 2}']
    ),
    st.text(max_size=12).filter(lambda t: "\n" not in t and "\r" not in t),
)


@fuzz(30)
@given(lines=st.lists(JSON_LINE, min_size=1, max_size=10), gz=st.booleans())
def test_json_lines_every_line_is_a_row_or_malformed(lines: list[str], gz: bool):
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    name = "declarations.jsonl.gz" if gz else "declarations.jsonl"
    path = targets.write(name, gzip.compress(data) if gz else data)
    counted = clean_or_error(lambda: targets.read_declarations(path), name)
    records = sum(bool(line.strip()) for line in data.split(b"\n"))
    assert counted is None or sum(counted) == records


# -- column-mapping profiles -----------------------------------------------------------------------

#: headers a built-in profile names (graph codes) and headers read by their words
WORD_HEADERS = ["Date", "Дата ДТ", "Importer", "Получатель", "Exporter name", "Supplier",
                "Value USD", "Фактурная стоимость", "Quantity", "HS code", "Код ТН ВЭД",
                "Country of origin", "Month", "Direction"]  # fmt: skip
ALIASES = sorted(
    {a for p in builtin_profiles().values() for names in p.fields.values() for a in names}
    | set(WORD_HEADERS)
)
FIELDS = sorted({f for p in builtin_profiles().values() for f in p.fields})
HEADER_CELL = st.one_of(st.sampled_from(ALIASES), st.text(max_size=12))


@fuzz(60)
@given(
    header=st.lists(HEADER_CELL, max_size=20),
    maps=st.lists(
        st.one_of(
            st.tuples(HEADER_CELL, st.sampled_from(FIELDS)).map("=".join),
            st.text(max_size=15),
        ),
        max_size=3,
    ),
)
def test_profile_mapping_maps_valid_columns_or_says_why_in_one_line(header, maps):
    try:
        mapping = resolve_mapping(header, None, parse_overrides(maps))
    except ProfileError as exc:
        targets.check_error(exc)
        return
    assert all(0 <= i < len(header) for i in mapping.columns.values())
    # a mapping is returned only when its rows could be counted: a date, an amount, a party
    have = set(mapping.columns)
    assert have & {"date", "period"}
    assert have & {"value", "value_usd", "quantity"}
    assert have & {"importer_name", "exporter_name"}


YAML_TEXT = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@fuzz(30)
@given(
    doc=st.fixed_dictionaries(
        {},
        optional={
            k: YAML_TEXT
            for k in ("name", "fields", "currencies", "decimal", "direction", "reporter")
        },
    ),
    ops=DAMAGE,
)
def test_profile_files_load_or_say_why_in_one_line(doc, ops):
    text = json.dumps(doc).encode()  # JSON is YAML; damage makes it anything
    targets.profile_yaml(damaged(text, ops))


# -- sanctions lists: mutated real fixtures --------------------------------------------------------

LIST_TARGETS = [
    "ofac_sdn_csv", "ofac_cons_csv", "ofac_advanced_xml", "un_xml", "eu_fsf_xml", "eu_fsf_csv",
    "eu_pakote_json", "uk_ofsi_csv", "uk_sanctions_list", "opensanctions_ftm", "read_list",
]  # fmt: skip
SEEDS: dict[str, list[bytes]] = {}


def seeds_of(name: str) -> list[bytes]:
    if name not in SEEDS:
        SEEDS[name] = targets.TARGETS[name].seeds()
    return SEEDS[name]


@pytest.mark.parametrize("name", LIST_TARGETS)
@fuzz(15)
@given(pick=st.integers(0, 1000), ops=DAMAGE)
def test_mutated_list_files_load_or_fail_in_one_line_naming_the_file(name: str, pick: int, ops):
    """Truncated, flipped and spliced list files: entries with ISO dates, or a one-line error."""
    seeds = seeds_of(name)
    if not seeds:
        pytest.skip(f"no fixture for {name} (shared data absent?)")
    targets.TARGETS[name].run(damaged(seeds[pick % len(seeds)], ops))


# -- value parsers ---------------------------------------------------------------------------------


@fuzz(150)
@given(text=st.one_of(st.text(max_size=30), st.sampled_from(targets.value_seeds())))
def test_value_parsers_never_raise_and_return_canonical_values(text):
    targets.values(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))


@fuzz(15)
@given(cells=st.lists(st.one_of(st.text(max_size=20), st.sampled_from(TRICKY)), max_size=40))
def test_engine_normalisers_return_null_or_canonical_values(cells):
    for row in targets.parse_cells(cells):
        targets.check_parsed_cell(row)


DATE_FORMATS = ["%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M"]


@fuzz(5)
@given(
    days=st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), max_size=30), data=st.data()
)
def test_engine_dates_round_trip(days: list[dt.date], data):
    formats = [data.draw(st.sampled_from(DATE_FORMATS)) for _ in days]
    rows = targets.parse_cells([d.strftime(f) for d, f in zip(days, formats, strict=True)])
    assert [row[1] for row in rows] == days


def spaced(number: str, sep: str) -> str:
    """``1234567`` with ``sep`` between groups of three digits."""
    return re.sub(r"\B(?=(\d{3})+(?!\d))", sep, number)


@fuzz(5)
@given(cents=st.lists(st.integers(0, 10**12), max_size=30), data=st.data())
def test_engine_numbers_round_trip_in_every_separator_style(cents: list[int], data):
    texts = []
    for c in cents:
        whole, frac = str(c // 100), f"{c % 100:02d}"
        style = data.draw(st.sampled_from(["plain", "space", "nbsp", "dot_comma", "comma_dot"]))
        texts.append(
            {
                "plain": f"{whole}.{frac}",
                "space": f"{spaced(whole, ' ')},{frac}",
                "nbsp": f"{spaced(whole, chr(0xA0))},{frac}",
                "dot_comma": f"{spaced(whole, '.')},{frac}",
                "comma_dot": f"{spaced(whole, ',')}.{frac}",
            }[style]
        )
    rows = targets.parse_cells(texts)
    assert [row[2] for row in rows] == [pytest.approx(c / 100) for c in cents]


@fuzz(40)
@given(body=st.integers(0, 10**9 - 1), noise=st.sampled_from(["", "ИНН ", "INN: ", " "]))
def test_inn_round_trips_with_labels_and_a_lost_leading_zero(body: int, noise: str):
    digits = f"{body:09d}"
    inn = digits + stdnum_inn.calc_company_check_digit(digits)
    if inn.startswith("00"):
        return
    assert normalise_inn(f"{noise}{inn}") == inn
    if inn.startswith("0"):
        assert normalise_inn(inn[1:]) == inn


@fuzz(40)
@given(code=st.sampled_from(sorted(valid_iso2_codes())), style=st.sampled_from([str.lower, str]))
def test_every_iso_code_maps_to_itself(code: str, style):
    assert to_iso2(f" {style(code)} ") == code


# -- ingest end to end: rows_in = loaded + quarantined ---------------------------------------------


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory) -> Iterator:
    """One store for every example (a fresh one costs 0.3 s): checks are per file (ingest_id)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
        with open_store(tmp_path_factory.mktemp("fuzz-ingest") / "store.duckdb") as store:
            yield store


def ingest_checked(store, path: Path) -> None:
    """Ingest one file: lossless when it loads, the store unchanged when it fails."""
    before = (store.count("declarations"), store.count("quarantine"), store.count("ingest_runs"))
    try:
        result = ingest(store, [path])
    except TradetraceError as exc:
        event(f"refused: {type(exc).__name__}")  # --hypothesis-show-statistics shows the mix
        targets.check_error(exc, [path.name])
        after = (store.count("declarations"), store.count("quarantine"), store.count("ingest_runs"))
        assert after == before, f"{path.name} failed but changed the store"
        return
    event("loaded" if result.loaded else "all quarantined" if result.rows_in else "empty/skipped")
    targets.check_ingest_result(store, result)


GOOD_RU_ROWS = [
    ["10005030/150318/0012345", "1", "15.03.2018", "ООО «АУРУС»", "7743237789",
     "HANBIT AUTOTECH CO., LTD", "КОРЕЯ, РЕСПУБЛИКА", "KR", "8708299009", "ПАНЕЛЬ", "1 234,5", "",
     "", "12 345,67"],
    ["10005030/150318/0012345", "2", "2018-03-15", "ООО «АУРУС»", "", "ХАНБИТ", "КИТАЙ", "CN",
     "9026200000", "ДАТЧИК", "10", "1 000,00", "EUR", ""],
]  # fmt: skip
RU_ROW = st.one_of(  # rows that load and rows that are quarantined, in one file
    st.sampled_from(GOOD_RU_ROWS),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), min_size=10, max_size=16),
)


@fuzz(12)
@given(
    rows=st.lists(RU_ROW, min_size=1, max_size=10),
    delimiter=st.sampled_from([";", "\t", "|"]),
    encoding=st.sampled_from(["cp1251", "utf-8-sig", "utf-16"]),
    ops=DAMAGE,
    wrapper=st.sampled_from(["", ".gz", ".zip"]),
    extra=st.one_of(st.text(max_size=6), st.sampled_from(["\x00", "'", '"', "\\", "Дата ДТ"])),
)
def test_ingest_is_lossless_for_any_dialect_encoding_wrapper_or_damage(
    fuzz_store, rows, delimiter, encoding, ops, wrapper, extra
):
    """``extra``: one more column with any name (names reach the compiled SQL)."""
    buffer = io.StringIO()
    header = [*RU_HEADER, extra]
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    data = damaged(buffer.getvalue().encode(encoding, errors="replace"), ops)
    if wrapper == ".gz":
        data = gzip.compress(data)
    elif wrapper == ".zip":
        data = targets.zip_of({"member.csv": data})
    ingest_checked(
        fuzz_store, targets.write(f"ingest.csv{wrapper}".replace(".csv.zip", ".zip"), data)
    )


GOOD_ROW = dict(
    zip(GENERIC_HEADER, ["E1", "2023-01-05", "Acme", "Foo", "847150", 5.5], strict=True)
)
GENERIC_ROW = st.one_of(
    st.just(GOOD_ROW),
    st.fixed_dictionaries(
        {k: st.one_of(st.sampled_from(TRICKY), JSON_SCALAR) for k in GENERIC_HEADER}
    ),
)


@fuzz(6)
@given(rows=st.lists(GENERIC_ROW, min_size=1, max_size=8), junk=st.lists(JSON_LINE, max_size=3))
def test_ingest_is_lossless_for_json_lines(fuzz_store, rows, junk):
    lines = [json.dumps(r) for r in rows] + junk
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    ingest_checked(fuzz_store, targets.write("ingest.jsonl", data))


@fuzz(6)
@given(
    rows=st.lists(
        st.one_of(
            st.just(["E1", dt.date(2023, 1, 5), "Acme", "Foo", "847150", 5.5]),
            st.lists(XLSX_CELL, min_size=6, max_size=7),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_ingest_is_lossless_for_spreadsheets(fuzz_store, rows):
    ingest_checked(fuzz_store, targets.write("ingest.xlsx", xlsx_bytes([GENERIC_HEADER, *rows])))


# -- hostile XML: refused in one line, and every XML parse goes through defusedxml -----------------

UN_BODY = (
    '<CONSOLIDATED_LIST dateGenerated="2026-02-27"><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>'
    "<FIRST_NAME>{name}</FIRST_NAME><REFERENCE_NUMBER>KPi.1</REFERENCE_NUMBER>"
    "<LISTED_ON>2016-03-02</LISTED_ON></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
)
OFAC_BODY = (
    '<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/'
    'ADVANCED_XML"><DistinctParties><DistinctParty FixedRef="1"><Profile ID="1"><Identity ID="1">'
    '<Alias Primary="true"><DocumentedName><DocumentedNamePart><NamePartValue>{name}'
    "</NamePartValue></DocumentedNamePart></DocumentedName></Alias></Identity></Profile>"
    "</DistinctParty></DistinctParties></Sanctions>"
)
EU_BODY = (
    '<export generationDate="2024-01-01T00:00:00"><sanctionEntity logicalId="1" '
    'designationDate="2022-02-25"><subjectType code="enterprise"/><nameAlias wholeName="{name}"/>'
    "</sanctionEntity></export>"
)
LAUGHS = "".join(
    f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "lol"}">' for i in range(10)
)
ATTACKS = {
    "billion_laughs": (f"<!DOCTYPE {{root}} [{LAUGHS}]>", "&l9;"),
    "xxe_file": ('<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),
    "external_dtd": ('<!DOCTYPE {root} SYSTEM "file:///etc/passwd">', "X"),
    "external_dtd_http": ('<!DOCTYPE {root} PUBLIC "-//X//DTD" "http://127.0.0.1:9/x.dtd">', "X"),
    "parameter_entity": ('<!DOCTYPE {root} [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', "X"),
}
LOADERS = {
    "un": ("CONSOLIDATED_LIST", UN_BODY, load_un_xml),
    "ofac_advanced": ("Sanctions", OFAC_BODY, load_ofac_advanced_xml),
    "eu_fsf": ("export", EU_BODY, load_eu_fsf_xml),
}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("loader", LOADERS)
def test_hostile_xml_is_refused_in_one_line(tmp_path: Path, loader: str, attack: str) -> None:
    root, body, load = LOADERS[loader]
    doctype, name = ATTACKS[attack]
    path = tmp_path / f"{loader}_{attack}.xml"
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype.format(root=root) + "\n"
    path.write_text(text + body.format(name=name))
    with pytest.raises(
        InputError, match=rf"^{re.escape(str(path))}: line 2, column \d+: unsafe XML"
    ):
        list(load(path))
    plain = tmp_path / f"{loader}_plain.xml"
    plain.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body.format(name="ACME"))
    assert [e.name for e in load(plain)] == ["ACME"]  # the same file without the DTD loads


@pytest.mark.parametrize("attack", ["billion_laughs", "xxe_file"])
def test_hostile_xml_inside_an_xlsx_is_refused(tmp_path: Path, attack: str) -> None:
    doctype, entity = ATTACKS[attack]
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes([GENERIC_HEADER, ["E1"] * 6])))
    members = {i.filename: workbook.read(i.filename) for i in workbook.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = doctype.format(root="worksheet") + sheet.replace("<t>E1</t>", f"<t>{entity}</t>", 1)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(targets.zip_of(members))
    with pytest.raises(InputError, match="hostile.xlsx: not a readable Excel"):
        targets.read_declarations(path)


def test_every_xml_parse_in_src_goes_through_defusedxml() -> None:
    """Only types (Element, ParseError, TreeBuilder) may come from the stdlib's ElementTree;
    parsers come from defusedxml, and nothing uses lxml, minidom, sax or expat directly."""
    src = Path(__file__).resolve().parents[1] / "src"
    unsafe = re.compile(
        r"\b(lxml|minidom|xml\.sax|pyexpat|xml\.parsers\.expat)\b"
        r"|\bxml\.etree\.(c?ElementTree)\.(parse|fromstring|iterparse|XMLParser|XML)\b"
        r"|from xml\.etree\.c?ElementTree import [^\n]*"
        r"\b(parse|fromstring|iterparse|XMLParser|XML)\b"
        r"|^\s*import xml\.etree"
    )
    found = [
        f"{path.relative_to(src)}:{n}: {line.strip()}"
        for path in sorted(src.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line)
    ]
    assert found == []
    assert "defusedxml" in (src / "tradetrace/screen/lists/common.py").read_text()


# -- regressions: one test per bug the fuzzing found (docs/fuzzing.md lists them) ------------------


def raises_one_line(call: Callable[[], object], name: str, match: str = "") -> str:
    with pytest.raises(TradetraceError) as info:
        call()
    targets.check_error(info.value, [name])
    assert re.search(match, str(info.value)), str(info.value)
    return str(info.value)


def test_bug_lone_cr_in_the_header_line(tmp_path: Path) -> None:
    """csv.Error "new-line character seen in unquoted field" escaped from the header parse."""
    path = tmp_path / "cr.csv"
    path.write_bytes(b"id,na\rme,x\n1,2\n")
    assert targets.read_declarations(path) == (2, 0)  # a lone CR ends the header line


def test_bug_utf8_bom_on_text_that_is_not_utf8(tmp_path: Path) -> None:
    """The BOM was trusted: Arrow's bad-row callback then failed to decode the row ("Exception
    ignored") and the file was refused as "Expected 3 columns, got 2"."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,b,c\n1,2,3\n4,\xff5\n")
    raises_one_line(lambda: targets.read_declarations(path), "bom.csv", "byte 0xff at offset 17")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_bug_nul_in_a_header_name_broke_the_compiled_sql(tmp_path: Path, store, kind: str) -> None:
    """duckdb ParserException "unterminated quoted string": header names reach the SQL (raw-row
    JSON keys, reject column), and the engine's parser stops at a NUL (found by Hypothesis)."""
    path = tmp_path / f"nul.{kind}"
    if kind == "csv":
        path.write_bytes(
            b"date,importer,hs code,value usd,no\x00te\n2023-01-05,A,8471,5,x\nbad,A,8471,5,y\n"
        )
    else:
        row = {"importer": "A", "hs code": "8471", "value usd": 5}
        rows = [{**row, "date": "2023-01-05", "\x00": 1}, {**row, "date": "bad", "": 2}]
        path.write_text("\n".join(json.dumps(r) for r in rows))
    result = ingest(store, [path], options=Options(reporter="RU"))
    assert (result.rows_in, result.loaded, result.quarantined) == (2, 1, 1)


def test_bug_byte_cp1251_does_not_define(tmp_path: Path) -> None:
    """UnicodeDecodeError from Arrow's transcoder (0x98 is undefined in cp1251)."""
    path = tmp_path / "cp.csv"
    path.write_bytes("Номер;Дата\nООО Ромашка;болт\n".encode("cp1251") + b"\x98;x\n")
    raises_one_line(lambda: targets.read_declarations(path), "cp.csv", "not cp1251 text")


@pytest.mark.parametrize("name", ["cut.csv.gz", "cut.zip"])
def test_bug_corrupt_deflate_stream(tmp_path: Path, name: str) -> None:
    """zlib.error (not an OSError) escaped from a corrupt .gz or zip member."""
    data = targets.declaration_csv() * 50
    packed = gzip.compress(data) if name.endswith(".gz") else targets.zip_of({"a.csv": data})
    start = 30 if name.endswith(".gz") else 60
    broken = (
        packed[:start] + bytes(b ^ 0x55 for b in packed[start : start + 40]) + packed[start + 40 :]
    )
    raises_one_line(lambda: targets.read_declarations(targets.write(name, broken)), name)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_bug_damaged_parquet_page(tmp_path: Path) -> None:
    """OSError "Couldn't deserialize thrift" escaped while streaming batches."""
    data = parquet_bytes(pa.table({"id": [str(i) for i in range(100)]}))
    path = tmp_path / "t.parquet"
    path.write_bytes(data[:4] + b"\xff" * 12 + data[16:])
    raises_one_line(lambda: targets.read_declarations(path), "t.parquet")


def test_bug_parquet_column_name_not_utf8(tmp_path: Path) -> None:
    """UnicodeDecodeError from pyarrow reading a column name."""
    data = parquet_bytes(pa.table({"value usd": ["1"]})).replace(b"value usd", b"val\xf5e usd")
    path = tmp_path / "t.parquet"
    path.write_bytes(data)
    raises_one_line(lambda: targets.read_declarations(path), "t.parquet", "not a readable Parquet")


def test_bug_parquet_text_not_utf8_crashed_the_store(tmp_path: Path, store) -> None:
    """DuckDB's InvalidInputException ("Invalid unicode") escaped from ingest."""
    rows = targets.generic_rows()
    columns = {k: [None if r[k] is None else str(r[k]) for r in rows] for k in rows[0]}
    columns["importer"] = pa.array([b"Acme \xff", b"ok"], pa.binary()).view(pa.string())
    path = tmp_path / "t.parquet"
    path.write_bytes(parquet_bytes(pa.table(columns)))
    raises_one_line(lambda: ingest(store, [path]), "t.parquet", "column 'importer', rows 1-2")
    assert store.count("declarations") == 0


def test_bug_json_line_with_a_lone_surrogate_is_quarantined(tmp_path: Path, store) -> None:
    """UnicodeEncodeError: the line parsed, then Arrow could not hold its text."""
    path = tmp_path / "s.jsonl"
    good = json.dumps(
        {"declaration id": "E1", "date": "2023-01-05", "importer": "A", "exporter": "B",
         "hs code": "8471", "value usd": 5}
    )  # fmt: skip
    path.write_text(f'{good}\n{{"importer": "A\\ud800"}}\n{"[" * 100_000}\n')
    result = ingest(store, [path], options=Options(direction="import", reporter="US"))
    assert (result.rows_in, result.loaded, result.quarantined) == (3, 1, 2)


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda sheet: sheet[: len(sheet) // 2], "not a readable Excel sheet"),
        (lambda sheet: sheet.replace(b'r="A2"', b'r="ZZZZZZZZ2"', 1), "not a valid column name"),
        (lambda sheet: sheet.replace(b"<v>1234.5", b"<v>x1234.5", 1), "could not convert"),
    ],
)
def test_bug_damaged_sheet_fails_while_streaming(tmp_path: Path, damage, match: str) -> None:
    """ParseError / ValueError from openpyxl iterating a read-only sheet."""
    rows = [["id", "value"], ["E1", 1234.5]]
    workbook = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    members = {i.filename: workbook.read(i.filename) for i in workbook.infolist()}
    members["xl/worksheets/sheet1.xml"] = damage(members["xl/worksheets/sheet1.xml"])
    path = tmp_path / "d.xlsx"
    path.write_bytes(targets.zip_of(members))
    raises_one_line(lambda: targets.read_declarations(path), "d.xlsx", match)


def zip_with(member: str, patch: Callable[[bytearray], None] | None = None, **info) -> bytes:
    """A one-member zip, its ZipInfo fields set and its bytes then patched."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        zinfo = zipfile.ZipInfo(member)
        for key, value in info.items():
            setattr(zinfo, key, value)
        archive.writestr(zinfo, targets.declaration_csv())
    data = bytearray(buffer.getvalue())
    if patch:
        patch(data)
    return bytes(data)


def _central(data: bytearray) -> int:
    return data.rindex(b"PK\x01\x02")


def _newer_version(data: bytearray) -> None:
    data[_central(data) + 6] = 99  # "version needed to extract": 9.9


def _bad_utf8_name(data: bytearray) -> None:
    at = _central(data)
    struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 0x800)
    name = data.index(b"a.csv", at)
    data[name] = 0x80


def _encrypted(data: bytearray) -> None:
    """zipfile writes no encrypted members: set the flag in both headers instead."""
    for header, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(header) + offset
        struct.pack_into("<H", data, at, struct.unpack_from("<H", data, at)[0] | 0x1)


def _strong_encryption(data: bytearray) -> None:
    at = _central(data) + 8  # flag bit 6: zipfile refuses it only when the member is opened
    struct.pack_into("<H", data, at, struct.unpack_from("<H", data, at)[0] | 0x40)


def _bad_utf8_local_name(data: bytearray) -> None:
    at = data.index(b"PK\x03\x04")  # only the local header: the listing is fine, opening is not
    struct.pack_into("<H", data, at + 6, struct.unpack_from("<H", data, at + 6)[0] | 0x800)
    data[at + 31] = 0xF2


def _crc_mismatch(data: bytearray) -> None:
    at = _central(data)
    data[at + 16] ^= 0xFF  # the CRC the reader checks at the member's end


@pytest.mark.parametrize(
    "member, patch, info, match",
    [
        ("", None, {}, "holds no supported file"),
        ("a.csv", _newer_version, {}, "not a readable zip archive"),
        ("a.csv", _bad_utf8_name, {}, "not a readable zip archive"),
        ("a.csv", _encrypted, {}, "v.zip:a.csv: encrypted"),
        ("a.csv", _strong_encryption, {}, "strong encryption"),
        ("a.csv", _bad_utf8_local_name, {}, "v.zip:a.csv: cannot read file"),
        ("a.csv", None, {"compress_type": 9}, "compression method 9"),
        ("x\ny.csv", None, {"compress_type": 9}, r"v.zip:'x\\ny.csv': zip compression"),
    ],
)
def test_bug_zip_archives_zipfile_cannot_read(tmp_path: Path, member, patch, info, match) -> None:
    """IndexError (nameless member), NotImplementedError (newer version, Deflate64),
    UnicodeDecodeError (name flagged UTF-8), RuntimeError (encrypted) from zipfile."""
    path = tmp_path / "v.zip"
    if info.get("compress_type") == 9:  # zipfile cannot write Deflate64: patch the method
        data = bytearray(zip_with(member))
        for header in (b"PK\x03\x04", b"PK\x01\x02"):
            at = data.index(header)
            data[at + (8 if header == b"PK\x03\x04" else 10)] = 9
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(zip_with(member, patch, **info))
    raises_one_line(lambda: targets.read_declarations(path), "v.zip", match)


def test_bug_damaged_member_found_by_the_checksum(tmp_path: Path, store) -> None:
    """BadZipFile (CRC) escaped from Source.sha256, which reads the whole member."""
    path = tmp_path / "crc.zip"
    path.write_bytes(zip_with("a.csv", _crc_mismatch))
    raises_one_line(lambda: ingest(store, [path]), "crc.zip", "Bad CRC-32")


@pytest.mark.parametrize(
    "text, match",
    [
        (b"currency,date\nRUB,2023-01-01\n", "missing column"),
        (b"currency,date,usd_per_unit\nRUB,23-01-01,1\n", "not an ISO date"),
        (b"currency,date,usd_per_unit\nRUB,2023-01-01,0.1\n\xd0\n", "not UTF-8"),
    ],
)
def test_bug_fx_rates_errors_were_tracebacks(tmp_path: Path, text: bytes, match: str) -> None:
    """ValueError / UnicodeDecodeError from --fx-rates; now InputErrors (still ValueErrors)."""
    path = tmp_path / "rates.csv"
    path.write_bytes(text)
    message = raises_one_line(lambda: load_user_rates(path), "rates.csv", match)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_user_rates(path)
    raises_one_line(lambda: load_user_rates(tmp_path / "none.csv"), "none.csv", "cannot read")


@pytest.mark.parametrize(
    "text, match",
    [
        (b'fields: ["a"\nname: x\n', "not a valid profile"),
        (b"currencies: [1, 2]\n", "not a valid profile"),
        (b"name: 2021-02-30\n", "day is out of range"),
        (b"name: \xff\n", "cannot read the profile"),
        (b"fields:\n  1: [a]\n  x: [b]\n", "unknown field"),
        (b'fields: {"\\n": [a]}\n', r"unknown field\(s\) '\\n'"),
    ],
)
def test_bug_profile_files(tmp_path: Path, text: bytes, match: str) -> None:
    """Multi-line YAML errors, UnicodeDecodeError, AttributeError, ValueError, TypeError."""
    path = tmp_path / "mine.yaml"
    path.write_bytes(text)
    raises_one_line(lambda: get_profile(str(path)), "mine.yaml", match)


def test_bug_map_option_with_a_carriage_return() -> None:
    """The --map error echoed the header raw, CR included: two lines on a terminal."""
    with pytest.raises(ProfileError) as info:
        resolve_mapping(["a", "b"], None, {"x\ry": "value_usd"})
    targets.check_error(info.value)


def test_bug_unmappable_header_names_the_file(tmp_path: Path, store) -> None:
    """ProfileError "cannot map the header" did not say which file (README: it must)."""
    path = tmp_path / "odd.csv"
    path.write_text("foo,bar\n1,2\n")
    raises_one_line(lambda: ingest(store, [path]), "odd.csv", "cannot map the header")


def test_bug_short_rows_in_uk_sanctions_list_tables(tmp_path: Path) -> None:
    """TypeError joining None: DictReader filled a short row's cells with None."""
    (tmp_path / "subjects.csv").write_text(
        "unique_id,subject_type,date_designated,last_updated\nRUS0001\n"
    )
    (tmp_path / "subject_names.csv").write_text(
        "unique_id,name_type,full_name,name_1,name_2\nRUS0001,primary\n"
    )
    [entry] = load_uk_sanctions_list(tmp_path)
    assert (entry.list_entity_id, entry.name) == ("RUS0001", "RUS0001")


def test_bug_corrupt_gz_list_in_format_detection(tmp_path: Path) -> None:
    """zlib.error escaped from detect() reading the head of a damaged .gz list."""
    path = tmp_path / "list.xml.gz"
    data = gzip.compress(DATA.joinpath("un_sample.xml").read_bytes())
    path.write_bytes(data[:20] + b"\x00" * 40 + data[60:])
    raises_one_line(lambda: detect(path), "list.xml.gz")


@pytest.mark.parametrize("encoding", ["U-0-TF-8", "EUC-JP"])
def test_bug_xml_declared_encoding_python_cannot_read(tmp_path: Path, encoding: str) -> None:
    """LookupError / ValueError escaped from the XML parser."""
    path = tmp_path / "un.xml"
    path.write_text(f'<?xml version="1.0" encoding="{encoding}"?>' + UN_BODY.format(name="X"))
    raises_one_line(lambda: list(load_un_xml(path)), "un.xml", "unsupported XML encoding")


@pytest.mark.parametrize(
    "entity, match",
    [
        ({"name": ["A"], "source": ["EU"], "source_id": "1"}, r"entities\[0\]: 'name' is not text"),
        ({"name": "A", "source": "EU", "source_id": "1"}, "'source' is not a list of text"),
        ({"name": "A", "source": ["EU"], "identifiers": [{"number": 5}]}, "identifier"),
    ],
)
def test_bug_pakote_values_of_the_wrong_json_type(tmp_path: Path, entity: dict, match: str):
    """TypeError deep in the loader when a name was a list (found by atheris)."""
    path = tmp_path / "all.json"
    path.write_text(json.dumps({"metadata": {"generated": 5}, "entities": [entity]}))
    raises_one_line(lambda: list(load_pakote_json(path)), "all.json", match)


@pytest.mark.parametrize(
    "field, value", [("schema", 5), ("caption", ["a"]), ("referents", 5), ("datasets", 5)]
)
def test_bug_ftm_values_of_the_wrong_json_type(tmp_path: Path, field: str, value: object):
    """AttributeError / TypeError deep in the loader for non-text schema, caption …"""
    entity = {"id": "x1", "schema": "Company", "target": True, "properties": {"name": ["A"]}}
    path = tmp_path / "e.ftm.json"
    path.write_text(json.dumps({**entity, field: value}) + "\n")
    raises_one_line(lambda: list(load_ftm(path)), "e.ftm.json", f"line 1: '{field}' is not")


def test_bug_hs_codes_with_non_ascii_digits() -> None:
    """normalise_hs kept "٠" (Python's \\d is Unicode): an HS code of non-ASCII digits. Now,
    like the engine's normaliser (``[^0-9]``), only ASCII digits count."""
    assert normalise_hs("87٠8") == "878"
    assert normalise_hs("٨٧٠٨") is None
    assert normalise_hs("8708.29") == "870829"
