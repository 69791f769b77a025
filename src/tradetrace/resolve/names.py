"""Party-name normalisation for entity resolution and sanctions screening.

Customs declarations spell one firm many ways — ``HANBIT AUTOTECH CO., LTD``,
``ХАНБИТ АВТОТЕК КО., ЛТД``, ``한빛오토텍 주식회사``; ``ООО «АУРУС»``, ``LLC AURUS``,
``OOO AURUS``.  :func:`analyse_name` turns one spelling into a :class:`NameForms`
with several views that make those spellings meet:

* ``latin`` — the whole name in upper-case ASCII.  Cyrillic uses a fixed
  GOST/ICAO-like table (Х→KH, Ц→TS, Щ→SHCH, Й→Y ...) rather than a library so
  the output never changes under a dependency upgrade; Hangul uses a built-in
  Revised-Romanisation with *pronounced* finals (빛→BIT, 텍→TEK, as firms write
  them — ICU's ``Hangul-Latin`` transliterates the spelling instead, giving
  ``hanbich-ototeg``); Han/Kana and everything else go through ``anyascii``.
  No ICU object is needed at all, so there is no per-call setup to cache.
* ``legal_form`` — a canonical code (``LLC``, ``OOO``, ``CO_LTD`` ...) from the
  data file ``data/legal_forms.yaml`` (:data:`LEGAL_FORMS`; each form's
  jurisdictions: :func:`legal_form_countries`), with ``rigour``'s organisation-type
  database as a fallback for suffixes the table lacks.
* ``core`` / ``tokens`` / ``key`` — the name without legal forms, quotes and
  punctuation; ``key`` is order-free for blocking.
* ``skeleton`` — an order-free, cross-script consonant-class code (see
  :func:`token_skeleton`) so that Russian customs transliterations of foreign
  names (``ХАНБИТ АВТОТЕК``) meet the Latin original (``HANBIT AUTOTECH``).
* ``generic`` — the core says nothing distinctive (``TRADING``, ``GROUP``) and
  must never carry a match alone.

:func:`name_similarity` blends these into one 0..1 score.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from anyascii import anyascii
from rapidfuzz.distance import Indel, JaroWinkler
from rigour.names.org_types import extract_org_types
from rigour.text.normalize import Cleanup, Normalize

__all__ = [
    "GENERIC_WORDS",
    "LEGAL_FORMS",
    "NameForms",
    "analyse_name",
    "legal_form_countries",
    "legal_form_kind",
    "name_similarity",
    "script_of",
    "to_latin",
    "token_similarity",
    "token_skeleton",
]

# --------------------------------------------------------------------------------------
# Data: legal forms
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalForm:
    """One canonical legal form as ``data/legal_forms.yaml`` describes it."""

    code: str
    countries: frozenset[str]  # ISO2 jurisdictions; empty = used in many countries
    kind: str  # the general form it renders (OOO → LLC); its own code when none
    aliases: tuple[str, ...]  # anywhere in a name
    edge: tuple[str, ...]  # only first or last
    suffix: tuple[str, ...]  # only last
    prefix: tuple[str, ...]  # only first


def _load_legal_forms() -> dict[str, LegalForm]:
    """Read ``data/legal_forms.yaml`` (file order is priority: see the file's header)."""
    text = (
        resources.files("tradetrace.resolve")
        .joinpath("data/legal_forms.yaml")
        .read_text(encoding="utf-8")
    )
    forms: dict[str, LegalForm] = {}
    for code, spec in yaml.safe_load(text).items():
        values = [*(spec.get("countries") or ()), *(v for key in ("aliases", "edge", "suffix",
                  "prefix") for v in spec.get(key) or ())]  # fmt: skip
        if not all(isinstance(v, str) for v in values):  # YAML reads NO (Norway) as false
            raise ValueError(f"legal_forms.yaml, {code}: quote {values!r}")
        forms[code] = LegalForm(
            code=code,
            countries=frozenset(spec.get("countries") or ()),
            kind=spec.get("kind") or code,
            **{key: tuple(spec.get(key) or ()) for key in ("aliases", "edge", "suffix", "prefix")},
        )
    return forms


#: Every legal form by canonical code, in priority order (``data/legal_forms.yaml``).
LEGAL_FORM_TABLE: dict[str, LegalForm] = _load_legal_forms()

#: Canonical legal-form code → aliases (every position).  Aliases may be written in any
#: script and with any punctuation: they are passed through the same transliteration and
#: tokenisation as names when the lookup table is built.  **Order is priority**: when a
#: name carries several markers (``... SAN. VE TIC. LTD. STI.``, ``OOO ... LLC``) the
#: code listed first wins, so specific forms come before general ones.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    code: tuple(dict.fromkeys((*f.aliases, *f.edge, *f.suffix, *f.prefix)))
    for code, f in LEGAL_FORM_TABLE.items()
}

#: Aliases that are ordinary words or initials too, so they only count as a legal
#: form at the start or end of a name ("AO X", "X INC"), never in the middle.
EDGE_ONLY: frozenset[str] = frozenset(a for f in LEGAL_FORM_TABLE.values() for a in f.edge)
#: Aliases recognised only as the *last* words of a name ("X AS", "X CO", "X SPA").
SUFFIX_ONLY: frozenset[str] = frozenset(a for f in LEGAL_FORM_TABLE.values() for a in f.suffix)
#: Aliases recognised only as the *first* word of a name ("ИП ИВАНОВ", "PT X",
#: "ТОО «X»"); at the end "TOO"/"IP" are more likely English words or initials.
PREFIX_ONLY: frozenset[str] = frozenset(a for f in LEGAL_FORM_TABLE.values() for a in f.prefix)


def legal_form_countries(code: str | None) -> frozenset[str]:
    """The jurisdictions (ISO2) of a legal form; empty when it is used in many countries,
    unknown (a code from rigour's fallback) or ``None``."""
    form = LEGAL_FORM_TABLE.get(code or "")
    return form.countries if form else frozenset()


def legal_form_kind(code: str | None) -> str | None:
    """The general form a legal form renders (``OOO`` → ``LLC``; ``LLC`` → ``LLC``)."""
    if not code:
        return None
    form = LEGAL_FORM_TABLE.get(code)
    return form.kind if form else code


#: Legal forms written in scripts without word spaces (CJK, Hangul).  They are cut
#: out of the original text by substring before transliteration, longest first.
NATIVE_LEGAL_FORMS: dict[str, str] = {
    "股份有限公司": "CO_LTD",
    "有限责任公司": "CO_LTD",
    "有限責任公司": "CO_LTD",
    "有限公司": "CO_LTD",
    "公司": "CO",
    "株式会社": "KK",
    "有限会社": "YK",
    "合同会社": "LLC",
    "주식회사": "CO_LTD",
    "(주)": "CO_LTD",
    "유한책임회사": "LLC",
    "유한회사": "LTD",
    "(유)": "LTD",
}

#: Common Chinese business words are translated rather than romanised, because
#: the Latin spellings of Chinese firms translate them (贸易 → TRADING).
HAN_WORDS: dict[str, str] = {
    "进出口": "IMPORT EXPORT",
    "進出口": "IMPORT EXPORT",
    "贸易": "TRADING",
    "貿易": "TRADING",
    "集团": "GROUP",
    "集團": "GROUP",
    "国际": "INTERNATIONAL",
    "國際": "INTERNATIONAL",
    "科技": "TECHNOLOGY",
    "控股": "HOLDING",
    "实业": "INDUSTRIAL",
    "實業": "INDUSTRIAL",
    "工业": "INDUSTRIAL",
    "工業": "INDUSTRIAL",
}

#: Turkish trade descriptors ("SAN. VE TIC." = industry and trade) that sit between
#: the name and the legal form.  A trailing run of these words is removed when it
#: contains at least one of :data:`_TR_DESCRIPTOR_HEADS`; it implies the ``AS``
#: context but ranks below any explicit legal form.
TR_DESCRIPTOR_WORDS: frozenset[str] = frozenset(
    {
        "SAN",
        "SANAYI",
        "SANAYII",
        "VE",
        "TIC",
        "TICARET",
        "TICARETI",
        "ITH",
        "IHR",
        "ITHALAT",
        "IHRACAT",
        "DIS",
        "IC",
        "PAZ",
        "PAZARLAMA",
    }
)
_TR_DESCRIPTOR_HEADS = frozenset({"SAN", "SANAYI", "SANAYII", "TIC", "TICARET", "TICARETI"})
_TR_DESCRIPTOR_CODE = "AS"

#: Words that say nothing about *which* firm this is.  A core made only of these is
#: ``generic``; in :func:`name_similarity` they weigh a quarter of a normal token.
GENERIC_WORDS: frozenset[str] = frozenset(
    {
        # English
        "TRADING",
        "TRADE",
        "TRADERS",
        "GROUP",
        "COMPANY",
        "CO",
        "INTERNATIONAL",
        "INTL",
        "HOLDING",
        "HOLDINGS",
        "INDUSTRIAL",
        "INDUSTRY",
        "INDUSTRIES",
        "ENTERPRISE",
        "ENTERPRISES",
        "CORPORATION",
        "CORP",
        "GLOBAL",
        "WORLDWIDE",
        "IMPORT",
        "EXPORT",
        "IMPEX",
        "SERVICE",
        "SERVICES",
        "LOGISTICS",
        "SUPPLY",
        "SUPPLIES",
        "COMMERCIAL",
        "COMMERCE",
        "MANUFACTURING",
        "PRODUCTION",
        "TECHNOLOGY",
        "TECHNOLOGIES",
        "SOLUTIONS",
        "SYSTEMS",
        "PARTNERS",
        "ASSOCIATES",
        "VENTURES",
        "INVESTMENT",
        "INVESTMENTS",
        "DEVELOPMENT",
        "GENERAL",
        "UNITED",
        "BRANCH",
        "OFFICE",
        "HOUSE",
        "LIMITED",
        # Russian, transliterated
        "TORGOVYY",
        "TORGOVYI",
        "DOM",
        "TD",
        "GRUPPA",
        "GRUPP",
        "KOMPANIYA",
        "KHOLDING",
        "TREYDING",
        "EKSPORT",
        "SERVIS",
        "LOGISTIK",
        "LOGISTIKA",
        "FILIAL",
        "PREDPRIYATIE",
        "PROIZVODSTVENNAYA",
        "KOMMERCHESKAYA",
        # Function words (EN, RU, DE, FR, ES, IT, TR)
        "AND",
        "OF",
        "THE",
        "FOR",
        "DE",
        "DES",
        "DU",
        "LA",
        "LE",
        "DI",
        "DEL",
        "UND",
        "ET",
        "E",
        "Y",
        "I",
        "VE",
    }
)

# --------------------------------------------------------------------------------------
# Script detection
# --------------------------------------------------------------------------------------

_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x024F, "Latin"),
    (0x0370, 0x03FF, "Other"),  # Greek
    (0x0400, 0x052F, "Cyrillic"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x08A0, 0x08FF, "Arabic"),
    (0x1100, 0x11FF, "Hangul"),
    (0x1C80, 0x1C8F, "Cyrillic"),
    (0x1E00, 0x1EFF, "Latin"),
    (0x2C00, 0x2DDF, "Other"),
    (0x2DE0, 0x2DFF, "Cyrillic"),
    (0x3040, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hangul"),
    (0x31F0, 0x31FF, "Kana"),
    (0x3400, 0x4DBF, "Han"),
    (0x4E00, 0x9FFF, "Han"),
    (0xA640, 0xA69F, "Cyrillic"),
    (0xA960, 0xA97F, "Hangul"),
    (0xAC00, 0xD7AF, "Hangul"),
    (0xD7B0, 0xD7FF, "Hangul"),
    (0xF900, 0xFAFF, "Han"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
    (0xFF21, 0xFF5A, "Latin"),
    (0xFF66, 0xFF9F, "Kana"),
    (0xFFA0, 0xFFDC, "Hangul"),
    (0x20000, 0x3134F, "Han"),
)

#: Share of letters the leading script needs to be called dominant; below it the
#: name is "Mixed" (e.g. ``ООО «AURUS»`` is 3 Cyrillic + 5 Latin letters).
DOMINANT_SHARE = 0.75
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=65_536)
def _char_script(ch: str) -> str:
    """Script of one letter, by code-point range (faster and more stable than ICU)."""
    cp = ord(ch)
    for lo, hi, script in _SCRIPT_RANGES:
        if lo <= cp <= hi:
            return script
    return "Other"


def script_of(text: str) -> str:
    """Dominant script of the letters in ``text``.

    Returns one of ``Latin``, ``Cyrillic``, ``Hangul``, ``Han``, ``Kana``, ``Arabic``,
    ``Other`` (other scripts, or no letters at all) or ``Mixed`` (no script holds
    :data:`DOMINANT_SHARE` of the letters).  Japanese mixes Kana with Han, so any
    name whose letters are all Han/Kana and contain Kana is ``Kana``.
    """
    if text.isascii():
        return "Latin" if _ASCII_LETTER.search(text) else "Other"
    counts: dict[str, int] = {}
    total = 0
    for ch in _LETTER.findall(text):
        script = _char_script(ch)
        counts[script] = counts.get(script, 0) + 1
        total += 1
    if not total:
        return "Other"
    if "Kana" in counts and counts["Kana"] + counts.get("Han", 0) == total:
        return "Kana"
    script, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return script if count >= DOMINANT_SHARE * total else "Mixed"


# --------------------------------------------------------------------------------------
# Transliteration
# --------------------------------------------------------------------------------------

#: Upper-case Cyrillic → Latin.  Russian follows the common passport/ICAO-like
#: reading customs brokers use (Х→KH, Ц→TS, Ь and Ъ dropped, Й and Ы → Y);
#: Ukrainian, Belarusian, Kazakh and South-Slavic letters are included so no
#: Cyrillic name falls through to a different scheme.
_CYRILLIC: dict[str, str] = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Е": "E",
    "Ё": "E",
    "Ж": "ZH",
    "З": "Z",
    "И": "I",
    "Й": "Y",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "KH",
    "Ц": "TS",
    "Ч": "CH",
    "Ш": "SH",
    "Щ": "SHCH",
    "Ъ": "",
    "Ы": "Y",
    "Ь": "",
    "Э": "E",
    "Ю": "YU",
    "Я": "YA",
    # Ukrainian / Belarusian
    "Є": "YE",
    "І": "I",
    "Ї": "YI",
    "Ґ": "G",
    "Ў": "U",
    # Kazakh / Kyrgyz / Tatar
    "Ә": "A",
    "Ғ": "G",
    "Қ": "K",
    "Ң": "NG",
    "Ө": "O",
    "Ұ": "U",
    "Ү": "U",
    "Һ": "H",
    "Җ": "ZH",
    # Serbian / Macedonian
    "Ђ": "DJ",
    "Ј": "J",
    "Љ": "LJ",
    "Њ": "NJ",
    "Ћ": "C",
    "Џ": "DZ",
    "Ѓ": "GJ",
    "Ќ": "KJ",
    "Ѕ": "DZ",
}
_CYRILLIC_TABLE = str.maketrans(_CYRILLIC)

# Revised Romanisation of Korean with finals as pronounced (받침 neutralisation),
# which is how firms romanise their own names: 빛 → BIT, 텍 → TEK, 정 → JEONG.
_HANGUL_INITIALS = (
    "G",
    "KK",
    "N",
    "D",
    "TT",
    "R",
    "M",
    "B",
    "PP",
    "S",
    "SS",
    "",
    "J",
    "JJ",
    "CH",
    "K",
    "T",
    "P",
    "H",
)
_HANGUL_VOWELS = (
    "A",
    "AE",
    "YA",
    "YAE",
    "EO",
    "E",
    "YEO",
    "YE",
    "O",
    "WA",
    "WAE",
    "OE",
    "YO",
    "U",
    "WO",
    "WE",
    "WI",
    "YU",
    "EU",
    "UI",
    "I",
)
_HANGUL_FINALS = (
    "",
    "K",
    "K",
    "K",
    "N",
    "N",
    "N",
    "T",
    "L",
    "K",
    "M",
    "L",
    "L",
    "L",
    "P",
    "L",
    "M",
    "P",
    "P",
    "T",
    "T",
    "NG",
    "T",
    "T",
    "K",
    "T",
    "P",
    "T",
)


def _romanise_hangul_syllable(ch: str) -> str:
    """One precomposed Hangul syllable → RR with pronounced final (or anyascii)."""
    index = ord(ch) - 0xAC00
    if not 0 <= index < 11172:
        return anyascii(ch)
    initial, rest = divmod(index, 588)
    vowel, final = divmod(rest, 28)
    return _HANGUL_INITIALS[initial] + _HANGUL_VOWELS[vowel] + _HANGUL_FINALS[final]


_HAN_OR_KANA_RUN = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)


def _transliterate_cjk(match: re.Match[str]) -> str:
    """A Han/Kana run → one space-padded token of joined syllables.

    CJK writes no word spaces, so the run is kept whole (宁波海星 → NINGBOHAIXING)
    and padded so it never glues onto a neighbouring Latin word; the compact
    comparison in :func:`name_similarity` reconciles it with ``NINGBO HAIXING``.
    """
    return " " + anyascii(match.group(0)) + " "


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _transliterate_other(match: re.Match[str]) -> str:
    """A non-ASCII, non-CJK run: Hangul via the RR table, the rest via anyascii."""
    run = match.group(0)
    return "".join(
        _romanise_hangul_syllable(ch) if "\uac00" <= ch <= "\ud7a3" else anyascii(ch) for ch in run
    )


def to_latin(text: str) -> str:
    """Transliterate ``text`` to upper-case ASCII, punctuation untouched.

    Cyrillic first (fixed table), then Han/Kana runs (space-padded, see
    :func:`_transliterate_cjk`), then any remaining non-ASCII via Hangul RR or
    ``anyascii``; upper-cased at both ends so table lookups see one case.
    """
    text = text.upper()
    if not text.isascii():
        text = text.translate(_CYRILLIC_TABLE)
    if not text.isascii():
        text = _HAN_OR_KANA_RUN.sub(_transliterate_cjk, text)
        text = _NON_ASCII_RUN.sub(_transliterate_other, text)
        text = text.upper()
    return text


# --------------------------------------------------------------------------------------
# Tokenisation and legal-form removal
# --------------------------------------------------------------------------------------

# "S.P.A." → "SPA", "L.L.C" → "LLC", "A.Ş." → "AS": dotted initials are one word.
# (Spaced initials "S. A." stay apart; the table lists such aliases as "S A".)
_INITIALS = re.compile(r"(?<![A-Z0-9])(?:[A-Z]\.)+[A-Z](?![A-Z0-9])\.?")
# Apostrophes inside a word join it ("MCDONALD'S", Ukrainian "П'ЯТЬ"); elsewhere
# they are quotes.
_INNER_APOSTROPHE = re.compile(r"(?<=[A-Z0-9])['`](?=[A-Z0-9])")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def _tokenise(latin_text: str) -> list[str]:
    """Upper-case ASCII text → alphanumeric tokens (quotes and punctuation are spaces)."""
    if "." in latin_text:
        latin_text = _INITIALS.sub(lambda m: m.group(0).replace(".", ""), latin_text)
    if "'" in latin_text or "`" in latin_text:
        latin_text = _INNER_APOSTROPHE.sub("", latin_text)
    return _NON_ALNUM.sub(" ", latin_text).split()


def _alias_tokens(alias: str) -> tuple[str, ...]:
    """Alias as the token tuple a name containing it would produce."""
    return tuple(_tokenise(to_latin(unicodedata.normalize("NFKC", alias))))


@dataclass(frozen=True)
class _AliasTable:
    """Legal-form aliases by token tuple, split by where in a name they may stand."""

    anywhere: dict[tuple[str, ...], str]
    start: dict[tuple[str, ...], str]  # prefix/edge-only aliases plus ``anywhere``
    end: dict[tuple[str, ...], str]  # suffix/edge-only aliases plus ``anywhere``
    heads: dict[str, int]  # first token → longest alias starting with it
    tails: dict[str, int]  # last token → longest alias ending with it
    rank: dict[str, int]


#: Letters of an alias word that may also be written one by one ("SPA" as "S P A").
_SPELLABLE = range(2, 6)
#: Spelled-out aliases of at least this many letters count anywhere in a name.
_SPELLED_ANYWHERE = 3


def _spelled_out(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The alias with some of its short words spelled out letter by letter (not itself)."""
    options = [(t, tuple(t)) if t.isalpha() and len(t) in _SPELLABLE else (t,) for t in tokens]
    variants: list[tuple[str, ...]] = [()]
    for choice in options:
        variants = [(*v, *(c if isinstance(c, tuple) else (c,))) for v in variants for c in choice]
    return [v for v in dict.fromkeys(variants) if v != tokens]


def _build_alias_table() -> _AliasTable:
    """Compile :data:`LEGAL_FORMS` once; the first code to claim an alias keeps it."""
    anywhere: dict[tuple[str, ...], str] = {}
    start: dict[tuple[str, ...], str] = {}
    end: dict[tuple[str, ...], str] = {}
    edge = {_alias_tokens(a) for a in EDGE_ONLY}
    suffix = {_alias_tokens(a) for a in SUFFIX_ONLY}
    prefix = {_alias_tokens(a) for a in PREFIX_ONLY}
    for code, aliases in LEGAL_FORMS.items():
        for alias in aliases:
            toks = _alias_tokens(alias)
            if not toks:
                continue
            if toks in suffix:
                end.setdefault(toks, code)
            elif toks in prefix:
                start.setdefault(toks, code)
            elif toks in edge:
                start.setdefault(toks, code)
                end.setdefault(toks, code)
            else:
                anywhere.setdefault(toks, code)
    # Letters spelled out ("S P A", "G M B H", "SP Z O O"; dotted ones are spaced by
    # _space_dotted_forms): three letters or more are the form wherever they stand, as no
    # name word is written so. Two ("A T K ENTERPRISES") are as likely initials: only the
    # aliases listed so ("S A", "A S") count.
    claimed = {*anywhere, *start, *end}
    for code, aliases in LEGAL_FORMS.items():
        for alias in aliases:
            for spelled in _spelled_out(_alias_tokens(alias)):
                if spelled not in claimed and sum(map(len, spelled)) >= _SPELLED_ANYWHERE:
                    claimed.add(spelled)
                    anywhere[spelled] = code
    heads: dict[str, int] = {}
    tails: dict[str, int] = {}
    for toks in (*anywhere, *start, *end):
        heads[toks[0]] = max(heads.get(toks[0], 0), len(toks))
        tails[toks[-1]] = max(tails.get(toks[-1], 0), len(toks))
    rank = {code: i for i, code in enumerate(LEGAL_FORMS)}
    # At an edge every alias is allowed, so the longest one wins there:
    # "ABC P LTD" peels "P LTD" (PVT_LTD), not just "LTD".
    return _AliasTable(anywhere, {**anywhere, **start}, {**anywhere, **end}, heads, tails, rank)


_ALIASES = _build_alias_table()


def _space_dotted_forms(latin_text: str) -> str:
    """Dotted initials that spell a legal form, spaced ("S.P.A." → "S P A"), so that the
    form is found wherever it stands; ``_tokenise`` would join them into a word ("SPA")
    that counts only at the end of a name. Other dotted initials are left alone."""
    if "." not in latin_text:
        return latin_text
    return _INITIALS.sub(_spaced_if_form, latin_text)


def _spaced_if_form(match: re.Match[str]) -> str:
    letters = tuple(ch for ch in match.group(0) if ch != ".")
    if len(letters) >= _SPELLED_ANYWHERE and letters in _ALIASES.anywhere:
        return " " + " ".join(letters) + " "
    return match.group(0)


_DESCRIPTOR_RANK = len(_ALIASES.rank)  # a Turkish descriptor loses to any real form
_RIGOUR_RANK = len(_ALIASES.rank) + 1
_RIGOUR_FLAGS = Normalize.CASEFOLD | Normalize.NAME


def _match_at(
    tokens: Sequence[str], i: int, table: dict[tuple[str, ...], str]
) -> tuple[int, str] | None:
    """Longest alias of ``table`` starting at ``tokens[i]`` as (length, code)."""
    longest = _ALIASES.heads.get(tokens[i], 0)
    for length in range(min(longest, len(tokens) - i), 0, -1):
        code = table.get(tuple(tokens[i : i + length]))
        if code is not None:
            return length, code
    return None


def _match_end(tokens: Sequence[str], table: dict[tuple[str, ...], str]) -> tuple[int, str] | None:
    """Longest alias of ``table`` ending the token list as (length, code)."""
    longest = _ALIASES.tails.get(tokens[-1], 0)
    for length in range(min(longest, len(tokens)), 0, -1):
        code = table.get(tuple(tokens[-length:]))
        if code is not None:
            return length, code
    return None


def _strip_anywhere(tokens: list[str], found: list[tuple[int, str]]) -> bool:
    """Remove unambiguous aliases wherever they stand; True if anything changed."""
    out: list[str] = []
    i = 0
    changed = False
    table = _ALIASES.anywhere
    while i < len(tokens):
        hit = _match_at(tokens, i, table)
        if hit is None:
            out.append(tokens[i])
            i += 1
            continue
        length, code = hit
        found.append((_ALIASES.rank[code], code))
        i += length
        changed = True
    tokens[:] = out
    return changed


def _strip_edges(tokens: list[str], found: list[tuple[int, str]]) -> bool:
    """Peel one alias off each end (edge/suffix/prefix-only tables)."""
    changed = False
    hit = _match_end(tokens, _ALIASES.end) if tokens else None
    if hit is not None:
        length, code = hit
        found.append((_ALIASES.rank[code], code))
        del tokens[-length:]
        changed = True
    hit = _match_at(tokens, 0, _ALIASES.start) if tokens else None
    if hit is not None:
        length, code = hit
        found.append((_ALIASES.rank[code], code))
        del tokens[:length]
        changed = True
    return changed


def _strip_turkish_descriptor(tokens: list[str], found: list[tuple[int, str]]) -> bool:
    """Drop a trailing ``SAN VE TIC``-style run (it is not part of the firm's name)."""
    i = len(tokens)
    while i > 0 and tokens[i - 1] in TR_DESCRIPTOR_WORDS:
        i -= 1
    tail = tokens[i:]
    if i == 0 or not _TR_DESCRIPTOR_HEADS.intersection(tail):
        return False
    del tokens[i:]
    found.append((_DESCRIPTOR_RANK, _TR_DESCRIPTOR_CODE))
    return True


def _strip_rigour_suffix(tokens: list[str], found: list[tuple[int, str]]) -> bool:
    """Fallback: a legal form from rigour's org-type database ending the name.

    Only suffixes are taken, and never the whole name, because rigour's table is
    broad (``PT``, ``SE``, ``EP``...) and we must not eat a distinctive first word.
    The code is rigour's compare form upper-cased (``sp z o o`` → ``SPZOO``).
    """
    if len(tokens) < 2:
        return False
    text = " ".join(tokens).lower()
    matches = extract_org_types(text, normalize_flags=_RIGOUR_FLAGS, cleanup=Cleanup.Strong)
    if not matches:
        return False
    matched, target = matches[-1]
    alias = _tokenise(to_latin(matched))
    if not alias or len(alias) >= len(tokens) or tuple(tokens[-len(alias) :]) != tuple(alias):
        return False
    del tokens[-len(alias) :]
    code = _NON_ALNUM.sub("_", (target or matched).upper()).strip("_")
    found.append((_RIGOUR_RANK, code or "OTHER"))
    return True


_STRIPPERS: tuple[Callable[[list[str], list[tuple[int, str]]], bool], ...] = (
    _strip_edges,
    _strip_anywhere,
    _strip_turkish_descriptor,
    _strip_rigour_suffix,
)


def _remove_legal_forms(tokens: list[str], found: list[tuple[int, str]]) -> None:
    """Apply every stripper until none changes the tokens (so ``core`` is a fixed point)."""
    changed = True
    while changed and tokens:
        changed = False
        for strip in _STRIPPERS:
            if strip(tokens, found):
                changed = True


def _cut_native_forms(text: str, found: list[tuple[int, str]]) -> str:
    """Remove CJK/Hangul legal forms and translate common Han business words."""
    for form, code in _NATIVE_FORMS_LONGEST_FIRST:
        if form in text:
            text = text.replace(form, " ")
            found.append((_ALIASES.rank[code], code))
    for word, english in _HAN_WORDS_LONGEST_FIRST:
        if word in text:
            text = text.replace(word, f" {english} ")
    return text


_NATIVE_FORMS_LONGEST_FIRST = sorted(NATIVE_LEGAL_FORMS.items(), key=lambda kv: -len(kv[0]))
_HAN_WORDS_LONGEST_FIRST = sorted(HAN_WORDS.items(), key=lambda kv: -len(kv[0]))
_NEEDS_NATIVE_CUT = re.compile(r"[\u3040-\u9fff\uac00-\ud7a3\uf900-\ufaff]")


# --------------------------------------------------------------------------------------
# Phonetic skeleton
# --------------------------------------------------------------------------------------

# Multi-letter spellings → one class letter (lower case = already classified).
# Ordered: longer and more specific first.
_SKELETON_REWRITES: tuple[tuple[str, str], ...] = (
    ("TECH", "TEK"),  # English -TECH is Russian -ТЕК
    ("SHCH", "s"),
    ("SCH", "s"),
    ("CHZH", "s"),
    ("ZH", "s"),
    ("SH", "s"),
    ("TSZ", "c"),
    ("DZH", "c"),
    ("TCH", "c"),
    ("CH", "c"),
    ("TS", "s"),
    ("TZ", "s"),
    ("KH", "h"),
    ("PH", "f"),
    ("TH", "t"),
    ("GH", "k"),
    ("CK", "k"),
    ("KS", "s"),
    ("CS", "s"),
    ("QU", "k"),
    ("QI", "sI"),
)
_NG_BEFORE_CONSONANT = re.compile(r"NG(?![AEIOUY])")
_SOFT_C = re.compile(r"C(?=[EIY])")
# W after a vowel, or V after a vowel and not before one, is the vowel's glide.
_VOCALIC_VW = re.compile(r"(?<=[AEIOUY])(?:W|V(?![AEIOUY]))")
_SKELETON_CLASSES = str.maketrans(
    {
        "A": "a",
        "E": "a",
        "I": "a",
        "O": "a",
        "U": "a",
        "Y": "a",
        "B": "p",
        "P": "p",
        "D": "t",
        "T": "t",
        "G": "k",
        "K": "k",
        "Q": "k",
        "C": "k",
        "S": "s",
        "Z": "s",
        "X": "s",
        "F": "f",
        "V": "v",
        "W": "v",
        "H": "h",
        "J": "c",
        "L": "l",
        "M": "m",
        "N": "n",
        "R": "r",
    }
)
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=262_144)
def token_skeleton(token: str) -> str:
    """Cross-script consonant-class code of one upper-case ASCII token.

    Designed so Russian customs spellings of foreign names meet the original:

    1. digraphs first: ``-TECH``→``TEK``; ``SH/ZH/SCH/SHCH/CHZH/TS/TZ/KS/X`` → S
       (sibilants, incl. Palladius ``ЧЖ`` for pinyin ZH); ``CH/TCH/DZH/J/TSZ`` → C
       (affricates); ``KH``/``H`` → H; ``PH``→F; ``TH``→T; ``CK``/``QU``→K;
       pinyin ``QI`` → S (Palladius ``ЦИ``);
    2. ``NG`` before a consonant or at the end → N (pinyin/Korean ``-NG`` is ``-Н``);
    3. voiced/voiceless pairs merge: B=P, D=T, G=K=C(hard), S=Z=C(before E/I/Y);
       V and W are one class, but V/W after a vowel and not before one is a vowel
       (``AUTO`` = ``АВТО``, ``DAEWOO`` = ``ДЭУ``);
    4. vowels (A E I O U Y) are dropped after the first letter; an initial vowel
       is kept as ``A``; repeated classes collapse even across dropped vowels.

    Digit-only tokens are returned unchanged.
    """
    if token.isdigit():
        return token
    t = token
    for old, new in _SKELETON_REWRITES:
        if old in t:
            t = t.replace(old, new)
    if "NG" in t:
        t = _NG_BEFORE_CONSONANT.sub("n", t)
    if "C" in t:
        t = _SOFT_C.sub("s", t)
    if "V" in t or "W" in t:
        t = _VOCALIC_VW.sub("A", t)
    t = t.translate(_SKELETON_CLASSES)
    t = t[:1] + t[1:].replace("a", "")
    return _REPEATS.sub(r"\1", t).upper()


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameForms:
    """One party name seen several ways; see the module docstring for each view."""

    original: str  # as given
    script: str  # dominant script of the letters, see script_of()
    latin: str  # whole name in upper-case ASCII, punctuation → space, single spaces
    legal_form: str | None  # canonical code from LEGAL_FORMS (or rigour), None if none
    core: str  # latin without legal forms, quotes and punctuation
    tokens: tuple[str, ...]  # core split on spaces, in original order
    key: str  # blocking key: sorted unique core tokens, space-joined
    skeleton: str  # sorted unique token_skeleton() of the core tokens, space-joined
    generic: bool  # core empty or only GENERIC_WORDS: must never carry a match alone


def _is_generic(tokens: Iterable[str]) -> bool:
    """True when no token is distinctive (an empty core is generic too)."""
    return all(t in GENERIC_WORDS for t in tokens)


@lru_cache(maxsize=1_000_000)
def analyse_name(name: str) -> NameForms:
    """Normalise one party name into :class:`NameForms` (pure, cached, never raises).

    Steps: NFKC → cut CJK/Hangul legal forms → transliterate to upper ASCII →
    tokenise (dotted initials joined, quotes/punctuation → spaces) → strip legal
    forms to a fixed point, keeping the highest-priority code → keys.
    """
    original = "" if name is None else name if isinstance(name, str) else str(name)
    text = unicodedata.normalize("NFKC", original)
    latin = to_latin(text)
    latin_tokens = _tokenise(latin)
    found: list[tuple[int, str]] = []
    tokens = _tokenise(_space_dotted_forms(latin)) if "." in latin else latin_tokens
    if not text.isascii() and _NEEDS_NATIVE_CUT.search(text):
        tokens = _tokenise(_space_dotted_forms(to_latin(_cut_native_forms(text, found))))
    core_tokens = list(tokens)
    _remove_legal_forms(core_tokens, found)
    core = " ".join(core_tokens)
    unique = sorted(set(core_tokens))
    return NameForms(
        original=original,
        script=script_of(text),
        latin=" ".join(latin_tokens),
        legal_form=min(found)[1] if found else None,
        core=core,
        tokens=tuple(core_tokens),
        key=" ".join(unique),
        skeleton=" ".join(sorted({token_skeleton(t) for t in unique})),
        generic=_is_generic(core_tokens),
    )


# --------------------------------------------------------------------------------------
# Similarity
# --------------------------------------------------------------------------------------

#: Weight of a generic word relative to a distinctive one of the same length.
GENERIC_WEIGHT = 0.25
#: Share of the gap to 1 that each class of an agreeing skeleton closes ...
SKELETON_LIFT_PER_CLASS = 0.2
#: ... up to this share.
SKELETON_LIFT_MAX = 0.8
#: Minimum weight of a token starting with a digit.
NUMBER_WEIGHT = 4.0
#: Per-token string similarity at or below this counts as no evidence at all.
TOKEN_FLOOR = 0.5
#: Joined-core similarity that overrides token alignment (split/merged words:
#: ``NINGBOHAIXING`` vs ``NINGBO HAIXING``).
COMPACT_THRESHOLD = 0.92
#: Minimum length of a shared joined-core skeleton to count as evidence.
COMPACT_MIN_SKELETON = 4


_Info = tuple[str, bool, float, float]  # skeleton, alphabetic, weight, skeleton lift


def _weight(token: str) -> float:
    """Longer tokens carry more evidence; generic words little; numbers a lot.

    A number (``ZAVOD 1`` / ``ZAVOD 2``, branch and plant numbers) weighs at
    least :data:`NUMBER_WEIGHT` however short, because a different number means
    a different entity.
    """
    if token[0].isdigit():
        return max(float(len(token)), NUMBER_WEIGHT)
    return len(token) * (GENERIC_WEIGHT if token in GENERIC_WORDS else 1.0)


@lru_cache(maxsize=262_144)
def _token_info(token: str) -> _Info:
    """Per-token facts the pair score needs, cached (tokens recur across comparisons)."""
    skeleton = token_skeleton(token)
    lift = min(SKELETON_LIFT_MAX, SKELETON_LIFT_PER_CLASS * len(skeleton))
    return skeleton, token.isalpha(), _weight(token), lift


def _pair_similarity(a: str, b: str, ia: _Info, ib: _Info) -> float:
    """Similarity of two tokens in 0..1, sharpened so unrelated tokens score 0.

    Mean of Indel ratio and Jaro-Winkler (JW alone over-rewards a shared prefix:
    ARMENIA/AMERICA, GAZPROM/GAZPROMBANK).  Equal skeletons (phonetic agreement
    across scripts: AUTOTECH/AVTOTEK) close part of the remaining gap to 1 — a
    share of :data:`SKELETON_LIFT_PER_CLASS` per consonant class, at most
    :data:`SKELETON_LIFT_MAX`, because a two-class skeleton (NAMI = NOMA = ``NM``)
    is weak evidence and a four-class one is strong.  Then values ≤
    :data:`TOKEN_FLOOR` map to 0 and the rest rescale linearly to 1.  Tokens with
    digits must match exactly (``ZAVOD 1`` is not ``ZAVOD 2``).
    """
    if a == b:
        return 1.0
    if not (ia[1] and ib[1]):
        return 0.0
    sim = 0.5 * (_indel(a, b) + _jaro_winkler(a, b))
    if ia[0] == ib[0]:
        sim += (1.0 - sim) * ia[3]
    return (sim - TOKEN_FLOOR) / (1.0 - TOKEN_FLOOR) if sim > TOKEN_FLOOR else 0.0


_indel = Indel.normalized_similarity
_jaro_winkler = JaroWinkler.normalized_similarity


def token_similarity(a: str, b: str) -> float:
    """Similarity of two core tokens as used inside :func:`name_similarity`."""
    return _pair_similarity(a, b, _token_info(a), _token_info(b))


def _aligned_score(a: Sequence[str], b: Sequence[str]) -> float:
    """Symmetric weighted best-match alignment of two token lists.

    Each token on each side is scored against its best partner on the other side;
    the result is the weight-averaged score over *both* sides, so a distinctive
    token without a partner (ARMENIA vs AMERICA) pulls the score down.
    """
    info_b = [_token_info(tb) for tb in b]
    best_b = [0.0] * len(b)
    total = 0.0
    weights = 0.0
    for ta in a:
        ia = _token_info(ta)
        best = 0.0
        for j, tb in enumerate(b):
            s = _pair_similarity(ta, tb, ia, info_b[j])
            if s > best:
                best = s
            if s > best_b[j]:
                best_b[j] = s
        total += ia[2] * best
        weights += ia[2]
    for ib, s in zip(info_b, best_b, strict=True):
        total += ib[2] * s
        weights += ib[2]
    return total / weights if weights else 0.0


def _compact_score(a: NameForms, b: NameForms) -> float:
    """Score of the space-less cores, for names whose words are split differently.

    ``NINGBOHAIXING`` (Chinese, no word spaces) vs ``NINGBO HAIXING``, or
    ``HANBITOTOTEK`` (Korean) vs ``HANBIT AUTOTECH``.  Counts only when the joined
    strings are near-identical (Indel ≥ :data:`COMPACT_THRESHOLD`) or share a
    skeleton of at least :data:`COMPACT_MIN_SKELETON` classes; then it is the
    Indel ratio lifted as in :func:`_pair_similarity` and sharpened.
    """
    ca, cb = a.core.replace(" ", ""), b.core.replace(" ", "")
    ratio = Indel.normalized_similarity(ca, cb)
    if ratio >= COMPACT_THRESHOLD:
        return ratio
    if not (ca.isalpha() and cb.isalpha()):
        return 0.0
    skeleton = token_skeleton(ca)
    if len(skeleton) < COMPACT_MIN_SKELETON or skeleton != token_skeleton(cb):
        return 0.0
    lifted = ratio + (1.0 - ratio) * min(SKELETON_LIFT_MAX, SKELETON_LIFT_PER_CLASS * len(skeleton))
    return max(0.0, (lifted - TOKEN_FLOOR) / (1.0 - TOKEN_FLOOR))


def name_similarity(a: NameForms, b: NameForms) -> float:
    """Similarity of two analysed names in 0..1.

    * Legal forms are ignored (they are not in ``core``): ``LLC AURUS`` and
      ``ООО «АУРУС»`` score 1.0.  Use ``legal_form`` as a separate feature.
    * Identical non-empty cores, or identical ``key`` (same words in another
      order) score 1.0.
    * A generic or empty core scores 0.0 against anything but an identical core.
    * Otherwise the symmetric token alignment of :func:`_aligned_score`
      (per-token mean of Indel and Jaro-Winkler, lifted half-way to 1 when skeletons
      agree, sharpened so unrelated tokens give 0).  When the two names have a
      different number of words, the space-less comparison of
      :func:`_compact_score` may raise the score (word-splitting differences).
    """
    if a.core == b.core:
        return 1.0 if a.core else 0.0
    if a.generic or b.generic:
        return 0.0
    if a.key == b.key:
        return 1.0
    score = _aligned_score(a.tokens, b.tokens)
    if len(a.tokens) != len(b.tokens) and score < COMPACT_THRESHOLD:
        score = max(score, _compact_score(a, b))
    return score
