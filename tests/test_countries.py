"""Tests for tradetrace.reference.countries (country names/codes -> ISO2)."""

from __future__ import annotations

import duckdb
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradetrace.reference.countries import (
    EXPECTED_AMBIGUOUS_KEYS,
    ambiguous_country_keys,
    country_alias_table,
    country_key,
    country_key_sql,
    to_iso2,
    valid_iso2_codes,
    yaml_country_aliases,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("КОРЕЯ, РЕСПУБЛИКА", "КОРЕЯ РЕСПУБЛИКА"),
        ("Korea, Rep.", "KOREA REP"),
        ("TAIWAN (CHINA)", "TAIWAN CHINA"),
        ("  Соединённые   штаты ", "СОЕДИНЕННЫЕ ШТАТЫ"),
        ("Bosnia & Herzegovina", "BOSNIA HERZEGOVINA"),
        ("snake_case--name", "SNAKE CASE NAME"),
        ("...", ""),
    ],
)
def test_country_key(text: str, expected: str) -> None:
    assert country_key(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # codes
        ("KR", "KR"),
        ("KOR", "KR"),
        ("410", "KR"),
        ("004", "AF"),
        ("4", "AF"),
        ("kr", "KR"),
        # English variants
        ("KOREA, REPUBLIC OF", "KR"),
        ("SOUTH KOREA", "KR"),
        ("Republic of Korea", "KR"),
        ("Korea, Rep.", "KR"),
        ("North Korea", "KP"),
        ("TURKEY", "TR"),
        ("TÜRKIYE", "TR"),
        ("Turkiye", "TR"),
        ("RUSSIAN FEDERATION", "RU"),
        ("UAE", "AE"),
        ("HONG KONG", "HK"),
        ("Hong Kong SAR, China", "HK"),
        ("Viet Nam", "VN"),
        ("Cote d'Ivoire", "CI"),
        ("United Kingdom", "GB"),
        ("U.S.A.", "US"),
        ("GEORGIA", "GE"),
        ("CONGO", "CG"),
        ("Congo, Dem. Rep.", "CD"),
        ("Kosovo", "XK"),
        # ОКСМ short names as Russian customs writes them
        ("КОРЕЯ, РЕСПУБЛИКА", "KR"),
        ("КОРЕЯ, НАРОДНО-ДЕМОКРАТИЧЕСКАЯ РЕСПУБЛИКА", "KP"),
        ("ГЕРМАНИЯ", "DE"),
        ("ТУРЦИЯ", "TR"),
        ("КИТАЙ", "CN"),
        ("СОЕДИНЕННЫЕ ШТАТЫ", "US"),
        ("СОЕДИНЕННОЕ КОРОЛЕВСТВО", "GB"),
        ("КИРГИЗИЯ", "KG"),
        ("ОБЪЕДИНЕННЫЕ АРАБСКИЕ ЭМИРАТЫ", "AE"),
        ("ГОНКОНГ", "HK"),
        ("ТАЙВАНЬ (КИТАЙ)", "TW"),
        ("БЕЛАРУСЬ", "BY"),
        ("ИРАН, ИСЛАМСКАЯ РЕСПУБЛИКА", "IR"),
        ("ИРАН (ИСЛАМСКАЯ РЕСПУБЛИКА)", "IR"),
        ("МОЛДОВА, РЕСПУБЛИКА", "MD"),
        ("КОНГО, ДЕМОКРАТИЧЕСКАЯ РЕСПУБЛИКА", "CD"),
        ("РОССИЯ", "RU"),
        # Ё/Е equivalence
        ("СОЕДИНЁННЫЕ ШТАТЫ", "US"),
        ("ОБЪЕДИНЁННЫЕ АРАБСКИЕ ЭМИРАТЫ", "AE"),
        # everyday and full official Russian forms, any case
        ("Южная Корея", "KR"),
        ("США", "US"),
        ("Великобритания", "GB"),
        ("ОАЭ", "AE"),
        ("Турция", "TR"),
        ("казахстан", "KZ"),
        ("Республика Корея", "KR"),
        ("Федеративная Республика Германия", "DE"),
        ("Кыргызстан", "KG"),
        ("Белоруссия", "BY"),
    ],
)
def test_to_iso2(text: str, expected: str) -> None:
    assert to_iso2(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("IN, INDIA", "IN"), ("cn, China", "CN"), ("DE,GERMANY", "DE"), ("ZZ, NOWHERE", None)],
)
def test_to_iso2_vendor_code_prefix(text: str, expected: str | None) -> None:
    assert to_iso2(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "--", "ATLANTIS", "ZZ", "EU", "SU", "999"])
def test_to_iso2_unknown_or_empty(text: str | None) -> None:
    assert to_iso2(text) is None


def test_table_shape_and_values() -> None:
    table = country_alias_table()
    assert table.column_names == ["key", "iso2"]
    keys = table.column("key").to_pylist()
    codes = table.column("iso2").to_pylist()
    assert len(keys) == len(set(keys)), "one row per key"
    assert keys == sorted(keys), "deterministic order"
    assert all(key and key == country_key(key) for key in keys), "keys are already normalised"
    assert set(codes) <= valid_iso2_codes()
    pycountry_codes = {c.alpha_2 for c in pycountry.countries}
    assert pycountry_codes <= set(codes), "every current country is reachable"
    assert valid_iso2_codes() - pycountry_codes == {"XK"}


def test_table_is_cached() -> None:
    assert country_alias_table() is country_alias_table()


def test_no_unexpected_ambiguities() -> None:
    ambiguous = ambiguous_country_keys()
    assert set(ambiguous) == EXPECTED_AMBIGUOUS_KEYS, ambiguous
    table_keys = set(country_alias_table().column("key").to_pylist())
    assert not table_keys & set(ambiguous)


def test_yaml_keys_are_valid_codes_and_cover_all_countries() -> None:
    aliases = yaml_country_aliases()
    assert set(aliases) <= valid_iso2_codes()
    assert {c.alpha_2 for c in pycountry.countries} <= set(aliases), "ОКСМ name for every code"
    assert all(aliases.values()), "no empty alias lists"


def test_every_yaml_alias_resolves_to_its_code() -> None:
    wrong = {
        alias: (code, to_iso2(alias))
        for code, names in yaml_country_aliases().items()
        for alias in names
        if to_iso2(alias) != code
    }
    assert not wrong


def test_sql_key_matches_python_key() -> None:
    samples = [alias for names in yaml_country_aliases().values() for alias in names]
    samples += ["  Соединённые   штаты ", "Korea, Rep.", "a_b", "Côte d'Ivoire", "...", ""]
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT s, {country_key_sql('s')} FROM unnest(?::VARCHAR[]) AS t(s)", [samples]
    ).fetchall()
    assert {s: key for s, key in rows} == {s: country_key(s) for s in samples}


@given(st.text())
def test_country_key_is_idempotent(text: str) -> None:
    key = country_key(text)
    assert country_key(key) == key
