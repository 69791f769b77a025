"""Background trade: ordinary Russian import declarations, 2018-2024, scaled to ``rows``.

The background is what makes the sample a test and not a toy: the scenario has to be found
among realistic volumes, a partner mix that shifts after 2022-02-24, transit through the
EAEU, Türkiye and the UAE, values sometimes given only in the invoice currency, and a
small number of deliberately broken lines that ingest must quarantine rather than load.

Lines are generated a month (or part of a month) at a time with numpy, so memory stays flat
however many rows are asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from tradetrace.sample.block import BLANK, NO_AMOUNT, LineBlock
from tradetrace.sample.dates import CP1251_FROM, INVASION, days, years_of
from tradetrace.sample.population import COUNTRY_CODES, PartyArrays, SupplierChoice
from tradetrace.sample.reference import SECTORS
from tradetrace.sample.vocabulary import Vocabulary

FIRST_YEAR, LAST_YEAR = 2018, 2024
#: At most this many background lines are generated and rendered at once.
CHUNK_ROWS = 200_000

#: Relative monthly volume: year level, seasonality, COVID dip, the 2022 collapse.
YEAR_LEVEL: dict[int, float] = {2018: 1.0, 2019: 1.05, 2020: 0.95, 2021: 1.12, 2022: 0.8,
                                2023: 0.95, 2024: 1.0}  # fmt: skip
SEASON: tuple[float, ...] = (0.7, 0.95, 1.05, 1.0, 0.95, 1.0, 1.0, 0.95, 1.05, 1.1, 1.1, 1.15)
MONTH_LEVEL: dict[tuple[int, int], float] = {
    (2020, 4): 0.75, (2020, 5): 0.75, (2020, 6): 0.85,
    (2022, 1): 1.4, (2022, 2): 1.35, (2022, 3): 0.7, (2022, 4): 0.75, (2022, 5): 0.8,
}  # fmt: skip

#: Goods lines per declaration: 1 + geometric, capped.
LINES_GEOMETRIC_P = 0.4
MAX_LINES = 12
MEDIAN_LINE_USD = 8_000.0
LINE_USD_SIGMA = 1.3
MAX_LINE_USD = 5_000_000.0
PRIMARY_NAME_SHARE = 0.6
ISO_COUNTRY_SHARE = 0.07
NBSP_SHARE = 0.2
TRADING_RU_SHARE = 0.03
MADE_IN_CHINA_SHARE = 0.05
#: After the invasion: Western suppliers' goods dispatched via a hub, and hub suppliers
#: re-exporting Western-origin goods (origin != dispatch country in both cases).
WESTERN_VIA_HUB_SHARE = 0.15
HUB_REEXPORT_SHARE = 0.35
WESTERN: tuple[str, ...] = ("DE", "IT", "FR", "US", "JP", "KR")
HUBS: tuple[str, ...] = ("KZ", "AM", "AE", "TR", "KG")
#: Lines dated before this (when the ECB still quoted RUB) may carry no USD value.
MISSING_USD_UNTIL = dt.date(2022, 3, 1)
MISSING_USD_SHARE = 0.10
MANUFACTURER_SHARE = 0.9
BRAND_SHARE = 0.5
#: Invoice currency: (local currency, share before, share after, used when USD is missing).
CURRENCY_HABITS: dict[str, tuple[str, float, float, str]] = {
    "CN": ("CNY", 0.35, 0.65, "CNY"),
    "DE": ("EUR", 0.85, 0.85, "EUR"),
    "IT": ("EUR", 0.85, 0.85, "EUR"),
    "FR": ("EUR", 0.85, 0.85, "EUR"),
    "US": ("USD", 1.0, 1.0, "EUR"),
    "JP": ("JPY", 0.5, 0.5, "JPY"),
    "KR": ("KRW", 0.3, 0.3, "KRW"),
    "TR": ("TRY", 0.2, 0.25, "TRY"),
    "IN": ("INR", 0.3, 0.4, "INR"),
    "KZ": ("RUB", 0.6, 0.8, "RUB"),
    "AM": ("RUB", 0.6, 0.8, "RUB"),
    "AE": ("USD", 1.0, 1.0, "EUR"),
    "KG": ("RUB", 0.6, 0.8, "RUB"),
    "RU": ("RUB", 1.0, 1.0, "RUB"),
}

DEFECT_KINDS: tuple[str, ...] = (
    "bad_date",
    "bad_hs",
    "missing_value",
    "unknown_country",
    "no_fx_rate",
    "malformed_line",
)
DEFECT_SHARE = 0.005
#: ``no_fx_rate`` lines are dated from here: a month after the ECB's last RUB rate.
NO_FX_FROM = dt.date(2022, 4, 1)
#: Declaration numbers: 7-digit, unique for the first 9 million declarations.
SEQ_FIRST, SEQ_SPAN, SEQ_STRIDE = 1_000_000, 9_000_000, 7_654_321


@dataclass(frozen=True)
class Chunk:
    """A slice of the calendar generated and rendered at once."""

    start: int  # first day, as days since 1970-01-01
    end: int  # the day after the last
    weekdays: np.ndarray  # the days declarations are dated on
    rows: int  # background lines
    first_row: int  # global index of the first background line
    cp1251: bool  # written to the 2022-2024 file


def month_weight(year: int, month: int) -> float:
    return YEAR_LEVEL[year] * SEASON[month - 1] * MONTH_LEVEL.get((year, month), 1.0)


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def plan_chunks(rows: int) -> list[Chunk]:
    """Months 2018-01..2024-12, rows spread by volume, big months split by weekday ranges."""
    months = [(y, m) for y in range(FIRST_YEAR, LAST_YEAR + 1) for m in range(1, 13)]
    per_month = largest_remainder(rows, np.array([month_weight(*ym) for ym in months]))
    chunks, first_row = [], 0
    for (year, month), n in zip(months, per_month.tolist(), strict=True):
        start = dt.date(year, month, 1)
        end = dt.date(year + month // 12, month % 12 + 1, 1)
        all_days = np.arange(days(start), days(end))
        work = all_days[(all_days + 3) % 7 < 5]  # 1970-01-01 was a Thursday
        parts = max(1, -(-n // CHUNK_ROWS))
        sizes = largest_remainder(n, np.ones(parts))
        for i, piece in enumerate(np.array_split(work, parts)):
            chunk_start = days(start) if i == 0 else int(piece[0])
            chunk_end = days(end) if i == parts - 1 else int(work[work > piece[-1]][0])
            chunks.append(
                Chunk(chunk_start, chunk_end, piece, int(sizes[i]), first_row, start >= CP1251_FROM)
            )
            first_row += int(sizes[i])
    return chunks


@dataclass(frozen=True)
class DefectPlan:
    """Which background lines are broken on purpose: sorted global positions and kinds."""

    positions: np.ndarray
    kinds: np.ndarray  # index into DEFECT_KINDS

    def counts(self) -> dict[str, int]:
        return {k: int((self.kinds == i).sum()) for i, k in enumerate(DEFECT_KINDS)}

    def within(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.positions, [chunk.first_row, chunk.first_row + chunk.rows])
        return self.positions[lo:hi] - chunk.first_row, self.kinds[lo:hi]


def plan_defects(rows: int, chunks: list[Chunk], rng: np.random.Generator) -> DefectPlan:
    """About DEFECT_SHARE of lines, the same number of each kind, at least one each."""
    each = max(1, round(rows * DEFECT_SHARE / len(DEFECT_KINDS)))
    fx_from = next(c.first_row for c in chunks if c.start >= days(NO_FX_FROM))
    if rows - fx_from < each or rows < 2 * each * len(DEFECT_KINDS):
        raise ValueError(f"too few rows ({rows}) to place every kind of defective line")
    no_fx = DEFECT_KINDS.index("no_fx_rate")
    fx_rows = fx_from + rng.choice(rows - fx_from, each, replace=False)
    others = rng.choice(rows, each * len(DEFECT_KINDS), replace=False)
    others = others[~np.isin(others, fx_rows)][: each * (len(DEFECT_KINDS) - 1)]
    other_kinds = np.repeat([k for k in range(len(DEFECT_KINDS)) if k != no_fx], each)
    positions = np.concatenate([fx_rows, others])
    kinds = np.concatenate([np.full(each, no_fx), other_kinds])
    order = np.argsort(positions)
    return DefectPlan(positions[order], kinds[order])


class Background:
    """Generates the background lines of one chunk at a time."""

    def __init__(
        self,
        vocab: Vocabulary,
        importers: PartyArrays,
        suppliers: PartyArrays,
        choice: SupplierChoice,
        rng: np.random.Generator,
    ):
        self.vocab = vocab
        self.importers = importers
        self.suppliers = suppliers
        self.choice = choice
        self.rng = rng
        self.importer_cdf = np.cumsum(importers.weight) / importers.weight.sum()
        self.sector_goods = [np.flatnonzero(vocab.goods_sector == s) for s in range(len(SECTORS))]
        self.western = np.array([COUNTRY_CODES.index(c) for c in WESTERN])
        self.hubs = np.array([COUNTRY_CODES.index(c) for c in HUBS])
        currencies = vocab.currency_codes
        habits = [CURRENCY_HABITS[c] for c in COUNTRY_CODES]
        self.local_currency = np.array([currencies.index(h[0]) for h in habits])
        self.local_share = np.array([(h[1], h[2]) for h in habits])
        self.fallback_currency = np.array([currencies.index(h[3]) for h in habits])
        self.usd = currencies.index("USD")
        self.rub = currencies.index("RUB")
        self.declared = int(rng.integers(SEQ_SPAN))  # first declaration's serial, scrambled

    def _lines_per_declaration(self, n: int) -> np.ndarray:
        """Lines of each declaration, summing exactly to ``n``."""
        draws = []
        total = 0
        while total < n:
            more = np.minimum(self.rng.geometric(LINES_GEOMETRIC_P, n // 2 + 8), MAX_LINES)
            draws.append(more)
            total += int(more.sum())
        lines = np.concatenate(draws)
        cut = int(np.searchsorted(np.cumsum(lines), n)) + 1
        lines = lines[:cut]
        lines[-1] -= int(lines.sum()) - n
        return lines

    def lines(self, chunk: Chunk, defect_rows: np.ndarray, defect_kinds: np.ndarray) -> LineBlock:
        """The chunk's background lines, defects applied, in date order."""
        rng, vocab, sup = self.rng, self.vocab, self.suppliers
        n = chunk.rows
        per_decl = self._lines_per_declaration(n)
        n_decl = per_decl.size
        decl = np.repeat(np.arange(n_decl), per_decl)
        date = np.sort(rng.choice(chunk.weekdays, n_decl))
        after = date >= days(INVASION)

        importer = np.minimum(
            np.searchsorted(self.importer_cdf, rng.random(n_decl), side="right"),
            self.importer_cdf.size - 1,
        )
        sector = self.importers.sector[importer]
        supplier = self.choice.sample(sector, after, rng)
        home = sup.country[supplier]
        origin, dispatch, trading = self._routes(home, after)

        missing_usd = (date < days(MISSING_USD_UNTIL)) & (rng.random(n_decl) < MISSING_USD_SHARE)
        local = rng.random(n_decl) < self.local_share[home, after.astype(np.int64)]
        currency = np.where(
            missing_usd,
            self.fallback_currency[home],
            np.where(local, self.local_currency[home], self.usd),
        )

        goods = self._goods(sector[decl])
        price = vocab.goods_usd[goods] * rng.uniform(0.8, 1.25, n)
        usd = np.maximum(
            rng.lognormal(np.log(MEDIAN_LINE_USD), LINE_USD_SIGMA, n),
            price * rng.uniform(0.85, 1.15, n),
        )
        usd_cents = np.rint(np.minimum(usd, MAX_LINE_USD) * 100).astype(np.int64)
        qty, net, gross = vocab.quantities(goods, usd_cents, price, rng)
        years = years_of(date)[decl]

        supplier_l = supplier[decl]
        as_code = rng.random((4, n)) < ISO_COUNTRY_SHARE
        seq = SEQ_FIRST + ((self.declared + np.arange(n_decl)) * SEQ_STRIDE) % SEQ_SPAN
        self.declared += n_decl
        block = LineBlock(
            date=date[decl],
            post=vocab.posts[rng.integers(0, vocab.posts.size, n_decl)][decl],
            seq=seq[decl],
            line_no=np.arange(n) - np.repeat(np.cumsum(per_decl) - per_decl, per_decl) + 1,
            importer=self.importers.written_name(importer, rng, False, PRIMARY_NAME_SHARE)[decl],
            inn=self.importers.inn[importer][decl],
            importer_address=self.importers.address[importer][decl],
            exporter=sup.written_name(supplier, rng, chunk.cp1251, PRIMARY_NAME_SHARE)[decl],
            exporter_address=sup.address[supplier_l],
            exporter_country=vocab.country_text(home[decl], as_code[0]),
            origin_country=vocab.country_text(origin[decl], as_code[1]),
            dispatch_country=vocab.country_text(dispatch[decl], as_code[2]),
            trading_country=vocab.country_text(trading[decl], as_code[3]),
            hs_code=vocab.goods_tnved[goods, rng.integers(0, 2, n)],
            description=vocab.goods_description[goods, rng.integers(0, 2, n)],
            manufacturer=np.where(
                rng.random(n) < MANUFACTURER_SHARE,
                sup.names[sup.first_name[supplier_l]],
                vocab.no_maker,
            ),
            brand=np.where(rng.random(n) < BRAND_SHARE, sup.brand[supplier_l], vocab.no_brand),
            quantity_milli=qty,
            unit=vocab.goods_unit[goods],
            gross_milli=gross,
            net_milli=net,
            value_cents=vocab.invoice_cents(currency[decl], years, usd_cents),
            currency=vocab.currency[currency][decl],
            usd_cents=np.where(missing_usd[decl], NO_AMOUNT, usd_cents),
            nbsp=(rng.random(n_decl) < NBSP_SHARE)[decl],
            date_text=np.full(n, BLANK, dtype=np.int32),
            malformed=np.zeros(n, dtype=bool),
            defect=np.zeros(n, dtype=np.int8),
        )
        self._break(block, defect_rows, defect_kinds, usd_cents, years)
        return block

    def _goods(self, sector: np.ndarray) -> np.ndarray:
        """A goods entry of the importer's sector for every line."""
        goods = np.empty(sector.size, dtype=np.int64)
        for s, pool in enumerate(self.sector_goods):
            rows = np.flatnonzero(sector == s)
            goods[rows] = pool[self.rng.integers(0, pool.size, rows.size)]
        return goods

    def _routes(self, home: np.ndarray, after: np.ndarray):
        """(origin, dispatch, trading) country per declaration, transit after the invasion."""
        rng, n = self.rng, home.size
        western, hub = np.isin(home, self.western), np.isin(home, self.hubs)
        via_hub = after & western & (rng.random(n) < WESTERN_VIA_HUB_SHARE)
        dispatch = np.where(via_hub, self.hubs[rng.integers(0, self.hubs.size, n)], home)
        reexport = after & hub & (rng.random(n) < HUB_REEXPORT_SHARE)
        origin = np.where(reexport, self.western[rng.integers(0, self.western.size, n)], home)
        china, russia = COUNTRY_CODES.index("CN"), COUNTRY_CODES.index("RU")
        made_in_china = ~reexport & (home != china) & (rng.random(n) < MADE_IN_CHINA_SHARE)
        origin = np.where(made_in_china, china, origin)
        trading = np.where(rng.random(n) < TRADING_RU_SHARE, russia, home)
        return origin, dispatch, trading

    def _break(
        self,
        block: LineBlock,
        rows: np.ndarray,
        kinds: np.ndarray,
        usd_cents: np.ndarray,
        years: np.ndarray,
    ) -> None:
        """Give each planned line exactly one defect; every other field stays valid."""
        if not rows.size:
            return
        vocab, rng = self.vocab, self.rng
        block.usd_cents[rows] = usd_cents[rows]  # a defect line never also lacks USD
        block.defect[rows] = kinds + 1
        kind = np.array(DEFECT_KINDS)[kinds]
        r = rows[kind == "bad_date"]
        year_pos = years[r] - FIRST_YEAR
        block.date_text[r] = vocab.bad_dates[
            year_pos, rng.integers(0, vocab.bad_dates.shape[1], r.size)
        ]
        r = rows[kind == "bad_hs"]
        block.hs_code[r] = vocab.bad_hs[rng.integers(0, vocab.bad_hs.size, r.size)]
        r = rows[kind == "missing_value"]
        block.value_cents[r] = NO_AMOUNT
        block.usd_cents[r] = NO_AMOUNT
        r = rows[kind == "unknown_country"]
        block.origin_country[r] = vocab.unknown_country
        r = rows[kind == "no_fx_rate"]
        block.currency[r] = vocab.currency[self.rub]
        block.value_cents[r] = vocab.invoice_cents(
            np.full(r.size, self.rub), years[r], usd_cents[r]
        )
        block.usd_cents[r] = NO_AMOUNT
        block.malformed[rows[kind == "malformed_line"]] = True
