"""Eurostat Comext: the relational view CSV and the bulk download files.

- Relational view (Comext's "Relational view" download, and the shared data's file built
  from such downloads): ``reporter,partner,flow,product,stat_procedure,period[,period_iso],
  value_eur`` with labels ("Germany (incl. German Democratic Republic 'DD' from 1991)"),
  ``EXPORT``/``IMPORT`` and periods "Jan. 2019".
- Bulk download (``COMEXT_DATA/PRODUCTS/full[_v2]_YYYYMM``, a CSV named ``.dat``), one row
  per reporter, partner, CN8 product, flow and statistical procedure. Files before 2024:
  ``DECLARANT,DECLARANT_ISO,PARTNER,PARTNER_ISO,TRADE_TYPE,PRODUCT_NC,…,FLOW,STAT_REGIME,
  SUPP_UNIT,PERIOD,VALUE_IN_EUROS,QUANTITY_IN_KG,SUP_QUANTITY``; ``full_v2`` files:
  ``REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,…,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,
  VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT``. Reporter and partner are ISO2
  codes (Eurostat's own for a few places: see ``data/aggregates.yaml``), ``FLOW`` 1 is an
  import and 2 an export, ``PERIOD`` is ``YYYYMM`` (``YYYY52``: the year).

Values are euros. Comext values exports FOB and imports CIF (at the reporter's border).
Statistical procedures are not a column of ``trade_flows``: a bulk file's rows for one
product are a partition by procedure (their sum is the total), and the relational view's
``stat_procedure`` is ``Total`` unless the download asked for a breakdown.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.stats import periods
from tradetrace.stats.cells import Cells
from tradetrace.stats.codes import code_reader
from tradetrace.stats.model import Format, Parsed, parsed
from tradetrace.stats.products import product_code

__all__ = ["BULK", "RELATIONAL"]

SOURCE = "eurostat_comext"
CURRENCY = "EUR"
#: Comext's valuation of each flow: at the reporter's border.
VALUATION = {"export": "FOB", "import": "CIF"}
_FLOW_WORDS = {"EXPORT": "export", "EXPORTS": "export", "IMPORT": "import", "IMPORTS": "import"}
_FLOW_CODES = {"1": "import", "2": "export"}


def _lower(header: list[str]) -> set[str]:
    return {name.lower() for name in header}


def _valuation(flow: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(flow, "export"), VALUATION["export"], VALUATION["import"])


# -- relational view ------------------------------------------------------------------------------


def _is_relational(header: list[str]) -> bool:
    names = _lower(header)
    return {"reporter", "partner", "flow", "product", "value_eur"} <= names and bool(
        {"period", "period_iso"} & names
    )


def _flow_word(text: str) -> str:
    try:
        return _FLOW_WORDS[text.upper()]
    except KeyError:
        raise ValueError(f"unknown flow {text!r}: expected EXPORT or IMPORT") from None


def _relational_period(cells: Cells) -> tuple[pa.Array, str]:
    """The period, from ``period_iso`` where the file has it (checked against ``period``)."""
    if not cells.has("period_iso"):
        return cells.mapped("period", periods.from_label, pa.string()), cells.name("period")
    iso = cells.mapped("period_iso", periods.from_iso, pa.string())
    if cells.has("period"):
        label = cells.mapped("period", periods.from_label, pa.string())
        differ = pc.not_equal(iso, label)
        if pc.any(differ).as_py():
            index = cells.first(differ)
            cells.fail(
                index,
                cells.name("period"),
                f"{cells.text('period')[index].as_py()!r} is not the month of period_iso "
                f"{cells.text('period_iso')[index].as_py()!r}",
            )
    return iso, cells.name("period_iso")


def _read_relational(cells: Cells) -> Parsed:
    flow = cells.mapped("flow", _flow_word, pa.string())
    period, period_column = _relational_period(cells)
    return parsed(
        len(cells),
        reporter=cells.mapped("reporter", code_reader("reporter", SOURCE), pa.string()),
        reporter_label=cells.text("reporter"),
        partner=cells.mapped("partner", code_reader("partner", SOURCE), pa.string()),
        partner_label=cells.text("partner"),
        flow=flow,
        product=cells.mapped("product", product_code, pa.string()),
        frequency=periods.frequencies(period),
        period=period,
        valuation=_valuation(flow),
        value=cells.numbers("value_eur"),
        currency=CURRENCY,
        source_row=cells.rows,
        period_column=period_column,
    )


RELATIONAL = Format(SOURCE, "Comext relational view CSV", _is_relational, _read_relational)


# -- bulk download --------------------------------------------------------------------------------


def _column(cells: Cells, *names: str) -> str:
    """The first of ``names`` the file has (the bulk format renamed its columns in 2024)."""
    return next(name for name in names if cells.has(name))


def _is_bulk(header: list[str]) -> bool:
    names = _lower(header)
    return (
        {"product_nc", "flow", "period"} <= names
        and bool({"declarant_iso", "reporter"} & names)
        and bool({"partner_iso", "partner"} & names)
        and bool({"value_in_euros", "value_eur"} & names)
    )


def _flow_code(text: str) -> str:
    try:
        return _FLOW_CODES[text]
    except KeyError:
        raise ValueError(f"unknown flow {text!r}: expected 1 (import) or 2 (export)") from None


def _read_bulk(cells: Cells) -> Parsed:
    reporter = _column(cells, "DECLARANT_ISO", "REPORTER")
    partner = _column(cells, "PARTNER_ISO", "PARTNER")
    flow = cells.mapped("FLOW", _flow_code, pa.string())
    period = cells.mapped("PERIOD", periods.from_yyyymm, pa.string())
    return parsed(
        len(cells),
        reporter=cells.mapped(reporter, code_reader("reporter", SOURCE), pa.string()),
        reporter_label=cells.text(reporter),
        partner=cells.mapped(partner, code_reader("partner", SOURCE), pa.string()),
        partner_label=cells.text(partner),
        flow=flow,
        product=cells.mapped("PRODUCT_NC", product_code, pa.string()),
        frequency=periods.frequencies(period),
        period=period,
        valuation=_valuation(flow),
        value=cells.numbers(_column(cells, "VALUE_IN_EUROS", "VALUE_EUR")),
        currency=CURRENCY,
        source_row=cells.rows,
        period_column=cells.name("PERIOD"),
    )


BULK = Format(SOURCE, "Comext bulk download (full_YYYYMM.dat)", _is_bulk, _read_bulk)
