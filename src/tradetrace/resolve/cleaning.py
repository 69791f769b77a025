"""A party's name as declared, without what the vendor or the declarant added to it.

Real customs records glue more than a name into the name cell:

* an address, a postcode or a country after it
  ("CERAMICHE ATLAS CONCORDE S P A 41042 ITALY SPEZZANO DI FIORANO VIA CANALETTO 141",
  "… SPAVIA CANALETTO 141");
* a division or a forwarder after the legal form ("… SPA CERAMICHE KEOPE",
  "… SPA FROM UAB LOGIGAMA VILNIUS LITHUANIA");
* a word that only says "a firm" before it ("ФИРМА …", "COMPANY …", "M/S …");
* a forwarder acting for the seller before it ("UAB DLG LOGISTIKOS CENTRAS ON ORDER OF
  CERAMICHE ATLAS CONCORDE SPA"): the firm meant is the seller.

:func:`clean_party_name` keeps the name and drops the rest, so that spellings of one firm
meet in :func:`tradetrace.resolve.names.analyse_name`. It is used for comparison only: the
name as declared stays the party's name and alias. The words are data
(``data/party_names.yaml``); the rules are positional and conservative: a cut needs a name
of at least one word (after a legal form) or two words (before an address word or a
postcode) in front of it, so "VIA ROMA SRL" and "LLC NIKA" are left alone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from importlib import resources

import yaml

from tradetrace.reference.countries import to_iso2
from tradetrace.resolve.names import (
    GENERIC_WORDS,
    LEGAL_FORMS,
    legal_form_kind,
    script_of,
    to_latin,
)

__all__ = ["clean_party_name", "comparable_name", "descriptive_words", "legal_family"]

_WORD_SPLIT = re.compile(r"[^A-Z0-9&]+")
#: A postcode or house number long enough not to be part of a name ("41042", "141001").
_POSTCODE = re.compile(r"^\d{4,}$")
#: Scripts whose names carry no vendor additions worth cutting (and whose legal forms
#: ``analyse_name`` cuts from the native text).
_UNTOUCHED_SCRIPTS = {"Hangul", "Han", "Kana"}
#: Words that make a suffix form part of a longer one ("AURUS LIMITED LIABILITY COMPANY").
_FORM_CONTINUES = {"LIABILITY", "PARTNERSHIP", "COMPANY", "STI", "SIRKETI"}
#: Words of name needed before an address word or a postcode may be cut.
_MIN_WORDS_BEFORE_ADDRESS = 2


@cache
def _vocabulary() -> dict[str, tuple[tuple[str, ...], ...]]:
    raw = _raw_vocabulary()
    return {
        key: tuple(sorted({tuple(_words(entry)) for entry in entries}, key=len, reverse=True))
        for key, entries in raw.items()
        if isinstance(entries, list)
    }


@cache
def _raw_vocabulary() -> dict:
    text = (
        resources.files("tradetrace.resolve")
        .joinpath("data/party_names.yaml")
        .read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)


@cache
def descriptive_words() -> frozenset[str]:
    """Words that describe a firm's trade rather than name it: the generic words of
    :mod:`~tradetrace.resolve.names` and the canonical words of ``equivalent_words``
    (CERAMIC, CONSTRUCTION, INDUSTRY …). "PAMESA CERAMICA" and "PAMESA" share their
    distinctive words; "PAMESA CERAMICA COMPACTTO" does not."""
    return frozenset(GENERIC_WORDS) | frozenset(_raw_vocabulary()["equivalent_words"])


@cache
def _families() -> dict[str, str]:
    families = _raw_vocabulary()["legal_families"]
    return {kind: family for family, kinds in families.items() for kind in kinds}


def legal_family(code: str | None) -> str | None:
    """The family of a legal form (``legal_families``): OOO, LLC, LTD → LIMITED; JSC,
    SPA, A.Ş. → STOCK; a form not listed is its own family."""
    if not code:
        return None
    kind = legal_form_kind(code) or code
    families = _families()
    return families.get(code) or families.get(kind) or kind


@cache
def _equivalents() -> dict[str, str]:
    """word → the canonical word it is read as (``equivalent_words``)."""
    raw = _raw_vocabulary()["equivalent_words"]
    return {
        variant: canonical
        for canonical, variants in raw.items()
        for word in [canonical, *variants]
        for variant in _words(word)
    }


@cache
def _legal_form_words() -> frozenset[str]:
    """Every word of every legal form ``analyse_name`` knows, plus the suffix forms here."""
    phrases = [alias for aliases in LEGAL_FORMS.values() for alias in aliases]
    words = {w for phrase in phrases for w in _words(phrase)}
    vocabulary = _vocabulary()
    word_tuples = (*vocabulary["suffix_forms"], *vocabulary["legal_words"])
    extra = {w for phrase in word_tuples for w in phrase}
    return frozenset(words | extra)


def _words(text: str) -> list[str]:
    """Upper-case Latin words; runs of single letters joined ("S P A" → "SPA")."""
    text = html.unescape(html.unescape(text))  # "D&amp;apos;IMOLA" → "D'IMOLA"
    latin = to_latin(unicodedata.normalize("NFKC", text)).upper().replace("&", " & ")
    words = [w for w in _WORD_SPLIT.split(latin) if w]
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 2:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined


def _starts_with(words: list[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """Length of the longest phrase found at ``words[i:]``, 0 if none."""
    if i >= len(words):
        return 0
    for phrase in _by_first_word(phrases).get(words[i], ()):
        if tuple(words[i : i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


@cache
def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """The phrases by their first word, longest first (a name is scanned word by word)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=lambda p: (-len(p), p)):
        found.setdefault(phrase[0], []).append(phrase)
    return found


@cache
def _joining_words() -> frozenset[str]:
    return frozenset(w for (w,) in _vocabulary()["joining_words"])


@cache
def _single_word_forms() -> frozenset[str]:
    return frozenset(f[0] for f in _vocabulary()["suffix_forms"] if len(f) == 1)


@cache
def _single_cut_words() -> frozenset[str]:
    return frozenset(p[0] for p in _vocabulary()["cut_before"] if len(p) == 1)


def _join_spaced_forms(words: list[str]) -> list[str]:
    """Short pieces that together spell a legal form: "S PA", "SP A", "S LU", "SP ZO O";
    also when the form's last letter is glued to an address word ("SP AVIA" → "SPA VIA")."""
    singles, cut_words = _single_word_forms(), _single_cut_words()
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            piece = words[i : i + size]
            if len(piece) < size or not all(len(w) <= 2 for w in piece):
                continue
            joined = "".join(piece)
            if size > 1 and joined in singles:
                out.append(joined)
                i += size
                break
            following = words[i + size] if i + size < len(words) else ""
            glued = next(
                (k for k in (1, 2) if joined + following[:k] in singles
                 and following[k:] in cut_words),
                None,
            )  # fmt: skip
            if glued:
                out.extend((joined + following[:glued], following[glued:]))
                i += size + 1
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _split_glued_forms(words: list[str]) -> list[str]:
    """ "SPAVIA" → "SPA", "VIA"; "GMBH53489" → "GMBH", "53489"; "SRLCHISINAU STR …" →
    "SRL", "CHISINAU", …: a form glued to the address after it. Only when an address
    follows, and not when the rest is too short to be a word ("SPAIN"). The
    shortest form that fits wins, so the result never depends on an order of a set."""
    singles, cut_words = _single_word_forms(), _single_cut_words()
    out: list[str] = []
    for i, word in enumerate(words):
        # "SRLCHISINAU STR …": a glued word, then the address goes on ("SASSUOLO SRL" does not)
        address_follows = any(w.isdigit() or w in cut_words for w in words[i + 1 :])
        for size in range(3, len(word)) if i else ():
            form, rest = word[:size], word[size:]
            if form in singles and (
                rest.isdigit()
                or rest in cut_words
                or (address_follows and len(rest) >= 4 and _cannot_start_a_word(form))
            ):
                out.extend((form, rest))
                break
        else:
            out.append(word)
    return out


def _cannot_start_a_word(form: str) -> bool:
    """A form no ordinary word starts with: no vowel ("LTD", "SRL", "GMBH", "KFT") or long
    ("LIMITED"). "SPA", "INC" and "SAS" start SPANISH, INCORPORATION and SASSUOLO."""
    return len(form) >= 5 or not set(form) & set("AEIOUY")


def clean_party_name(name: str | None) -> str:
    """The name without vendor prefixes, forwarders, appended addresses or what follows
    a trailing legal form; upper-case Latin words. A placeholder that names nobody ("TO
    THE ORDER …") is empty. Names in Hangul, Han or Kana, and names the rules would empty,
    come back unchanged."""
    if not name:
        return ""
    if script_of(name) in _UNTOUCHED_SCRIPTS:
        return name
    vocabulary = _vocabulary()
    words = _join_spaced_forms(_split_glued_forms(_words(name)))
    placeholder = _starts_with(words, 0, vocabulary["placeholders"]) and not _starts_with(
        words, 0, vocabulary["principal_after"]
    )
    if placeholder or tuple(words) in vocabulary["placeholder_names"]:
        return ""
    # the principal after "… ON ORDER OF"
    for i in range(len(words)):
        size = _starts_with(words, i, vocabulary["principal_after"])
        if size and i + size < len(words):
            words = words[i + size :]
            break
    # a leading "FIRMA", "COMPANY", "M/S"
    size = _starts_with(words, 0, vocabulary["prefixes"])
    if size and len(words) > size:
        words = words[size:]
    end = len(words)
    name_words = 0  # words before i that are not a legal form ("OOO", "LLC", "TOO" …)
    for i in range(1, len(words)):
        name_words += words[i - 1] not in _legal_form_words()
        form = _starts_with(words, i, vocabulary["suffix_forms"])
        if name_words and form and i + form < len(words) and words[i + form] not in _FORM_CONTINUES:
            end = i + form
            break
        if name_words >= _MIN_WORDS_BEFORE_ADDRESS and (
            _POSTCODE.match(words[i]) or _starts_with(words, i, vocabulary["cut_before"])
        ):
            end = i
            break
    words = _without_trailing_country(words[:end])
    cleaned = " ".join(words)
    return cleaned or name


#: Words a country name at the end of a party name may span ("REPUBLIC OF MOLDOVA").
_COUNTRY_WORDS = 3


def _without_trailing_country(words: list[str]) -> list[str]:
    """The words without a country written after the name by the vendor ("ART GRANIT
    MOLDOVA", "… REPUBLIC OF MOLDOVA"). Kept when a legal form follows it (then it is part
    of the firm's name: "SAMSUNG ELECTRONICS VIETNAM CO LTD"), when "OF" or another joining
    word comes before it ("STATE BANK OF INDIA") and when fewer than two words would stay
    ("AIR CHINA"); codes ("IT", "MO") are never read as countries here."""
    joining = _joining_words()
    for size in range(min(_COUNTRY_WORDS, len(words) - 2), 0, -1):
        tail, head = words[-size:], words[:-size]
        text = " ".join(tail)
        if len(text.replace(" ", "")) < 4 or head[-1] in joining:
            continue
        if sum(w not in joining and w not in _legal_form_words() for w in head) < 2:
            continue
        if to_iso2(text):
            return head
    return words


def comparable_name(name: str | None) -> str:
    """:func:`clean_party_name`, then descriptive words read as one ("YAPI" and
    "CONSTRUCTION", "SAN" and "INDUSTRY") and joining words ("VE", "AND", "DI") dropped,
    so that a vendor's translation of a name meets the name."""
    cleaned = clean_party_name(name)
    if not cleaned or script_of(cleaned) in _UNTOUCHED_SCRIPTS:
        return cleaned
    equivalents = _equivalents()
    joining = _joining_words()
    kept = [equivalents.get(w, w) for w in cleaned.split() if w not in joining]
    return " ".join(kept) or cleaned
