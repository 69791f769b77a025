"""Reporter and partner codes: a statistics file's label or code → ISO2 or a documented code.

Comext writes labels ("Germany (incl. German Democratic Republic 'DD' from 1991)",
"European Union - 27 countries (AT, BE, …)"), its bulk files and Comtrade ISO codes, the
IMF ISO3 and its own group codes ("G001", "TX899"). An analysis must see one code per place
whatever the source, and an aggregate must never pass for a country: the rules, and every
code that is not a country, are in ``data/aggregates.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import pycountry
import yaml

from tradetrace.reference.countries import country_key, to_iso2

__all__ = ["AGGREGATES_FILE", "aggregate_names", "code_of", "code_reader", "is_country"]

AGGREGATES_FILE = "data/aggregates.yaml"
#: A trailing note in parentheses, as Comext adds to labels; the label before it is the name.
_NOTE = re.compile(r"^(?P<name>.+?)\s*\(.*\)\s*$")


@dataclass(frozen=True)
class _SourceCodes:
    prefix: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Codes:
    written: dict[str, str]  # country_key of a spelling → its code
    names: dict[str, str]  # aggregate code → what it stands for
    source_codes: dict[str, _SourceCodes]


@cache
def _codes() -> _Codes:
    text = files("tradetrace.stats").joinpath(AGGREGATES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    written: dict[str, str] = {}

    def claim(code: str, spelling: str) -> None:
        key = country_key(str(spelling))
        if written.get(key, code) != code:
            raise ValueError(f"{AGGREGATES_FILE}: {spelling!r} is both {written[key]} and {code}")
        written[key] = code

    names = {}
    for code, entry in data["aggregates"].items():
        names[code] = " ".join(str(entry["name"]).split())
        for spelling in [code, *entry["written"]]:
            claim(code, spelling)
    for code, spellings in data["countries"].items():
        for spelling in spellings:
            claim(code, spelling)
    source_codes = {
        source: _SourceCodes(str(rule["prefix"]), re.compile(rule["pattern"]))
        for source, rule in data["source_codes"].items()
    }
    return _Codes(written, names, source_codes)


def aggregate_names() -> dict[str, str]:
    """Each aggregate code and what it stands for (the docs' table)."""
    return dict(_codes().names)


def is_country(code: str) -> bool:
    """Whether a reporter or partner code is one country (EU and EA are two letters too)."""
    return len(code) == 2 and code not in _codes().names


def _listed_or_country(text: str) -> str | None:
    return _codes().written.get(country_key(text)) or to_iso2(text)


def _former_country(text: str) -> str | None:
    """ISO 3166-3 alpha-4 of a former country's alpha-3 code (its alpha-2 was reused)."""
    if len(text) != 3 or not text.isalpha():
        return None
    former = pycountry.historic_countries.get(alpha_3=text.upper())
    return getattr(former, "alpha_4", None) if former is not None else None


@cache
def code_of(text: str, source: str) -> str | None:
    """The code of a reporter or partner as ``source`` writes it, or None when unknown.

    The rules are listed, in order, at the top of ``data/aggregates.yaml``.
    """
    text = text.strip()
    if not text:
        return None
    found = _listed_or_country(text) or _former_country(text)
    if found:
        return found
    note = _NOTE.match(text)
    if note and (found := _listed_or_country(note.group("name"))):
        return found
    rule = _codes().source_codes.get(source)
    if rule is not None and rule.pattern.fullmatch(text):
        return rule.prefix + text
    return None


def code_reader(kind: str, source: str) -> Callable[[str], str]:
    """:func:`code_of` for one reporter or partner column: an unknown code or label raises
    the ``ValueError`` that names its row and column."""

    def read(text: str) -> str:
        found = code_of(text, source)
        if found is None:
            raise ValueError(
                f"unknown {kind} {text!r}: not a country or a known aggregate "
                "(add it to tradetrace/stats/data/aggregates.yaml)"
            )
        return found

    return read
