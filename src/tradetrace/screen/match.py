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
the name similarity (0–1), plus 0.05 when the query's country is one of the entry's,
minus 0.20 when both sides have countries and none agree (the query's country is only
ever the one its data gives: a party record's own, ``--country``, a CSV column, the API
field; never a default), minus 0.20 when the query's legal form belongs to other
jurisdictions than the entry's countries and forms ("NGT SPA", Italian, against the
Russian "JSC NGT"; ``resolve/data/legal_forms.yaml`` says where each form exists).
Some matches need more than the name, and without it stay ``held_margin`` under the
threshold, the explanation's ``limits`` saying why:

* a company is never a person, a vessel or an aircraft: the schemas veto the match
  (score 0), whatever the name ("ALI SALIM", "ATLANTIS" the former vessel name);
* a weak (low-quality) alias alone, unless a country or a national legal form (ООО,
  АО: not the worldwide LLC) agrees;
* a short name (an acronym; four letters or fewer once generic and business words are
  set aside: "ABS", "CITY", "AVA GROUP"; or business words only): a different spelling
  is another name ("AVA" is not "AVIA", "NIKA" not "NIK"), and the same spelling needs a
  country or a legal form that agrees, or an identifier; a query that gives nothing but
  the name ("NAMI") is judged on it;
* names that share only generic and business words ("ITTIHAD FOREIGN TRADE
  CONSTRUCTION" / "MARTEN EA ... CONSTRUCTION AND FOREIGN TRADE");
* a letter set apart ("ATLANT S") that the other name lacks.

An equal INN / OGRN / IMO sets the score to 1.0 whatever the name or schema.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal, TypeVar

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import (
    GENERIC_WORDS,
    NameForms,
    analyse_name,
    legal_form_countries,
    legal_form_kind,
    name_similarity,
    token_similarity,
    token_skeleton,
)

DECISIVE_IDENTIFIERS = ("inn", "ogrn", "imo")
#: Names up to this long (without spaces) are also found one slip away (see ``index_keys``).
MAX_TYPO_LENGTH = 16
ORGANISATIONS = {"Company", "Organization", "LegalEntity"}


@dataclass(frozen=True)
class MatchConfig:
    threshold: float = 0.85
    country_bonus: float = 0.05
    country_penalty: float = 0.20
    legal_form_penalty: float = 0.20
    # a match the name alone cannot carry (see ``limits``) scores at most this far under
    # the threshold
    held_margin: float = 0.05
    max_token_frequency: int = 400  # words on more list names than this propose nothing
    # names sharing words, sounds or a slip with the query, best-voted first: in practice
    # all of them, as names made of words many list names share need the lot ...
    max_candidates: int = 2000
    # ... whose distinct spellings a quick C-speed ratio ranks (names whose schema vetoes
    # a match last); the closest ``min_scored`` are fully
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
        # per entry: the legal forms its names carry (weighed against the query's)
        self.entry_forms: list[frozenset[str]] = []
        for i, entry in enumerate(self.entries):
            forms = {self._add(i, entry["name"], "primary")}
            for alias in entry["aliases"] or ():
                forms.add(self._add(i, alias["name"], alias["type"] or "aka"))
            self.entry_forms.append(frozenset(f for f in forms if f is not None))
            for ident in entry["identifiers"] or ():
                key = identifier_key(ident["type"], ident["value"])
                if key:
                    self.by_identifier[key].add(i)
        self.entry_names: list[list[int]] = [[] for _ in self.entries]
        for name_id, name in enumerate(self.names):
            self.entry_names[name.entry].append(name_id)
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
        self._penalties: dict[str | None, np.ndarray] = {}

    def _add(self, entry: int, text: str | None, alias_type: str) -> str | None:
        """Index one name of an entry; its legal form, if any."""
        if not text:
            return None
        forms = screening_forms(text)
        if forms.generic or not forms.core:
            return forms.legal_form
        index = len(self.names)
        self.names.append(_Name(entry, text, alias_type, forms))
        for token in index_keys(forms):
            self.by_token[token].append(index)
        return forms.legal_form

    def ranked(self, forms: NameForms) -> list[int]:
        """Name ids sharing words, sounds or a slip with the query, best-voted first.

        ``screen`` computes the same ranking for a whole store as a join in the engine
        (``screen.candidates``) and passes it to :meth:`match`.
        """
        if forms.generic or not forms.core:
            return []  # such a name matches nothing (``screen.candidates`` gives it no keys)
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
        weigh in the name similarity; 100 for an equal skeleton; less 100 when the schema
        of every name of the core vetoes a match with ``query`` (a company against persons'
        and vessels' names). The closest ``min_scored`` are kept, and every other within
        ``quick_margin`` points of the threshold (less the country bonus when the query has
        a country), up to ``max_scored``: a fixed number would cut off names made of words
        that many list names share ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU ...").
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
        """Per core, 1.0 when the schema vetoes a match with every one of its names (cached)."""
        penalty = self._penalties.get(schema)
        if penalty is None:
            penalty = np.zeros(len(self.cores), dtype=np.float32)
            for core, name_ids in enumerate(self.core_names):
                penalty[core] = min(
                    0.0 if _schemas_compatible(schema, self.entries[n.entry]["schema"]) else 1.0
                    for n in (self.names[i] for i in name_ids)
                )
            self._penalties[schema] = penalty
        return penalty

    def match(
        self, query: Query, all_scores: bool = False, ranked: list[int] | None = None
    ) -> list[Match]:
        """Best match per list entry at or above the threshold (all candidates if asked).

        ``ranked``: the query's candidates as :meth:`ranked` orders them, when the caller
        has them already.
        """
        forms = screening_forms(query.name)
        best: dict[int, Match] = {}
        for entry_id in self._identifier_hits(query):
            best[entry_id] = self._identifier_match(query, forms, entry_id)
        if not forms.generic and forms.core:
            floor = -1.0 if all_scores else self.config.threshold
            # all scores: the names the schema vetoes too, to show why they do not match
            proposer = replace(query, schema=None) if all_scores else query
            for core in self.candidate_cores(forms, ranked, proposer):
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
        forms = screening_forms(query.name)
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
            key = identifier_key(scheme, value)
            if key:
                hits |= self.by_identifier.get(key, set())
        return hits

    def _identifier_match(self, query: Query, forms: NameForms, entry_id: int) -> Match:
        """An equal identifier decides; the list spelling reported is the entry's name
        closest to the query's (its primary name when none is close)."""
        entry = self.entries[entry_id]
        spelling, similarity = entry["name"], 0.0
        for name in map(self.names.__getitem__, self.entry_names[entry_id]):
            score = screening_similarity(forms, name.forms)
            if score > similarity:
                spelling, similarity = name.text, score
        keys = {identifier_key(*i.partition(":")[::2]) for i in query.identifiers}
        matched = sorted(
            f"{i['type'].lower()}:{i['value']}"
            for i in entry["identifiers"] or ()
            if identifier_key(i["type"], i["value"]) in keys
        )
        explanation = {
            "query_name": query.name,
            "matched_name": spelling,
            "features": {"identifier": 1.0},
            "identifiers": list(query.identifiers),
            "matched_identifiers": matched,
            "name_similarity": round(similarity, 4),
            "score": 1.0,
        }
        return self._result(entry, spelling, 1.0, explanation)

    def _score(
        self, query: Query, forms: NameForms, name: _Name, similarity: float | None = None
    ) -> Match:
        entry = self.entries[name.entry]
        score, explanation = assess(
            query, forms, name.text, name.forms, name.alias_type, entry["schema"],
            entry["countries"] or (), self.entry_forms[name.entry], self.config, similarity,
        )  # fmt: skip
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
    not identical cannot score above its plain edit-distance ratio. Both names are
    compared as :func:`screening_forms` spells them.
    """
    a, b = _loan_spelling(a), _loan_spelling(b)
    score = name_similarity(a, b)
    if a.core != b.core and min(len(a.tokens), len(b.tokens)) == 1:
        score = min(score, fuzz.ratio(a.core, b.core) / 100)
    return score


#: Loanwords Russian spells its own way, compared as the original: -ТЕХ (ROSTEKH,
#: TEKHNODINAMIKA) is the English -TECH (ROSTEC, TECHNODINAMIKA), so «Ростех» meets ROSTEC.
LOAN_SPELLINGS: tuple[tuple[str, str], ...] = (("TEKH", "TECH"),)


def screening_forms(name: str) -> NameForms:
    """:func:`analyse_name`, with Russian spellings of loanwords as in the original."""
    return _loan_spelling(analyse_name(name))


@lru_cache(maxsize=262_144)
def _loan_spelling(forms: NameForms) -> NameForms:
    if not any(old in forms.core for old, _ in LOAN_SPELLINGS):
        return forms
    tokens = list(forms.tokens)
    for old, new in LOAN_SPELLINGS:
        tokens = [t.replace(old, new) for t in tokens]
    unique = sorted(set(tokens))
    return replace(
        forms,
        core=" ".join(tokens),
        tokens=tuple(tokens),
        key=" ".join(unique),
        skeleton=" ".join(sorted({token_skeleton(t) for t in unique})),
    )


# -- what the name alone cannot carry -----------------------------------------------------

#: A name whose own words (generic and business words set aside) have this many letters
#: or fewer is short: "ABS", "CITY", "AVA GROUP", "NIK LLC".
SHORT_NAME_LETTERS = 4
#: Two names agree in their own words when one word of each is this similar (0–1).
OWN_WORD_AGREEMENT = 0.8
_VOWELS = frozenset("AEIOUY")

#: Words that say what a firm does, not which firm it is, beyond ``GENERIC_WORDS`` (which
#: weigh little in the name similarity): a name made of them names no one ("FOREIGN
#: TRADE CONSTRUCTION MARKETING"), and two names that share only them are not one name.
#: English, Turkish (as customs translate or keep them) and Russian organisation-type
#: abbreviations (НПО, НИИ, КБ ...).
BUSINESS_WORDS: frozenset[str] = frozenset(
    {
        # English
        "FOREIGN", "CONSTRUCTION", "CONSTRUCTIONS", "BUILDING", "BUILDERS", "CONTRACTING",
        "CONTRACTORS", "MATERIAL", "MATERIALS", "PRODUCTS", "MARKETING", "MANAGEMENT",
        "CONSULTING", "CONSULTANCY", "CONSULTANTS", "ENGINEERING", "DESIGN", "BUSINESS",
        "DISTRIBUTION", "DISTRIBUTORS", "DISTRIBUTOR", "SUPPLIERS", "SUPPLIER", "AGENCY",
        "AGENCIES", "RETAIL", "WHOLESALE", "MERCHANTS", "EXPORTS", "IMPORTS", "EXPORTERS",
        "IMPORTERS", "EXPORTER", "IMPORTER", "FREIGHT", "TRANSPORT", "TRANSPORTATION",
        "SHIPPING", "FORWARDING", "TOURISM", "TRAVEL", "REAL", "ESTATE", "PROPERTIES",
        "CAPITAL", "FINANCE", "FINANCIAL", "CONCERN", "FACTORY", "PLANT", "WORKS",
        "INDS", "IND", "INDUSTRIE", "INDUSTRIALS", "SOLUTION", "CENTER", "CENTRE",
        "PROJECT", "PROJECTS", "NEW",
        # Turkish
        "DIS", "TICARET", "TIC", "INSAAT", "YAPI", "PAZARLAMA", "SANAYI", "SAN",
        "MUHENDISLIK", "TURIZM", "NAKLIYAT", "LOJISTIK", "ITHALAT", "IHRACAT", "URUNLERI",
        # Russian organisation types, transliterated
        "NPO", "NPP", "NPK", "NPF", "NII", "TSNII", "KB", "OKB", "SKB", "PKF", "TPK", "PK",
        "TK", "SK", "GK", "PO", "ZAVOD", "KOMBINAT",
    }
)  # fmt: skip


def own_words(forms: NameForms) -> list[str]:
    """The words that name the firm: neither generic nor business words."""
    return [t for t in forms.tokens if t not in GENERIC_WORDS and t not in BUSINESS_WORDS]


def legal_form_verdict(
    form: str | None, entry_forms: Iterable[str], entry_countries: Iterable[str]
) -> tuple[str | None, str]:
    """Whether the query's legal form ``conflict``s with an entry or ``agree``s with it
    (None: neither), and why.

    A form of some jurisdictions only (``legal_form_countries``: SPA → IT, SM; ТОВ → UA;
    TNHH → VN) conflicts with an entry registered elsewhere: none of the entry's countries
    is one of them and the entry never carries that form itself ("NGT SPA" against the
    Russian "JSC NGT"; a Ukrainian ТОВ against a Russian ООО); for an entry without
    countries, none of its own forms' jurisdictions. It agrees when it is the entry's form
    or of its kind with jurisdictions that meet (ООО and LLC; ФГУП and FSUE), or when the
    entry is registered where the form exists. A form used in many countries (LLC, LTD,
    JSC) conflicts with nothing.
    """
    if not form:
        return None, ""
    where = legal_form_countries(form)
    entry_countries = frozenset(entry_countries)
    entry_forms = sorted(entry_forms)
    jurisdictions = entry_countries or frozenset().union(*map(legal_form_countries, entry_forms))
    if where and jurisdictions and not where & jurisdictions and form not in entry_forms:
        return "conflict", (
            f"the query's legal form {form} exists in {', '.join(sorted(where))}; "
            f"the entry is of {', '.join(sorted(jurisdictions))}"
        )
    kind = legal_form_kind(form)
    for other in entry_forms:
        theirs = legal_form_countries(other)
        if legal_form_kind(other) == kind and (not where or not theirs or where & theirs):
            return "agree", f"the query's legal form {form} is the entry's {other}"
    if where & entry_countries:
        return "agree", (
            f"the query's legal form {form} exists in "
            f"{', '.join(sorted(where & entry_countries))}, as the entry"
        )
    return None, ""


def short_name(forms: NameForms) -> str | None:
    """What makes a name too short to carry a match alone, or None.

    Short: its own words (:func:`own_words`) have :data:`SHORT_NAME_LETTERS` letters or
    fewer ("ABS", "CITY", "AVA GROUP"), or it is one word without a vowel, an acronym
    ("NGTS"), or it has no words of its own at all ("BIO PHARM TRADE").
    """
    if forms.generic:
        return None  # scores nothing anyway
    words = own_words(forms)
    if not words:
        return f"{forms.core!r} is made of common business words"
    if sum(map(len, words)) <= SHORT_NAME_LETTERS:
        return f"{' '.join(words)!r} has {SHORT_NAME_LETTERS} letters or fewer"
    if len(words) == 1 and words[0].isalpha() and not _VOWELS & set(words[0]):
        return f"{words[0]!r} is an acronym"
    return None


def _same_name(a: NameForms, b: NameForms) -> bool:
    """The same own words (in any order), or the same letters unspaced."""
    if a.key == b.key:
        return True
    wa, wb = own_words(a), own_words(b)
    return sorted(wa) == sorted(wb) or "".join(wa) == "".join(wb)


def _own_words_meet(a: NameForms, b: NameForms) -> bool:
    """Some own word of each name is close to one of the other (or they meet unspaced)."""
    wa, wb = own_words(a), own_words(b)
    if not wa or not wb:
        return True  # nothing to compare: ``short_name`` speaks for such names
    if any(token_similarity(x, y) >= OWN_WORD_AGREEMENT for x in wa for y in wb):
        return True
    return fuzz.ratio("".join(wa), "".join(wb)) >= 100 * OWN_WORD_AGREEMENT


def _set_apart_letters(tokens: Sequence[str]) -> set[str]:
    """Single letters standing alone between words ("ATLANT S", "GROUP M"), not runs of
    initials ("A K M")."""
    letters = set()
    for i, token in enumerate(tokens):
        if len(token) == 1 and token.isalpha() and token not in GENERIC_WORDS:
            alone = all(not (0 <= j < len(tokens) and len(tokens[j]) == 1) for j in (i - 1, i + 1))
            if alone and len(tokens) > 1:
                letters.add(token)
    return letters


def name_limits(a: NameForms, b: NameForms, organisations: bool = True) -> dict[str, str]:
    """Why two names cannot be one name, whatever else agrees (rule → reason).

    * ``short_name_slip``: one of them is short (:func:`short_name`) and they are not
      the same name: a slip in a short name makes another name ("AVA GROUP" / "AVIA
      GROUP", "NIKA" / "NIK", "ATEM GROUP" / "ATM GRUPP", "BIO PHARMA" / "BIO PHARM
      TRADE");
    * ``business_words``: they share only generic and business words, and none of their
      own ("ITTIHAD FOREIGN TRADE CONSTRUCTION MARKETING" / "MARTEN EA TRADING
      CONSTRUCTION AND FOREIGN TRADE MARKETING");
    * ``letter``: a letter set apart in one ("ATLANT S") is not in the other ("ATLANT",
      "ATLANTIS"): for organisations only (a person's middle initial may be left out).
    """
    limits: dict[str, str] = {}
    if a.generic or b.generic:
        return limits
    short = short_name(a) or short_name(b)
    if short and not _same_name(a, b):
        limits["short_name_slip"] = (
            f"{short}, and {a.core!r} is not {b.core!r}: a slip in a short name makes another name"
        )
    elif not _own_words_meet(a, b):
        limits["business_words"] = (
            f"{a.core!r} and {b.core!r} share only generic and business words: their own "
            f"words ({' '.join(own_words(a))!r} / {' '.join(own_words(b))!r}) differ"
        )
    if organisations:
        la, lb = _set_apart_letters(a.tokens), _set_apart_letters(b.tokens)
        if la != lb:
            odd = " ".join(sorted(la ^ lb))
            limits["letter"] = (
                f"the letter {odd!r} set apart in one name is not in the other "
                f"({a.core!r} / {b.core!r}): such a letter names another firm"
            )
    return limits


def assess(
    query: Query,
    forms: NameForms,
    text: str,
    listed: NameForms,
    alias_type: str,
    schema: str | None,
    countries: Iterable[str],
    entry_forms: Iterable[str],
    config: MatchConfig,
    similarity: float | None = None,
) -> tuple[float, dict]:
    """Score one list name (``text``, analysed as ``listed``) of an entry (its ``schema``,
    ``countries`` and legal forms) against a query (analysed as ``forms``): the score and
    its explanation.

    ``features`` add up to the score: the name similarity, the country's bonus or penalty,
    the legal form's penalty; ``notes`` say why a country or legal form counted; ``limits``
    say what holds the match ``held_margin`` under the threshold (``schema`` vetoes it).
    """
    if similarity is None:
        similarity = screening_similarity(forms, listed)
    features = {"name": round(similarity, 4)}
    notes: dict[str, str] = {}
    agreeing: set[str] = set()  # what, besides the name, says it is this entry
    countries = frozenset(countries)
    if query.country and countries:
        if query.country in countries:
            features["country"] = config.country_bonus
            agreeing.add("country")
        else:
            features["country"] = -config.country_penalty
            notes["country"] = (
                f"the query's country {query.country} is none of the entry's "
                f"({', '.join(sorted(countries))})"
            )
    verdict, why = legal_form_verdict(forms.legal_form, entry_forms, countries)
    if verdict == "conflict":
        features["legal_form"] = -config.legal_form_penalty
    elif verdict == "agree":
        agreeing.add("legal form")
        if legal_form_countries(forms.legal_form):
            agreeing.add("national legal form")  # ООО, АО, TNHH: says where, not just what
    if why:
        notes["legal_form"] = why
    if "country" in features and features["country"] < 0 or verdict == "conflict":
        agreeing.clear()  # what disagrees confirms nothing
    bare = not (query.country or forms.legal_form or query.identifiers)
    limits = _limits(query.schema, schema, forms, listed, text, alias_type, agreeing, bare)
    score = max(0.0, min(1.0, sum(features.values())))
    if "schema" in limits:
        score = 0.0
    elif limits:
        score = min(score, config.threshold - config.held_margin)
    explanation = {
        "query_name": query.name,
        "matched_name": text,
        "alias_type": alias_type,
        "features": features,
        **({"notes": notes} if notes else {}),
        **({"limits": limits} if limits else {}),
        "score": round(score, 4),
    }
    return score, explanation


def _limits(
    query_schema: str | None,
    entry_schema: str | None,
    forms: NameForms,
    listed: NameForms,
    text: str,
    alias_type: str,
    agreeing: set[str],
    bare: bool,
) -> dict[str, str]:
    """What holds a match under the threshold (rule → reason); ``schema`` vetoes it.

    A weak alias needs an agreeing country or national legal form (ООО, АО: an LLC, found
    all over the world, is too common to confirm one); a short name needs an agreeing
    country or legal form, unless the query gives nothing but the name (``bare``: no
    country, legal form or identifier).
    """
    limits: dict[str, str] = {}
    if not _schemas_compatible(query_schema, entry_schema):
        limits["schema"] = (
            f"a {query_schema} is never a {entry_schema}: the schemas veto the match "
            "(only an equal identifier could decide it)"
        )
    if alias_type == "weak" and not agreeing & {"country", "national legal form"}:
        limits["weak_alias"] = (
            f"{text!r} is a weak (low-quality) alias of the entry: alone it cannot carry a "
            "match, and neither a country nor a national legal form agrees"
        )
    organisations = entry_schema in ORGANISATIONS or entry_schema is None
    limits.update(name_limits(forms, listed, organisations))
    short = short_name(forms) or short_name(listed)
    if short and "short_name_slip" not in limits and not agreeing and not bare:
        limits["short_name"] = (
            f"{short}: a name this short needs more than the name (an agreeing country "
            "or legal form, or an identifier), and has none"
        )
    return limits


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
    forms = _loan_spelling(forms)
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


def identifier_key(scheme: str | None, value: str | None) -> str | None:
    """Only identifiers that name one legal person decide a match."""
    if not scheme or not value or scheme.lower() not in DECISIVE_IDENTIFIERS:
        return None
    scheme = scheme.lower()
    if scheme == "inn":
        value = normalise_inn(value) or ""
    value = "".join(ch for ch in value if ch.isalnum()).upper()
    return f"{scheme}:{value}" if value else None


def compare_names(a: str, b: str, schema: str | None = None, config: MatchConfig | None = None):
    """Score two names as the matcher would, ``b`` as a list entry's name with nothing
    else known about it (for ``names compare`` and evaluation)."""
    config = config or MatchConfig()
    listed = screening_forms(b)
    if listed.generic or not listed.core:
        return 0.0, False
    query = Query(a, schema=schema or "Company")
    forms = set() if listed.legal_form is None else {listed.legal_form}
    score, _ = assess(query, screening_forms(a), b, listed, "aka", schema, (), forms, config)
    return round(score, 4), score >= config.threshold


#: A listed party's status on a date (``status_on``).
Status = Literal["listed", "not listed", "delisted", "listing date unknown"]
#: Dates, or ISO dates as text: both compare in calendar order.
Day = TypeVar("Day", dt.date, str)


def status_on(day: Day, listing_date: Day | None, delisting_date: Day | None) -> Status:
    """A listed party's status on ``day``: listed from its listing date, delisted from its
    delisting date."""
    if listing_date is None:
        return "listing date unknown"
    if day < listing_date:
        return "not listed"
    if delisting_date and day >= delisting_date:
        return "delisted"
    return "listed"
