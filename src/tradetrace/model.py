"""The canonical declaration model: one row per declaration line.

Every reader and profile ends in these columns, and everything downstream
(resolve, screen, analyse, report) reads only these columns. The mapping onto
FollowTheMoney's ``EconomicActivity`` is documented in ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.datatypes as dt
import ibis.expr.schema as sch


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str
    doc: str


DECLARATION_FIELDS: tuple[Field, ...] = (
    Field("declaration_id", "string", "Customs declaration number (ДТ / entry / bill of lading)."),
    Field("line_no", "int32", "Goods line within the declaration (графа 32), 1 when not given."),
    Field("date", "date", "Declaration (registration) date."),
    Field("direction", "string", "'import' or 'export', seen from the reporting country."),
    Field("reporter_country", "string", "ISO2 of the customs authority whose records these are."),
    Field(
        "granularity",
        "string",
        "'line' (a declaration goods line or bill of lading) or 'month' (a vendor's monthly "
        "aggregate, dated the first of its month).",
    ),
    Field("importer_name", "string", "Consignee / recipient (получатель) as declared."),
    Field(
        "importer_name_alt",
        "string",
        "The importer's other spelling from a second name column (IMPORTER_NAME_EN).",
    ),
    Field("importer_id", "string", "Importer tax id as declared (INN for Russia)."),
    Field("importer_address", "string", "Importer address as declared."),
    Field("importer_country", "string", "ISO 3166-1 alpha-2 of the importer."),
    Field("exporter_name", "string", "Consignor / shipper (отправитель) as declared."),
    Field("exporter_name_alt", "string", "The exporter's other spelling (EXPORTER_NAME_EN)."),
    Field("exporter_id", "string", "Exporter tax or registration id as declared."),
    Field("exporter_address", "string", "Exporter address as declared."),
    Field("exporter_country", "string", "ISO 3166-1 alpha-2 of the exporter."),
    Field("origin_country", "string", "Country of origin of the goods (ISO2)."),
    Field("dispatch_country", "string", "Country of dispatch / export (ISO2)."),
    Field("destination_country", "string", "Country of destination of the goods (ISO2)."),
    Field("trading_country", "string", "Country of the trading counterparty (ISO2)."),
    Field("hs_code", "string", "Commodity code as declared (digits only: TN VED, HTS, HS)."),
    Field("hs6", "string", "First six digits: the internationally comparable HS subheading."),
    Field("hs_chapter", "string", "Two-digit HS chapter."),
    Field("hs_section", "string", "HS section as a Roman numeral (I-XXI)."),
    Field("description", "string", "Goods description as declared."),
    Field("manufacturer", "string", "Manufacturer as declared."),
    Field("brand", "string", "Trade mark as declared."),
    Field("quantity", "float64", "Quantity in the declared unit."),
    Field("unit", "string", "Unit of the quantity."),
    Field("net_kg", "float64", "Net weight, kg."),
    Field("gross_kg", "float64", "Gross weight, kg."),
    Field("value", "float64", "Invoice value in the declared currency."),
    Field("currency", "string", "ISO 4217 code of the invoice currency."),
    Field("value_usd", "float64", "Value in US dollars at the declaration date."),
    Field("value_usd_source", "string", "'declared', 'ecb' or 'user': where value_usd came from."),
    Field("notify_name", "string", "Notify party (bills of lading)."),
    Field("declarant_name", "string", "Declarant (customs applicant) as declared."),
    Field("declarant_id", "string", "Declarant's tax or registration id as declared."),
    Field("loading_port", "string", "Port of loading."),
    Field("discharge_port", "string", "Port of discharge / customs post."),
    Field(
        "extra",
        "string",
        "The file's columns nothing mapped, as a JSON object {header: cell} (null: none).",
    ),
    Field(
        "notes",
        "string",
        "What ingest noticed about the row ('; '-separated): a region in a country column, a "
        "value with no exchange rate (value_usd null), an HS code it could not read ...",
    ),
    Field("source_file", "string", "File the row came from (as given to ingest)."),
    Field("source_row", "int64", "1-based data record number in that file (header excluded)."),
    Field("ingest_id", "string", "The ingest run that loaded the row (sha256 of the file)."),
)

DECLARATION_COLUMNS: tuple[str, ...] = tuple(f.name for f in DECLARATION_FIELDS)

#: Fields a profile may map from a source column (everything but bookkeeping and what ingest
#: derives), plus ``period``: a month column ("Apr 2023") that dates a month aggregate.
MAPPABLE_FIELDS: tuple[str, ...] = (
    *(
        f.name
        for f in DECLARATION_FIELDS
        if f.name
        not in {
            "hs6",
            "hs_chapter",
            "hs_section",
            "value_usd_source",
            "granularity",
            "extra",
            "notes",
            "source_file",
            "source_row",
            "ingest_id",
        }
    ),
    "period",
)

COUNTRY_FIELDS: tuple[str, ...] = (
    "importer_country",
    "exporter_country",
    "origin_country",
    "dispatch_country",
    "destination_country",
    "trading_country",
)


def declarations_schema() -> sch.Schema:
    return sch.Schema({f.name: dt.dtype(f.dtype) for f in DECLARATION_FIELDS})


QUARANTINE_SCHEMA = sch.Schema(
    {
        "ingest_id": "string",
        "file": "string",
        "row": "int64",
        "column": "string",
        "value": "string",
        "reason": "string",
        "raw": "string",
    }
)

INGEST_RUNS_SCHEMA = sch.Schema(
    {
        "ingest_id": "string",
        "file": "string",
        "sha256": "string",
        "profile": "string",
        "direction": "string",
        "reporter_country": "string",
        "granularity": "string",
        "reading": "string",
        "rows_in": "int64",
        "loaded": "int64",
        "quarantined": "int64",
        "synthetic": "boolean",
        "started": "timestamp",
        "finished": "timestamp",
    }
)
