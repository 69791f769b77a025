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

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import NameForms, analyse_name

ROLES = ("importer", "exporter")
PARTY_FIELDS = ("name", "identifier", "address", "country")
_ADDRESS_NOISE = re.compile(r"[^0-9A-Z]+")

#: Most party records that share a name block (see :func:`name_blocks`): splink compares every
#: pair within a block, so a block of n records costs n²/2 comparisons; capping it keeps the
#: comparisons linear in the number of records.
BLOCK_CAP = 200
#: Leading name words a block may grow to before it is given up.
BLOCK_MAX_WORDS = 3

FEATURE_COLUMNS = (
    "unique_id", "name_core", "name_key", "name_skeleton", "name_script", "name_first",
    "name_block", "legal_form", "inn", "address_key", "country",
)  # fmt: skip


def party_key(name, identifier, address, country) -> ir.StringValue:
    """The content-derived party id, computed by the engine (``pt-`` + 16 hex digits)."""
    parts = [ibis.coalesce(v, ibis.literal("")) for v in (name, identifier, address, country)]
    joined = parts[0] + "\x1f" + parts[1] + "\x1f" + parts[2] + "\x1f" + parts[3]
    return "pt-" + joined.hexdigest("md5").substr(0, 16)


def side(declarations: ir.Table, role: str) -> ir.Table:
    """One role's party columns, with the party id."""
    d = declarations
    cols = {f: d[f"{role}_{f if f != 'identifier' else 'id'}"] for f in PARTY_FIELDS}
    return d.select(
        party_id=party_key(*cols.values()),
        **cols,
        role=ibis.literal(role),
        value_usd=d.value_usd,
    )


def party_records(declarations: ir.Table) -> ir.Table:
    """Distinct party records with how often each appears in each role."""
    both = ibis.union(*[side(declarations, role) for role in ROLES])
    both = both.filter(both.name.notnull() | both.identifier.notnull())
    return both.group_by(["party_id", *PARTY_FIELDS]).aggregate(
        importer_lines=(both.role == "importer").sum(),
        exporter_lines=(both.role == "exporter").sum(),
        value_usd=both.value_usd.sum(),
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
    forms = _analyse(name or "")
    core = None if forms.generic else (forms.core or None)
    return (
        core,
        forms.key if core else None,
        forms.skeleton if core and forms.skeleton else None,
        forms.script,
        forms.tokens[0] if core and forms.tokens else None,
        forms.legal_form,
        tuple(forms.tokens[:BLOCK_MAX_WORDS]) if core else (),
    )


#: ``analyse_name`` without its cache: a store's hundreds of thousands of names and addresses,
#: each analysed once here, would fill it (a gigabyte at 10M declarations) for nothing.
_analyse = analyse_name.__wrapped__


def features(records: pa.Table) -> pa.Table:
    """The comparison features of each party record, each distinct name and address analysed
    once (the same name comes with several ids, addresses and countries)."""
    rows = _each_once(records["name"].to_pylist(), _name_features)
    out: dict[str, list] = {
        "unique_id": records["party_id"].to_pylist(),
        **{
            column: [row[i] for row in rows]
            for i, column in enumerate(("name_core", "name_key", "name_skeleton", "name_script",
                                        "name_first", "legal_form"))
        },
        "inn": [normalise_inn(i) for i in records["identifier"].to_pylist()],
        "address_key": _each_once(
            records["address"].to_pylist(), lambda a: _address_key(a, _analyse)
        ),
        "country": records["country"].to_pylist(),
    }  # fmt: skip
    out["name_block"] = name_blocks([row[6] for row in rows], out["country"])
    return pa.table({k: out[k] for k in FEATURE_COLUMNS}, schema=FEATURES_SCHEMA)


def _each_once(values: list, compute: Callable) -> list:
    """``compute`` of every value, called once per distinct value."""
    done: dict = {}
    return [done[v] if v in done else done.setdefault(v, compute(v)) for v in values]


FEATURES_SCHEMA = pa.schema([(k, pa.string()) for k in FEATURE_COLUMNS])


def name_blocks(words: list[tuple[str, ...]], countries: list[str | None]) -> list[str | None]:
    """Each name's block for the spelling comparison: its first word, within its country.

    A first word shared by more than :data:`BLOCK_CAP` records of a country (a city that
    starts Chinese firm names, "AL" in Arabic ones) is no block: those names are blocked on
    their first two words, then three, as long as the block is too big; one still too big is
    given up (the other blocking rules still pair its records on the same words, sound,
    INN or address).
    """
    depth = [1] * len(words)
    for _ in range(BLOCK_MAX_WORDS):
        keys = [w[:d] for w, d in zip(words, depth, strict=True)]
        sizes = Counter(zip(keys, countries, strict=True))
        split = False
        for i, key in enumerate(keys):
            if sizes[key, countries[i]] > BLOCK_CAP and depth[i] < len(words[i]):
                depth[i] += 1
                split = True
        if not split:
            break
    keys = [w[:d] for w, d in zip(words, depth, strict=True)]
    sizes = Counter(zip(keys, countries, strict=True))
    return [
        " ".join(key) if key and sizes[key, country] <= BLOCK_CAP else None
        for key, country in zip(keys, countries, strict=True)
    ]
