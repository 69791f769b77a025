"""The matcher: a name (plus country, schema, identifiers) against every loaded list.

No search engine: an in-memory inverted index over the names of ``list_entries``
proposes candidates that share a distinctive word or a cross-script sound
(``resolve.names`` skeleton) with the query, and each candidate is scored with the
same name normalisation that resolves parties. Legal forms and generic words never
carry a match ("TRADING LLC" matches nothing), identifier equality is decisive,
and every match carries an explanation: which query name met which list name and
how much each feature added.

Defaults (``MatchConfig``): a match needs a score of at least 0.85. The score is
the name similarity (0–1), plus 0.05 when a country agrees or minus 0.10 when
both sides have countries and none agree, minus 0.15 when the schemas cannot be
the same kind of thing (a company against a person), minus 0.05 for a weak alias;
an equal INN / OGRN / IMO sets it to 1.0 whatever the name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
from rapidfuzz import fuzz

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import NameForms, analyse_name, name_similarity

DECISIVE_IDENTIFIERS = ("inn", "ogrn", "imo")
ORGANISATIONS = {"Company", "Organization", "LegalEntity"}


@dataclass(frozen=True)
class MatchConfig:
    threshold: float = 0.85
    country_bonus: float = 0.05
    country_penalty: float = 0.10
    schema_penalty: float = 0.15
    weak_alias_penalty: float = 0.05
    max_token_frequency: int = 400  # words on more list names than this propose nothing
    max_candidates: int = 60  # by shared words and sounds ...
    max_scored: int = 20  # ... of which the closest by a quick C-speed ratio are fully scored


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
    """Names of every list entry, indexed by distinctive word and by skeleton."""

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

    def _add(self, entry: int, text: str | None, alias_type: str) -> None:
        if not text:
            return
        forms = analyse_name(text)
        if forms.generic or not forms.core:
            return
        index = len(self.names)
        self.names.append(_Name(entry, text, alias_type, forms))
        for token in _index_keys(forms):
            self.by_token[token].append(index)

    def candidates(self, forms: NameForms) -> list[int]:
        """Name ids sharing the most distinctive words or sounds with the query."""
        votes: dict[int, int] = defaultdict(int)
        for token in _index_keys(forms):
            weight = 10 if token[0] in "#=" else 1  # a whole-name key outranks shared words
            for name_id in self.by_token.get(token, ()):
                votes[name_id] += weight
        ranked = sorted(votes, key=lambda n: (-votes[n], n))[: self.config.max_candidates]
        if len(ranked) <= self.config.max_scored:
            return ranked
        quick = {
            n: max(
                fuzz.token_set_ratio(forms.core, self.names[n].forms.core),
                100.0 if forms.skeleton == self.names[n].forms.skeleton else 0.0,
            )
            for n in ranked
        }
        # keep the closest spellings, and every name spelled like them (lists repeat names)
        cores: set[str] = set()
        kept = []
        for n in sorted(ranked, key=lambda n: (-quick[n], n)):
            core = self.names[n].forms.core
            if core not in cores and len(cores) >= self.config.max_scored:
                continue
            cores.add(core)
            kept.append(n)
        return kept

    def match(self, query: Query, all_scores: bool = False) -> list[Match]:
        """Best match per list entry at or above the threshold (all candidates if asked)."""
        forms = analyse_name(query.name)
        best: dict[int, Match] = {}
        for entry_id in self._identifier_hits(query):
            best[entry_id] = self._identifier_match(query, entry_id)
        if not forms.generic and forms.core:
            floor = -1.0 if all_scores else self.config.threshold
            for name_id in self.candidates(forms):
                name = self.names[name_id]
                current = best.get(name.entry)
                similarity = screening_similarity(forms, name.forms)
                ceiling = similarity + self.config.country_bonus
                if ceiling < floor or (current is not None and ceiling <= current.score):
                    continue  # cannot reach the threshold or beat this entry's best
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


def _index_keys(forms: NameForms) -> set[str]:
    """Words, sounds (``~``), the words in any order (``#``) and the name without spaces (``=``).

    The last two keep names made of common words ("Muhammad Hassan") and names split
    differently ("ALHARAMAIN" / "AL-HARAMAIN") findable when their words are too common
    to propose anything on their own.
    """
    return {
        *forms.tokens,
        *(f"~{s}" for s in forms.skeleton.split()),
        f"#{forms.key}",
        "=" + forms.core.replace(" ", ""),
    }


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
