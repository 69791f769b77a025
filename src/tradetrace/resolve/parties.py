"""Party records: every distinct way a firm is written in the declarations.

A party record is one distinct (name, id, address, country) as declared, on either
side of a declaration. Its id is derived from that content, so the same spelling
gets the same id in every run and every store. Resolution clusters party records
into entities; nothing here judges whether two records are the same firm.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.resolve.cleaning import (
    comparable_name,
    descriptive_words,
    legal_family,
)
from tradetrace.resolve.identifiers import identifier_key, normalise_inn, split_inn_kpp
from tradetrace.resolve.names import GENERIC_WORDS, NameForms, analyse_name, script_of
from tradetrace.roles import ROLE_NAMES
from tradetrace.roles import role as as_role

PARTY_FIELDS = ("name", "identifier", "address", "country")
_ADDRESS_NOISE = re.compile(r"[^0-9A-Z]+")

#: Most party records that share a name block (see :func:`name_blocks`): splink compares every
#: pair within a block, so a block of n records costs n²/2 comparisons; capping it keeps the
#: comparisons linear in the number of records.
BLOCK_CAP = 200
#: Leading name words a block may grow to before it is given up.
BLOCK_MAX_WORDS = 3

#: A word on at most this share of the distinct names (or :data:`RARE_WORD_MIN` of them)
#: makes a name rare (see :func:`name_rarity`).
RARE_WORD_SHARE = 0.002
RARE_WORD_MIN = 12
RARE_MIN_LETTERS = 5

FEATURE_COLUMNS = (
    "unique_id", "name_core", "name_key", "name_skeleton", "name_script", "name_first",
    "name_block", "legal_form", "inn", "id_key", "address_key", "country", "alt_key",
    "alt_skeleton", "counterpart_key", "trade_country", "name_rarity", "name_compact",
    "name_base", "name_descriptive", "legal_family",
)  # fmt: skip


def party_key(name, identifier, address, country) -> ir.StringValue:
    """The content-derived party id, computed by the engine (``pt-`` + 16 hex digits)."""
    parts = [ibis.coalesce(v, ibis.literal("")) for v in (name, identifier, address, country)]
    joined = parts[0] + "\x1f" + parts[1] + "\x1f" + parts[2] + "\x1f" + parts[3]
    return "pt-" + joined.hexdigest("md5").substr(0, 16)


def side(declarations: ir.Table, role: str) -> ir.Table:
    """One role's party columns, with the party id, the other spelling of its name
    (``*_name_alt``), its counterpart and the country its goods came from or went to."""
    d = declarations
    other = as_role(role).other.name
    cols = {f: d[f"{role}_{f if f != 'identifier' else 'id'}"] for f in PARTY_FIELDS}
    # a foreign party's trade country: where an importer's supplier dispatched from (else
    # the origin), where an exporter's buyer received; weak evidence, never its country
    trade = (
        ibis.coalesce(d.dispatch_country, d.origin_country, d.trading_country)
        if role == "exporter"
        else ibis.coalesce(d.destination_country, d.trading_country)
    )
    return d.select(
        party_id=party_key(*cols.values()),
        **cols,
        role=ibis.literal(role),
        value_usd=d.value_usd,
        name_alt=d[f"{role}_name_alt"],
        counterpart=ibis.coalesce(d[f"{other}_id"], d[f"{other}_name"]),
        trade_country=trade,
    )


def party_records(declarations: ir.Table) -> ir.Table:
    """Distinct party records with how often each appears in each role, and (for
    comparison only) one other spelling, one counterpart and one trade country of each:
    the greatest, so every engine and run picks the same."""
    both = ibis.union(*[side(declarations, role) for role in ROLE_NAMES])
    both = both.filter(both.name.notnull() | both.identifier.notnull())
    return both.group_by(["party_id", *PARTY_FIELDS]).aggregate(
        importer_lines=(both.role == "importer").sum(),
        exporter_lines=(both.role == "exporter").sum(),
        value_usd=both.value_usd.sum(),
        name_alt=both.name_alt.max(),
        counterpart=both.counterpart.max(),
        trade_country=both.trade_country.max(),
    )


def address_key(address: str | None) -> str | None:
    """Upper-case Latin letters and digits only: "4/1 Sh-2 St." ≈ "4 1 SH 2 ST"."""
    return _address_key(address, analyse_name)


def _address_key(address: str | None, analyse: Callable[[str], NameForms]) -> str | None:
    if not address:
        return None
    key = _ADDRESS_NOISE.sub(" ", analyse(address).latin).strip()
    return key or None


#: A name's features: name_core, name_key, name_skeleton, name_script, name_first,
#: legal_form, and its leading words (for :func:`name_blocks`).
_NameFeatures = tuple[str | None, str | None, str | None, str, str | None, str | None, tuple]


def _name_features(name: str | None) -> _NameFeatures:
    """What a spelling is compared by: the analysed name once the vendor's additions are
    cut (:func:`~tradetrace.resolve.cleaning.clean_party_name`), in the script it was
    written in."""
    forms = _analyse(comparable_name(name or ""))
    core = None if forms.generic else (forms.core or None)
    return (
        core,
        forms.key if core else None,
        forms.skeleton if core and forms.skeleton else None,
        script_of(name) if name else forms.script,
        forms.tokens[0] if core and forms.tokens else None,
        forms.legal_form,
        tuple(forms.tokens[:BLOCK_MAX_WORDS]) if core else (),
    )


#: ``analyse_name`` without its cache: a store's hundreds of thousands of names and addresses,
#: each analysed once here, would fill it (a gigabyte at 10M declarations) for nothing.
_analyse = analyse_name.__wrapped__


#: The features computed from a record's name (the first six come from ``_name_features``).
_NAME_COLUMNS = (
    "name_core", "name_key", "name_skeleton", "name_script", "name_first", "legal_form",
    "name_block", "name_rarity", "name_base", "name_descriptive", "legal_family",
    "name_compact",
)  # fmt: skip


def features(records: pa.Table) -> pa.Table:
    """The comparison features of each party record.

    Each distinct name, other spelling, id, address and counterpart is analysed once, and
    its features are spread over the records by Arrow (``take``): at 10M declarations a
    Python list per feature and record took a gigabyte.

    Optional record columns (standalone evaluation records may lack them): ``name_alt``
    (the row's other spelling), ``counterpart`` and ``trade_country``.
    """
    n = records.num_rows
    names, at_name = _distinct(records["name"])
    rows = [_name_features(name) for name in names]
    by_name = _name_columns(rows, _counts(at_name, len(names)))
    alts, at_alt = _distinct(_column(records, "name_alt", n))
    alt_rows = [_name_features(alt) for alt in alts]
    ids, at_id = _distinct(records["identifier"])
    inns = [_inn(i) for i in ids]
    addresses, at_address = _distinct(records["address"])
    counterparts, at_counterpart = _distinct(_column(records, "counterpart", n))
    key_of = dict(zip(names, by_name["name_key"], strict=True))
    columns = {
        "unique_id": records["party_id"],
        **{c: _spread(values, at_name) for c, values in by_name.items()},
        "inn": _spread(inns, at_id),
        # the id as compared: its valid INN when it holds one, else the id as declared
        "id_key": _spread([inn or identifier_key(i) for i, inn in zip(ids, inns, strict=True)],
                          at_id),
        "address_key": _spread([_address_key(a, _analyse) for a in addresses], at_address),
        "country": records["country"],
        "alt_key": _spread([row[1] for row in alt_rows], at_alt),
        "alt_skeleton": _spread([row[2] for row in alt_rows], at_alt),
        "counterpart_key": _spread([_counterpart_key(c, key_of) for c in counterparts],
                                   at_counterpart),
        "trade_country": _column(records, "trade_country", n),
    }  # fmt: skip
    return pa.table(
        {k: pc.cast(columns[k], pa.string()) for k in FEATURE_COLUMNS}, schema=FEATURES_SCHEMA
    )


def _name_columns(rows: list[_NameFeatures], counts: list[int]) -> dict[str, list]:
    """Every name feature of each distinct name (``counts``: its records, for the blocks)."""
    out: dict[str, list] = {
        column: [row[i] for row in rows] for i, column in enumerate(_NAME_COLUMNS[:6])
    }
    # blocks are not split by country: most foreign parties in customs records have none
    out["name_block"] = name_blocks([row[6] for row in rows], [None] * len(rows), counts)
    out["name_rarity"] = name_rarity(out["name_key"])
    out["name_base"] = [_base(key) for key in out["name_key"]]
    out["name_descriptive"] = [_descriptive(key) for key in out["name_key"]]
    out["legal_family"] = [legal_family(code) for code in out["legal_form"]]
    # "KALESERAMIK" = "KALE SERAMIK", "41ZERO42" = "41 ZERO 42"
    out["name_compact"] = [core.replace(" ", "") if core else None for core in out["name_core"]]
    return out


def _distinct(column: pa.ChunkedArray | pa.Array) -> tuple[list, pa.Array]:
    """The distinct non-null values of a string column, and each record's index into them
    (null for a null value)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(pc.cast(column, pa.string()))
    return encoded.dictionary.to_pylist(), encoded.indices


def _counts(indices: pa.Array, size: int) -> list[int]:
    """How many records point at each distinct value."""
    found = pc.value_counts(indices.drop_null())
    counts = [0] * size
    for value, count in zip(found.field("values").to_pylist(), found.field("counts").to_pylist(),
                            strict=True):  # fmt: skip
        counts[value] = count
    return counts


def _spread(values: list, indices: pa.Array) -> pa.Array:
    """Per-distinct ``values`` as one value per record."""
    return pc.take(pa.array(values, pa.string()), indices)


def _inn(identifier: str | None) -> str | None:
    """A valid INN, also from an "INN/KPP" pair."""
    return normalise_inn(identifier) or split_inn_kpp(identifier)[0]


def _base(key: str | None) -> str | None:
    """A name key without its descriptive words (:func:`descriptive_words`) and numbers."""
    if not key:
        return None
    words = descriptive_words()
    return " ".join(w for w in key.split() if w not in words and not w.isdigit()) or None


def _descriptive(key: str | None) -> str | None:
    """A name key's descriptive words only ("" when it has none)."""
    if not key:
        return None
    words = descriptive_words()
    return " ".join(w for w in key.split() if w in words)


def _column(records: pa.Table, name: str, n: int) -> pa.Array | pa.ChunkedArray:
    """A record column, or nulls for records without it."""
    return records[name] if name in records.column_names else pa.nulls(n, pa.string())


def _counterpart_key(value: str | None, key_of: dict[str, str | None]) -> str | None:
    """The counterpart as compared: a tax id as it is, a name by its word key (a counterpart
    is itself a party, so its name was analysed already: reused)."""
    if not value:
        return None
    if any(c.isdigit() for c in value) and not any(c.isalpha() for c in value):
        return identifier_key(value)
    return key_of[value] if value in key_of else _name_features(value)[1]


def _block_sizes(keys: list, countries: list, counts: list[int]) -> Counter:
    """Records per (block key, country); ``counts``: the records each entry stands for."""
    sizes: Counter = Counter()
    for key, country, count in zip(keys, countries, counts, strict=True):
        sizes[key, country] += count
    return sizes


def name_rarity(keys: list[str | None]) -> list[str | None]:
    """``"rare"``, ``"short"`` or ``"common"`` for each name key: how much an identical
    name says.

    A name is rare when one of its words is on few of the store's distinct names (at most
    :data:`RARE_WORD_SHARE` of them, and never fewer than :data:`RARE_WORD_MIN`, so that the
    few spellings of one firm do not make its own words common) and its words have at least
    :data:`RARE_MIN_LETTERS` letters besides generic words: "ATLAS CONCORDE" is rare; "ATEM
    GROUP" and "CSG", made of a rare but short word, are short; a name whose every word is
    on many names ("GLOBAL STAR") is common. The share is of *distinct* keys, so a firm
    written a thousand times counts once per spelling. Splink's term-frequency adjustment
    weighs one exact value; this weighs a name by its words, which is what separates
    "TRADING LLC" from a maker's name when both come with no other evidence.
    """
    distinct = {k for k in keys if k}
    frequency = Counter(word for key in distinct for word in key.split())
    limit = max(RARE_WORD_MIN, int(len(distinct) * RARE_WORD_SHARE))
    out: list[str | None] = []
    for key in keys:
        if not key:
            out.append(None)
            continue
        words = key.split()
        letters = sum(len(w) for w in words if not w.isdigit() and w not in GENERIC_WORDS)
        if min(frequency[w] for w in words) > limit:
            out.append("common")
        else:
            out.append("rare" if letters >= RARE_MIN_LETTERS else "short")
    return out


FEATURES_SCHEMA = pa.schema([(k, pa.string()) for k in FEATURE_COLUMNS])


def name_blocks(
    words: list[tuple[str, ...]], countries: list[str | None], counts: list[int] | None = None
) -> list[str | None]:
    """Each name's block for the spelling comparison: its first word, within its country.

    A first word shared by more than :data:`BLOCK_CAP` records of a country (a city that
    starts Chinese firm names, "AL" in Arabic ones) is no block: those names are blocked on
    their first two words, then three, as long as the block is too big; one still too big is
    given up (the other blocking rules still pair its records on the same words, sound,
    INN or address).
    """
    counts = counts or [1] * len(words)
    depth = [1] * len(words)
    for _ in range(BLOCK_MAX_WORDS):
        keys = [w[:d] for w, d in zip(words, depth, strict=True)]
        sizes = _block_sizes(keys, countries, counts)
        split = False
        for i, key in enumerate(keys):
            if sizes[key, countries[i]] > BLOCK_CAP and depth[i] < len(words[i]):
                depth[i] += 1
                split = True
        if not split:
            break
    keys = [w[:d] for w, d in zip(words, depth, strict=True)]
    sizes = _block_sizes(keys, countries, counts)
    return [
        " ".join(key) if key and sizes[key, country] <= BLOCK_CAP else None
        for key, country in zip(keys, countries, strict=True)
    ]
