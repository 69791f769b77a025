"""The few figures a report needs beyond the exposure JSON, as Ibis expressions.

The exposure gives totals per year and per origin, but a stacked chart needs year × origin
and a transshipment matrix needs origin × dispatch including the diagonal. These are read
from ``resolved_declarations`` with the exposure's own scope (the target on its role's
side, within its period), as Ibis expressions so that they run on any backend the store
uses (DuckDB today, Spark later).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tradetrace.analyse.results import ExposureResult
from tradetrace.roles import role
from tradetrace.store import Store

__all__ = ["evidence_lines", "origin_dispatch", "year_by_origin"]


def _own_lines(store: Store, exposure: ExposureResult) -> ir.Table:
    """The target's lines on its role's side, with the counterparty as ``party_id``.

    ``value_usd`` stays null where the value is unknown: the evidence tables show it as
    unknown, not as $0; the sums use :func:`_usd`.
    """
    d = store.table("resolved_declarations")
    side = role(exposure.role)
    t = d.filter(d[side.entity_column] == exposure.target.entity_id)
    return t.mutate(party_id=t[side.counterpart_column])


def _usd(t: ir.Table) -> ir.Scalar:
    """The group's USD value, 0 (not null) when none of its lines has one, as in the exposure."""
    return t.value_usd.sum().fill_null(0.0)


def _in_period(t: ir.Table, exposure: ExposureResult) -> ir.Table:
    start, end = exposure.period.start, exposure.period.end
    if start:
        t = t.filter(t.date >= start)
    if end:
        t = t.filter(t.date <= end)
    return t


def year_by_origin(store: Store, exposure: ExposureResult) -> list[dict]:
    """``[{year, origin, value_usd}]`` within the period: the stacked yearly chart."""
    t = _in_period(_own_lines(store, exposure), exposure)
    grouped = (
        t.group_by(year=t.date.year(), origin=t.origin_country)
        .aggregate(value_usd=_usd(t))
        .order_by(["year", "origin"])
    )
    return store.to_arrow(grouped).to_pylist()


def origin_dispatch(store: Store, exposure: ExposureResult) -> list[dict]:
    """``[{origin, dispatch, value_usd, declarations}]``: the full matrix, diagonal included."""
    t = _in_period(_own_lines(store, exposure), exposure)
    grouped = (
        t.group_by(origin=t.origin_country, dispatch=t.dispatch_country)
        .aggregate(value_usd=_usd(t), declarations=t.declaration_id.nunique())
        .order_by([ibis.desc("value_usd"), "origin", "dispatch"])
    )
    return store.to_arrow(grouped).to_pylist()


def evidence_lines(
    store: Store, exposure: ExposureResult, declaration_ids: list[str]
) -> list[dict]:
    """Every line of the target in these declarations, with the counterparty's name.

    Not bounded by the period: the designation finding cites deliveries after it.
    """
    if not declaration_ids:
        return []
    t = _own_lines(store, exposure)
    t = t.filter(t.declaration_id.isin(sorted(set(declaration_ids))))
    e = store.table("entities").select(entity_id="entity_id", party_name="name")
    joined = t.left_join(e, t.party_id == e.entity_id).select(
        t.declaration_id,
        t.line_no,
        t.date,
        t.party_id,
        e.party_name,
        t.origin_country,
        t.dispatch_country,
        t.hs6,
        t.description,
        t.value_usd,
    )
    return store.to_arrow(joined.order_by(["declaration_id", "line_no"])).to_pylist()
