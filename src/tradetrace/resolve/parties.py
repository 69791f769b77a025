"""Party records: every distinct way a firm is written in the declarations.

A party record is one distinct (name, id, address, country) as declared, on either
side of a declaration. Its id is derived from that content, so the same spelling
gets the same id in every run and every store. Resolution clusters party records
into entities; nothing here judges whether two records are the same firm.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import analyse_name

ROLES = ("importer", "exporter")
PARTY_FIELDS = ("name", "identifier", "address", "country")
_ADDRESS_NOISE = re.compile(r"[^0-9A-Z]+")


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
    if not address:
        return None
    latin = analyse_name(address).latin
    key = _ADDRESS_NOISE.sub(" ", latin).strip()
    return key or None


def features(records: pa.Table) -> pa.Table:
    """The comparison features of each party record (names analysed once per distinct name)."""
    rows = records.to_pylist()
    out: dict[str, list] = {
        k: []
        for k in (
            "unique_id",
            "name_core",
            "name_key",
            "name_skeleton",
            "name_script",
            "name_first",
            "legal_form",
            "inn",
            "address_key",
            "country",
        )
    }
    for row in rows:
        forms = analyse_name(row["name"] or "")
        core = None if forms.generic else (forms.core or None)
        out["unique_id"].append(row["party_id"])
        out["name_core"].append(core)
        out["name_key"].append(forms.key if core else None)
        out["name_skeleton"].append(forms.skeleton if core and forms.skeleton else None)
        out["name_script"].append(forms.script)
        out["name_first"].append(forms.tokens[0] if core and forms.tokens else None)
        out["legal_form"].append(forms.legal_form)
        out["inn"].append(normalise_inn(row["identifier"]))
        out["address_key"].append(address_key(row["address"]))
        out["country"].append(row["country"])
    return pa.table(out, schema=pa.schema([(k, pa.string()) for k in out]))
