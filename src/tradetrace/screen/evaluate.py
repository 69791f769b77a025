"""Measure screening: how often real customs names raise false alerts, and how many
customs-style spellings of listed firms the matcher finds.

Two figures, because a screen fails in two ways:

* **flag rate** (:func:`flag_rate`): every distinct party name of the real vendor files
  (:func:`real_name_queries`) screened against the loaded lists. Almost none of these firms
  is listed, so nearly every alert is a false alert an analyst must clear by hand; each
  alert is looked up in hand judgements (:func:`read_judgements`) so that true alerts (a
  listed party really trading) are counted apart, and an alert nobody judged is listed,
  never silently counted as false. Target: names whose alerts are all false ≤ 0.2 %.
* **recall on listed spellings** (:func:`listed_spellings`, :func:`listed_recall`): the
  lists' own Russian organisations written as Russian customs data writes them (legal
  form in full or abbreviated, in Cyrillic or Latin, quoted, upper case); each spelling
  must find the list entry it was built from.

The functions are plain and deterministic so that ``make eval`` can call them and compare
runs (:func:`evaluate_screening` computes both). They read a store of the real vendor files,
resolved, with the ``make demo`` lists loaded (:func:`load_demo_lists`; ``python
eval/real_store.py OUT --resolve --lists``).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tradetrace.errors import InputError
from tradetrace.screen.match import (
    ORGANISATIONS,
    ListIndex,
    Match,
    MatchConfig,
    Query,
)
from tradetrace.screen.run import current_entries
from tradetrace.store import Store

#: The list files of the ``make demo`` target (relative to the shared data folder).
DEMO_LISTS = (
    "sanctions/ofac/sdn_2024-05-03.csv.gz",
    "sanctions/ofac/cons_prim_2025-12-19.csv",
    "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
    "sanctions/uk_covyr",
    "sanctions/un/un_consolidated_2026-02-27.xml.gz",
)
JUDGEMENT_COLUMNS = ("query_name", "list", "list_entity_id", "matched_name", "same", "note")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


# -- the real names --------------------------------------------------------------------------


def real_name_queries(store: Store) -> list[Query]:
    """One query per distinct (name, country, INN) among the store's party records.

    The country is the party record's own (never a default: a wrong default country would
    add the country bonus or penalty to names that declared none), and the INN is the one
    resolution normalised (column ``inn``), as ``inn:...`` so an equal INN on a list
    decides. Sorted, so every run screens the same names in the same order.
    """
    parties = store.table("parties")
    rows = store.to_arrow(
        parties.filter(parties.name.notnull()).select("name", "country", "inn").distinct()
    ).to_pylist()
    queries = {
        Query(
            name=r["name"],
            country=r["country"] or None,
            identifiers=(f"inn:{r['inn']}",) if r["inn"] else (),
        )
        for r in rows
        if r["name"].strip()
    }
    return sorted(queries, key=lambda q: (q.name, q.country or "", q.identifiers))


# -- judgements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """A hand decision: is the customs party ``query_name`` the listed entry?"""

    query_name: str
    list: str
    list_entity_id: str
    matched_name: str  # the list spelling that met the name, for the reader of the file
    same: bool
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.query_name, self.list, self.list_entity_id)


def read_judgements(path: Path) -> dict[tuple[str, str, str], Judgement]:
    """The judgements file (``JUDGEMENT_COLUMNS``), keyed by (query_name, list, id).

    Strict, because a judgement misread as missing or as false would move the figures:
    an unknown ``same`` value or a pair judged twice is an error naming the line.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    judgements: dict[tuple[str, str, str], Judgement] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in JUDGEMENT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing columns {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            same = (row["same"] or "").strip().lower()
            if same not in _TRUE | _FALSE:
                raise InputError(f"{path}:{line}: same must be true or false, not {same!r}")
            j = Judgement(
                query_name=row["query_name"],
                list=row["list"],
                list_entity_id=row["list_entity_id"],
                matched_name=row["matched_name"] or "",
                same=same in _TRUE,
                note=row["note"] or "",
            )
            if j.key in judgements:
                raise InputError(f"{path}:{line}: {j.key} is judged twice")
            judgements[j.key] = j
    return judgements


def write_judgements(path: Path, judgements: Iterable[Judgement]) -> None:
    """Write judgements sorted by key (stable diffs when pairs are added)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(JUDGEMENT_COLUMNS)
        for j in sorted(judgements, key=lambda j: j.key):
            writer.writerow(
                [j.query_name, j.list, j.list_entity_id, j.matched_name,
                 "true" if j.same else "false", j.note]
            )  # fmt: skip


# -- flag rate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One (name, list entry) pair at or above the threshold, with its best score."""

    query_name: str
    list: str
    list_entity_id: str
    list_name: str
    matched_name: str
    score: float

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.query_name, self.list, self.list_entity_id)


@dataclass(frozen=True)
class FlagRate:
    """What screening the real names costs an analyst, and what it finds.

    A *name* is a distinct party name (the queries of one name with different countries
    count once; its alerts are the union, best score kept).
    """

    threshold: float
    names: int  # distinct names screened
    flagged: int  # names with at least one alert
    alerts: int  # distinct (name, list entry) pairs
    true_alerts: int
    false_alerts: int
    unjudged_alerts: int
    only_false: int  # names whose alerts are all judged false: pure analyst cost
    found: tuple[Alert, ...]  # the true alerts: listed parties present in the data
    unjudged: tuple[Alert, ...]  # pairs with no judgement (judge them; never assumed false)
    # pairs judged true whose name was screened but that raised no alert: listed parties in
    # the data that the matcher misses at this threshold
    missed: tuple[Judgement, ...] = ()

    @property
    def only_false_share(self) -> float:
        """``only_false`` as a share of names (target ≤ 0.002)."""
        return self.only_false / self.names if self.names else 0.0

    @property
    def names_found(self) -> int:
        """Names with at least one true alert."""
        return len({a.query_name for a in self.found})


def alerts_of(index: ListIndex, queries: Sequence[Query]) -> dict[str, list[Alert]]:
    """Every name's alerts at the index's threshold (best score per list entry)."""
    best: dict[tuple[str, str, str], Alert] = {}
    names: dict[str, None] = {}
    for query, matches in zip(queries, map(index.match, queries), strict=True):
        names[query.name] = None
        for m in matches:
            alert = _alert(query, m)
            current = best.get(alert.key)
            if current is None or alert.score > current.score:
                best[alert.key] = alert
    by_name: dict[str, list[Alert]] = {name: [] for name in names}
    for key in sorted(best):
        by_name[key[0]].append(best[key])
    return by_name


def _alert(query: Query, m: Match) -> Alert:
    return Alert(query.name, m.list, m.list_entity_id, m.name, m.matched_name, m.score)


def flag_rate(
    index: ListIndex,
    queries: Sequence[Query],
    judgements: Mapping[tuple[str, str, str], Judgement],
) -> FlagRate:
    """Screen every query at the index's threshold and count alerts against judgements."""
    by_name = alerts_of(index, queries)
    true_alerts, false_alerts, unjudged = [], [], []
    only_false = 0
    for alerts in by_name.values():
        verdicts = [judgements.get(a.key) for a in alerts]
        for alert, verdict in zip(alerts, verdicts, strict=True):
            if verdict is None:
                unjudged.append(alert)
            elif verdict.same:
                true_alerts.append(alert)
            else:
                false_alerts.append(alert)
        if alerts and all(v is not None and not v.same for v in verdicts):
            only_false += 1
    alerted = {a.key for alerts in by_name.values() for a in alerts}
    missed = tuple(
        j
        for key, j in sorted(judgements.items())
        if j.same and key[0] in by_name and key not in alerted
    )
    return FlagRate(
        threshold=index.config.threshold,
        names=len(by_name),
        flagged=sum(1 for alerts in by_name.values() if alerts),
        alerts=sum(len(alerts) for alerts in by_name.values()),
        true_alerts=len(true_alerts),
        false_alerts=len(false_alerts),
        unjudged_alerts=len(unjudged),
        only_false=only_false,
        found=tuple(true_alerts),
        unjudged=tuple(unjudged),
        missed=missed,
    )


# -- customs-style spellings of listed firms -------------------------------------------------


@dataclass(frozen=True)
class LegalForm:
    """A Russian legal form as customs data writes it, in each script and language."""

    code: str
    cyrillic: str  # abbreviation: ООО
    cyrillic_full: str  # ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ
    latin: str  # the abbreviation transliterated: OOO
    latin_full: str  # the full form transliterated: OBSHCHESTVO S OGRANICHENNOY ...
    english: str  # LLC
    english_full: str  # LIMITED LIABILITY COMPANY
    # how the lists write the form, as regexes (to recognise it, never to write it): the
    # transliterations, which only Russian names carry, and the English forms
    transliterated: tuple[str, ...] = ()
    english_variants: tuple[str, ...] = ()


#: The forms, most specific first (ПАО before АО). The lists' transliterations vary
#: (OGRANICHENNOI / OGRANICHENNOY, AKTSIONERNOE / AKCIONERNOE, OBSHCHESTVO / OBSCHESTVO).
RUSSIAN_LEGAL_FORMS: tuple[LegalForm, ...] = (
    LegalForm(
        "LLC", "ООО", "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", "OOO",
        "OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU", "LLC", "LIMITED LIABILITY COMPANY",
        (r"OBS?H?CHESTVO S OR?GRANICHENNO[IYJ] OTVET?S?TVENNOSTY?I?U", r"OOO"),
        (r"LIMITED LIABILITY COMPANY", r"L\.? ?L\.? ?C\.?"),
    ),
    LegalForm(
        "PJSC", "ПАО", "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "PAO",
        "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "PJSC", "PUBLIC JOINT STOCK COMPANY",
        (r"PUBLICHNOE AK[TC]S?IONERNOE OBS?H?CHESTVO", r"PAO"),
        (r"PUBLIC JOINT[- ]STOCK COMPANY", r"PJSC"),
    ),
    LegalForm(
        "OJSC", "ОАО", "ОТКРЫТОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "OAO",
        "OTKRYTOE AKTSIONERNOE OBSHCHESTVO", "OJSC", "OPEN JOINT STOCK COMPANY",
        (r"OTKRYTOE AK[TC]S?IONERNOE OBS?H?CHESTVO", r"OAO"),
        (r"OPEN JOINT[- ]STOCK COMPANY", r"OJSC"),
    ),
    LegalForm(
        "CJSC", "ЗАО", "ЗАКРЫТОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", "ZAO",
        "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO", "CJSC", "CLOSED JOINT STOCK COMPANY",
        (r"ZAKRYTOE AK[TC]S?IONERNOE OBS?H?CHESTVO", r"ZAO"),
        (r"CLOSED JOINT[- ]STOCK COMPANY", r"CJSC"),
    ),
    LegalForm(
        "JSC", "АО", "АКЦИОНЕРНОЕ ОБЩЕСТВО", "AO", "AKTSIONERNOE OBSHCHESTVO", "JSC",
        "JOINT STOCK COMPANY",
        (r"AK[TC]S?IONERNOE OBS?H?CHESTVO", r"AO"),
        (r"JOINT[- ]STOCK COMPANY", r"JSC"),
    ),
    LegalForm(
        "FSUE", "ФГУП", "ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ УНИТАРНОЕ ПРЕДПРИЯТИЕ", "FGUP",
        "FEDERALNOE GOSUDARSTVENNOE UNITARNOE PREDPRIYATIE", "FSUE",
        "FEDERAL STATE UNITARY ENTERPRISE",
        (r"FEDERALNOE GOSUDARSTVENNOE UNITARNOE PREDPRIYATIE", r"FGUP"),
        (r"FEDERAL STATE UNITARY ENTERPRISE", r"FSUE"),
    ),
    LegalForm(
        "STATE_CORP", "ГОСКОРПОРАЦИЯ", "ГОСУДАРСТВЕННАЯ КОРПОРАЦИЯ", "GOSKORPORATSIYA",
        "GOSUDARSTVENNAYA KORPORATSIYA", "STATE CORP", "STATE CORPORATION",
        (r"GOSUDARSTVENNAYA KORPORATSIYA", r"GOSKORPORATSIYA"),
        (r"STATE CORPORATION", r"STATE CORP\.?"),
    ),
)  # fmt: skip

_QUOTES = "\"'«»“”„‘’`"
_EDGE = f" ,.;:-{_QUOTES}"
_AFTER = rf"(?=[\s{_QUOTES},]|$)"  # a form ends a word
_BEFORE = rf"(?<=[\s{_QUOTES},])"
_Patterns = tuple[tuple[LegalForm, bool, re.Pattern[str], re.Pattern[str]], ...]
_FORM_PATTERNS: dict[bool, _Patterns] = {
    cyrillic: tuple(
        (form, transliterated, re.compile(rf"^{p}{_AFTER}"), re.compile(rf"{_BEFORE}{p}$"))
        for form in RUSSIAN_LEGAL_FORMS
        for transliterated, patterns in (
            ((True, (re.escape(form.cyrillic_full), re.escape(form.cyrillic))),)
            if cyrillic
            else ((True, form.transliterated), (False, form.english_variants))
        )
        for p in patterns
    )
    for cyrillic in (True, False)
}


@dataclass(frozen=True)
class FoundForm:
    """A Russian legal form found in a list name, and the firm's own name without it."""

    form: LegalForm
    bare: str  # upper case, the form and the quotes around the name removed
    transliterated: bool  # written as Russian writes it (ООО, OOO, OBSHCHESTVO ...)


def legal_form_of(name: str) -> FoundForm | None:
    """The Russian legal form at the start or end of ``name``, and the name without it.

    Only whole words at the edges count (``AO`` inside a name is a word of the name);
    forms are cut until none is left (``MTS BANK PUBLIC JOINT-STOCK COMPANY (PJSC)`` →
    ``MTS BANK``), the first one found is the form, and the bare name loses the quotes
    and punctuation around it: ``JSC CB 'IS BANK'`` → ``CB 'IS BANK``, ``IS BANK, AO`` →
    ``IS BANK``.
    """
    text = " ".join(name.upper().replace("(", " ").replace(")", " ").split()).strip(_EDGE)
    patterns = _FORM_PATTERNS[_has_cyrillic(text)]
    found: tuple[LegalForm, bool] | None = None
    while (edge := _edge_form(text, patterns)) is not None:
        form, transliterated, hit = edge
        rest = _strip_quotes((text[: hit.start()] + text[hit.end() :]).strip(_EDGE))
        if not rest:
            break
        found = found or (form, transliterated)
        text = rest
    return FoundForm(found[0], text, found[1]) if found else None


def _edge_form(text: str, patterns: _Patterns) -> tuple[LegalForm, bool, re.Match[str]] | None:
    """The first form (in priority order) at the start or the end of ``text``."""
    for form, transliterated, at_start, at_end in patterns:
        hit = at_start.search(text) or at_end.search(text)
        if hit:
            return form, transliterated, hit
    return None


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _strip_quotes(text: str) -> str:
    """Quotes only around the whole name go (``"X"`` → ``X``; ``CB 'IS BANK'`` stays)."""
    text = text.strip(" ,")
    while len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


#: Latin → Cyrillic for names the lists transliterated from Russian (the reverse of the
#: BGN/PCGN romanisation OFAC and the UK use), longest letter group first. ``E`` opens a
#: word as ``Э``; ``Y`` after a vowel is ``Й``, elsewhere ``Ы``; ``'`` is the soft sign.
#: It is a rule, not Russian: ``OBYEDINENIE`` becomes ``ОБЫЕДИНЕНИЕ`` (not ОБЪЕДИНЕНИЕ),
#: English words come out letter by letter; spellings written by it are their own kind.
_TO_CYRILLIC = (
    ("SHCH", "Щ"), ("SCH", "Щ"), ("KH", "Х"), ("ZH", "Ж"), ("TS", "Ц"), ("CH", "Ч"),
    ("SH", "Ш"), ("YU", "Ю"), ("YA", "Я"), ("YO", "Ё"), ("A", "А"), ("B", "Б"),
    ("V", "В"), ("G", "Г"), ("D", "Д"), ("E", "Е"), ("Z", "З"), ("I", "И"), ("K", "К"),
    ("L", "Л"), ("M", "М"), ("N", "Н"), ("O", "О"), ("P", "П"), ("R", "Р"), ("S", "С"),
    ("T", "Т"), ("U", "У"), ("F", "Ф"), ("C", "К"), ("W", "В"), ("X", "КС"), ("Q", "К"),
    ("H", "Х"), ("J", "Й"), ("'", "Ь"),
)  # fmt: skip
_VOWELS = set("AEIOUY")


def to_cyrillic(latin: str) -> str:
    """``latin`` (upper case) in Cyrillic by the rule of :data:`_TO_CYRILLIC`."""
    out: list[str] = []
    i = 0
    while i < len(latin):
        ch = latin[i]
        start = i == 0 or not latin[i - 1].isalpha()
        if ch == "E" and start:
            out.append("Э")
            i += 1
            continue
        if ch == "Y" and latin[i + 1 : i + 2] not in ("U", "A", "O"):
            out.append("Й" if not start and latin[i - 1] in _VOWELS else "Ы")
            i += 1
            continue
        for group, letter in _TO_CYRILLIC:
            if latin.startswith(group, i):
                out.append(letter)
                i += len(group)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class ListedSpelling:
    """A customs-style spelling of a listed firm, and the entry it must find."""

    spelling: str
    list: str
    list_entity_id: str
    kind: str  # how it was written, e.g. "latin_abbr_quoted", "cyrillic_full"
    source_name: str  # the list name it was built from


def _entry_names(entry: Mapping) -> list[str]:
    return [entry["name"], *(a["name"] for a in entry["aliases"] or () if a["name"])]


def _latin_aliases(entry: Mapping) -> list[str]:
    return [
        a["name"]
        for a in entry["aliases"] or ()
        if a["name"] and a["type"] != "weak" and not _has_cyrillic(a["name"])
    ]


def _cyrillic_aliases(entry: Mapping) -> list[str]:
    return [a["name"] for a in entry["aliases"] or () if a["name"] and _has_cyrillic(a["name"])]


def is_russian_organisation(entry: Mapping) -> bool:
    """An organisation whose names carry a Russian legal form, and that is Russian:
    a transliterated or Cyrillic form (ООО, OOO, OBSHCHESTVO ...), or Russia as its only
    country (an English form alone, "LLC", is also Emirati or American)."""
    if entry["schema"] not in ORGANISATIONS:
        return False
    found = [f for f in map(legal_form_of, _entry_names(entry)) if f]
    russia_only = set(entry["countries"] or ()) == {"RU"}
    return bool(found) and (russia_only or any(f.transliterated for f in found))


def spellings_of(entry: Mapping) -> list[ListedSpelling]:
    """Customs-style spellings of one Russian organisation (none if its names carry no
    Russian legal form: a form is never guessed).

    The firm's own name (its *bare* name, the form cut off) comes from the list:

    * the primary name, written six ways: ``OOO "X"``, ``LLC X``, ``X LLC``, ``"X" LLC``,
      ``LIMITED LIABILITY COMPANY X``, ``OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU "X"``
      (with the entry's own form: PAO, PJSC ... for a PJSC);
    * each other Latin alias with a form and another bare name (a transliteration beside a
      translation), two ways: ``OOO "X"`` and ``X LLC``;
    * each Cyrillic alias, two ways: ``ООО «X»`` and the form in full;
    * when the list has no Cyrillic alias but writes the name transliterated (its form is
      OOO, OBSHCHESTVO ...), that name back in Cyrillic by :func:`to_cyrillic`: ``ООО «X»``.

    Upper case, as customs files are.
    """
    names = _entry_names(entry)
    found = [(n, f) for n, f in ((n, legal_form_of(n)) for n in names) if f]
    if not found:
        return []
    primary = legal_form_of(entry["name"])
    form = (primary or found[0][1]).form
    bare = primary.bare if primary else _strip_quotes(" ".join(entry["name"].upper().split()))
    written = [
        ("latin_abbr_quoted", f'{form.latin} "{bare}"', entry["name"]),
        ("english_abbr_prefix", f"{form.english} {bare}", entry["name"]),
        ("english_abbr_suffix", f"{bare} {form.english}", entry["name"]),
        ("quoted_english_suffix", f'"{bare}" {form.english}', entry["name"]),
        ("english_full", f"{form.english_full} {bare}", entry["name"]),
        ("latin_full_quoted", f'{form.latin_full} "{bare}"', entry["name"]),
    ]
    seen = {bare}
    for alias in _latin_aliases(entry):
        own = legal_form_of(alias)
        if own and own.bare not in seen:
            seen.add(own.bare)
            written.append(("alias_latin_abbr_quoted", f'{own.form.latin} "{own.bare}"', alias))
            written.append(("alias_english_abbr_suffix", f"{own.bare} {own.form.english}", alias))
    cyrillic = _cyrillic_aliases(entry)
    for alias in cyrillic:
        own = legal_form_of(alias)
        cyr_form = own.form if own else form
        cyr_bare = own.bare if own else _strip_quotes(" ".join(alias.upper().split()))
        written.append(("cyrillic_abbr", f"{cyr_form.cyrillic} «{cyr_bare}»", alias))
        written.append(("cyrillic_full", f"{cyr_form.cyrillic_full} «{cyr_bare}»", alias))
    if not cyrillic:
        transliterated = next((n for n, f in found if f.transliterated), None)
        if transliterated is not None:
            own = legal_form_of(transliterated)
            assert own is not None
            text = f"{own.form.cyrillic} «{to_cyrillic(own.bare)}»"
            written.append(("cyrillic_by_rule", text, transliterated))
    return [
        ListedSpelling(text, entry["list"], entry["list_entity_id"], kind, source)
        for kind, text, source in written
    ]


def listed_spellings(
    entries: pa.Table, sample: int | None = 400, seed: int = 15
) -> list[ListedSpelling]:
    """Customs-style spellings of the lists' Russian organisations (see :func:`spellings_of`).

    ``sample`` entries (a seeded sample of the Russian organisations sorted by list and
    id; all of them when None) keep the count at a few thousand spellings, and the sample
    the same from run to run while the lists are the same. Sorted by list, id, kind.
    """
    rows = sorted(
        (e for e in entries.to_pylist() if is_russian_organisation(e)),
        key=lambda e: (e["list"], e["list_entity_id"]),
    )
    if sample is not None and sample < len(rows):
        rows = sorted(
            random.Random(seed).sample(rows, sample),
            key=lambda e: (e["list"], e["list_entity_id"]),
        )
    spellings = {s for entry in rows for s in spellings_of(entry)}
    return sorted(spellings, key=lambda s: (s.list, s.list_entity_id, s.kind, s.spelling))


@dataclass(frozen=True)
class Recall:
    """Share of spellings whose own entry is among the matches at the threshold."""

    threshold: float
    spellings: int
    found: int
    misses: tuple[ListedSpelling, ...]
    by_kind: tuple[tuple[str, int, int], ...]  # (kind, misses, spellings): which ways fail

    @property
    def recall(self) -> float:
        return self.found / self.spellings if self.spellings else 1.0


def listed_recall(index: ListIndex, spellings: Sequence[ListedSpelling]) -> Recall:
    """Screen every spelling as a company with no country (as most customs names come)
    and check that its own entry is among the matches at the index's threshold."""
    queries = [Query(s.spelling) for s in spellings]
    misses = [
        s
        for s, matches in zip(spellings, map(index.match, queries), strict=True)
        if not any(m.list == s.list and m.list_entity_id == s.list_entity_id for m in matches)
    ]
    totals = Counter(s.kind for s in spellings)
    missed = Counter(s.kind for s in misses)
    return Recall(
        threshold=index.config.threshold,
        spellings=len(spellings),
        found=len(spellings) - len(misses),
        misses=tuple(misses),
        by_kind=tuple((kind, missed[kind], totals[kind]) for kind in sorted(totals)),
    )


# -- both figures on a store -----------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningFigures:
    flag_rate: FlagRate
    recall: Recall

    def summary(self) -> dict:
        """The figures as plain JSON-able values (lists of pairs left out but counted)."""
        f, r = self.flag_rate, self.recall
        return {
            "threshold": f.threshold,
            "names": f.names,
            "flagged": f.flagged,
            "alerts": f.alerts,
            "true_alerts": f.true_alerts,
            "false_alerts": f.false_alerts,
            "unjudged_alerts": f.unjudged_alerts,
            "only_false": f.only_false,
            "only_false_share": round(f.only_false_share, 5),
            "found": sorted({(a.query_name, a.list, a.list_entity_id) for a in f.found}),
            "missed_listed": sorted((j.query_name, j.list, j.list_entity_id) for j in f.missed),
            "spellings": r.spellings,
            "spellings_found": r.found,
            "recall": round(r.recall, 4),
            "recall_by_kind": {kind: {"missed": m, "of": n} for kind, m, n in r.by_kind},
        }


def evaluate_screening(
    store: Store,
    judgements: Path,
    config: MatchConfig | None = None,
    sample: int | None = 400,
) -> ScreeningFigures:
    """Both figures for the store's real names and current lists, with ``config``
    (the matcher's defaults when None)."""
    entries = current_entries(store)
    index = ListIndex(entries, config)
    return ScreeningFigures(
        flag_rate=flag_rate(index, real_name_queries(store), read_judgements(judgements)),
        recall=listed_recall(index, listed_spellings(entries, sample=sample)),
    )


# -- the store -------------------------------------------------------------------------------


def load_demo_lists(store: Store, shared: Path) -> list[dict]:
    """Load the ``make demo`` list set into ``store`` (what screening is measured against)."""
    from tradetrace.screen.lists.load import load_lists

    return load_lists(store, [shared / path for path in DEMO_LISTS])
