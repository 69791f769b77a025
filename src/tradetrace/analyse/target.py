"""Which entity an analyst means: an entity id, a tax id, or a name in any script.

A name is looked up with the resolver's own matching (:func:`search_entities`), so
«ООО «АУРУС»», "LLC Aurus" and "АУРУС" all reach the same entity. When several
entities fit about equally well the analyst must choose: the error lists them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from tradetrace.analyse.results import EntityDetail, EntityMatch, Listing, TargetInfo
from tradetrace.errors import AmbiguousTargetError, InputError, NotFoundError
from tradetrace.resolve.redirects import redirect_of
from tradetrace.resolve.search import search_entities
from tradetrace.store import Store

__all__ = [
    "Target",
    "entity_detail",
    "entity_matches",
    "find_target",
    "listings_by_entity",
    "listings_of",
]

#: A name match at or above this is a candidate for being "the" target.
STRONG = 0.9
#: The best candidate wins outright when it leads the next one by this much.
LEAD = 0.08
_TAX_ID = re.compile(r"^(?:(?:ИНН|INN|TIN|ОГРН|OGRN)[\s:№#]*)?([\d\s-]{8,15})$", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    entity_id: str
    name: str
    country: str | None
    aliases: list[dict] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    #: The retired id the analyst gave, when it led here (see resolve/redirects.py).
    redirected_from: str | None = None
    redirect_reason: str | None = None

    def info(self) -> TargetInfo:
        """The target as the exposure reports it."""
        return TargetInfo(
            entity_id=self.entity_id,
            name=self.name,
            aliases=self.aliases,
            listings=self.listings,
            country=self.country,
            identifiers=self.identifiers,
            redirected_from=self.redirected_from,
            redirect_reason=self.redirect_reason,
        )


def find_target(store: Store, text: str) -> Target:
    """The one entity ``text`` designates; :class:`InputError` if none or several.

    A retired entity id (merged into another, see ``entity_redirects``) designates its
    successor; the target then says so in ``redirected_from`` / ``redirect_reason``.
    """
    text = text.strip()
    if not text:
        raise InputError("give a target: an entity id, a tax id or a name")
    if text.startswith("tt-"):
        entity_id, moved = current_entity_id(store, text)
        target = load_target(store, entity_id)
        if moved is None:
            return target
        return replace(target, redirected_from=text, redirect_reason=moved["reason"])
    return load_target(store, _by_tax_id(store, text) or _by_name(store, text))


def current_entity_id(store: Store, entity_id: str) -> tuple[str, dict | None]:
    """An existing entity id for ``entity_id``, following its redirect if it was retired:
    (the id, the redirect followed or None). :class:`InputError` if it names no entity."""
    if _entity_exists(store, entity_id):
        return entity_id, None
    moved = redirect_of(store, entity_id)
    if moved is None:
        raise NotFoundError(
            f"no entity {entity_id!r}; find one with `tradetrace entities search NAME`"
        )
    if not _entity_exists(store, moved["new_id"]):
        raise NotFoundError(
            f"no entity {entity_id!r}: it was {moved['reason']} into {moved['new_id']} on "
            f"{moved['at'][:10]}, which no longer exists"
        )
    return moved["new_id"], moved


def _entity_exists(store: Store, entity_id: str) -> bool:
    entities = store.table("entities")
    return bool(store.to_arrow(entities.filter(entities.entity_id == entity_id).count()).as_py())


def entity_detail(store: Store, entity_id: str) -> EntityDetail:
    """One entity: its ``entities`` row and its sanctions matches (``tradetrace entities
    show``, ``GET /entities/{id}``). A retired id answers with its successor's, plus
    ``redirected_from`` (the id given) and ``redirect_reason``. InputError if none."""
    current, moved = current_entity_id(store, entity_id)
    entities = store.table("entities")
    [row] = store.to_arrow(entities.filter(entities.entity_id == current)).to_pylist()
    return EntityDetail(
        **row,
        matches=entity_matches(store, [current]),
        redirected_from=entity_id if moved else None,
        redirect_reason=moved["reason"] if moved else None,
    )


def load_target(store: Store, entity_id: str) -> Target:
    entities = store.table("entities")
    row = store.to_arrow(entities.filter(entities.entity_id == entity_id)).to_pylist()[0]
    return Target(
        entity_id=entity_id,
        name=row["name"],
        country=row["country"],
        aliases=[{"name": a["name"], "script": a["script"]} for a in row["aliases"] or []],
        identifiers=list(row["identifiers"] or []),
        listings=listings_of(store, entity_id),
    )


def listings_of(store: Store, entity_id: str) -> list[Listing]:
    """Sanctions-list matches of an entity, earliest listing first ([] before screening)."""
    return listings_by_entity(store, [entity_id]).get(entity_id, [])


def listings_by_entity(store: Store, entity_ids: list[str]) -> dict[str, list[Listing]]:
    """Screening matches per entity, earliest listing first ({} before `screen` ran)."""
    found: dict[str, list[Listing]] = {}
    for match in entity_matches(store, entity_ids):
        listing = Listing(
            **match.model_dump(include=set(Listing.model_fields) - {"programs"}),
            programs=match.programs or [],
        )
        found.setdefault(match.entity_id, []).append(listing)
    return found


def entity_matches(store: Store, entity_ids: list[str]) -> list[EntityMatch]:
    """Every stored match of these entities, by entity then earliest listing, with its
    explanation parsed from JSON ([] before `screen` ran)."""
    if not entity_ids or not store.has_table("matches"):
        return []
    m = store.table("matches")
    rows = store.to_arrow(
        m.filter(m.entity_id.isin(entity_ids)).order_by(["entity_id", "listing_date", "list"])
    ).to_pylist()
    return [EntityMatch(**{**row, "explanation": _parsed(row["explanation"])}) for row in rows]


def _parsed(text: str | None) -> dict:
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"unparsed": text}


def _by_tax_id(store: Store, text: str) -> str | None:
    found = _TAX_ID.match(text)
    if not found:
        return None
    digits = re.sub(r"\D", "", found.group(1))
    entities = store.table("entities")
    ids = entities.identifiers.map(lambda i: i.split(":")[1])
    rows = store.to_arrow(
        entities.filter(ids.contains(digits)).select("entity_id", "name", "country")
    ).to_pylist()
    if len(rows) == 1:
        return rows[0]["entity_id"]
    if not rows:
        raise NotFoundError(f"no entity has the tax id {digits}")
    raise AmbiguousTargetError(
        _ambiguous(text, [(r["entity_id"], r["name"], r["country"]) for r in rows])
    )


def _by_name(store: Store, text: str) -> str:
    candidates = search_entities(store, text, limit=6)
    strong = [c for c in candidates if c.score >= STRONG]
    if not strong:
        closest = "; ".join(f"{c.entity_id} {c.name!r}" for c in candidates[:3])
        hint = f" (closest: {closest})" if closest else ""
        raise NotFoundError(f"no entity named {text!r}{hint}")
    if len(strong) == 1 or strong[0].score - strong[1].score >= LEAD:
        return strong[0].entity_id
    raise AmbiguousTargetError(_ambiguous(text, [(c.entity_id, c.name, c.country) for c in strong]))


def _ambiguous(text: str, rows: list[tuple[str, str | None, str | None]]) -> str:
    """The one-line error listing (entity id, name, country) of the candidates."""
    listed = "; ".join(
        f"{entity_id} {name!r} ({country or 'country unknown'})"
        for entity_id, name, country in rows
    )
    return f"{text!r} is ambiguous: {listed}. Give an entity id instead"
