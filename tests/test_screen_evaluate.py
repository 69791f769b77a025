"""Measuring screening (``tradetrace.screen.evaluate``), on a five-entry list and a few names.

Two figures. The *flag rate* screens the real party names of a store and sorts every alert
by a hand judgement: true (a listed party trades), false (an analyst's wasted time), or
unjudged (listed, never silently counted as false). *Recall on listed spellings* writes
the lists' Russian firms as Russian customs data would (ООО «X», OOO "X", X LLC ...)
and checks that each spelling finds its own entry.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tradetrace.errors import InputError
from tradetrace.screen.evaluate import (
    Judgement,
    evaluate_screening,
    flag_rate,
    is_russian_organisation,
    legal_form_of,
    listed_recall,
    listed_spellings,
    read_judgements,
    real_name_queries,
    spellings_of,
    to_cyrillic,
    write_judgements,
)
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry, entries_table
from tradetrace.screen.match import ListIndex, Query

ENTRIES = entries_table(
    [
        ListEntry(
            "test", "1", "Company", "LIMITED LIABILITY COMPANY AURUS",
            aliases=(Alias("ООО «АУРУС»", "non-latin"),),
            identifiers=(Identifier("inn", "7743237789"),), countries=("RU",),
        ),
        ListEntry("test", "2", "Company", "PARS TILE COMPANY", countries=("IR",)),
        ListEntry("test", "3", "Person", "Ayoub AL-SALIM", aliases=(Alias("Ali AL-SALIM"),)),
        # every word generic: by design this name never carries a match on its own
        ListEntry("test", "4", "Company", "UNITED COMPANY OJSC", countries=("RU",)),
        ListEntry("test", "5", "Company", "NORD TRADING L.L.C", countries=("AE",)),
        ListEntry(
            "test", "6", "Company", "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU RASSVET",
            aliases=(Alias("RASSVET LLC"),), countries=("RU",),
        ),
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def index() -> ListIndex:
    return ListIndex(ENTRIES)


def judged(name: str, entity: str, same: bool) -> Judgement:
    return Judgement(name, "test", entity, "", same)


# -- the real names ------------------------------------------------------------------------


def test_queries_are_the_distinct_party_names_with_their_own_country_and_inn(store):
    store.replace_table(
        "parties",
        pa.table({
            "name": ["AURUS LLC", "AURUS LLC", "AURUS LLC", "PARS TILE CO", "  ", None],
            "country": ["RU", "RU", None, None, "AM", "AM"],
            "inn": ["7743237789", "7743237789", None, None, None, None],
        }),
    )  # fmt: skip
    assert real_name_queries(store) == [
        Query("AURUS LLC", None),  # no country: none is made up
        Query("AURUS LLC", "RU", identifiers=("inn:7743237789",)),
        Query("PARS TILE CO"),
    ]  # blank and missing names are not screened


# -- flag rate -----------------------------------------------------------------------------


def test_flag_rate_sorts_every_alert_by_its_judgement(index):
    queries = [
        Query("AURUS LLC", "RU"),  # the listed firm: a true alert
        Query("PARS TILE CO"),  # judged false (say, another firm of that name)
        Query("RASSVET LLC"),  # nobody judged it: counted apart, never as false
        Query("NORTHERN LIGHTS LTD"),  # no alert
    ]
    judgements = {
        j.key: j for j in (judged("AURUS LLC", "1", True), judged("PARS TILE CO", "2", False))
    }
    rate = flag_rate(index, queries, judgements)
    assert (rate.names, rate.flagged, rate.alerts) == (4, 3, 3)
    assert (rate.true_alerts, rate.false_alerts, rate.unjudged_alerts) == (1, 1, 1)
    assert rate.only_false == 1  # PARS TILE CO: all of its alerts are false
    assert rate.only_false_share == 0.25
    assert [a.query_name for a in rate.found] == ["AURUS LLC"] and rate.names_found == 1
    assert [(a.query_name, a.list_entity_id) for a in rate.unjudged] == [("RASSVET LLC", "6")]


def test_a_name_screened_with_several_countries_counts_once(index):
    """Alerts are per name: its queries' alerts are merged, the best score kept."""
    rate = flag_rate(index, [Query("AURUS LLC", "RU"), Query("AURUS LLC", "KZ")], {})
    assert (rate.names, rate.alerts, rate.unjudged_alerts) == (1, 1, 1)
    assert rate.unjudged[0].score == 1.0


def test_an_equal_inn_raises_an_alert_whatever_the_name(index):
    rate = flag_rate(index, [Query("ТОРГОВЫЙ ДОМ", identifiers=("inn:7743237789",))], {})
    assert [a.list_entity_id for a in rate.unjudged] == ["1"]


def test_a_listed_party_judged_true_but_not_alerted_is_reported_missed(index):
    """A judgement can record a listed party the matcher does not find yet."""
    judgements = {j.key: j for j in [judged("AURUS BRANCH IN BANGLADESH", "1", True)]}
    rate = flag_rate(index, [Query("AURUS BRANCH IN BANGLADESH")], judgements)
    assert rate.alerts == 0
    assert [j.query_name for j in rate.missed] == ["AURUS BRANCH IN BANGLADESH"]


# -- judgements file -----------------------------------------------------------------------


def test_judgements_round_trip_through_the_csv(tmp_path: Path):
    path = tmp_path / "judgements.csv"
    written = [
        Judgement("PARS TILE CO", "ofac_sdn", "30392", "PARS TILE COMPANY", True, "tiles, IR"),
        Judgement("ATLAS LLC", "uk_sanctions_list", "RUS2747", "JSC Atlas", False, ""),
    ]
    write_judgements(path, written)
    assert path.read_text().splitlines()[0] == (
        "query_name,list,list_entity_id,matched_name,same,note"
    )
    assert read_judgements(path) == {j.key: j for j in written}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["A,test,1,A,maybe,"], "same must be true or false"),
        (["A,test,1,A,true,", "A,test,1,A,false,"], "judged twice"),
    ],
)
def test_a_judgements_file_that_would_move_the_figures_is_refused(tmp_path, rows, message):
    path = tmp_path / "judgements.csv"
    path.write_text("\n".join(["query_name,list,list_entity_id,matched_name,same,note", *rows]))
    with pytest.raises(InputError, match=message):
        read_judgements(path)


# -- customs-style spellings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "bare", "transliterated"),
    [
        ("LIMITED LIABILITY COMPANY AURUS", "LLC", "AURUS", False),
        ("ООО «АУРУС»", "LLC", "АУРУС", True),
        ("IS BANK, AO", "JSC", "IS BANK", True),
        ("JSC CB 'IS BANK'", "JSC", "CB 'IS BANK", False),  # inner quotes stay
        ("MTS Bank Public Joint-Stock Company (PJSC)", "PJSC", "MTS BANK", False),
        ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU RASSVET", "LLC", "RASSVET", True),
        ("ФГУП «ГЛАВНЫЙ ЦЕНТР СПЕЦИАЛЬНОЙ СВЯЗИ»", "FSUE", "ГЛАВНЫЙ ЦЕНТР СПЕЦИАЛЬНОЙ СВЯЗИ", True),
    ],
)
def test_legal_form_of_cuts_the_russian_form_off_the_edges(name, code, bare, transliterated):
    found = legal_form_of(name)
    assert found is not None
    assert (found.form.code, found.bare, found.transliterated) == (code, bare, transliterated)


def test_a_form_word_inside_a_name_is_part_of_the_name():
    assert legal_form_of("KAO TRADING AO ELEKTRO") is None
    assert legal_form_of("OOO") is None  # nothing but a form: no firm name left


def test_a_russian_firm_is_written_as_customs_files_write_it():
    aurus = ENTRIES.to_pylist()[0]
    assert [(s.kind, s.spelling) for s in spellings_of(aurus)] == [
        ("latin_abbr_quoted", 'OOO "AURUS"'),
        ("english_abbr_prefix", "LLC AURUS"),
        ("english_abbr_suffix", "AURUS LLC"),
        ("quoted_english_suffix", '"AURUS" LLC'),
        ("english_full", "LIMITED LIABILITY COMPANY AURUS"),
        ("latin_full_quoted", 'OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU "AURUS"'),
        ("cyrillic_abbr", "ООО «АУРУС»"),  # from the list's own Cyrillic alias
        ("cyrillic_full", "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «АУРУС»"),
    ]
    assert {s.list_entity_id for s in spellings_of(aurus)} == {"1"}


def test_without_a_cyrillic_alias_a_transliterated_name_is_written_back_by_rule():
    rassvet = ENTRIES.to_pylist()[5]
    by_rule = [s for s in spellings_of(rassvet) if s.kind == "cyrillic_by_rule"]
    assert [s.spelling for s in by_rule] == ["ООО «РАССВЕТ»"]
    assert to_cyrillic("INNOVATSIONNYE TEKHNOLOGII") == "ИННОВАЦИОННЫЕ ТЕХНОЛОГИИ"
    assert to_cyrillic("ELEKTRONSCHIK YUZHNYY") == "ЭЛЕКТРОНЩИК ЮЖНЫЙ"


def test_only_russian_organisations_are_written():
    """A Russian form, or RU as the only country with an English form; never a person,
    never a firm whose names carry no form (none is guessed), never an Emirati L.L.C."""
    russian = {e["list_entity_id"] for e in ENTRIES.to_pylist() if is_russian_organisation(e)}
    assert russian == {"1", "4", "6"}
    assert {s.list_entity_id for s in listed_spellings(ENTRIES)} == {"1", "4", "6"}


def test_the_sample_is_seeded():
    assert listed_spellings(ENTRIES, sample=2) == listed_spellings(ENTRIES, sample=2)
    assert len({s.list_entity_id for s in listed_spellings(ENTRIES, sample=2)}) == 2


# -- recall --------------------------------------------------------------------------------


def test_recall_counts_the_spellings_that_find_their_own_entry(index):
    spellings = listed_spellings(ENTRIES)
    recall = listed_recall(index, spellings)
    assert recall.spellings == len(spellings)
    # UNITED COMPANY is made of generic words only: every spelling of it is a miss
    assert {m.list_entity_id for m in recall.misses} == {"4"}
    assert recall.found == recall.spellings - 6
    kinds = {kind: (missed, total) for kind, missed, total in recall.by_kind}
    assert kinds["latin_abbr_quoted"] == (1, 3)
    assert kinds["cyrillic_abbr"] == (0, 1)


# -- both figures on a store ---------------------------------------------------------------


def test_evaluate_screening_reads_names_lists_and_judgements_from_the_store(store, tmp_path):
    store.replace_table("list_entries", ENTRIES)
    store.create_view("current_list_entries", store.table("list_entries"))
    store.replace_table(
        "parties",
        pa.table({"name": ["AURUS LLC", "PARS TILE CO"], "country": ["RU", None],
                  "inn": pa.array([None, None], pa.string())}),
    )  # fmt: skip
    labels = tmp_path / "judgements.csv"
    write_judgements(labels, [judged("AURUS LLC", "1", True), judged("PARS TILE CO", "2", False)])
    summary = evaluate_screening(store, labels).summary()
    assert (summary["names"], summary["true_alerts"], summary["only_false"]) == (2, 1, 1)
    assert summary["found"] == [("AURUS LLC", "test", "1")]
    assert summary["recall_by_kind"]["cyrillic_abbr"] == {"missed": 0, "of": 1}
