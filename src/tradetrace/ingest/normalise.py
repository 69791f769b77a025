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

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.ingest.profiles import Mapping
from tradetrace.model import (
    COUNTRY_FIELDS,
    DECLARATION_COLUMNS,
    MAPPABLE_FIELDS,
    NUMBER_FIELDS,
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
    "importer_address",
    "exporter_name",
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


@dataclass(frozen=True)
class References:
    """The lookup tables normalisation joins against (all in the store)."""

    country_aliases: ir.Table  # key, iso2
    currency_aliases: ir.Table  # key, currency
    fx_ecb: ir.Table  # currency, date, usd_per_unit
    fx_user: ir.Table  # currency, date, usd_per_unit

    def names(self) -> tuple[str, ...]:
        return tuple(
            t.get_name()
            for t in (self.country_aliases, self.currency_aliases, self.fx_ecb, self.fx_user)
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


def parse_date(text: ir.StringValue) -> ir.DateValue:
    return _date_of_parts(text, *_date_parts(text))


def _parsed_dates(values: ir.Table) -> ir.Table:
    """``parse_date`` of ``values._v`` with the year, month and day made a step before, so
    the compiled lookup names them instead of repeating their expressions (planning the
    statement, once per batch, took longer than running it)."""
    parts = values.mutate(**dict(zip(("_y", "_m", "_d"), _date_parts(values._v), strict=True)))
    return parts.select("_v", date=_date_of_parts(parts._v, parts._y, parts._m, parts._d))


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


def direction_of(text: ir.StringValue, default: str) -> ir.StringValue:
    key = text.upper()
    return ibis.cases(
        (text.isnull(), ibis.literal(default)),
        *[(key.isin(list(words)), ibis.literal(name)) for name, words in DIRECTIONS.items()],
        else_=ibis.null("string"),
    )


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
    profile = mapping.profile
    steps: list[tuple[str, ir.Table]] = []

    def step(name: str, expr: ir.Table) -> ir.Table:
        steps.append((name, expr))
        return ibis.table(expr.schema(), name=name) if staged else expr

    def cell(name: str) -> ir.StringValue:
        if name in mapping.columns:
            return clean(stage[f"c{mapping.columns[name]}"])
        if name in profile.constants:
            return ibis.literal(profile.constants[name], "string")
        return ibis.null("string")

    # Clean every cell once; everything after refers to these columns, which keeps the
    # compiled SQL small (expressions are inlined wherever they are used).
    cells = stage.select(
        _source_row=stage["_source_row"],
        **{f"_raw_{f}": cell(f) for f in MAPPABLE_FIELDS},
        **{f"_num_{f}": number_text(cell(f)) for f in NUMBER_FIELDS},
    )

    def raw(name: str) -> ir.StringValue:
        return cells[f"_raw_{name}"]

    importer_name, importer_id = raw("importer_name"), raw("importer_id")
    embedded_id = importer_name.re_search(r"^(\d{12}|\d{10})(\s+\d{9})?\s+\S")
    split_id = embedded_id & importer_id.isnull()
    t = cells.mutate(
        **{f: raw(f) for f in TEXT_FIELDS},
        declaration_id=raw("declaration_id"),
        line_no=_int(raw("line_no")).fill_null(1),
        direction=direction_of(raw("direction"), profile.direction),
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
        **{f: _parse_number_any(cells[f"_num_{f}"], profile.decimal) for f in NUMBER_FIELDS},
    )
    t = t.mutate(**{f: _finite(t[f]) for f in NUMBER_FIELDS})  # see parse_number_text
    dates = step("_lk_date", _parsed_dates(cells.select(_v=raw("date")).distinct()))
    t = _join_values(t, "_raw_date", dates, "date")
    codes = step("_lk_hs", _parsed_values(cells, raw("hs_code"), hs_code=normalise_hs))
    codes = codes.mutate(hs6=_hs6(codes.hs_code), hs_chapter=codes.hs_code.substr(0, 2))
    codes = codes.mutate(hs_section=hs_section(codes.hs_chapter))
    t = _join_values(t, "_raw_hs_code", codes, "hs_code", "hs6", "hs_chapter", "hs_section")
    countries = step(
        "_lk_country",
        _lookup_values(
            cells, [raw(f) for f in COUNTRY_FIELDS], country_key, refs.country_aliases, "iso2"
        ),
    )
    for name in COUNTRY_FIELDS:
        t = _join_values(t, f"_raw_{name}", countries.rename({name: "iso2"}), name)
    currencies = step(
        "_lk_currency",
        _lookup_values(cells, [raw("currency")], currency_key, refs.currency_aliases, "currency"),
    )
    t = _join_values(t, "_raw_currency", currencies, "currency")
    rates = step(
        "_lk_rates", _rate_pairs(cells, raw("currency"), raw("date"), currencies, dates, refs)
    )
    t = _join_rates(t, rates)
    value_usd, usd_source = _usd(t)
    t = t.mutate(
        value_usd=value_usd,
        value_usd_source=usd_source,
        source_file=ibis.null("string"),
        source_row=t._source_row,
        ingest_id=ibis.null("string"),
    )
    t = t.mutate(_failure=_failure(t, mapping))
    column, value, reason = _first_failure(t, mapping)
    step(
        "_norm",
        t.select(
            *DECLARATION_COLUMNS,
            reject_column=column,
            reject_value=value,
            reject_reason=reason,
        ),
    )
    return steps


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


def _rate_pairs(
    cells: ir.Table,
    raw_currency: ir.StringValue,
    raw_date: ir.StringValue,
    currencies: ir.Table,
    dates: ir.Table,
    refs: References,
) -> ir.Table:
    """The user and ECB rate of each distinct (raw currency, raw date) pair."""
    pairs = cells.select(_c=raw_currency, _d=raw_date).distinct()
    pairs = pairs.filter(pairs._c.notnull() & pairs._d.notnull())
    pairs = pairs.inner_join(currencies, pairs._c == currencies._v).drop("_v")
    pairs = pairs.inner_join(dates, pairs._d == dates._v).drop("_v")
    for rates, out in ((refs.fx_user, "_rate_user"), (refs.fx_ecb, "_rate_ecb")):
        lookup = rates.select(_rc=rates.currency, _rd=rates.date, **{out: rates.usd_per_unit})
        pairs = pairs.left_join(
            lookup, (pairs.currency == lookup._rc) & (pairs.date == lookup._rd)
        ).drop("_rc", "_rd")
    return pairs.select("_c", "_d", "_rate_user", "_rate_ecb")


def _join_rates(t: ir.Table, pairs: ir.Table) -> ir.Table:
    pairs = pairs.view()
    joined = t.left_join(pairs, (t._raw_currency == pairs._c) & (t._raw_date == pairs._d))
    return joined.drop("_c", "_d")


def _raw_json(stage: ir.Table, mapping: Mapping) -> ir.StringValue:
    """The original row as JSON (header → cell), kept with quarantined rows for the analyst."""
    cells = {name: stage[f"c{i}"] for i, name in enumerate(mapping.header)}
    return ibis.struct(cells).cast("json").cast("string")


def _usd(t: ir.Table) -> tuple[ir.FloatingValue, ir.StringValue]:
    has_value = t.value.notnull()
    usd = t.currency == "USD"
    value_usd = ibis.cases(
        (t.value_usd.notnull(), t.value_usd),
        (has_value & usd, t.value),
        (has_value & t._rate_user.notnull(), t.value * t._rate_user),
        (has_value & t._rate_ecb.notnull(), t.value * t._rate_ecb),
        else_=ibis.null("float64"),
    )
    source = ibis.cases(
        (t.value_usd.notnull() | (has_value & usd), ibis.literal("declared")),
        (has_value & t._rate_user.notnull(), ibis.literal("user")),
        (has_value & t._rate_ecb.notnull(), ibis.literal("ecb")),
        else_=ibis.null("string"),
    )
    return value_usd, source


def _failure(t: ir.Table, mapping: Mapping) -> ir.IntegerValue:
    """The index of the first failing check, or null for a good row: computed once, so the
    checks are evaluated once per row (and compiled once), not for each of the three
    ``reject_*`` columns."""
    checks = _checks(t, mapping)
    return ibis.cases(*[(c[0], i) for i, c in enumerate(checks)], else_=ibis.null("int16"))


def _first_failure(t: ir.Table, mapping: Mapping):
    """(column, value, reason) of the first failing check (``t._failure``, see
    :func:`_failure`), or nulls for a good row."""
    checks = _checks(t, mapping)

    def pick(i: int) -> ir.StringValue:
        return ibis.cases(
            (t._failure.isnull(), ibis.null("string")),  # most rows: one test, not one per check
            *[(t._failure == n, c[i]) for n, c in enumerate(checks)],
            else_=ibis.null("string"),
        )

    return pick(1), pick(2), pick(3)


def _checks(t: ir.Table, mapping: Mapping):
    """(fails, column, value, reason) of every check, in order."""
    checks: list[tuple[ir.BooleanValue, str, ir.StringValue, ir.StringValue]] = []

    def check(fails, field_name, reason, value=None):
        raw = t[f"_raw_{field_name}"] if f"_raw_{field_name}" in t.columns else ibis.null("string")
        header = mapping.header_of(field_name) or field_name
        reason = ibis.literal(reason) if isinstance(reason, str) else reason
        value = value if value is not None else raw
        checks.append((fails, ibis.literal(header, "string"), value, reason))

    raw_date = t._raw_date
    check(raw_date.isnull(), "date", "missing date")
    check(
        t.date.isnull(),
        "date",
        "unparseable date (expected dd.mm.yyyy, yyyy-mm-dd, yyyymmdd or an Excel serial)",
    )
    check(t._raw_hs_code.isnull(), "hs_code", "missing HS / TN VED code")
    check(t.hs_code.isnull(), "hs_code", "invalid HS / TN VED code (not digits of an HS chapter)")
    check(t._raw_line_no.notnull() & _int(t._raw_line_no).isnull(), "line_no", "not a whole number")
    check(t._raw_direction.notnull() & t.direction.isnull(), "direction", "unknown direction")
    for name in NUMBER_FIELDS:
        check(t[f"_raw_{name}"].notnull() & t[name].isnull(), name, "not a number")
    for name in COUNTRY_FIELDS:
        check(t[f"_raw_{name}"].notnull() & t[name].isnull(), name, "unknown country")
    check(t._raw_currency.notnull() & t.currency.isnull(), "currency", "unknown currency")
    check(
        t.importer_name.isnull() & t.exporter_name.isnull(),
        "importer_name",
        "no importer or exporter name",
    )
    no_usd = t.value_usd.isnull()
    check(no_usd & t.value.isnull(), "value_usd", "missing value")
    check(no_usd & t.currency.isnull(), "currency", "value without a currency")
    check(
        no_usd,
        "currency",
        "no exchange rate for " + t.currency + " on " + t.date.cast("string"),
    )

    return checks
