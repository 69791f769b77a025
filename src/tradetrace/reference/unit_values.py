"""Values far outside what their goods usually cost per kilogram.

A value in drams read as dollars, a total typed with three extra zeros or a unit price
summed as a total leaves the row's value per kilogram hundreds of times away from the
other rows of its HS subheading. Such rows are kept (they may be right) but flagged, and
the exposure and the report say how much of a total rests on them.

The yardstick is the store itself: the median US dollars per kilogram of each HS6 over
every valued, weighed row (net weight, else gross), once at least ``MIN_PEERS`` rows
give one. A row with no weight (vendors' monthly files often have none) is measured per
unit of its quantity instead, against the rows of its HS6 in the same unit (a file that
names no unit is compared with the others that name none). A row is flagged when its own
unit value is more than ``FACTOR`` times above or below that median.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tradetrace.store.catalogue import UNIT_VALUE_YARDSTICKS

#: How far from its HS6's median value per kilogram a row must be to be flagged.
FACTOR = 20.0
#: Rows of an HS6 (valued and weighed) needed before its median is a yardstick.
MIN_PEERS = 20
#: Where ``resolve`` keeps the yardsticks of the store's declarations.
YARDSTICKS_TABLE = UNIT_VALUE_YARDSTICKS


def unit_value(rows: ir.Table) -> tuple[ir.FloatingValue, ir.StringValue]:
    """A row's US dollars per kilogram (net weight, else gross), else per unit of its
    quantity; and the basis it is measured on ("kg", or the quantity's unit)."""
    kg = ibis.ifelse(rows.net_kg > 0, rows.net_kg, rows.gross_kg)
    weighed = kg > 0
    per = ibis.ifelse(weighed, kg, rows.quantity)
    value = ibis.ifelse(
        (rows.value_usd > 0) & (per > 0), rows.value_usd / per, ibis.null("float64")
    )
    basis = ibis.ifelse(weighed.fill_null(False), "kg", "per " + rows.unit.upper().fill_null("?"))
    return value, basis


def yardsticks(declarations: ir.Table) -> ir.Table:
    """``hs6, basis, median_unit_value, peers`` wherever at least ``MIN_PEERS`` rows give one."""
    value, basis = unit_value(declarations)
    rows = declarations.mutate(_uv=value, basis=basis)
    rows = rows.filter(rows._uv.notnull() & rows.hs6.notnull())
    stats = rows.group_by(["hs6", "basis"]).aggregate(
        median_unit_value=rows._uv.median(), peers=rows.count()
    )
    return stats.filter(stats.peers >= MIN_PEERS)


def with_unit_value_flag(rows: ir.Table, sticks: ir.Table) -> ir.Table:
    """``rows`` plus ``unit_value_flagged`` (true: far from the usual unit value of its HS6
    in ``sticks``, see :func:`yardsticks`; false: within it, or nothing to compare with)."""
    value, basis = unit_value(rows)
    measured = rows.mutate(_uv=value, _basis=basis)
    sticks = sticks.rename(_y_hs6="hs6", _y_basis="basis")
    joined = measured.left_join(
        sticks, (measured.hs6 == sticks._y_hs6) & (measured._basis == sticks._y_basis)
    )
    ratio = joined._uv / joined.median_unit_value
    flagged = (ratio > FACTOR) | (ratio < 1 / FACTOR)
    return joined.mutate(unit_value_flagged=flagged.fill_null(False)).drop(
        "_uv", "_basis", "_y_hs6", "_y_basis", "median_unit_value", "peers"
    )
