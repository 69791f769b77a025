"""A party's side of a declaration: importer or exporter, with its columns and its words.

Everything that reads "the target's lines" or talks about its counterparties (exposure,
findings, report, graph, API) takes a :class:`Role`, so the columns a role reads and the
words it is told in are decided here once: an importer's counterparties are its
*suppliers*, an exporter's are its *buyers*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tradetrace.errors import InputError

__all__ = ["EXPORTER", "IMPORTER", "ROLES", "ROLE_NAMES", "Role", "RoleName", "role"]

RoleName = Literal["importer", "exporter"]


@dataclass(frozen=True)
class Role:
    name: RoleName
    #: The ``resolved_declarations`` column holding this side's entity id.
    entity_column: str
    #: The column holding the other side's entity id (the counterparty).
    counterpart_column: str
    #: The declared-name column of this side (``declarations``).
    name_column: str
    #: "imported" / "exported".
    traded: str
    #: "Imports" / "Exports".
    trade: str
    #: "supplier" / "buyer": what the counterparty is to this side.
    party: str
    #: "from" / "to": goods come from a supplier, go to a buyer.
    from_to: str
    #: "arrived" / "left".
    moved: str

    @property
    def parties(self) -> str:
        return f"{self.party}s"

    @property
    def other(self) -> Role:
        return EXPORTER if self is IMPORTER else IMPORTER


IMPORTER = Role(
    name="importer",
    entity_column="importer_entity_id",
    counterpart_column="exporter_entity_id",
    name_column="importer_name",
    traded="imported",
    trade="Imports",
    party="supplier",
    from_to="from",
    moved="arrived",
)
EXPORTER = Role(
    name="exporter",
    entity_column="exporter_entity_id",
    counterpart_column="importer_entity_id",
    name_column="exporter_name",
    traded="exported",
    trade="Exports",
    party="buyer",
    from_to="to",
    moved="left",
)
ROLES: dict[str, Role] = {r.name: r for r in (IMPORTER, EXPORTER)}
#: The role names, importer first.
ROLE_NAMES: tuple[RoleName, ...] = tuple(r.name for r in ROLES.values())


def role(name: str | Role) -> Role:
    """The role called ``name``; a one-line error naming the choices otherwise."""
    if isinstance(name, Role):
        return name
    found = ROLES.get(name)
    if found is None:
        raise InputError(f"--role {name!r}: expected {' or '.join(ROLES)}")
    return found
