"""Fuzz targets: every parser that reads user-supplied bytes, behind one signature.

Each target takes raw bytes, feeds them to a tradetrace parser the way a user's file would
reach it (written to a file with the name that selects the format), and consumes the whole
result. The contract every target checks:

* the only exception allowed is tradetrace's own :class:`TradetraceError`, whose message is
  **one line** and, where there is a file, **names it**;
* what parsers return is well formed (record numbers unique, ISO dates, ASCII codes ...).

Anything else (a ``KeyError``, a ``UnicodeDecodeError``, an ``AssertionError`` from the checks
here) is a crash. The module imports no fuzzing engine: ``fuzz/run.py`` drives it with atheris
and ``tests/test_fuzz_properties.py`` shares its seeds and checks.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tradetrace.errors import TradetraceError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "lists"
SHARED = Path(os.environ.get("TRADETRACE_SHARED_DATA") or REPO.parent / "shared" / "data")
SANCTIONS = SHARED / "sanctions"
#: Separates the files of a multi-file target (OFAC CSV set, UK Sanctions List tables).
PART = b"\n=====\n"
SEED_LINES = 40  # lines of each real list file used as a seed (keeps inputs small)


@dataclass(frozen=True)
class Target:
    """A named parser entry point and the inputs its corpus starts from."""

    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]
    modules: tuple[str, ...]  # what atheris instruments for coverage (imported first)
    slow: bool = False  # left out of the default run (e.g. needs a store per input)


class CheckFailed(AssertionError):
    """A parser broke the contract without raising (bad message, bad output)."""


def check_error(exc: TradetraceError, names: Iterable[str] = ()) -> None:
    """A user-facing error is one line and names one of ``names`` (the files involved)."""
    message = str(exc)
    if not message.strip() or "\n" in message or "\r" in message:
        raise CheckFailed(f"error message is not one line: {message!r}")
    names = list(names)
    if names and not any(name in message for name in names):
        raise CheckFailed(f"error message names none of {names}: {message!r}")


# -- scratch files --------------------------------------------------------------------------------


@cache
def scratch() -> Path:
    """One private directory per process; targets overwrite their files in it."""
    path = Path(tempfile.mkdtemp(prefix="tradetrace-fuzz-"))
    return path


def write(name: str, data: bytes) -> Path:
    path = scratch() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fresh_dir(name: str) -> Path:
    path = scratch() / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def text_of(data: bytes) -> str:
    """Bytes as the text a decoder would hand over (never lone surrogates)."""
    return data.decode("utf-8", errors="replace")


# -- seeds ----------------------------------------------------------------------------------------


def head_lines(path: Path, lines: int = SEED_LINES) -> bytes:
    """The first ``lines`` lines of a (possibly gzipped) file; ``b""`` when it is absent."""
    if not path.is_file():
        return b""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return b"".join(line for _, line in zip(range(lines), handle, strict=False))


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    return path.read_bytes() if path.is_file() else b""


def nonempty(*seeds: bytes) -> list[bytes]:
    return [s for s in seeds if s]


RU_HEADER = (
    "Номер ДТ,№ товара,Дата ДТ,Получатель,ИНН получателя,Отправитель,Страна происхождения,"
    "Страна отправления,Код ТН ВЭД,Описание товара,Вес нетто, кг,Фактурная стоимость,Валюта,"
    "Статистическая стоимость, USD"
)
RU_ROWS = (
    '10005030/150318/0012345,1,15.03.2018,ООО «АУРУС»,7743237789,"HANBIT AUTOTECH CO., LTD",'
    '"КОРЕЯ, РЕСПУБЛИКА",KR,8708299009,ПАНЕЛЬ КУЗОВА,"1 234,5",,,"12 345,67"\n'
    "10005030/150318/0012345,2,43174,ООО «АУРУС»,7743237789,ХАНБИТ,КИТАЙ,КАЗАХСТАН,"
    '9026200000,"ДАТЧИК ""X""",10,"1 000,00",EUR,\n'
    "X4,1,31.02.2021\n"
)


def declaration_csv(encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """A small Russian declarations file (the header names ``Вес нетто, кг`` unquoted on
    purpose: quoted it would be one column)."""
    header = RU_HEADER.replace("Вес нетто, кг", '"Вес нетто, кг"').replace(
        "Статистическая стоимость, USD", '"Статистическая стоимость, USD"'
    )
    text = f"{header}\n{RU_ROWS}"
    if delimiter != ",":
        text = text.replace(",", delimiter)
    return text.encode(encoding)


def generic_rows() -> list[dict[str, object]]:
    return [
        {"declaration id": "E1", "date": "2023-01-05", "importer": "Acme LLC",
         "exporter": "Foo GmbH", "hs code": "847150", "value usd": 1234.5},
        {"declaration id": "E2", "date": 45000, "importer": "ООО Ромашка", "exporter": None,
         "hs code": "8708.29", "value usd": "1 000,5"},
    ]  # fmt: skip


def jsonl_seed() -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in generic_rows()).encode() + b"\n"


def xlsx_seed() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    rows = generic_rows()
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([dt.date(2023, 1, 5) if k == "date" else v for k, v in row.items()])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parquet_seed() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = generic_rows()
    table = pa.table({k: [str(r[k]) if r[k] is not None else None for r in rows] for k in rows[0]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ofac_csv_seed() -> bytes:
    """sdn, alt, add, comments and first-seen tables joined by :data:`PART`."""
    ofac = SANCTIONS / "ofac"
    parts = [
        head_lines(ofac / "sdn_2024-05-03.csv.gz"),
        head_lines(ofac / "alt_2025-12.csv.gz"),
        head_lines(ofac / "add_2025-12.csv.gz"),
        head_lines(ofac / "sdn_comments_2025-12.csv.gz", 5),
        head_lines(ofac / "sdn_first_seen_2021-08-18_to_2024-05-03.csv"),
    ]
    return PART.join(parts) if parts[0] else b""


def ofac_cons_seed() -> bytes:
    ofac = SANCTIONS / "ofac"
    names = ("cons_prim", "cons_alt", "cons_add", "cons_comments")
    parts = [head_lines(ofac / f"{name}_2025-12-19.csv") for name in names]
    return PART.join(parts) if parts[0] else b""


UK_TABLES = (
    "subjects", "subject_names", "subject_identifiers", "subject_countries", "subject_dobs",
)  # fmt: skip


def uk_tables_seed() -> bytes:
    folder = SANCTIONS / "uk_covyr"
    if not (folder / "subjects.csv").is_file():
        return b""
    subjects = head_lines(folder / "subjects.csv", 6)
    ids = {line.split(b",")[0] for line in subjects.splitlines()[1:]}
    parts = [subjects]
    for stem in UK_TABLES[1:]:
        path = folder / f"{stem}.csv"
        path = path if path.is_file() else folder / f"{stem}.csv.gz"
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            lines = handle.read().splitlines(keepends=True)
        parts.append(lines[0] + b"".join(ln for ln in lines[1:] if ln.split(b",")[1] in ids))
    return PART.join(parts)


def pakote_seed() -> bytes:
    path = SANCTIONS / "eu_un_ofac_pakote" / "all_2026-01-28.json.gz"
    if not path.is_file():
        return b""
    data = json.loads(gzip.decompress(path.read_bytes()))
    eu = [e for e in data["entities"] if "EU" in e.get("source", [])]
    with_ids = [e for e in eu if e.get("identifiers")][:4]
    small = {"metadata": data["metadata"], "entities": eu[:4] + with_ids}
    return json.dumps(small, ensure_ascii=False).encode()


def ftm_seeds() -> list[bytes]:
    os_dir = SANCTIONS / "opensanctions"
    return nonempty(
        fixture("os_delta_sample.json"),
        head_lines(os_dir / "yente_fixture_t1_entities.ftm.json", 15),
        head_lines(os_dir / "yente_fixture_entities.delta_2024-05-28.json.gz", 8),
    )


# -- declaration readers --------------------------------------------------------------------------


def read_declarations(path: Path) -> tuple[int, int]:
    """Every record of a declaration file read: ``(good rows, malformed records)``.

    Checks that each record number is used once, so quarantine and declarations can never
    both claim (or both miss) a source row.
    """
    from tradetrace.ingest.readers import SOURCE_ROW, expand_sources, open_table

    good = bad = 0
    for source in expand_sources(path):
        reader = open_table(source)
        if len(set(reader.header)) != len(reader.header):
            raise CheckFailed(f"{source.name}: header names repeat: {reader.header}")
        numbers: list[int] = []
        for batch in reader.batches():
            numbers += batch.column(SOURCE_ROW).to_pylist()
            good += batch.num_rows
        malformed = reader.take_malformed()
        numbers += [m.row for m in malformed]
        bad += len(malformed)
        if len(numbers) != len(set(numbers)):
            raise CheckFailed(f"{source.name}: a record number is used twice: {sorted(numbers)}")
    return good, bad


def reader_target(name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        path = write(name, data)
        try:
            read_declarations(path)
        except TradetraceError as exc:
            check_error(exc, [name])

    return run


def zip_target(data: bytes) -> None:
    path = write("export.zip", data)
    try:
        read_declarations(path)
    except TradetraceError as exc:
        check_error(exc, ["export.zip"])


def zip_seeds() -> list[bytes]:
    return [
        zip_of({"a.csv": declaration_csv(), "b.jsonl": jsonl_seed(), "__MACOSX/._a.csv": b"x"}),
        zip_of({"t.parquet": parquet_seed()}),
    ]


# -- profiles -------------------------------------------------------------------------------------


def profile_mapping(data: bytes) -> None:
    """A header (first line, delimiter sniffed) and ``--map`` options (later lines)."""
    from tradetrace.ingest.profiles import parse_overrides, resolve_mapping
    from tradetrace.ingest.readers import dedupe_header, sniff_delimiter

    lines = text_of(data).split("\n")
    delimiter = sniff_delimiter(lines[0], ".csv")
    header = dedupe_header(lines[0].split(delimiter))
    try:
        overrides = parse_overrides([line for line in lines[1:] if line])
        mapping = resolve_mapping(header, None, overrides)
    except TradetraceError as exc:
        check_error(exc)
        return
    for field_name, index in mapping.columns.items():
        if not 0 <= index < len(header):
            raise CheckFailed(f"{field_name} mapped to column {index} of {len(header)}")


def profile_seeds() -> list[bytes]:
    return [
        RU_HEADER.encode(),
        b"declaration id;date;importer;exporter;hs code;Amount (USD)\nAmount (USD)=value_usd",
        b"DECLARATION_NUMBER\tIMP_DATE\tSUPPLIER_NAME\tIMPORTER_NAME\tTOTAL_VALUE_USD\tHS_CODE",
        b"G072,G542,G082,G022,G33,G46\nG46=value_usd\nbad",
    ]


def profile_yaml(data: bytes) -> None:
    from tradetrace.ingest.profiles import get_profile

    path = write("my_layout.yaml", data)
    try:
        get_profile(str(path))
    except TradetraceError as exc:
        check_error(exc, ["my_layout.yaml"])


def profile_yaml_seeds() -> list[bytes]:
    folder = REPO / "src" / "tradetrace" / "ingest" / "profiles"
    return [p.read_bytes() for p in sorted(folder.glob("*.yaml"))]


# -- sanctions lists ------------------------------------------------------------------------------


def consume(entries: Iterator[object]) -> int:
    """Iterate a loader to the end and check every entry's dates are ISO dates."""
    count = 0
    for entry in entries:
        count += 1
        for attr in ("listing_date", "delisting_date"):
            value = getattr(entry, attr)
            if value is not None:
                check_iso_date(value, f"{attr} of {getattr(entry, 'list_entity_id', '?')}")
    return count


def check_iso_date(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise CheckFailed(f"{what}: {value!r} is not a string")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise CheckFailed(f"{what}: {value!r} is not an ISO date") from None
    if len(value) != 10:
        raise CheckFailed(f"{what}: {value!r} is not YYYY-MM-DD")


def list_file_target(name: str, loader: Callable[[Path], Iterator[object]]):
    def run(data: bytes) -> None:
        path = write(name, data)
        try:
            consume(loader(path))
        except TradetraceError as exc:
            check_error(exc, [name])

    return run


def _ofac_files(data: bytes, names: tuple[str, ...]) -> list[Path | None]:
    folder = fresh_dir("ofac")
    parts = data.split(PART)
    paths: list[Path | None] = []
    for i, name in enumerate(names):
        if i < len(parts):
            (folder / name).write_bytes(parts[i])
            paths.append(folder / name)
        else:
            paths.append(None)
    return paths


OFAC_SDN_FILES = (
    "sdn_2024-05-03.csv",
    "alt_2025-12.csv",
    "add_2025-12.csv",
    "sdn_comments_2025-12.csv",
    "sdn_first_seen_2021-08-18_to_2024-05-03.csv",
)
OFAC_CONS_FILES = ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv")


def ofac_sdn_csv(data: bytes) -> None:
    from tradetrace.screen.lists.ofac import load_ofac_csv

    sdn, alt, add, comments, first_seen = _ofac_files(data, OFAC_SDN_FILES)
    assert sdn is not None
    try:
        consume(load_ofac_csv(sdn, alt, add, comments, first_seen, include_delisted=True))
    except TradetraceError as exc:
        check_error(exc, OFAC_SDN_FILES)


def ofac_cons_csv(data: bytes) -> None:
    from tradetrace.screen.lists.ofac import load_ofac_csv

    prim, alt, add, comments = _ofac_files(data, OFAC_CONS_FILES)
    assert prim is not None
    try:
        consume(load_ofac_csv(prim, alt, add, comments, None, list_name="ofac_cons"))
    except TradetraceError as exc:
        check_error(exc, OFAC_CONS_FILES)


def uk_sanctions_list(data: bytes) -> None:
    from tradetrace.screen.lists.uk import load_uk_sanctions_list

    folder = fresh_dir("uk_covyr")
    for stem, part in zip(UK_TABLES, data.split(PART), strict=False):
        (folder / f"{stem}.csv").write_bytes(part)
    try:
        consume(load_uk_sanctions_list(folder))
    except TradetraceError as exc:
        check_error(exc, ["uk_covyr"])


LIST_NAMES = ("sdn_x.csv", "cons_prim_x.csv", "list.xml", "list.json", "list.csv", "list.xml.gz")


def read_list_any(data: bytes) -> None:
    """Format detection plus the store table: the first byte picks the file name."""
    from tradetrace.screen.lists.load import read_list

    name = LIST_NAMES[data[0] % len(LIST_NAMES)] if data else LIST_NAMES[0]
    path = write(f"detect/{name}", data[1:])
    for sibling in path.parent.iterdir():
        if sibling != path:
            sibling.unlink()
    try:
        read_list(path)
    except TradetraceError as exc:
        check_error(exc, [name])


def read_list_seeds() -> list[bytes]:
    seeds = [
        bytes([0]) + head_lines(SANCTIONS / "ofac" / "sdn_2024-05-03.csv.gz"),
        bytes([2]) + fixture("un_sample.xml"),
        bytes([2]) + fixture("ofac_sdn_advanced_sample.xml"),
        bytes([2]) + fixture("eu_fsf_sample.xml"),
        bytes([3]) + fixture("os_delta_sample.json"),
        bytes([3]) + pakote_seed(),
        bytes([4]) + fixture("uk_ofsi_sample.csv"),
        bytes([4]) + fixture("eu_fsf_sample.csv"),
        bytes([5]) + gzip.compress(fixture("un_sample.xml")),
    ]
    return [s for s in seeds if len(s) > 1]


def _gz(*seeds: bytes) -> list[bytes]:
    """Seeds plus a gzipped copy of the first (loaders detect gzip by its magic bytes)."""
    seeds = tuple(s for s in seeds if s)
    return [*seeds, gzip.compress(seeds[0])] if seeds else []


# -- value parsers --------------------------------------------------------------------------------


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def values(data: bytes) -> None:
    """Every single-value parser on one cell of text: none may raise, outputs are canonical."""
    from tradetrace.ingest.profiles import header_key
    from tradetrace.ingest.readers import dedupe_header, detect_encoding, sniff_delimiter
    from tradetrace.reference.countries import country_key, to_iso2, valid_iso2_codes
    from tradetrace.reference.fx import CURRENCY_ALIASES, normalise_currency
    from tradetrace.reference.hs import CHAPTER_SECTIONS, normalise_hs, section_of_chapter
    from tradetrace.resolve import identifiers as ids
    from tradetrace.screen.lists import common, ofac

    text = text_of(data)
    codes = valid_iso2_codes()
    for found in (to_iso2(text), *common.country_codes(text)):
        if found is not None and found not in codes:
            raise CheckFailed(f"country {text!r} -> {found!r}, not an ISO2 code")
    country_key(text)
    currency = normalise_currency(text)
    if currency is not None and currency not in CURRENCY_ALIASES.values():
        raise CheckFailed(f"currency {text!r} -> {currency!r}")
    hs = normalise_hs(text)
    if hs is not None and not (hs.isascii() and hs.isdigit() and hs[:2] in CHAPTER_SECTIONS):
        raise CheckFailed(f"HS {text!r} -> {hs!r}")
    section_of_chapter(text)
    for name, normalise, lengths in (
        ("INN", ids.normalise_inn, (10, 12)),
        ("OGRN", ids.normalise_ogrn, (13, 15)),
        ("IMO", ids.normalise_imo, (7,)),
    ):
        found = normalise(text)
        if found is not None and not (_ascii_digits(found) and len(found) in lengths):
            raise CheckFailed(f"{name} {text!r} -> {found!r}")
    inn, kpp = ids.split_inn_kpp(text)
    if kpp is not None and not ids.is_valid_kpp(kpp):
        raise CheckFailed(f"KPP {text!r} -> {kpp!r}")
    for kind, found_ids in ids.ids_in_text(text).items():
        if kind not in ("inn", "ogrn", "kpp", "imo") or not all(v.isascii() for v in found_ids):
            raise CheckFailed(f"ids_in_text {text!r} -> {kind}: {found_ids!r}")
    ids.identifier_conflict(text, inn)
    for formats in (("%Y-%m-%d",), ("%d/%m/%Y", "%Y-%m-%d"), ("%d %b %Y",)):
        found = common.parse_date(text, formats)
        if found is not None:
            check_iso_date(found, f"parse_date({text!r}, {formats})")
    common.date_in_name(text)
    ofac.parse_remarks(text)
    ofac.parse_programs(text)
    common.split_names(text)
    header_key(text)
    cells = text.split(",")
    if len(set(dedupe_header(cells))) != len(cells):
        raise CheckFailed(f"dedupe_header({cells!r}) repeats a name")
    sniff_delimiter(text, ".csv")
    try:
        detect_encoding(data, complete=True)
    except TradetraceError as exc:
        check_error(exc)


def value_seeds() -> list[bytes]:
    samples = [
        "КОРЕЯ, РЕСПУБЛИКА", "IN, INDIA", "Congo, Democratic Republic of the", "643", "РУБ.",
        "8708.29 90 09", "7743237789", "ИНН/КПП 7722476458/772201001", "IMO 9074729",
        "Tax ID No. 7743237789 (Russia); Registration Number 1177746340998 (Russia); "
        "a.k.a. 'AURUS'; Listing Date (EO 14024): 24 Feb 2024", "[RUSSIA-EO14024] [UKRAINE]",
        "2024-02-23T00:00:00Z", "31/02/2021", "24 Feb 2022", "sdn_2024-05-03.csv.gz",
    ]  # fmt: skip
    return [s.encode() for s in samples] + ["ПРИВЕТ мир".encode("cp1251")]


SQL_PARSERS = ("parse_date", "parse_number", "normalise_hs", "country_key", "currency_key")


@cache
def _sql_parsers() -> object:
    """A DuckDB view applying every normaliser of ``ingest.normalise`` to table ``cells``.

    The compiled SQL is large (Ibis inlines each parser where it is used), so planning it costs
    more than running it: inputs are batched, and the optimizer, which only rewrites the plan,
    is off.
    """
    import duckdb
    import ibis

    from tradetrace.ingest import normalise

    table = ibis.table({"v": "string"}, name="cells")
    expr = table.select(
        v=table.v,
        date=normalise.parse_date(table.v),
        number=normalise.parse_number(table.v),
        number_comma=normalise.parse_number(table.v, ","),
        hs=normalise.normalise_hs(table.v),
        country=normalise.country_key(table.v),
        currency=normalise.currency_key(table.v),
        direction=normalise.direction_of(table.v, "import"),
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE cells (v VARCHAR)")
    con.execute(f"CREATE VIEW parsed AS {ibis.to_sql(expr, dialect='duckdb')}")
    con.execute("PRAGMA disable_optimizer")
    return con


def parse_cells(cells: list[str]) -> list[tuple]:
    """Run the engine's normalisers on ``cells``: (cell, date, number, number with decimal
    comma, hs, country key, currency key, direction) per cell."""
    import pyarrow as pa

    con = _sql_parsers()
    con.execute("DELETE FROM cells")
    con.register("_input", pa.table({"v": pa.array(cells, pa.string())}))
    try:
        con.execute("INSERT INTO cells SELECT v FROM _input")
    finally:
        con.unregister("_input")
    return con.execute("SELECT * FROM parsed").fetchall()


def check_parsed_cell(row: tuple) -> None:
    """Output of :func:`parse_cells` for one cell is null or canonical."""
    import math

    text, day, number, number_comma, hs, _country, _currency, direction = row
    if day is not None and not dt.date(1900, 1, 1) <= day <= dt.date(2120, 1, 1):
        raise CheckFailed(f"parse_date({text!r}) -> {day}")
    for value in (number, number_comma):
        if value is not None and not math.isfinite(value):
            raise CheckFailed(f"parse_number({text!r}) -> {value}")
    if hs is not None and not (_ascii_digits(hs) and len(hs) >= 2):
        raise CheckFailed(f"normalise_hs({text!r}) -> {hs!r}")
    if direction not in (None, "import", "export"):
        raise CheckFailed(f"direction_of({text!r}) -> {direction!r}")


def sql_values(data: bytes) -> None:
    """The vectorised normalisers (run in DuckDB) on each line of the input."""
    for row in parse_cells(text_of(data).split("\n")[:256]):
        check_parsed_cell(row)


def sql_value_seeds() -> list[bytes]:
    samples = [
        "15.03.2018", "2022-05-01 10:00", "20180315", "43174", "43174.5", "Apr 2023",
        "1 234,56", "1.234.567,89", "1,234", "-0,5", "1e308", "8708299009", "КИТАЙ", "36", "ЭК",
    ]  # fmt: skip
    return ["\n".join(samples).encode()]


def fx_user_rates(data: bytes) -> None:
    from tradetrace.reference.fx import load_user_rates

    path = write("rates.csv", data)
    try:
        load_user_rates(path)
    except TradetraceError as exc:
        check_error(exc, ["rates.csv"])


def fx_seeds() -> list[bytes]:
    return ["currency,date,usd_per_unit\nRUB,2023-05-02,0.0125\nРУБ,2023-05-03,1\n".encode()]


# -- ingest end to end (slow: a store per process, about 0.2 s per input) -------------------------


@cache
def _store() -> tuple[ExitStack, object]:
    """The store, with the stack that keeps it open (a dropped context manager closes it)."""
    from tradetrace.store import open_store

    stack = ExitStack()
    return stack, stack.enter_context(open_store(scratch() / "fuzz.duckdb"))


def ingest_csv(data: bytes) -> None:
    """The whole pipeline: ``rows_in = loaded + quarantined`` and the store agrees."""
    from tradetrace.ingest.pipeline import ingest

    _, store = _store()
    path = write("ingest.csv", data)
    try:
        result = ingest(store, [path])
    except TradetraceError as exc:
        check_error(exc, ["ingest.csv"])
        return
    check_ingest_result(store, result)


def check_ingest_result(store, result) -> None:
    """Lossless: every file's rows are loaded or quarantined, in the result and in the store."""
    for file in result.files:
        if file.skipped:
            continue
        if file.rows_in != file.loaded + file.quarantined:
            raise CheckFailed(f"{file.file}: {file.rows_in} != {file.loaded} + {file.quarantined}")
        run = file.sha256  # hex digits only: safe to inline in the read-only query
        counts = store.query(
            f"SELECT (SELECT count(*) FROM declarations WHERE ingest_id = '{run}') AS loaded, "
            f"(SELECT count(*) FROM quarantine WHERE ingest_id = '{run}') AS quarantined"
        ).to_pylist()[0]
        if (counts["loaded"], counts["quarantined"]) != (file.loaded, file.quarantined):
            raise CheckFailed(f"{file.file}: store holds {counts}, result says {file}")


# -- the registry ---------------------------------------------------------------------------------


def _lazy_loader(module: str, function: str) -> Callable[[Path], Iterator[object]]:
    def load(path: Path) -> Iterator[object]:
        import importlib

        return getattr(importlib.import_module(module), function)(path)

    return load


LISTS = "tradetrace.screen.lists"
READERS = ("tradetrace.ingest.readers",)
PROFILES = (*READERS, "tradetrace.ingest.profiles")
LIST_COMMON = (
    f"{LISTS}.common",
    "tradetrace.reference.countries",
    "tradetrace.resolve.identifiers",
)
OFAC = (*LIST_COMMON, f"{LISTS}.ofac")
UN = (*LIST_COMMON, f"{LISTS}.un")
EU = (*LIST_COMMON, f"{LISTS}.eu")
UK = (*LIST_COMMON, f"{LISTS}.uk")
FTM = (*LIST_COMMON, f"{LISTS}.opensanctions")
VALUES = (
    *OFAC, *PROFILES, "tradetrace.reference.fx", "tradetrace.reference.hs",
)  # fmt: skip
TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "csv",
            reader_target("declarations.csv"),
            lambda: [
                declaration_csv(),
                declaration_csv("cp1251", ";"),
                b"\xef\xbb\xbf" + declaration_csv(),
                declaration_csv(delimiter="|"),
            ],
            READERS,
        ),  # fmt: skip
        Target(
            "tsv",
            reader_target("declarations.tsv"),
            lambda: [declaration_csv("utf-8", "\t")],
            READERS,
        ),
        Target(
            "csv_gz",
            reader_target("declarations.csv.gz"),
            lambda: [
                gzip.compress(declaration_csv()),
                gzip.compress(declaration_csv("cp1251", ";")),
            ],
            READERS,
        ),  # fmt: skip
        Target("xlsx", reader_target("declarations.xlsx"), lambda: [xlsx_seed()], READERS),
        Target("parquet", reader_target("declarations.parquet"), lambda: [parquet_seed()], READERS),
        Target("jsonl", reader_target("declarations.jsonl"), lambda: [jsonl_seed()], READERS),
        Target("zip", zip_target, zip_seeds, READERS),
        Target("profile_mapping", profile_mapping, profile_seeds, PROFILES),
        Target("profile_yaml", profile_yaml, profile_yaml_seeds, PROFILES),
        Target(
            "ofac_sdn_csv",
            ofac_sdn_csv,
            lambda: nonempty(
                ofac_csv_seed(),
                fixture("ofac_sdn_bad_columns.csv"),
            ),
            OFAC,
        ),  # fmt: skip
        Target("ofac_cons_csv", ofac_cons_csv, lambda: nonempty(ofac_cons_seed()), OFAC),
        Target(
            "ofac_advanced_xml",
            list_file_target(
                "sdn_advanced.xml", _lazy_loader(f"{LISTS}.ofac", "load_ofac_advanced_xml")
            ),
            lambda: _gz(
                fixture("ofac_sdn_advanced_sample.xml"),
                fixture("ofac_sdn_advanced_truncated.xml"),
            ),
            OFAC,
        ),  # fmt: skip
        Target(
            "un_xml",
            list_file_target("un_consolidated.xml", _lazy_loader(f"{LISTS}.un", "load_un_xml")),
            lambda: _gz(fixture("un_sample.xml"), fixture("un_external_entity.xml")),
            UN,
        ),
        Target(
            "eu_fsf_xml",
            list_file_target("eu_fsf.xml", _lazy_loader(f"{LISTS}.eu", "load_eu_fsf_xml")),
            lambda: _gz(fixture("eu_fsf_sample.xml")),
            EU,
        ),
        Target(
            "eu_fsf_csv",
            list_file_target("eu_fsf.csv", _lazy_loader(f"{LISTS}.eu", "load_eu_fsf_csv")),
            lambda: _gz(fixture("eu_fsf_sample.csv")),
            EU,
        ),
        Target(
            "eu_pakote_json",
            list_file_target("pakote_all.json", _lazy_loader(f"{LISTS}.eu", "load_pakote_json")),
            lambda: nonempty(pakote_seed()),
            EU,
        ),
        Target(
            "uk_ofsi_csv",
            list_file_target(
                "uk_ofsi_conlist.csv", _lazy_loader(f"{LISTS}.uk", "load_ofsi_conlist")
            ),
            lambda: _gz(
                fixture("uk_ofsi_sample.csv"),
                head_lines(SANCTIONS / "uk_ofsi" / "uk_ofsi_conlist_2025-04-10.csv.gz", 12),
            ),
            UK,
        ),  # fmt: skip
        Target("uk_sanctions_list", uk_sanctions_list, lambda: nonempty(uk_tables_seed()), UK),
        Target(
            "opensanctions_ftm",
            list_file_target(
                "entities.ftm.json", _lazy_loader(f"{LISTS}.opensanctions", "load_ftm")
            ),
            ftm_seeds,
            FTM,
        ),
        Target("read_list", read_list_any, read_list_seeds, (*OFAC, f"{LISTS}.load")),
        Target("values", values, value_seeds, VALUES),
        Target("fx_user_rates", fx_user_rates, fx_seeds, ("tradetrace.reference.fx",)),
        Target(
            "sql_values",
            sql_values,
            sql_value_seeds,
            ("tradetrace.ingest.normalise",),
            slow=True,
        ),
        Target(
            "ingest_csv",
            ingest_csv,
            lambda: [declaration_csv()],
            (*READERS, "tradetrace.ingest.pipeline"),
            slow=True,
        ),
    )
}
