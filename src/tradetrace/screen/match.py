"""The matcher: a name (plus country, schema, identifiers) against every loaded list.

No search engine: an in-memory inverted index over the names of ``list_entries``
proposes candidates that share a distinctive word or a cross-script sound
(``resolve.names`` skeleton) with the query, or whose whole name is one typing slip
away from it; a quick C-speed spelling ratio ranks them, and those that can come near
the threshold are scored with the same name normalisation that resolves parties.
Legal forms and generic words never carry a match ("TRADING LLC" matches nothing),
identifier equality is decisive, and every match carries an explanation: which query
name met which list name and how much each feature added.

Defaults (``MatchConfig``): a match needs a score of at least 0.85. The score is
the name similarity (0–1), plus 0.05 when a country agrees or minus 0.10 when
both sides have countries and none agree, minus 0.15 when the schemas cannot be
the same kind of thing (a company against a person), minus 0.05 for a weak alias;
an equal INN / OGRN / IMO sets it to 1.0 whatever the name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import GENERIC_WORDS, NameForms, analyse_name, name_similarity

DECISIVE_IDENTIFIERS = ("inn", "ogrn", "imo")
#: Names up to this long (without spaces) are also found one slip away (see ``index_keys``).
MAX_TYPO_LENGTH = 16
ORGANISATIONS = {"Company", "Organization", "LegalEntity"}


@dataclass(frozen=True)
class MatchConfig:
    threshold: float = 0.85
    country_bonus: float = 0.05
    country_penalty: float = 0.10
    schema_penalty: float = 0.15
    weak_alias_penalty: float = 0.05
    max_token_frequency: int = 400  # words on more list names than this propose nothing
    # names sharing words, sounds or a slip with the query, best-voted first: in practice
    # all of them, as names made of words many list names share need the lot ...
    max_candidates: int = 2000
    # ... whose distinct spellings a quick C-speed ratio ranks (less the schema and
    # weak-alias penalties the names would carry); the closest ``min_scored`` are fully
    # scored, and every other within ``quick_margin`` points of the threshold, up to
    # ``max_scored`` spellings
    min_scored: int = 8
    quick_margin: float = 15.0
    max_scored: int = 400


@dataclass(frozen=True)
class Query:
    name: str
    country: str | None = None
    schema: str | None = "Company"
    identifiers: tuple[str, ...] = ()  # "inn:7743237789"


@dataclass(frozen=True)
class Match:
    list: str
    list_entity_id: str
    name: str  # the entry's primary name
    matched_name: str  # the list name that met the query
    score: float
    listing_date: str | None
    delisting_date: str | None
    listing_date_note: str | None
    programs: tuple[str, ...]
    explanation: dict = field(hash=False, compare=False)


@dataclass
class _Name:
    entry: int
    text: str
    alias_type: str
    forms: NameForms


class ListIndex:
    """Names of every list entry, indexed by distinctive word, by skeleton and by slip.

    Lists repeat names (one firm on three lists, an alias equal to the primary name), and
    the name similarity depends on the core alone, so candidates are ranked and scored
    once per distinct core (``cores``; ``name_core`` maps each name to its core).
    """

    def __init__(self, entries: pa.Table, config: MatchConfig | None = None):
        self.config = config or MatchConfig()
        self.entries = entries.to_pylist()
        self.names: list[_Name] = []
        self.by_token: dict[str, list[int]] = defaultdict(list)
        self.by_identifier: dict[str, set[int]] = defaultdict(set)
        for i, entry in enumerate(self.entries):
            self._add(i, entry["name"], "primary")
            for alias in entry["aliases"] or ():
                self._add(i, alias["name"], alias["type"] or "aka")
            for ident in entry["identifiers"] or ():
                key = _identifier_key(ident["type"], ident["value"])
                if key:
                    self.by_identifier[key].add(i)
        self.by_token = {
            token: ids
            for token, ids in self.by_token.items()
            if len(ids) <= self.config.max_token_frequency
        }
        core_ids: dict[str, int] = {}
        self.cores: list[NameForms] = []
        self.core_names: list[list[int]] = []
        name_core: list[int] = []
        for name_id, name in enumerate(self.names):
            core = core_ids.get(name.forms.core)
            if core is None:
                core = core_ids[name.forms.core] = len(self.cores)
                self.cores.append(name.forms)
                self.core_names.append([])
            self.core_names[core].append(name_id)
            name_core.append(core)
        self.name_core = name_core
        # the same keys by core (all names of a core have the same keys), and what the
        # quick ratio compares: the words sorted, the name without spaces, the skeleton
        self._by_core = {
            token: list(dict.fromkeys(map(name_core.__getitem__, ids)))
            for token, ids in self.by_token.items()
        }
        self._sorted_cores = _strings(" ".join(sorted(f.tokens)) for f in self.cores)
        self._distinct_cores = _strings(_distinctive(f.tokens) for f in self.cores)
        self._compact_cores = _strings(f.core.replace(" ", "") for f in self.cores)
        skeletons: dict[str, int] = {}
        self._skeleton_ids = np.array(
            [skeletons.setdefault(f.skeleton, len(skeletons)) for f in self.cores], np.int64
        )
        self._skeleton_codes = skeletons
        self._penalties: dict[tuple, np.ndarray] = {}

    def _add(self, entry: int, text: str | None, alias_type: str) -> None:
        if not text:
            return
        forms = analyse_name(text)
        if forms.generic or not forms.core:
            return
        index = len(self.names)
        self.names.append(_Name(entry, text, alias_type, forms))
        for token in index_keys(forms):
            self.by_token[token].append(index)

    def ranked(self, forms: NameForms) -> list[int]:
        """Name ids sharing words, sounds or a slip with the query, best-voted first.

        ``screen`` computes the same ranking for a whole store as a join in the engine
        (``screen.candidates``) and passes it to :meth:`match`.
        """
        votes = _votes(forms, self.by_token)
        return sorted(votes, key=lambda n: (-votes[n], n))[: self.config.max_candidates]

    def _proposed_cores(self, forms: NameForms) -> list[int]:
        """The cores of :meth:`ranked`'s names, by id (as :meth:`candidate_cores` orders
        the cores of a ``ranked`` given by the caller: both break ties alike)."""
        votes = _votes(forms, self._by_core)
        if len(votes) <= self.config.max_candidates:
            return sorted(votes)
        ids = np.fromiter(votes.keys(), np.int64, len(votes))
        order = np.lexsort((ids, -np.fromiter(votes.values(), np.int64, len(votes))))
        return sorted(ids[order[: self.config.max_candidates]].tolist())

    def candidates(
        self, forms: NameForms, ranked: list[int] | None = None, query: Query | None = None
    ) -> list[int]:
        """The names worth scoring (every name of :meth:`candidate_cores`), closest first."""
        return [n for c in self.candidate_cores(forms, ranked, query) for n in self.core_names[c]]

    def candidate_cores(
        self, forms: NameForms, ranked: list[int] | None = None, query: Query | None = None
    ) -> list[int]:
        """The distinct cores of the proposed names that are worth scoring, closest first.

        A quick ratio ranks them: the best Indel ratio of the sorted words, of the names
        without spaces and of the sorted distinctive (not generic) words, the ones that
        weigh in the name similarity; 100 for an equal skeleton; less 100 × the smallest
        schema and weak-alias penalty the core's names would carry against ``query``. The
        closest ``min_scored`` are kept, and every other within ``quick_margin`` points
        of the threshold (less the country bonus when the query has a country), up to
        ``max_scored``: a fixed number would cut off names made of words that many list
        names share ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU ...").
        """
        config = self.config
        if ranked is None:
            ids = self._proposed_cores(forms)
        else:
            ids = sorted(set(map(self.name_core.__getitem__, ranked)))
        if not ids:
            return []
        cores = np.fromiter(ids, np.int64, len(ids))
        quick = np.zeros(len(ids), dtype=np.float32)
        total = np.zeros(len(ids), dtype=np.float32)  # breaks ties: the closest spelling first
        for spelling, choices in (
            (" ".join(sorted(forms.tokens)), self._sorted_cores),
            (forms.core.replace(" ", ""), self._compact_cores),
            (_distinctive(forms.tokens), self._distinct_cores),
        ):
            ratios = process.cdist(
                [spelling], choices.take(cores).tolist(), scorer=fuzz.ratio, dtype=np.float32
            )
            np.maximum(quick, ratios[0], out=quick)
            total += ratios[0]
        skeleton = self._skeleton_codes.get(forms.skeleton, -1)
        quick[self._skeleton_ids[cores] == skeleton] = 100.0
        quick -= 100.0 * self._penalty(query.schema if query is not None else "Company")[cores]
        order = np.lexsort((-total, -quick))  # stable: then by core id
        bonus = config.country_bonus if query is not None and query.country else 0.0
        near = np.count_nonzero(quick >= 100.0 * (config.threshold - bonus) - config.quick_margin)
        keep = min(max(config.min_scored, int(near)), config.max_scored)
        return cores[order[:keep]].tolist()

    def _penalty(self, schema: str | None) -> np.ndarray:
        """Per core, the smallest schema and weak-alias penalty of its names (cached)."""
        config = self.config
        key = (schema, config.schema_penalty, config.weak_alias_penalty)
        penalty = self._penalties.get(key)
        if penalty is None:
            penalty = np.zeros(len(self.cores), dtype=np.float32)
            for core, name_ids in enumerate(self.core_names):
                penalty[core] = min(
                    (0.0 if _schemas_compatible(schema, self.entries[n.entry]["schema"])
                     else config.schema_penalty)
                    + (config.weak_alias_penalty if n.alias_type == "weak" else 0.0)
                    for n in (self.names[i] for i in name_ids)
                )  # fmt: skip
            self._penalties[key] = penalty
        return penalty

    def match(
        self, query: Query, all_scores: bool = False, ranked: list[int] | None = None
    ) -> list[Match]:
        """Best match per list entry at or above the threshold (all candidates if asked).

        ``ranked``: the query's candidates as :meth:`ranked` orders them, when the caller
        has them already.
        """
        forms = analyse_name(query.name)
        best: dict[int, Match] = {}
        for entry_id in self._identifier_hits(query):
            best[entry_id] = self._identifier_match(query, entry_id)
        if not forms.generic and forms.core:
            floor = -1.0 if all_scores else self.config.threshold
            for core in self.candidate_cores(forms, ranked, query):
                similarity = screening_similarity(forms, self.cores[core])
                ceiling = similarity + self.config.country_bonus
                if ceiling < floor:
                    continue  # cannot reach the threshold
                for name_id in self.core_names[core]:
                    name = self.names[name_id]
                    current = best.get(name.entry)
                    if current is not None and ceiling <= current.score:
                        continue  # cannot beat this entry's best (a tie: the closer spelling)
                    match = self._score(query, forms, name, similarity)
                    if current is None or match.score > current.score:
                        best[name.entry] = match
        matches = [m for m in best.values() if all_scores or m.score >= self.config.threshold]
        return sorted(matches, key=lambda m: (-m.score, m.list, m.list_entity_id))

    def exhaustive(self, query: Query) -> list[Match]:
        """Score every name (for measuring candidate recall, not for production)."""
        forms = analyse_name(query.name)
        best: dict[int, Match] = {}
        for name in self.names:
            match = self._score(query, forms, name)
            if match.score >= self.config.threshold and (
                name.entry not in best or match.score > best[name.entry].score
            ):
                best[name.entry] = match
        return sorted(best.values(), key=lambda m: (-m.score, m.list, m.list_entity_id))

    def _identifier_hits(self, query: Query) -> set[int]:
        hits: set[int] = set()
        for ident in query.identifiers:
            scheme, _, value = ident.partition(":")
            key = _identifier_key(scheme, value)
            if key:
                hits |= self.by_identifier.get(key, set())
        return hits

    def _identifier_match(self, query: Query, entry_id: int) -> Match:
        entry = self.entries[entry_id]
        explanation = {
            "query_name": query.name,
            "matched_name": entry["name"],
            "features": {"identifier": 1.0},
            "identifiers": list(query.identifiers),
            "score": 1.0,
        }
        return self._result(entry, entry["name"], 1.0, explanation)

    def _score(
        self, query: Query, forms: NameForms, name: _Name, similarity: float | None = None
    ) -> Match:
        entry = self.entries[name.entry]
        config = self.config
        if similarity is None:
            similarity = screening_similarity(forms, name.forms)
        features = {"name": round(similarity, 4)}
        countries = set(entry["countries"] or ())
        if query.country and countries:
            features["country"] = (
                config.country_bonus if query.country in countries else -config.country_penalty
            )
        if not _schemas_compatible(query.schema, entry["schema"]):
            features["schema"] = -config.schema_penalty
        if name.alias_type == "weak":
            features["weak_alias"] = -config.weak_alias_penalty
        score = max(0.0, min(1.0, sum(features.values())))
        explanation = {
            "query_name": query.name,
            "matched_name": name.text,
            "alias_type": name.alias_type,
            "features": features,
            "score": round(score, 4),
        }
        return self._result(entry, name.text, score, explanation)

    @staticmethod
    def _result(entry: dict, matched: str, score: float, explanation: dict) -> Match:
        return Match(
            list=entry["list"],
            list_entity_id=entry["list_entity_id"],
            name=entry["name"],
            matched_name=matched,
            score=round(score, 4),
            listing_date=entry["listing_date"],
            delisting_date=entry["delisting_date"],
            listing_date_note=entry["listing_date_note"],
            programs=tuple(entry["programs"] or ()),
            explanation=explanation,
        )


def screening_similarity(a: NameForms, b: NameForms) -> float:
    """Name similarity, stricter for one-word names ("GEOTORG" is not "GIDROOGK").

    One word gives no second word to confirm a sound-alike, so a single-word pair that is
    not identical cannot score above its plain edit-distance ratio.
    """
    score = name_similarity(a, b)
    if a.core != b.core and min(len(a.tokens), len(b.tokens)) == 1:
        score = min(score, fuzz.ratio(a.core, b.core) / 100)
    return score


def _strings(values: Iterable[str]) -> np.ndarray:
    """A numpy array of Python strings (``take`` then ``tolist`` picks many at C speed)."""
    return np.array(list(values), dtype=object)


def _distinctive(tokens: Iterable[str]) -> str:
    """The words that are not generic, sorted (what weighs in the name similarity)."""
    return " ".join(sorted(t for t in tokens if t not in GENERIC_WORDS))


def _votes(forms: NameForms, by_token: dict[str, list[int]]) -> Counter[int]:
    """Each id's votes: the summed weights of the query's keys it is indexed under."""
    votes: Counter[int] = Counter()
    for token in index_keys(forms):
        ids = by_token.get(token)
        if ids is None:
            continue
        weight = key_weight(token)
        if weight == 1:
            votes.update(ids)  # counted in C
        else:
            for i in ids:
                votes[i] += weight
    return votes


def key_weight(token: str) -> int:
    """A whole-name key outranks shared words."""
    return 10 if token[0] in "#=" else 1


def index_keys(forms: NameForms) -> set[str]:
    """Words, sounds (``~``), the words in any order (``#``), the name without spaces
    (``=``) and, for a short name, its slips (``-``).

    ``#`` and ``=`` keep names made of common words ("Muhammad Hassan") and names split
    differently ("ALHARAMAIN" / "AL-HARAMAIN") findable when their words are too common
    to propose anything on their own. ``-`` holds the name without spaces and each copy
    of it with one letter dropped, so two names meet there when a letter was left out,
    added or changed ("ICI" / "ICEI", "NIKIET" / "NIIET", "PARTONSANAT" / "PARTO SANAT"):
    a one-word name with a slip shares no word, and often no sound, with the original.
    """
    compact = forms.core.replace(" ", "")
    keys = {
        *forms.tokens,
        *(f"~{s}" for s in forms.skeleton.split()),
        f"#{forms.key}",
        "=" + compact,
    }
    if 3 <= len(compact) <= MAX_TYPO_LENGTH:
        keys.add("-" + compact)
        keys.update("-" + compact[:i] + compact[i + 1 :] for i in range(len(compact)))
    return keys


def _schemas_compatible(query: str | None, entry: str | None) -> bool:
    if not query or not entry or query == entry:
        return True
    return query in ORGANISATIONS and entry in ORGANISATIONS


def _identifier_key(scheme: str | None, value: str | None) -> str | None:
    """Only identifiers that name one legal person decide a match."""
    if not scheme or not value or scheme.lower() not in DECISIVE_IDENTIFIERS:
        return None
    scheme = scheme.lower()
    if scheme == "inn":
        value = normalise_inn(value) or ""
    value = "".join(ch for ch in value if ch.isalnum()).upper()
    return f"{scheme}:{value}" if value else None


def screen_names(index: ListIndex, queries: Sequence[Query]) -> list[list[Match]]:
    return [index.match(q) for q in queries]


def compare_names(a: str, b: str, schema: str | None = None, config: MatchConfig | None = None):
    """Score two names as the matcher would (for ``names compare`` and evaluation)."""
    config = config or MatchConfig()
    score = screening_similarity(analyse_name(a), analyse_name(b))
    return round(score, 4), score >= config.threshold


def status_on(day: str, listing_date: str | None, delisting_date: str | None) -> str:
    """A listed party's status on ``day`` (ISO dates compare as text)."""
    if listing_date is None:
        return "listing date unknown"
    if day < listing_date:
        return "not listed"
    if delisting_date and day >= delisting_date:
        return "delisted"
    return "listed"


def match_rows(query: Query, matches: Iterable[Match]) -> list[dict]:
    """Matches as the JSON rows of ``screen-name`` (keys are the public contract)."""
    return [
        {
            "list": m.list,
            "id": m.list_entity_id,
            "name": m.name,
            "matched_name": m.matched_name,
            "score": m.score,
            "listing_date": m.listing_date,
            "delisting_date": m.delisting_date,
            "listing_date_note": m.listing_date_note,
            "programs": list(m.programs),
            "explanation": m.explanation,
        }
        for m in matches
    ]
