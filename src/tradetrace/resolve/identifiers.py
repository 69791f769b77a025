"""Russian company identifiers (INN, KPP, OGRN) and IMO numbers, cleaned and checked.

An identifier is the strongest resolution evidence we have — two declarations
with the same valid INN are the same taxpayer whatever the name says — and the
strongest *negative* evidence: two different valid INNs are two taxpayers.  So
every function here returns a value only when its check digits are right;
a typo'd or truncated number becomes ``None`` rather than a false link.

Check digits come from ``python-stdnum`` (``stdnum.ru.inn``, ``stdnum.ru.ogrn``,
``stdnum.imo``), with two repairs for how customs spreadsheets damage numbers:
a leading zero lost when the cell was numeric (``105012345`` → ``0105012345``)
is restored when, and only when, the padded number is valid; and an Excel float
tail (``7743237789.0``) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import imo as _imo
from stdnum.ru import inn as _inn
from stdnum.ru import ogrn as _ogrn

__all__ = [
    "identifier_conflict",
    "identifier_key",
    "ids_in_text",
    "is_valid_kpp",
    "normalise_imo",
    "normalise_inn",
    "normalise_ogrn",
    "split_inn_kpp",
]

_FLOAT_TAIL = re.compile(r"\.0+\s*$")
_NON_DIGIT = re.compile(r"\D+")


def _digits(value: object) -> str:
    """All digits of ``value`` (``str``/``int``), after dropping an Excel ``.0`` tail."""
    text = str(value).strip()
    return _NON_DIGIT.sub("", _FLOAT_TAIL.sub("", text))


def _with_lost_zero(
    digits: str, lengths: tuple[int, ...], is_valid: Callable[[str], bool]
) -> str | None:
    """``digits`` if valid, else ``"0" + digits`` if that has a wanted length and is valid."""
    if len(digits) in lengths and is_valid(digits):
        return digits
    padded = "0" + digits
    if len(padded) in lengths and is_valid(padded):
        return padded
    return None


_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
#: Shortest value kept as an identifier: "0", "1" and "-" are vendors' placeholders.
MIN_IDENTIFIER_LENGTH = 5


def identifier_key(value: object) -> str | None:
    """Any declared tax or trader id as compared, valid or not: upper-case letters and
    digits, an Excel ``.0`` tail dropped; ``None`` for a placeholder (shorter than
    :data:`MIN_IDENTIFIER_LENGTH`, or one character repeated, such as "0000000000").

    Customs ids fail their checksum for many reasons (a foreign scheme, a typo, a
    declarant's own numbering), and the same wrong number on two records is still strong
    evidence that they are one firm; :func:`normalise_inn` says whether it is also valid.
    """
    if value is None:
        return None
    text = _NON_ALNUM.sub("", _FLOAT_TAIL.sub("", str(value).strip()).upper())
    if len(text) < MIN_IDENTIFIER_LENGTH or len(set(text)) == 1:
        return None
    return text


def normalise_inn(value: str | None) -> str | None:
    """A valid Russian INN as 10 (organisation) or 12 (individual) digits, else ``None``.

    Everything but digits is ignored (``"ИНН 7743237789"``, ``"7743 237 789"``), so a
    value holding *two* numbers (``"7722476458/772201001"``) is not an INN — use
    :func:`split_inn_kpp` for those.  A single lost leading zero is restored.
    """
    if value is None:
        return None
    digits = _digits(value)
    if not digits:
        return None
    return _with_lost_zero(digits, (10, 12), _inn_is_valid)


def _inn_is_valid(number: str) -> bool:
    """stdnum's check digits, and a real region: ``0000000000`` (a common placeholder
    in customs cells) passes the checksum but region 00 does not exist."""
    return not number.startswith("00") and _inn.is_valid(number)


def _ogrn_is_valid(number: str) -> bool:
    """stdnum's OGRN check, plus 15-digit OGRNIPs whose mod-13 remainder is 10–12.

    The official rule takes the last digit of the remainder; stdnum 2.2 compares
    the whole two-digit remainder and so rejects about a quarter of real OGRNIPs.
    """
    if _ogrn.is_valid(number):
        return True
    if len(number) == 15 and number.isdigit() and number[0] in "34":
        return int(number[:-1]) % 13 % 10 == int(number[-1])
    return False


def normalise_ogrn(value: str | None) -> str | None:
    """A valid OGRN (13 digits) or OGRNIP (15 digits), else ``None``."""
    if value is None:
        return None
    digits = _digits(value)
    if not digits:
        return None
    return digits if len(digits) in (13, 15) and _ogrn_is_valid(digits) else None


# KPP = NNNN (tax office; region 00 does not exist) + PP (reason code: digits, or
# capital Latin letters A–Z since FNS order ММВ-7-6/435@ of 2012) + SSS (serial,
# never 000).  There is no check digit, so this is a format check only.
_KPP = re.compile(r"(?!00)\d{4}[0-9A-Z]{2}(?!000)\d{3}")


def is_valid_kpp(value: object) -> bool:
    """True when ``value`` (spaces ignored) is a well-formed 9-character KPP."""
    if value is None:
        return False
    text = _FLOAT_TAIL.sub("", str(value).strip()).replace(" ", "").upper()
    return _KPP.fullmatch(text) is not None


_NUMBER_RUN = re.compile(r"(?<![0-9A-Z])[0-9][0-9A-Z]{8,14}(?![0-9A-Z])")


def split_inn_kpp(value: str | None) -> tuple[str | None, str | None]:
    """Split an importer id cell into (INN, KPP); either may be ``None``.

    Handles ``"7722476458/772201001"``, ``"7722476458 772201001"``,
    ``"ИНН 7722476458 КПП 772201001"``, ``"ИНН/КПП: 7722476458/772201001"`` and
    a lone INN.  The first valid 10/12-digit INN wins; the KPP is the first other
    well-formed 9-character number.  Invalid numbers are dropped.
    """
    if not value:
        return None, None
    text = _FLOAT_TAIL.sub("", str(value)).upper()
    inn: str | None = None
    kpp: str | None = None
    for number in _NUMBER_RUN.findall(text):
        # Lost-zero repair is off here: a 9-digit KPP padded to 10 digits passes
        # the INN check digit one time in eleven.
        if inn is None and len(number) in (10, 12) and (found := normalise_inn(number)):
            inn = found
        elif kpp is None and is_valid_kpp(number):
            kpp = number
    return inn, kpp


def normalise_imo(value: str | None) -> str | None:
    """A valid 7-digit IMO ship number (``"IMO 9074729"`` → ``"9074729"``), else ``None``."""
    if value is None:
        return None
    digits = _digits(value)
    return digits if len(digits) == 7 and _imo.is_valid(digits) else None


def _kind(value: str | None) -> tuple[str, str] | None:
    """(kind, normalised) for a value that is a valid INN or OGRN, else ``None``."""
    inn = normalise_inn(value)
    if inn is not None:
        return "inn", inn
    ogrn = normalise_ogrn(value)
    if ogrn is not None:
        return "ogrn", ogrn
    return None


def identifier_conflict(a: str | None, b: str | None) -> bool:
    """True when ``a`` and ``b`` are both valid identifiers of one kind and differ.

    Kinds are told apart by validity (10/12-digit INN, 13/15-digit OGRN).  An
    invalid or missing value, or an INN against an OGRN, is *no* evidence — not a
    conflict — because a missing id must never veto a name match.
    """
    ka, kb = _kind(a), _kind(b)
    return ka is not None and kb is not None and ka[0] == kb[0] and ka[1] != kb[1]


# Labels used by OFAC/EU/UK list remarks and Russian documents.  The number must
# follow within a few non-digit characters ("Tax ID No. 7743237789 (Russia)",
# "ИНН: 7743237789", "Registration Number 5177746340998 (Russia)").
_LABELLED = re.compile(
    r"(?P<label>"
    r"tax\s+id(?:entification)?(?:\s+(?:no|number))?|taxpayer\s+identification\s+number"
    r"|\binn\b|\bинн\b"
    r"|registration\s+(?:number|id|no)\b|state\s+registration\s+number|\bogrn(?:ip)?\b"
    r"|\bpsrn\b|\bогрн(?:ип)?\b"
    r"|\bkpp\b|\bкпп\b"
    r"|\bimo\b|vessel\s+registration\s+identification\s+imo"
    r")"
    r"[^0-9]{0,12}?(?P<number>\d[\d ]{5,18}\d)(?!\d)"
    r"(?P<country>\s*\((?P<cname>[^)]{2,40})\))?",
    re.IGNORECASE,
)
_INN_KPP_PAIR = re.compile(
    r"\b(?:inn|инн)\s*/\s*(?:kpp|кпп)\W{0,5}(?P<inn>\d{10})\s*[/\\ ]\s*(?P<kpp>\d{9})(?!\d)",
    re.IGNORECASE,
)
_RUSSIA = ("russia", "russian federation", "россия", "рф")


def _label_kind(label: str) -> str:
    """Which identifier a remark label announces."""
    label = label.lower()
    if "imo" in label:
        return "imo"
    if "kpp" in label or "кпп" in label:
        return "kpp"
    if "tax" in label or label in ("inn", "инн"):
        return "inn"
    return "ogrn"


def _add(found: dict[str, list[str]], kind: str, value: str | None) -> None:
    """Append a normalised value once, keeping first-seen order."""
    if value is not None and value not in found.setdefault(kind, []):
        found[kind].append(value)


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "inn": normalise_inn,
    "ogrn": normalise_ogrn,
    "kpp": lambda v: v if is_valid_kpp(v) else None,
    "imo": normalise_imo,
}


def _first_valid(kind: str, number: str) -> str | None:
    """The number with its inner spaces removed, or else its first digit group, if valid.

    ``ИНН 7722 476 458`` is one spaced INN; ``ИНН 7722476458 772201001`` is an INN
    followed by a KPP — whichever reading validates is kept.
    """
    normalise = _NORMALISERS[kind]
    return normalise(number.replace(" ", "")) or normalise(number.split(" ", 1)[0])


def ids_in_text(text: str) -> dict[str, list[str]]:
    """Identifiers announced by a label in free text (sanctions-list remarks, notes).

    Returns ``{"inn": [...], "ogrn": [...], "kpp": [...], "imo": [...]}`` with only
    the kinds actually found, each list deduplicated in order of appearance.
    Only *valid* numbers are returned; a number tagged with a country other than
    Russia (``Registration Number 123 (Cyprus)``) is skipped unless it is an IMO
    number.  Unlabelled numbers are ignored: a bare 10-digit number in a remark
    is as likely a phone number as an INN.
    """
    found: dict[str, list[str]] = {}
    if not text:
        return found
    for m in _INN_KPP_PAIR.finditer(text):
        _add(found, "inn", normalise_inn(m["inn"]))
        if is_valid_kpp(m["kpp"]):
            _add(found, "kpp", m["kpp"])
    for m in _LABELLED.finditer(text):
        kind = _label_kind(m["label"])
        country = (m["cname"] or "").strip().lower()
        if country and kind != "imo" and country not in _RUSSIA:
            continue
        _add(found, kind, _first_valid(kind, m["number"]))
    return {kind: values for kind, values in found.items() if values}
