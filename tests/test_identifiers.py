"""Russian company identifiers: only numbers whose check digits hold become evidence.

A manual for ``tradetrace.resolve.identifiers``: INN, OGRN, KPP, the combined
importer-id cell, conflicts between identifiers, and identifiers quoted in
sanctions-list remarks.
"""

from __future__ import annotations

import pytest
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from tradetrace.resolve.identifiers import (
    identifier_conflict,
    ids_in_text,
    is_valid_kpp,
    normalise_imo,
    normalise_inn,
    normalise_ogrn,
    split_inn_kpp,
)

# Real organisations: Aurus, NAMI and three other Russian legal entities.
VALID_INNS = ["7743237789", "7711000924", "9701184553", "3905601620", "7720870441"]
VALID_OGRNS = ["5177746340998", "1027739228406"]


def broken_check_digit(number: str) -> str:
    """The same number with its (last) check digit changed, so it must fail."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def company_inn(base9: str) -> str:
    return base9 + stdnum_inn.calc_company_check_digit(base9)


def personal_inn(base10: str) -> str:
    return base10 + stdnum_inn.calc_personal_check_digits(base10)


# --- INN -------------------------------------------------------------------------------


@pytest.mark.parametrize("inn", VALID_INNS)
def test_valid_company_inns_are_kept(inn: str) -> None:
    assert normalise_inn(inn) == inn


@pytest.mark.parametrize("inn", VALID_INNS)
def test_an_inn_with_a_wrong_check_digit_is_rejected(inn: str) -> None:
    assert normalise_inn(broken_check_digit(inn)) is None


def test_personal_inns_have_12_digits_and_two_check_digits() -> None:
    inn = personal_inn("5001007322")
    assert normalise_inn(inn) == inn
    assert normalise_inn(broken_check_digit(inn)) is None


@pytest.mark.parametrize(
    ("raw", "inn"),
    [
        (" 7743237789 ", "7743237789"),
        ("ИНН 7743237789", "7743237789"),
        ("INN: 7743-237-789", "7743237789"),
        ("7743237789.0", "7743237789"),  # Excel float
        (7743237789, "7743237789"),
    ],
)
def test_inn_formatting_is_ignored(raw: str, inn: str) -> None:
    assert normalise_inn(raw) == inn


def test_a_leading_zero_lost_by_a_numeric_cell_is_restored_only_if_valid() -> None:
    inn = company_inn("010501234")  # Republic of Adygea, region 01
    assert normalise_inn(inn.lstrip("0")) == inn
    assert normalise_inn(broken_check_digit(inn).lstrip("0")) is None


@pytest.mark.parametrize("raw", [None, "", "   ", "ИНН", "123", "7722476458/772201001", "0" * 10])
def test_not_an_inn(raw: str | None) -> None:
    assert normalise_inn(raw) is None


# --- OGRN ------------------------------------------------------------------------------


@pytest.mark.parametrize("ogrn", VALID_OGRNS)
def test_valid_ogrns_are_kept(ogrn: str) -> None:
    assert normalise_ogrn(ogrn) == ogrn
    assert normalise_ogrn(f"ОГРН {ogrn}") == ogrn


@pytest.mark.parametrize("ogrn", VALID_OGRNS)
def test_an_ogrn_with_a_wrong_check_digit_is_rejected(ogrn: str) -> None:
    assert normalise_ogrn(broken_check_digit(ogrn)) is None


@pytest.mark.parametrize("ogrnip", ["385768585948949", "324219489241150"])
def test_15_digit_ogrnip_including_remainders_of_10_to_12(ogrnip: str) -> None:
    """The official rule keeps the last digit of the mod-13 remainder; stdnum 2.2
    rejects those with a two-digit remainder (324219489241150), we accept them."""
    assert normalise_ogrn(ogrnip) == ogrnip
    assert normalise_ogrn(broken_check_digit(ogrnip)) is None


def test_stdnum_gap_that_the_ogrnip_repair_covers() -> None:
    assert not stdnum_ogrn.is_valid("324219489241150")


@pytest.mark.parametrize("raw", [None, "", "7743237789", "0027739228406", "12345678901234"])
def test_not_an_ogrn(raw: str | None) -> None:
    assert normalise_ogrn(raw) is None


# --- KPP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("772201001", True),
        ("770801001", True),
        ("7722AB001", True),  # letters are allowed in the reason code (positions 5–6)
        (" 772201001 ", True),
        (772201001, True),
        ("002201001", False),  # tax office region 00 does not exist
        ("772201000", False),  # serial 000 does not exist
        ("77220100", False),  # 8 characters
        ("7722010011", False),  # 10 characters
        ("AB2201001", False),  # letters only in the reason code
        (None, False),
        ("", False),
    ],
)
def test_kpp_format(raw: object, valid: bool) -> None:
    assert is_valid_kpp(raw) is valid


# --- INN/KPP cells -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7722476458/772201001", ("7722476458", "772201001")),
        ("7722476458 772201001", ("7722476458", "772201001")),
        ("ИНН 7722476458 КПП 772201001", ("7722476458", "772201001")),
        ("ИНН/КПП: 7722476458/772201001", ("7722476458", "772201001")),
        ("7722476458", ("7722476458", None)),
        ("500100732259", ("500100732259", None)),  # individual entrepreneur: no KPP
        ("7722476450/772201001", (None, "772201001")),  # broken INN is dropped
        ("772201001", (None, "772201001")),  # a KPP is never mistaken for a padded INN
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_inn_kpp(raw: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_inn_kpp(raw) == expected


# --- Conflicts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("7743237789", "7711000924", True),  # two valid INNs: two taxpayers
        ("7743237789", "ИНН 7743237789", False),  # same INN, different formatting
        ("7743237789", broken_check_digit("7743237789"), False),  # a typo is no evidence
        ("7743237789", None, False),
        ("7743237789", "1027739228406", False),  # INN vs OGRN: not comparable
        ("5177746340998", "1027739228406", True),
        (None, None, False),
    ],
)
def test_identifier_conflict(a: str | None, b: str | None, conflict: bool) -> None:
    assert identifier_conflict(a, b) is conflict
    assert identifier_conflict(b, a) is conflict


# --- Identifiers in sanctions-list remarks -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tax ID No. 7743237789 (Russia); Registration Number 5177746340998 (Russia).",
            {"inn": ["7743237789"], "ogrn": ["5177746340998"]},
        ),
        (
            "Tax ID No. 7711000924 (Russia); Registration ID 1027739228406 (Russia); "
            "Registration Number 1027739228406 (Russia).",
            {"inn": ["7711000924"], "ogrn": ["1027739228406"]},
        ),
        (
            "ООО «Ромашка», ИНН 7722476458, КПП 772201001, ОГРН 1027739228406",
            {"inn": ["7722476458"], "kpp": ["772201001"], "ogrn": ["1027739228406"]},
        ),
        ("ИНН/КПП 7722476458/772201001", {"inn": ["7722476458"], "kpp": ["772201001"]}),
        ("Vessel Registration Identification IMO 9074729.", {"imo": ["9074729"]}),
        ("IMO 9319466; IMO 9319467", {"imo": ["9319466"]}),  # the second fails its check
        ("Registration Number 1027739228406 (Cyprus)", {}),  # not a Russian registry
        ("Tax ID No. 7743237780 (Russia)", {}),  # wrong check digit
        ("Telephone 7743237789", {}),  # unlabelled numbers are ignored
        ("", {}),
    ],
)
def test_ids_in_text(text: str, expected: dict[str, list[str]]) -> None:
    assert ids_in_text(text) == expected


def test_imo_numbers() -> None:
    assert normalise_imo("IMO 9074729") == "9074729"
    assert normalise_imo("9074728") is None
    assert normalise_imo(None) is None
