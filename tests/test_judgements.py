"""Clustering with analyst judgements (resolve.graph) and judgement input (resolve.judgements)."""

from __future__ import annotations

import hashlib
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetrace.resolve.graph import (
    Judgement,
    cluster,
    entity_ids,
    judgement_time,
    overridden_judgements,
    stable_entity_id,
)
from tradetrace.resolve.judgements import (
    default_who,
    judgement_rows,
    judgements_from_rows,
    parse_judgement,
)


def same(a: str, b: str, at: str = "2024-01-01T00:00:00Z") -> Judgement:
    return Judgement(a, b, True, "analyst", at)


def different(a: str, b: str, at: str = "2024-01-01T00:00:00Z") -> Judgement:
    return Judgement(a, b, False, "analyst", at)


def groups(result: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for node, rep in result.items():
        out.setdefault(rep, set()).add(node)
    return {frozenset(g) for g in out.values()}


def parts(*clusters: str) -> set[frozenset[str]]:
    """``parts("ab", "c")`` → {{a, b}, {c}} (one letter per node)."""
    return {frozenset(c) for c in clusters}


# --- merging and transitivity ---------------------------------------------------------------


def test_no_links_gives_singletons_and_representative_is_smallest_id():
    assert cluster(["b", "a"], []) == {"a": "a", "b": "b"}
    result = cluster(["c", "b", "a"], [("c", "b", 0.95), ("b", "a", 0.93)])
    assert result == {"a": "a", "b": "a", "c": "a"}


def test_links_are_transitive_and_endpoints_missing_from_nodes_are_added():
    result = cluster(["a"], [("a", "b", 0.95), ("c", "b", 0.92), ("x", "y", 0.99)])
    assert groups(result) == parts("abc", "xy")


def test_positive_judgements_merge_transitively():
    result = cluster("abcde", [], [same("a", "b"), same("c", "b"), same("d", "e")])
    assert groups(result) == parts("abc", "de")


def test_positive_judgement_overrides_the_model():
    # No link at all between the two halves: the analyst's word joins them.
    result = cluster("abcd", [("a", "b", 0.99), ("c", "d", 0.99)], [same("b", "c")])
    assert groups(result) == parts("abcd")


def test_negative_judgement_overrides_a_direct_link():
    assert groups(cluster("ab", [("a", "b", 0.999)], [different("a", "b")])) == parts("a", "b")


def test_negative_judgement_blocks_a_chain_at_its_weakest_link():
    links = [("a", "b", 0.99), ("b", "c", 0.98), ("c", "d", 0.91)]
    assert groups(cluster("abcd", links, [different("a", "d")])) == parts("abc", "d")
    links = [("a", "b", 0.91), ("b", "c", 0.99), ("c", "d", 0.98)]
    assert groups(cluster("abcd", links, [different("a", "d")])) == parts("a", "bcd")


def test_negative_judgement_blocks_every_chain_transitively():
    # Two parallel chains a–d; both must break, and e (linked to a) cannot reach d either.
    links = [
        ("a", "b", 0.99),
        ("b", "d", 0.95),
        ("a", "c", 0.97),
        ("c", "d", 0.96),
        ("e", "a", 0.94),
        ("e", "d", 0.999),
    ]
    result = cluster("abcde", links, [different("a", "d")])
    assert result["a"] != result["d"]
    assert groups(result) == parts("abc", "de")


def test_negative_judgement_applies_to_clusters_after_positive_ones():
    # b≠c, and a is judged the same as b: no link may join a to c either.
    links = [("a", "c", 0.99)]
    result = cluster("abc", links, [same("a", "b"), different("b", "c")])
    assert groups(result) == parts("ab", "c")


def test_negative_judgements_survive_merges_on_either_side():
    links = [("a", "x", 0.99), ("b", "y", 0.98), ("x", "y", 0.97), ("a", "b", 0.5)]
    result = cluster("abxy", links, [different("a", "b")])
    assert groups(result) == parts("ax", "by")


def test_judgements_about_unknown_ids_are_ignored():
    result = cluster("ab", [("a", "b", 0.99)], [different("a", "zz"), same("a", "yy")])
    assert result == {"a": "a", "b": "a"}


def test_nan_probability_and_bad_timestamp_are_errors():
    with pytest.raises(ValueError, match="NaN"):
        cluster("ab", [("a", "b", float("nan"))])
    with pytest.raises(ValueError, match="ISO 8601"):
        cluster("ab", [], [Judgement("a", "b", True, "x", "yesterday")])


def test_self_links_and_self_judgements_are_harmless():
    result = cluster("ab", [("a", "a", 0.99)], [same("b", "b"), different("a", "a")])
    assert groups(result) == parts("a", "b")


# --- the contradiction rule: the newest judgement wins ---------------------------------------


def test_later_positive_beats_earlier_negative():
    js = [different("a", "b", "2024-01-01T00:00:00Z"), same("a", "b", "2024-02-01T00:00:00Z")]
    assert groups(cluster("ab", [], js)) == parts("ab")
    assert overridden_judgements(js) == [js[0]]


def test_later_negative_beats_earlier_positive():
    js = [same("a", "b", "2024-01-01T00:00:00Z"), different("a", "b", "2024-02-01T00:00:00Z")]
    assert groups(cluster("ab", [("a", "b", 0.99)], js)) == parts("a", "b")
    assert overridden_judgements(js) == [js[0]]


def test_later_negative_drops_the_oldest_link_of_a_positive_chain():
    old, mid, new = "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"
    js = [same("a", "b", old), same("b", "c", mid), different("a", "c", new)]
    assert groups(cluster("abc", [], js)) == parts("a", "bc")
    assert overridden_judgements(js) == [js[0]]
    js = [same("a", "b", mid), same("b", "c", old), different("a", "c", new)]
    assert groups(cluster("abc", [], js)) == parts("ab", "c")


def test_positive_chain_later_than_the_negative_wins():
    js = [
        different("a", "c", "2024-01-01T00:00:00Z"),
        same("a", "b", "2024-02-01T00:00:00Z"),
        same("b", "c", "2024-03-01T00:00:00Z"),
    ]
    assert groups(cluster("abc", [], js)) == parts("abc")
    assert overridden_judgements(js) == [js[0]]


def test_negative_wins_at_equal_times():
    at = "2024-05-01T12:00:00Z"
    js = [same("a", "b", at), different("b", "a", at)]
    assert groups(cluster("ab", [], js)) == parts("a", "b")
    assert overridden_judgements(list(reversed(js))) == [js[0]]


def test_time_is_compared_as_an_instant_not_as_text():
    # 12:00+03:00 is 09:00Z, so it is older than 10:00Z despite sorting later as text.
    js = [same("a", "b", "2024-05-01T12:00:00+03:00"), different("a", "b", "2024-05-01T10:00:00Z")]
    assert groups(cluster("ab", [], js)) == parts("a", "b")
    # Naive timestamps are UTC.
    assert judgement_time("2024-05-01T10:00:00") == judgement_time("2024-05-01T10:00:00+00:00")


# --- determinism ------------------------------------------------------------------------------


def _random_case(rng: random.Random, n: int, m: int, j: int):
    nodes = [f"p{i:05d}" for i in range(n)]
    links = [
        (rng.choice(nodes), rng.choice(nodes), rng.choice((0.91, 0.95, 0.95, 0.99)))
        for _ in range(m)
    ]
    judgements = [
        Judgement(
            rng.choice(nodes),
            rng.choice(nodes),
            rng.random() < 0.4,
            "analyst",
            f"2024-01-0{rng.randint(1, 3)}T00:00:00Z",
        )
        for _ in range(j)
    ]
    return nodes, links, judgements


def test_result_does_not_depend_on_input_order():
    rng = random.Random(7)
    nodes, links, judgements = _random_case(rng, 300, 600, 60)
    expected = cluster(nodes, links, judgements)
    for _ in range(5):
        rng.shuffle(nodes)
        rng.shuffle(links)
        rng.shuffle(judgements)
        flipped = [(b, a, p) if rng.random() < 0.5 else (a, b, p) for a, b, p in links]
        turned = [Judgement(j.b, j.a, j.same, j.who, j.at) for j in judgements]
        assert cluster(nodes, flipped, turned) == expected
        assert cluster(iter(nodes), iter(links), iter(judgements)) == expected


def _reference(nodes, links, judgements) -> dict[str, str]:
    """The rules of resolve.graph, written naively: sets of members and a list of negatives."""
    comp = {n: frozenset([n]) for n in nodes}
    for a, b, _ in links:
        comp.setdefault(a, frozenset([a]))
        comp.setdefault(b, frozenset([b]))
    negatives: list[tuple[str, str]] = []

    def separated(x: frozenset, y: frozenset) -> bool:
        return any((p in x and q in y) or (p in y and q in x) for p, q in negatives)

    def merge(x: frozenset, y: frozenset) -> None:
        for member in x | y:
            comp[member] = x | y

    order = sorted(
        judgements,
        key=lambda j: (-judgement_time(j.at), j.same, min(j.a, j.b), max(j.a, j.b), j.who),
    )
    for j in order:
        if j.a not in comp or j.b not in comp:
            continue
        x, y = comp[j.a], comp[j.b]
        if x == y:
            continue
        if j.same and not separated(x, y):
            merge(x, y)
        elif not j.same:
            negatives.append((j.a, j.b))
    for a, b, _ in sorted(links, key=lambda link: (-link[2], min(link[:2]), max(link[:2]))):
        x, y = comp[a], comp[b]
        if x != y and not separated(x, y):
            merge(x, y)
    return {n: min(members) for n, members in comp.items()}


_ids = st.sampled_from("abcdefgh")
_links = st.lists(st.tuples(_ids, _ids, st.sampled_from([0.91, 0.95, 0.99])), max_size=14)
_judgements = st.lists(
    st.builds(
        Judgement,
        a=_ids,
        b=_ids,
        same=st.booleans(),
        who=st.just("x"),
        at=st.sampled_from(["2024-01-01", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00+01:00"]),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(nodes=st.lists(_ids, max_size=8), links=_links, judgements=_judgements)
def test_agrees_with_a_naive_implementation_of_the_rules(nodes, links, judgements):
    known = set(nodes) | {x for a, b, _ in links for x in (a, b)}
    judgements = [j for j in judgements if j.a in known and j.b in known]
    assert cluster(nodes, links, judgements) == _reference(nodes, links, judgements)


# --- a large random graph ---------------------------------------------------------------------


class _Components:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@pytest.mark.slow
def test_random_graph_of_200k_nodes_is_valid_maximal_and_connected():
    rng = random.Random(2024)
    n = 200_000
    nodes = [f"pt-{rng.getrandbits(64):016x}" for _ in range(n)]
    links = [
        (nodes[rng.randrange(n)], nodes[rng.randrange(n)], round(rng.uniform(0.9, 1.0), 4))
        for _ in range(2 * n)
    ]
    judgements = [
        Judgement(
            nodes[rng.randrange(n)],
            nodes[rng.randrange(n)],
            rng.random() < 0.3,
            "analyst",
            f"2024-01-01T00:{rng.randrange(60):02d}:00Z",
        )
        for _ in range(2_000)
    ]
    started = time.perf_counter()
    result = cluster(nodes, links, judgements)
    assert time.perf_counter() - started < 10

    assert result.keys() == set(nodes)
    assert all(result[rep] == rep and rep <= node for node, rep in result.items())
    ignored = set(overridden_judgements(judgements))
    applied = [j for j in judgements if j not in ignored and j.a != j.b]
    # Valid: every judgement still in force holds.
    for j in applied:
        assert (result[j.a] == result[j.b]) == j.same
    # Maximal: a link between two clusters is only left out because a negative judgement
    # separates exactly those two clusters.
    forbidden = {frozenset((result[j.a], result[j.b])) for j in applied if not j.same}
    for a, b, _ in links:
        assert result[a] == result[b] or frozenset((result[a], result[b])) in forbidden
    # Connected: each cluster is held together by its own links and positive judgements.
    components = _Components()
    for a, b in [(j.a, j.b) for j in applied if j.same] + [(a, b) for a, b, _ in links]:
        if result[a] == result[b]:
            components.union(a, b)
    assert all(components.find(node) == rep for node, rep in result.items())


# --- stable entity ids ------------------------------------------------------------------------


def test_stable_entity_id_ignores_order():
    members = ["pt-b", "pt-c", "pt-a"]
    expected = "tt-" + hashlib.sha1(b"pt-a").hexdigest()[:16]
    assert stable_entity_id(members) == expected
    assert stable_entity_id(reversed(members)) == expected
    assert stable_entity_id(iter(sorted(members))) == expected


def test_stable_entity_id_prefers_the_smallest_valid_identifier():
    members = ["pt-b", "pt-a"]
    ids = ["inn:7743237789", "ogrn:1027700132195"]
    assert stable_entity_id(members, ids) == "tt-inn-7743237789"
    assert stable_entity_id(members, reversed(ids)) == "tt-inn-7743237789"
    assert stable_entity_id(members, ["ogrn:1027700132195"]) == "tt-ogrn-1027700132195"
    assert stable_entity_id(members, ["INN: 7743-237789"]) == "tt-inn-7743237789"
    assert stable_entity_id(members, ["lei:5493001KJTIIGC8Y1R12"]) == "tt-lei-5493001kjtiigc8y1r12"


@pytest.mark.parametrize(
    "identifier",
    [
        "7743237789",  # no scheme
        "inn:",  # no value
        "inn:7743237788",  # wrong check digit
        "inn:0000000000",  # placeholder
        "1nn:7743237789",  # scheme must start with a letter
        "inn:7743?237789",  # not an identifier character
    ],
)
def test_invalid_identifiers_fall_back_to_the_member_hash(identifier):
    assert stable_entity_id(["pt-a"], [identifier]) == stable_entity_id(["pt-a"])


def test_stable_entity_id_needs_a_member():
    with pytest.raises(ValueError, match="member"):
        stable_entity_id([])


def test_entity_ids_never_give_two_clusters_one_id():
    clusters = {"pt-a": "pt-a", "pt-b": "pt-a", "pt-c": "pt-c", "pt-d": "pt-d"}
    identifiers = {"pt-b": ["inn:7743237789"], "pt-c": ["inn:7743237789"]}
    ids = entity_ids(clusters, identifiers)
    assert ids == {rep: stable_entity_id([rep]) for rep in ("pt-a", "pt-c", "pt-d")}
    ids = entity_ids(clusters, {"pt-b": ["inn:7743237789"]})
    assert ids["pt-a"] == "tt-inn-7743237789"
    assert len(set(ids.values())) == 3


# --- judgement input --------------------------------------------------------------------------


def test_parse_judgement_orders_ids_and_fills_who_and_time(monkeypatch):
    monkeypatch.setenv("TRADETRACE_USER", "olga")
    j = parse_judgement(" pt-b ", "pt-a", True, None, None, "same INN")
    assert (j.a, j.b, j.same, j.who, j.note) == ("pt-a", "pt-b", True, "olga", "same INN")
    judgement_time(j.at)
    j = parse_judgement("pt-a", "pt-b", False, True, "ivan", "", at="2024-01-01T00:00:00Z")
    assert (j.same, j.who, j.at) == (False, "ivan", "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("a", "b", True, True, "x", ""), "not both"),
        (("a", "b", None, None, "x", ""), "neither"),
        (("a", "b", False, False, "x", ""), "neither"),
        (("a", "a", True, None, "x", ""), "itself"),
        (("", "b", True, None, "x", ""), "non-empty"),
        (("a", "  ", None, True, "x", ""), "non-empty"),
    ],
)
def test_parse_judgement_errors(args, message):
    with pytest.raises(ValueError, match=message):
        parse_judgement(*args)


def test_parse_judgement_rejects_a_bad_time():
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_judgement("a", "b", True, None, "x", "", at="last Tuesday")


def test_default_who(monkeypatch):
    monkeypatch.setenv("TRADETRACE_USER", "  anna ")
    assert default_who() == "anna"
    monkeypatch.delenv("TRADETRACE_USER")
    monkeypatch.setenv("LOGNAME", "os-user")
    assert default_who() == "os-user"


def test_rows_round_trip():
    js = [
        Judgement("pt-a", "pt-b", True, "olga", "2024-01-01T00:00:00Z", "same INN"),
        Judgement("pt-c", "pt-d", False, "ivan", "2024-01-02T00:00:00+00:00"),
    ]
    rows = judgement_rows(js)
    assert rows[1] == {
        "a": "pt-c",
        "b": "pt-d",
        "same": False,
        "who": "ivan",
        "at": "2024-01-02T00:00:00+00:00",
        "note": "",
    }
    assert judgements_from_rows(rows) == js


def test_rows_are_checked_and_lenient_about_booleans_and_notes():
    row = {"a": "pt-a", "b": "pt-b", "who": "x", "at": "2024-01-01"}
    assert judgements_from_rows([{**row, "same": "false", "note": None}])[0].same is False
    assert judgements_from_rows([{**row, "same": 1}])[0].same is True
    with pytest.raises(ValueError, match="row 1: missing same"):
        judgements_from_rows([{**row, "same": True}, row])
    with pytest.raises(ValueError, match="true or false"):
        judgements_from_rows([{**row, "same": "maybe"}])
    with pytest.raises(ValueError, match="itself"):
        judgements_from_rows([{**row, "b": "pt-a", "same": True}])
