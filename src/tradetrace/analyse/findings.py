"""Findings: the exposure told in sentences, each pointing at its declarations.

The wording follows trade-journalism habits: customs data is partial, so sums are "at
least" and are rounded *down* ($34,049,999 is "at least $34.0M", never "$34.1M"); every
sentence carries its period and its share; list dates say when they are proxies.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from tradetrace.reference.countries import country_name

if TYPE_CHECKING:
    from tradetrace.analyse.exposure import _Exposure

__all__ = ["day", "findings", "list_authority", "period_text", "plural", "usd"]

EVENT_LABELS = {"invasion": "Russia's full-scale invasion of Ukraine"}
LIST_LABELS = (  # list-name prefix → (who designates, which list)
    ("ofac_sdn", ("the US Treasury's OFAC", "SDN list")),
    ("ofac_advanced", ("the US Treasury's OFAC", "SDN list")),
    ("ofac_cons", ("the US Treasury's OFAC", "non-SDN lists")),
    ("uk_", ("the United Kingdom", "")),
    ("un", ("the UN Security Council", "")),
    ("eu", ("the European Union", "")),
    ("opensanctions", ("a sanctions authority", "as recorded in OpenSanctions data")),
)
#: US merger-guideline bands for the Herfindahl-Hirschman index (0-10,000).
HHI_BANDS = (
    (2500, "highly concentrated"),
    (1500, "moderately concentrated"),
    (0, "unconcentrated"),
)


def usd(value: float) -> str:
    """``$34.0M`` / ``$573,000`` / ``$950``, rounded down (the sums are lower bounds)."""
    cents = Decimal(str(round(value, 2)))
    if cents >= 1_000_000:
        tenths = (cents / 100_000).to_integral_value(ROUND_FLOOR)
        return f"${tenths / 10:.1f}M"
    if cents >= 1_000:
        return f"${int(cents // 1000) * 1000:,}"
    return f"${int(cents)}"


def pct(share: float) -> str:
    return f"{share * 100:.0f}%" if share >= 0.005 else "less than 1%"


def day(value: str | dt.date) -> str:
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%B %Y}"


def period_text(start: str | None, end: str | None) -> str:
    """ "from 2018 to 2023" for whole calendar years, else exact days."""
    if not start or not end:
        return "in the data"
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    if a == b:
        return f"on {day(a)}"
    if (a.month, a.day, b.month, b.day) == (1, 1, 12, 31):
        return f"in {a.year}" if a.year == b.year else f"from {a.year} to {b.year}"
    return f"from {day(a)} to {day(b)}"


def _names(rows: list[dict], limit: int = 5) -> str:
    names = [r["name"] for r in rows[:limit]]
    if len(rows) > limit:
        names.append(f"{len(rows) - limit} others")
    return _join(names)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(n: int, word: str) -> str:
    """``1 declaration`` / ``1,190 declarations`` / ``5 countries``."""
    if n == 1:
        return f"1 {word}"
    many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{n:,} {many}"


def records(declarations: int, aggregate_rows: int = 0, word: str = "declaration") -> str:
    """``12 customs declarations``, ``40 monthly aggregate rows`` or both: a vendor's
    monthly summary row is never called a declaration."""
    parts = []
    if declarations or not aggregate_rows:
        parts.append(plural(declarations, word))
    if aggregate_rows:
        parts.append(plural(aggregate_rows, "monthly aggregate row"))
    return " and ".join(parts)


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(label: str) -> str:
    return label if label.startswith("HS") else label[:1].lower() + label[1:]


class _Words:
    """Verbs and nouns for the target's role."""

    def __init__(self, role: str):
        importer = role == "importer"
        self.traded = "imported" if importer else "exported"
        self.trade = "Imports" if importer else "Exports"
        self.party = "supplier" if importer else "buyer"
        self.from_to = "from" if importer else "to"
        self.moved = "arrived" if importer else "left"


def findings(result: dict, ctx: _Exposure) -> list[dict]:
    words = _Words(result["role"])
    out = [_total(result, ctx, words)]
    if result["total_usd"] > 0:
        out.extend(_top_origin(result, ctx, words))
        out.extend(_event(result, ctx, words, e) for e in result["events"] if _narrated(e))
        out.extend(
            _designation(result, ctx, words, c) for c in result["continued_after_designation"]
        )
        out.extend(_listed_party(result, ctx, words, p) for p in result["listed_counterparties"])
        out.extend(_transshipment(result, ctx))
        out.extend(_chpl(result, ctx))
        out.extend(_concentration(result, ctx, words))
    return out


def _declared(suppliers: list[dict]) -> list[dict]:
    """Counterparties with value that the declarations name: the lines whose other party is
    missing (many vendor files have no supplier column) are not one more supplier."""
    return [s for s in suppliers if s["entity_id"] and s["value_usd"] > 0]


def _main_origin(result: dict) -> dict | None:
    """The largest *known* origin country: value without one may still be the largest."""
    return next((c for c in result["by_origin_country"] if c["country"]), None)


def _from_parties(suppliers: list[dict], words: _Words, named: bool = False) -> str:
    """``from 4 suppliers`` (`` (A, B and C)`` when ``named``), or that none is named."""
    if not suppliers:
        return f"(no {words.party} named)"
    text = f"{words.from_to} {plural(len(suppliers), words.party)}"
    return f"{text} ({_names(suppliers)})" if named else text


def _finding(id_: str, text: str, value: float, evidence: list[str]) -> dict:
    return {"id": id_, "text": text, "value_usd": round(value, 2), "evidence": evidence}


def _who(result: dict) -> str:
    target = result["target"]
    extra = [
        a["name"]
        for a in target["aliases"]
        if a["script"] != "Latin" and a["name"] != target["name"]
    ][:1]
    extra += [i.replace(":", " ").upper() for i in target["identifiers"][:1]]
    return f"{target['name']} ({', '.join(extra)})" if extra else target["name"]


def _total(result: dict, ctx: _Exposure, words: _Words) -> dict:
    when = _upper(period_text(**_period(result)))
    if not result["total_usd"]:
        text = (
            f"{when}, no declarations with {result['target']['name']} as {result['role']} "
            "and a customs value are recorded."
        )
        return _finding("total", text, 0.0, ctx.evidence(ctx.lines))
    suppliers = _declared(result["by_supplier"])
    origins = [c for c in result["by_origin_country"] if c["country"] and c["value_usd"] > 0]
    where = (
        f"with goods from {plural(len(origins), 'country')} of origin"
        if origins
        else "with no country of origin declared"
    )
    counted = records(result["declarations"], result["aggregate_rows"], "customs declaration")
    text = (
        f"{when}, {_who(result)} {words.traded} at least {usd(result['total_usd'])} of goods "
        f"in {counted} "
        f"{_from_parties(suppliers, words)}, {where}."
    )
    flagged = result.get("unit_value_flagged") or {}
    if flagged.get("value_usd"):
        text += (
            f" {usd(flagged['value_usd'])} of it ({pct(flagged['share'])}) rests on values "
            "far from their goods' usual unit value, which may be misdeclared or misread."
        )
    return _finding("total", text, result["total_usd"], ctx.evidence(ctx.lines))


def _counts(rows: list[dict]) -> tuple[int, int]:
    """Declarations and monthly aggregate rows summed over breakdown rows."""
    return (
        sum(r["declarations"] for r in rows),
        sum(r.get("aggregate_rows", 0) for r in rows),
    )


def _period(result: dict) -> dict:
    return {"start": result["period"]["from"], "end": result["period"]["to"]}


def _top_origin(result: dict, ctx: _Exposure, words: _Words) -> list[dict]:
    """The largest known origin, its suppliers and goods ([] when no origin is declared)."""
    top = _main_origin(result)
    if top is None or top["value_usd"] <= 0:
        return []
    lines = ctx.lines.filter(ctx.lines.origin_country == top["country"])
    suppliers = _declared(ctx.by_supplier(lines))
    categories = ctx.by_category(lines)[:4]
    covered = sum(c["share"] for c in categories)
    what = _join([_lower(c["category"]) for c in categories])
    text = (
        f"At least {usd(top['value_usd'])} ({pct(top['share'])}) of it originated in "
        f"{country_name(top['country'])}{',' if suppliers else ''} "
        f"{_from_parties(suppliers, words, named=True)}: "
        f"{'mainly' if covered >= 0.75 else 'including'} {what}."
    )
    return [_finding(f"origin:{top['country']}", text, top["value_usd"], ctx.evidence(lines))]


def _narrated(event: dict) -> bool:
    return event["in_period"] and not event["name"].startswith("designation:")


def _event(result: dict, ctx: _Exposure, words: _Words, event: dict) -> dict:
    label = EVENT_LABELS.get(event["name"], event["name"])
    lines = ctx.lines.filter(ctx.lines.date >= dt.date.fromisoformat(event["date"]))
    until = day(result["period"]["to"])
    if not event["after_usd"]:
        text = (
            f"No {words.trade.lower()} are recorded after {label} on {day(event['date'])} "
            f"(up to {until})."
        )
        return _finding(f"event:{event['name']}", text, 0.0, [])
    main = (_main_origin(result) or {}).get("country")
    after_main = next((c for c in event["by_origin_after"] if main and c["country"] == main), None)
    text = (
        f"{words.trade} continued after {label} on {day(event['date'])}: at least "
        f"{usd(event['after_usd'])} ({pct(event['after_usd'] / result['total_usd'])} of the "
        f"period's total) {words.moved} between then and {until}"
    )
    if after_main:
        text += f", {usd(after_main['value_usd'])} of it originating in {country_name(main)}"
    text += "."
    new = event["new_suppliers_after"]
    if new:
        text += (
            f" {_upper(plural(len(new), words.party))} "
            f"{'appears' if len(new) == 1 else 'appear'} for the first time after it: "
            f"{_names(new)}."
        )
    return _finding(f"event:{event['name']}", text, event["after_usd"], ctx.evidence(lines))


def _designation(result: dict, ctx: _Exposure, words: _Words, cont: dict) -> dict:
    listing = next(
        item
        for item in result["target"]["listings"]
        if item["list"] == cont["list"] and item["listing_date"] == cont["date"]
    )
    who, which = list_authority(cont["list"])
    detail = [which] if which else []
    if listing.get("programs"):
        detail.append(f"programme {', '.join(listing['programs'])}")
    text = f"{result['target']['name']} was designated by {who}"
    text += f" ({', '.join(detail)})" if detail else ""
    text += f" on {day(cont['date'])}."
    if listing.get("listing_date_note"):
        text += f" Listing date: {listing['listing_date_note']}."
    after = ctx.all_lines.filter(ctx.all_lines.date >= dt.date.fromisoformat(cont["date"]))
    suppliers = [s for s in cont["suppliers"] if s["value_usd"] > 0]
    if not suppliers:
        text += f" No {words.trade.lower()} involving it are recorded after that date."
        return _finding(f"designation:{cont['list']}", text, 0.0, [])
    parties = [_dated_party(s) for s in _declared(suppliers)[:5]]
    if any(not s["entity_id"] for s in suppliers):
        parties.append(f"{words.party}s not named in the declarations")
    who = _join(parties)
    verb = "still delivered" if words.party == "supplier" else "still bought"
    text += (
        f" After that date {who} {verb} at least {usd(cont['value_usd'])} of goods in "
        f"{records(*_counts(suppliers))}."
    )
    return _finding(f"designation:{cont['list']}", text, cont["value_usd"], ctx.evidence(after))


def _listed_party(result: dict, ctx: _Exposure, words: _Words, party: dict) -> dict:
    who, _ = list_authority(party["list"])
    text = f"{party['name']}, a {words.party}, was listed by {who} on {day(party['listing_date'])}"
    lines = ctx.lines.filter(
        (ctx.lines.party_id == party["entity_id"])
        & (ctx.lines.date >= dt.date.fromisoformat(party["listing_date"]))
    )
    if party["value_usd_after_listing"] > 0:
        text += (
            f"; at least {usd(party['value_usd_after_listing'])} in "
            f"{plural(party['declarations_after_listing'], 'declaration')} "
            f"{'came from' if words.party == 'supplier' else 'went to'} it after that date, "
            f"the last on {day(party['last_date'])}."
        )
    else:
        text += "; no trade with it is recorded after that date in this period."
    return _finding(
        f"listed:{party['entity_id']}:{party['list']}",
        text,
        party["value_usd_after_listing"],
        ctx.evidence(lines),
    )


def list_authority(name: str) -> tuple[str, str]:
    """(who designates, which list) for a list name, e.g. ("the US Treasury's OFAC", "SDN list")."""
    return next((label for prefix, label in LIST_LABELS if name.startswith(prefix)), (name, ""))


def _dated_party(party: dict) -> str:
    """``HANBIT AUTOTECH (South Korea, last on 24 September 2024)``; no country if unknown."""
    country = party["country"] or _only(party["origin_countries"])
    where = f"{country_name(country)}, " if country else ""
    return f"{party['name']} ({where}last on {day(party['last_date'])})"


def _only(values: list[str]) -> str | None:
    return values[0] if len(values) == 1 else None


def _transshipment(result: dict, ctx: _Exposure) -> list[dict]:
    routes = result["transshipment"]
    if not routes:
        return []
    t = ctx.lines
    moved = t.filter(
        t.origin_country.notnull()
        & t.dispatch_country.notnull()
        & (t.origin_country != t.dispatch_country)
    )
    value = sum(r["value_usd"] for r in routes)
    shown = _join(
        [
            f"goods from {country_name(r['origin'])} via {country_name(r['dispatch'])} "
            f"({usd(r['value_usd'])})"
            for r in routes[:3]
        ]
    )
    hubs = sorted({country_name(r["dispatch"]) for r in routes if r["hub"]})
    text = (
        f"At least {usd(value)} ({pct(value / result['total_usd'])}) in "
        f"{records(*_counts(routes))} was dispatched from a "
        f"country other than the goods' origin, including {shown}."
    )
    if hubs:
        text += (
            f" {_join(hubs)} {'is' if len(hubs) == 1 else 'are'} on the transshipment watch list."
        )
    return [_finding("transshipment", text, value, ctx.evidence(moved))]


def _chpl(result: dict, ctx: _Exposure) -> list[dict]:
    rows = result["chpl"]
    if not rows:
        return []
    value = sum(r["value_usd"] for r in rows)
    codes = _join([f"HS {r['hs6']} ({r['tier']}, {usd(r['value_usd'])})" for r in rows[:4]])
    text = (
        f"At least {usd(value)} ({pct(value / result['total_usd'])}) was in goods on the "
        f"Common High Priority List of battlefield-relevant items (version of 23 February "
        f"2024): {codes}."
    )
    return [_finding("chpl", text, value, ctx.evidence(ctx.chpl_lines()))]


def _concentration(result: dict, ctx: _Exposure, words: _Words) -> list[dict]:
    """The largest named counterparty and the HHIs ([] when no counterparty is named)."""
    suppliers = _declared(result["by_supplier"])
    hhi = result["concentration"]
    if not suppliers or hhi["hhi_supplier"] is None:
        return []
    top = suppliers[0]
    band = next(label for floor, label in HHI_BANDS if hhi["hhi_supplier"] >= floor)
    by_country = (
        f"by origin country {hhi['hhi_country']:,.0f}"
        if hhi["hhi_country"] is not None
        else "no origin country declared"
    )
    text = (
        f"The largest {words.party}, {top['name']}, accounts for {pct(top['share'])} of the "
        f"value; by {words.party} the trade is {band} (HHI {hhi['hhi_supplier']:,.0f}; "
        f"{by_country})."
    )
    unnamed = sum(s["share"] for s in result["by_supplier"] if not s["entity_id"])
    if unnamed > 0:
        text += f" {_upper(pct(unnamed))} of the value has no {words.party} named."
    lines = ctx.lines.filter(ctx.lines.party_id == top["entity_id"])
    return [_finding("concentration", text, top["value_usd"], ctx.evidence(lines))]
