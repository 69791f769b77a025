"""The ``trade_flows`` table: one row per figure an official statistics file gives.

Every source's rows are written in the same columns, so an analysis reads Comext, IMF and
Comtrade figures alike: who reported (``reporter``), the other side (``partner``), the
direction, the goods, the period, the value in its currency and in US dollars, and where
the figure came from (source, file, data row, the file's version), so that any figure can be
checked against the file it was read from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from tradetrace.stats.cells import Cells

__all__ = [
    "FLOWS",
    "FLOWS_SCHEMA",
    "FREQUENCIES",
    "PARSED_SCHEMA",
    "SOURCES",
    "VALUATIONS",
    "Format",
    "Parsed",
    "parsed",
]

#: The sources read, as ``trade_flows.source`` names them.
SOURCES = ("eurostat_comext", "imf_imts", "un_comtrade")
FLOWS = ("export", "import")
FREQUENCIES = ("month", "year")
#: The basis of a value: goods at the exporter's border (FOB) or at the importer's, with
#: insurance and freight (CIF). Null where the file does not say.
VALUATIONS = ("FOB", "CIF")


def _field(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


#: The columns of ``trade_flows``, in order (``docs/stats.md`` explains each).
FLOWS_SCHEMA = pa.schema(
    [
        _field("reporter", pa.string()),
        _field("reporter_label", pa.string()),
        _field("partner", pa.string()),
        _field("partner_label", pa.string()),
        _field("flow", pa.string()),
        _field("product", pa.string()),
        _field("product_level", pa.string()),
        _field("frequency", pa.string()),
        _field("period", pa.string()),
        _field("period_start", pa.date32()),
        _field("valuation", pa.string(), nullable=True),
        _field("value", pa.float64()),
        _field("currency", pa.string()),
        _field("value_usd", pa.float64()),
        _field("usd_rate", pa.float64()),
        _field("source", pa.string()),
        _field("source_file", pa.string()),
        _field("source_row", pa.int64()),
        _field("version", pa.string()),
        _field("load_id", pa.string()),
        _field("loaded_at", pa.timestamp("us")),
    ]
)

#: What a reader makes of a batch of rows: the figures, before the loader adds the product
#: level, the period's first day, US dollars and provenance. ``period_column`` is the header
#: the period was read from (a year column for the IMF), named when the period has no rate.
PARSED_SCHEMA = pa.schema(
    [
        FLOWS_SCHEMA.field(name)
        for name in (
            "reporter", "reporter_label", "partner", "partner_label", "flow", "product",
            "frequency", "period", "valuation", "value", "currency", "source_row",
        )
    ]
    + [_field("period_column", pa.string())]
)  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    """A batch's figures (:data:`PARSED_SCHEMA`), and how many cells held no figure (a blank
    year of an IMF row: no trade reported, not a row of ``trade_flows``)."""

    table: pa.Table
    blanks: int = 0


@dataclass(frozen=True)
class Format:
    """A file shape a source publishes: recognised from its header, read batch by batch."""

    source: str
    name: str
    matches: Callable[[list[str]], bool]
    read: Callable[[Cells], Parsed]


def parsed(rows: int, blanks: int = 0, **columns: pa.Array | str | None) -> Parsed:
    """:data:`PARSED_SCHEMA`'s columns from arrays, or one value for every row."""
    arrays = [
        columns[f.name]
        if isinstance(columns[f.name], pa.Array | pa.ChunkedArray)
        else pa.array([columns[f.name]] * rows, f.type)
        for f in PARSED_SCHEMA
    ]
    return Parsed(pa.Table.from_arrays(arrays, schema=PARSED_SCHEMA), blanks)
