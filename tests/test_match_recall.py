"""Candidate search of ``ListIndex``: what it proposes finds what scoring every name finds.

The benchmark's "candidate recall vs exhaustive" in miniature, on the queries that the
earlier candidate search missed: a one-word name one slip away from a list name ("ICI" /
"ICEI", proposed but held under the threshold: a slip in a short name makes another name),
names whose closest list spelling differs in generic words only, a person whose name equals
the query, and a name made of words hundreds of list names share.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from tradetrace.screen.match import ListIndex, Query

LISTS = (
    "sanctions/ofac/sdn_2024-05-03.csv.gz",
    "sanctions/ofac/cons_prim_2025-12-19.csv",
    "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
    "sanctions/un/un_consolidated_2026-02-27.xml.gz",
)  # the benchmark's lists


@pytest.fixture(scope="module")
def index(shared_list) -> ListIndex:
    return ListIndex(pa.concat_tables([shared_list(path) for path in LISTS]))


def found(matches) -> set[tuple[str, str]]:
    return {(m.list, m.list_entity_id) for m in matches}


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("AO НИКИЭТ CO., LTD", ("ofac_sdn", "39177")),  # "JOINT STOCK COMPANY NIIET"
        ("PARTONSANAT LTD", ("ofac_sdn", "12950")),  # "PARTO SANAT CO."
        ("THE JIHAD GROUP CO., LTD", ("uk_ofsi", "7000")),  # "JIHAD GROUP", 177 other JIHADs
        ("KINGS ROMANS INVESTMENT CO. LIMITED LLC", ("ofac_sdn", "23648")),  # "... GROUP"
        ("TRUST LOGISTIC LTD", ("ofac_sdn", "43318")),  # "TRUST LOGISTICS GROUP LLC"
        # the romanised Russian legal form is a legal form: the name is ARGON
        ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU ARGON LTD", ("ofac_sdn", "40865")),
    ],
)
def test_match_finds_what_exhaustive_scoring_finds(index, query, listed):
    expected = found(index.exhaustive(Query(query)))
    assert listed in expected
    assert found(index.match(Query(query))) == expected


def test_a_person_whose_name_equals_the_query_is_found(index):
    """A person's name is found for a person (a company never matches a person)."""
    query = Query("Houssam LUKA", schema="Person")
    expected = found(index.exhaustive(query))
    assert ("uk_ofsi", "12718") in expected
    assert found(index.match(query)) == expected
    assert ("uk_ofsi", "12718") not in found(index.match(Query("Houssam LUKA CO., LTD")))


def test_a_slip_in_a_short_name_is_proposed_and_held_under_the_threshold(index):
    """ "ICI" / "ICEI" share no word or sound key, one letter off: the slip keys propose
    it, and the short-name rule holds it under the threshold, saying why."""
    assert ("uk_ofsi", "16121") not in found(index.exhaustive(Query("ICI")))  # "ICI" is listed
    (icei,) = [m for m in index.match(Query("ICI"), all_scores=True) if m.list_entity_id == "16121"]
    assert icei.score < 0.85 and "short_name_slip" in icei.explanation["limits"]


def test_a_name_spelled_like_the_query_is_the_one_reported(index):
    """Several names of one entry score 1.0; the explanation shows the closest spelling."""
    query = Query("ZHANG, Jiangping", schema="Person")
    (match,) = [m for m in index.match(query) if m.list_entity_id == "9340"]
    assert match.matched_name == "ZHANG, Jiangping"


def _entries(*names: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"list": "test", "list_entity_id": str(i), "name": name, "schema": "Company",
             "aliases": [{"name": name + " HOLDING", "type": "aka"}], "identifiers": [],
             "countries": [], "programs": [], "listing_date": None, "delisting_date": None,
             "listing_date_note": None}
            for i, name in enumerate(names)
        ]
    )  # fmt: skip


def test_one_slip_away_is_proposed_and_one_word_stays_strict():
    index = ListIndex(_entries("ICEI", "GIDROOGK", "NIIET"))
    # 6/7 = 0.857, proposed, but a slip in a name of four letters or fewer is another name
    assert found(index.match(Query("ICI"), all_scores=True)) >= {("test", "0")}
    assert found(index.match(Query("ICI"))) == set() == found(index.exhaustive(Query("ICI")))
    assert found(index.match(Query("NIKIET LLC"))) == {("test", "2")}
    assert found(index.match(Query("GEOTORG"))) == set()  # not a slip, and one word
