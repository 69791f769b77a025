"""UN Comtrade's CSV, as its download page and its API (``comtradeapicall``'s data frames
written to CSV) produce it.

Its columns (47 in a full download): ``typeCode, freqCode, refPeriodId, refYear, refMonth,
period, reporterCode, reporterISO, reporterDesc, flowCode, flowDesc, partnerCode,
partnerISO, partnerDesc, partner2Code, partner2ISO, partner2Desc, classificationCode,
classificationSearchCode, isOriginalClassification, cmdCode, cmdDesc, aggrLevel, isLeaf,
customsCode, customsDesc, mosCode, motCode, motDesc, qtyUnitCode, qtyUnitAbbr, qty, …,
netWgt, …, cifvalue, fobvalue, primaryValue, legacyEstimationFlag, isReported,
isAggregate``. ``primaryValue`` is the trade value in US dollars; ``cifvalue`` and
``fobvalue`` the CIF and FOB values where the reporter gives them, so ``valuation`` is
whichever of the two equals ``primaryValue`` (null when neither is given).

Read: goods (``typeCode`` C), imports (``flowCode`` M) and exports (X), annual or monthly
(``freqCode`` A / M, ``period`` 2023 / 202301). Rows that break a figure down further than
``trade_flows`` can say are refused, not loaded as if they were totals: re-exports and
re-imports (RX, RM: already inside X and M), a second partner, a customs procedure or a mode
of transport other than the total (``partner2Code`` 0, ``customsCode`` C00, ``motCode`` 0).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.stats import periods
from tradetrace.stats.cells import Cells
from tradetrace.stats.codes import code_of
from tradetrace.stats.model import Format, Parsed, parsed
from tradetrace.stats.products import product_code

__all__ = ["COMTRADE"]

SOURCE = "un_comtrade"
CURRENCY = "USD"
_REQUIRED = {"reportercode", "partnercode", "flowcode", "cmdcode", "primaryvalue"}
_FLOWS = {"M": "import", "X": "export"}
_FREQUENCY = {"A": periods.YEAR, "M": periods.MONTH}
#: Columns whose every value must be the total over that breakdown (blank: not broken down).
_TOTALS = {"partner2Code": "0", "customsCode": "C00", "motCode": "0"}
_SEP = "\x1f"


def _is_comtrade(header: list[str]) -> bool:
    names = {name.lower() for name in header}
    return names >= _REQUIRED and bool({"period", "refyear"} & names)


def _flow(text: str) -> str:
    try:
        return _FLOWS[text]
    except KeyError:
        raise ValueError(
            f"flow {text!r} is not read: trade_flows holds imports (M) and exports (X); "
            "re-exports and re-imports are already inside them"
        ) from None


def _only(value: str):
    def read(text: str) -> str:
        if text not in ("", value):
            raise ValueError(f"{text!r} is a breakdown; only the total ({value}) is read")
        return text

    return read


def _goods(text: str) -> str:
    if text not in ("", "C"):
        raise ValueError(f"type {text!r} is not goods (C)")
    return text


def _place(cells: Cells, kind: str, iso: str, code: str) -> tuple[pa.Array, pa.Array]:
    """The code of each reporter or partner: from the ISO column where it names a country or
    a known aggregate, else from the numeric code; and the label: the description column,
    else the code as written."""
    has_iso = cells.has(iso)
    numeric = cells.text(code)
    iso_text = cells.text(iso) if has_iso else pa.array([""] * len(cells), pa.string())
    keys = pc.binary_join_element_wise(iso_text, numeric, _SEP)

    def read(key: str) -> str:
        written_iso, written_code = key.split(_SEP)
        found = (code_of(written_iso, SOURCE) if written_iso else None) or code_of(
            written_code, SOURCE
        )
        if found is None:
            shown = written_iso or written_code
            raise ValueError(f"unknown {kind} {shown!r}: not a country or a known aggregate "
                             "(add it to tradetrace/stats/data/aggregates.yaml)")  # fmt: skip
        return found

    codes = cells.mapped(iso if has_iso else code, read, pa.string(), values=keys)
    written = pc.if_else(pc.equal(iso_text, ""), numeric, iso_text)
    description = f"{kind}Desc"
    if cells.has(description):  # the API leaves it blank unless asked for descriptions
        text = cells.text(description)
        written = pc.if_else(pc.equal(text, ""), written, text)
    return codes, written


def _period(cells: Cells) -> tuple[pa.Array, str]:
    """The period, checked against ``freqCode``: ``period`` (or ``refYear`` and
    ``refMonth``, 52 for the year)."""
    if cells.has("period"):
        column, written = cells.name("period"), cells.text("period")
    else:
        column = cells.name("refYear")
        month = cells.text("refMonth") if cells.has("refMonth") else None
        written = cells.text("refYear") if month is None else pc.binary_join_element_wise(
            cells.text("refYear"), pc.utf8_lpad(month, 2, "0"), ""
        )  # fmt: skip
    blank = pa.array([""] * len(cells), pa.string())
    frequency = cells.text("freqCode") if cells.has("freqCode") else blank
    keys = pc.binary_join_element_wise(frequency, written, _SEP)

    def read(key: str) -> str:
        freq, text = key.split(_SEP)
        period = periods.from_yyyymm(text)
        if freq in _FREQUENCY and (freq == "M") != (len(period) == 7):
            raise ValueError(f"{text!r} is not a period of frequency {freq!r}")
        return period

    return cells.mapped(column, read, pa.string(), values=keys), column


def _valuation(cells: Cells, value: pa.Array, flow: pa.Array) -> pa.Array:
    """CIF or FOB: whichever of ``cifvalue`` and ``fobvalue`` is the primary value (both:
    the flow's usual basis, CIF for imports); null when neither is given or equal."""
    equal = {}
    for column in ("cifvalue", "fobvalue"):
        if cells.has(column):
            same = pc.equal(cells.numbers(column, blank_ok=True), value)
            equal[column] = pc.fill_null(same, False)
        else:
            equal[column] = pa.array([False] * len(cells))
    cif, fob = equal["cifvalue"], equal["fobvalue"]
    usual = pc.if_else(pc.equal(flow, "import"), "CIF", "FOB")
    none = pa.scalar(None, pa.string())
    return pc.if_else(
        pc.and_(cif, fob), usual, pc.if_else(cif, "CIF", pc.if_else(fob, "FOB", none))
    )


def _read(cells: Cells) -> Parsed:
    if cells.has("typeCode"):
        cells.mapped("typeCode", _goods, pa.string())
    for column, total in _TOTALS.items():
        if cells.has(column):
            cells.mapped(column, _only(total), pa.string())
    reporter, reporter_label = _place(cells, "reporter", "reporterISO", "reporterCode")
    partner, partner_label = _place(cells, "partner", "partnerISO", "partnerCode")
    period, period_column = _period(cells)
    value = cells.numbers("primaryValue")
    flow = cells.mapped("flowCode", _flow, pa.string())
    return parsed(
        len(cells),
        reporter=reporter,
        reporter_label=reporter_label,
        partner=partner,
        partner_label=partner_label,
        flow=flow,
        product=cells.mapped("cmdCode", product_code, pa.string()),
        frequency=periods.frequencies(period),
        period=period,
        valuation=_valuation(cells, value, flow),
        value=value,
        currency=CURRENCY,
        source_row=cells.rows,
        period_column=period_column,
    )


COMTRADE = Format(SOURCE, "UN Comtrade CSV (download or API)", _is_comtrade, _read)
