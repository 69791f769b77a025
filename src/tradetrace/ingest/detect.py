"""What a file is: its direction, whose customs records it holds, and how fine its rows are.

Every row carries ``direction`` (import/export), ``reporter_country`` (the customs
authority) and ``granularity`` (a declaration ``line`` or a vendor's ``month`` aggregate).
They come, strongest first, from the user (``--direction``, ``--reporter``), a profile,
a column of the file (a DIRECTION column, a reporter column), the words of the headers
and the values of a sample of rows, and last the file's name. Every decision is kept
with its reason (:attr:`FileReading.detected`), which ``ingest --json`` and
``--dry-run`` show.

The clues, in the order they are weighed (each documented in ``docs/model.md``):

* direction: a date or procedure named after a flow (``IMP_DATE``, ``TYPE_OF_EXPORT``,
  an arrival date), the side the file calls by a perspective word ("supplier" is what an
  importer's records call the foreign side, "buyer" what an exporter's do), the side the
  customs authority knows better (its tax id, phone, postal code, a name translated from
  the local script), a country column given for the other side, the file's name;
* reporter: a local currency named in a header (``CUSTOMS_VALUE_KZT``), a header word of
  one country (``IEC``, ``INDIAN_PORT``), the domestic party's tax ids passing one
  country's checksum, the file's name;
* granularity: a month column with no declaration number, or aggregate headers
  (``SUMOF…``, ``%GT…``, ``AVG…``).
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import yaml

from tradetrace.errors import ProfileError
from tradetrace.ingest.headers import (
    currency_code,
    read_headers,
    vocabulary,
    words_of,
)
from tradetrace.ingest.profiles import Mapping, Profile, get_profile
from tradetrace.reference.countries import to_iso2

DIRECTIONS = ("import", "export")
#: the reporter's own party in a file of each direction
DOMESTIC_SIDE = {"import": "importer", "export": "exporter"}
#: party fields whose canonical name differs from ``<role>_<attribute>``
_FIELD_NAMES = {"manufacturer_name": "manufacturer"}
GRANULARITIES = ("line", "month")
SAMPLE_ROWS = 2_000
#: tax-id checks of python-stdnum, by the country whose domestic parties they identify
ID_CHECKS = {
    "RU": "stdnum.ru.inn", "UA": "stdnum.ua.edrpou", "IN": "stdnum.in_.pan",
    "TR": "stdnum.tr.vkn", "VN": "stdnum.vn.mst", "MD": "stdnum.md.idno", "BY": "stdnum.by.unp",
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    """What the user says about a file; each wins over anything detected."""

    direction: str | None = None
    reporter: str | None = None
    currency: str | None = None
    granularity: str | None = None
    profile: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class FileReading:
    """How a file will be read: the column mapping and the file-level facts, with reasons."""

    mapping: Mapping
    direction: str | None
    reporter_country: str | None
    granularity: str
    currency: str | None
    detected: dict[str, str]
    unmapped_columns: list[str]

    def describe(self) -> dict:
        """The JSON shape of ``ingest --json`` / ``--dry-run`` for one file."""
        m = self.mapping
        mapping = {f: m.header[i] for f, i in sorted(m.columns.items(), key=lambda x: x[1])}
        return {
            "direction": self.direction,
            "reporter_country": self.reporter_country,
            "granularity": self.granularity,
            "currency": self.currency,
            "mapping": mapping,
            "fallbacks": {f: [m.header[i] for i in c] for f, c in m.fallbacks.items() if c},
            "value_currencies": {m.header[i]: c for i, c in m.value_currencies.items()},
            "unmapped_columns": self.unmapped_columns,
            "detected": self.detected,
        }


@cache
def customs_authorities() -> dict[str, tuple[str, str]]:
    """ISO2 → (local currency, time zone), from ``customs_authorities.yaml``."""
    folder = resources.files("tradetrace.reference") / "data"
    data = yaml.safe_load((folder / "customs_authorities.yaml").read_text(encoding="utf-8"))
    return {cc: (v[0], v[1]) for cc, v in data.items()}


def local_currency(reporter: str | None) -> str | None:
    return customs_authorities().get(reporter or "", (None, None))[0]


def time_zone(reporter: str | None) -> str | None:
    return customs_authorities().get(reporter or "", (None, None))[1]


# -- the whole reading ----------------------------------------------------------------------------


def read_file(
    name: str, header: list[str], sample: pa.Table | None, options: Options | None = None
) -> FileReading:
    """Read a file's header (and a sample of its rows): mapping, facts, reasons."""
    options = options or Options()
    profile = get_profile(options.profile) if options.profile else None
    readings = read_headers(header)
    mapping, detected = _mapping(header, readings, profile, options.overrides)
    columns = _sample_columns(sample, len(header))
    direction, mapping = _direction(mapping, readings, columns, name, profile, options, detected)
    reporter = _reporter(mapping, readings, columns, name, direction, profile, options, detected)
    granularity = _granularity(mapping, readings, profile, options, detected)
    currency = _currency(mapping, reporter, profile, options, detected)
    mapping = _sided(mapping, direction)
    constants = {
        "direction": direction,
        "reporter_country": reporter,
        "granularity": granularity,
        "currency": currency,
    }
    mapping = replace(
        mapping,
        constants={k: v for k, v in constants.items() if v},
        decimal=_decimal(mapping, columns, profile, detected),
        utc_offset_zone=time_zone(reporter),
    )
    used = mapping.used_columns()
    unmapped = [h for i, h in enumerate(header) if i not in used]
    mapping = replace(mapping, extra=tuple(i for i in range(len(header)) if i not in used))
    return FileReading(mapping, direction, reporter, granularity, currency, detected, unmapped)


def _mapping(
    header: list[str], readings, profile: Profile | None, overrides: dict[str, str]
) -> tuple[Mapping, dict[str, str]]:
    """Fields → columns: the header's words, then the profile's lists, then ``--map``."""
    columns = {_FIELD_NAMES.get(f, f): r.index for f, r in readings.chosen.items()}
    fallbacks = {f: tuple(r.index for r in rs) for f, rs in readings.fallbacks.items()}
    alternates = {
        f: r.index
        for f, r in readings.alternates.items()
        if f in ("importer_name", "exporter_name")
    }
    currencies = {
        r.index: r.currency or ""
        for f in ("value_usd", "value")
        for r in [readings.chosen.get(f), *readings.fallbacks.get(f, [])]
        if r is not None
    }
    detected: dict[str, str] = {}
    keys = {_key(h): i for i, h in reversed(list(enumerate(header)))}
    if profile is not None:
        for name, headers in profile.fields.items():
            present = [keys[_key(h)] for h in headers if _key(h) in keys]
            if not present:
                continue
            columns[name], rest = present[0], tuple(present[1:])
            if name.endswith("_name_alt"):
                alternates[name[: -len("_alt")]] = present[0]
                del columns[name]
            elif rest:
                fallbacks[name] = rest
            if name in ("value", "value_usd"):
                for index in present:
                    currencies.setdefault(index, "")
        for column, code in profile.currencies.items():
            if _key(column) in keys:
                currencies[keys[_key(column)]] = code
        detected["profile"] = f"fields from profile {profile.name!r}, the rest from header words"
    for source_header, target in overrides.items():
        position = keys.get(_key(source_header))
        if position is None:
            raise ProfileError(
                f"--map {f'{source_header}={target}'!r}: no column {source_header!r} in the file"
            )
        columns = {f: i for f, i in columns.items() if i != position}
        columns[target] = position
        if target in ("value", "value_usd"):
            currencies[position] = "USD" if target == "value_usd" else currencies.get(position, "")
    for name in [f for f in columns if f.endswith("_name_alt")]:
        alternates[name[: -len("_alt")]] = columns.pop(name)
    for name in list(currencies):
        if name not in columns.values() and not any(name in c for c in fallbacks.values()):
            del currencies[name]
    for index in list(currencies):
        if columns.get("value_usd") == index or index in fallbacks.get("value_usd", ()):
            currencies[index] = "USD"
    base = profile or Profile("words", "read from the header words", {})
    mapping = Mapping(
        base, columns, tuple(header), fallbacks=fallbacks, alternates=alternates,
        value_currencies=currencies,
    )  # fmt: skip
    _check_countable(mapping)
    return mapping, detected


def _key(header: str) -> str:
    return " ".join(words_of(header))


def _check_countable(mapping: Mapping) -> None:
    """A file can be loaded only if its rows could be counted: a date, a value or a
    quantity, a party."""
    have = set(mapping.columns)
    missing = []
    if not have & {"date", "period"}:
        missing.append("a date or month")
    if not have & {"value", "value_usd", "quantity"}:
        missing.append("a value or quantity")
    if not have & {"importer_name", "exporter_name"}:
        missing.append("an importer or exporter name")
    if missing:
        shown = ", ".join(repr(h) for h in mapping.header[:40])
        shown += " …" if len(mapping.header) > 40 else ""
        raise ProfileError(
            f"cannot map the header: no column for {', '.join(missing)}; headers seen: "
            f'{shown}; use --map "Header=field" or --profile FILE'
        )


def _sample_columns(sample: pa.Table | None, width: int) -> list[list[str]]:
    if sample is None:
        return [[] for _ in range(width)]
    sample = sample.slice(0, SAMPLE_ROWS)
    return [
        [v for v in sample.column(f"c{i}").to_pylist() if v not in (None, "")]
        if f"c{i}" in sample.column_names
        else []
        for i in range(width)
    ]


# -- direction ------------------------------------------------------------------------------------


def direction_of_value(text: str) -> str | None:
    """A direction cell as import/export ("ИМ", "IM4", "EX1000000", "RELEASE ... (IMPORT)")."""
    value = text.strip().upper()
    values = vocabulary().direction_values
    for name, words in values.items():
        if value in words:
            return name
    for name, words in values.items():
        for word in words:
            if len(word) >= 2 and re.match(rf"^{re.escape(word)}(\d|/|\s|-|$)", value):
                return name
    for name in DIRECTIONS:
        if re.search(rf"\b{name.upper()}", value):
            return name
    return None


def _direction(
    mapping, readings, columns, name, profile, options, detected
) -> tuple[str | None, Mapping]:
    """The file's direction, and the mapping without a direction column whose cells do not
    read as directions (a procedure code: it stays in ``extra``)."""
    if options.direction:
        return _said(detected, "direction", options.direction, "given with --direction"), mapping
    if profile is not None and profile.direction:
        said = _said(detected, "direction", profile.direction, f"profile {profile.name!r}")
        return said, mapping
    votes: Counter[str] = Counter()
    why: list[str] = []
    column = mapping.columns.get("direction")
    if column is not None:
        values = [direction_of_value(v) for v in columns[column]]
        read = [v for v in values if v]
        if values and len(read) >= 0.8 * len(values):
            counts = Counter(read)
            top, n = counts.most_common(1)[0]
            detected["direction"] = (
                f"per row from column {mapping.header[column]!r} "
                f"({', '.join(f'{k}: {v}' for k, v in counts.items())} in the sample)"
            )
            return top, mapping
        if values:
            kept = {f: i for f, i in mapping.columns.items() if f != "direction"}
            mapping = replace(mapping, columns=kept)
    for reading in readings.columns:
        concepts = reading.concepts
        if reading.field == "date" or "type" in concepts or "direction" in concepts:
            for flow in DIRECTIONS:
                if flow in concepts:
                    votes[flow] += 3
                    why.append(f"{reading.header!r} names an {flow} ({flow} +3)")
    words = {w for r in readings.columns if r.party for w in r.words}
    for flow, (label, entries) in vocabulary().perspective_words.items():
        if any(_is_word(w, entry) for w in words for entry in entries):
            votes[flow] += 2
            why.append(f"the foreign side is called {label!r} ({flow} +2)")
    if "importer" in words and "exporter" not in words:
        votes["import"] += 1
        why.append("an 'importer' column and no 'exporter' (import +1)")
    if "exporter" in words and "importer" not in words:
        votes["export"] += 1
        why.append("an 'exporter' column and no 'importer' (export +1)")
    for flow, side in (("import", "importer"), ("export", "exporter")):
        detail = _domestic_detail(readings, side)
        if detail:
            votes[flow] += len(detail)
            why.append(f"the {side} side has {', '.join(detail)} ({flow} +{len(detail)})")
    for flow, side in (("export", "importer"), ("import", "exporter")):
        if f"{side}_country" in mapping.columns:
            votes[flow] += 2
            why.append(f"a country is given for the {side} ({flow} +2): a foreign party")
    for flow, file_words in vocabulary().file_name_words.items():
        if set(_name_words(name)) & file_words:
            votes[flow] += 2
            why.append(f"the file name says {flow} ({flow} +2)")
    if not votes or votes["import"] == votes["export"]:
        detected["direction"] = "cannot tell: " + ("; ".join(why) or "no clue in the file")
        return None, mapping
    flow = max(DIRECTIONS, key=lambda d: votes[d])
    detected["direction"] = f"{flow}: " + "; ".join(why)
    return flow, mapping


def _is_word(word: str, entry: str) -> bool:
    """A header word against a vocabulary entry ("поставщик*" is a stem)."""
    return word.startswith(entry[:-1]) if entry.endswith("*") else word == entry


def _domestic_detail(readings, side: str) -> list[str]:
    """What marks a party as the one the customs authority registered: its tax id, phone
    or postal code, its name in the local script beside an English translation."""
    found = []
    mine = [r for r in readings.columns if r.party == side]
    if any(r.attribute == "id" for r in mine):
        found.append("a tax id")
    for r in readings.columns:
        if r.field is None and side in r.concepts and "contact" in r.concepts:
            found.append("a phone/postal code")
            break
    name = f"{side}_name"
    other = "exporter" if side == "importer" else "importer"
    translated = {r.party for r in readings.columns if r.variant in ("english", "original")}
    if side in translated and other not in translated and name in readings.chosen:
        found.append("a name translated from the local script")
    return found


def _name_words(name: str) -> list[str]:
    return words_of(Path(name.split(":")[-1]).name.split(".")[0])


# -- reporter -------------------------------------------------------------------------------------


def _reporter(mapping, readings, columns, name, direction, profile, options, detected):
    if options.reporter:
        return _said(detected, "reporter_country", _iso2(options.reporter), "given with --reporter")
    if profile is not None and profile.reporter:
        return _said(
            detected, "reporter_country", _iso2(profile.reporter), f"profile {profile.name!r}"
        )
    column = mapping.columns.get("reporter_country")
    if column is not None and columns[column]:
        counts = Counter(to_iso2(v) for v in columns[column])
        top = counts.most_common(1)[0][0]
        if top:
            detected["reporter_country"] = f"from column {mapping.header[column]!r}"
            return top
    votes: Counter[str] = Counter()
    why: list[str] = []
    currencies = {c: cc for cc, (c, _) in customs_authorities().items() if c not in ("USD", "EUR")}
    for reading in readings.columns:
        for word in reading.words:
            code = currency_code(word)
            if code in currencies and (
                "value" in reading.concepts or "not_a_value" in reading.concepts
            ):
                votes[currencies[code]] += 3
                why.append(f"{reading.header!r} is in {code} ({currencies[code]} +3)")
                break
    all_words = [tuple(r.words) for r in readings.columns]
    flat = {w for ws in all_words for w in ws}
    for cc, phrases in vocabulary().reporter_words.items():
        for phrase in phrases:
            hit = " ".join(phrase) in {" ".join(ws) for ws in all_words} or (
                len(phrase) == 1 and phrase[0] in flat
            )
            if hit:
                votes[cc] += 2
                why.append(f"a header says {' '.join(phrase)!r} ({cc} +2)")
    domestic_ids = _domestic_id_values(mapping, columns, direction)
    for cc, module in ID_CHECKS.items():
        valid = _valid_share(module, domestic_ids)
        if len(domestic_ids) >= 2 and valid >= 0.9:
            votes[cc] += 3
            why.append(f"{valid:.0%} of the domestic party's ids pass the {cc} checksum ({cc} +3)")
    named = _country_in_name(name)
    if named:
        votes[named] += 2
        why.append(f"the file name names {named} ({named} +2)")
    if not votes:
        detected["reporter_country"] = "cannot tell whose customs records these are"
        return None
    top = votes.most_common()
    if len(top) > 1 and top[0][1] == top[1][1]:
        detected["reporter_country"] = "cannot tell: " + "; ".join(why)
        return None
    detected["reporter_country"] = f"{top[0][0]}: " + "; ".join(why)
    return top[0][0]


def _domestic_id_values(mapping: Mapping, columns, direction: str | None) -> list[str]:
    side = DOMESTIC_SIDE.get(direction or "")
    names = [f"{side}_id", "domestic_id"] if side else ["domestic_id"]
    for name in names:
        if name in mapping.columns:
            return [v.strip() for v in columns[mapping.columns[name]] if v.strip()][:200]
    return []


def _valid_share(module_name: str, values: list[str]) -> float:
    if not values:
        return 0.0
    module = importlib.import_module(module_name)
    return sum(bool(module.is_valid(v)) for v in values) / len(values)


def _country_in_name(name: str) -> str | None:
    """A country named by a word of the file name ("russia_import_short" → RU)."""
    for word in _name_words(name):
        if len(word) < 4:
            continue
        code = to_iso2(word)
        if code:
            return code
    return None


def _iso2(text: str) -> str:
    code = to_iso2(text)
    if not code:
        raise ProfileError(f"--reporter {text!r}: not a country")
    return code


# -- granularity, currency, decimal mark ----------------------------------------------------------


def _granularity(mapping, readings, profile, options, detected) -> str:
    if options.granularity:
        return _said(detected, "granularity", options.granularity, "given with --granularity")
    if profile is not None and profile.granularity:
        return _said(detected, "granularity", profile.granularity, f"profile {profile.name!r}")
    aggregate = [r.header for r in readings.columns if set(r.words) & vocabulary().aggregate_words]
    has_id = "declaration_id" in mapping.columns
    if "date" in mapping.columns:  # rows dated to the day: lines (or a vendor's daily sums)
        detected["granularity"] = f"line: rows dated by {mapping.header[mapping.columns['date']]!r}"
        return "line"
    if "period" in mapping.columns and not has_id:
        month = mapping.header[mapping.columns["period"]]
        why = f"a month column {month!r} and no declaration number"
        if aggregate:
            why += f"; aggregate headers {', '.join(map(repr, aggregate[:3]))}"
        detected["granularity"] = f"month: {why}"
        return "month"
    if aggregate and not has_id:
        detected["granularity"] = f"month: aggregate headers {', '.join(map(repr, aggregate[:3]))}"
        return "month"
    detected["granularity"] = "line: " + (
        "a declaration number column" if has_id else "no month column or aggregate header"
    )
    return "line"


def _currency(mapping: Mapping, reporter, profile, options, detected) -> str | None:
    """The currency of value columns that name none (and have no currency column)."""
    if options.currency:
        return _said(detected, "currency", options.currency.upper(), "given with --currency")
    if profile is not None and profile.currency:
        return _said(detected, "currency", profile.currency, f"profile {profile.name!r}")
    bare = [mapping.header[i] for i, c in mapping.value_currencies.items() if not c]
    if not bare:
        return None
    if "currency" in mapping.columns:
        detected["currency"] = (
            f"{', '.join(map(repr, bare))} in the currency of column "
            f"{mapping.header[mapping.columns['currency']]!r}"
        )
        return None
    detected["currency"] = (
        f"USD: {', '.join(map(repr, bare))} names no currency; assumed US dollars, as trade-data "
        "vendors state them (pass --currency CODE if not; values far from their goods' usual "
        "unit value are flagged)"
    )
    return "USD"


def _decimal(mapping: Mapping, columns, profile, detected) -> str:
    """ "," when the sample's numbers use a decimal comma ("1 234,56") and never a point."""
    if profile is not None and profile.decimal != ".":
        return profile.decimal
    numbers = [
        v
        for name in ("value", "value_usd", "quantity", "net_kg", "gross_kg")
        if name in mapping.columns
        for v in columns[mapping.columns[name]]
    ]
    comma = sum(bool(re.fullmatch(r"-?[\d  .]*\d,\d+", v)) for v in numbers)
    point = sum(bool(re.fullmatch(r"-?[\d ,]*\d\.\d{1,2}|-?\d+\.\d+", v)) for v in numbers)
    if comma and not point:
        detected["decimal"] = f"decimal comma: {comma} sampled numbers like {numbers[0]!r}"
        return ","
    return "."


def _said(detected: dict[str, str], key: str, value: str, why: str) -> str:
    detected[key] = why
    return value


def _sided(mapping: Mapping, direction: str | None) -> Mapping:
    """Columns whose field depends on the direction: an unqualified id or address belongs
    to the reporter's own party (the importer of an import), a port without a side is the
    reporter's own (discharge on import, loading on export), a foreign port the partner's."""
    columns = dict(mapping.columns)
    domestic = DOMESTIC_SIDE.get(direction or "")
    for attribute in ("id", "address"):
        index = columns.pop(f"domestic_{attribute}", None)
        if index is not None and domestic:
            columns.setdefault(f"{domestic}_{attribute}", index)
    ports = {
        "import": ("discharge_port", "loading_port"),
        "export": ("loading_port", "discharge_port"),
    }
    own, partner = ports.get(direction or "", (None, None))
    for name, target in (("domestic_port", own), ("foreign_port", partner)):
        index = columns.pop(name, None)
        if index is not None and target:
            columns.setdefault(target, index)
    return replace(mapping, columns=columns)


def assert_known(value: str | None, allowed: tuple[str, ...], option: str) -> None:
    if value is not None and value not in allowed:
        raise ProfileError(f"{option} {value!r}: expected one of {', '.join(allowed)}")


__all__ = [
    "FileReading",
    "Options",
    "direction_of_value",
    "local_currency",
    "read_file",
]
