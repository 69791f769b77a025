"""Why an entity is what it is: its spellings, the pair evidence and the judgements."""

from __future__ import annotations

from tradetrace.errors import InputError
from tradetrace.resolve.model import COMPARISONS
from tradetrace.resolve.redirects import redirect_of, redirects_to
from tradetrace.resolve.run import entity_members, judgements
from tradetrace.store import Store


def explain(store: Store, ident: str) -> dict:
    """``ident`` is an entity id (a retired one leads to its successor) or a party id.

    ``former_ids`` are the retired ids that lead to the entity (``entity_redirects``).
    """
    entity_id = _entity_of(store, ident)
    entities = store.table("entities")
    [entity] = store.to_arrow(entities.filter(entities.entity_id == entity_id)).to_pylist()
    members = set(entity_members(store, entity_id))
    parties = store.table("parties")
    member_rows = store.to_arrow(parties.filter(parties.entity_id == entity_id)).to_pylist()
    links = store.table("entity_links")
    link_rows = store.to_arrow(
        links.filter(links.party_a.isin(list(members)) | links.party_b.isin(list(members)))
    ).to_pylist()
    return {
        "entity": entity,
        "members": [_member(row) for row in sorted(member_rows, key=lambda r: r["party_id"])],
        "links": [_link(row) for row in sorted(link_rows, key=lambda r: -r["match_probability"])],
        "judgements": [j.__dict__ for j in judgements(store) if j.a in members or j.b in members],
        "former_ids": redirects_to(store, entity_id),
        **_redirected(store, ident, entity_id),
    }


def _redirected(store: Store, ident: str, entity_id: str) -> dict:
    """``redirected_from`` and ``redirect_reason`` when ``ident`` was a retired entity id."""
    if ident == entity_id or not ident.startswith("tt-"):
        return {}
    moved = redirect_of(store, ident)
    return {"redirected_from": ident, "redirect_reason": moved["reason"] if moved else None}


def _entity_of(store: Store, ident: str) -> str:
    for table, column in (("entities", "entity_id"), ("parties", "party_id")):
        t = store.table(table)
        rows = store.to_arrow(t.filter(t[column] == ident).select("entity_id")).to_pylist()
        if rows:
            return rows[0]["entity_id"]
    moved = redirect_of(store, ident)
    if moved is not None:
        return _entity_of(store, moved["new_id"])  # chains are collapsed: one step
    raise InputError(f"no entity or party {ident!r}; run `tradetrace resolve` first?")


def _member(row: dict) -> dict:
    return {
        "party_id": row["party_id"],
        "name": row["name"],
        "script": row["name_script"],
        "identifier": row["identifier"],
        "address": row["address"],
        "country": row["country"],
        "lines": (row["importer_lines"] or 0) + (row["exporter_lines"] or 0),
    }


def _link(row: dict) -> dict:
    """One pair: the probability and, per comparison, "level (+weight bits)"."""
    out = {
        "party_a": row["party_a"],
        "party_b": row["party_b"],
        "match_probability": round(row["match_probability"], 6),
        "match_weight": round(row["match_weight"], 2),
        "used": row["used"],
    }
    for c in COMPARISONS:
        out[c] = f"{row[f'{c}_level']} ({row[f'{c}_weight']:+.1f})"
    return out
