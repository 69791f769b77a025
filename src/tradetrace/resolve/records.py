"""Resolved entities as typed records: what ``entities search``, ``entities show`` and the
API's ``/search`` and ``/entities/{id}`` answer (JSON contract pinned by
``tests/test_json_contract.py``)."""

from __future__ import annotations

from pydantic import Field

from tradetrace.result import Result

__all__ = ["EntityAlias", "EntityHit", "EntityRecord"]


class EntityAlias(Result):
    name: str | None = Field(description="a spelling of the entity's name as declared")
    script: str | None = Field(description="its writing system (Latin, Cyrillic, Hangul ...)")
    lines: int | None = Field(description="declaration lines that spell it so")


class EntityRecord(Result):
    """One row of ``entities``: an importer or exporter resolved across spellings."""

    entity_id: str = Field(description="tradetrace entity id (tt-…)")
    name: str | None = Field(description="canonical name")
    aliases: list[EntityAlias] | None = Field(description="every spelling in the declarations")
    country: str | None = Field(description="ISO 3166 alpha-2 country, if declared")
    identifiers: list[str] | None = Field(description="scheme:value identifiers (inn:…, id:…)")
    importer_lines: int | None = Field(description="declaration lines with it as importer")
    exporter_lines: int | None = Field(description="declaration lines with it as exporter")
    parties: int | None = Field(description="party records (spelling × id × country) merged")
    value_usd: float | None = Field(description="declared USD value of its lines")


class EntityHit(Result):
    """An entity found by ``entities search``: its best-matching spelling and score."""

    entity_id: str = Field(description="tradetrace entity id (tt-…)")
    name: str | None = Field(description="canonical name")
    country: str | None = Field(description="ISO2 country, if declared")
    score: float = Field(description="similarity of the best spelling to the query, 0-1")
    matched: str = Field(description="the spelling (or tax id, or entity id) that matched")
    lines: int | None = Field(description="declaration lines, as importer and exporter")
    identifiers: list[str] | None = Field(description="scheme:value identifiers")
