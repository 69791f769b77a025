"""Entity search scores only the spellings that can match, and loses none of them.

``search_entities`` once scored every party's name against the query; it now proposes
candidates from an index and scores only those. These tests compare it with that
exhaustive scoring (reimplemented here, as it was) over a SYNTHETIC store: every
sampled entity's spellings in every script, perturbed the ways analysts type them,
plus unrelated names and tax ids. Any entity, score or matched spelling that differs
fails the test, whether or not it would have made the top of the list.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from rapidfuzz.distance import Indel, JaroWinkler

from tradetrace.ingest.pipeline import ingest
from tradetrace.resolve import search
from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import _aligned_score, analyse_name, name_similarity, token_skeleton
from tradetrace.resolve.run import resolve
from tradetrace.sample.generator import generate_sample
from tradetrace.store import open_store

AURUS_INN = "7743237789"
UNRELATED = (
    "SIEMENS AG",
    "ООО «РОМАШКА»",
    "TRADING LLC",
    "GENERAL TRADING CO., LTD",
    "ООО",
    "삼성전자 주식회사",
    "深圳市华为技术有限公司",
    "Shenzhen Huawei Technologies",
    "",
    "   ",
    "12345",
    "ZAVOD 2",
    AURUS_INN,
    f"ИНН {AURUS_INN}",
    f"tax id {AURUS_INN[:5]}-{AURUS_INN[5:]}",
    "QXJWV PLOMB",
)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A SYNTHETIC sample (about 3,700 party records) generated, ingested and resolved."""
    tmp = tmp_path_factory.mktemp("search")
    generate_sample(tmp / "sample", rows=100_000, seed=11)
    path = tmp / "store.duckdb"
    with open_store(path) as store:
        ingest(store, sorted((tmp / "sample").glob("synthetic_ru_customs_*.csv")))
        resolve(store)
    return path


@pytest.fixture(scope="module")
def store(db):
    with open_store(db, read_only=True) as opened:
        yield opened


def exhaustive(store, text: str) -> dict[str, tuple[float, str]]:
    """The search as it was: every party row scored, the first best spelling kept."""
    parties = store.to_arrow(store.table("parties").select("entity_id", "name", "inn")).to_pylist()
    best: dict[str, tuple[float, str]] = {}
    inn = normalise_inn(re.sub(r"\D", "", text)) if re.search(r"\d{10}", text) else None
    query = analyse_name(text)
    for row in parties:
        if inn and row["inn"] == inn:
            score = 1.0
        elif row["name"]:
            score = name_similarity(query, analyse_name(row["name"]))
        else:
            continue
        if score >= search.MIN_SCORE and score > best.get(row["entity_id"], (0.0, ""))[0]:
            best[row["entity_id"]] = (score, row["name"])
    return best


def perturbed(name: str, rng: random.Random) -> list[str]:
    """The name as analysts type it: as written, without its legal form, with a slip,
    words swapped, words run together, one word dropped, lower case."""
    core = analyse_name(name).core
    words = core.split()
    out = [name, core, name.lower(), " ".join(reversed(words)), core.replace(" ", "")]
    if len(words) > 1:
        out.append(" ".join(words[:-1]))
        out.append(" ".join(words[1:]))
    if len(core) > 3:
        i = rng.randrange(1, len(core) - 1)
        out.append(core[:i] + core[i + 1 :])  # a letter dropped
        out.append(core[:i] + core[i + 1] + core[i] + core[i + 2 :])  # two swapped
        out.append(core[:i] + rng.choice("AEIKOSTU") + core[i + 1 :])  # one mistyped
    if len(name) > 3:
        i = rng.randrange(1, len(name) - 1)
        out.append(name[:i] + name[i + 1 :])  # a slip in the original script
    return out


def queries(store, entities: int = 50, seed: int = 3) -> list[str]:
    """Spellings of a seeded sample of entities (all their aliases, every script) perturbed,
    their tax ids, and names of no entity."""
    rows = store.to_arrow(store.table("entities").select("name", "aliases", "identifiers"))
    rng = random.Random(seed)
    picked = rng.sample(rows.to_pylist(), min(entities, rows.num_rows))
    out: list[str] = list(UNRELATED)
    for entity in picked:
        spellings = {entity["name"], *(a["name"] for a in entity["aliases"] or ())}
        for spelling in sorted(s for s in spellings if s):
            out += perturbed(spelling, rng)
        out += [i.split(":", 1)[1] for i in entity["identifiers"] or ()]
    return list(dict.fromkeys(out))


def test_search_finds_exactly_what_scoring_every_party_finds(store):
    asked = queries(store)
    scripts = {analyse_name(q).script for q in asked}
    assert {"Latin", "Cyrillic", "Hangul"} <= scripts
    differ = []
    found = 0
    for text in asked:
        expected = exhaustive(store, text)
        got = search._best_spellings(store, text)
        found += bool(expected)
        if got != expected:
            differ.append((text, expected, got))
    assert not differ, f"{len(differ)} of {len(asked)} queries differ, e.g. {differ[:3]}"
    assert found > 0.8 * (len(asked) - len(UNRELATED))  # the queries do find entities


def party_cores(store) -> dict[str, dict]:
    """Each distinct name core, with one party row that has it."""
    parties = store.to_arrow(store.table("parties").select("entity_id", "name")).to_pylist()
    return {analyse_name(p["name"]).core: p for p in parties if p["name"]}


def sound_alike_variants(store) -> list[tuple[str, str, str]]:
    """(query, party name, its entity): the name with one word swapped for another of the
    store's words that agrees with it in sound skeleton but hardly in spelling
    (TIANJIN CHENGCHENG → TIANJIN JINJEONG). Such a pair scores above 0 by the skeleton
    lift alone, which no spelling ratio would find."""
    cores = party_cores(store)
    by_sound: dict[str, set[str]] = {}
    for word in {w for core in cores for w in core.split() if w.isalpha()}:
        by_sound.setdefault(token_skeleton(word), set()).add(word)
    return sorted(
        {
            (" ".join(alike if w == word else w for w in core.split()), p["name"], p["entity_id"])
            for core, p in cores.items()
            for word in core.split()
            if word.isalpha()
            for alike in by_sound[token_skeleton(word)] - {word}
            if Indel.normalized_similarity(word, alike)
            + JaroWinkler.normalized_similarity(word, alike)
            <= 1.0
        }
    )


#: Vowels swapped within the classes the skeleton keeps apart (C is soft before E/I/Y).
VOWEL_SHIFT = str.maketrans("AOUEI", "OUAIE")


def run_together_variants(store) -> list[tuple[str, str, str]]:
    """(query, party name, its entity): a name of several words run together, as a
    transliteration from a script without word spaces gives it, with one letter dropped
    (only the whole name's spelling then matches) or with its vowels shifted
    (HANBIT AUTOTECH → HONBETUATUTICH: only the whole name's skeleton then matches)."""
    out = set()
    for core, p in party_cores(store).items():
        joined = core.replace(" ", "")
        if " " in core and joined.isalpha():
            middle = len(joined) // 2
            for text in (joined[:middle] + joined[middle + 1 :], joined.translate(VOWEL_SHIFT)):
                out.add((text, p["name"], p["entity_id"]))
    return sorted(out)


def assert_found(store, variants: list[tuple[str, str, str]]) -> None:
    """Each query finds the party it was made from whenever the two score as a match
    (checked pair by pair, as scoring the whole store for each would take minutes), and
    a sample gives exactly the exhaustive answer."""
    lost = []
    for text, name, entity_id in variants:
        score = name_similarity(analyse_name(text), analyse_name(name))
        found = search._best_spellings(store, text).get(entity_id, (0.0, ""))[0]
        if score >= search.MIN_SCORE and found < score:
            lost.append((text, name, score))
    assert not lost, f"{len(lost)} of {len(variants)} lost, e.g. {lost[:5]}"
    for text, _, _ in random.Random(1).sample(variants, 40):
        assert search._best_spellings(store, text) == exhaustive(store, text), text


def test_words_that_only_sound_alike_are_found(store):
    variants = sound_alike_variants(store)
    assert len(variants) > 500
    assert_found(store, variants)


def test_names_run_together_in_another_spelling_are_found(store):
    variants = run_together_variants(store)
    decided = [
        v for v in variants if name_similarity(analyse_name(v[0]), analyse_name(v[1])) >= 0.6
    ]
    assert len(decided) > 1000
    assert_found(store, variants)


def test_bulk_alignment_is_the_exact_alignment_of_every_core(store):
    """The heart of the proof: the index computes ``_aligned_score`` of the query against
    every core (not an estimate), so no core reaching the threshold can be left out.
    Compact scores and identical cores are proposed separately (checked above)."""
    columns = ("entity_id", "name", "inn", "name_core")
    index = search._NameIndex.build(store.to_arrow(store.table("parties").select(*columns)))
    cores = [tuple(core.split()) for core in index.cores.to_pylist()]
    asked = queries(store, entities=12, seed=9)
    asked += [text for text, _, _ in random.Random(2).sample(sound_alike_variants(store), 80)]
    for text in asked:
        forms = analyse_name(text)
        if forms.generic:
            continue
        bulk = index.alignment(forms)
        exact = np.array([_aligned_score(forms.tokens, core) for core in cores])
        assert np.abs(bulk - exact).max() <= 1e-12, text


def test_search_entities_ranks_as_before(store):
    """Whole answers, including ties broken by entity id and the matched spelling."""
    for text in queries(store, entities=15, seed=5):
        expected = sorted(exhaustive(store, text).items(), key=lambda kv: (-kv[1][0], kv[0]))
        got = search.search_entities(store, text, limit=6)
        assert [(r.entity_id, r.score, r.matched) for r in got] == [
            (entity_id, round(score, 3), matched) for entity_id, (score, matched) in expected[:6]
        ], text


def test_cross_script_spellings_meet(store):
    """The Korean supplier, asked for in Hangul, Russian or run together, is found."""
    for text in ("한빛오토텍", "ХАНБИТ АВТОТЕК", "HANBITAUTOTECH", "Hanbit Autotek Co"):
        [best] = search.search_entities(store, text, limit=1)
        assert best.name and best.name.startswith("HANBIT AUTOTECH"), text
    [aurus] = search.search_entities(store, "ООО «АУРУС»", limit=1)
    assert aurus.entity_id == f"tt-inn-{AURUS_INN}" and aurus.score == 1.0


def test_only_candidates_are_scored(store, monkeypatch):
    """What makes it fast: a distinctive name scores a few spellings, not every party."""
    calls = []

    def counted(a, b):
        calls.append(b.original)
        return name_similarity(a, b)

    search._best_spellings(store, "warm up the index")
    monkeypatch.setattr(search, "name_similarity", counted)
    assert search._best_spellings(store, "ХАНБИТ АВТОТЕК КО., ЛТД")
    assert 0 < len(calls) < 0.05 * store.count("parties")


def replaced(table: pa.Table, column: str, values) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)


def test_index_is_kept_until_the_names_change(db, tmp_path, monkeypatch):
    """Built once per store; a new run's entity ids are seen at once (they are read on
    every call), new names rebuild it, and stored features are not taken on trust."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(db, path)
    builds = []
    build = search._NameIndex.build.__func__

    def counted(cls, parties):
        builds.append(parties.num_rows)
        return build(cls, parties)

    monkeypatch.setattr(search._NameIndex, "build", classmethod(counted))
    aurus = f"tt-inn-{AURUS_INN}"
    with open_store(path) as store:
        parties = store.to_arrow(store.table("parties"))
        before = search._best_spellings(store, "ООО «АУРУС»")
        assert list(before) == [aurus]
        assert search._best_spellings(store, "ХАНБИТ АВТОТЕК") and len(builds) == 1

        regrouped = pc.if_else(
            pc.equal(parties["entity_id"], aurus), "tt-regrouped", parties["entity_id"]
        )
        store.replace_table("parties", replaced(parties, "entity_id", regrouped))
        assert list(search._best_spellings(store, "ООО «АУРУС»")) == ["tt-regrouped"]
        assert len(builds) == 1  # same names: same index

        first = parties["name"][0].as_py()
        renamed = pc.if_else(
            pc.equal(parties["name"], first), "QUIXOTIC ZEPHYR LLC", parties["name"]
        )
        store.replace_table("parties", replaced(parties, "name", renamed))
        hit = search._best_spellings(store, "QUIXOTIC ZEPHYR")
        assert hit and hit == exhaustive(store, "QUIXOTIC ZEPHYR") and len(builds) == 2
        assert search._best_spellings(store, first) == exhaustive(store, first)

        # name cores from some other analysis: found out, and every name analysed afresh
        wrong = pc.utf8_reverse(parties["name_core"])
        store.replace_table("parties", replaced(parties, "name_core", wrong))
        assert search._best_spellings(store, "ООО «АУРУС»") == before and len(builds) == 3
