"""The IMF's International Trade in Goods (IMTS) download CSV: one row per series, one
column per year (or month).

Its columns: ``DATASET, SERIES_CODE, OBS_MEASURE, COUNTRY.ID, COUNTRY, INDICATOR.ID,
INDICATOR, COUNTERPART_COUNTRY.ID, COUNTERPART_COUNTRY, FREQUENCY.ID, FREQUENCY, SCALE.ID,
SCALE, TRADE_FLOW.ID, TRADE_FLOW`` then ``2016`` … ``2024`` (``2019-M01`` … for monthly
series). ``COUNTRY.ID`` is the reporter (ISO3), ``COUNTERPART_COUNTRY.ID`` the partner (ISO3,
or the IMF's own code for a group: ``G001`` the world, ``G998`` the European Union …).
``INDICATOR.ID`` says the flow, valuation and currency: ``MG_CIF_USD`` imports of goods CIF
in US dollars, ``XG_FOB_USD`` exports FOB. Values are in the unit ``SCALE.ID`` gives as a
power of ten (6: millions); ``value`` is the figure times that unit.

A blank cell is a year with no figure: not a row of ``trade_flows`` (the load's summary
counts them), never a zero.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.stats import periods
from tradetrace.stats.cells import Cells
from tradetrace.stats.codes import code_reader
from tradetrace.stats.model import Format, Parsed, parsed

__all__ = ["IMTS"]

SOURCE = "imf_imts"
_REQUIRED = {"country.id", "counterpart_country.id", "indicator.id"}
_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"[0-9]{4}-M[0-9]{2}")
#: INDICATOR.ID: the flow (MG imports, XG exports of goods), the valuation, the currency.
_INDICATOR = re.compile(r"(MG|XG)_(CIF|FOB)_([A-Z]{3})")
_FLOWS = {"MG": "import", "XG": "export"}
_FREQUENCY = {"A": "year", "M": "month"}
#: SCALE when the file has no SCALE.ID: the power of ten of each unit's name.
_SCALE_WORDS = {"units": 0, "thousands": 3, "millions": 6, "billions": 9}


def _period_columns(header: list[str]) -> list[str]:
    return [name for name in header if _YEAR.fullmatch(name) or _MONTH.fullmatch(name)]


def _is_imts(header: list[str]) -> bool:
    return {name.lower() for name in header} >= _REQUIRED and bool(_period_columns(header))


def _indicator(part: int):
    def read(text: str) -> str:
        match = _INDICATOR.fullmatch(text)
        if match is None:
            raise ValueError(
                f"unknown indicator {text!r}: expected imports (MG_CIF_USD) or exports "
                "(XG_FOB_USD) of goods"
            )
        return _FLOWS[match.group(1)] if part == 1 else match.group(part)

    return read


def _trade_flow(text: str) -> str:
    try:
        return _FLOWS[text]
    except KeyError:
        raise ValueError(f"unknown trade flow {text!r}: expected MG or XG") from None


def _scale_id(text: str) -> float:
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a power of ten (6: millions)")
    return 10.0 ** int(text)


def _scale_word(text: str) -> float:
    try:
        return 10.0 ** _SCALE_WORDS[text.lower()]
    except KeyError:
        raise ValueError(f"unknown scale {text!r}: expected Units, Thousands or Millions") from None


def _scale(cells: Cells) -> pa.Array:
    if cells.has("SCALE.ID"):
        return cells.mapped("SCALE.ID", _scale_id, pa.float64())
    if cells.has("SCALE"):
        return cells.mapped("SCALE", _scale_word, pa.float64())
    cells.fail(0, "SCALE.ID", "no SCALE.ID or SCALE column: the unit of the figures is unknown")


def _check_flow(cells: Cells, flow: pa.Array) -> None:
    """``TRADE_FLOW.ID`` must say what ``INDICATOR.ID`` says."""
    if not cells.has("TRADE_FLOW.ID"):
        return
    stated = cells.mapped("TRADE_FLOW.ID", _trade_flow, pa.string())
    differ = pc.not_equal(stated, flow)
    if pc.any(differ).as_py():
        index = cells.first(differ)
        cells.fail(index, cells.name("TRADE_FLOW.ID"), f"is not the {flow[index]} flow "
                   f"of INDICATOR.ID {cells.text('INDICATOR.ID')[index].as_py()!r}")  # fmt: skip


def _check_frequency(cells: Cells, column: str) -> None:
    """``FREQUENCY.ID`` must be A for a year column, M for a month one."""
    if not cells.has("FREQUENCY.ID"):
        return
    wanted = "year" if _YEAR.fullmatch(column) else "month"

    def read(text: str) -> str:
        if _FREQUENCY.get(text) != wanted:
            raise ValueError(f"frequency {text!r} does not fit the column {column!r} ({wanted})")
        return text

    cells.mapped("FREQUENCY.ID", read, pa.string())


def _read(cells: Cells) -> Parsed:
    flow = cells.mapped("INDICATOR.ID", _indicator(1), pa.string())
    _check_flow(cells, flow)
    per_row = {
        "reporter": cells.mapped("COUNTRY.ID", code_reader("reporter", SOURCE), pa.string()),
        "reporter_label": cells.text("COUNTRY") if cells.has("COUNTRY") else None,
        "partner": cells.mapped(
            "COUNTERPART_COUNTRY.ID", code_reader("partner", SOURCE), pa.string()
        ),
        "partner_label": (
            cells.text("COUNTERPART_COUNTRY") if cells.has("COUNTERPART_COUNTRY") else None
        ),
        "flow": flow,
        "valuation": cells.mapped("INDICATOR.ID", _indicator(2), pa.string()),
        "currency": cells.mapped("INDICATOR.ID", _indicator(3), pa.string()),
        "scale": _scale(cells),
        "source_row": cells.rows,
    }
    if per_row["reporter_label"] is None:  # no name columns: the codes as written
        per_row["reporter_label"] = cells.text("COUNTRY.ID")
    if per_row["partner_label"] is None:
        per_row["partner_label"] = cells.text("COUNTERPART_COUNTRY.ID")
    tables, blanks = [], 0
    for column in _period_columns(cells.header):
        _check_frequency(cells, column)
        values = cells.numbers(column, blank_ok=True)
        present = pc.indices_nonzero(pc.is_valid(values))
        blanks += len(values) - len(present)
        period = periods.from_iso(column)
        rows = {name: array.take(present) for name, array in per_row.items()}
        scale = rows.pop("scale")
        tables.append(
            parsed(
                len(present),
                **rows,
                product="TOTAL",
                frequency=periods.MONTH if len(period) == 7 else periods.YEAR,
                period=period,
                value=pc.multiply(values.take(present), scale),
                period_column=column,
            ).table
        )
    table = pa.concat_tables(tables).sort_by([("source_row", "ascending"), ("period", "ascending")])
    return Parsed(table, blanks)


IMTS = Format(SOURCE, "IMF IMTS download CSV", _is_imts, _read)
