"""The SYNTHETIC sample generator: formats, determinism, the exact AURUS figures, defects.

Everything is checked by reading the files back with the ``csv`` module and parsing numbers
and dates here, independently of the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum.ru import inn

from tradetrace.reference.countries import to_iso2
from tradetrace.sample import SampleManifest, generate_sample
from tradetrace.sample.reference import HS_GOODS

ROWS = 3000
SEED = 7
HEADER = [
    "Номер ДТ", "№ товара", "Дата ДТ", "Направление", "Получатель", "ИНН получателя",
    "Адрес получателя", "Отправитель", "Адрес отправителя", "Страна отправителя",
    "Страна происхождения", "Страна отправления", "Торгующая страна", "Код ТН ВЭД",
    "Описание товара", "Производитель", "Товарный знак", "Количество", "Единица измерения",
    "Вес брутто, кг", "Вес нетто, кг", "Фактурная стоимость", "Валюта",
    "Статистическая стоимость, USD",
]  # fmt: skip
COL = {name: i for i, name in enumerate(HEADER)}
EARLY, LATE = "synthetic_ru_customs_2018_2021.csv", "synthetic_ru_customs_2022_2024.csv"
TRUTH = "synthetic_parties_truth.csv"
AURUS_NAMES = {
    "ООО «АУРУС»", 'ООО "АУРУС"', "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «АУРУС»",
    "ООО АУРУС", "LLC AURUS", "OOO AURUS",
}  # fmt: skip
INVASION = dt.date(2022, 2, 24)
DESIGNATION = dt.date(2024, 2, 23)
NUMBER = re.compile(r"^\d{1,3}([ \u00a0]\d{3})*(,\d+)?$")
DECLARATION = re.compile(r"^\d{8}/\d{6}/\d{7}$")
DEFECT_KINDS = (
    "bad_date", "bad_hs", "missing_value", "unknown_country", "no_fx_rate", "malformed_line",
)  # fmt: skip


def read_rows(path: Path, encoding: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as f:
        header, *rows = csv.reader(f, delimiter=delimiter)
    return header, rows


def number(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def date_of(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None


def iso(country: str) -> str | None:
    return to_iso2(country)


def defects_of(row: list[str]) -> list[str]:
    """Every defect a reader can detect in a row (the generator promises at most one)."""
    if len(row) != len(HEADER):
        return ["malformed_line"]
    found = []
    day = date_of(row[COL["Дата ДТ"]])
    if day is None:
        found.append("bad_date")
    if not re.fullmatch(r"\d{10}", row[COL["Код ТН ВЭД"]]):
        found.append("bad_hs")
    value, usd = row[COL["Фактурная стоимость"]], row[COL["Статистическая стоимость, USD"]]
    if not value and not usd:
        found.append("missing_value")
    countries = row[COL["Страна отправителя"] : COL["Торгующая страна"] + 1]
    if any(iso(c) is None for c in countries):
        found.append("unknown_country")
    late = day is not None and day >= dt.date(2022, 4, 1)
    if value and not usd and row[COL["Валюта"]] == "RUB" and late:
        found.append("no_fx_rate")
    return found


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, SampleManifest]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate_sample(out, rows=ROWS, seed=SEED)


@pytest.fixture(scope="module")
def rows(sample) -> dict[str, list[list[str]]]:
    out, _ = sample
    early_header, early = read_rows(out / EARLY, "utf-8", ",")
    late_header, late = read_rows(out / LATE, "cp1251", ";")
    assert early_header == HEADER
    assert late_header == HEADER
    return {EARLY: early, LATE: late}


@pytest.fixture(scope="module")
def good_rows(rows) -> list[list[str]]:
    return [r for file_rows in rows.values() for r in file_rows if not defects_of(r)]


@pytest.fixture(scope="module")
def aurus(good_rows) -> list[list[str]]:
    return [r for r in good_rows if r[COL["Получатель"]] in AURUS_NAMES]


def test_files_names_and_manifest(sample, rows):
    out, manifest = sample
    names = {p.name for p in out.iterdir()}
    assert names == {EARLY, LATE, TRUTH, "synthetic_manifest.json", "SYNTHETIC_README.md"}
    assert all("synthetic" in n.lower() for n in names)
    on_disk = json.loads((out / "synthetic_manifest.json").read_text(encoding="utf-8"))
    assert on_disk["synthetic"] is True and manifest.synthetic
    assert on_disk["seed"] == SEED and on_disk["rows_requested"] == ROWS
    assert "generator_version" in on_disk
    for f in on_disk["files"]:
        assert hashlib.sha256((out / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    listed = {f["name"]: f for f in on_disk["files"]}
    assert (listed[EARLY]["encoding"], listed[EARLY]["delimiter"]) == ("utf-8", ",")
    assert (listed[LATE]["encoding"], listed[LATE]["delimiter"]) == ("cp1251", ";")
    assert listed[EARLY]["rows"] == len(rows[EARLY])
    assert listed[LATE]["rows"] == len(rows[LATE])
    readme = (out / "SYNTHETIC_README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and f"seed **{SEED}**" in readme


def test_same_seed_same_bytes_other_seed_other_bytes(sample, tmp_path):
    out, manifest = sample
    again = generate_sample(tmp_path / "again", rows=ROWS, seed=SEED)
    assert again.files == manifest.files
    for name in (EARLY, LATE, TRUTH, "synthetic_manifest.json", "SYNTHETIC_README.md"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    other = generate_sample(tmp_path / "other", rows=ROWS, seed=SEED + 1)
    assert {f["sha256"] for f in other.files}.isdisjoint(f["sha256"] for f in manifest.files)
    assert other.aurus["total_2018_2023"] == manifest.aurus["total_2018_2023"]


def test_dates_split_between_files_and_formats(rows, good_rows):
    for name, first, last in ((EARLY, 2018, 2021), (LATE, 2022, 2024)):
        days = [date_of(r[COL["Дата ДТ"]]) for r in rows[name] if not defects_of(r)]
        assert all(first <= d.year <= last for d in days)
    seps = Counter()
    for r in good_rows:
        assert DECLARATION.match(r[COL["Номер ДТ"]])
        day = date_of(r[COL["Дата ДТ"]])
        assert r[COL["Номер ДТ"]].split("/")[1] == day.strftime("%d%m%y")
        assert r[COL["Направление"]] == "ИМ"
        for column in ("Количество", "Вес брутто, кг", "Вес нетто, кг", "Фактурная стоимость"):
            assert NUMBER.match(r[COL[column]]), r[COL[column]]
        usd = r[COL["Статистическая стоимость, USD"]]
        assert usd == "" or NUMBER.match(usd)
        seps.update(c for c in r[COL["Фактурная стоимость"]] if c in " \u00a0")
    assert seps[" "] > seps["\u00a0"] > 0
    declarations = Counter((r[COL["Номер ДТ"]], r[COL["№ товара"]]) for r in good_rows)
    assert max(declarations.values()) == 1
    assert max(int(r[COL["№ товара"]]) for r in good_rows) > 1


def test_countries_mostly_russian_names_some_iso_codes(good_rows):
    cells = [
        c for r in good_rows for c in r[COL["Страна отправителя"] : COL["Торгующая страна"] + 1]
    ]
    assert all(iso(c) for c in cells)
    codes = sum(1 for c in cells if re.fullmatch("[A-Z]{2}", c))
    assert 0 < codes < len(cells) * 0.15
    assert "КОРЕЯ, РЕСПУБЛИКА" in cells


def test_tn_ved_codes_extend_curated_hs2022_subheadings(good_rows):
    curated = {g.hs6 for g in HS_GOODS}
    assert len(curated) >= 150
    assert all(r[COL["Код ТН ВЭД"]][:6] in curated for r in good_rows)


def test_importer_inns_are_valid(good_rows):
    inns = {r[COL["ИНН получателя"]] for r in good_rows} - {""}
    assert len(inns) > 20
    assert all(inn.is_valid(i) and len(i) == 10 for i in inns)


def test_value_only_in_invoice_currency_before_march_2022(good_rows):
    no_usd = [r for r in good_rows if not r[COL["Статистическая стоимость, USD"]]]
    assert no_usd
    assert all(date_of(r[COL["Дата ДТ"]]) < dt.date(2022, 3, 1) for r in no_usd)
    currencies = {r[COL["Валюта"]] for r in no_usd}
    assert currencies <= {"EUR", "CNY", "KRW", "JPY", "TRY", "INR", "RUB"}
    assert all(r[COL["Фактурная стоимость"]] for r in no_usd)


def test_transit_after_invasion(good_rows):
    hubs = {"KZ", "AM", "AE", "TR", "KG"}
    transit = [
        r
        for r in good_rows
        if date_of(r[COL["Дата ДТ"]]) >= INVASION
        and iso(r[COL["Страна отправления"]]) in hubs
        and iso(r[COL["Страна происхождения"]]) in {"DE", "IT", "FR", "US", "JP", "KR"}
    ]
    assert transit


def test_aurus_figures_are_exact(sample, aurus):
    _, manifest = sample
    window = [r for r in aurus if date_of(r[COL["Дата ДТ"]]) <= dt.date(2023, 12, 31)]

    def total(selected) -> Decimal:
        return sum((number(r[COL["Статистическая стоимость, USD"]]) for r in selected), Decimal(0))

    def korean(r) -> bool:
        return iso(r[COL["Страна отправителя"]]) == iso(r[COL["Страна происхождения"]]) == "KR"

    after = [r for r in window if date_of(r[COL["Дата ДТ"]]) >= INVASION]
    assert total(window) == Decimal("34000000.00")
    assert total(r for r in window if korean(r)) == Decimal("15500000.00")
    assert total(after) == Decimal("16000000.00")
    assert total(r for r in after if korean(r)) == Decimal("5000000.00")
    expected = manifest.aurus
    assert expected["total_2018_2023"] == 34_000_000.00
    assert expected["kr_2018_2023"] == 15_500_000.00
    assert expected["after_invasion_2018_2023"] == 16_000_000.00
    assert expected["kr_after_invasion_2018_2023"] == 5_000_000.00
    assert expected["inn"] == "7743237789"
    assert expected["distinct_supplier_entities"] == len(expected["supplier_entity_keys"]) == 9
    assert 300 <= len(aurus) <= 600
    assert min(number(r[COL["Статистическая стоимость, USD"]]) for r in aurus) >= 1000
    non_korean = [r for r in window if iso(r[COL["Страна отправителя"]]) != "KR"]
    assert {iso(r[COL["Страна происхождения"]]) for r in non_korean} == {"CN", "IN", "TR", "IT"}
    by_origin = Counter()
    for r in non_korean:
        by_origin[iso(r[COL["Страна происхождения"]])] += number(
            r[COL["Статистическая стоимость, USD"]]
        )
    assert by_origin.most_common(1)[0][0] == "CN"


def test_aurus_names_inn_addresses_and_transit(aurus):
    assert {r[COL["Получатель"]] for r in aurus} == AURUS_NAMES
    inns = Counter(r[COL["ИНН получателя"]] for r in aurus)
    assert set(inns) == {"7743237789", ""}
    assert 0.05 < inns[""] / len(aurus) < 0.3
    for r in aurus:
        moscow = "МОСКВА" in r[COL["Адрес получателя"]]
        assert moscow == (date_of(r[COL["Дата ДТ"]]).year <= 2020)
    transit = {
        iso(r[COL["Страна отправления"]])
        for r in aurus
        if iso(r[COL["Страна происхождения"]]) == "KR" and date_of(r[COL["Дата ДТ"]]) >= INVASION
    }
    assert {"KZ", "AM"} & transit
    exporters = {r[COL["Отправитель"]] for r in aurus}
    assert {
        "HANBIT AUTOTECH CO., LTD",
        "ХАНБИТ АВТОТЕК КО., ЛТД",
        "한빛오토텍 주식회사",
    } <= exporters


def test_one_korean_supplier_keeps_shipping_after_designation(sample, aurus):
    _, manifest = sample
    late = [r for r in aurus if date_of(r[COL["Дата ДТ"]]) > DESIGNATION]
    assert {iso(r[COL["Страна происхождения"]]) for r in late} == {"KR"}
    window = [
        r for r in late if dt.date(2024, 3, 1) <= date_of(r[COL["Дата ДТ"]]) <= dt.date(2024, 9, 30)
    ]
    assert len({r[COL["Номер ДТ"]] for r in window}) >= 3
    truth = {
        row["name"]: row["entity_key"]
        for row in csv.DictReader((sample[0] / TRUTH).open(encoding="utf-8"))
        if row["role"] == "exporter"
    }
    suppliers = {truth[r[COL["Отправитель"]]] for r in late}
    assert suppliers == {manifest.aurus["after_designation"]["supplier_entity_key"]}
    early_2024 = [
        r for r in aurus if dt.date(2024, 1, 1) <= date_of(r[COL["Дата ДТ"]]) < DESIGNATION
    ]
    assert len({truth[r[COL["Отправитель"]]] for r in early_2024}) > 1


def test_every_defect_kind_present_and_counted(sample, rows):
    _, manifest = sample
    recount = Counter()
    for file_rows in rows.values():
        for r in file_rows:
            found = defects_of(r)
            assert len(found) <= 1, (found, r)
            recount.update(found)
            if found:
                assert r[COL["Получатель"]] not in AURUS_NAMES
    assert set(recount) == set(DEFECT_KINDS)
    assert dict(recount) == manifest.bad_rows_by_kind
    assert manifest.bad_rows == sum(recount.values())
    assert 0.002 < manifest.bad_rows / ROWS < 0.01


def test_truth_covers_every_written_name(sample, rows):
    out, _ = sample
    truth = list(csv.DictReader((out / TRUTH).open(encoding="utf-8")))
    keys = {(t["name"], t["role"]) for t in truth}
    assert len(keys) == len(truth)
    written = set()
    for file_rows in rows.values():
        for r in file_rows:
            written.add((r[COL["Получатель"]], "importer"))
            written.add((r[COL["Отправитель"]], "exporter"))
    assert written == keys
    assert {t["script"] for t in truth} == {"Latin", "Cyrillic", "Hangul"}
    firms = Counter(t["entity_key"] for t in truth if t["role"] == "exporter")
    assert max(firms.values()) > 1  # some firms are written several ways
    hangul = [t["name"] for t in truth if t["script"] == "Hangul"]
    assert not any(r[COL["Отправитель"]] in hangul for r in rows[LATE])


def test_aurus_scenario_does_not_depend_on_rows(sample, aurus, tmp_path):
    small = generate_sample(tmp_path, rows=1000, seed=SEED)
    _, small_rows = read_rows(tmp_path / EARLY, "utf-8", ",")
    _, small_late = read_rows(tmp_path / LATE, "cp1251", ";")
    small_aurus = [r for r in small_rows + small_late if r[COL["Получатель"]] in AURUS_NAMES]
    assert small_aurus == aurus
    assert small.aurus == sample[1].aurus


def test_too_few_rows_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_sample(tmp_path, rows=10)
