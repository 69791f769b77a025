"""Reading a column header the way an analyst does: by its words, in any convention.

``IMPORTER_NAME_EN``, ``Importer name (English)``, ``importerNameEn`` and "Наименование
получателя" all say *who* (a party role), *what* (an attribute) and *how* (a variant:
English, standardised, raw). ``Value of Goods (USD)``, ``TOTAL VALUE_INR`` and
"Статистическая стоимость, долл. США" say *a value* and *its currency*. This module turns
each header into such a reading, using only the word lists of ``vocabulary.yaml``, so
case, separators, units in brackets and column order never matter and a new language is a
data change.

The result for one header is a :class:`ColumnReading`; :func:`read_headers` reads a whole
header row and decides which column fills which canonical field (the best explained
header wins a field; see ``vocabulary.yaml`` for the rules in words).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pycountry
import yaml

#: Party roles whose attributes become canonical fields (``importer_name`` ...).
PARTY_ATTRIBUTES = ("name", "id", "address", "country")
#: Variants of a party's name column, best first: the one as declared, then the others.
NAME_VARIANTS = ("original", "plain", "english", "standardised", "raw")
#: Words too common to read as an ISO currency code inside a header.
NOT_CURRENCY_CODES = frozenset({"ALL", "TOP", "CUP", "PEN", "MOP", "SOS", "BAM", "STD"})


@dataclass(frozen=True)
class Vocabulary:
    """``vocabulary.yaml``, compiled: phrases by length, stems, field rules."""

    phrases: dict[tuple[str, ...], frozenset[str]]  # word sequence → concepts
    stems: tuple[tuple[str, frozenset[str]], ...]  # word prefix → concepts
    longest: int
    fields: dict[str, dict]
    parties: dict[str, tuple[str, ...]]
    reporter_words: dict[str, tuple[tuple[str, ...], ...]]
    file_name_words: dict[str, frozenset[str]]
    perspective_words: dict[str, tuple[str, tuple[str, ...]]]  # flow → (label, entries)
    direction_values: dict[str, frozenset[str]]
    aggregate_words: frozenset[str]
    currency_words: dict[str, str]
    known_words: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    text = (resources.files("tradetrace.ingest") / "vocabulary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    phrases: dict[tuple[str, ...], set[str]] = {}
    stems: dict[str, set[str]] = {}
    for concept, entries in data["concepts"].items():
        for entry in entries:
            entry = str(entry)
            if entry.endswith("*"):
                stems.setdefault(fold(entry[:-1]), set()).add(concept)
                continue
            words = tuple(words_of(entry)) or (fold(entry),)
            phrases.setdefault(words, set()).add(concept)
    currency_words = {" ".join(words_of(str(k))): str(v) for k, v in data["currency_words"].items()}
    for phrase in currency_words:
        phrases.setdefault(tuple(phrase.split()), set()).add("currency_code")
    known = {w for p in phrases for w in p} | set(stems)
    return Vocabulary(
        phrases={k: frozenset(v) for k, v in phrases.items()},
        stems=tuple(
            sorted(((k, frozenset(v)) for k, v in stems.items()), key=lambda s: -len(s[0]))
        ),
        longest=max(len(p) for p in phrases),
        fields=data["fields"],
        parties={k: tuple(v) for k, v in data["parties"].items()},
        reporter_words={
            cc: tuple(tuple(words_of(w)) or (fold(str(w)),) for w in words)
            for cc, words in data["reporter_words"].items()
        },
        file_name_words={
            k: frozenset(fold(str(w)) for w in v) for k, v in data["file_name_words"].items()
        },
        perspective_words={
            flow: (str(v["label"]), tuple(fold(str(w)) for w in v["words"]))
            for flow, v in data["perspective_words"].items()
        },
        direction_values={
            k: frozenset(str(w).upper() for w in v) for k, v in data["direction_values"].items()
        },
        aggregate_words=frozenset(fold(str(w)) for w in data["aggregate_words"]),
        currency_words=currency_words,
        known_words=frozenset(known),
    )


# -- words ----------------------------------------------------------------------------------------

_SYMBOLS = {"$": " usd ", "€": " eur ", "₽": " rub ", "£": " gbp ", "%": " % ", "№": " № "}
_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])")
_SPLIT = re.compile(r"[^\w%№]+|_")
_BRACKETS = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")


def fold(text: str) -> str:
    """Lower case, ё → е, Latin accents dropped (Cyrillic letters are kept whole)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е").replace("ı", "i")
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept).replace("и\u0306", "й")


def words_of(header: str) -> list[str]:
    """A header's words: camelCase, snake_case, dots, brackets and units all split."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", header))
    text = text.replace("US$", " usd ").replace("us$", " usd ")
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)
    return [w for w in (fold(part) for part in _SPLIT.split(text)) if w]


def _split_glued(word: str, vocab: Vocabulary) -> list[str]:
    """``totalvalue`` → ``total value``, ``sumofquantity`` → ``sumof quantity``, when every
    part is a known word (longest first part first)."""
    if word in vocab.known_words or len(word) < 6:
        return [word]
    for cut in range(len(word) - 2, 1, -1):
        head, tail = word[:cut], word[cut:]
        if head in vocab.known_words:
            rest = _split_glued(tail, vocab)
            if all(part in vocab.known_words for part in rest):
                return [head, *rest]
    return [word]


@dataclass(frozen=True)
class Token:
    text: str
    concepts: frozenset[str]


def tokens_of(header: str) -> list[Token]:
    """The header's words grouped into vocabulary phrases, each with its concepts.

    Phrases are matched longest first ("unit price" before "unit"); a word no phrase or stem
    knows is a token with no concept (or ``currency_code``/``digits``)."""
    vocab = vocabulary()
    words = [part for word in words_of(header) for part in _split_glued(word, vocab)]
    #: words in brackets are units or remarks ("Quantity (pcs)"): unknown ones never count
    #: against a reading, known ones ("(USD)", "(kg)") are read as usual
    bracketed = {w for part in _BRACKETS.findall(header) for w in words_of(part)}
    tokens: list[Token] = []
    i = 0
    while i < len(words):
        for size in range(min(vocab.longest, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + size])
            if phrase in vocab.phrases:
                tokens.append(Token(" ".join(phrase), vocab.phrases[phrase]))
                i += size
                break
        else:
            word = words[i]
            concepts = _concepts_of_word(word, vocab)
            if not concepts and word in bracketed:
                concepts = frozenset({"filler"})
            tokens.append(Token(word, concepts))
            i += 1
    return tokens


def _concepts_of_word(word: str, vocab: Vocabulary) -> frozenset[str]:
    for stem, concepts in vocab.stems:
        if word.startswith(stem):
            return concepts
    if word.isdigit():
        return frozenset({"digits"})
    if currency_code(word):
        return frozenset({"currency_code"})
    return frozenset()


def currency_code(word: str) -> str | None:
    """The ISO 4217 code a header word names ("inr", "kzt", "lei", "hryvnias"), else None."""
    if named := vocabulary().currency_words.get(word):
        return named
    code = word.upper()
    if len(code) != 3 or code in NOT_CURRENCY_CODES:
        return None
    return code if pycountry.currencies.get(alpha_3=code) else None


# -- one header -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnReading:
    """What one header says.

    ``field`` is the canonical field it can fill (None: nothing), ``fit`` how well its
    words are explained (higher is better), ``party``/``variant`` the party and spelling of
    a party column, ``currency`` a value column's currency ("USD", "INR", "local" for the
    reporter's, "column" for the file's currency column, None when it names none).
    """

    index: int
    header: str
    field: str | None
    fit: float = 0.0
    party: str | None = None
    attribute: str | None = None
    variant: str = "plain"
    currency: str | None = None
    words: tuple[str, ...] = ()
    concepts: frozenset[str] = frozenset()
    why: str = ""


_FILLERS = frozenset({"filler"})
_VARIANTS = {
    "english": "english",
    "standardised": "standardised",
    "raw": "raw",
    "original": "original",
}
_PARTY_EXTRA = frozenset(
    {"filler", "english", "standardised", "raw", "original", "preferred_value", "number", "digits"}
)
_DOMESTIC_ATTRIBUTES = frozenset({"id", "address"})


def read_header(index: int, header: str) -> ColumnReading:
    """The reading of one header (its best field, how well it fits, and why)."""
    tokens = tokens_of(header)
    concepts = frozenset(c for t in tokens for c in t.concepts)
    words = tuple(t.text for t in tokens)
    base: dict[str, Any] = {"index": index, "header": header, "words": words, "concepts": concepts}
    party = _party_reading(tokens, concepts)
    if party is not None:
        return ColumnReading(**base, **party)
    best: tuple[float, str] | None = None
    for name, rule in vocabulary().fields.items():
        fit = _fit(tokens, concepts, rule)
        if fit is not None and (best is None or fit > best[0]):
            best = (fit, name)
    if best is None:
        return ColumnReading(**base, field=None, why="no field's words")
    fit, name = best
    currency = _currency_of(tokens, concepts) if name in ("value", "value_usd") else None
    if name == "value" and currency == "USD":
        name = "value_usd"
    variant = next((v for c, v in _VARIANTS.items() if c in concepts), "plain")
    return ColumnReading(
        **base, field=name, fit=fit, currency=currency, variant=variant, why=_why(name, words)
    )


def _fit(tokens: list[Token], concepts: frozenset[str], rule: dict) -> float | None:
    """How well a field's rule explains a header: None when it does not apply."""
    if concepts & set(rule.get("forbid") or ()) or "record" in concepts:
        return (
            None  # "RECORD_ID", "VESSEL_COUNTRY_CODE", "CUSTOMS_OFFICE_CODE": about another thing
        )
    signatures = [set(s) for s in rule["any"] if set(s) <= concepts]
    if not signatures:
        return None
    signature = max(signatures, key=len)
    allowed = signature | set(rule.get("optional") or ()) | _FILLERS
    explained = [t for t in tokens if t.concepts & allowed]
    unexplained = [t for t in tokens if not t.concepts & allowed]
    if len(unexplained) > 1 or len(unexplained) >= len(explained):
        return None
    return 2 * len(signature) - 3 * len(unexplained) + 0.1 * rule.get("rank", 0)


def _party_reading(tokens: list[Token], concepts: frozenset[str]) -> dict | None:
    """A party column: one role word and one attribute (a lone role word is the name)."""
    vocab = vocabulary()
    roles = [r for r in vocab.parties if r in concepts]
    others = concepts & {"other_party"}
    attributes = [a for a in PARTY_ATTRIBUTES if a in concepts]
    variant = next((v for c, v in _VARIANTS.items() if c in concepts), "plain")
    if any(not t.concepts or "record" in t.concepts for t in tokens):
        return None  # "INDICATOR_OF_TRUE_SUPPLIER", "RECORD_ID": about a party, not of it
    if len(roles) == 1 and not others:
        role = roles[0]
        if "contact" in concepts or "value" in concepts or "date" in concepts:
            return None
        if {"name", "address"} <= set(attributes):  # "EXPORTER_NAME_AND_ADDRESS"
            attributes = ["name"]
        attribute = attributes[0] if len(attributes) == 1 else ("name" if not attributes else None)
        if attribute is None or attribute not in vocab.parties[role]:
            return None
        if role == "exporter" and attribute == "country" and "dispatch" in concepts:
            return None
        leftover = concepts - {role, attribute, *_PARTY_EXTRA, "id", "address"}
        if leftover - {"country", "iso", "declaration"}:
            return None
        name = f"{role}_{attribute}"
        return {
            "field": name,
            "fit": 10.0 - (0 if variant == "plain" else 1),
            "party": role,
            "attribute": attribute,
            "variant": variant,
            "why": f"{_role_word(role)} + {attribute}",
        }
    if not roles and not others and attributes:
        pure = concepts - _PARTY_EXTRA
        if "preferred_value" not in concepts and len(pure) == 1 and pure <= _DOMESTIC_ATTRIBUTES:
            attribute = next(iter(pure))
            return {
                "field": f"domestic_{attribute}",
                "fit": 5.0,
                "attribute": attribute,
                "variant": variant,
                "why": f"an unqualified {attribute}: the reporter's own party",
            }
    return None


def _role_word(role: str) -> str:
    return {"importer": "importer/consignee/buyer", "exporter": "exporter/shipper/supplier"}.get(
        role, role
    )


def _currency_of(tokens: list[Token], concepts: frozenset[str]) -> str | None:
    if "usd" in concepts:
        return "USD"
    for token in tokens:
        if "currency_code" in token.concepts:
            return currency_code(token.text)
    if "local_currency" in concepts:
        return "local"
    if "foreign_currency" in concepts or "currency" in concepts:
        return "column"
    return None


def _why(name: str, words: tuple[str, ...]) -> str:
    return f"words {' '.join(words)!r} → {name}"


# -- a header row ---------------------------------------------------------------------------------


@dataclass
class HeaderReading:
    """A whole header row: which column fills which field (a column in none of these is
    left over, and goes to ``extra``)."""

    columns: list[ColumnReading]
    chosen: dict[str, ColumnReading] = field(default_factory=dict)
    #: value and date fields: the runners-up, best first (a row falls back to them)
    fallbacks: dict[str, list[ColumnReading]] = field(default_factory=dict)
    #: party names: the other spellings (``IMPORTER_NAME_EN`` beside ``IMPORTER_NAME``)
    alternates: dict[str, ColumnReading] = field(default_factory=dict)


#: Fields whose runners-up are kept as per-row fallbacks instead of going to ``extra``.
FALLBACK_FIELDS = (
    "value_usd", "value", "date", "importer_country", "exporter_country", "origin_country",
    "dispatch_country", "destination_country", "trading_country",
)  # fmt: skip
_VALUE_PREFERENCE = ("preferred_value", "total", "invoice")


def read_headers(header: list[str] | tuple[str, ...]) -> HeaderReading:
    """Assign columns to fields: for each field the best fitting header wins."""
    readings = [read_header(i, h) for i, h in enumerate(header)]
    result = HeaderReading(readings)
    by_field: dict[str, list[ColumnReading]] = {}
    for reading in readings:
        if reading.field:
            by_field.setdefault(reading.field, []).append(reading)
    for name, candidates in by_field.items():
        ranked = sorted(candidates, key=lambda r: _rank(name, r))
        result.chosen[name] = ranked[0]
        rest = ranked[1:]
        if name in FALLBACK_FIELDS:
            result.fallbacks[name] = rest
        elif name.endswith("_name") and rest:
            result.alternates[name] = rest[0]
    return result


def _rank(name: str, reading: ColumnReading) -> tuple:
    """Sort key, best first: fit, then (names) the spelling as declared, then (values) a
    statistical/customs value before a total before an invoice value, then file order."""
    variant = NAME_VARIANTS.index(reading.variant) if reading.variant in NAME_VARIANTS else 9
    preference = next(
        (i for i, c in enumerate(_VALUE_PREFERENCE) if c in reading.concepts),
        len(_VALUE_PREFERENCE),
    )
    if name.endswith("_name") or name.endswith("_address") or name == "description":
        return ("hs" in reading.concepts, variant, -reading.fit, reading.index)
    if name == "date":
        return (-reading.fit, "late_date" in reading.concepts, reading.index)
    if name in ("value", "value_usd"):
        return (-round(reading.fit), preference, reading.index)
    return (-reading.fit, variant, reading.index)
