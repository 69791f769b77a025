"""Fictional firm names, addresses and INNs in the patterns real declarations use.

Entity resolution is only testable if the same firm is written several ways, the way
Russian declarants actually write foreign and Russian counterparties: legal-form
punctuation variants ("CO., LTD" / "CO.,LTD." / "COMPANY LIMITED"), title case, a
Cyrillic transliteration ("ХАНБИТ АВТОТЕК КО., ЛТД"), the Korean name in Hangul, and for
Russian firms «ёлочки» vs "straight" quotes vs none vs the legal form spelled out.

Every name is invented from common words and surnames. Bodies are kept unique per role
(case and punctuation ignored), so each name as written belongs to exactly one true firm;
well-known company names are blocked.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tradetrace.sample.reference import RU_CITIES, RU_STREETS

#: Extra ways (beyond the primary) a firm is written: 0, 1 or 2 with these odds.
EXTRA_VARIANT_ODDS: tuple[float, float, float] = (0.35, 0.40, 0.25)
#: Name words that would spell a real, well-known company; never generated.
BLOCKED_WORDS: frozenset[str] = frozenset(
    {
        "SAMSUNG",
        "DAEWOO",
        "HANWHA",
        "KUMHO",
        "DONGWON",
        "HANSHIN",
        "SEORA",
        "HYUNDAI",
        "HANJIN",
        "SHINHAN",
        "TAEKWANG",
        "ILJIN",
        "SUNGWOO",
        "SUZUKI",
        "NOMURA",
        "УРАЛМАШ",
        "РОСТЕХ",
        "ЕВРОХИМ",
    }
)
#: Plain draws before a clashing name body gets a qualifier (then a number) appended.
PLAIN_NAME_ATTEMPTS = 40
MAX_NAME_ATTEMPTS = 200
#: Weights of the checksum digit of a 10-digit (legal entity) INN.
INN_WEIGHTS = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8])

RU_LEGAL_FORMS: tuple[tuple[str, str, float], ...] = (
    ("ООО", "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", 0.80),
    ("АО", "АКЦИОНЕРНОЕ ОБЩЕСТВО", 0.15),
    ("ПАО", "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО", 0.05),
)
RU_PREFIXES = (
    "ТЕХНО", "УРАЛ", "СИБ", "ВОЛГА", "ПРОМ", "АВТО", "ЭЛЕКТРО", "МЕТАЛЛ", "СТРОЙ", "АГРО", "ФАРМ",
    "НЕВА", "КАМА", "ДОН", "БАЛТ", "СЕВЕР", "ВОСТОК", "ЦЕНТР", "ИНТЕР", "ГЛОБАЛ", "МЕГА", "ТРАНС",
    "ЭНЕРГО", "ХИМ", "ТЕКС", "МЕД", "ОКА", "ВЯТКА", "АЛЬФА", "ВЕКТОР", "ЕВРО", "РОС", "ЛЕС", "СПЕЦ",
    "ПРОФ", "ГЕО", "ТЕРМО", "ГИДРО", "АЭРО", "ЭКО", "БИО", "ОПТИ", "ДАЛЬ", "АМУР", "БАЙКАЛ", "ЯМАЛ",
    "КУБАНЬ", "ИРТЫШ", "ТОМЬ",
)  # fmt: skip
#: Share of Russian names with a second prefix ("СИБ" + "УРАЛ" + "СНАБ").
RU_SECOND_PREFIX_SHARE = 0.3
RU_MIDDLES = ("", "", "", "МАШ", "ПРОМ", "ТЕХ", "СНАБ", "ТОРГ")
RU_SUFFIXES = (
    "СНАБ", "КОМПЛЕКТ", "ТОРГ", "ИМПОРТ", "СЕРВИС", "ПОСТАВКА", "ТЕХ", "ЛАЙН", "ГРУПП", "ПРОМ",
    "МАШ", "СТАЛЬ", "ДЕТАЛЬ", "ТРЕЙД", "ЛОГИСТИК", "СИСТЕМС", "РЕСУРС", "СТРОЙ", "МАРКЕТ", "ЦЕНТР",
    "ОПТ", "ПРИБОР", "ИНЖИНИРИНГ", "КОНТРАКТ", "ЭКСПОРТ", "ХОЛДИНГ", "ТЕХНИКА",
)  # fmt: skip
RU_TAILS = (
    "", "", "", "", "", "", "-М", "-ПЛЮС", " ПЛЮС", "-ЦЕНТР", "-ЮГ", "-СЕВЕР", "-2000", "-К",
    "-Т", "-НН", "-СПБ",
)  # fmt: skip

#: Latin -> Cyrillic, longest match first; a rough version of how declarants transliterate.
TRANSLIT: tuple[tuple[str, str], ...] = (
    ("AUTO", "АВТО"), ("TECH", "ТЕК"), ("SHCH", "Щ"), ("SH", "Ш"), ("CH", "Ч"), ("ZH", "Ж"),
    ("KH", "Х"), ("TS", "Ц"), ("PH", "Ф"), ("OO", "У"), ("EE", "И"), ("AE", "Э"), ("EO", "О"),
    ("EU", "Ы"), ("CK", "К"), ("QU", "КВ"), ("YA", "Я"), ("YU", "Ю"), ("YO", "Ё"), ("A", "А"),
    ("B", "Б"), ("C", "К"), ("D", "Д"), ("E", "Е"), ("F", "Ф"), ("G", "Г"), ("H", "Х"),
    ("I", "И"), ("J", "ДЖ"), ("K", "К"), ("L", "Л"), ("M", "М"), ("N", "Н"), ("O", "О"),
    ("P", "П"), ("Q", "К"), ("R", "Р"), ("S", "С"), ("T", "Т"), ("U", "У"), ("V", "В"),
    ("W", "В"), ("X", "КС"), ("Y", "Й"), ("Z", "З"),
)  # fmt: skip
_TRANSLIT_RE = re.compile("|".join(re.escape(src) for src, _ in TRANSLIT))
_TRANSLIT_MAP = dict(TRANSLIT)
_NOT_ALNUM = re.compile(r"[\W_]+")
_HANGUL = re.compile("[\uac00-\ud7a3]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")

#: Legal form -> (alternative spellings, Cyrillic spelling, title-case spelling).
LEGAL_FORMS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "CO., LTD": (("CO.,LTD.", "CO LTD", "COMPANY LIMITED"), "КО., ЛТД", "Co., Ltd."),
    "CO., LTD.": (("CO.,LTD", "CO LTD"), "КО., ЛТД.", "Co., Ltd."),
    "SAN. VE TIC. A.S.": (
        ("SANAYI VE TICARET A.S.", "SAN.VE TIC.A.S.", "SAN. TIC. A.S."),
        "САН. ВЕ ТИДЖ. А.Ш.",
        "San. ve Tic. A.S.",
    ),
    "SAN. VE TIC. LTD. STI.": (
        ("SANAYI VE TICARET LIMITED SIRKETI", "SAN.TIC.LTD.STI."),
        "САН. ВЕ ТИДЖ. ЛТД. ШТИ.",
        "San. ve Tic. Ltd. Sti.",
    ),
    "S.P.A.": (("SPA", "S.P.A"), "С.П.А.", "S.p.A."),
    "S.R.L.": (("SRL", "S.R.L"), "С.Р.Л.", "S.r.l."),
    "GMBH": (("G.M.B.H.", "GMBH."), "ГМБХ", "GmbH"),
    "GMBH & CO. KG": (("GMBH & CO KG", "GMBH&CO.KG"), "ГМБХ УНД КО. КГ", "GmbH & Co. KG"),
    "AG": (("A.G.",), "АГ", "AG"),
    "SAS": (("S.A.S.",), "САС", "SAS"),
    "SARL": (("S.A.R.L.",), "САРЛ", "SARL"),
    "INC.": (("INC", "INCORPORATED"), "ИНК.", "Inc."),
    "LLC": (("L.L.C.",), "ЛЛК", "LLC"),
    "CORPORATION": (("CORP.", "CORP"), "КОРПОРЕЙШН", "Corporation"),
    "PVT LTD": (("PVT. LTD.", "PRIVATE LIMITED"), "ПВТ ЛТД", "Pvt Ltd"),
    "LIMITED": (("LTD", "LTD."), "ЛИМИТЕД", "Limited"),
    "L.L.C": (("LLC", "L.L.C."), "Л.Л.К.", "L.L.C"),
    "FZE": (("F.Z.E.",), "ФЗЕ", "FZE"),
    "FZCO": (("F.Z.CO",), "ФЗКО", "FZCO"),
}
#: Cyrillic legal forms of the EAEU neighbours: short, spelled out, Latin equivalent.
CIS_FORMS: dict[str, tuple[str, str, str]] = {
    "KZ": ("ТОО", "ТОВАРИЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", "LLP"),
    "KG": ("ОсОО", "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ", "LLC"),
}

SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    # sector order: auto electrical machinery instruments plastics pharma metals apparel home food
    "CN": ("AUTO PARTS", "ELECTRONICS", "MACHINERY", "INSTRUMENT", "PLASTIC PRODUCTS",
           "PHARMACEUTICAL", "STEEL", "GARMENT", "FURNITURE", "FOOD"),
    "JP": ("JIDOSHA BUHIN", "DENKI", "KIKAI", "SEIKI", "KAGAKU", "SEIYAKU", "KINZOKU", "SENI",
           "KAGU", "SHOKUHIN"),
    "DE": ("FAHRZEUGTEILE", "ELEKTROTECHNIK", "MASCHINENBAU", "MESSTECHNIK",
           "KUNSTSTOFFTECHNIK", "PHARMA", "METALLWERK", "TEXTIL", "MOEBELWERK", "FEINKOST"),
    "IT": ("COMPONENTI AUTO", "ELETTRONICA", "MECCANICA", "STRUMENTI", "MATERIE PLASTICHE",
           "FARMACEUTICI", "ACCIAI", "TESSILE", "ARREDAMENTI", "ALIMENTARI"),
    "FR": ("EQUIPEMENTS AUTOMOBILES", "ELECTRONIQUE", "MECANIQUE", "INSTRUMENTS", "PLASTURGIE",
           "PHARMA", "METALLURGIE", "TEXTILES", "AMEUBLEMENT", "ALIMENTATION"),
    "US": ("AUTOMOTIVE", "ELECTRONICS", "MACHINERY", "INSTRUMENTS", "POLYMERS",
           "PHARMACEUTICALS", "METALS", "APPAREL", "FURNISHINGS", "FOODS"),
    "TR": ("OTOMOTIV", "ELEKTRONIK", "MAKINA", "OLCUM CIHAZLARI", "PLASTIK", "ILAC", "METAL",
           "TEKSTIL", "MOBILYA", "GIDA"),
    "IN": ("AUTO COMPONENTS", "ELECTRONICS", "ENGINEERING", "INSTRUMENTS", "POLYMERS", "PHARMA",
           "FORGINGS", "TEXTILES", "HOME FURNISHINGS", "AGRO FOODS"),
    "AE": ("AUTO SPARE PARTS", "ELECTRONICS", "MACHINERY", "TECHNICAL EQUIPMENT", "POLYMERS",
           "MEDICAL SUPPLIES", "STEEL", "TEXTILES", "FURNITURE", "FOODSTUFF"),
    "AM": ("AUTO", "TECH", "MACHINERY", "INSTRUMENTS", "POLYMERS", "PHARM", "METAL", "TEXTILE",
           "HOME", "FOOD"),
}  # fmt: skip
KR_SECTOR_WORDS: tuple[tuple[str, str], ...] = (
    ("AUTOTECH", "오토텍"), ("ELECTRONICS", "전자"), ("MACHINERY", "기계"),
    ("PRECISION", "정밀"), ("CHEMICAL", "화학"), ("PHARM", "제약"), ("METAL", "금속"),
    ("TEXTILE", "섬유"), ("LIVING", "리빙"), ("FOODS", "식품"),
)  # fmt: skip
KR_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("HAN", "한"), ("DAE", "대"), ("SAM", "삼"), ("SE", "세"), ("DONG", "동"), ("KUM", "금"),
    ("SUNG", "성"), ("HWA", "화"), ("YOUNG", "영"), ("JIN", "진"), ("MYUNG", "명"),
    ("SHIN", "신"), ("WOO", "우"), ("IL", "일"), ("WON", "원"), ("SAN", "산"), ("YANG", "양"),
    ("HO", "호"), ("KWANG", "광"), ("CHANG", "창"), ("MIN", "민"), ("SEO", "서"), ("NAM", "남"),
    ("BAEK", "백"), ("GIL", "길"), ("JU", "주"), ("TAE", "태"), ("HYUN", "현"),
    ("KYUNG", "경"), ("SUN", "선"), ("JEONG", "정"), ("YU", "유"), ("BO", "보"), ("MI", "미"),
    ("SOO", "수"), ("HEE", "희"), ("JAE", "재"), ("SEOK", "석"), ("CHUN", "천"), ("HA", "하"),
    ("DO", "도"), ("RAE", "래"), ("IN", "인"), ("MOON", "문"), ("GEON", "건"),
)  # fmt: skip
KR_GENERIC_WORDS: tuple[tuple[str, str], ...] = (
    ("INDUSTRIAL", "산업"), ("TECH", "테크"), ("GLOBAL", "글로벌"), ("SYSTEMS", "시스템"),
)  # fmt: skip
CN_SYLLABLES = (
    "HUA", "XIN", "JIN", "LONG", "HONG", "DA", "YUAN", "FENG", "SHENG", "TIAN", "YI", "JIA", "HE",
    "HENG", "TAI", "RUI", "BO", "KAI", "ZHONG", "DONG", "FANG", "WEI", "KANG", "HAO", "RUN", "MING",
    "YANG", "JUN", "FEI", "BAO", "CHENG", "DE", "FU", "GUANG", "HAI", "LI", "MEI", "NAN", "QI",
    "SHUN", "TONG", "WAN", "XING", "YONG", "ZHI",
)  # fmt: skip
CN_CITIES: tuple[tuple[str, str], ...] = (
    ("SHENZHEN", "GUANGDONG"), ("GUANGZHOU", "GUANGDONG"), ("DONGGUAN", "GUANGDONG"),
    ("FOSHAN", "GUANGDONG"), ("NINGBO", "ZHEJIANG"), ("HANGZHOU", "ZHEJIANG"),
    ("WENZHOU", "ZHEJIANG"), ("YIWU", "ZHEJIANG"), ("SHANGHAI", "SHANGHAI"),
    ("SUZHOU", "JIANGSU"), ("WUXI", "JIANGSU"), ("CHANGZHOU", "JIANGSU"),
    ("XIAMEN", "FUJIAN"), ("QINGDAO", "SHANDONG"), ("TIANJIN", "TIANJIN"),
)  # fmt: skip
SURNAMES: dict[str, tuple[str, ...]] = {
    "JP": (
        "TAKAHASHI", "YAMAMOTO", "NAKAMURA", "KOBAYASHI", "WATANABE", "ISHIKAWA", "MATSUMOTO",
        "INOUE", "KIMURA", "HAYASHI", "SHIMIZU", "YAMAZAKI", "MORI", "IKEDA", "HASHIMOTO", "OGAWA",
        "OKADA", "FUJIWARA", "NISHIMURA", "AOKI", "SAKAI", "KONDO", "MURAKAMI", "ENDO", "MAEDA",
        "TANAKA", "ITO", "YOSHIDA", "YAMADA", "SASAKI", "YAMAGUCHI", "NAKAJIMA", "ABE", "FUJITA",
        "OKAMOTO", "GOTO", "HASEGAWA", "ISHII", "SAITO", "KOJIMA", "ONO", "TAMURA", "MIYAZAKI",
        "UEDA", "SUGIYAMA", "CHIBA", "IWASAKI", "NOGUCHI", "MATSUI", "KIKUCHI", "ARAI", "WADA",
        "KUDO", "SAKAMOTO", "MIURA", "HARADA", "SHIBATA", "ISHIDA", "KOIKE",
    ),
    "DE": (
        "MUELLER", "SCHNEIDER", "HOFMANN", "BERGER", "KRAUSE", "WEBER", "BAUER", "RICHTER", "KLEIN",
        "WOLF", "NEUMANN", "SCHWARZ", "ZIMMERMANN", "HARTMANN", "LANGE", "WERNER", "HUBER",
        "KAISER", "FUCHS", "VOGEL", "FRANKE", "ALBRECHT", "LORENZ", "SEIDEL", "BRANDT", "HAAS",
        "SCHULTE", "DIETRICH", "ENGEL", "JUNG", "KOCH", "SCHMITT", "PETERS", "SCHOLZ", "MOELLER",
        "KELLER", "GUENTHER", "FRANK", "BERGMANN", "PFEIFFER", "WINKLER", "ROTH", "BECK", "LUDWIG",
        "SIMON", "BOEHM", "WINTER", "KRAUS", "MARTIN", "SCHUBERT",
    ),
    "IT": (
        "ROSSI", "BIANCHI", "COLOMBO", "RICCI", "MARINO", "GRECO", "BRUNO", "GALLO", "CONTI",
        "COSTA", "GIORDANO", "MANCINI", "RIZZO", "LOMBARDI", "MORETTI", "BARBIERI", "FONTANA",
        "SANTORO", "MARIANI", "RINALDI", "CARUSO", "FERRARA", "GALLI", "MARTINI", "LEONE", "LONGO",
        "GENTILE", "MARTINELLI", "VITALE", "SERRA", "FERRETTI", "BENEDETTI", "PELLEGRINI",
        "PALUMBO", "SANNA", "FARINA", "RIZZI", "MONTI", "CATTANEO", "MORELLI",
    ),
    "FR": (
        "DUBOIS", "MOREAU", "LAURENT", "LEFEBVRE", "GARNIER", "FONTAINE", "ROUSSEAU", "BLANC",
        "GUERIN", "MERCIER", "BOYER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "PERRIN",
        "ROBIN", "CLEMENT", "MOREL", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FAURE", "ANDRE",
        "ROUX", "VINCENT", "MULLER", "HENRY", "ROUSSEL",
    ),
    "US": (
        "JOHNSON", "MILLER", "ANDERSON", "CARTER", "MITCHELL", "PARKER", "HAYES", "BROOKS", "REED",
        "FOSTER", "BENNETT", "COLLINS", "MORGAN", "PRICE", "SULLIVAN", "WALLACE", "HUNTER",
        "PORTER", "WARREN", "GRANT", "HARRISON", "GRAHAM", "SPENCER", "BRADLEY", "DAWSON",
        "FLETCHER", "GARDNER", "HOLLAND", "KENNEDY", "LAWRENCE", "MARSHALL", "NEWMAN", "OLSEN",
        "PEARSON", "QUINN", "RICHARDS", "STEVENS", "TUCKER", "WEBB", "YOUNG",
    ),
    "TR": (
        "YILDIZ", "AYDIN", "KAYA", "DEMIR", "CELIK", "SAHIN", "ARSLAN", "DOGAN", "KILIC", "ASLAN",
        "CETIN", "KARA", "KOCAK", "KURT", "OZDEMIR", "POLAT", "YILMAZ", "OZKAN", "SIMSEK", "AKSOY",
        "TURAN", "GUNES", "KORKMAZ", "TEKIN", "BULUT", "ALTUN", "ACAR", "UNAL", "KARACA", "OZTURK",
        "AKTAS", "BAYRAM", "CAKIR", "DOGRU", "EROGLU", "GUL", "IPEK", "KAPLAN", "OZER", "SARI",
        "TASKIN", "UYSAL", "YAVUZ", "ZENGIN",
    ),
    "IN": (
        "SHREE", "BHARAT", "GANESH", "KRISHNA", "SAI", "SURYA", "VIJAY", "JAI", "AMBIKA",
        "NATIONAL", "UNITED", "GLOBAL", "MAHAVIR", "LAXMI", "RAJ", "SHIV", "DURGA", "BALAJI",
        "ANAND", "KAVERI", "PRAKASH", "SIDDHI", "SHAKTI", "TRIVENI", "JYOTI", "SUNRISE", "PIONEER",
        "STAR", "ROYAL",
    ),
    "AE": (
        "AL NOOR", "AL MANSOOR", "GULF STAR", "EMIRATES LINK", "AL WAHDA", "DESERT ROSE", "FALCON",
        "SILVER SANDS", "AL BARAKA", "NOVA LINE", "SKY BRIDGE", "AL RAWDA", "BLUE OCEAN", "AL MAHA",
        "CRESCENT", "AL SAFA", "OASIS", "AL FAJR", "HORIZON", "AL QASR", "AL REEM", "AL HAMRA",
        "AL KHALEEJ", "AL DANA", "AL MARJAN", "AL SAHRA", "ZENITH", "MERIDIAN", "PRIME",
        "AL MURJAN",
    ),
    "AM": (
        "ARARAT", "SEVAN", "ARAGATS", "MASIS", "EREBUNI", "ZANGEZUR", "SHIRAK", "LORI", "TAVUSH",
        "GYUMRI", "VANADZOR", "DILIJAN", "ARMAVIR", "KOTAYK", "ASHTARAK", "PETROSYAN", "HAKOBYAN",
        "GRIGORYAN", "SARGSYAN", "HARUTYUNYAN", "KARAPETYAN", "MKRTCHYAN", "AVETISYAN", "GEVORGYAN",
        "MARTIROSYAN", "ABRAHAMYAN", "SIMONYAN", "VARDANYAN", "MANUKYAN", "GHAZARYAN", "ASATRYAN",
    ),
}  # fmt: skip
CIS_ROOTS: dict[str, tuple[str, ...]] = {
    "KZ": (
        "КАЗ", "АЛМА", "АСТАНА", "САРЫ", "АРКА", "ЕСИЛЬ", "ТУРАН", "БАЙТЕРЕК", "ШЫМКЕНТ", "АКТАУ",
        "КАСПИЙ", "АЛТАЙ", "СЕМЕЙ", "ЖЕТЫСУ", "ТАРАЗ",
    ),
    "KG": (
        "БИШКЕК", "АЛА-ТОО", "ИССЫК-КУЛЬ", "ТЯНЬ-ШАНЬ", "НАРЫН", "ОШ", "ЧУЙ", "ТАЛАС", "МАНАС",
        "АК-ЖОЛ",
    ),
}  # fmt: skip
CIS_MIDDLES = ("", "", "", "ТРАНС", "ИНТЕР", "ЕВРО", "СТАР", "НУР", "АК")
CIS_SUFFIXES = (
    "ТРЕЙД", "ИМПЕКС", "ЛОГИСТИК", "СНАБ", "КОМПАНИ", "ГРУПП", "ДИСТРИБЬЮШН", "АВТО", "ТЕХНО",
    "ПРОМ",
)  # fmt: skip
CIS_TAILS = ("", "", "", " ПЛЮС", "-ЦЕНТР", "-АЗИЯ", " ИНТЕРНЕШНЛ")
JP_CITIES = ("TOKYO", "OSAKA", "NAGOYA", "YOKOHAMA", "KOBE", "HAMAMATSU", "HIROSHIMA", "SENDAI")
JP_GENERIC_WORDS = ("KOGYO", "SANGYO", "SHOJI")
AE_SECOND_WORDS = (
    "", "STAR", "LINK", "GATE", "WAY", "PEARL", "GLOBAL", "EAST", "CROWN", "BAY", "CITY", "LINE",
    "SKY", "WAVE", "PALM", "RISE",
)  # fmt: skip
AM_KINDS = (
    "TRADE",
    "IMPORT",
    "EXPORT",
    "GROUP",
    "LOGISTICS",
    "DISTRIBUTION",
    "SOLUTIONS",
    "SUPPLY",
)


@dataclass(frozen=True)
class FirmName:
    """How one firm is written: ``names[0]`` is the primary; Hangul spellings come last."""

    names: tuple[str, ...]
    brand: str

    @property
    def cp1251_count(self) -> int:
        """How many of ``names`` (from the front) can be written to a cp1251 file."""
        return sum(1 for n in self.names if not _HANGUL.search(n))


def script_of(name: str) -> str:
    """Latin, Cyrillic or Hangul: the writing system of a name as written."""
    if _HANGUL.search(name):
        return "Hangul"
    return "Cyrillic" if _CYRILLIC.search(name) else "Latin"


def name_key(text: str) -> str:
    """Upper-case letters and digits only: two bodies with the same key are one name."""
    return _NOT_ALNUM.sub("", text.upper())


def to_cyrillic(text: str) -> str:
    """Rough Latin -> Cyrillic transliteration, as a Russian declarant would type it."""
    return _TRANSLIT_RE.sub(lambda m: _TRANSLIT_MAP[m.group(0)], text.upper())


def inn_check_digit(first9: np.ndarray) -> np.ndarray:
    """Check digit of 10-digit INNs given their first nine digits (shape ``(n, 9)``)."""
    return (first9 @ INN_WEIGHTS) % 11 % 10


def make_inns(rng: np.random.Generator, regions: list[str], taken: set[str]) -> list[str]:
    """One valid, distinct legal-entity INN per region code: region, tax office, record, check.

    ``taken`` holds INNs already in use (e.g. the scenario's real one) and is updated.
    """
    n = len(regions)
    digits = np.empty((n, 9), dtype=np.int64)
    digits[:, 0] = [int(r[0]) for r in regions]
    digits[:, 1] = [int(r[1]) for r in regions]
    found: dict[int, str] = {}
    pending = np.arange(n)
    while pending.size:
        digits[pending, 2] = rng.integers(0, 10, pending.size)
        digits[pending, 3] = rng.integers(1, 10, pending.size)
        digits[pending, 4:] = rng.integers(0, 10, (pending.size, 5))
        values = (digits[pending] @ 10 ** np.arange(8, -1, -1)) * 10
        values += inn_check_digit(digits[pending])
        for row, value in zip(pending.tolist(), values.tolist(), strict=True):
            inn = f"{value:010d}"
            if inn not in taken:
                taken.add(inn)
                found[row] = inn
        pending = np.array([r for r in pending.tolist() if r not in found], dtype=np.int64)
    return [found[i] for i in range(n)]


def latin_variants(body: str, form: str, rnd: random.Random) -> list[Callable[[], str]]:
    """Candidate alternative spellings of a Latin firm name (excluding the primary).

    Returned as thunks: most firms use none or one, and transliterating is not free.
    """
    alternates, cyrillic_form, title_form = LEGAL_FORMS[form]
    return [
        lambda: f"{body} {rnd.choice(alternates)}",
        lambda: f"{body.title()} {title_form}",
        lambda: f"{to_cyrillic(body)} {cyrillic_form}",
    ]


def pick_variants(
    primary: str, candidates: list[Callable[[], str]], rnd: random.Random
) -> list[str]:
    """The primary plus 0-2 of the candidates (Hangul kept last for the cp1251 file)."""
    extra = rnd.choices((0, 1, 2), weights=EXTRA_VARIANT_ODDS)[0]
    chosen = [make() for make in rnd.sample(candidates, min(extra, len(candidates)))]
    return [primary, *sorted(chosen, key=lambda n: bool(_HANGUL.search(n)))]


def _const(text: str) -> Callable[[], str]:
    return lambda: text


# -- per-country body generators: (rnd, sector index) -> (body, legal form, brand) ------------


def _cn(rnd: random.Random, sector: int) -> tuple[str, str, str]:
    root = rnd.choice(CN_SYLLABLES) + rnd.choice(CN_SYLLABLES)
    city = rnd.choice(CN_CITIES)[0]
    word = SECTOR_WORDS["CN"][sector]
    body = rnd.choice(
        (
            f"{city} {root} TRADING",
            f"{root} ({city}) TECHNOLOGY",
            f"{city} {root} {word}",
            f"{root} {word} INDUSTRIAL",
        )
    )
    return body, "CO., LTD", root


def _kr_root(rnd: random.Random) -> tuple[str, str]:
    first, second = rnd.sample(KR_SYLLABLES, 2)
    return first[0] + second[0], first[1] + second[1]


def _jp(rnd: random.Random, sector: int) -> tuple[str, str, str]:
    name, city = rnd.choice(SURNAMES["JP"]), rnd.choice(JP_CITIES)
    word, generic = SECTOR_WORDS["JP"][sector], rnd.choice(JP_GENERIC_WORDS)
    body = rnd.choice(
        (
            f"{name} {word}",
            f"{name} SEISAKUSHO",
            f"{city} {name} {word}",
            f"{name} {word} {generic}",
            f"{city} {name} {generic}",
        )
    )
    return body, "CO., LTD.", name


def _surname_firm(
    country: str, forms: tuple[str, ...], joiner: str = " & "
) -> Callable[[random.Random, int], tuple[str, str, str]]:
    """Generator for "<name> [<joiner> <name>] <industry word> <legal form>" countries."""

    def generate(rnd: random.Random, sector: int) -> tuple[str, str, str]:
        first, second = rnd.sample(SURNAMES[country], 2)
        word = SECTOR_WORDS[country][sector]
        body = rnd.choice((f"{first} {word}", f"{first}{joiner}{second} {word}"))
        return body, rnd.choice(forms), first

    return generate


def _ae(rnd: random.Random, sector: int) -> tuple[str, str, str]:
    name = f"{rnd.choice(SURNAMES['AE'])} {rnd.choice(AE_SECOND_WORDS)}".strip()
    word = SECTOR_WORDS["AE"][sector]
    body, form = rnd.choice(
        (
            (f"{name} {word} TRADING", "L.L.C"),
            (f"{name} GENERAL TRADING", "L.L.C"),
            (f"{name} {word}", "FZE"),
            (f"{name} INTERNATIONAL {word}", "FZCO"),
        )
    )
    return body, form, name.split()[-1]


def _am(rnd: random.Random, sector: int) -> tuple[str, str, str]:
    first, second = rnd.sample(SURNAMES["AM"], 2)
    kind = rnd.choice(AM_KINDS)
    body = rnd.choice((f"{first} {SECTOR_WORDS['AM'][sector]} {kind}", f"{first}-{second} {kind}"))
    return body, "LLC", first


BODY_MAKERS: dict[str, Callable[[random.Random, int], tuple[str, str, str]]] = {
    "CN": _cn,
    "JP": _jp,
    "DE": _surname_firm("DE", ("GMBH", "GMBH", "GMBH & CO. KG", "AG")),
    "IT": _surname_firm("IT", ("S.P.A.", "S.R.L.", "S.R.L.")),
    "FR": _surname_firm("FR", ("SAS", "SARL")),
    "US": _surname_firm("US", ("INC.", "LLC", "CORPORATION")),
    "TR": _surname_firm("TR", ("SAN. VE TIC. A.S.", "SAN. VE TIC. LTD. STI."), " "),
    "IN": _surname_firm("IN", ("PVT LTD", "PVT LTD", "LIMITED"), " "),
    "AE": _ae,
    "AM": _am,
}


def strip_legal_form(name: str) -> str:
    """The name body: ``name`` without a trailing known legal form."""
    for form in sorted(LEGAL_FORMS, key=len, reverse=True):
        if name.endswith(" " + form):
            return name[: -len(form) - 1]
    return name


class NameBook:
    """Hands out unique firm names per role, retrying on a clash of name bodies.

    ``reserved`` names (the scenario's firms) are never handed out again, nor are names
    whose body equals theirs.
    """

    def __init__(self, rnd: random.Random, reserved: tuple[str, ...] = ()):
        self.rnd = rnd
        self.bodies: set[str] = {name_key(strip_legal_form(n)) for n in reserved}
        self.written: set[str] = set(reserved)

    def _claim(self, body: str) -> bool:
        key = name_key(body)
        if key in self.bodies or not BLOCKED_WORDS.isdisjoint(body.split()):
            return False
        self.bodies.add(key)
        return True

    def _unique(self, make: Callable[[], tuple[str, ...]], qualifiers: tuple[str, ...]):
        """Call ``make`` until its body (first item) is new; qualify it if that keeps failing."""
        for attempt in range(MAX_NAME_ATTEMPTS):
            parts = make()
            body = parts[0]
            if attempt >= PLAIN_NAME_ATTEMPTS:
                body = f"{body} {qualifiers[attempt % len(qualifiers)]}"
            if attempt >= 3 * PLAIN_NAME_ATTEMPTS:
                body = f"{body} {attempt}"
            if self._claim(body):
                return (body, *parts[1:])
        raise RuntimeError("name space exhausted")  # pragma: no cover - never seen in practice

    def _keep(self, names: list[str]) -> tuple[str, ...]:
        kept = [n for n in dict.fromkeys(names) if n not in self.written]
        self.written.update(kept)
        return tuple(kept)

    def supplier(self, country: str, sector: int) -> FirmName:
        """A fictional foreign supplier of ``country`` selling goods of ``sector``."""
        rnd = self.rnd
        if country == "KR":
            return self._korean(sector)
        if country in CIS_FORMS:
            return self._cis(country)
        body, form, brand = self._unique(
            lambda: BODY_MAKERS[country](rnd, sector), ("EXPORT", "GROUP", "GLOBAL", "INTL")
        )
        primary = f"{body} {form}"
        return FirmName(
            self._keep(pick_variants(primary, latin_variants(body, form, rnd), rnd)), brand
        )

    def _korean(self, sector: int) -> FirmName:
        words = (KR_SECTOR_WORDS[sector], *KR_GENERIC_WORDS)

        def make() -> tuple[str, str, str]:
            root, root_hangul = _kr_root(self.rnd)
            word, word_hangul = words[0] if self.rnd.random() < 0.6 else self.rnd.choice(words)
            return f"{root} {word}", root, root_hangul + word_hangul

        body, root, hangul = self._unique(make, ("KOREA", "GLOBAL", "INDUSTRY", "SYSTEM"))
        hangul_name = self.rnd.choice((f"{hangul} 주식회사", f"(주){hangul}"))
        candidates = [*latin_variants(body, "CO., LTD", self.rnd), _const(hangul_name)]
        return FirmName(self._keep(pick_variants(f"{body} CO., LTD", candidates, self.rnd)), root)

    def _cis(self, country: str) -> FirmName:
        short, spelled, latin_form = CIS_FORMS[country]

        def make() -> tuple[str]:
            rnd = self.rnd
            joiner = rnd.choice(("-", " ", ""))
            root = rnd.choice(CIS_ROOTS[country]) + rnd.choice(CIS_MIDDLES)
            return (root + joiner + rnd.choice(CIS_SUFFIXES) + rnd.choice(CIS_TAILS),)

        (root,) = self._unique(make, ("ГРУПП", "ПЛЮС", "АЗИЯ", "ЦЕНТР"))
        candidates = [
            _const(f'{short} "{root}"'),
            _const(f"{short} {root}"),
            _const(f"{spelled} «{root}»"),
            lambda: f"{transliterate_back(root)} {latin_form}",
        ]
        names = pick_variants(f"{short} «{root}»", candidates, self.rnd)
        return FirmName(self._keep(names), root)

    def importer(self) -> tuple[FirmName, str]:
        """A fictional Russian importer: its names and the short legal form (ООО, АО, ПАО)."""
        rnd = self.rnd

        def make() -> tuple[str]:
            first, second = rnd.sample(RU_PREFIXES, 2)
            middle = second if rnd.random() < RU_SECOND_PREFIX_SHARE else rnd.choice(RU_MIDDLES)
            suffix = rnd.choice(RU_SUFFIXES)
            if suffix == middle:
                middle = ""
            return (first + middle + suffix + rnd.choice(RU_TAILS),)

        (root,) = self._unique(make, ("-ИМПОРТ", "-ГРУПП", "-ТРЕЙД", "-ЦЕНТР"))
        short, spelled, _ = rnd.choices(RU_LEGAL_FORMS, weights=[f[2] for f in RU_LEGAL_FORMS])[0]
        candidates = [
            _const(f'{short} "{root}"'),
            _const(f"{short} {root}"),
            _const(f"{spelled} «{root}»"),
        ]
        names = pick_variants(f"{short} «{root}»", candidates, rnd)
        return FirmName(self._keep(names), root), short


CYR_TO_LAT: dict[str, str] = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ж": "ZH", "З": "Z", "И": "I",
    "Й": "Y", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S",
    "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH",
    "Ъ": "", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "YU", "Я": "YA",
}  # fmt: skip


def transliterate_back(text: str) -> str:
    """Cyrillic -> Latin (a CIS firm's own Latin spelling, e.g. on its invoices)."""
    return "".join(CYR_TO_LAT.get(c, c) for c in text.upper())


# -- addresses ----------------------------------------------------------------------------------

ADDRESS_PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "KR": (
        ("GONGDAN-RO", "SANDAN-RO", "SEONGSAN-RO", "NAMDONG-DAERO", "BANWOL-RO", "HWASEONG-RO"),
        ("CHANGWON-SI, GYEONGSANGNAM-DO", "INCHEON", "ANSAN-SI, GYEONGGI-DO", "ULSAN", "BUSAN",
         "SUWON-SI, GYEONGGI-DO", "DAEGU", "GWANGJU"),
    ),
    "JP": (("CHUO-KU", "MINATO-KU", "KITA-KU", "NAKA-KU"),
           ("TOKYO", "OSAKA", "NAGOYA", "YOKOHAMA", "KOBE", "HAMAMATSU")),
    "DE": (("INDUSTRIE", "HAUPT", "BAHNHOF", "GEWERBE", "HAFEN", "RING"),
           ("STUTTGART", "MUENCHEN", "HAMBURG", "KOELN", "DUESSELDORF", "NUERNBERG", "BREMEN")),
    "IT": (("ROMA", "GARIBALDI", "MAZZINI", "DELL'INDUSTRIA", "DEL LAVORO", "VERDI"),
           ("TORINO (TO)", "MILANO (MI)", "BOLOGNA (BO)", "BRESCIA (BS)", "VICENZA (VI)",
            "BERGAMO (BG)")),
    "FR": (("DE LA REPUBLIQUE", "VICTOR HUGO", "DE L'INDUSTRIE", "PASTEUR", "DU COMMERCE"),
           ("LYON", "PARIS", "LILLE", "TOULOUSE", "NANTES", "STRASBOURG")),
    "US": (("MAIN", "OAK", "INDUSTRIAL", "COMMERCE", "LAKE", "RIVER"),
           ("DETROIT, MI", "CHICAGO, IL", "HOUSTON, TX", "COLUMBUS, OH", "CHARLOTTE, NC")),
    "TR": (("ATATURK", "CUMHURIYET", "ORGANIZE SANAYI", "FATIH", "YENI"),
           ("NILUFER/BURSA", "GEBZE/KOCAELI", "IKITELLI/ISTANBUL", "OSMANGAZI/BURSA",
            "KEMALPASA/IZMIR")),
    "IN": (("MIDC", "SIPCOT", "GIDC", "PHASE II", "SECTOR 5"),
           ("PUNE, MAHARASHTRA", "CHENNAI, TAMIL NADU", "AHMEDABAD, GUJARAT",
            "GURUGRAM, HARYANA", "LUDHIANA, PUNJAB")),
    "AE": (("JEBEL ALI FREE ZONE", "DUBAI AIRPORT FREE ZONE", "AL QUOZ INDUSTRIAL AREA",
            "DEIRA", "SHARJAH AIRPORT FREE ZONE"), ("DUBAI", "SHARJAH")),
    "AM": (("TIGRAN METS", "KOMITAS", "ARSHAKUNYATS", "AZATUTYAN", "BAGHRAMYAN"), ("YEREVAN",)),
    "KZ": (("АБАЯ", "ДОСТЫК", "ТОЛЕ БИ", "СЕЙФУЛЛИНА", "РАЙЫМБЕКА"),
           ("АЛМАТЫ", "АСТАНА", "ШЫМКЕНТ", "КАРАГАНДА")),
    "KG": (("ЧУЙ", "МАНАСА", "КИЕВСКАЯ", "ЖИБЕК ЖОЛУ"), ("БИШКЕК", "ОШ")),
}  # fmt: skip


def supplier_address(country: str, rnd: random.Random) -> str:
    """A plausible, invented street address in the supplier's country."""
    n = rnd.randint(1, 399)
    if country == "CN":
        city, province = rnd.choice(CN_CITIES)
        road = rnd.choice(("JIANSHE", "RENMIN", "ZHONGSHAN", "XINHUA", "KEJI", "GONGYE"))
        return f"NO. {n} {road} ROAD, {city}, {province}, CHINA"
    streets, cities = ADDRESS_PARTS[country]
    street, city = rnd.choice(streets), rnd.choice(cities)
    formats = {
        "KR": f"{n}, {street} {rnd.randint(1, 99)}BEON-GIL, {city}, REPUBLIC OF KOREA",
        "JP": f"{rnd.randint(1, 9)}-{rnd.randint(1, 30)}-{n % 40 + 1}, {street}, {city}, JAPAN",
        "DE": f"{street}STRASSE {n % 120 + 1}, {rnd.randint(10000, 99999)} {city}, GERMANY",
        "IT": f"VIA {street} {n % 200 + 1}, {rnd.randint(10000, 99999)} {city}, ITALY",
        "FR": f"{n % 150 + 1} RUE {street}, {rnd.randint(10000, 95999)} {city}, FRANCE",
        "US": f"{n * 10} {street} STREET, {city} {rnd.randint(10000, 99999)}, USA",
        "TR": f"{street} MAH. {rnd.randint(1, 90)}. SOK. NO: {n % 80 + 1}, {city}, TURKIYE",
        "IN": f"PLOT NO. {n}, {street} INDUSTRIAL AREA, {city}, INDIA",
        "AE": f"WAREHOUSE {n}, {street}, {city}, UNITED ARAB EMIRATES",
        "AM": f"{n % 90 + 1} {street} STR., {city} 00{rnd.randint(10, 99)}, ARMENIA",
        "KZ": f"РЕСПУБЛИКА КАЗАХСТАН, Г. {city}, УЛ. {street}, Д. {n % 200 + 1}",
        "KG": f"КЫРГЫЗСКАЯ РЕСПУБЛИКА, Г. {city}, УЛ. {street}, {n % 200 + 1}",
    }
    return formats[country]


def russian_address(city_index: int, rnd: random.Random) -> str:
    """An invented Russian legal address in declaration style (upper case, postcode first)."""
    city = RU_CITIES[city_index]
    free = 6 - len(city.postcode_prefix)
    postcode = f"{city.postcode_prefix}{rnd.randrange(10**free):0{free}d}"
    region = f"{city.region}, " if city.region else ""
    building = f"Д. {rnd.randint(1, 150)}" + rnd.choice(
        ("", "", f", СТР. {rnd.randint(1, 9)}", f", ОФИС {rnd.randint(1, 520)}", "А")
    )
    return f"{postcode}, {region}Г. {city.name}, {rnd.choice(RU_STREETS)}, {building}"
