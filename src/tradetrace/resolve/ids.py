"""Entity ids that outlive judgements and re-runs: which cluster keeps which id.

:func:`~tradetrace.resolve.graph.entity_ids` derives an id from a cluster's content
(``tt-inn-<INN>``, else a hash of its smallest party id). Derived afresh after every
change, that renames entities needlessly: splitting a firm whose records share an INN
took the ``tt-inn-…`` id from both halves, and a merge named the result after whichever
half had the smaller party id. Saved ids, reports and dashboard links then broke.

:func:`keep_ids` carries the previous run's ids over instead, by these rules:

1. **A cluster may keep a previous id of its members** (their ``parties.entity_id`` in the
   run before) when that id's *basis* is still in it. An identifier id's basis is the
   identifier: ``tt-inn-7743237789`` can only be kept by a cluster with a member of INN
   7743237789. A hash id's basis is the records that held it, so any cluster holding
   some of them may keep it.
2. **Identifier ids first, then by weight.** Every (cluster, previous id) claim is ranked:
   identifier ids before hash ids, then by the declaration lines of the cluster's members
   that held the id, then by their number, then by the ids (a fixed order for ties). Claims
   are granted in that order; a cluster gets one id and an id goes to one cluster. So
   after a split the part with the identifier (if both parts have it: the part with more
   of the entity's lines) keeps the id and the other part gets a new one; after a merge
   the merged entity keeps the INN-based id if one of the two had one, else the id of the
   side with more lines (then more parties); the other id is retired.
3. **Otherwise the content-derived id**, as for a fresh store. If another cluster kept
   that id, the cluster takes the hash of its smallest member whose hash is free (else a
   numbered hash of its smallest member). A fresh store has no previous ids, so its ids
   are exactly the content-derived ones: the same data gives the same ids.
4. **Retired ids** are the previous ids no cluster has any more. Each redirects to the
   cluster that now holds most of its former members' lines (ties: more of them, then the
   smaller id), with a reason: ``merged`` (that cluster also holds records of another
   previous entity), ``split`` (its former records are now in several entities) or
   ``renamed`` (e.g. the INN the id was built from has gone from the records). An id
   whose records have all gone (a re-ingest dropped them) is retired without a successor
   (reason ``gone``).

The store side (the ``entity_redirects`` table and following it on every lookup) is in
:mod:`tradetrace.resolve.redirects`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tradetrace.resolve.graph import _identifier

__all__ = ["IDENTIFIER_ID", "Retired", "keep_ids"]

#: ``tt-<scheme>-<value>``: an id built from an identifier (hash ids have no second dash).
IDENTIFIER_ID = re.compile(r"^tt-[a-z][a-z0-9_]*-[0-9a-z]+$")


@dataclass(frozen=True)
class Retired:
    """A previous id no entity has any more, and where its records went (if anywhere)."""

    old_id: str
    new_id: str | None
    reason: str  # "merged" | "split" | "renamed"; "gone" when no record of it is left


def keep_ids(
    members: Mapping[str, Sequence[str]],
    fresh: Mapping[str, str],
    previous: Mapping[str, str],
    lines: Mapping[str, int],
    identifiers: Mapping[str, Iterable[str]] | None = None,
) -> tuple[dict[str, str], list[Retired]]:
    """Cluster → id, and the retired previous ids (see the module docstring for the rules).

    ``members``: cluster representative → its party ids; ``fresh``: representative → the
    content-derived id (:func:`~tradetrace.resolve.graph.entity_ids`); ``previous``: party id
    → its entity id in the last run (parties new since then are absent); ``lines``: party id
    → its declaration lines; ``identifiers``: party id → identifiers (``"inn:…"``), the basis
    of identifier ids.
    """
    identifiers = identifiers or {}
    # (representative, previous id) → [lines, parties] of the members that held it
    weight: dict[tuple[str, str], list[int]] = {}
    for rep, parties in members.items():
        for party in parties:
            old = previous.get(party)
            if old is not None:
                held = weight.setdefault((rep, old), [0, 0])
                held[0] += lines.get(party) or 0
                held[1] += 1

    claims = []
    for (rep, old), (held_lines, held_parties) in weight.items():
        by_identifier = bool(IDENTIFIER_ID.match(old))
        if by_identifier and old not in _identifier_ids(members[rep], identifiers):
            continue  # the identifier left the cluster: the id goes with it (or retires)
        claims.append((not by_identifier, -held_lines, -held_parties, old, rep))
    # Most clusters are unchanged: their one claim is the only claim on that id, and the
    # ranking could only grant it. Those are granted at once; the others in ranked order.
    per_rep: dict[str, int] = {}
    per_id: dict[str, int] = {}
    for *_, old, rep in claims:
        per_rep[rep] = per_rep.get(rep, 0) + 1
        per_id[old] = per_id.get(old, 0) + 1
    ids: dict[str, str] = {}
    contested = []
    for claim in claims:
        old, rep = claim[3], claim[4]
        if per_rep[rep] == 1 and per_id[old] == 1:
            ids[rep] = old
        else:
            contested.append(claim)
    taken: set[str] = set(ids.values())
    contested.sort()
    for *_, old, rep in contested:
        if rep not in ids and old not in taken:
            ids[rep] = old
            taken.add(old)

    pending = sorted(rep for rep in members if rep not in ids)
    collided = []
    for rep in pending:
        if fresh[rep] in taken:
            collided.append(rep)
        else:
            ids[rep] = fresh[rep]
            taken.add(fresh[rep])
    for rep in collided:
        eid = _free_hash(members[rep], taken)
        ids[rep] = eid
        taken.add(eid)

    return ids, _retired(weight, set(previous.values()), ids)


def _identifier_ids(parties: Sequence[str], identifiers: Mapping[str, Iterable[str]]) -> set[str]:
    found = set()
    for party in parties:
        for text in identifiers.get(party, ()):
            valid = _identifier(text)
            if valid is not None:
                found.add(f"tt-{valid[0]}-{valid[1]}")
    return found


def _hash(text: str) -> str:
    return "tt-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _free_hash(parties: Sequence[str], taken: set[str]) -> str:
    """The hash of the smallest member whose hash is not taken, else a numbered one."""
    ordered = sorted(parties)
    for party in ordered:
        eid = _hash(party)
        if eid not in taken:
            return eid
    n = 1
    while (eid := _hash(f"{ordered[0]}#{n}")) in taken:
        n += 1
    return eid


def _retired(
    weight: Mapping[tuple[str, str], list[int]], before: set[str], ids: Mapping[str, str]
) -> list[Retired]:
    live = set(ids.values())
    holders: dict[str, list[tuple[int, int, str]]] = {}  # old id → (lines, parties, new id)
    previous_in: dict[str, int] = {}  # representative → how many previous ids it holds
    for (rep, old), (held_lines, held_parties) in weight.items():
        previous_in[rep] = previous_in.get(rep, 0) + 1
        if old not in live:
            holders.setdefault(old, []).append((held_lines, held_parties, rep))
    out = []
    for old in sorted(before - live):
        found = holders.get(old)
        if not found:
            out.append(Retired(old, None, "gone"))
            continue
        _, _, rep = min(found, key=lambda h: (-h[0], -h[1], ids[h[2]]))
        if previous_in[rep] > 1:
            reason = "merged"
        elif len(found) > 1:
            reason = "split"
        else:
            reason = "renamed"
        out.append(Retired(old, ids[rep], reason))
    return out
