"""The AURUS scenario: a known answer hidden in the synthetic background.

Modelled on a published Reuters investigation into parts supplied to LLC Aurus, the Russian
limousine maker (real name, real INN 7743237789 and the Alabuga address from its OFAC
designation of 2024-02-23). Its suppliers here are FICTIONAL. The dollar figures are fixed
so that an analysis run on the sample can be checked to the cent: 2018-2023 imports of
exactly $34,000,000.00, of which $15,500,000.00 from South Korea; $16,000,000.00 on or after
the invasion of 2022-02-24, of which $5,000,000.00 from South Korea. One Korean supplier
keeps shipping after the US designation, partly via Kazakhstan and Armenia.

Amounts are drawn in integer cents per (supplier, period) bucket and the last line of each
bucket absorbs the rounding, so the totals are exact. The scenario has its own random
stream: it is the same whatever number of background rows is asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradetrace.sample.block import BLANK, LineBlock, Strings
from tradetrace.sample.dates import CP1251_FROM, INVASION, days, iso, weekdays, years_of
from tradetrace.sample.names import FirmName
from tradetrace.sample.population import COUNTRY_CODES, Parties
from tradetrace.sample.reference import FX_PER_USD
from tradetrace.sample.vocabulary import Vocabulary

AURUS_KEY = "synthetic:aurus"
AURUS_INN = "7743237789"
AURUS_NAMES: tuple[str, ...] = (
    "ООО «АУРУС»",
    'ООО "АУРУС"',
    "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «АУРУС»",
    "ООО АУРУС",
    "LLC AURUS",
    "OOO AURUS",
)
AURUS_NAME_WEIGHTS: tuple[float, ...] = (0.35, 0.15, 0.15, 0.15, 0.10, 0.10)
AURUS_ADDRESS_MOSCOW = "125438, Г. МОСКВА, УЛ. АВТОМОТОРНАЯ, Д. 2"
AURUS_ADDRESS_ALABUGA = (
    "423601, РЕСПУБЛИКА ТАТАРСТАН, ЕЛАБУЖСКИЙ Р-Н, ТЕРРИТОРИЯ ОЭЗ «АЛАБУГА», УЛ. Ш-2, ЗД. 4/1"
)
ALABUGA_FROM = dt.date(2021, 1, 1)
#: Declaration serial numbers of the scenario: below the background's (1,000,000 and up).
SEQ_RANGE = (10_000, 1_000_000)
MOSCOW_POSTS: tuple[int, ...] = (10005030, 10013160)
TATARSTAN_POST = 10404083

WINDOW_START = dt.date(2018, 1, 1)
WINDOW_END = dt.date(2023, 12, 31)  # inclusive: the figures cover 2018-2023
DESIGNATION = dt.date(2024, 2, 23)
EARLY_2024 = (dt.date(2024, 1, 9), dt.date(2024, 2, 22))
AFTER_DESIGNATION = (dt.date(2024, 3, 1), dt.date(2024, 9, 30))
AFTER_DESIGNATION_DECLARATIONS = 5

#: Declarations per bucket ~ bucket value / this; goods lines per declaration are
#: 1 + Binomial(n, p): 1..4 in 2018-2023, 1..3 in 2024.
USD_PER_DECLARATION = 180_000
EXTRA_LINES = (3, 0.45)
EXTRA_LINES_2024 = (2, 0.5)
#: Share of declarations invoiced in the supplier's main currency (else any of its currencies).
MAIN_CURRENCY_SHARE = 0.75
MIN_LINE_CENTS = 1_000_00
#: Relative weight of each calendar year when dating a bucket's declarations.
YEAR_WEIGHTS: dict[int, float] = {2018: 0.6, 2019: 1.3, 2020: 1.3, 2021: 1.4, 2022: 1.0, 2023: 1.0}
#: Share of post-invasion Korean declarations dispatched from KZ or AM instead of KR.
TRANSIT_SHARE = 0.4
TRANSIT_COUNTRIES: tuple[str, ...] = ("KZ", "AM")
INN_BLANK_SHARE = 0.15
ISO_COUNTRY_SHARE = 0.07
NBSP_SHARE = 0.2
#: Trade marks on AURUS lines: the car's own, the supplier's, or none.
BRAND_ODDS: tuple[float, float, float] = (0.4, 0.4, 0.2)
PRIMARY_NAME_SHARE = 0.5
#: Scenario parts cost more than the catalogue's typical unit price.
PRICE_PREMIUM = 2.5


@dataclass(frozen=True)
class ScenarioSupplier:
    key: str
    country: str
    names: tuple[str, ...]  # primary first; Hangul (not writable in cp1251) last
    address: str
    brand: str
    goods: tuple[tuple[str, str], ...]  # (10-digit TN VED, description)
    before_cents: int  # 2018-01-01 .. 2022-02-23
    after_cents: int  # 2022-02-24 .. 2023-12-31
    early_2024_declarations: int  # 2024-01-09 .. 2024-02-22, before the designation
    currencies: tuple[str, ...]  # invoice currencies, the first most often


HANBIT = ScenarioSupplier(
    "synthetic:aurus-supplier:KR:hanbit-autotech",
    "KR",
    (
        "HANBIT AUTOTECH CO., LTD",
        "Hanbit Autotech Co Ltd",
        "HANBIT AUTOTECH CO.,LTD.",
        "ХАНБИТ АВТОТЕК КО., ЛТД",
        "한빛오토텍 주식회사",
    ),
    "45, SANDAN-RO 67BEON-GIL, SEONGSAN-GU, CHANGWON-SI, GYEONGSANGNAM-DO, REPUBLIC OF KOREA",
    "HANBIT",
    (
        ("8708299009", "ПАНЕЛЬ КУЗОВА ЗАДНЯЯ ДЛЯ ЛЕГКОВОГО АВТОМОБИЛЯ"),
        ("8708299009", "ПАНЕЛЬ ПОЛА КУЗОВА ЦЕНТРАЛЬНАЯ ДЛЯ ПРОМЫШЛЕННОЙ СБОРКИ"),
        ("8708299009", "УСИЛИТЕЛЬ СТОЙКИ КУЗОВА СРЕДНЕЙ"),
        ("8708109009", "УСИЛИТЕЛЬ ПЕРЕДНЕГО БАМПЕРА"),
        ("8708999709", "ПОДРАМНИК ПЕРЕДНИЙ В СБОРЕ"),
    ),
    before_cents=4_600_000_00,
    after_cents=2_400_000_00,
    early_2024_declarations=2,
    currencies=("USD", "KRW"),
)
SUPPLIERS: tuple[ScenarioSupplier, ...] = (
    HANBIT,
    ScenarioSupplier(
        "synthetic:aurus-supplier:KR:gaon-precision",
        "KR",
        (
            "GAON PRECISION CO., LTD",
            "GAON PRECISION CO.,LTD",
            "ГАОН ПРЕСИЖН КО., ЛТД",
            "가온정밀 주식회사",
        ),
        "112, CHEOMDANGWAGI-RO 208BEON-GIL, BUK-GU, GWANGJU, REPUBLIC OF KOREA",
        "GAON",
        (
            ("9026202000", "ДАТЧИК ДАВЛЕНИЯ"),
            ("9026202000", "ДАТЧИК ДАВЛЕНИЯ МАСЛА ДВИГАТЕЛЯ"),
            ("9026108900", "ДАТЧИК УРОВНЯ ОХЛАЖДАЮЩЕЙ ЖИДКОСТИ"),
            ("9031808000", "СИСТЕМА КОНТРОЛЯ ГЕОМЕТРИИ КУЗОВА ИЗМЕРИТЕЛЬНАЯ"),
            ("9032900000", "БЛОК УПРАВЛЕНИЯ (ЧАСТЬ РЕГУЛЯТОРА) ДЛЯ СИСТЕМЫ КЛИМАТ-КОНТРОЛЯ"),
        ),
        before_cents=2_200_000_00,
        after_cents=1_100_000_00,
        early_2024_declarations=0,
        currencies=("USD", "KRW"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:KR:nurian-electric",
        "KR",
        (
            "NURIAN ELECTRIC CO., LTD",
            "Nurian Electric Co., Ltd.",
            "НУРИАН ЭЛЕКТРИК КО., ЛТД",
            "누리안전기 주식회사",
        ),
        "23, SEONGSEOGONGDAN-RO 11-GIL, DALSEO-GU, DAEGU, REPUBLIC OF KOREA",
        "NURIAN",
        (
            ("8536501900", "ВЫКЛЮЧАТЕЛЬ"),
            ("8536501900", "ПЕРЕКЛЮЧАТЕЛЬ ПОДРУЛЕВОЙ"),
            ("8536900100", "РАЗЪЕМ ЭЛЕКТРИЧЕСКИЙ НА НАПРЯЖЕНИЕ НЕ БОЛЕЕ 1000 В"),
        ),
        before_cents=1_600_000_00,
        after_cents=800_000_00,
        early_2024_declarations=1,
        currencies=("USD",),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:KR:mirae-weldtech",
        "KR",
        (
            "MIRAE WELDTECH CO., LTD",
            "MIRAE WELDTECH CO LTD",
            "МИРЭ ВЕЛДТЕК КО., ЛТД",
            "미래웰드텍 주식회사",
        ),
        "88, NAMDONGSEO-RO 215BEON-GIL, NAMDONG-GU, INCHEON, REPUBLIC OF KOREA",
        "MIRAE",
        (
            ("8515210000", "АППАРАТ ДЛЯ КОНТАКТНОЙ СВАРКИ"),
            ("8515210000", "КЛЕЩИ СВАРОЧНЫЕ РОБОТИЗИРОВАННЫЕ"),
            ("8515310000", "АППАРАТ ДЛЯ ДУГОВОЙ СВАРКИ АВТОМАТИЧЕСКИЙ"),
            ("8515801000", "УСТАНОВКА ЛАЗЕРНОЙ СВАРКИ"),
        ),
        before_cents=2_100_000_00,
        after_cents=700_000_00,
        early_2024_declarations=0,
        currencies=("USD", "KRW"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:CN:ningbo-haixing-auto-trading",
        "CN",
        (
            "NINGBO HAIXING AUTO TRADING CO., LTD",
            "NINGBO HAIXING AUTO TRADING CO.,LTD.",
            "Ningbo Haixing Auto Trading Co., Ltd.",
            "НИНБО ХАЙСИН АВТО ТРЕЙДИНГ КО., ЛТД",
        ),
        "ROOM 1203, NO. 88 ZHONGSHAN EAST ROAD, YINZHOU DISTRICT, NINGBO, ZHEJIANG, CHINA",
        "HAIXING",
        (
            ("8708809109", "АМОРТИЗАТОР ПОДВЕСКИ ПЕРЕДНИЙ"),
            ("8708809109", "РЫЧАГ ПОДВЕСКИ НИЖНИЙ"),
            ("8708943509", "КОЛОНКА РУЛЕВАЯ РЕГУЛИРУЕМАЯ"),
            ("8708405009", "КАРТЕР КОРОБКИ ПЕРЕДАЧ"),
        ),
        before_cents=2_600_000_00,
        after_cents=4_600_000_00,
        early_2024_declarations=2,
        currencies=("CNY", "USD"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:CN:guangzhou-huaxin-auto-parts",
        "CN",
        (
            "GUANGZHOU HUAXIN AUTO PARTS CO., LTD",
            "GUANGZHOU HUAXIN AUTO PARTS CO LTD",
            "ГУАНЧЖОУ ХУАСИНЬ АВТО ПАРТС КО., ЛТД",
        ),
        "NO. 35 HUANGPU AVENUE WEST, TIANHE DISTRICT, GUANGZHOU, GUANGDONG, CHINA",
        "HUAXIN",
        (
            ("8708309109", "ДИСК ТОРМОЗНОЙ ВЕНТИЛИРУЕМЫЙ"),
            ("8708309109", "СУППОРТ ТОРМОЗНОЙ"),
            ("8708705009", "ДИСК КОЛЕСНЫЙ ЛЕГКОСПЛАВНЫЙ"),
            ("8512200009", "ФАРА ГОЛОВНОГО СВЕТА СВЕТОДИОДНАЯ"),
        ),
        before_cents=1_900_000_00,
        after_cents=3_400_000_00,
        early_2024_declarations=1,
        currencies=("CNY", "USD"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:IN:kaveri-boltcraft-exports",
        "IN",
        (
            "KAVERI BOLTCRAFT EXPORTS PVT LTD",
            "KAVERI BOLTCRAFT EXPORTS PVT. LTD.",
            "KAVERI BOLTCRAFT EXPORTS PRIVATE LIMITED",
        ),
        "PLOT NO. 17, SIPCOT INDUSTRIAL PARK, SRIPERUMBUDUR, TAMIL NADU 602105, INDIA",
        "BOLTCRAFT",
        (
            ("7318158900", "БОЛТ С ШЕСТИГРАННОЙ ГОЛОВКОЙ ИЗ ЛЕГИРОВАННОЙ СТАЛИ"),
            ("7318169900", "ГАЙКА САМОКОНТРЯЩАЯСЯ"),
            ("7318220009", "ШАЙБА ПРУЖИННАЯ"),
        ),
        before_cents=900_000_00,
        after_cents=1_200_000_00,
        early_2024_declarations=0,
        currencies=("USD", "INR"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:TR:ozturk-otomotiv",
        "TR",
        (
            "OZTURK OTOMOTIV SAN. VE TIC. A.S.",
            "OZTURK OTOMOTIV SANAYI VE TICARET A.S.",
            "ОЗТЮРК ОТОМОТИВ САН. ВЕ ТИДЖ. А.Ш.",
        ),
        "NILUFER ORGANIZE SANAYI BOLGESI, 12. CADDE NO: 24, NILUFER/BURSA, TURKIYE",
        "OZTURK",
        (
            ("9401200000", "СИДЕНЬЕ ЗАДНЕЕ ДЛЯ ЛЕГКОВОГО АВТОМОБИЛЯ"),
            ("8708210009", "РЕМЕНЬ БЕЗОПАСНОСТИ С ПРЕДНАТЯЖИТЕЛЕМ"),
            ("4016930005", "УПЛОТНИТЕЛЬ ДВЕРИ РЕЗИНОВЫЙ"),
        ),
        before_cents=700_000_00,
        after_cents=1_800_000_00,
        early_2024_declarations=1,
        currencies=("EUR", "USD"),
    ),
    ScenarioSupplier(
        "synthetic:aurus-supplier:IT:carrozzeria-torinese",
        "IT",
        (
            "CARROZZERIA TORINESE S.P.A.",
            "CARROZZERIA TORINESE SPA",
            "КАРРОЦЦЕРИЯ ТОРИНЕЗЕ С.П.А.",
        ),
        "VIA PIETRO CAMPANA 17, 10125 TORINO (TO), ITALY",
        "TORINESE",
        (
            ("8708299009", "ПАНЕЛЬ КРЫШИ КУЗОВА"),
            ("8708299009", "КАПОТ ДВИГАТЕЛЯ АЛЮМИНИЕВЫЙ"),
            ("8708109009", "БАМПЕР ЗАДНИЙ В СБОРЕ"),
        ),
        before_cents=1_400_000_00,
        after_cents=0,
        early_2024_declarations=0,
        currencies=("EUR",),
    ),
)


@dataclass(frozen=True)
class Scenario:
    """The scenario's lines plus what is needed to state its expected figures."""

    block: LineBlock  # sorted by date
    supplier: np.ndarray  # per line: index into SUPPLIERS
    origin_iso: np.ndarray  # per line: ISO2 of the origin country
    dispatch_iso: np.ndarray  # per line: ISO2 of the dispatch country


def split_cents(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``parts`` amounts of at least MIN_LINE_CENTS summing exactly to ``total``."""
    spare = total - parts * MIN_LINE_CENTS
    if spare < 0:
        raise ValueError(f"cannot split {total} cents into {parts} lines")
    weights = rng.lognormal(0.0, 0.6, parts)
    amounts = np.floor(weights / weights.sum() * spare).astype(np.int64) + MIN_LINE_CENTS
    amounts[-1] += total - amounts.sum()
    return amounts


@dataclass(frozen=True)
class _Declarations:
    supplier: int
    dates: np.ndarray
    lines: np.ndarray  # goods lines per declaration
    cents: np.ndarray | None  # per line, or None for random 2024 amounts


def _dated(rng: np.random.Generator, first: dt.date, last: dt.date, n: int) -> np.ndarray:
    candidates = weekdays(first, last)
    weight = np.array([YEAR_WEIGHTS.get(int(y), 1.0) for y in years_of(candidates)])
    return np.sort(rng.choice(candidates, n, p=weight / weight.sum()))


def _buckets(rng: np.random.Generator) -> list[_Declarations]:
    """Declarations of every (supplier, period) bucket, with line amounts for 2018-2023."""
    periods = (
        (WINDOW_START, INVASION - dt.timedelta(days=1), "before_cents"),
        (INVASION, WINDOW_END, "after_cents"),
    )
    out = []
    for index, supplier in enumerate(SUPPLIERS):
        for first, last, attr in periods:
            total = getattr(supplier, attr)
            if not total:
                continue
            n = max(1, round(total / 100 / USD_PER_DECLARATION))
            lines = 1 + rng.binomial(*EXTRA_LINES, n)
            cents = split_cents(total, int(lines.sum()), rng)
            out.append(_Declarations(index, _dated(rng, first, last, n), lines, cents))
        if supplier.early_2024_declarations:
            n = supplier.early_2024_declarations
            lines = 1 + rng.binomial(*EXTRA_LINES_2024, n)
            out.append(_Declarations(index, _dated(rng, *EARLY_2024, n), lines, None))
    n = AFTER_DESIGNATION_DECLARATIONS
    dates = _dated(rng, *AFTER_DESIGNATION, n)
    lines = 1 + rng.binomial(*EXTRA_LINES_2024, n)
    out.append(_Declarations(SUPPLIERS.index(HANBIT), dates, lines, None))
    return out


def build_scenario(
    seed: int,
    strings: Strings,
    vocab: Vocabulary,
    importers: Parties,
    exporters: Parties,
) -> Scenario:
    """Register AURUS and its suppliers as parties and generate all scenario lines."""
    rng = np.random.default_rng([seed, 0xA0])
    importers.add(
        strings, AURUS_KEY, "RU", FirmName(AURUS_NAMES, "AURUS"),
        address=AURUS_ADDRESS_ALABUGA, inn=AURUS_INN,
    )  # fmt: skip
    for s in SUPPLIERS:
        exporters.add(strings, s.key, s.country, FirmName(s.names, s.brand), address=s.address)
    buckets = _buckets(rng)
    n_declarations = sum(b.dates.size for b in buckets)
    seqs = rng.choice(np.arange(*SEQ_RANGE), size=n_declarations, replace=False)
    blocks, supplier_of_line, origin, dispatch = [], [], [], []
    used = 0
    for bucket in buckets:
        n = bucket.dates.size
        block, origin_iso, dispatch_iso = _lines(
            rng, strings, vocab, SUPPLIERS[bucket.supplier], bucket, seqs[used : used + n]
        )
        used += n
        blocks.append(block)
        supplier_of_line.append(np.full(len(block), bucket.supplier))
        origin.append(origin_iso)
        dispatch.append(dispatch_iso)
    block = LineBlock.concat(blocks)
    order = np.argsort(block.date, kind="stable")
    return Scenario(
        block.take(order),
        np.concatenate(supplier_of_line)[order],
        np.concatenate(origin)[order],
        np.concatenate(dispatch)[order],
    )


def _lines(
    rng: np.random.Generator,
    strings: Strings,
    vocab: Vocabulary,
    supplier: ScenarioSupplier,
    bucket: _Declarations,
    seqs: np.ndarray,
) -> tuple[LineBlock, np.ndarray, np.ndarray]:
    """Lines of one bucket's declarations (declaration fields repeated on each line)."""
    n_decl = bucket.dates.size
    decl = np.repeat(np.arange(n_decl), bucket.lines)
    n = decl.size
    dates = bucket.dates[decl]
    is_korean = supplier.country == "KR"
    transit = is_korean & (bucket.dates >= days(INVASION)) & (rng.random(n_decl) < TRANSIT_SHARE)
    dispatch_code = np.where(transit, rng.choice(TRANSIT_COUNTRIES, n_decl), supplier.country)[decl]
    home = COUNTRY_CODES.index(supplier.country)
    dispatch_idx = np.array([COUNTRY_CODES.index(c) for c in dispatch_code])
    as_code = rng.random((4, n)) < ISO_COUNTRY_SHARE

    in_moscow = bucket.dates < days(ALABUGA_FROM)
    posts = np.where(
        in_moscow,
        np.array(MOSCOW_POSTS)[rng.integers(0, len(MOSCOW_POSTS), n_decl)],
        TATARSTAN_POST,
    )
    address = np.where(
        in_moscow, strings.add(AURUS_ADDRESS_MOSCOW), strings.add(AURUS_ADDRESS_ALABUGA)
    )
    importer = strings.add_all(AURUS_NAMES)[
        rng.choice(len(AURUS_NAMES), n_decl, p=AURUS_NAME_WEIGHTS)
    ]
    inn = np.where(rng.random(n_decl) < INN_BLANK_SHARE, BLANK, strings.add(AURUS_INN))
    exporter = _exporter_names(rng, strings, supplier, bucket.dates)

    goods_pick = rng.integers(0, len(supplier.goods), n)
    tnved = np.array([strings.add(supplier.goods[g][0]) for g in goods_pick], dtype=np.int32)
    description = np.array([strings.add(supplier.goods[g][1]) for g in goods_pick], dtype=np.int32)
    goods = np.array([vocab.goods_index(supplier.goods[g][0][:6]) for g in goods_pick])
    brand_pick = rng.choice(3, n, p=BRAND_ODDS)
    brand = np.choose(
        brand_pick, [strings.add("AURUS"), strings.add(supplier.brand), vocab.no_brand]
    )

    cents = bucket.cents if bucket.cents is not None else _random_cents(rng, n)
    currency_pick = np.where(
        rng.random(n_decl) < MAIN_CURRENCY_SHARE,
        0,
        rng.integers(0, len(supplier.currencies), n_decl),
    )[decl]
    currency_pos = np.array(
        [tuple(FX_PER_USD).index(supplier.currencies[c]) for c in currency_pick], dtype=np.int64
    )
    unit_price = vocab.goods_usd[goods] * PRICE_PREMIUM * rng.uniform(0.8, 1.25, n)
    qty, net, gross = vocab.quantities(goods, cents, unit_price, rng)
    line_no = np.arange(n) - np.repeat(np.cumsum(bucket.lines) - bucket.lines, bucket.lines) + 1
    block = LineBlock(
        date=dates.astype(np.int64),
        post=posts[decl],
        seq=seqs[decl].astype(np.int64),
        line_no=line_no.astype(np.int64),
        importer=importer[decl],
        inn=inn[decl],
        importer_address=address[decl],
        exporter=exporter[decl],
        exporter_address=np.full(n, strings.add(supplier.address), dtype=np.int32),
        exporter_country=vocab.country_text(np.full(n, home), as_code[0]),
        origin_country=vocab.country_text(np.full(n, home), as_code[1]),
        dispatch_country=vocab.country_text(dispatch_idx, as_code[2]),
        trading_country=vocab.country_text(np.full(n, home), as_code[3]),
        hs_code=tnved,
        description=description,
        manufacturer=np.full(n, strings.add(supplier.names[0]), dtype=np.int32),
        brand=brand,
        quantity_milli=qty,
        unit=vocab.goods_unit[goods],
        gross_milli=gross,
        net_milli=net,
        value_cents=vocab.invoice_cents(currency_pos, years_of(dates), cents),
        currency=vocab.currency[currency_pos],
        usd_cents=cents,
        nbsp=(rng.random(n_decl) < NBSP_SHARE)[decl],
        date_text=np.full(n, BLANK, dtype=np.int32),
        malformed=np.zeros(n, dtype=bool),
        defect=np.zeros(n, dtype=np.int8),
    )
    return block, np.full(n, supplier.country), dispatch_code


def _exporter_names(
    rng: np.random.Generator, strings: Strings, supplier: ScenarioSupplier, dates: np.ndarray
) -> np.ndarray:
    """How the supplier is written on each declaration; no Hangul in the cp1251 years."""
    names = strings.add_all(supplier.names)
    writable = FirmName(supplier.names, supplier.brand).cp1251_count
    count = np.where(dates < days(CP1251_FROM), len(names), writable)
    other = 1 + (rng.random(dates.size) * np.maximum(count - 1, 1)).astype(np.int64)
    return names[np.where(rng.random(dates.size) < PRIMARY_NAME_SHARE, 0, other)]


def _random_cents(rng: np.random.Generator, n: int) -> np.ndarray:
    """Amounts of the 2024 lines (not part of the fixed figures)."""
    usd = np.maximum(MIN_LINE_CENTS / 100, rng.lognormal(np.log(60_000), 0.6, n))
    return np.rint(usd * 100).astype(np.int64)


def expected_figures(scenario: Scenario) -> dict[str, Any]:
    """The figures an analysis of the sample must reproduce (recorded in the manifest)."""
    block = scenario.block
    window = (block.date >= days(WINDOW_START)) & (block.date <= days(WINDOW_END))
    after = block.date >= days(INVASION)
    korean = np.array([SUPPLIERS[s].country == "KR" for s in scenario.supplier])

    def usd(mask: np.ndarray) -> float:
        return int(block.usd_cents[mask].sum()) / 100

    post = block.date > days(DESIGNATION)
    hanbit = scenario.supplier == SUPPLIERS.index(HANBIT)
    transit = window & after & korean & (scenario.dispatch_iso != "KR")
    by_origin = {
        code: usd(window & (scenario.origin_iso == code))
        for code in dict.fromkeys(s.country for s in SUPPLIERS)
    }
    return {
        "importer": AURUS_NAMES[0],
        "entity_key": AURUS_KEY,
        "inn": AURUS_INN,
        "name_variants": list(AURUS_NAMES),
        "window": [WINDOW_START.isoformat(), WINDOW_END.isoformat()],
        "invasion_date": INVASION.isoformat(),
        "total_2018_2023": usd(window),
        "kr_2018_2023": usd(window & korean),
        "before_invasion_2018_2023": usd(window & ~after),
        "kr_before_invasion_2018_2023": usd(window & ~after & korean),
        "after_invasion_2018_2023": usd(window & after),
        "kr_after_invasion_2018_2023": usd(window & after & korean),
        "by_origin_2018_2023": by_origin,
        "lines_2018_2023": int(window.sum()),
        "declarations_2018_2023": _declarations(block, window),
        "kr_transit_declarations_after_invasion": _declarations(block, transit),
        "transit_dispatch_countries": sorted(set(scenario.dispatch_iso[transit].tolist())),
        "lines_total": len(block),
        "us_designation_date": DESIGNATION.isoformat(),
        "after_designation": {
            "supplier_entity_key": HANBIT.key,
            "declarations": _declarations(block, post),
            "lines": int(post.sum()),
            "only_supplier": bool(np.all(hanbit[post])),
            "value_usd": usd(post),
            "first_date": iso(block.date[post].min()),
            "last_date": iso(block.date[post].max()),
        },
        "supplier_entity_keys": [s.key for s in SUPPLIERS],
        "distinct_supplier_entities": len(SUPPLIERS),
    }


def _declarations(block: LineBlock, mask: np.ndarray) -> int:
    return len(set(zip(block.seq[mask].tolist(), block.date[mask].tolist(), strict=True)))
