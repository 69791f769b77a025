"""Mirror statistics: what partners report exporting to a country, beside what it reports
importing from them.

Both sides count the same goods crossing the same border, so the two figures should be
close; where they are not, the gap says something: about valuation (imports are valued
CIF, with freight and insurance, exports FOB, so imports are expected some 5–10% higher),
about goods that transit or are re-exported (declared to one country, consumed in
another), about timing, or about a side that stopped reporting (Russia's customs stopped
publishing in 2022: the IMF's figures since are largely partners' reports or estimates).
Each row says which of these apply, and the result lists the caveats in words.

Read from ``trade_flows`` (``tradetrace stats load``): the partners' exports to the
country (Comext for the EU members), and the country's imports by partner (the IMF's
IMTS), by partner and year, in USD.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from tradetrace.errors import InputError
from tradetrace.result import Result
from tradetrace.stats.codes import is_country
from tradetrace.stats.load import current_flows
from tradetrace.store import Store

__all__ = ["CAVEATS", "MirrorResult", "MirrorRow", "mirror"]

By = Literal["partner", "year"]

CAVEATS = (
    "CIF against FOB: the country values its imports CIF (with freight and insurance to "
    "its border), partners value their exports FOB, so the country's figure is expected to "
    "be some 5–10% higher even when both are right.",
    "Re-exports and transit: goods a partner declares as exported to the country may be "
    "consumed elsewhere, and goods the country imports may be recorded against the "
    "country of origin rather than the one that shipped them.",
    "Missing and partial years: a year with fewer than twelve months on a side is marked; "
    "its figures are not comparable.",
    "Russia stopped publishing detailed trade data in 2022: the IMF's figures for Russia "
    "since then are largely partners' reports or estimates, so a small gap from 2022 on "
    "says little about the data's agreement.",
)


class MirrorRow(Result):
    """One partner (or all of them) in one year (or all of them)."""

    partner: str | None = Field(description="ISO2 of the partner; null when summed over partners")
    year: int | None = Field(description="the year; null when summed over years")
    partner_exports_usd: float | None = Field(
        description="what the partner(s) report exporting to the country (FOB), USD"
    )
    country_imports_usd: float | None = Field(
        description="what the country reports importing from them (CIF), USD"
    )
    gap_usd: float | None = Field(description="country's imports less partners' exports")
    ratio: float | None = Field(description="country's imports over partners' exports")
    partner_months: int = Field(description="months of partner data summed (12 a full year)")
    notes: list[str] = Field(description="why this row's figures may not compare")


class MirrorResult(Result):
    """``tradetrace flows mirror --json`` (docs/stats.md)."""

    country: str = Field(description="ISO2 of the country whose imports are mirrored")
    by: list[By] = Field(description="the grouping: partner, year, or both")
    rows: list[MirrorRow] = Field(description="by partner then year")
    caveats: list[str] = Field(description="what a gap may come from, in words")


def mirror(store: Store, country: str, by: Sequence[str] = ("partner", "year")) -> MirrorResult:
    """Partners' exports to ``country`` beside its imports from them, grouped by ``by``."""
    keys = [k for k in ("partner", "year") if k in by]
    if not keys or set(by) - {"partner", "year"}:
        raise InputError(f"--by: {','.join(by)!r}: give partner, year or partner,year")
    f = current_flows(store)
    f = f.filter((f.product_level == "total") & f.value_usd.notnull())
    exports = f.filter((f.partner == country) & (f.flow == "export"))
    imports = f.filter((f.reporter == country) & (f.flow == "import"))
    sides = {
        "exports": exports.group_by(
            other=exports.reporter, year=exports.period_start.year()
        ).aggregate(
            value=exports.value_usd.sum(),
            months=exports.period.nunique(where=exports.frequency == "month"),
            yearly=(exports.frequency == "year").any(),
        ),
        "imports": imports.group_by(
            other=imports.partner, year=imports.period_start.year()
        ).aggregate(value=imports.value_usd.sum()),
    }
    exported = {
        (r["other"], r["year"]): r
        for r in store.to_arrow(sides["exports"]).to_pylist()
        if is_country(r["other"])  # the members, not the EU or the euro area on top of them
    }
    imported = {(r["other"], r["year"]): r for r in store.to_arrow(sides["imports"]).to_pylist()}
    # the partners that report (the mirror's side), in the years they report
    partners, years = {p for p, _ in exported}, {y for _, y in exported}
    cells = sorted(
        k for k in exported.keys() | imported.keys() if k[0] in partners and k[1] in years
    )
    groups: dict[tuple, list[tuple[str, int]]] = {}
    for partner, y in cells:
        key = (partner if "partner" in keys else None, y if "year" in keys else None)
        groups.setdefault(key, []).append((partner, y))
    ordered = sorted(groups.items(), key=_order)
    rows = [_row(key, members, exported, imported) for key, members in ordered]
    return MirrorResult(country=country, by=keys, rows=rows, caveats=list(CAVEATS))


def _order(item: tuple) -> tuple:
    (partner, year), _ = item
    return (partner or "", year or 0)


def _row(
    key: tuple[str | None, int | None],
    members: list[tuple[str, int]],
    exported: dict[tuple[str, int], dict],
    imported: dict[tuple[str, int], dict],
) -> MirrorRow:
    notes: list[str] = []
    exports = [exported[m] for m in members if m in exported]
    imports = [imported[m] for m in members if m in imported]
    months = sum(r["months"] for r in exports)
    full = sum(12 for r in exports if r["yearly"]) + months
    if len(exports) < len(members):
        notes.append("no figure from the partner for some of it")
    if len(imports) < len(members):
        notes.append("no figure from the country for some of it")
    if exports and full < 12 * len(exports):
        notes.append(f"partial: {full} of {12 * len(exports)} months from the partner")
    if any(y >= 2022 for _, y in members):
        notes.append("from 2022 the country's figures are largely estimates")
    sent = sum(r["value"] for r in exports) if exports else None
    got = sum(r["value"] for r in imports) if imports else None
    gap = ratio = None
    if sent is not None and got is not None:
        gap = round(got - sent, 2)
        ratio = round(got / sent, 3) if sent else None
    return MirrorRow(
        partner=key[0],
        year=key[1],
        partner_exports_usd=round(sent, 2) if sent is not None else None,
        country_imports_usd=round(got, 2) if got is not None else None,
        gap_usd=gap,
        ratio=ratio,
        partner_months=full,
        notes=notes,
    )
