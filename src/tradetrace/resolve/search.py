"""Find entities by a name in any script, or by a tax id."""

from __future__ import annotations

import re

from tradetrace.resolve.identifiers import normalise_inn
from tradetrace.resolve.names import analyse_name, name_similarity
from tradetrace.store import Store

MIN_SCORE = 0.6


def search_entities(store: Store, text: str, limit: int = 10) -> list[dict]:
    """Entities ranked by their best-matching spelling (an INN match scores 1.0)."""
    parties = store.to_arrow(
        store.table("parties").select(
            "entity_id", "name", "inn", "importer_lines", "exporter_lines"
        )
    ).to_pylist()
    best: dict[str, tuple[float, str]] = {}
    inn = normalise_inn(re.sub(r"\D", "", text)) if re.search(r"\d{10}", text) else None
    query = analyse_name(text)
    for row in parties:
        if inn and row["inn"] == inn:
            score = 1.0
        elif row["name"]:
            score = name_similarity(query, analyse_name(row["name"]))
        else:
            continue
        if score >= MIN_SCORE and score > best.get(row["entity_id"], (0.0, ""))[0]:
            best[row["entity_id"]] = (score, row["name"])
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    entities = store.table("entities")
    wanted = [entity_id for entity_id, _ in ranked]
    rows = {
        r["entity_id"]: r
        for r in store.to_arrow(entities.filter(entities.entity_id.isin(wanted))).to_pylist()
    }
    return [
        {
            "entity_id": entity_id,
            "name": rows[entity_id]["name"],
            "country": rows[entity_id]["country"],
            "score": round(score, 3),
            "matched": matched,
            "lines": rows[entity_id]["importer_lines"] + rows[entity_id]["exporter_lines"],
            "identifiers": rows[entity_id]["identifiers"],
        }
        for entity_id, (score, matched) in ranked
    ]
