"""FX reference: ECB-derived USD rates, user rate files, currency aliases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pycountry
import pytest

from tradetrace.reference import fx
from tradetrace.reference.fx import (
    CURRENCY_ALIASES,
    RATES_SCHEMA,
    currency_alias_table,
    ecb_usd_rates,
    load_user_rates,
    normalise_currency,
)


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the FX cache at a temporary XDG_CACHE_HOME for the whole module."""
    home = tmp_path_factory.mktemp("xdg_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def rates(cache_home: Path) -> dict[tuple[str, dt.date], float]:
    return {
        (row["currency"], row["date"]): row["usd_per_unit"] for row in ecb_usd_rates().to_pylist()
    }


def test_cache_is_written_and_reused(cache_home: Path) -> None:
    first = ecb_usd_rates()
    files = list((cache_home / "tradetrace").glob("ecb_usd_rates-*.parquet"))
    assert len(files) == 1
    assert fx.cache_dir() == cache_home / "tradetrace"
    second = ecb_usd_rates()
    assert second.equals(first)
    assert ecb_usd_rates(use_cache=False).equals(first)


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "rates.parquet"
    path.write_bytes(b"not parquet")
    table = ecb_usd_rates(cache_path=path)
    assert table.schema.equals(RATES_SCHEMA)
    assert ecb_usd_rates(cache_path=path).equals(table)


def test_schema_and_order(cache_home: Path) -> None:
    table = ecb_usd_rates()
    assert table.schema.equals(RATES_SCHEMA)
    assert set(table.column("source").to_pylist()) == {"ecb"}
    assert table.num_rows > 300_000
    keys = list(zip(table["currency"].to_pylist(), table["date"].to_pylist(), strict=True))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    currencies = set(table["currency"].to_pylist())
    assert {"USD", "EUR", "RUB", "CNY", "TRY", "KRW", "JPY", "INR", "GBP"} <= currencies


def test_eur_usd_known_date(rates: dict) -> None:
    # ECB reference rate on 2019-01-02 was 1.1397 USD per EUR.
    assert rates["EUR", dt.date(2019, 1, 2)] == pytest.approx(1.1397)
    assert 1.10 < rates["EUR", dt.date(2019, 1, 2)] < 1.18


def test_cross_rate_plausible(rates: dict) -> None:
    # A yen was worth a little under one US cent in early 2019.
    assert 0.008 < rates["JPY", dt.date(2019, 1, 2)] < 0.0095
    assert 0.012 < rates["RUB", dt.date(2022, 2, 25)] < 0.013


def test_weekend_filled_from_friday(rates: dict) -> None:
    friday, saturday, sunday = dt.date(2019, 1, 4), dt.date(2019, 1, 5), dt.date(2019, 1, 6)
    assert rates["EUR", saturday] == rates["EUR", friday]
    assert rates["EUR", sunday] == rates["EUR", friday]
    assert rates["EUR", dt.date(2019, 1, 7)] != rates["EUR", friday]


def test_rub_stops_seven_days_after_last_ecb_rate(rates: dict) -> None:
    assert ("RUB", dt.date(2022, 2, 25)) in rates
    assert rates["RUB", dt.date(2022, 3, 8)] == rates["RUB", dt.date(2022, 3, 1)]
    assert ("RUB", dt.date(2022, 3, 9)) not in rates
    assert not any(cur == "RUB" and day > dt.date(2022, 3, 8) for cur, day in rates)


def test_usd_is_one(cache_home: Path) -> None:
    table = ecb_usd_rates().filter(pc.equal(pc.field("currency"), "USD"))
    assert table.num_rows > 10_000
    assert set(table.column("usd_per_unit").to_pylist()) == {1.0}


def test_every_calendar_day_for_eur(cache_home: Path) -> None:
    days = ecb_usd_rates().filter(pc.equal(pc.field("currency"), "EUR"))["date"].to_pylist()
    assert all((b - a).days == 1 for a, b in zip(days, days[1:], strict=False))


# --- user rates -------------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_user_rates(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "currency,date,usd_per_unit\nRUB,2023-05-02,0.0125\nруб,2023-05-03,0.0126\n"
        "XYZ,2023-05-03,2\n",
    )
    table = load_user_rates(path)
    assert table.schema.equals(RATES_SCHEMA)
    assert table.to_pylist() == [
        {"currency": "RUB", "date": dt.date(2023, 5, 2), "usd_per_unit": 0.0125, "source": "user"},
        {"currency": "RUB", "date": dt.date(2023, 5, 3), "usd_per_unit": 0.0126, "source": "user"},
        {"currency": "XYZ", "date": dt.date(2023, 5, 3), "usd_per_unit": 2.0, "source": "user"},
    ]


def test_user_rates_concat_with_ecb(tmp_path: Path) -> None:
    user = load_user_rates(_csv(tmp_path, "currency,date,usd_per_unit\nRUB,2023-05-02,0.0125\n"))
    combined = pa.concat_tables([ecb_usd_rates(use_cache=False), user])
    assert combined.schema.equals(RATES_SCHEMA)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("RUB,02.05.2023,0.0125", r"rates\.csv:3: column 'date': '02\.05\.2023'"),
        ("RUB,2023-05-02,abc", r"rates\.csv:3: column 'usd_per_unit': 'abc'"),
        ("RUB,2023-05-02,-1", r"rates\.csv:3: column 'usd_per_unit': '-1'"),
        ("RUB,2023-05-02,", r"rates\.csv:3: column 'usd_per_unit'"),
        ("рубли?,2023-05-02,1", r"rates\.csv:3: column 'currency'"),
        ("RUB,2023-05-01,0.0125", r"rates\.csv:3: duplicate rate for RUB on 2023-05-01"),
    ],
)
def test_user_rates_errors_name_line_and_column(tmp_path: Path, body: str, message: str) -> None:
    path = _csv(tmp_path, f"currency,date,usd_per_unit\nRUB,2023-05-01,0.0126\n{body}\n")
    with pytest.raises(ValueError, match=message):
        load_user_rates(path)


def test_user_rates_missing_column(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"rates\.csv:1: missing column\(s\) usd_per_unit"):
        load_user_rates(_csv(tmp_path, "currency,date,rate\nRUB,2023-05-01,0.01\n"))


# --- aliases ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("643", "RUB"),
        ("840", "USD"),
        ("978", "EUR"),
        ("156", "CNY"),
        ("410", "KRW"),
        ("392", "JPY"),
        ("949", "TRY"),
        ("356", "INR"),
        ("398", "KZT"),
        ("РУБ", "RUB"),
        ("RUR", "RUB"),
        ("РУБЛЬ", "RUB"),
        ("ДОЛЛАР США", "USD"),
        ("USD", "USD"),
        ("ЕВРО", "EUR"),
        ("EUR", "EUR"),
        ("ЮАНЬ", "CNY"),
        ("CNY", "CNY"),
        ("RMB", "CNY"),
        ("ВОН", "KRW"),
        ("ЙЕНА", "JPY"),
        ("ЛИРА", "TRY"),
    ],
)
def test_currency_aliases(raw: str, iso: str) -> None:
    assert CURRENCY_ALIASES[raw] == iso
    assert normalise_currency(raw.lower()) == iso


def test_normalise_currency_messy_input() -> None:
    assert normalise_currency("  руб. ") == "RUB"
    assert normalise_currency("доллар   сша") == "USD"
    assert normalise_currency(643) == "RUB"
    assert normalise_currency("36") == "AUD"
    assert normalise_currency("ДОЛЛАР") is None  # ambiguous on purpose
    assert normalise_currency(None) is None
    assert normalise_currency("") is None


def test_numeric_codes_derived_from_pycountry() -> None:
    for cur in pycountry.currencies:
        assert CURRENCY_ALIASES[cur.alpha_3] == cur.alpha_3
        if getattr(cur, "numeric", None):
            assert CURRENCY_ALIASES[cur.numeric] == cur.alpha_3


def test_currency_alias_table() -> None:
    table = currency_alias_table()
    assert table.schema.names == ["key", "currency"]
    keys = table.column("key").to_pylist()
    assert keys == [k.upper() for k in keys]
    assert len(keys) == len(set(keys)) == len(CURRENCY_ALIASES)
    pairs = dict(zip(keys, table.column("currency").to_pylist(), strict=True))
    assert pairs["643"] == "RUB" and pairs["РУБ"] == "RUB"
