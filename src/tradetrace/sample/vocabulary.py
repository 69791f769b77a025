"""The fixed text of the sample (countries, currencies, goods, defects) as Strings indices.

Interned once, before any line is generated, so the scenario and the background refer to
the same indices and the renderer can quote every distinct string once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradetrace.sample.block import Strings
from tradetrace.sample.reference import (
    COUNTRIES,
    CUSTOMS_POSTS,
    FX_FIRST_YEAR,
    FX_PER_USD,
    HS_GOODS,
    UNKNOWN_COUNTRY,
    WHOLE_UNITS,
)

#: National extensions appended to an HS6 subheading to make a 10-digit TN VED code.
TNVED_SUFFIXES: tuple[str, ...] = ("0000", "1000", "9000", "9009", "9098", "1009", "5000", "9800")
NO_BRAND = "ОТСУТСТВУЕТ"
NO_MAKER = "НЕИЗВЕСТЕН"
#: ``bad_date`` values; "{y}" is the line's real year, so only the format is wrong.
BAD_DATE_PATTERNS: tuple[str, ...] = ("31.02.{y}", "{y}-13-01", "вчера", "00.00.{y}")
#: ``bad_hs`` values: letters, empty, a letter O for a zero.
BAD_HS_CODES: tuple[str, ...] = ("ABC", "", "87O8299000", "Н/Д")
YEARS: tuple[int, ...] = tuple(range(FX_FIRST_YEAR, FX_FIRST_YEAR + 7))


def tnved_codes(hs6: str) -> tuple[str, str]:
    """Two 10-digit TN VED codes under ``hs6`` (fixed per subheading, not random)."""
    n = int(hs6)
    return (
        hs6 + TNVED_SUFFIXES[n % len(TNVED_SUFFIXES)],
        hs6 + TNVED_SUFFIXES[(n // 7 + 3) % len(TNVED_SUFFIXES)],
    )


@dataclass(frozen=True)
class Vocabulary:
    country_ru: np.ndarray  # per COUNTRY_CODES position
    country_iso: np.ndarray
    currency_codes: tuple[str, ...]
    currency: np.ndarray  # per currency_codes position
    fx: np.ndarray  # (currency, year) units per USD
    posts: np.ndarray  # customs post codes as numbers (8 digits)
    goods_hs6: tuple[str, ...]
    goods_sector: np.ndarray  # index into SECTORS
    goods_unit: np.ndarray
    goods_usd: np.ndarray
    goods_kg: np.ndarray
    goods_tnved: np.ndarray  # (goods, 2)
    goods_description: np.ndarray  # (goods, 2): plain, with a model number
    whole_units: np.ndarray
    no_brand: int
    no_maker: int
    unknown_country: int
    bad_dates: np.ndarray  # (year, pattern)
    bad_hs: np.ndarray

    @staticmethod
    def build(strings: Strings, sectors: tuple[str, ...]) -> Vocabulary:
        add = strings.add
        currency_codes = tuple(FX_PER_USD)
        return Vocabulary(
            country_ru=strings.add_all(COUNTRIES.values()),
            country_iso=strings.add_all(COUNTRIES),
            currency_codes=currency_codes,
            currency=strings.add_all(currency_codes),
            fx=np.array([FX_PER_USD[c] for c in currency_codes]),
            posts=np.array([int(p) for p in CUSTOMS_POSTS], dtype=np.int64),
            goods_hs6=tuple(g.hs6 for g in HS_GOODS),
            goods_sector=np.array([sectors.index(g.sector) for g in HS_GOODS]),
            goods_unit=strings.add_all(g.unit for g in HS_GOODS),
            goods_usd=np.array([g.usd_per_unit for g in HS_GOODS]),
            goods_kg=np.array([g.kg_per_unit for g in HS_GOODS]),
            goods_tnved=np.array([strings.add_all(tnved_codes(g.hs6)) for g in HS_GOODS]),
            goods_description=np.array(
                [
                    strings.add_all((g.description, f"{g.description}, МОДЕЛЬ {g.hs6[2:]}-{i:02d}"))
                    for i, g in enumerate(HS_GOODS)
                ]
            ),
            whole_units=strings.add_all(sorted(WHOLE_UNITS)),
            no_brand=add(NO_BRAND),
            no_maker=add(NO_MAKER),
            unknown_country=add(UNKNOWN_COUNTRY),
            bad_dates=np.array(
                [strings.add_all(p.format(y=y) for p in BAD_DATE_PATTERNS) for y in YEARS]
            ),
            bad_hs=strings.add_all(BAD_HS_CODES),
        )

    def goods_index(self, hs6: str) -> int:
        return self.goods_hs6.index(hs6)

    def country_text(self, country: np.ndarray, as_code: np.ndarray) -> np.ndarray:
        """Strings index of each country as written: ОКСМ name, or the ISO2 code."""
        return np.where(as_code, self.country_iso[country], self.country_ru[country])

    def invoice_cents(self, currency: np.ndarray, years: np.ndarray, usd_cents: np.ndarray):
        """Invoice value in each line's currency (``currency`` = position in currency_codes)."""
        rate = self.fx[currency, np.clip(years - YEARS[0], 0, len(YEARS) - 1)]
        return np.rint(usd_cents * rate).astype(np.int64)

    def quantities(
        self,
        goods: np.ndarray,
        usd_cents: np.ndarray,
        unit_price: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(quantity, net kg, gross kg) in thousandths for lines of a given value."""
        whole = np.isin(self.goods_unit[goods], self.whole_units)
        qty = usd_cents / 100 / unit_price
        qty_milli = np.where(
            whole, np.maximum(1, np.rint(qty)) * 1000, np.maximum(1, np.rint(qty * 1000))
        ).astype(np.int64)
        net = qty_milli * self.goods_kg[goods] * rng.uniform(0.85, 1.15, goods.size)
        net_milli = np.maximum(1, np.rint(net)).astype(np.int64)
        gross = net_milli * rng.uniform(1.02, 1.12, goods.size)
        gross_milli = np.maximum(net_milli + 1, np.rint(gross)).astype(np.int64)
        return qty_milli, net_milli, gross_milli
