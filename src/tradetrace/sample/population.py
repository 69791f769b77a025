"""The fictional firms behind the background trade, and who trades with whom.

Scaled by the requested row count (about one Russian importer and one foreign supplier per
100 lines), so entity resolution and network analysis see realistic fan-in and
fan-out. Each firm has a sector; importers buy from suppliers of their own sector. The
partner mix differs before and after 2022-02-24: EU/US/JP/KR suppliers lose share and
China, Türkiye and the EAEU/Gulf transit hubs gain it, as in the published trade data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from tradetrace.sample.block import Strings
from tradetrace.sample.names import (
    FirmName,
    NameBook,
    make_inns,
    russian_address,
    supplier_address,
)
from tradetrace.sample.reference import COUNTRIES, RU_CITIES, SECTORS

COUNTRY_CODES: tuple[str, ...] = tuple(COUNTRIES)
LINES_PER_IMPORTER = 100
LINES_PER_SUPPLIER = 100
MIN_IMPORTERS = 30
MIN_SUPPLIERS = 60
#: Popularity of the n-th firm ~ 1 / n**ZIPF_EXPONENT (a few big traders, a long tail).
ZIPF_EXPONENT = 0.9

#: Partner-country share of declarations (percent) before and after 2022-02-24.
COUNTRY_SHARE: dict[str, tuple[float, float]] = {
    "CN": (30, 45),
    "DE": (12, 3),
    "IT": (7, 2.5),
    "FR": (4, 1),
    "US": (7, 1.5),
    "JP": (6, 1.5),
    "KR": (8, 3),
    "TR": (5, 10),
    "IN": (4, 6),
    "KZ": (5, 8),
    "AM": (1, 4),
    "AE": (3, 8),
    "KG": (1, 3.5),
}
#: What each country's suppliers sell, as weights over ``SECTORS``.
COUNTRY_SECTORS: dict[str, tuple[float, ...]] = {
    #     auto elec mach inst plas phar metl appr home food
    "CN": (3, 4, 3, 1, 2, 1, 2, 3, 2, 1),
    "DE": (4, 2, 4, 3, 1, 2, 1, 0, 1, 1),
    "IT": (2, 1, 3, 1, 1, 1, 1, 3, 3, 3),
    "FR": (2, 1, 1, 1, 1, 3, 1, 1, 1, 3),
    "US": (2, 3, 2, 3, 1, 3, 1, 0, 0, 1),
    "JP": (5, 3, 2, 2, 1, 1, 1, 0, 0, 0),
    "KR": (4, 4, 2, 1, 2, 0, 1, 1, 1, 1),
    "TR": (2, 1, 1, 0, 1, 0, 2, 4, 2, 4),
    "IN": (1, 0, 1, 0, 1, 4, 2, 3, 1, 2),
    "KZ": (1, 1, 1, 0, 1, 0, 3, 0, 0, 3),
    "AM": (1, 1, 0, 1, 0, 1, 1, 1, 0, 4),
    "AE": (4, 4, 2, 1, 1, 1, 0, 0, 1, 1),
    "KG": (1, 0, 0, 0, 0, 0, 1, 4, 1, 2),
}
#: What Russian importers buy, as weights over ``SECTORS``.
IMPORTER_SECTORS: tuple[float, ...] = (5, 5, 4, 2, 2, 2, 2, 3, 2, 3)


@dataclass
class Parties:
    """Firms of one role (importers or exporters) and every way each is written."""

    keys: list[str] = field(default_factory=list)
    country: list[int] = field(default_factory=list)  # index into COUNTRY_CODES
    sector: list[int] = field(default_factory=list)  # index into SECTORS, -1 for scenario firms
    names: list[int] = field(default_factory=list)  # flat Strings indices of written names
    first_name: list[int] = field(default_factory=list)
    name_count: list[int] = field(default_factory=list)
    cp1251_count: list[int] = field(default_factory=list)
    address: list[int] = field(default_factory=list)
    inn: list[int] = field(default_factory=list)
    brand: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)  # background popularity, 0 = scenario only

    def add(
        self,
        strings: Strings,
        key: str,
        country: str,
        firm: FirmName,
        *,
        sector: int = -1,
        address: str = "",
        inn: str = "",
        weight: float = 0.0,
    ) -> int:
        """Append a firm; returns its index."""
        self.keys.append(key)
        self.country.append(COUNTRY_CODES.index(country))
        self.sector.append(sector)
        self.first_name.append(len(self.names))
        self.names.extend(strings.add(n) for n in firm.names)
        self.name_count.append(len(firm.names))
        self.cp1251_count.append(firm.cp1251_count)
        self.address.append(strings.add(address))
        self.inn.append(strings.add(inn))
        self.brand.append(strings.add(firm.brand))
        self.weight.append(weight)
        return len(self.keys) - 1

    def arrays(self) -> PartyArrays:
        return PartyArrays(
            country=np.array(self.country, dtype=np.int32),
            sector=np.array(self.sector, dtype=np.int32),
            names=np.array(self.names, dtype=np.int32),
            first_name=np.array(self.first_name, dtype=np.int64),
            name_count=np.array(self.name_count, dtype=np.int64),
            cp1251_count=np.array(self.cp1251_count, dtype=np.int64),
            address=np.array(self.address, dtype=np.int32),
            inn=np.array(self.inn, dtype=np.int32),
            brand=np.array(self.brand, dtype=np.int32),
            weight=np.array(self.weight, dtype=np.float64),
        )

    def owners(self) -> dict[int, int]:
        """Strings index of every written name -> index of the firm it belongs to."""
        return {
            name: firm
            for firm, (start, count) in enumerate(
                zip(self.first_name, self.name_count, strict=True)
            )
            for name in self.names[start : start + count]
        }


@dataclass(frozen=True)
class PartyArrays:
    """:class:`Parties` as numpy arrays, for vectorised lookups."""

    country: np.ndarray
    sector: np.ndarray
    names: np.ndarray
    first_name: np.ndarray
    name_count: np.ndarray
    cp1251_count: np.ndarray
    address: np.ndarray
    inn: np.ndarray
    brand: np.ndarray
    weight: np.ndarray

    def written_name(
        self, firm: np.ndarray, rng: np.random.Generator, cp1251: bool, primary_share: float
    ) -> np.ndarray:
        """Strings index of how each firm is written on a line (the primary most often)."""
        count = (self.cp1251_count if cp1251 else self.name_count)[firm]
        other = 1 + (rng.random(firm.size) * np.maximum(count - 1, 1)).astype(np.int64)
        variant = np.where((rng.random(firm.size) < primary_share) | (count == 1), 0, other)
        return self.names[self.first_name[firm] + variant]


def zipf_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed popularity, shuffled so it does not follow creation order."""
    return rng.permutation(1.0 / np.arange(1, n + 1) ** ZIPF_EXPONENT)


def add_importers(
    parties: Parties,
    strings: Strings,
    book: NameBook,
    rng: np.random.Generator,
    n: int,
    taken_inns: set[str],
) -> None:
    """Append ``n`` background Russian importers with valid INNs and addresses."""
    rnd = book.rnd
    cities = rnd.choices(range(len(RU_CITIES)), weights=[c.weight for c in RU_CITIES], k=n)
    inns = make_inns(rng, [RU_CITIES[c].inn_region for c in cities], taken_inns)
    sectors = rng.choice(len(SECTORS), n, p=_normalised(IMPORTER_SECTORS))
    for i, (city, inn, weight) in enumerate(zip(cities, inns, zipf_weights(n, rng), strict=True)):
        firm, _ = book.importer()
        parties.add(
            strings,
            f"synthetic:importer:{i:06d}",
            "RU",
            firm,
            sector=int(sectors[i]),
            address=russian_address(city, rnd),
            inn=inn,
            weight=float(weight),
        )


def add_suppliers(
    parties: Parties, strings: Strings, book: NameBook, rng: np.random.Generator, n: int
) -> None:
    """Append ``n`` background foreign suppliers; every sector gets at least one (Chinese)."""
    countries = list(COUNTRY_SHARE)
    overall = _normalised([sum(COUNTRY_SHARE[c]) for c in countries])
    country_of = rng.choice(len(countries), n, p=overall)
    sector_of = np.empty(n, dtype=np.int64)
    for i, code in enumerate(countries):
        members = np.flatnonzero(country_of == i)
        weights = _normalised(COUNTRY_SECTORS[code])
        sector_of[members] = rng.choice(len(SECTORS), members.size, p=weights)
    seeded = min(n, len(SECTORS))
    country_of[:seeded] = countries.index("CN")
    sector_of[:seeded] = np.arange(seeded)
    for i, weight in enumerate(zipf_weights(n, rng)):
        country, sector = countries[country_of[i]], int(sector_of[i])
        parties.add(
            strings,
            f"synthetic:supplier:{country}:{i:06d}",
            country,
            book.supplier(country, sector),
            sector=sector,
            address=supplier_address(country, book.rnd),
            weight=float(weight),
        )


def _normalised(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


@dataclass(frozen=True)
class SupplierChoice:
    """Cumulative supplier distributions per (sector, period) for fast sampling."""

    firms: list[np.ndarray]  # per sector: supplier indices
    cdf: list[tuple[np.ndarray, np.ndarray]]  # per sector: (before, after)

    @staticmethod
    def build(suppliers: PartyArrays) -> SupplierChoice:
        firms, cdfs = [], []
        for sector in range(len(SECTORS)):
            members = np.flatnonzero((suppliers.sector == sector) & (suppliers.weight > 0))
            country = suppliers.country[members]
            pop = suppliers.weight[members]
            per_country = np.bincount(country, weights=pop, minlength=len(COUNTRY_CODES))
            periods = []
            for period in (0, 1):
                share = np.array(
                    [COUNTRY_SHARE.get(code, (0.0, 0.0))[period] for code in COUNTRY_CODES]
                )
                w = share[country] * pop / per_country[country]
                periods.append(np.cumsum(w) / w.sum())
            firms.append(members)
            cdfs.append((periods[0], periods[1]))
        return SupplierChoice(firms, cdfs)

    def sample(self, sector: np.ndarray, after: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One supplier per declaration, given the importer's sector and the period."""
        out = np.empty(sector.size, dtype=np.int64)
        u = rng.random(sector.size)
        for s, members in enumerate(self.firms):
            for period, cdf in enumerate(self.cdf[s]):
                rows = np.flatnonzero((sector == s) & (after == bool(period)))
                picks = np.minimum(np.searchsorted(cdf, u[rows], side="right"), members.size - 1)
                out[rows] = members[picks]
        return out


def population_sizes(rows: int) -> tuple[int, int]:
    """(importers, suppliers) for a background of ``rows`` lines."""
    return max(MIN_IMPORTERS, rows // LINES_PER_IMPORTER), max(
        MIN_SUPPLIERS, rows // LINES_PER_SUPPLIER
    )


def new_name_book(seed_rng: np.random.Generator, reserved: tuple[str, ...]) -> NameBook:
    """A :class:`NameBook` driven by a stdlib RNG seeded from ``seed_rng`` (fast scalar draws)."""
    return NameBook(random.Random(int(seed_rng.integers(2**63))), reserved)
