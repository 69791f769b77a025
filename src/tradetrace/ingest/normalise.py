"""Normalisation as one Ibis expression: raw text cells → canonical, typed rows.

Written once over an abstract staging table, it compiles to DuckDB today and to
Spark SQL later; nothing here loops over rows in Python. Each output row either
passes every check (``reject_reason`` is null) or carries the first failing
check's column, value and reason, which the pipeline sends to quarantine.

Rules (documented for users in ``docs/model.md``):

* text: trimmed; empty means missing.
* dates: ``dd.mm.yyyy`` (also ``/`` and ``-``), ISO ``yyyy-mm-dd[ time]``,
  ``yyyymmdd``, Excel serial numbers (20000–80000), ``Apr 2023`` (first of
  month); impossible dates (31.02.2021) are rejected, not rolled over.
* numbers: spaces, non-breaking spaces and apostrophes are thousands
  separators; ``1.234,56`` / ``1,234.56`` / ``1 234,56`` are all 1234.56; a lone
  comma is a decimal comma (except ``1,234`` under a ``decimal: "."`` profile).
* countries: ISO2/ISO3/numeric, English and Russian names → ISO2 via the alias
  table of ``reference.countries``; "IN, INDIA" uses its leading code.
* HS: digits only; a lost leading zero (5, 7 or 9 digits) is restored; the
  chapter must exist; ``hs6``/``hs_chapter``/``hs_section`` are derived.
* USD: a declared USD value wins; else USD invoices; else the user's FX table;
  else ECB rates of the declaration date. No rate → quarantine.
* an importer id written into the name ("7722476458 772201001 OOO YATASH") is split out.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.ingest.detect import local_currency
from tradetrace.ingest.headers import vocabulary
from tradetrace.ingest.profiles import Mapping
from tradetrace.model import (
    COUNTRY_FIELDS,
    DECLARATION_COLUMNS,
    MAPPABLE_FIELDS,
    declarations_schema,
)
from tradetrace.reference.hs import section_ranges

EXCEL_EPOCH_OFFSET = 25_569  # Excel serial of 1970-01-01 (Excel counts from 1899-12-30)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DIRECTIONS = {
    "import": ("IM", "ИМ", "IMPORT", "IMP", "I", "ИМПОРТ", "IMPORTS"),
    "export": ("EK", "ЭК", "EX", "EXPORT", "EXP", "E", "ЭКСПОРТ", "EXPORTS"),
}
TEXT_FIELDS = (
    "declarant_name",
    "declarant_id",
    "importer_address",
    "exporter_id",
    "exporter_address",
    "description",
    "manufacturer",
    "brand",
    "unit",
    "notify_name",
    "loading_port",
    "discharge_port",
)
REJECT_COLUMNS = ("reject_column", "reject_value", "reject_reason")
#: Numbers that are not money (money goes through the value columns and their currencies).
MEASURE_FIELDS = ("quantity", "net_kg", "gross_kg")
#: ``value_usd_source`` of values converted at the monthly customs rates
#: (``reference/data/fx_rates_usd.csv``, HMRC's rates for customs and VAT).
MONTHLY_RATE_SOURCE = "hmrc-monthly"


@dataclass(frozen=True)
class References:
    """The lookup tables normalisation joins against (all in the store)."""

    country_aliases: ir.Table  # key, iso2
    currency_aliases: ir.Table  # key, currency
    fx_ecb: ir.Table  # currency, date, usd_per_unit
    fx_user: ir.Table  # currency, date, usd_per_unit
    fx_monthly: ir.Table  # currency, date (first of the month), usd_per_unit

    def names(self) -> tuple[str, ...]:
        return tuple(
            t.get_name()
            for t in (
                self.country_aliases,
                self.currency_aliases,
                self.fx_ecb,
                self.fx_user,
                self.fx_monthly,
            )
        )


# -- scalar parsers (Ibis expressions over string columns) -----------------------------------------


def clean(text: ir.StringValue) -> ir.StringValue:
    """Empty means missing. Cells arrive trimmed (``trim_cells``): trimming in Arrow is
    about ten times cheaper than in the engine, and text is most of a declaration."""
    return text.nullif("")


def trim_cells(batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch | pa.Table:
    """Strip surrounding ASCII whitespace from every text cell of a raw batch."""
    columns = [
        pc.ascii_trim_whitespace(c) if pa.types.is_string(c.type) else c for c in batch.columns
    ]
    return type(batch).from_arrays(columns, names=batch.schema.names)


def number_text(text: ir.StringValue) -> ir.StringValue:
    """Drop the thousands separators that are never decimal marks (spaces, apostrophes).

    Each is looked for before it is replaced: a test is several times cheaper than a replace
    (which copies the text) in the engine, and a declaration has five or six number cells.
    """
    spaced = ibis.ifelse(text.contains(" "), text.replace(" ", ""), text)
    rare = spaced.replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    return ibis.ifelse(spaced.re_search("[\u00a0\u202f']"), rare, spaced)


def parse_number(text: ir.StringValue, decimal: str = ".") -> ir.FloatingValue:
    return parse_number_text(number_text(text), decimal)


#: "1234,5" under a "." profile: a comma that cannot be a thousands separator ("0,500", "1234,5",
#: "1,5", "1,2345"; not "1,234", a thousand there)
_DECIMAL_COMMA_UNDER_POINT = r"^[+-]?(0\d*|\d{4,}),\d+$|^[+-]?\d+,(\d{1,2}|\d{4,})$"


def parse_number_text(s: ir.StringValue, decimal: str = ".") -> ir.FloatingValue:
    """Parse the output of :func:`number_text` (a column, so it is computed once).

    The usual shapes ("1234", "1234.5", "1234,5", and "1,234.5" under a "." profile) are each
    recognised by one pattern that gives the same reading as the general rules below, at about
    two thirds of their cost; every other text goes through those.
    """
    return _finite(_parse_number_any(s, decimal))


def _finite(number: ir.FloatingValue) -> ir.FloatingValue:
    return ibis.ifelse(number.isinf() | number.isnan(), ibis.null("float64"), number)


def _parse_number_any(s: ir.StringValue, decimal: str) -> ir.FloatingValue:
    """:func:`parse_number_text` before infinities and NaN are dropped (a separate step in
    ``normalise_steps``: this expression would be compiled three times into that check)."""
    comma = _DECIMAL_COMMA_UNDER_POINT if decimal == "." else r"^[+-]?\d+,\d+$"
    usual = [
        (s.re_search(r"^[+-]?\d+(\.\d+)?$"), s),
        (s.re_search(comma), s.replace(",", ".")),
    ]
    if decimal == ".":
        usual.append((s.re_search(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$"), s.replace(",", "")))
    return ibis.cases(
        *[(shape, text.try_cast("float64")) for shape, text in usual],
        else_=_parse_number_general(s, decimal),
    )


def _parse_number_general(s: ir.StringValue, decimal: str) -> ir.FloatingValue:
    commas = s.length() - s.replace(",", "").length()
    dots = s.length() - s.replace(".", "").length()
    # "1,234" is a thousand under a "." profile, but "0,500" can only be a half
    thousands_comma = (
        s.re_search(r"^[+-]?[1-9]\d{0,2},\d{3}$") if decimal == "." else ibis.literal(False)
    )
    s = ibis.cases(
        ((commas == 0) & (dots <= 1), s),
        ((commas == 1) & (dots == 0) & ~thousands_comma, s.replace(",", ".")),
        (s.re_search(r"^[+-]?\d{1,3}(\.\d{3})+,\d*$"), s.replace(".", "").replace(",", ".")),
        (s.re_search(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"), s.replace(",", "")),
        (s.re_search(r"^[+-]?\d{1,3}(\.\d{3}){2,}$"), s.replace(".", "")),
        else_=ibis.null("string"),
    )
    return ibis.ifelse(s.re_search(r"^[+-]?(\d|\.\d)"), s.try_cast("float64"), ibis.null("float64"))


def _int(text: ir.StringValue) -> ir.IntegerValue:
    """A whole number, or null: the engine's cast would round "1.5" to 2."""
    return ibis.ifelse(text.re_search(r"^[+-]?\d+$"), text.try_cast("int32"), ibis.null("int32"))


def parse_date(text: ir.StringValue, utc_offsets: tuple[int, int] = (0, 0)) -> ir.DateValue:
    return _local_date(text, _date_of_parts(text, *_date_parts(text)), utc_offsets)


def _parsed_dates(values: ir.Table, utc_offsets: tuple[int, int] = (0, 0)) -> ir.Table:
    """``parse_date`` of ``values._v`` with the year, month and day made a step before, so
    the compiled lookup names them instead of repeating their expressions (planning the
    statement, once per batch, took longer than running it)."""
    parts = values.mutate(**dict(zip(("_y", "_m", "_d"), _date_parts(values._v), strict=True)))
    date = _date_of_parts(parts._v, parts._y, parts._m, parts._d)
    return parts.select("_v", date=_local_date(parts._v, date, utc_offsets))


#: A timestamp written in UTC ("2024-11-17T18:30:00.000Z").
_UTC_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|\+00:?00)$"


def _local_date(
    text: ir.StringValue, date: ir.DateValue, utc_offsets: tuple[int, int]
) -> ir.DateValue:
    """The reporter's local date of a timestamp written in UTC: India's midnight is
    18:30Z the day before. ``utc_offsets`` is the reporter's offset in minutes in winter
    and in summer (April to October); other texts keep their written date."""
    winter, summer = utc_offsets
    if not (winter or summer):
        return date
    stamp = text.substr(0, 16).replace("T", " ").concat(":00").try_cast("timestamp")
    summer_time = date.month().between(4, 10)
    minutes = ibis.ifelse(summer_time, summer, winter)
    local = stamp + minutes.cast("int64").as_interval("m")
    return ibis.ifelse(text.upper().re_search(_UTC_TIMESTAMP), local.date(), date)


def _date_parts(text: ir.StringValue) -> tuple[ir.IntegerValue, ...]:
    """Year, month and day of the calendar forms (null for anything else)."""
    s = text.upper()
    iso = s.re_search(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$")
    dmy = s.re_search(r"^\d{1,2}[./-]\d{1,2}[./-]\d{4}( .*)?$")
    compact = s.re_search(r"^(19|20)\d{6}$")
    month_year = s.re_search(r"^(" + "|".join(MONTHS) + r")[A-Z]*[ -]\d{4}$")
    year = ibis.cases(
        (iso, _int(s.re_extract(r"^(\d{4})", 1))),
        (dmy, _int(s.re_extract(r"^\d{1,2}[./-]\d{1,2}[./-](\d{4})", 1))),
        (compact, _int(s.substr(0, 4))),
        (month_year, _int(s.re_extract(r"(\d{4})$", 1))),
        else_=ibis.null("int32"),
    )
    month = ibis.cases(
        (iso, _int(s.re_extract(r"^\d{4}-(\d{1,2})", 1))),
        (dmy, _int(s.re_extract(r"^\d{1,2}[./-](\d{1,2})", 1))),
        (compact, _int(s.substr(4, 2))),
        *[(month_year & s.startswith(name), ibis.literal(i + 1)) for i, name in enumerate(MONTHS)],
        else_=ibis.null("int32"),
    )
    day = ibis.cases(
        (iso, _int(s.re_extract(r"^\d{4}-\d{1,2}-(\d{1,2})", 1))),
        (dmy, _int(s.re_extract(r"^(\d{1,2})", 1))),
        (compact, _int(s.substr(6, 2))),
        (month_year, ibis.literal(1)),
        else_=ibis.null("int32"),
    )
    return year, month, day


def _date_of_parts(
    text: ir.StringValue, year: ir.IntegerValue, month: ir.IntegerValue, day: ir.IntegerValue
) -> ir.DateValue:
    """The date of valid parts, or of an Excel serial number; impossible dates are null."""
    s = text.upper()
    serial = s.re_search(r"^\d{5}(\.\d+)?$")
    ok = year.between(1900, 2100) & month.between(1, 12) & day.between(1, _days_in(year, month))
    ymd = ibis.ifelse(ok, ibis.date(year, month, day), ibis.null("date"))
    days = s.re_extract(r"^(\d{5})", 1).try_cast("int64")
    excel = ((days - EXCEL_EPOCH_OFFSET) * 86_400).as_timestamp("s").date()
    return ibis.ifelse(serial & days.between(20_000, 80_000), excel, ymd)


def _days_in(year: ir.IntegerValue, month: ir.IntegerValue) -> ir.IntegerValue:
    """Days in the month, so 31.02 is rejected instead of rolling over to March."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return ibis.cases(
        (month == 2, ibis.ifelse(leap, 29, 28)),
        (month.isin([4, 6, 9, 11]), 30),
        else_=31,
    )


def country_key(text: ir.StringValue) -> ir.StringValue:
    """Same key as ``reference.countries.country_key``, computed in the engine."""
    code = text.re_search(r"^[A-Za-z]{2}\s*,")
    full = text.upper().replace("Ё", "Е").re_replace(r"[^\p{L}\p{N}]+", " ").strip()
    return ibis.ifelse(code, text.substr(0, 2).upper(), full)


def currency_key(text: ir.StringValue) -> ir.StringValue:
    """Same key as ``reference.fx.normalise_currency``: upper case, single spaces, ISO numeric
    codes padded ("36" → "036": Excel drops the zero of graph 22)."""
    key = text.upper().re_replace(r"\s+", " ").strip()
    return ibis.ifelse(key.re_search(r"^\d{1,2}$"), key.lpad(3, "0"), key)


def normalise_hs(text: ir.StringValue) -> ir.StringValue:
    digits = text.re_replace(r"[^0-9]", "")
    lost_zero = digits.length().isin([5, 7, 9])
    digits = ibis.ifelse(lost_zero, "0" + digits, digits)
    chapter = _int(digits.substr(0, 2))
    valid = (digits.length() >= 2) & chapter.between(1, 97) & (chapter != 77)
    return ibis.ifelse(valid & ~text.re_search(r"[A-Za-zА-Яа-я]"), digits, ibis.null("string"))


def hs_section(chapter: ir.StringValue) -> ir.StringValue:
    number = _int(chapter)
    return ibis.cases(
        *[(number.between(lo, hi), ibis.literal(section)) for lo, hi, section in section_ranges()],
        else_=ibis.null("string"),
    )


def _direction_value(text: ir.StringValue) -> ir.StringValue:
    return direction_of(text, None)


def direction_of(text: ir.StringValue, default: str | None) -> ir.StringValue:
    """A direction cell as 'import'/'export' (the same reading as
    ``detect.direction_of_value``: "ИМ", "IM4", "EX1000000", "RELEASE ... (IMPORT)"), the
    file's direction for an empty or unreadable cell."""
    key = text.upper().strip()
    cases = []
    for name, words in vocabulary().direction_values.items():
        cases.append((key.isin(sorted(words)), ibis.literal(name)))
    for name, words in vocabulary().direction_values.items():
        prefixes = "|".join(
            re.escape(w) for w in sorted(words, key=len, reverse=True) if len(w) >= 2
        )
        cases.append((key.re_search(rf"^({prefixes})(\d|/|\s|-|$)"), ibis.literal(name)))
    for name in ("import", "export"):
        cases.append((key.re_search(rf"\b{name.upper()}"), ibis.literal(name)))
    fallback = ibis.literal(default, "string") if default else ibis.null("string")
    return ibis.cases((text.isnull(), fallback), *cases, else_=fallback)


# -- the whole row ---------------------------------------------------------------------------------


def normalise(
    stage: ir.Table, mapping: Mapping, refs: References, source_file: str, ingest_id: str
) -> ir.Table:
    """Canonical declaration columns plus ``reject_*`` for every staged row, as one expression."""
    rows = normalise_steps(stage, mapping, refs, staged=False)[-1][1]
    return with_provenance(rows, source_file, ingest_id)


def normalised_schema() -> ibis.Schema:
    """The columns of the last step (``_norm``): declarations plus the reject reason."""
    reject = dict.fromkeys(REJECT_COLUMNS, "string")
    return ibis.schema({**declarations_schema(), **reject})


def with_provenance(
    rows: ir.Table, source_file: str | ir.StringValue, ingest_id: str | ir.StringValue
) -> ir.Table:
    """Add the file and run to normalised rows (kept out of the steps so they compile once;
    given as columns, e.g. of a one-row table joined in, they need not be known then)."""
    file = ibis.literal(source_file) if isinstance(source_file, str) else source_file
    run = ibis.literal(ingest_id) if isinstance(ingest_id, str) else ingest_id
    return rows.mutate(
        declaration_id=rows.declaration_id.fill_null(file + "#" + rows.source_row.cast("string")),
        source_file=file,
        ingest_id=run,
    )


def normalise_steps(
    stage: ir.Table, mapping: Mapping, refs: References, staged: bool = True
) -> list[tuple[str, ir.Table]]:
    """The normalisation as named steps: small lookups of distinct values, then the rows.

    Dates, codes, countries and currencies repeat massively in customs data, so each
    distinct value is parsed once. With ``staged`` every step after the first reads the
    earlier ones by name, so the pipeline can materialise them (exact sizes let the engine
    join the small lookups cheaply) and compile each step once per file.
    """
    constants = mapping.constants
    steps: list[tuple[str, ir.Table]] = []

    def step(name: str, expr: ir.Table) -> ir.Table:
        steps.append((name, expr))
        return ibis.table(expr.schema(), name=name) if staged else expr

    def column(index: int) -> ir.StringValue:
        return clean(stage[f"c{index}"])

    def cell(name: str) -> ir.StringValue:
        """A field's cell: its column, else the next of its fallback columns, else a constant."""
        indexes = ([mapping.columns[name]] if name in mapping.columns else []) + list(
            mapping.fallbacks.get(name, ())
        )
        if indexes and name not in ("value", "value_usd"):
            return (
                ibis.coalesce(*[column(i) for i in indexes])
                if len(indexes) > 1
                else column(indexes[0])
            )
        if name in constants and name not in ("direction", "currency"):
            return ibis.literal(constants[name], "string")
        return ibis.null("string")

    def mapped(name: str) -> bool:
        return name in mapping.columns or bool(mapping.fallbacks.get(name))

    values = mapping.value_columns()
    # Clean every cell once; everything after refers to these columns, which keeps the
    # compiled SQL small (expressions are inlined wherever they are used).
    cells = stage.select(
        _source_row=stage["_source_row"],
        **{f"_raw_{f}": cell(f) for f in MAPPABLE_FIELDS if not f.endswith("_alt")},
        **{f"_num_{f}": number_text(cell(f)) for f in MEASURE_FIELDS},
        **{f"_raw_value{k}": column(i) for k, (i, _) in enumerate(values)},
        **{f"_num_value{k}": number_text(column(i)) for k, (i, _) in enumerate(values)},
        **{f"_raw_{f}_alt": column(i) for f, i in mapping.alternates.items()},
        _extra=_extra_json(stage, mapping),
    )

    def raw(name: str) -> ir.StringValue:
        return cells[f"_raw_{name}"]

    importer_name, importer_id = _names(cells, "importer"), raw("importer_id")
    embedded_id = importer_name.re_search(r"^(\d{12}|\d{10})(\s+\d{9})?\s+\S")
    split_id = embedded_id & importer_id.isnull()
    t = cells.mutate(
        **{f: raw(f) for f in TEXT_FIELDS},
        declaration_id=raw("declaration_id"),
        line_no=_int(raw("line_no")).fill_null(1),
        reporter_country=raw("reporter_country").upper(),
        granularity=ibis.literal(constants.get("granularity", "line"), "string"),
        importer_name=ibis.ifelse(
            split_id,
            importer_name.re_extract(r"^(?:\d{12}|\d{10})(?:\s+\d{9})?\s+(.*)$", 1),
            importer_name,
        ),
        importer_id=ibis.ifelse(
            split_id,
            importer_name.re_extract(r"^(\d{12}|\d{10})", 1),  # longest first
            importer_id,
        ),
        exporter_name=_names(cells, "exporter"),
        importer_name_alt=_alternate(cells, "importer"),
        exporter_name_alt=_alternate(cells, "exporter"),
        **{f: _parse_number_any(cells[f"_num_{f}"], mapping.decimal) for f in MEASURE_FIELDS},
        **{
            f"_amount{k}": _parse_number_any(cells[f"_num_value{k}"], mapping.decimal)
            for k in range(len(values))
        },
        extra=cells._extra,
    )
    t = t.mutate(
        **{f: _finite(t[f]) for f in MEASURE_FIELDS},
        **{f"_amount{k}": _finite(t[f"_amount{k}"]) for k in range(len(values))},
    )
    default_direction = constants.get("direction")
    if mapped("direction"):  # a few distinct cells ("ИМ", "ЭК"), each read once
        flows = step(
            "_lk_direction", _parsed_values(cells, raw("direction"), _flow=_direction_value)
        )
        t = _join_values(t, "_raw_direction", flows, "_flow")
    else:
        t = t.mutate(_flow=ibis.null("string"))
    fallback = ibis.literal(default_direction, "string") if default_direction else None
    t = t.mutate(direction=t._flow.fill_null(fallback) if fallback is not None else t._flow)
    offsets = _utc_offsets(mapping.utc_offset_zone)
    dates = step(
        "_lk_date",
        _parsed_dates(
            ibis.union(cells.select(_v=raw("date")), cells.select(_v=raw("period"))).distinct(),
            offsets,
        ),
    )
    t = _join_values(t, "_raw_date", dates, "date")
    if mapped("period"):
        t = _join_values(t, "_raw_period", dates.rename({"_period": "date"}), "_period")
    else:
        t = t.mutate(_period=ibis.null("date"))
    t = t.mutate(date=_row_date(t.date, t._period, constants.get("granularity", "line")))
    codes = step("_lk_hs", _parsed_values(cells, raw("hs_code"), hs_code=normalise_hs))
    codes = codes.mutate(hs6=_hs6(codes.hs_code), hs_chapter=codes.hs_code.substr(0, 2))
    codes = codes.mutate(hs_section=hs_section(codes.hs_chapter))
    t = _join_values(t, "_raw_hs_code", codes, "hs_code", "hs6", "hs_chapter", "hs_section")
    countries = step(
        "_lk_country",
        _lookup_values(
            cells,
            [raw(f) for f in COUNTRY_FIELDS if mapped(f)] or [raw(COUNTRY_FIELDS[0])],
            country_key,
            refs.country_aliases,
            "iso2",
        ),
    )
    for name in COUNTRY_FIELDS:  # a join per mapped field only: each costs compile time
        if mapped(name):
            t = _join_values(t, f"_raw_{name}", countries.rename({name: "iso2"}), name)
        else:
            t = t.mutate(**{name: ibis.null("string")})
    reporter = t.reporter_country
    t = t.mutate(  # the reporter's own party is registered with its customs
        importer_country=ibis.ifelse(
            (t.direction == "import") & reporter.notnull(), reporter, t.importer_country
        ),
        exporter_country=ibis.ifelse(
            (t.direction == "export") & reporter.notnull(), reporter, t.exporter_country
        ),
    )
    currencies = step(
        "_lk_currency",
        _lookup_values(cells, [raw("currency")], currency_key, refs.currency_aliases, "currency"),
    )
    t = _join_values(t, "_raw_currency", currencies, "currency")
    t = t.mutate(
        **{
            f"_currency{k}": _value_currency(code, t.currency, constants)
            for k, (_, code) in enumerate(values)
        }
    )
    groups = _currency_groups(values)
    if groups:  # one rate join per kind of currency, not per value column
        rates = step("_lk_rates", _rate_pairs(cells, groups, constants, currencies, dates, refs))
        for members in groups.values():
            t = _join_rates(t, rates, members)
    value_usd, usd_source, value, currency = _usd(t, len(values), groups)
    t = t.mutate(
        value_usd=value_usd,
        value_usd_source=usd_source,
        value=value,
        currency=currency,
        source_file=ibis.null("string"),
        source_row=t._source_row,
        ingest_id=ibis.null("string"),
    )
    t = t.mutate(notes=_notes(t, mapping, values, groups), _failure=_failure(t, mapping, values))
    column_, value_, reason = _first_failure(t, mapping, values)
    step(
        "_norm",
        t.select(
            *DECLARATION_COLUMNS,
            reject_column=column_,
            reject_value=value_,
            reject_reason=reason,
        ),
    )
    return steps


def _names(cells: ir.Table, party: str) -> ir.StringValue:
    """A party's name: its first name column, else its other spelling."""
    name = cells[f"_raw_{party}_name"]
    alt = f"_raw_{party}_name_alt"
    return name.fill_null(cells[alt]) if alt in cells.columns else name


def _alternate(cells: ir.Table, party: str) -> ir.StringValue:
    """The other spelling, when there is one and it differs from the name."""
    alt = f"_raw_{party}_name_alt"
    if alt not in cells.columns:
        return ibis.null("string")
    name = cells[f"_raw_{party}_name"]
    return ibis.ifelse(name.isnull() | (cells[alt] == name), ibis.null("string"), cells[alt])


def _extra_json(stage: ir.Table, mapping: Mapping) -> ir.StringValue:
    """The columns nothing maps, as JSON {header: cell}, so nothing a file says is lost."""
    if not mapping.extra:
        return ibis.null("string")
    cells = {mapping.header[i]: clean(stage[f"c{i}"]) for i in mapping.extra}
    return ibis.struct(cells).cast("json").cast("string")


def _utc_offsets(zone: str | None) -> tuple[int, int]:
    """The reporter's UTC offset in minutes in January and in July (summer time)."""
    if not zone:
        return (0, 0)
    tz = ZoneInfo(zone)
    offsets = [dt.datetime(2024, month, 15, 12, tzinfo=tz).utcoffset() for month in (1, 7)]
    january, july = (0 if o is None else int(o.total_seconds() // 60) for o in offsets)
    return (january, july)


def _row_date(date: ir.DateValue, period: ir.DateValue, granularity: str) -> ir.DateValue:
    """A line's date is its own (else its month's first day); a month aggregate's date is
    the first day of its month."""
    if granularity == "month":
        month = period.fill_null(date)
        return ibis.date(month.year(), month.month(), 1)
    return date.fill_null(period)


def _value_currency(code: str, currency_column: ir.StringValue, constants: dict) -> ir.StringValue:
    """The ISO currency of one value column: what its header says, the reporter's for
    "local", the file's currency column, else the file's currency (``--currency``)."""
    if code == "local":
        local = local_currency(constants.get("reporter_country"))
        return ibis.literal(local, "string") if local else ibis.null("string")
    if code not in ("", "column"):
        return ibis.literal(code, "string")
    fallback = constants.get("currency") if code == "" else None
    file_currency = ibis.literal(fallback, "string") if fallback else ibis.null("string")
    return currency_column.fill_null(file_currency) if code == "" else currency_column


def with_raw_rows(rejected: ir.Table, stage: ir.Table, mapping: Mapping) -> ir.Table:
    """Rejected rows with their original row as JSON (built for these rows only)."""
    joined = rejected.inner_join(stage, rejected.source_row == stage["_source_row"])
    return joined.mutate(raw=_raw_json(joined, mapping))


def _hs6(hs: ir.StringValue) -> ir.StringValue:
    return ibis.ifelse(hs.length() >= 6, hs.substr(0, 6), ibis.null("string"))


def _parsed_values(cells: ir.Table, value: ir.StringValue, **parsers) -> ir.Table:
    """Each distinct raw ``value`` (``_v``) with its parsed columns."""
    values = cells.select(_v=value).distinct()
    return values.mutate(**{name: parse(values._v) for name, parse in parsers.items()})


def _lookup_values(
    cells: ir.Table, values: list[ir.StringValue], key, ref: ir.Table, value: str
) -> ir.Table:
    """Distinct raw ``values`` (``_v``) with the reference ``value`` their key maps to."""
    distinct = ibis.union(*[cells.select(_v=v) for v in values]).distinct()
    distinct = distinct.filter(distinct._v.notnull()).mutate(_k=key(distinct._v))
    joined = distinct.left_join(ref, distinct._k == ref.key)
    return joined.select(_v=joined._v, **{value: joined[value]})


def _join_values(t: ir.Table, column: str, lookup: ir.Table, *outputs: str) -> ir.Table:
    """Left-join a value lookup on ``t[column] == lookup._v``, adding ``outputs``."""
    tag = f"_v_{outputs[0]}"
    renamed = lookup.select(lookup._v.name(tag), *outputs).view()
    return t.left_join(renamed, t[column] == renamed[tag]).drop(tag)


def _currency_groups(values: list[tuple[int, str]]) -> dict[str, list[int]]:
    """The value columns to convert, grouped by what gives their currency (all those in
    KZT, all those in the file's currency column ...): one rate lookup serves a group."""
    groups: dict[str, list[int]] = {}
    for k, (_, code) in enumerate(values):
        if code != "USD":
            groups.setdefault(code, []).append(k)
    return groups


def _rate_of(groups: dict[str, list[int]]) -> dict[int, int]:
    """Value column → the column of its group whose rate join it shares."""
    return {k: members[0] for members in groups.values() for k in members}


def _rate_pairs(
    cells: ir.Table,
    groups: dict[str, list[int]],
    constants: dict,
    currencies: ir.Table,
    dates: ir.Table,
    refs: References,
) -> ir.Table:
    """The rate of each distinct (currency, date) the value columns need: the user's, the
    ECB's of that day, else the monthly customs rate of its month."""
    raw = cells.select(
        _rc=cells._raw_currency, _dr=cells._raw_date, _pr=cells._raw_period
    ).distinct()  # a few hundred distinct texts, not a batch of rows, meet the lookups
    joined = raw.left_join(currencies, raw._rc == currencies._v)
    pairs = [
        joined.select(
            _c=_value_currency(code, joined.currency, constants), _dr=joined._dr, _pr=joined._pr
        )
        for code in groups
    ]
    distinct = ibis.union(*pairs).distinct()
    distinct = distinct.filter(distinct._c.notnull())
    day = dates.select(_dv=dates._v, _day=dates.date)
    month = dates.select(_mv=dates._v, _month=dates.date)
    joined = distinct.left_join(day, distinct._dr == day._dv).left_join(
        month, distinct._pr == month._mv
    )
    date = _row_date(joined._day, joined._month, constants.get("granularity", "line"))
    pairs_ = joined.select(_c=joined._c, _d=date).distinct()
    pairs_ = pairs_.filter(pairs_._d.notnull())
    rates = []
    for table, out in ((refs.fx_user, "_user"), (refs.fx_ecb, "_ecb")):
        lookup = table.select(_rc=table.currency, _rd=table.date, **{out: table.usd_per_unit})
        pairs_ = pairs_.left_join(
            lookup, (pairs_._c == lookup._rc) & (pairs_._d == lookup._rd)
        ).drop("_rc", "_rd")
        rates.append(out)
    monthly = refs.fx_monthly.select(
        _rc=refs.fx_monthly.currency,
        _rd=refs.fx_monthly.date,
        _monthly=refs.fx_monthly.usd_per_unit,
    )
    first = ibis.date(pairs_._d.year(), pairs_._d.month(), 1)
    pairs_ = pairs_.left_join(monthly, (pairs_._c == monthly._rc) & (first == monthly._rd))
    pairs_ = pairs_.drop("_rc", "_rd")
    return pairs_.select(
        "_c",
        "_d",
        _rate=ibis.coalesce(pairs_._user, pairs_._ecb, pairs_._monthly),
        _rate_source=ibis.cases(
            (pairs_._user.notnull(), "user"),
            (pairs_._ecb.notnull(), "ecb"),
            (pairs_._monthly.notnull(), MONTHLY_RATE_SOURCE),
            else_=ibis.null("string"),
        ),
    )


def _join_rates(t: ir.Table, pairs: ir.Table, members: list[int]) -> ir.Table:
    """The rate of a group's currency on the row's date (the group's columns share it)."""
    k = members[0]
    pairs = pairs.select(
        _rc=pairs._c, _rd=pairs._d, **{f"_rate{k}": pairs._rate, f"_rsrc{k}": pairs._rate_source}
    ).view()
    joined = t.left_join(pairs, (t[f"_currency{k}"] == pairs._rc) & (t.date == pairs._rd))
    return joined.drop("_rc", "_rd")


def _raw_json(stage: ir.Table, mapping: Mapping) -> ir.StringValue:
    """The original row as JSON (header → cell), kept with quarantined rows for the analyst."""
    cells = {name: stage[f"c{i}"] for i, name in enumerate(mapping.header)}
    return ibis.struct(cells).cast("json").cast("string")


def _usd(t: ir.Table, count: int, groups: dict[str, list[int]]):
    """value_usd: the first value column that gives a positive amount in US dollars (the
    USD columns first, then the others at their rate), else one that gives zero; and the
    declared value and currency: the first non-USD value column with an amount."""
    usd, source = [], []
    rate_of = _rate_of(groups)
    for k in range(count):
        amount, currency = t[f"_amount{k}"], t[f"_currency{k}"]
        is_usd = currency == "USD"
        first = rate_of.get(k)
        rate = t[f"_rate{first}"] if first is not None else ibis.null("float64")
        rate_source = t[f"_rsrc{first}"] if first is not None else ibis.null("string")
        usd.append(ibis.ifelse(is_usd, amount, amount * rate))
        source.append(ibis.ifelse(is_usd, ibis.literal("declared"), rate_source))
    if not usd:
        null = ibis.null("float64"), ibis.null("string")
        return null[0], null[1], null[0], null[1]
    positive = [(u > 0, u, s) for u, s in zip(usd, source, strict=True)]
    found = [(u.notnull(), u, s) for u, s in zip(usd, source, strict=True)]
    value_usd = ibis.cases(*[(c, u) for c, u, _ in positive + found], else_=ibis.null("float64"))
    value_source = ibis.cases(*[(c, s) for c, _, s in positive + found], else_=ibis.null("string"))
    declared = [
        (t[f"_amount{k}"].notnull() & (t[f"_currency{k}"] != "USD"), k) for k in range(count)
    ] + [(t[f"_amount{k}"].notnull(), k) for k in range(count)]
    value = ibis.cases(*[(c, t[f"_amount{k}"]) for c, k in declared], else_=ibis.null("float64"))
    currency = ibis.cases(
        *[(c, t[f"_currency{k}"]) for c, k in declared], else_=ibis.null("string")
    )
    return value_usd, value_source, value, currency


def _notes(
    t: ir.Table, mapping: Mapping, values: list[tuple[int, str]], groups: dict[str, list[int]]
) -> ir.StringValue:
    """What the row keeps but an analyst should know, '; '-separated (null: nothing)."""
    notes: list[tuple[ir.BooleanValue, ir.StringValue]] = []

    def note(condition: ir.BooleanValue, *parts) -> None:
        text = [ibis.literal(p) if isinstance(p, str) else p.cast("string") for p in parts]
        notes.append((condition, ibis.literal("").concat(*text)))

    def header(field_name: str) -> str:
        return mapping.header_of(field_name) or field_name

    for name in COUNTRY_FIELDS:
        raw = t[f"_raw_{name}"]
        note(raw.notnull() & t[name].isnull(), f"{header(name)} '", raw,
             "' is not a country (a region or placeholder): left empty")  # fmt: skip
    note(t._raw_hs_code.notnull() & t.hs_code.isnull(), f"{header('hs_code')} '",
         t._raw_hs_code, "' is not an HS code")  # fmt: skip
    for name in MEASURE_FIELDS:
        raw = t[f"_raw_{name}"]
        note(raw.notnull() & t[name].isnull(), f"{header(name)} '", raw, "' is not a number")
    rate_of = _rate_of(groups)
    for k, (index, _) in enumerate(values):
        raw, amount, currency = t[f"_raw_value{k}"], t[f"_amount{k}"], t[f"_currency{k}"]
        column = mapping.header[index]
        note(raw.notnull() & amount.isnull(), f"{column} '", raw, "' is not a number")
        note(amount.notnull() & currency.isnull(), f"{column}: currency unknown",
             " (give it with --currency)")  # fmt: skip
        first = rate_of.get(k)
        if first is not None:
            rate = t[f"_rate{first}"]
            note(amount.notnull() & currency.notnull() & (currency != "USD") & rate.isnull()
                 & t.date.notnull(), f"{column}: no exchange rate for ", currency, " on ",
                 t.date)  # fmt: skip
    if values:
        note(t.value_usd.isnull() & t.value.notnull(), "unvalued: value_usd left empty")
    raw_direction = t._raw_direction
    note(raw_direction.notnull() & t._flow.isnull(),
         f"{header('direction')} '", raw_direction,
         "' not understood: the file's direction used")  # fmt: skip
    note(t._raw_line_no.notnull() & _int(t._raw_line_no).isnull(), f"{header('line_no')} '",
         t._raw_line_no, "' is not a whole number")  # fmt: skip
    if not notes:
        return ibis.null("string")
    texts = ibis.array([ibis.ifelse(c, text, ibis.null("string")) for c, text in notes])
    joined = texts.filter(lambda x: x.notnull()).join("; ")
    any_note = functools.reduce(operator.or_, [c.fill_null(False) for c, _ in notes])
    # most rows have none: the engine builds the text only for the rows that do
    return ibis.ifelse(any_note, joined.nullif(""), ibis.null("string"))


def _failure(t: ir.Table, mapping: Mapping, values) -> ir.IntegerValue:
    """The index of the first failing check, or null for a good row: computed once, so the
    checks are evaluated once per row (and compiled once), not for each of the three
    ``reject_*`` columns."""
    checks = _checks(t, mapping, values)
    return ibis.cases(*[(c[0], i) for i, c in enumerate(checks)], else_=ibis.null("int16"))


def _first_failure(t: ir.Table, mapping: Mapping, values):
    """(column, value, reason) of the first failing check (``t._failure``, see
    :func:`_failure`), or nulls for a good row."""
    checks = _checks(t, mapping, values)

    def pick(i: int) -> ir.StringValue:
        return ibis.cases(
            (t._failure.isnull(), ibis.null("string")),  # most rows: one test, not one per check
            *[(t._failure == n, c[i]) for n, c in enumerate(checks)],
            else_=ibis.null("string"),
        )

    return pick(1), pick(2), pick(3)


def _checks(t: ir.Table, mapping: Mapping, values):
    """(fails, column, value, reason) of every check, in order. A row is quarantined only
    when it cannot be counted at all: no usable date, no value and no quantity, no party,
    no direction. Everything else loads, with a note (see :func:`_notes`)."""
    checks: list[tuple[ir.BooleanValue, ir.StringValue, ir.StringValue, ir.StringValue]] = []

    def check(fails, field_name, reason, value=None):
        raw = t[f"_raw_{field_name}"] if f"_raw_{field_name}" in t.columns else ibis.null("string")
        header = mapping.header_of(field_name) or field_name
        reason = ibis.literal(reason) if isinstance(reason, str) else reason
        value = value if value is not None else raw
        checks.append((fails, ibis.literal(header, "string"), value, reason))

    raw_date = t._raw_date.fill_null(t._raw_period)
    date_field = "date" if "date" in mapping.columns else "period"
    check(raw_date.isnull(), date_field, "missing date", raw_date)
    check(
        t.date.isnull(),
        date_field,
        "unparseable date (expected dd.mm.yyyy, yyyy-mm-dd, yyyymmdd, Mon yyyy or an Excel serial)",
        raw_date,
    )
    check(t.direction.isnull(), "direction",
          "no direction (the file's is unknown: give --direction import|export)")  # fmt: skip
    check(
        t.importer_name.isnull() & t.exporter_name.isnull(),
        "importer_name",
        "no importer or exporter name",
    )
    no_amount = ibis.literal(True)
    for k in range(len(values)):
        no_amount = no_amount & t[f"_amount{k}"].isnull()
    check(no_amount & t.quantity.isnull(), "value_usd" if values else "quantity",
          "no value and no quantity")  # fmt: skip
    return checks
