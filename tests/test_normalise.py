"""Normalisation: raw text cells → canonical typed rows, or a reject naming column and cell.

The parsers are Ibis expressions, so they are exercised the way the pipeline runs them: in
DuckDB, over string columns. Whole rows go through :func:`normalise` with References built
from the real reference tables (country aliases, currency aliases, ECB rates).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tradetrace.ingest.detect import Options, read_file
from tradetrace.ingest.normalise import (
    References,
    country_key,
    currency_key,
    direction_of,
    hs_section,
    normalise,
    normalise_hs,
    parse_date,
    parse_number,
    trim_cells,
    with_raw_rows,
)
from tradetrace.ingest.profiles import Mapping, Profile
from tradetrace.ingest.readers import SOURCE_ROW
from tradetrace.model import DECLARATION_COLUMNS
from tradetrace.reference import countries, hs
from tradetrace.reference.countries import country_alias_table
from tradetrace.reference.fx import (
    CURRENCY_ALIASES,
    currency_alias_table,
    ecb_usd_rates,
    monthly_usd_rates,
    normalise_currency,
)

FX_COLUMNS = ["currency", "date", "usd_per_unit"]
FX_SCHEMA = pa.schema(
    [("currency", pa.string()), ("date", pa.date32()), ("usd_per_unit", pa.float64())]
)
#: ECB USD per EUR on 2018-03-15 (a Thursday) and 2018-03-16 (Friday, also used on Saturday).
EUR_2018_03_15 = 1.2341
EUR_2018_03_16 = 1.2301


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def con():
    connection = ibis.duckdb.connect()
    yield connection
    connection.disconnect()


@pytest.fixture(scope="module")
def ecb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pa.Table]:
    """The real ECB table (cached in a temporary dir), cut to the currencies used here."""
    cache: Path = tmp_path_factory.mktemp("xdg_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        rates = ecb_usd_rates(cache_path=cache / "ecb_usd_rates.parquet")
    keep = pc.is_in(rates["currency"], pa.array(["EUR", "USD", "RUB", "CNY", "AUD"]))
    yield rates.filter(keep).select(FX_COLUMNS)


@pytest.fixture(scope="module")
def refs(con, ecb: pa.Table) -> References:
    """The store's reference tables; the user's FX table is a view tests may swap."""
    con.con.register("ref_fx_user", FX_SCHEMA.empty_table())
    return References(
        country_aliases=con.create_table("ref_country_aliases", country_alias_table()),
        currency_aliases=con.create_table("ref_currency_aliases", currency_alias_table()),
        fx_ecb=con.create_table("ref_fx_ecb", ecb),
        fx_user=con.table("ref_fx_user"),
        fx_monthly=con.create_table("ref_fx_monthly", monthly_usd_rates()),
    )


def evaluate(con, parser: Callable, values: list[str | None], **kwargs) -> list[object]:
    """``parser`` applied to a string column holding ``values``, in DuckDB."""
    table = ibis.memtable({"s": values}, schema={"s": "string"})
    return con.to_pyarrow(table.select(out=parser(table.s, **kwargs)))["out"].to_pylist()


class Normaliser:
    """``normalise()`` compiled once for a header and what the user says of the file (as the
    pipeline does) and run on any rows staged under the same name. Rows are ``{header:
    cell}``; missing cells are ""."""

    def __init__(
        self, con, refs: References, header: tuple[str, ...], name: str, options: Options
    ) -> None:
        self.con = con
        self.header = header
        self.stage_name = f"stage_{name}"
        con.con.register(self.stage_name, self._stage([]))
        mapping = read_file("decl.csv", list(header), None, options).mapping
        expr = normalise(con.table(self.stage_name), mapping, refs, "decl.csv", "ingest-1")
        self.sql = str(con.compile(expr))

    def _stage(self, rows: list[dict[str, str]]) -> pa.Table:
        columns = {
            f"c{i}": pa.array([row.get(name, "") for row in rows], pa.string())
            for i, name in enumerate(self.header)
        }
        columns[SOURCE_ROW] = pa.array(range(1, len(rows) + 1), pa.int64())
        return pa.table(columns)

    def rows(self, rows: list[dict[str, str]]) -> list[dict[str, object]]:
        """The normalised rows in staging order (``source_row`` 1, 2, ...), in one run."""
        self.con.con.register(self.stage_name, trim_cells(self._stage(rows)))
        out = self.con.con.execute(self.sql).to_arrow_table()
        return sorted(out.to_pylist(), key=lambda row: row["source_row"])


# A generic English layout read by its header words (decimal "."), of Russian imports:
#: what the user says of it (the header alone tells neither).
GENERIC = Options(direction="import", reporter="RU")
HEADER = (
    "Declaration",
    "Line",
    "Date",
    "Direction",
    "Importer",
    "Importer INN",
    "Exporter",
    "Origin",
    "HS Code",
    "Net weight",
    "Value",
    "Currency",
    "Value USD",
)
GOOD = {
    "Declaration": "10005020/150318/0001234",
    "Line": "1",
    "Date": "15.03.2018",
    "Direction": "ИМ",
    "Importer": "OOO ROMASHKA",
    "Importer INN": "7701234567",
    "Exporter": "HYUNDAI MOBIS",
    "Origin": "KR",
    "HS Code": "8708299009",
    "Net weight": "12.5",
    "Value": "1000",
    "Currency": "EUR",
    "Value USD": "",
}

# Whole-row cases are GOOD rows with some cells changed (keyword names use _ for spaces).
# Planning the compiled expression costs about a second, rows cost nothing: every case the
# module wants is registered with ``want`` next to its table and normalised in one run.
_WANTED: dict[tuple, dict[str, str]] = {}


def _key(changes: dict[str, str]) -> tuple:
    return tuple(sorted((name.replace("_", " "), cell) for name, cell in changes.items()))


def want(**changes: str) -> None:
    _WANTED[_key(changes)] = {**GOOD, **dict(_key(changes))}


@pytest.fixture(scope="module")
def norm(con, refs: References) -> Normaliser:
    return Normaliser(con, refs, HEADER, "words", GENERIC)


@pytest.fixture(scope="module")
def normalised(norm: Normaliser) -> Callable[..., dict[str, object]]:
    """``normalised(Origin="KR")``: the normalised GOOD row with those cells changed."""
    keys = [_key({}), *_WANTED]
    rows = norm.rows([GOOD, *_WANTED.values()])
    by_key = dict(zip(keys, rows, strict=True))

    def lookup(**changes: str) -> dict[str, object]:
        assert _key(changes) in by_key, f"register the case with want({changes})"
        return by_key[_key(changes)]

    return lookup


@pytest.fixture
def user_rates(con, norm: Normaliser) -> Iterator[Normaliser]:
    """``norm`` with the user's own rates (``--fx-rates``) next to the ECB's."""
    user = pa.table(
        {
            "currency": ["EUR", "RUB"],
            "date": pa.array([dt.date(2018, 3, 15), dt.date(2022, 5, 1)], pa.date32()),
            "usd_per_unit": [2.0, 0.0125],
        },
        schema=FX_SCHEMA,
    )
    con.con.register("ref_fx_user", user)
    yield norm
    con.con.register("ref_fx_user", FX_SCHEMA.empty_table())


# -- numbers --------------------------------------------------------------------------------------

NUMBERS: list[tuple[str | None, float | None, float | None]] = [
    # text, under decimal ".", under decimal ","
    ("1 234,56", 1234.56, 1234.56),
    ("1\u00a0234,56", 1234.56, 1234.56),
    ("1\u202f234,56", 1234.56, 1234.56),
    ("1.234,56", 1234.56, 1234.56),
    ("1,234.56", 1234.56, 1234.56),
    ("1234.56", 1234.56, 1234.56),
    ("1.234.567", 1234567.0, 1234567.0),
    ("1,234,567", 1234567.0, 1234567.0),
    ("1,5", 1.5, 1.5),
    ("1,234", 1234.0, 1.234),
    ("-1,234", -1234.0, -1.234),
    ("0,500", 0.5, 0.5),
    ("0,001", 0.001, 0.001),
    ("12'345", 12345.0, 12345.0),
    ("-3", -3.0, -3.0),
    ("+5", 5.0, 5.0),
    (".5", 0.5, 0.5),
    ("1e5", 100000.0, 100000.0),
    ("1,5E-3", 0.0015, 0.0015),
    ("abc", None, None),
    ("12 кг", None, None),
    ("$100", None, None),
    ("inf", None, None),
    ("nan", None, None),
    ("1.2.3,4,5", None, None),
    ("", None, None),
    (None, None, None),
]


@pytest.fixture(scope="module")
def parsed_numbers(con) -> dict[tuple[str | None, str], object]:
    """Every NUMBERS text parsed under both decimal marks (one query each)."""
    texts = [text for text, _, _ in NUMBERS]
    parsed = {}
    for decimal in ".,":
        values = evaluate(con, parse_number, texts, decimal=decimal)
        parsed.update({(text, decimal): value for text, value in zip(texts, values, strict=True)})
    return parsed


@pytest.mark.parametrize(("text", "point", "comma"), NUMBERS, ids=[repr(n[0]) for n in NUMBERS])
def test_parse_number(parsed_numbers, text, point, comma) -> None:
    """Spaces (also non-breaking) and apostrophes group thousands; a lone comma is a decimal
    comma, except "1,234" under a ``decimal: "."`` profile; words, inf and nan are no number."""
    assert parsed_numbers[text, "."] == pytest.approx(point)
    assert parsed_numbers[text, ","] == pytest.approx(comma)


# -- dates ----------------------------------------------------------------------------------------

D = dt.date
DATES: list[tuple[str | None, dt.date | None]] = [
    ("15.03.2018", D(2018, 3, 15)),
    ("15/03/2018", D(2018, 3, 15)),
    ("15-03-2018", D(2018, 3, 15)),
    ("5.3.2018", D(2018, 3, 5)),
    ("15.03.2018 0:00:00", D(2018, 3, 15)),
    ("2018-03-15", D(2018, 3, 15)),
    ("2018-3-5", D(2018, 3, 5)),
    ("2018-03-15 10:20:00", D(2018, 3, 15)),
    ("2018-03-15T10:20:00Z", D(2018, 3, 15)),
    ("20180315", D(2018, 3, 15)),
    ("43174", D(2018, 3, 15)),
    ("43174.4166", D(2018, 3, 15)),
    ("Apr 2023", D(2023, 4, 1)),
    ("APRIL-2023", D(2023, 4, 1)),
    ("sep 2023", D(2023, 9, 1)),
    ("29.02.2020", D(2020, 2, 29)),
    ("29.02.2021", None),
    ("31.02.2021", None),
    ("31.04.2021", None),
    ("2021-13-01", None),
    ("00.01.2021", None),
    ("20181315", None),
    ("15.03.18", None),
    ("01.01.1850", None),
    ("12345", None),
    ("вчера", None),
    ("", None),
    (None, None),
]


@pytest.fixture(scope="module")
def parsed_dates(con) -> dict[str | None, object]:
    texts = [text for text, _ in DATES]
    return dict(zip(texts, evaluate(con, parse_date, texts), strict=True))


@pytest.mark.parametrize(("text", "expected"), DATES, ids=[repr(d[0]) for d in DATES])
def test_parse_date(parsed_dates, text, expected) -> None:
    """Impossible dates are rejected, never rolled over (31.02 is not 03.03); a five-digit
    number between 20000 and 80000 is an Excel serial day (43174 = 2018-03-15)."""
    assert parsed_dates[text] == expected


# -- HS codes -------------------------------------------------------------------------------------

HS_CODES = [
    ("8708.29.90.09", "8708299009"),
    ("8708 29 9009", "8708299009"),
    ("8708-29", "870829"),
    ("401110000", "0401110000"),
    ("10121", "010121"),
    ("8708", "8708"),
    ("ABC", None),
    ("87AB08", None),
    ("7712345678", None),
    ("9801000000", None),
    ("00", None),
    ("1", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), HS_CODES, ids=[repr(c[0]) for c in HS_CODES])
def test_normalise_hs(con, text, expected) -> None:
    """Digits only; a lost leading zero (5, 7 or 9 digits) is restored; the chapter must be an
    HS chapter (01-97 without the reserved 77); letters make it no code at all."""
    assert evaluate(con, normalise_hs, [text]) == [expected]


def test_normalise_hs_agrees_with_the_reference_for_digit_codes(con) -> None:
    codes = [text for text, _ in HS_CODES if text is None or not any(c.isalpha() for c in text)]
    assert evaluate(con, normalise_hs, codes) == [hs.normalise_hs(code) for code in codes]


def test_hs_section(con) -> None:
    chapters = ["01", "05", "15", "27", "71", "76", "78", "84", "87", "97", "77", "98", None]
    expected = ["I", "I", "III", "V", "XIV", "XV", "XV", "XVI", "XVII", "XXI", "XV", None, None]
    # 77 is reserved, but never reaches hs_section: normalise_hs already refused it.
    assert evaluate(con, hs_section, chapters) == expected


# -- countries, currencies, directions -------------------------------------------------------------


def test_country_key_is_the_reference_key(con) -> None:
    """The engine computes the same lookup key as ``reference.countries.country_key``
    (a leading "IN," vendor code stands for the country)."""
    names = ["КОРЕЯ, РЕСПУБЛИКА", "Korea, Rep.", "ЁЛКА-ТАУН", "Côte d'Ivoire", "TAIWAN (CHINA)"]
    assert evaluate(con, country_key, names) == [countries.country_key(n) for n in names]
    assert evaluate(con, country_key, ["IN, INDIA", "in , india"]) == ["IN", "IN"]


def test_currency_key_finds_what_the_reference_finds(con) -> None:
    """Case, inner spaces and Excel-dropped zeros of ISO numeric codes ("36") do not matter."""
    cells = ["643", "РУБ", "usd", " доЛл.  США ", "36", "978", "€", "ZZZ"]
    keys = evaluate(con, currency_key, cells)
    assert [CURRENCY_ALIASES.get(k) for k in keys] == [normalise_currency(c) for c in cells]
    assert [CURRENCY_ALIASES.get(k) for k in keys] == [
        "RUB",
        "RUB",
        "USD",
        "USD",
        "AUD",
        "EUR",
        "EUR",
        None,
    ]


DIRECTIONS = [
    ("ИМ", "import"),
    ("ЭК", "export"),
    ("IM", "import"),
    ("EK", "export"),
    ("export", "export"),
    ("Import", "import"),
    ("ЭКСПОРТ", "export"),
    ("IM40", "import"),
    (None, "import"),
    ("транзит", "import"),
]


@pytest.mark.parametrize(("text", "expected"), DIRECTIONS, ids=[repr(d[0]) for d in DIRECTIONS])
def test_direction_of(con, text, expected) -> None:
    """Missing or unknown means the file's direction (a note says so for unknown words)."""
    assert evaluate(con, lambda s: direction_of(s, "import"), [text]) == [expected]


def test_direction_of_without_a_file_direction(con) -> None:
    """With no file direction an unknown word is no direction (the row is quarantined)."""
    assert evaluate(con, lambda s: direction_of(s, None), ["ЭК", "транзит", None]) == [
        "export",
        None,
        None,
    ]


# -- whole rows: a good row -----------------------------------------------------------------------


def test_good_row(normalised) -> None:
    row = normalised()
    assert list(row) == [*DECLARATION_COLUMNS, "reject_column", "reject_value", "reject_reason"]
    assert (row["reject_column"], row["reject_value"], row["reject_reason"]) == (None, None, None)
    assert row["declaration_id"] == "10005020/150318/0001234"
    assert row["line_no"] == 1
    assert row["date"] == dt.date(2018, 3, 15)
    assert row["direction"] == "import"
    assert (row["importer_name"], row["importer_id"]) == ("OOO ROMASHKA", "7701234567")
    assert row["exporter_name"] == "HYUNDAI MOBIS"
    assert row["origin_country"] == "KR"
    assert (row["hs_code"], row["hs6"], row["hs_chapter"], row["hs_section"]) == (
        "8708299009",
        "870829",
        "87",
        "XVII",
    )
    assert row["net_kg"] == 12.5
    assert (row["value"], row["currency"]) == (1000.0, "EUR")
    assert row["value_usd"] == pytest.approx(1000 * EUR_2018_03_15)
    assert row["value_usd_source"] == "ecb"
    assert (row["source_file"], row["ingest_id"]) == ("decl.csv", "ingest-1")
    assert (row["reporter_country"], row["granularity"]) == ("RU", "line")
    assert row["importer_country"] == "RU"  # the reporter's own party
    assert (row["extra"], row["notes"]) == (None, None)


want(Importer="  OOO ROMASHKA ", Exporter="   ")


def test_text_is_trimmed_and_empty_means_missing(normalised) -> None:
    row = normalised(Importer="  OOO ROMASHKA ", Exporter="   ")
    assert (row["importer_name"], row["exporter_name"]) == ("OOO ROMASHKA", None)


def test_raw_rows_keep_the_cells_as_written(con) -> None:
    """Quarantined rows keep the staged row as JSON (header → cell)."""
    header = ("Date", "Importer", "Вес нетто, кг")
    cells = {"c0": ["15.03.2018", ""], "c1": ["  OOO ROMASHKA ", ""], "c2": ['1 234,5 "кг"', ""]}
    stage = ibis.memtable(pa.table({**cells, SOURCE_ROW: pa.array([7, 8], pa.int64())}))
    rejected = ibis.memtable(pa.table({"source_row": pa.array([7], pa.int64())}))
    mapping = Mapping(Profile("words", "", {}), {"date": 0, "importer_name": 1}, header)
    (row,) = con.to_pyarrow(with_raw_rows(rejected, stage, mapping)).to_pylist()
    assert row["source_row"] == 7
    assert json.loads(row["raw"]) == {
        "Date": "15.03.2018",
        "Importer": "  OOO ROMASHKA ",
        "Вес нетто, кг": '1 234,5 "кг"',
    }


# -- whole rows: a Russian declaration (profile ru_customs, decimal ",") --------------------------

RUSSIAN = Options(profile="ru_customs", reporter="RU")

RU_HEADER = (
    "Номер ДТ",
    "Дата ДТ",
    "Направление",
    "Получатель",
    "ИНН получателя",
    "Отправитель",
    "Страна происхождения",
    "Код ТН ВЭД",
    "Вес нетто, кг",
    "Фактурная стоимость",
    "Валюта",
    "Статистическая стоимость, USD",
)
RU_LINE = {
    "Номер ДТ": "10005020/150318/0001234",
    "Дата ДТ": "15.03.2018",
    "Направление": "ИМ",
    "Получатель": "7722476458 772201001 ООО ЯТАШ РУС",
    "Отправитель": "HYUNDAI MOBIS CO., LTD",
    "Страна происхождения": "КОРЕЯ, РЕСПУБЛИКА",
    "Код ТН ВЭД": "8708 29 9009",
    "Вес нетто, кг": "1 234,5",
    "Фактурная стоимость": "1 000,00",
    "Валюта": "978",
}
#: (cell, as read under the words' decimal ".", as read under ru_customs' decimal ",")
LONE_COMMAS = [("1,234", 1234.0, 1.234), ("1 234,5", 1234.5, 1234.5), ("0,5", 0.5, 0.5)]
for _cell, *_ in LONE_COMMAS:
    want(Net_weight=_cell)


@pytest.fixture(scope="module")
def russian(con, refs: References) -> list[dict[str, object]]:
    """RU_LINE, then RU_LINE with each LONE_COMMAS net weight."""
    norm_ru = Normaliser(con, refs, RU_HEADER, "ru_customs", RUSSIAN)
    weights = [{**RU_LINE, "Вес нетто, кг": cell} for cell, *_ in LONE_COMMAS]
    return norm_ru.rows([RU_LINE, *weights])


def test_a_realistic_russian_declaration_line(russian) -> None:
    row = russian[0]
    assert row["reject_reason"] is None
    assert (row["declaration_id"], row["date"], row["direction"]) == (
        "10005020/150318/0001234",
        dt.date(2018, 3, 15),
        "import",
    )
    assert (row["importer_id"], row["importer_name"]) == ("7722476458", "ООО ЯТАШ РУС")
    assert (row["origin_country"], row["hs_code"], row["net_kg"]) == ("KR", "8708299009", 1234.5)
    assert (row["value"], row["currency"]) == (1000.0, "EUR")
    assert row["value_usd"] == pytest.approx(1000 * EUR_2018_03_15)


@pytest.mark.parametrize(
    ("index", "cell", "generic", "russian_value"),
    [(i, *case) for i, case in enumerate(LONE_COMMAS)],
    ids=[case[0] for case in LONE_COMMAS],
)
def test_the_profile_decides_what_a_lone_comma_means(
    normalised, russian, index: int, cell: str, generic: float, russian_value: float
) -> None:
    assert normalised(Net_weight=cell)["net_kg"] == generic
    assert russian[1 + index]["net_kg"] == russian_value


# -- whole rows: fields ---------------------------------------------------------------------------

COUNTRIES = [
    ("KR", "KR"),
    ("kr", "KR"),
    ("KOR", "KR"),
    ("410", "KR"),
    ("КОРЕЯ, РЕСПУБЛИКА", "KR"),
    ("Korea, Rep.", "KR"),
    ("Republic of Korea", "KR"),
    ("IN, INDIA", "IN"),
    ("Китай", "CN"),
    ("germany", "DE"),
]
for _cell, _ in COUNTRIES:
    want(Origin=_cell)


@pytest.mark.parametrize(("cell", "iso2"), COUNTRIES)
def test_countries(normalised, cell: str, iso2: str) -> None:
    row = normalised(Origin=cell)
    assert row["origin_country"] == iso2
    assert row["reject_reason"] is None


want(Origin="АТЛАНТИДА")


def test_unknown_country_loads_with_a_note(normalised) -> None:
    row = normalised(Origin="АТЛАНТИДА")
    assert row["origin_country"] is None
    assert row["reject_reason"] is None
    assert (
        row["notes"] == "Origin 'АТЛАНТИДА' is not a country (a region or placeholder): left empty"
    )


HS_FIELDS = [
    ("8708.29.90.09", "8708299009", "870829", "87", "XVII"),
    ("8708 29 9009", "8708299009", "870829", "87", "XVII"),
    ("401110000", "0401110000", "040111", "04", "I"),
    ("8708", "8708", None, "87", "XVII"),
]
for _cell, *_ in HS_FIELDS:
    want(HS_Code=_cell)


@pytest.mark.parametrize(("cell", "code", "hs6", "chapter", "section"), HS_FIELDS)
def test_hs_fields(normalised, cell, code, hs6, chapter, section) -> None:
    row = normalised(HS_Code=cell)
    assert (row["hs_code"], row["hs6"], row["hs_chapter"], row["hs_section"]) == (
        code,
        hs6,
        chapter,
        section,
    )


CURRENCIES = [
    ("643", "RUB"),
    ("РУБ", "RUB"),
    ("руб.", "RUB"),
    ("usd", "USD"),
    ("ДОЛЛ. США", "USD"),
    ("36", "AUD"),
    ("€", "EUR"),
]
for _cell, _ in CURRENCIES:
    want(Currency=_cell)


@pytest.mark.parametrize(("cell", "currency"), CURRENCIES)
def test_currency_aliases(normalised, cell: str, currency: str) -> None:
    row = normalised(Currency=cell)
    assert row["currency"] == currency
    assert row["reject_reason"] is None


IMPORTERS = [
    ("7722476458 772201001 OOO YATASH RUS", "", "OOO YATASH RUS", "7722476458"),
    ("7722476458 OOO YATASH RUS", "", "OOO YATASH RUS", "7722476458"),
    ("772247645812 ИП ИВАНОВ И.И.", "", "ИП ИВАНОВ И.И.", "772247645812"),
    (
        "7722476458 772201001 OOO YATASH RUS",
        "7700000000",
        "7722476458 772201001 OOO YATASH RUS",
        "7700000000",
    ),
    ("3M RUSSIA", "", "3M RUSSIA", None),
    ("12345 OOO", "", "12345 OOO", None),
    ("7722476458", "", "7722476458", None),
]
for _name, _given, *_ in IMPORTERS:
    want(Importer=_name, Importer_INN=_given)


@pytest.mark.parametrize(
    ("name", "given_id", "importer_name", "importer_id"),
    IMPORTERS,
    ids=[
        "inn-kpp-name",
        "inn-name",
        "12-digit-inn",
        "id-column-wins",
        "digits-in-name",
        "short-number",
        "id-only",
    ],
)
def test_importer_id_written_into_the_name(
    normalised, name, given_id, importer_name, importer_id
) -> None:
    """A leading 10- or 12-digit INN (and a 9-digit KPP) is split off the name, unless the
    file has its own importer id."""
    row = normalised(Importer=name, Importer_INN=given_id)
    assert (row["importer_name"], row["importer_id"]) == (importer_name, importer_id)


DIRECTION_CELLS = [("ИМ", "import"), ("ЭК", "export"), ("export", "export"), ("", "import")]
for _cell, _ in DIRECTION_CELLS:
    want(Direction=_cell)


@pytest.mark.parametrize(("cell", "direction"), DIRECTION_CELLS)
def test_direction(normalised, cell: str, direction: str) -> None:
    """An empty cell takes the file's direction (here: import, given by the user)."""
    assert normalised(Direction=cell)["direction"] == direction


want(Direction="транзит")


def test_unknown_direction_takes_the_files_with_a_note(normalised) -> None:
    row = normalised(Direction="транзит")
    assert (row["direction"], row["reject_reason"]) == ("import", None)
    assert row["notes"] == "Direction 'транзит' not understood: the file's direction used"


want(Declaration="")
want(Declaration="  ")


@pytest.mark.parametrize("cell", ["", "  "])
def test_missing_declaration_id_is_file_and_row(normalised, cell: str) -> None:
    row = normalised(Declaration=cell)
    assert row["declaration_id"] == f"decl.csv#{row['source_row']}"
    assert row["reject_reason"] is None


want(Line="")
want(Line="7")


def test_missing_line_number_is_one(normalised) -> None:
    assert normalised(Line="")["line_no"] == 1
    assert normalised(Line="7")["line_no"] == 7


# -- whole rows: US dollars -----------------------------------------------------------------------

want(Value_USD="1 500")
want(Value="", Currency="", Value_USD="750")
want(Currency="USD")


def test_declared_usd_value_wins(normalised) -> None:
    row = normalised(Value_USD="1 500")
    assert (row["value_usd"], row["value_usd_source"]) == (1500.0, "declared")


def test_declared_usd_value_needs_no_invoice_value_or_currency(normalised) -> None:
    """The bill-of-lading case: only a USD value is known."""
    row = normalised(Value="", Currency="", Value_USD="750")
    assert (row["value_usd"], row["value_usd_source"], row["reject_reason"]) == (
        750.0,
        "declared",
        None,
    )


def test_usd_invoice_is_its_own_usd_value(normalised) -> None:
    row = normalised(Currency="USD")
    assert (row["value"], row["value_usd"], row["value_usd_source"]) == (1000.0, 1000.0, "declared")


ECB_DAYS = [
    ("15.03.2018", EUR_2018_03_15),
    ("16.03.2018", EUR_2018_03_16),
    ("17.03.2018", EUR_2018_03_16),
]
for _date, _ in ECB_DAYS:
    want(Date=_date)


@pytest.mark.parametrize(
    ("date", "rate"), ECB_DAYS, ids=["thursday", "friday", "saturday-uses-friday"]
)
def test_other_currencies_use_the_ecb_rate_of_the_date(normalised, date, rate) -> None:
    row = normalised(Date=date)
    assert (row["value"], row["currency"]) == (1000.0, "EUR")
    assert row["value_usd"] == pytest.approx(1000 * rate)
    assert row["value_usd_source"] == "ecb"


want(Date="08.03.2022", Currency="RUB", Value="100000")
want(Date="01.05.2022", Currency="руб", Value="100000")


def test_rub_is_converted_until_a_week_after_the_ecb_stopped(normalised) -> None:
    """The ECB's last RUB rate (2022-03-01, 105 per euro) is carried for seven days."""
    row = normalised(Date="08.03.2022", Currency="RUB", Value="100000")
    assert row["reject_reason"] is None
    assert row["value_usd"] == pytest.approx(100000 / 105.0)


def test_rub_after_the_ecb_stopped_uses_the_monthly_customs_rate(normalised) -> None:
    """No ECB rate: the month's customs (HMRC) rate of May 2022 converts it."""
    row = normalised(Date="01.05.2022", Currency="руб", Value="100000")
    assert row["reject_reason"] is None
    assert (row["currency"], row["value_usd_source"], row["notes"]) == (
        "RUB",
        "hmrc-monthly",
        None,
    )
    assert 100000 / 100 < row["value_usd"] < 100000 / 50  # 50-100 roubles a dollar


want(Date="01.05.2022", Currency="KZT", Value="100000")
want(Date="01.05.2022", Currency="XAG", Value="100000")


def test_a_currency_with_no_rate_loads_unvalued(normalised) -> None:
    """Never 0 and never treated as USD: value_usd stays empty, and the note says why."""
    row = normalised(Date="01.05.2022", Currency="XAG", Value="100000")
    assert row["reject_reason"] is None
    assert (row["value"], row["currency"]) == (100000.0, "XAG")
    assert (row["value_usd"], row["value_usd_source"]) == (None, None)
    assert row["notes"] == (
        "Value: no exchange rate for XAG on 2022-05-01; unvalued: value_usd left empty"
    )
    kzt = normalised(Date="01.05.2022", Currency="KZT", Value="100000")
    assert kzt["value_usd_source"] == "hmrc-monthly" and kzt["value_usd"] > 0


def test_user_rates_override_the_ecb(user_rates: Normaliser) -> None:
    eur, rub, eur_other_day = user_rates.rows(
        [
            {**GOOD, "Date": "15.03.2018", "Currency": "EUR", "Value": "1000"},
            {**GOOD, "Date": "01.05.2022", "Currency": "RUB", "Value": "100000"},
            {**GOOD, "Date": "16.03.2018", "Currency": "EUR", "Value": "1000"},
        ]
    )
    assert (eur["value_usd"], eur["value_usd_source"]) == (2000.0, "user")
    assert (rub["value_usd"], rub["value_usd_source"], rub["reject_reason"]) == (
        pytest.approx(1250.0),
        "user",
        None,
    )
    assert eur_other_day["value_usd_source"] == "ecb", "the user table has no rate that day"


# -- whole rows: rejects --------------------------------------------------------------------------

UNPARSEABLE_DATE = (
    "unparseable date (expected dd.mm.yyyy, yyyy-mm-dd, yyyymmdd, Mon yyyy or an Excel serial)"
)

#: Rows that cannot be counted at all: no usable date, no party, no value and no quantity.
REJECTS: list[tuple[dict[str, str], str, str | None, str]] = [
    ({"Date": ""}, "Date", None, "missing date"),
    ({"Date": "31.02.2021"}, "Date", "31.02.2021", UNPARSEABLE_DATE),
    ({"Date": "вчера"}, "Date", "вчера", UNPARSEABLE_DATE),
    ({"Importer": "", "Exporter": ""}, "Importer", None, "no importer or exporter name"),
    ({"Value": ""}, "Value USD", None, "no value and no quantity"),
    ({"Value": "n/a"}, "Value USD", None, "no value and no quantity"),
]
for _changes, *_ in REJECTS:
    want(**_changes)

#: Everything else loads, the field left empty and a note saying why.
NOTED: list[tuple[dict[str, str], str, object, str | None]] = [
    ({"HS_Code": ""}, "hs_code", None, None),
    ({"HS_Code": "ABC"}, "hs_code", None, "HS Code 'ABC' is not an HS code"),
    ({"HS_Code": "7701000000"}, "hs_code", None, "HS Code '7701000000' is not an HS code"),
    ({"Line": "1.5"}, "line_no", 1, "Line '1.5' is not a whole number"),
    ({"Net_weight": "12 кг"}, "net_kg", None, "Net weight '12 кг' is not a number"),
    (
        {"Origin": " АТЛАНТИДА "},
        "origin_country",
        None,
        "Origin 'АТЛАНТИДА' is not a country (a region or placeholder): left empty",
    ),
    (
        {"Currency": "ZZZ"},
        "value_usd",
        None,
        "Value: currency unknown (give it with --currency); unvalued: value_usd left empty",
    ),
    (
        {"Currency": ""},
        "value_usd",
        None,
        "Value: currency unknown (give it with --currency); unvalued: value_usd left empty",
    ),
]
for _changes, *_ in NOTED:
    want(**_changes)


@pytest.mark.parametrize(
    ("changes", "field", "expected", "note"),
    NOTED,
    ids=[f"{field} {list(changes.values())[0]!r}" for changes, field, _, _ in NOTED],
)
def test_what_can_still_be_counted_loads_with_a_note(
    normalised, changes, field, expected, note
) -> None:
    row = normalised(**changes)
    assert (row["reject_column"], row["reject_value"], row["reject_reason"]) == (None,) * 3
    assert row[field] == expected
    assert row["notes"] == note


@pytest.mark.parametrize(
    ("changes", "column", "value", "reason"),
    REJECTS,
    ids=[f"{reason.split(' (')[0]} [{value}]" for _, _, value, reason in REJECTS],
)
def test_reject_names_the_source_column_and_the_raw_cell(
    normalised, changes, column, value, reason
) -> None:
    """``reject_column`` is the file's own header, ``reject_value`` the (trimmed) cell."""
    row = normalised(**changes)
    assert (row["reject_column"], row["reject_value"], row["reject_reason"]) == (
        column,
        value,
        reason,
    )


#: Defects in the order they are checked; each rung of the ladder fixes the first one left.
#: (The direction check comes second, but this file's direction is given, so never fails.)
DEFECTS = {
    "Date": "вчера",
    "Importer": "",
    "Value": "",
}
LADDER = [{"Exporter": "", **dict(list(DEFECTS.items())[i:])} for i in range(len(DEFECTS))]
for _rung in LADDER:
    want(**_rung)


def test_only_the_first_failing_check_is_reported(normalised) -> None:
    """Checks run in a fixed order: date, direction, names, value; fixing one defect
    reveals the next."""
    columns = [normalised(**rung)["reject_column"] for rung in LADDER]
    assert columns == ["Date", "Importer", "Value USD"]
