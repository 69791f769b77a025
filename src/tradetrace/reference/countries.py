"""Country normalisation: free-text country codes and names -> ISO 3166-1 alpha-2.

Customs files name countries as ISO2/ISO3/numeric codes, English names in many styles and
Russian ОКСМ short names ("КОРЕЯ, РЕСПУБЛИКА"). Everything is reduced to one lookup key
(:func:`country_key`) and looked up in an alias table (:func:`country_alias_table`) built
from pycountry (codes, English names, Russian gettext translations) plus
``data/country_aliases.yaml`` (ОКСМ names and common variants pycountry lacks).

Bulk code joins the table in SQL using :func:`country_key_sql`; :func:`to_iso2` is the
single-value Python lookup.

Ambiguity note: a key claimed by two different ISO2 codes is dropped from the table and
reported by :func:`ambiguous_country_keys`. With the current data there are none, and
``EXPECTED_AMBIGUOUS_KEYS`` pins that (a test fails if one appears). Potential clashes are
resolved deliberately in the YAML instead:

- "CONGO" / "КОНГО" -> CG (ISO and ОКСМ short name); the DR Congo (CD) is always qualified.
- "KOREA" / "КОРЕЯ" -> KR (the usual meaning in trade data); KP is always qualified
  ("DPRK", "КНДР", "KOREA, DEM. PEOPLE'S REP.").
- "GEORGIA" -> GE; bare "VIRGIN ISLANDS" / "SAINT MARTIN" are not aliases at all.

Only current ISO 3166-1 codes are produced (``pycountry.countries``, never
``historic_countries``), plus the user-assigned code XK for Kosovo.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib.resources import files
from itertools import chain

import pyarrow as pa
import pycountry
import yaml

#: Codes accepted in addition to pycountry's alpha-2 list (not ISO 3166-1, but in trade use).
USER_ASSIGNED_CODES: dict[str, str] = {"XK": "Kosovo"}

#: Keys known to map to several countries (dropped from the table); see the module note.
EXPECTED_AMBIGUOUS_KEYS: frozenset[str] = frozenset()

_ALIASES_FILE = "data/country_aliases.yaml"
_NON_ALNUM = re.compile(r"[\W_]+")  # \W is unicode-aware: everything but letters/digits
_VENDOR_CODE_PREFIX = re.compile(r"\s*([A-Za-z]{2})\s*,")  # "IN, INDIA"
_STRESS_MARK = "\u0301"  # pycountry's Russian names carry stress accents ("Респу́блика")
_LATIN_END = 0x250  # code points below this are Latin; folding them keeps Й/Ё intact


def country_key(text: str) -> str:
    """Return the lookup key: upper-case, Ё->Е, each non-alphanumeric run -> one space, strip.

    Deliberately minimal so SQL can compute the identical key (see :func:`country_key_sql`):
    ``"КОРЕЯ, РЕСПУБЛИКА"`` -> ``"КОРЕЯ РЕСПУБЛИКА"``, ``"Korea, Rep."`` -> ``"KOREA REP"``,
    ``"TAIWAN (CHINA)"`` -> ``"TAIWAN CHINA"``. No Unicode normalisation is applied, so
    input is expected in composed (NFC) form, as customs files practically always are.
    """
    return _NON_ALNUM.sub(" ", text.upper().replace("Ё", "Е")).strip()


def country_key_sql(expr: str) -> str:
    """Return a DuckDB SQL expression computing :func:`country_key` of ``expr``.

    Lives next to the Python version so both stay in step (a test checks they agree).
    """
    return (
        f"trim(regexp_replace(replace(upper({expr}), 'Ё', 'Е'), "
        r"'[^\p{L}\p{N}]+', ' ', 'g'))"
    )


@lru_cache(maxsize=1)
def valid_iso2_codes() -> frozenset[str]:
    """Return every code the table may produce: current ISO 3166-1 alpha-2 plus XK."""
    return frozenset(c.alpha_2 for c in pycountry.countries).union(USER_ASSIGNED_CODES)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, which plain YAML would silently overwrite."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys in {_ALIASES_FILE}: {duplicates}")
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


@lru_cache(maxsize=1)
def yaml_country_aliases() -> dict[str, tuple[str, ...]]:
    """Load ``country_aliases.yaml`` as ``{ISO2: aliases}``, failing loudly on bad shapes."""
    text = files("tradetrace.reference").joinpath(_ALIASES_FILE).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    if not isinstance(data, dict):
        raise ValueError(f"{_ALIASES_FILE} must be a mapping")
    result: dict[str, tuple[str, ...]] = {}
    for code, aliases in data.items():
        if not isinstance(code, str) or not isinstance(aliases, list):
            raise ValueError(f"{_ALIASES_FILE}: bad entry {code!r}")
        if not all(isinstance(alias, str) for alias in aliases):
            raise ValueError(f"{_ALIASES_FILE}: non-string alias under {code!r}")
        result[code] = tuple(aliases)
    return result


def _pycountry_aliases() -> Iterator[tuple[str, str]]:
    """Yield ``(iso2, alias)`` for pycountry codes, English names and Russian translations."""
    russian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    for country in pycountry.countries:
        code = country.alpha_2
        yield from ((code, alias) for alias in (code, country.alpha_3, country.numeric))
        yield code, str(int(country.numeric))  # "4" as well as "004"
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                yield code, name
                yield code, russian.gettext(name)


def _yaml_aliases() -> Iterator[tuple[str, str]]:
    """Yield ``(iso2, alias)`` from the YAML, including each code itself (adds XK)."""
    for code, aliases in yaml_country_aliases().items():
        yield code, code
        yield from ((code, alias) for alias in aliases)


def _fold_latin(text: str) -> str:
    """Strip accents from Latin letters only ("Curaçao" -> "Curacao"; "Йемен" untouched)."""
    return "".join(
        "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if ord(ch) < _LATIN_END
        else ch
        for ch in text
    )


def _spellings(alias: str) -> set[str]:
    """Return the alias without stress marks, plus its accent-free Latin spelling."""
    clean = alias.replace(_STRESS_MARK, "")
    return {clean, _fold_latin(clean)}


@lru_cache(maxsize=1)
def _key_claims() -> dict[str, frozenset[str]]:
    """Map every alias key to the set of ISO2 codes that claim it."""
    claims: defaultdict[str, set[str]] = defaultdict(set)
    for code, alias in chain(_pycountry_aliases(), _yaml_aliases()):
        for spelling in _spellings(alias):
            if key := country_key(spelling):
                claims[key].add(code)
    return {key: frozenset(codes) for key, codes in claims.items()}


@lru_cache(maxsize=1)
def ambiguous_country_keys() -> dict[str, tuple[str, ...]]:
    """Return keys claimed by several codes; they are left out of the table on purpose."""
    return {k: tuple(sorted(v)) for k, v in sorted(_key_claims().items()) if len(v) > 1}


@lru_cache(maxsize=1)
def _alias_map() -> dict[str, str]:
    """Return ``{key: iso2}`` for unambiguous keys, in sorted key order."""
    return {k: next(iter(v)) for k, v in sorted(_key_claims().items()) if len(v) == 1}


@lru_cache(maxsize=1)
def country_alias_table() -> pa.Table:
    """Return the alias table (string columns ``key``, ``iso2``; one row per key, sorted).

    Join it on ``country_key_sql(column) = key`` to normalise a whole column at once.
    """
    mapping = _alias_map()
    return pa.table(
        {
            "key": pa.array(list(mapping.keys()), type=pa.string()),
            "iso2": pa.array(list(mapping.values()), type=pa.string()),
        }
    )


def _vendor_prefixed_code(text: str) -> str | None:
    """Return the leading code of vendor values like "IN, INDIA" if it is a valid code."""
    match = _VENDOR_CODE_PREFIX.match(text)
    if match is None:
        return None
    code = match.group(1).upper()
    return code if code in valid_iso2_codes() else None


def to_iso2(text: str | None) -> str | None:
    """Return the ISO2 code for one country value, or None if unknown, empty or ambiguous.

    Tries the full key first; only if that fails does it accept a "CC, name" vendor prefix
    (the code wins over the name, which may be in any spelling).
    """
    if text is None or not (key := country_key(text)):
        return None
    return _alias_map().get(key) or _vendor_prefixed_code(text)


_DISPLAY_OVERRIDES = {"RU": "Russia"}


@cache
def country_name(iso2: str | None) -> str:
    """Short English name for prose ("South Korea", "Russia"); the code itself if unknown."""
    if not iso2:
        return "an unknown country"
    if iso2 in _DISPLAY_OVERRIDES:
        return _DISPLAY_OVERRIDES[iso2]
    country = pycountry.countries.get(alpha_2=iso2)
    if country is None:
        return iso2
    return getattr(country, "common_name", None) or country.name
