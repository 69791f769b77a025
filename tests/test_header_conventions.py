"""The same declarations written under other header conventions load to the same rows.

One small SYNTHETIC table is written as snake_case CSV, Title Case with units in brackets,
Russian headers in cp1251 with decimal commas, Spanish, camelCase in an .xlsx workbook and
UPPER_SNAKE in a .tsv, each with its columns in another order. No profile and no ``--map``:
ingest reads the header words, and every file must give the same totals and the same rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from tradetrace.ingest.detect import Options
from tradetrace.ingest.headers import read_header
from tradetrace.ingest.pipeline import ingest
from tradetrace.store import open_store

#: SYNTHETIC rows: number, date, importer, its INN, supplier, origin, HS, qty, net kg, USD
ROWS = [
    ("10702070/150323/0000001", "2023-03-15", "ООО ВЕКТОР", "7707083893", "HANBIT AUTOTECH CO LTD",
     "KR", "8708299009", 120, 1534.5, 48210.75),
    ("10702070/150323/0000002", "2023-03-15", "ООО ВЕКТОР", "7707083893", "TIANJIN QIHENG TRADING",
     "CN", "8544429007", 3000, 812.25, 12999.9),
    ("10702070/020423/0000003", "2023-04-02", "АО ПОЛЮС", "7736050003", "HANBIT AUTOTECH CO LTD",
     "KR", "8708999709", 8, 220.0, 3120.0),
    ("10702070/020423/0000004", "2023-04-02", "АО ПОЛЮС", "7736050003", "SAMSUNG ELECTRONICS",
     "VN", "8471300000", 40, 96.4, 51234.5),
]  # fmt: skip
FIELDS = ("declaration_id", "date", "importer_name", "importer_id", "exporter_name",
          "origin_country", "hs_code", "quantity", "net_kg", "value_usd")  # fmt: skip

CONVENTIONS = {
    "snake_case": ("declaration_number", "declaration_date", "importer_name", "importer_tax_id",
                   "exporter_name", "country_of_origin", "hs_code", "quantity", "net_weight_kg",
                   "value_usd"),
    "title_case_units": ("Declaration Number", "Declaration Date", "Importer", "Importer Tax ID",
                         "Supplier", "Country of Origin", "HS Code", "Quantity (pcs)",
                         "Net Weight (kg)", "Value of Goods (USD)"),
    "russian_cp1251": ("Номер декларации", "Дата декларации", "Получатель", "ИНН получателя",
                       "Отправитель", "Страна происхождения", "Код ТН ВЭД", "Количество",
                       "Вес нетто, кг", "Стоимость, долл. США"),
    "spanish": ("Número de declaración", "Fecha", "Importador", "NIT del importador",
                "Proveedor", "País de origen", "Partida arancelaria", "Cantidad",
                "Peso neto (kg)", "Valor FOB (US$)"),
    "camel_case_xlsx": ("declarationNumber", "declarationDate", "importerName", "importerInn",
                        "shipperName", "originCountry", "hsCode", "quantity", "netWeightKg",
                        "statisticalValueUsd"),
    "upper_snake_tsv": ("DECLARATION_NO", "IMP_DATE", "CONSIGNEE_NAME", "CONSIGNEE_TAX_NUMBER",
                        "SELLER_NAME", "ORIGIN_COUNTRY", "HS_CODE", "QTY", "NET_WEIGHT_KG",
                        "CUSTOMS_VALUE_USD"),
}  # fmt: skip
#: each file lists its columns in another order
ORDERS = {
    "snake_case": list(range(10)),
    "title_case_units": [9, 0, 2, 1, 4, 3, 6, 5, 8, 7],
    "russian_cp1251": [4, 3, 2, 1, 0, 9, 8, 7, 6, 5],
    "spanish": [6, 0, 1, 7, 2, 8, 3, 9, 4, 5],
    "camel_case_xlsx": [1, 3, 5, 7, 9, 0, 2, 4, 6, 8],
    "upper_snake_tsv": [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
}


def _cells(convention: str, row: tuple) -> list[str]:
    """A row as that convention writes it: Russian dd.mm.yyyy and "1 534,50"."""
    cells = [str(v) for v in row]
    if convention == "russian_cp1251":
        y, m, d = row[1].split("-")
        cells[1] = f"{d}.{m}.{y}"
        for i in (7, 8, 9):
            whole, _, frac = f"{float(row[i]):,.2f}".partition(".")
            cells[i] = whole.replace(",", "\u00a0") + "," + frac
    return cells


def _write(folder: Path, convention: str) -> Path:
    header = CONVENTIONS[convention]
    order = ORDERS[convention]
    rows = [[_cells(convention, r)[i] for i in order] for r in ROWS]
    header = [header[i] for i in order]
    if convention.endswith("xlsx"):
        path = folder / f"SYNTHETIC_{convention}.xlsx"
        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append(
                [float(c) if i in (7, 8, 9) else c for i, c in zip(order, row, strict=True)]
            )
        book.save(path)
        return path
    suffix, delimiter, encoding = ".csv", ",", "utf-8"
    if convention.endswith("tsv"):
        suffix, delimiter = ".tsv", "\t"
    if convention == "russian_cp1251":
        delimiter, encoding = ";", "cp1251"
    path = folder / f"SYNTHETIC_{convention}{suffix}"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conventions")
    readings, rows = {}, {}
    with open_store(folder / "store.duckdb") as store:
        for convention in CONVENTIONS:
            path = _write(folder, convention)
            result = ingest(store, [path], options=Options(reporter="RU"))
            readings[convention] = result.files[0]
            table = store.query(
                f"SELECT {', '.join(FIELDS)}, direction, reporter_country, importer_country "
                f"FROM declarations WHERE source_file = '{path}' ORDER BY source_row"
            )
            rows[convention] = table.to_pylist()
    return readings, rows


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_every_convention_maps_every_field(loaded, convention):
    readings, _ = loaded
    file = readings[convention]
    assert file.loaded == len(ROWS) and file.quarantined == 0
    assert sorted(file.reading["mapping"]) == sorted(FIELDS)
    assert file.reading["unmapped_columns"] == []
    assert file.reading["direction"] == "import"


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_every_convention_gives_the_same_rows(loaded, convention):
    _, rows = loaded
    assert rows[convention] == rows["snake_case"]
    first = rows[convention][0]
    assert first["value_usd"] == pytest.approx(48210.75)
    assert first["importer_country"] == "RU" and first["reporter_country"] == "RU"
    assert sum(r["net_kg"] for r in rows[convention]) == pytest.approx(2663.15)


@pytest.mark.parametrize(
    ("header", "field", "currency"),
    [
        ("Valor FOB (US$)", "value_usd", "USD"),
        ("Стоимость, долл. США", "value_usd", "USD"),
        ("TOTAL VALUE_INR", "value", "INR"),
        ("PRICE_LEI", "value", "MDL"),
        ("CUSTOMS VALUE LC", "value", "local"),
        ("SUMOFVALUE_IN_FOREIGN_CURRENCY", "value", "column"),
        ("UNIT_PRICE_USD", None, None),
        ("%GTTOTALVALUE", None, None),
        ("USD_PER_KG", None, None),
        ("DUTY PAID_INR", None, None),
        ("Фактурная стоимость", "value", None),
    ],
)
def test_value_headers_say_their_currency(header, field, currency):
    reading = read_header(0, header)
    assert reading.field == field
    assert reading.currency == currency


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("arrival_date", "date"),
        ("Fecha de importación", "date"),
        ("ESTIMATE_ARRIVAL_DATE", None),
        ("MONTHYEAR", "period"),
        ("Наименование получателя", "importer_name"),
        ("IMPORTER_NAME_EN", "importer_name"),
        ("importerTaxId", "importer_id"),
        ("BUYER_ADDRESS", "importer_address"),
        ("COUNTRY_OF_EXPORTER", "exporter_country"),
        ("NOTIFY_PARTY_NAME", "notify_name"),
        ("CUSTOMS_BROKER_NAME", None),
        ("RECORD_ID", None),
        ("INDICATOR_OF_TRUE_SUPPLIER", None),
        ("Вес брутто, кг", "gross_kg"),
        ("WEIGHT_UNIT", None),
        ("HS_CODE_2", None),
        ("COUNTRY_OF_SHIPMENT_OR_DESTINATION", "trading_country"),
        ("DECLARATION_NO", "declaration_id"),
        ("№ товара", "line_no"),
    ],
)
def test_headers_are_read_by_their_words(header, field):
    assert read_header(0, header).field == field
