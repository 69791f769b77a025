"""Find entities by a name in any script, or by a tax id.

Every party spelling is scored with the resolver's own :func:`name_similarity`, but
only the spellings that *can* reach :data:`MIN_SCORE` are scored at all. An index over
the parties' name cores proves which those are without scoring the rest:

* a non-generic score is the weighted token alignment of ``_aligned_score``, and a
  token pair scores above 0 only when its Indel and Jaro-Winkler ratios sum above 1 or
  its skeletons agree. Those pairs are found at C speed over the distinct words, and
  the alignment of every core that holds one is then computed exactly from them, in
  bulk (a core without one aligns at 0);
* names split into words differently can score by ``_compact_score`` instead: only
  when the cores without spaces are near-identical (Indel ≥ 0.92) or share a skeleton;
* a generic query matches only an identical core.

The survivors are scored row by row in table order, as every row once was, so the
answer (entities, scores, matched spelling) is the exhaustive one.

The index depends on the names alone, so it is kept per store and reused while the
store's names are unchanged (compared on every call: a rerun of ``resolve`` can never be
answered from an old index); entity ids and tax ids are read afresh each time. It takes
the cores from the stored ``name_core`` feature when a sample of them agrees with
:func:`analyse_name` (otherwise it analyses every name, as a store written by another
version of the analysis needs).
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Indel, JaroWinkler

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import (
    COMPACT_MIN_SKELETON,
    COMPACT_THRESHOLD,
    TOKEN_FLOOR,
    NameForms,
    _pair_similarity,
    _token_info,
    _weight,
    analyse_name,
    name_similarity,
    token_skeleton,
)
from tradetrace.resolve.records import EntityHit
from tradetrace.resolve.redirects import successor
from tradetrace.store import Store

MIN_SCORE = 0.6
#: Float slack for bounds computed in a different order than the exact score.
_EPS = 1e-9
#: The compact candidates' Indel cut-off, safely below ``COMPACT_THRESHOLD``.
_COMPACT_CUTOFF = COMPACT_THRESHOLD - 0.02
#: Party rows whose stored ``name_core`` is checked against :func:`analyse_name`.
_CHECKED_ROWS = 4096
#: Stores whose index is kept (an index of 500k parties holds about 150 MB).
_KEPT_INDEXES = 2
_ROW_COLUMNS = ("entity_id", "name", "inn")


def search_entities(store: Store, text: str, limit: int = 10) -> list[EntityHit]:
    """Entities ranked by their best-matching spelling (an INN match scores 1.0, and so does
    an entity id, ``matched`` being the id: a retired id finds the entity it leads to)."""
    best = _best_spellings(store, text)
    by_id = _by_entity_id(store, text.strip())
    if by_id is not None:
        best[by_id] = (1.0, text.strip())
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ranked = ranked[:limit]
    entities = store.table("entities")
    wanted = [entity_id for entity_id, _ in ranked]
    rows = {
        r["entity_id"]: r
        for r in store.to_arrow(entities.filter(entities.entity_id.isin(wanted))).to_pylist()
    }
    return [
        EntityHit(
            entity_id=entity_id,
            name=rows[entity_id]["name"],
            country=rows[entity_id]["country"],
            score=round(score, 3),
            matched=matched,
            lines=rows[entity_id]["importer_lines"] + rows[entity_id]["exporter_lines"],
            identifiers=rows[entity_id]["identifiers"],
        )
        for entity_id, (score, matched) in ranked
    ]


def _by_entity_id(store: Store, text: str) -> str | None:
    """The entity an entity id names (following a retired id's redirect), else None."""
    if not text.startswith("tt-"):
        return None
    entities = store.table("entities")

    def exists(entity_id: str) -> bool:
        found = entities.filter(entities.entity_id == entity_id).count()
        return bool(store.to_arrow(found).as_py())

    if exists(text):
        return text
    moved = successor(store, text)
    return moved if moved is not None and exists(moved) else None


def _best_spellings(store: Store, text: str) -> dict[str, tuple[float, str]]:
    """Entity id → (best score, its first spelling in table order) for scores ≥ MIN_SCORE."""
    parties = store.table("parties")
    index = _kept_index(store)
    rows = store.to_arrow(parties.select(*_ROW_COLUMNS)) if index is not None else None
    if index is None or rows is None or not index.names.equals(rows["name"]):
        stored = [_STORED_CORE] if _STORED_CORE in parties.columns else []
        loaded = store.to_arrow(parties.select(*_ROW_COLUMNS, *stored))
        rows = loaded.select(list(_ROW_COLUMNS))
        index = _keep_index(store, _NameIndex.build(loaded))
    inn = _query_inn(text)
    positions = np.union1d(
        index.rows_of(index.candidates(analyse_name(text))), _inn_rows(rows, inn)
    )
    return _score_rows(rows.take(pa.array(positions, pa.int64())).to_pylist(), text, inn)


def _query_inn(text: str) -> str | None:
    return normalise_inn(re.sub(r"\D", "", text)) if re.search(r"\d{10}", text) else None


def _inn_rows(rows: pa.Table, inn: str | None) -> np.ndarray:
    if not inn:
        return np.empty(0, np.int64)
    return np.flatnonzero(pc.fill_null(pc.equal(rows["inn"], inn), False).to_numpy())


def _score_rows(rows: Iterable[dict], text: str, inn: str | None) -> dict[str, tuple[float, str]]:
    """The exhaustive scoring rule over ``rows`` in table order (the first best spelling wins)."""
    query = analyse_name(text)
    scores: dict[str, float] = {}
    best: dict[str, tuple[float, str]] = {}
    for row in rows:
        if inn and row["inn"] == inn:
            score = 1.0
        elif row["name"]:
            cached = scores.get(row["name"])
            if cached is None:
                cached = scores[row["name"]] = name_similarity(query, analyse_name(row["name"]))
            score = cached
        else:
            continue
        if score >= MIN_SCORE and score > best.get(row["entity_id"], (0.0, ""))[0]:
            best[row["entity_id"]] = (score, row["name"])
    return best


# -- the index kept per store -----------------------------------------------------------------

_STORED_CORE = "name_core"
_INDEXES: OrderedDict[tuple[str, str], _NameIndex] = OrderedDict()
_INDEXES_LOCK = threading.Lock()


def _store_key(store: Store) -> tuple[str, str]:
    return store.backend, str(store.path)


def _kept_index(store: Store) -> _NameIndex | None:
    """The index last built for this store (valid only while its names are unchanged)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(_store_key(store))
        if index is not None:
            _INDEXES.move_to_end(_store_key(store))
    return index


def _keep_index(store: Store, index: _NameIndex) -> _NameIndex:
    with _INDEXES_LOCK:
        _INDEXES[_store_key(store)] = index
        _INDEXES.move_to_end(_store_key(store))
        while len(_INDEXES) > _KEPT_INDEXES:
            _INDEXES.popitem(last=False)
    return index


@dataclass(frozen=True)
class _NameIndex:
    """The parties' names by core, the cores by word, and what the compact score compares."""

    names: pa.ChunkedArray  # the names it was built from, in table order
    core_rows: _Lists  # core → rows with that core
    cores: pa.Array  # distinct cores
    core_weight: np.ndarray  # per core: the summed weight of its words (with repeats)
    word_cores: _Lists  # word → cores holding it, once per occurrence
    words: list[str]
    word_ids: dict[str, int]
    word_weight: np.ndarray
    alpha_words: list[str]  # the alphabetic words (others match only themselves) ...
    alpha_ids: np.ndarray  # ... and their word ids
    words_by_skeleton: dict[str, list[int]]
    joined: list[str]  # cores without spaces, shortest first ...
    joined_cores: np.ndarray  # ... their core ids ...
    joined_length: np.ndarray  # ... and lengths
    cores_by_joined_skeleton: dict[str, list[int]]

    @classmethod
    def build(cls, parties: pa.Table) -> _NameIndex:
        """From ``name`` and, when present and current, the stored ``name_core``."""
        encoded = _row_cores(parties).dictionary_encode()
        cores = encoded.dictionary
        row_core = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        split = pc.split_pattern(cores, " ")
        flat = pc.list_flatten(split).dictionary_encode()
        words = flat.dictionary.to_pylist()
        word_of = flat.indices.to_numpy().astype(np.int64)
        core_of = pc.list_parent_indices(split).to_numpy().astype(np.int64)
        word_weight = np.array([_weight(w) for w in words], np.float64)
        alpha = np.array([w.isalpha() for w in words], bool)
        alpha_ids = np.flatnonzero(alpha)
        joined = pc.replace_substring(cores, " ", "")
        length = pc.utf8_length(joined).to_numpy()
        by_length = np.argsort(length, kind="stable")
        joined_words = joined.to_pylist()
        return cls(
            names=parties["name"],
            core_rows=_Lists.group(row_core, len(cores)),
            cores=cores,
            core_weight=np.bincount(core_of, word_weight[word_of], minlength=len(cores)),
            word_cores=_Lists.group(word_of, len(words), core_of),
            words=words,
            word_ids={w: i for i, w in enumerate(words)},
            word_weight=word_weight,
            alpha_words=[words[i] for i in alpha_ids],
            alpha_ids=alpha_ids,
            words_by_skeleton=_group_by_skeleton(w if w.isalpha() else "" for w in words),
            joined=[joined_words[i] for i in by_length],
            joined_cores=by_length,
            joined_length=length[by_length],
            cores_by_joined_skeleton=_group_by_skeleton(
                (w if w.isalpha() else "" for w in joined_words), COMPACT_MIN_SKELETON
            ),
        )

    def rows_of(self, cores: np.ndarray) -> np.ndarray:
        """Positions of the party rows with these cores."""
        return self.core_rows.take(cores)[0]

    def candidates(self, query: NameForms) -> np.ndarray:
        """Cores whose :func:`name_similarity` with ``query`` can reach :data:`MIN_SCORE`."""
        if not query.core:
            return np.empty(0, np.int64)
        same = int(pc.index(self.cores, query.core).as_py())
        exact = np.array([same] if same >= 0 else [], np.int64)
        if query.generic:
            return exact
        aligned = np.flatnonzero(self.alignment(query) >= MIN_SCORE - _EPS)
        return np.unique(np.concatenate([exact, aligned, self._compact(query)]))

    def alignment(self, query: NameForms) -> np.ndarray:
        """``_aligned_score`` of the query against every core, computed in bulk.

        The weight × best partner score of each query word and of each of the core's
        words, over both sides' weights. Only words scoring above 0 against some query
        word contribute, so only the cores holding one are touched (the rest align at 0).
        """
        n = len(self.cores)
        total = np.zeros(n)
        partner = np.zeros(len(self.words))  # per word: its best score against a query word
        for word, count in Counter(query.tokens).items():
            ids, sims = self._word_hits(word)
            cores, owner = self.word_cores.take(ids)
            best = np.zeros(n)
            np.maximum.at(best, cores, sims[owner])
            total += count * _weight(word) * best
            partner[ids] = np.maximum(partner[ids], sims)
        ids = np.flatnonzero(partner)
        cores, owner = self.word_cores.take(ids)
        total += np.bincount(cores, (self.word_weight[ids] * partner[ids])[owner], minlength=n)
        return total / (sum(_weight(t) for t in query.tokens) + self.core_weight)

    def _word_hits(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The words ``_pair_similarity`` scores above 0 against ``word``, and their scores.

        Its sharpened mean of Indel and Jaro-Winkler is computed for every word at once;
        the words it lifts for an agreeing skeleton are few and scored one by one. A word
        with a digit matches only itself.
        """
        sims = np.zeros(len(self.words))
        if word.isalpha() and self.alpha_words:
            mean = 0.5 * (self._ratios(word, Indel) + self._ratios(word, JaroWinkler))
            sims[self.alpha_ids] = np.maximum(0.0, (mean - TOKEN_FLOOR) / (1.0 - TOKEN_FLOOR))
            info = _token_info(word)
            for i in self.words_by_skeleton.get(token_skeleton(word), ()):
                sims[i] = _pair_similarity(word, self.words[i], info, _token_info(self.words[i]))
        if word in self.word_ids:
            sims[self.word_ids[word]] = 1.0
        ids = np.flatnonzero(sims)
        return ids, sims[ids]

    def _ratios(self, word: str, metric: ModuleType) -> np.ndarray:
        """``metric``'s normalised similarity of ``word`` to every alphabetic word, in
        double precision (cdist's default float32 is off by up to 1e-7: too much for a
        bound that is compared with the exact score)."""
        scorer = metric.normalized_similarity
        return process.cdist([word], self.alpha_words, scorer=scorer, dtype=np.float64)[0]

    def _compact(self, query: NameForms) -> np.ndarray:
        """Cores ``_compact_score`` may lift: near-identical without spaces, or same skeleton."""
        joined = query.core.replace(" ", "")
        low, high = _length_window(len(joined), _COMPACT_CUTOFF)
        start, stop = np.searchsorted(self.joined_length, [low, high + 1])
        ratios = process.cdist(
            [joined],
            self.joined[start:stop],
            scorer=Indel.normalized_similarity,
            score_cutoff=_COMPACT_CUTOFF,
        )
        found = self.joined_cores[start + np.flatnonzero(ratios[0])].tolist()
        if joined.isalpha():
            found += self.cores_by_joined_skeleton.get(token_skeleton(joined), [])
        return np.array(found, np.int64)


@dataclass(frozen=True)
class _Lists:
    """Many small integer lists in two arrays (list ``i`` is ``values[start[i]:start[i + 1]]``)."""

    start: np.ndarray
    values: np.ndarray

    @classmethod
    def group(cls, keys: np.ndarray, n: int, values: np.ndarray | None = None) -> _Lists:
        """Group ``values`` (default: the positions) by ``keys`` in 0..n-1, in order; -1 dropped."""
        values = np.arange(len(keys)) if values is None else values
        kept = keys >= 0
        keys, values = keys[kept], values[kept]
        order = np.argsort(keys, kind="stable")
        start = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n))])
        return cls(start.astype(np.int64), values[order])

    def take(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lists of ``ids`` concatenated, and for each value which of ``ids`` it came from."""
        starts = self.start[ids]
        lengths = self.start[ids + 1] - starts
        owner = np.repeat(np.arange(len(ids)), lengths)
        offsets = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return self.values[starts[owner] + offsets], owner


def _length_window(length: int, cutoff: float) -> tuple[int, int]:
    """Lengths whose Indel ratio with a string of ``length`` can reach ``cutoff``.

    The Indel distance is at least the difference in length, so the ratio is at most
    1 − |a − b| / (a + b).
    """
    low = int(np.floor(length * cutoff / (2.0 - cutoff)))
    high = int(np.ceil(length * (2.0 - cutoff) / cutoff))
    return low, high


def _group_by_skeleton(strings: Iterable[str], min_length: int = 1) -> dict[str, list[int]]:
    """Position of each non-empty string by its skeleton, if at least ``min_length`` long.

    Uncached: most strings are seen once, and they would evict the words that recur.
    """
    groups: dict[str, list[int]] = {}
    skeleton_of = token_skeleton.__wrapped__
    for i, text in enumerate(strings):
        if text and len(skeleton := skeleton_of(text)) >= min_length:
            groups.setdefault(skeleton, []).append(i)
    return groups


def _row_cores(parties: pa.Table) -> pa.Array:
    """Each party's name core, null where its name can never score.

    The stored ``name_core`` (null for generic names) saves analysing every name, but
    only if it was computed by this version of :func:`analyse_name`: a sample of rows is
    checked, and on any difference every name is analysed afresh.
    """
    names = parties["name"].combine_chunks()
    if _STORED_CORE in parties.column_names:
        stored = parties[_STORED_CORE].combine_chunks()
        if _stored_cores_current(names, stored):
            missing = pc.is_null(stored)
            fill = [_core(n) for n in pc.filter(names, missing).to_pylist()]
            return pc.replace_with_mask(stored, missing, pa.array(fill, pa.string()))
    distinct = names.unique()
    analyse = analyse_name.__wrapped__  # each name once: caching them all would evict the rest
    cores = pa.array([_core(n, analyse) for n in distinct.to_pylist()], pa.string())
    return cores.take(pc.index_in(names, distinct))


def _core(name: str | None, analyse: Callable[[str], NameForms] = analyse_name) -> str | None:
    return (analyse(name).core or None) if name else None


def _stored_cores_current(names: pa.Array, stored: pa.Array) -> bool:
    present = np.flatnonzero(pc.is_valid(stored).to_numpy(zero_copy_only=False))
    sample = present[np.linspace(0, len(present) - 1, min(len(present), _CHECKED_ROWS)).astype(int)]
    for name, core in zip(
        names.take(sample).to_pylist(), stored.take(sample).to_pylist(), strict=True
    ):
        forms = analyse_name(name or "")
        if forms.generic or forms.core != core:
            return False
    return True
