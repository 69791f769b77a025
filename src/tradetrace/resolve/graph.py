"""Clusters of party records: model links plus analyst judgements, resolved transitively.

Party records are nodes; links above the model threshold and analyst judgements are edges.
:func:`cluster` turns them into clusters (entities) the way nomenklatura's resolver does:

1. Judgements are applied first, newest first (the contradiction rule below). A positive
   judgement (``--same``) merges the two clusters, whatever the model says. A negative one
   (``--different``) forbids the two clusters that hold ``a`` and ``b`` from ever being
   joined: the constraint belongs to the clusters, so it follows every later merge.
2. Model links are then added in order of decreasing probability (ties: by the pair's ids),
   and a link is skipped when it would join two clusters a negative judgement keeps apart.
   That is transitive: once X≠Y is judged, no chain of model links can put X and Y together;
   the chain breaks at its weakest link that would close the gap.

Contradiction rule: **the newest judgement wins.** Judgements are applied from the newest
``at`` to the oldest, and one that contradicts those already applied is ignored: a positive
judgement that would merge clusters a newer negative one separates, or a negative judgement
between records that newer positive ones have already put together. So a positive judgement
beats a negative one only when it is later; in a chain a=b, b=c that contradicts a≠c, the
oldest judgement of the chain is the one dropped. At the same timestamp the negative
judgement wins (a wrong split is cheaper to notice and fix than a wrong merge, which makes
one firm's trade look like another's). :func:`overridden_judgements` lists the ignored ones.

The union-find uses path halving, union by size and, for the few roots that carry negative
judgements, a symmetric set of forbidden roots, merged small into large. Node ids are sorted
once, so integer order is id order: ties and representatives come out the same whatever
the input order, and a cluster's smallest index is its smallest party id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from stdnum import lei
from stdnum.ru import inn, ogrn

__all__ = [
    "Judgement",
    "cluster",
    "entity_ids",
    "judgement_time",
    "overridden_judgements",
    "stable_entity_id",
]


@dataclass(frozen=True)
class Judgement:
    """An analyst's statement that two party records are (``same``) or are not the same firm.

    ``a`` and ``b`` are party ids. To judge a whole entity, the caller names one of its
    members (e.g. the smallest party id, the anchor of its :func:`stable_entity_id`): the
    judgement then applies to whatever cluster holds that member. ``at`` is an ISO 8601
    timestamp; naive timestamps are read as UTC.
    """

    a: str
    b: str
    same: bool
    who: str
    at: str
    note: str = ""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def judgement_time(at: str) -> int:
    """Microseconds since the epoch (UTC) of an ISO 8601 timestamp; ValueError if invalid."""
    try:
        moment = datetime.fromisoformat(at.strip())
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"judgement time {at!r} is not an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


class _UnionFind:
    """Union-find over 0..n-1 with cannot-link constraints between roots."""

    __slots__ = ("parent", "size", "forbid")

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        #: root → roots it may never join (symmetric; only roots with constraints appear).
        self.forbid: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def forbidden(self, ra: int, rb: int) -> bool:
        fa = self.forbid.get(ra)
        return fa is not None and rb in fa

    def separate(self, ra: int, rb: int) -> None:
        self.forbid.setdefault(ra, set()).add(rb)
        self.forbid.setdefault(rb, set()).add(ra)

    def union(self, ra: int, rb: int) -> None:
        """Join two distinct roots that are not forbidden from each other."""
        forbid = self.forbid
        fa = forbid.get(ra)
        fb = forbid.get(rb)
        if fa or fb:
            # Keep the root with more constraints, so each one moves O(log n) times.
            keep, gone = (ra, rb) if len(fa or ()) >= len(fb or ()) else (rb, ra)
        else:
            keep, gone = (ra, rb) if self.size[ra] >= self.size[rb] else (rb, ra)
        self.parent[gone] = keep
        self.size[keep] += self.size[gone]
        moved = forbid.pop(gone, None)
        if moved:
            kept = forbid.setdefault(keep, set())
            for other in moved:
                theirs = forbid[other]
                theirs.discard(gone)
                theirs.add(keep)
                kept.add(other)


def _ordered(judgements: Iterable[Judgement]) -> list[tuple[str, str, Judgement]]:
    """Newest first; at equal times negative before positive, then by ids (deterministic)."""
    keyed = []
    for j in judgements:
        lo, hi = (j.a, j.b) if j.a <= j.b else (j.b, j.a)
        keyed.append(((-judgement_time(j.at), j.same, lo, hi, j.who, j.note), lo, hi, j))
    keyed.sort(key=lambda k: k[0])
    return [(lo, hi, j) for _, lo, hi, j in keyed]


def _apply_judgements(
    uf: _UnionFind, index: Mapping[str, int], judgements: Iterable[Judgement]
) -> list[Judgement]:
    """Apply judgements newest first; returns the ones ignored as contradicted."""
    ignored: list[Judgement] = []
    for a, b, j in _ordered(judgements):
        ia = index.get(a)
        ib = index.get(b)
        if ia is None or ib is None or ia == ib:
            continue  # about a party that is not (or no longer) there: nothing to act on
        ra, rb = uf.find(ia), uf.find(ib)
        if j.same:
            if ra == rb:
                continue
            if uf.forbidden(ra, rb):
                ignored.append(j)
            else:
                uf.union(ra, rb)
        elif ra == rb:
            ignored.append(j)
        else:
            uf.separate(ra, rb)
    return ignored


def cluster(
    nodes: Iterable[str],
    links: Iterable[tuple[str, str, float]],
    judgements: Iterable[Judgement] = (),
) -> dict[str, str]:
    """Party id → its cluster's representative (the smallest party id in the cluster).

    ``links`` are ``(party_a, party_b, match_probability)`` above the model threshold; their
    endpoints count as nodes even if ``nodes`` misses them. Judgements about ids that are not
    nodes are ignored (the party may have gone in a re-ingest). A NaN probability is a
    ValueError, as is an invalid judgement timestamp. See the module docstring for the rules.

    Link order only matters inside a connected component that holds a negative judgement
    (elsewhere every order gives the whole component), so only those links are sorted.
    """
    links = links if isinstance(links, list) else list(links)
    probabilities = [p for _, _, p in links]
    if any(p != p for p in probabilities):
        raise ValueError("a link has no match probability (NaN)")
    names = sorted(set(nodes))
    index = {name: i for i, name in enumerate(names)}
    found_xs = list(map(index.get, [a for a, _, _ in links]))
    found_ys = list(map(index.get, [b for _, b, _ in links]))
    if None in found_xs or None in found_ys:  # endpoints missing from ``nodes``: index them too
        ids = set(names)
        ids.update([a for a, _, _ in links])
        ids.update([b for _, b, _ in links])
        names = sorted(ids)
        index = {name: i for i, name in enumerate(names)}
        xs = list(map(index.__getitem__, [a for a, _, _ in links]))
        ys = list(map(index.__getitem__, [b for _, b, _ in links]))
    else:  # every endpoint is indexed: no None in either list
        xs, ys = cast(list[int], found_xs), cast(list[int], found_ys)
    del links, found_xs, found_ys

    uf = _UnionFind(len(names))
    _apply_judgements(uf, index, judgements)
    if not uf.forbid:
        _join(uf, zip(xs, ys, strict=True))
    else:
        conflicted = _conflicted_components(uf, xs, ys)
        _join(uf, ((x, y) for x, y in zip(xs, ys, strict=True) if not conflicted[x]))
        # Decreasing probability, then by ids (index order is id order), as one int per
        # link: sorting ints is several times faster than sorting (float, int, int) tuples.
        n = len(names)
        rank = {p: r for r, p in enumerate(sorted(set(probabilities), reverse=True))}
        keys = [
            (rank[p] * n + x) * n + y if x <= y else (rank[p] * n + y) * n + x
            for p, x, y in zip(probabilities, xs, ys, strict=True)
            if conflicted[x]
        ]
        del xs, ys, probabilities, conflicted
        keys.sort()
        nn = n * n
        _join(uf, (divmod(k % nn, n) for k in keys))

    find = uf.find
    smallest = [-1] * len(names)
    out: dict[str, str] = {}
    for i, name in enumerate(names):  # ascending, so the first member seen is the smallest
        root = find(i)
        if smallest[root] < 0:
            smallest[root] = i
        out[name] = names[smallest[root]]
    return out


def _join(uf: _UnionFind, pairs: Iterable[tuple[int, int]]) -> None:
    """Add links in the order given, skipping those a negative judgement forbids."""
    parent = uf.parent
    size = uf.size
    forbid = uf.forbid
    for x, y in pairs:
        while parent[x] != x:  # find, inlined: this loop runs once per link
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x == y:
            continue
        if forbid:
            fx = forbid.get(x)
            if fx is not None and y in fx:
                continue
            if fx is not None or y in forbid:
                uf.union(x, y)
                continue
        if size[x] >= size[y]:
            parent[y] = x
            size[x] += size[y]
        else:
            parent[x] = y
            size[y] += size[x]


def _conflicted_components(uf: _UnionFind, xs: list[int], ys: list[int]) -> list[int]:
    """Per node, 1 if its component (links and judgements, ignoring negatives) is split by a
    negative judgement, else 0."""
    plain = _UnionFind(0)
    plain.parent = uf.parent.copy()
    plain.size = uf.size.copy()
    _join(plain, zip(xs, ys, strict=True))
    find = plain.find
    roots = {find(a) for a, others in uf.forbid.items() for b in others if find(a) == find(b)}
    return [1 if find(i) in roots else 0 for i in range(len(plain.parent))]


def overridden_judgements(judgements: Iterable[Judgement]) -> list[Judgement]:
    """The judgements :func:`cluster` ignores because newer ones contradict them.

    Computed over the judgements alone (model links never override a judgement), newest
    first, for telling an analyst that an earlier statement no longer holds. (``cluster``
    also skips judgements about ids that are not among its nodes; this does not know them.)
    """
    judgements = list(judgements)
    names = sorted({j.a for j in judgements} | {j.b for j in judgements})
    index = {name: i for i, name in enumerate(names)}
    return _apply_judgements(_UnionFind(len(names)), index, judgements)


_SCHEME = re.compile(r"^[a-z][a-z0-9_]*$")
_SEPARATORS = re.compile(r"[\s\-./_]+")
_VALUE = re.compile(r"^[0-9a-z]+$")
#: Schemes whose check digits are verified: a typo must not become an entity's anchor.
_CHECKED = {"inn": inn.is_valid, "ogrn": ogrn.is_valid, "lei": lei.is_valid}


def _identifier(text: str) -> tuple[str, str] | None:
    """``"INN: 7743-237789"`` → ``("inn", "7743237789")``, or None if not a valid identifier.

    Valid: ``scheme:value`` with a lower-case word scheme and a value of ASCII letters and
    digits once separators (space - . / _) are dropped, not one repeated character (the
    placeholder "0000000000" would otherwise tie unrelated firms together), and with correct
    check digits for the schemes in ``_CHECKED``.
    """
    scheme, colon, value = text.partition(":")
    scheme = scheme.strip().lower()
    value = _SEPARATORS.sub("", value).lower()
    if not colon or not _SCHEME.match(scheme) or not _VALUE.match(value):
        return None
    if len(set(value)) == 1:
        return None
    check = _CHECKED.get(scheme)
    if check is not None and not check(value.upper()):
        return None
    return scheme, value


def stable_entity_id(members: Iterable[str], identifiers: Iterable[str] = ()) -> str:
    """The entity id of a cluster, derived from its content rather than from any order.

    With a valid identifier (``"inn:7743237789"``, see ``_identifier``) the id is
    ``"tt-<scheme>-<value>"`` of the smallest one (``"tt-inn-7743237789"``); otherwise
    ``"tt-"`` + the first 16 hex digits of the sha1 of the smallest member id.

    Why: the id must survive re-runs and re-ingests so that judgements, watch lists and
    reports that cite an entity keep pointing at it. Order of input, run number or cluster
    size would all change; the anchor (a registration number, else the smallest party id,
    which is itself derived from the record's content) stays as long as that identifier or
    member stays in the cluster. The two forms cannot collide (hex digits contain no "-").
    Two clusters can share an identifier (a negative judgement between two records with the
    same INN), so use :func:`entity_ids` to name many clusters at once.
    """
    anchor = min(members, default=None)
    if anchor is None:
        raise ValueError("an entity needs at least one member")
    valid = [found for found in map(_identifier, identifiers) if found is not None]
    if valid:
        scheme, value = min(valid)
        return f"tt-{scheme}-{value}"
    return "tt-" + hashlib.sha1(anchor.encode("utf-8")).hexdigest()[:16]


def entity_ids(
    clusters: Mapping[str, str], identifiers: Mapping[str, Iterable[str]] | None = None
) -> dict[str, str]:
    """Representative → entity id for every cluster of ``cluster()``'s output, ids unique.

    ``identifiers`` maps party ids to their identifiers. When several clusters would get the
    same identifier-based id, none of them keeps it: each falls back to its member hash, so an
    id never names two entities and the outcome does not depend on which cluster came first.
    """
    identifiers = identifiers or {}
    members: dict[str, list[str]] = {}
    for party, rep in clusters.items():
        members.setdefault(rep, []).append(party)
    proposed: dict[str, str] = {}
    claims: dict[str, int] = {}
    for rep, parties in members.items():
        ids = [i for p in parties for i in identifiers.get(p, ())]
        eid = stable_entity_id(parties, ids)
        proposed[rep] = eid
        claims[eid] = claims.get(eid, 0) + 1
    return {
        rep: eid if claims[eid] == 1 else stable_entity_id(members[rep])
        for rep, eid in proposed.items()
    }
