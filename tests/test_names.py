"""Party-name normalisation: how customs spellings of one firm are made to meet.

Read top to bottom as a manual for ``tradetrace.resolve.names``: legal forms,
quotes and scripts, the cross-script skeleton, generic names, similarity.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetrace.resolve.names import (
    NameForms,
    analyse_name,
    legal_form_kind,
    name_similarity,
    script_of,
    to_latin,
    token_skeleton,
)


def sim(a: str, b: str) -> float:
    return name_similarity(analyse_name(a), analyse_name(b))


# --- 1. Legal forms become a canonical code and leave the core --------------------------

LEGAL_FORM_CASES = [
    # Russian limited liability company, every way customs and sanctions lists write it
    # (ООО is its own code, OOO: a Russian-language form, where LLC is used everywhere)
    ("«ООО «АУРУС»»", "OOO", "AURUS"),
    ('ООО "АУРУС"', "OOO", "AURUS"),
    ("ООО АУРУС", "OOO", "AURUS"),
    ("ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «АУРУС»", "OOO", "AURUS"),
    ("Общество с ограниченной ответственностью «Аурус»", "OOO", "AURUS"),
    ("OOO AURUS", "OOO", "AURUS"),
    ("LLC AURUS", "LLC", "AURUS"),
    ("AURUS LLC", "LLC", "AURUS"),
    ("AURUS L.L.C.", "LLC", "AURUS"),
    ("LIMITED LIABILITY COMPANY AURUS", "LLC", "AURUS"),
    ("ТОВ «АУРУС»", "TOV", "AURUS"),  # Ukrainian
    # joint-stock companies
    ("АО «АУРУС»", "AO", "AURUS"),
    ("AO AURUS", "AO", "AURUS"),
    ("JSC AURUS", "JSC", "AURUS"),
    ("J.S.C. AURUS", "JSC", "AURUS"),
    ("JOINT STOCK COMPANY AURUS", "JSC", "AURUS"),
    ("JOINT-STOCK COMPANY AURUS", "JSC", "AURUS"),
    ("АКЦИОНЕРНОЕ ОБЩЕСТВО «АУРУС»", "AO", "AURUS"),
    ("ПАО «АУРУС»", "PJSC", "AURUS"),
    ("PAO AURUS", "PJSC", "AURUS"),
    ("PJSC AURUS", "PJSC", "AURUS"),
    ("PUBLIC JOINT STOCK COMPANY AURUS", "PJSC", "AURUS"),
    ("ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО «АУРУС»", "PJSC", "AURUS"),
    ("ОАО «АУРУС»", "OJSC", "AURUS"),
    ("OAO AURUS", "OJSC", "AURUS"),
    ("OJSC AURUS", "OJSC", "AURUS"),
    ("OPEN JOINT STOCK COMPANY AURUS", "OJSC", "AURUS"),
    ("ЗАО «АУРУС»", "CJSC", "AURUS"),
    ("ZAO AURUS", "CJSC", "AURUS"),
    ("CJSC AURUS", "CJSC", "AURUS"),
    ("CLOSED JOINT STOCK COMPANY AURUS", "CJSC", "AURUS"),
    # Kazakh partnership, Russian state enterprises
    ("ТОО «АУРУС»", "TOO", "AURUS"),
    ("TOO AURUS", "TOO", "AURUS"),
    ("AURUS LLP", "LLP", "AURUS"),
    ("«ФГУП «НАМИ»»", "FSUE", "NAMI"),
    ("FGUP NAMI", "FSUE", "NAMI"),
    ("FSUE NAMI", "FSUE", "NAMI"),
    ("FEDERAL STATE UNITARY ENTERPRISE NAMI", "FSUE", "NAMI"),
    ("ФЕДЕРАЛЬНОЕ ГОСУДАРСТВЕННОЕ УНИТАРНОЕ ПРЕДПРИЯТИЕ «НАМИ»", "FSUE", "NAMI"),
    # Korean / Chinese "Co., Ltd." in Latin, Cyrillic, Hangul and Han
    ("HANBIT AUTOTECH CO., LTD", "CO_LTD", "HANBIT AUTOTECH"),
    ("Hanbit Autotech Co Ltd", "CO_LTD", "HANBIT AUTOTECH"),
    ("HANBIT AUTOTECH CO.,LTD.", "CO_LTD", "HANBIT AUTOTECH"),
    ("HANBIT AUTOTECH COMPANY LIMITED", "CO_LTD", "HANBIT AUTOTECH"),
    ("ХАНБИТ АВТОТЕК КО., ЛТД", "CO_LTD", "KHANBIT AVTOTEK"),
    ("한빛오토텍 주식회사", "CO_LTD", "HANBITOTOTEK"),
    ("(주)한빛", "CO_LTD", "HANBIT"),
    ("㈜한빛", "CO_LTD", "HANBIT"),
    ("宁波海星有限公司", "CO_LTD", "NINGBOHAIXING"),
    # English / Commonwealth
    ("ACME LTD", "LTD", "ACME"),
    ("ACME LIMITED", "LTD", "ACME"),
    ("ACME Ltd.", "LTD", "ACME"),
    ("ACME PVT LTD", "PVT_LTD", "ACME"),
    ("ACME PVT. LTD.", "PVT_LTD", "ACME"),
    ("ACME PRIVATE LIMITED", "PVT_LTD", "ACME"),
    ("ACME (P) LTD", "PVT_LTD", "ACME"),
    ("ACME INC", "INC", "ACME"),
    ("ACME, Inc.", "INC", "ACME"),
    ("ACME INCORPORATED", "INC", "ACME"),
    ("ACME CORP", "CORP", "ACME"),
    ("ACME CORPORATION", "CORP", "ACME"),
    ("ACME PLC", "PLC", "ACME"),
    # Gulf free zones
    ("ACME FZE", "FZE", "ACME"),
    ("ACME FZCO", "FZCO", "ACME"),
    ("ACME FZ-LLC", "FZ_LLC", "ACME"),
    # German, Italian, Dutch, French/Spanish, Nordic
    ("ACME GMBH", "GMBH", "ACME"),
    ("ACME GmbH", "GMBH", "ACME"),
    ("ACME Gesellschaft mit beschränkter Haftung", "GMBH", "ACME"),
    ("ACME GMBH & CO. KG", "GMBH_CO_KG", "ACME"),
    ("Siemens AG", "AG", "SIEMENS"),
    ("Siemens Aktiengesellschaft", "AG", "SIEMENS"),
    ("ACME S.P.A.", "SPA", "ACME"),
    ("ACME S.p.A.", "SPA", "ACME"),
    ("ACME SPA", "SPA", "ACME"),
    ("ACME Società per Azioni", "SPA", "ACME"),
    ("ACME S.R.L.", "SRL", "ACME"),
    ("ACME SRL", "SRL", "ACME"),
    ("ACME B.V.", "BV", "ACME"),
    ("ACME NV", "NV", "ACME"),
    ("ACME S.A.", "SA", "ACME"),
    ("ACME SAS", "SAS", "ACME"),
    ("ACME OY", "OY", "ACME"),
    ("ACME AB", "AB", "ACME"),
    # Turkish: A.Ş. and the "industry and trade" descriptor
    ("OZTÜRK OTOMOTİV A.Ş.", "AS", "OZTURK OTOMOTIV"),
    ("OZTURK OTOMOTIV A.S.", "AS", "OZTURK OTOMOTIV"),
    ("OZTURK OTOMOTIV ANONIM ŞIRKETI", "AS", "OZTURK OTOMOTIV"),
    ("OZTÜRK OTOMOTİV SAN. VE TİC. A.Ş.", "AS", "OZTURK OTOMOTIV"),
    ("OZTURK OTOMOTIV SANAYI VE TICARET A.S.", "AS", "OZTURK OTOMOTIV"),
    ("OZTURK OTOMOTIV SAN. VE TIC.", "AS", "OZTURK OTOMOTIV"),
    ("OZTURK OTOMOTIV SAN.VE TIC.LTD.STI.", "LTD_STI", "OZTURK OTOMOTIV"),
    # Japanese
    ("TOYOTA K.K.", "KK", "TOYOTA"),
    ("TOYOTA KABUSHIKI KAISHA", "KK", "TOYOTA"),
    ("トヨタ株式会社", "KK", "TOYOTA"),
    # rigour's org-type database fills gaps in our table (code = rigour's compare form)
    ("ACME SP. Z O.O.", "SPZOO", "ACME"),
    ("ACME KFT.", "KFT", "ACME"),
    # no legal form at all
    ("Bank of America", None, "BANK OF AMERICA"),
]


@pytest.mark.parametrize(("name", "legal_form", "core"), LEGAL_FORM_CASES)
def test_legal_form_is_recognised_and_removed_from_core(
    name: str, legal_form: str | None, core: str
) -> None:
    forms = analyse_name(name)
    assert (forms.legal_form, forms.core) == (legal_form, core)


@pytest.mark.parametrize(
    ("name", "legal_form"),
    [
        ("ООО «АУРУС» LLC", "OOO"),  # the same kind twice: the national form first
        ("OZTURK SAN. VE TIC. LTD. STI.", "LTD_STI"),  # explicit form beats the descriptor
        ("ПАО «АУРУС» AG", "PJSC"),  # table order is priority
    ],
)
def test_several_markers_resolve_to_one_code_by_table_priority(name: str, legal_form: str) -> None:
    assert analyse_name(name).legal_form == legal_form


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("ALFA AS BETA", "ALFA AS BETA"),  # "AS" only counts at the end
        ("COMPANY X LTD", "COMPANY X"),  # "COMPANY" only counts at the end
        ("SPA RESORT LLC", "SPA RESORT"),  # "SPA" only counts at the end
        ("ИП ИВАНОВ", "IVANOV"),  # "IP" only counts at the start
    ],
)
def test_ambiguous_short_forms_only_count_at_the_edge(name: str, core: str) -> None:
    assert analyse_name(name).core == core


def test_latin_keeps_the_legal_form_and_core_drops_it() -> None:
    forms = analyse_name("ХАНБИТ АВТОТЕК КО., ЛТД")
    assert forms.latin == "KHANBIT AVTOTEK KO LTD"
    assert forms.core == "KHANBIT AVTOTEK"
    assert forms.tokens == ("KHANBIT", "AVTOTEK")


# --- 2. Quotes, punctuation and word order --------------------------------------------

AURUS_VARIANTS = [
    "«ООО «АУРУС»»",
    '«ООО "АУРУС"»',
    "ООО АУРУС",
    "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «АУРУС»",
    "LLC AURUS",
    "OOO AURUS",
    "AURUS LLC",
    "LIMITED LIABILITY COMPANY AURUS",
    "„Aurus“ LLC",
    "'AURUS' LLC",
]


@pytest.mark.parametrize("name", AURUS_VARIANTS)
def test_every_aurus_spelling_has_the_same_blocking_key(name: str) -> None:
    forms = analyse_name(name)
    assert (forms.key, forms.skeleton, legal_form_kind(forms.legal_form)) == ("AURUS", "ARS", "LLC")


def test_key_and_skeleton_ignore_word_order() -> None:
    a, b = analyse_name("HANBIT AUTOTECH"), analyse_name("AUTOTECH, HANBIT")
    assert a.key == b.key == "AUTOTECH HANBIT"
    assert a.skeleton == b.skeleton
    assert name_similarity(a, b) == 1.0


def test_nami_cores_meet_across_script_and_legal_form_spelling() -> None:
    ru, en = analyse_name("«ФГУП «НАМИ»»"), analyse_name("FSUE NAMI")
    assert ru.core == en.core == "NAMI"
    long = analyse_name(
        "FEDERAL STATE UNITARY ENTERPRISE CENTRAL SCIENTIFIC RESEARCH AUTOMOBILE "
        "AND AUTOMOTIVE ENGINES INSTITUTE NAMI"
    )
    # The OFAC long name keeps its descriptive words: its core is longer, not equal.
    assert long.legal_form == "FSUE"
    assert long.tokens[-1] == "NAMI"


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("McDonald's Corp", ("MCDONALDS",)),  # inner apostrophe joins the word
        ("A-B / C & D", ("A", "B", "C", "D")),
        ("  АВТО—ТЕХ   «ПЛЮС» ", ("AVTO", "TEKH", "PLYUS")),
        ("ＡＣＭＥ　１２３", ("ACME", "123")),  # full-width forms (NFKC)
    ],
)
def test_punctuation_and_quotes_become_word_breaks(name: str, tokens: tuple[str, ...]) -> None:
    assert analyse_name(name).tokens == tokens


# --- 3. Scripts and transliteration -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("HANBIT AUTOTECH", "Latin"),
        ("OZTÜRK OTOMOTİV", "Latin"),
        ("ХАНБИТ АВТОТЕК", "Cyrillic"),
        ("한빛오토텍 주식회사", "Hangul"),
        ("宁波海星有限公司", "Han"),
        ("トヨタ自動車株式会社", "Kana"),  # Japanese: Kana with Han
        ("شركة النور", "Arabic"),
        ("Ελληνική Εταιρεία", "Other"),
        ("12345 ---", "Other"),  # no letters
        ("ООО «AURUS»", "Mixed"),  # 3 Cyrillic + 5 Latin letters, none dominant
        ("ООО «АУРУС» (AURUS)", "Mixed"),
    ],
)
def test_script_of_reports_the_dominant_script(text: str, script: str) -> None:
    assert script_of(text) == script
    assert analyse_name(text).script == script


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("ЩУКИН ЖУРАВЛЁВ ЦЕХ", "SHCHUKIN ZHURAVLEV TSEKH"),
        ("ОБЪЕДИНЁННАЯ ХИМИЯ", "OBEDINENNAYA KHIMIYA"),
        ("ЮГ ЭКСПО ЙОД", "YUG EKSPO YOD"),
        ("ЄВРО ЇЖАК ҚАЗАҚ", "YEVRO YIZHAK KAZAK"),
        ("대성정밀", "DAESEONGJEONGMIL"),  # RR with pronounced finals
        ("한빛", "HANBIT"),
        ("广州华新", " GUANGZHOUHUAXIN "),  # a Han run is one padded token
    ],
)
def test_transliteration_tables(text: str, latin: str) -> None:
    assert to_latin(text) == latin


# --- 4. The skeleton: Russian customs spellings meet the Latin original -----------------

CYRILLIC_LATIN_PAIRS = [
    ("ХАНБИТ АВТОТЕК", "HANBIT AUTOTECH"),
    ("ДЭСОН ПРЕСИЖН", "DAESUNG PRECISION"),
    ("НИНБО ХАЙСИН", "NINGBO HAIXING"),
    ("ГУАНЧЖОУ ХУАСИНЬ", "GUANGZHOU HUAXIN"),
    ("ОЗТЮРК ОТОМОТИВ", "OZTURK OTOMOTIV"),
    ("МИРЭ ВЕЛДТЕК", "MIRAE WELDTECH"),
    ("АУРУС", "AURUS"),
    ("НАМИ", "NAMI"),
    ("ХЕНДЭ МОТОР", "HYUNDAI MOTOR"),
    ("САМСУНГ ЭЛЕКТРОНИКС", "SAMSUNG ELECTRONICS"),
]


@pytest.mark.parametrize(("cyrillic", "latin"), CYRILLIC_LATIN_PAIRS)
def test_cyrillic_transliterations_meet_the_latin_original_by_skeleton(
    cyrillic: str, latin: str
) -> None:
    a, b = analyse_name(cyrillic), analyse_name(latin)
    assert a.skeleton == b.skeleton
    assert name_similarity(a, b) >= 0.75


@pytest.mark.parametrize(
    ("token", "skeleton"),
    [
        ("AUTOTECH", "ATK"),  # initial vowel kept as A; -TECH = -ТЕК
        ("AVTOTEK", "ATK"),  # V after a vowel before a consonant is a glide
        ("KHANBIT", "HNPT"),  # KH = H; B = P
        ("HANBIT", "HNPT"),
        ("GUANGZHOU", "KNS"),  # NG before a consonant = N; ZH is a sibilant
        ("GUANCHZHOU", "KNS"),  # Palladius ЧЖ = pinyin ZH
        ("PRECISION", "PRSN"),  # soft C = S; repeats collapse across vowels
        ("PRESIZHN", "PRSN"),
        ("DAEWOO", "T"),  # W after a vowel is a glide
        ("2024", "2024"),  # numbers are kept
    ],
)
def test_token_skeleton_rules(token: str, skeleton: str) -> None:
    assert token_skeleton(token) == skeleton


@pytest.mark.parametrize(
    ("hangul", "latin"),
    [
        ("한빛오토텍 주식회사", "HANBIT AUTOTECH CO., LTD"),
        ("미래웰드텍", "MIRAE WELDTECH"),
    ],
)
def test_hangul_names_meet_through_the_joined_skeleton(hangul: str, latin: str) -> None:
    """Korean writes one word where English writes two, so the per-token skeleton
    differs, but the space-less comparison in name_similarity still meets."""
    a, b = analyse_name(hangul), analyse_name(latin)
    assert a.skeleton != b.skeleton
    assert name_similarity(a, b) >= 0.8


@pytest.mark.xfail(
    reason="Hangul RR of Sino-Korean words differs from the firm's own "
    "romanisation (대성 = DAESEONG, not DAESUNG); use address/country",
    strict=False,
)
def test_hangul_name_with_nonstandard_romanisation_does_not_meet_yet() -> None:
    assert sim("대성정밀", "DAESUNG PRECISION") >= 0.8


def test_chinese_name_meets_pinyin_with_translated_business_words() -> None:
    a, b = analyse_name("宁波海星贸易有限公司"), analyse_name("NINGBO HAIXING TRADING CO LTD")
    assert a.core == "NINGBOHAIXING TRADING"
    assert name_similarity(a, b) >= 0.95


# --- 5. Generic names never carry a match alone ------------------------------------------


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("CORP", True),
        ("TRADING LLC", True),
        ("INTERNATIONAL TRADING GROUP CO., LTD", True),
        ("ООО «ТОРГОВЫЙ ДОМ»", True),
        ("", True),
        ("HANBIT TRADING", False),
        ("BANK OF AMERICA", False),
    ],
)
def test_generic_flag(name: str, generic: bool) -> None:
    assert analyse_name(name).generic is generic


def test_generic_names_score_zero_unless_the_core_is_identical() -> None:
    assert sim("CORP", "TRADING LLC") == 0.0
    assert sim("TRADING LLC", "TRADING GROUP LLC") == 0.0
    assert sim("TRADING LLC", "HANBIT TRADING") == 0.0
    assert sim("TRADING LLC", "OOO TRADING") == 1.0
    assert sim("CORP", "LLC") == 0.0  # two empty cores say nothing


# --- 6. Similarity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Bank of Armenia", "Bank of America", 0.0, 0.8),  # distinct distinctive words
        ("LLC AURUS", "«ООО «АУРУС»»", 0.95, 1.0),
        ("HANBIT AUTOTECH CO., LTD", "ХАНБИТ АВТОТЕК КО., ЛТД", 0.8, 1.0),
        ("CORP", "TRADING LLC", 0.0, 0.0),
        ("Siemens AG", "Hyundai Motor Company", 0.0, 0.3),
        ("AURUS LLC", "AURUS JSC", 1.0, 1.0),  # legal form never reduces the score
        ("ZAVOD 1", "ZAVOD 2", 0.0, 0.6),  # a different number is a different entity
        ("GAZPROM", "GAZPROMBANK", 0.0, 0.8),
    ],
)
def test_similarity_properties(a: str, b: str, low: float, high: float) -> None:
    assert low <= sim(a, b) <= high
    assert sim(a, b) == sim(b, a)


def test_name_forms_is_a_frozen_value() -> None:
    forms = analyse_name("LLC AURUS")
    assert isinstance(forms, NameForms)
    assert analyse_name("LLC AURUS") is forms  # cached
    with pytest.raises(AttributeError):
        forms.core = "X"  # type: ignore[misc]


# --- 7. Robustness -----------------------------------------------------------------------

NAMEISH = st.lists(
    st.sampled_from(
        [
            "LLC",
            "ООО",
            "CO.,LTD",
            "S.P.A.",
            "A.Ş.",
            "SAN.",
            "VE",
            "TIC.",
            "АО",
            "PVT",
            "(P)",
            "AS",
            "KK",
            "«",
            "»",
            '"',
            "주식회사",
            "有限公司",
            "株式会社",
            "LIMITED",
            "COMPANY",
            "SP.",
            "Z",
            "O.O.",
            "AURUS",
            "НАМИ",
            "HANBIT",
            "TRADING",
            "1",
            "-",
            "&",
        ]
    ),
    max_size=8,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), NAMEISH))
def test_analyse_name_never_raises_and_core_is_a_fixed_point(text: str) -> None:
    forms = analyse_name(text)
    assert analyse_name(forms.core).core == forms.core
    assert forms.key == " ".join(sorted(set(forms.tokens)))
    assert forms.core.isascii()
    assert 0.0 <= name_similarity(forms, analyse_name("AURUS")) <= 1.0


# --- 8. Speed (targets: 20,000 names/s and 50,000 comparisons/s; asserted at a quarter) --


@pytest.mark.slow
def test_analysis_and_comparison_are_fast_enough() -> None:
    import random
    import string
    import time

    rng = random.Random(7)

    def word(alphabet: str) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9)))

    names = [
        f"ООО «{word('АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ')} {word('АБВГДЕКЛМНОПРСТУ')}»"
        if i % 2
        else f"{word(string.ascii_uppercase)} {word(string.ascii_uppercase)} CO., LTD"
        for i in range(5_000)
    ]
    start = time.perf_counter()
    forms = [analyse_name(f"{name} {i}") for i, name in enumerate(names)]
    names_per_s = len(forms) / (time.perf_counter() - start)
    pairs = [(rng.choice(forms), rng.choice(forms)) for _ in range(20_000)]
    start = time.perf_counter()
    for a, b in pairs:
        name_similarity(a, b)
    pairs_per_s = len(pairs) / (time.perf_counter() - start)
    assert names_per_s > 5_000
    assert pairs_per_s > 12_500
