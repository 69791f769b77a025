"""Every table and view a store holds: what it is, its columns, and the command that writes it.

Each name is declared once here, so that a command reading a table no step has written yet
says which command to run first (:meth:`Store.table` raises the entry's :attr:`Stored.hint`),
so that ``docs/store.md`` lists them all (its table is :func:`markdown`'s), and so that a
test can compare the catalogue with a store the whole pipeline wrote. The columns are not
restated: each entry points at the definition its writer uses, a schema constant or the
writer's own expression applied to the catalogue's tables, imported only when asked for
(the writers import the store, not the reverse).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import ibis
import ibis.expr.types as ir
import pyarrow as pa

Columns: TypeAlias = ibis.Schema | pa.Schema


@dataclass(frozen=True)
class Step:
    """A command that writes tables, and what a store lacks until it has run."""

    command: str
    lacking: str


INGEST = Step("tradetrace ingest", "declarations")
RESOLVE = Step("tradetrace resolve", "resolved entities")
JUDGE = Step("tradetrace resolve judge", "judgements")
LISTS = Step("tradetrace lists load", "sanctions lists")
SCREEN = Step("tradetrace screen", "screening results")
DATA = Step("tradetrace data import", "reference data")
STATS = Step("tradetrace stats load", "official trade statistics")


@dataclass(frozen=True)
class Stored:
    """One table or view of the store."""

    name: str
    about: str
    step: Step
    columns: Callable[[], Columns]
    view: bool = False
    #: The entry whose columns this one starts with (the docs list only the ones it adds).
    extends: str | None = None

    def schema(self) -> ibis.Schema:
        columns = self.columns()
        return ibis.Schema.from_pyarrow(columns) if isinstance(columns, pa.Schema) else columns

    @property
    def hint(self) -> str:
        """The one line a command that needs this table prints when the store lacks it."""
        return f"no {self.step.lacking} in this store: run `{self.step.command}` first"


# -- names ----------------------------------------------------------------------------------------

DECLARATION_ROWS = "declaration_rows"
DECLARATIONS = "declarations"
QUARANTINE_ROWS = "quarantine_rows"
QUARANTINE = "quarantine"
INGEST_RUNS = "ingest_runs"
META = "meta"
REF_COUNTRY_ALIASES = "ref_country_aliases"
REF_CURRENCY_ALIASES = "ref_currency_aliases"
REF_FX_ECB = "ref_fx_ecb"
REF_FX_MONTHLY = "ref_fx_monthly"
PARTIES = "parties"
ENTITY_LINKS = "entity_links"
ENTITIES = "entities"
DECLARATION_ENTITIES = "declaration_entities"
RESOLVED_DECLARATIONS = "resolved_declarations"
UNIT_VALUE_YARDSTICKS = "unit_value_yardsticks"
ENTITY_REDIRECTS = "entity_redirects"
JUDGEMENTS = "judgements"
LIST_ENTRIES = "list_entries"
CURRENT_LIST_ENTRIES = "current_list_entries"
MATCHES = "matches"
ENTITY_LISTINGS = "entity_listings"
SCREENED_DECLARATIONS = "screened_declarations"
SCREENED_LIST_ENTRIES = "screened_list_entries"
SCREENED_ENTITIES = "screened_entities"
SCREENING_KEYS = "screening_keys"
SCREENING_IDENTIFIERS = "screening_identifiers"
SCREEN_RUNS = "screen_runs"
MATCH_EVENTS = "match_events"
REF_HS = "ref_hs"
REF_HS_SECTIONS = "ref_hs_sections"
REF_RU_UNFRIENDLY = "ref_ru_unfriendly"
REF_CHPL = "ref_chpl"
TRADE_FLOWS = "trade_flows"


# -- where the columns are defined ----------------------------------------------------------------


def _imported(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _defined(path: str) -> Callable[[], Columns]:
    """The schema the writer declares: the constant ``module:NAME``, or what the function
    ``module:name()`` returns."""

    def columns() -> Columns:
        schema = _imported(path)
        return schema() if callable(schema) else schema

    return columns


def _built(path: str) -> Callable[[], Columns]:
    """The columns of the Arrow table ``module:function()`` builds (reference tables)."""
    return lambda: _imported(path)().schema


def _derived(path: str, *inputs: str) -> Callable[[], Columns]:
    """The columns of the writer's expression ``module:function`` over catalogued tables."""
    return lambda: _imported(path)(*map(_table, inputs)).schema()


def _same_as(name: str) -> Callable[[], Columns]:
    """A view that only filters a table has its columns."""
    return lambda: CATALOGUE[name].schema()


def _table(name: str) -> ir.Table:
    """A catalogued table with no data behind it: enough for an expression's columns."""
    return ibis.table(CATALOGUE[name].schema(), name=name)


def _parties() -> Columns:
    from tradetrace.resolve.parties import FEATURES_SCHEMA, party_records
    from tradetrace.resolve.run import parties_table

    records = party_records(_table(DECLARATIONS)).schema().to_pyarrow()
    return parties_table(records.empty_table(), FEATURES_SCHEMA.empty_table(), {}).schema


def _entity_links() -> Columns:
    from tradetrace.resolve.model import PAIRS_SCHEMA
    from tradetrace.resolve.run import links_table

    return links_table(PAIRS_SCHEMA.empty_table(), {}).schema


def _list_entries() -> Columns:
    from tradetrace.screen.lists.model import ENTRIES_SCHEMA

    # `lists load` stamps each file's entries with the time it loaded them
    return ENTRIES_SCHEMA.append(pa.field("loaded_at", pa.timestamp("us")))


def _screened_list_entries() -> Columns:
    return _list_entries().append(pa.field("digest", pa.string()))


_ENTRIES = (
    Stored(
        DECLARATION_ROWS,
        "Every declaration line loaded, committed or not; its columns are "
        "the declaration model (docs/model.md).",
        INGEST,
        _defined("tradetrace.model:declarations_schema"),
    ),
    Stored(
        DECLARATIONS,
        "The lines of committed ingest runs: what every later step reads.",
        INGEST,
        _same_as(DECLARATION_ROWS),
        view=True,
        extends=DECLARATION_ROWS,
    ),
    Stored(
        QUARANTINE_ROWS,
        "Rows that cannot be counted: file, row, column, value, reason, the raw row.",
        INGEST,
        _defined("tradetrace.model:QUARANTINE_SCHEMA"),
    ),
    Stored(
        QUARANTINE,
        "The quarantined rows of committed ingest runs (`tradetrace quarantine`).",
        INGEST,
        _same_as(QUARANTINE_ROWS),
        view=True,
        extends=QUARANTINE_ROWS,
    ),
    Stored(
        INGEST_RUNS,
        "One row per file loaded: how it was read and its row counts; writing it commits the file.",
        INGEST,
        _defined("tradetrace.model:INGEST_RUNS_SCHEMA"),
    ),
    Stored(
        META,
        "Store settings: the schema version, the version each reference table was "
        "built by. Made by the first command that writes.",
        INGEST,
        _defined("tradetrace.store.base:META_SCHEMA"),
    ),
    Stored(
        REF_COUNTRY_ALIASES,
        "Country names, codes and Russian spellings → ISO2, for ingest's joins.",
        INGEST,
        _built("tradetrace.reference.countries:country_alias_table"),
    ),
    Stored(
        REF_CURRENCY_ALIASES,
        "Currency names and codes → ISO 4217, for ingest's joins.",
        INGEST,
        _built("tradetrace.reference.fx:currency_alias_table"),
    ),
    Stored(
        REF_FX_ECB,
        "ECB reference rates: US dollars per unit of each currency per day.",
        INGEST,
        _defined("tradetrace.reference.fx:RATES_SCHEMA"),
    ),
    Stored(
        REF_FX_MONTHLY,
        "HMRC's monthly customs rates: US dollars per unit of ~150 currencies per month.",
        INGEST,
        _defined("tradetrace.reference.fx:RATES_SCHEMA"),
    ),
    Stored(
        PARTIES,
        "Each distinct party record (name, id, address, country) with its features and its entity.",
        RESOLVE,
        _parties,
    ),
    Stored(
        ENTITY_LINKS,
        "Party pairs scored at or above the threshold: each comparison's "
        "level and weight, and whether a merge used the pair.",
        RESOLVE,
        _entity_links,
    ),
    Stored(
        ENTITIES,
        "One row per entity: canonical name, spellings, country, identifiers, trade counts.",
        RESOLVE,
        _defined("tradetrace.resolve.run:ENTITY_SCHEMA"),
    ),
    Stored(
        DECLARATION_ENTITIES,
        "The importer's and exporter's entity of every declaration line.",
        RESOLVE,
        _derived("tradetrace.resolve.run:declaration_entities", DECLARATIONS, PARTIES),
    ),
    Stored(
        RESOLVED_DECLARATIONS,
        "`declarations` with each party's entity: what exposure, reports and graphs read.",
        RESOLVE,
        _derived(
            "tradetrace.resolve.run:resolved_declarations", DECLARATIONS, DECLARATION_ENTITIES
        ),
        view=True,
        extends=DECLARATIONS,
    ),
    Stored(
        UNIT_VALUE_YARDSTICKS,
        "The median value per kilogram (or unit) of each HS6, "
        "against which outlying values are flagged.",
        RESOLVE,
        _derived("tradetrace.reference.unit_values:yardsticks", DECLARATIONS),
    ),
    Stored(
        ENTITY_REDIRECTS,
        "Retired entity ids and the entity each now leads to; kept across runs.",
        RESOLVE,
        _defined("tradetrace.resolve.redirects:REDIRECTS_SCHEMA"),
    ),
    Stored(
        JUDGEMENTS,
        "Analysts' decisions that two parties are or are not one firm, honoured by every run.",
        JUDGE,
        _defined("tradetrace.resolve.run:JUDGEMENTS_SCHEMA"),
    ),
    Stored(
        LIST_ENTRIES,
        "Every loaded version of every sanctions list: names, aliases, "
        "identifiers, programmes, listing dates.",
        LISTS,
        _list_entries,
    ),
    Stored(
        CURRENT_LIST_ENTRIES,
        "The newest version of each list: what screening reads.",
        LISTS,
        _same_as(LIST_ENTRIES),
        view=True,
        extends=LIST_ENTRIES,
    ),
    Stored(
        MATCHES,
        "One row per entity and list entry matched at or above the threshold, explained.",
        SCREEN,
        _defined("tradetrace.screen.run:MATCHES_SCHEMA"),
    ),
    Stored(
        ENTITY_LISTINGS,
        "Per matched entity: first listing, last delisting, whether a date is unknown, its lists.",
        SCREEN,
        _derived("tradetrace.screen.run:entity_listings", MATCHES),
        view=True,
    ),
    Stored(
        SCREENED_DECLARATIONS,
        "`resolved_declarations` with each party's listing status on the declaration's date.",
        SCREEN,
        _derived(
            "tradetrace.screen.run:screened_declarations", RESOLVED_DECLARATIONS, ENTITY_LISTINGS
        ),
        view=True,
        extends=RESOLVED_DECLARATIONS,
    ),
    Stored(
        SCREEN_RUNS,
        "One row per screening, full or incremental: list versions, what changed, counts.",
        SCREEN,
        _defined("tradetrace.screen.history:RUNS_SCHEMA"),
    ),
    Stored(
        MATCH_EVENTS,
        "Every change of a match (designated, delisted, listing date changed, match gone), "
        "with its run, list version and time; never deleted.",
        SCREEN,
        _defined("tradetrace.screen.history:EVENTS_SCHEMA"),
    ),
    Stored(
        SCREENED_LIST_ENTRIES,
        "The list entries the last screening read, with a digest of each entry's content.",
        SCREEN,
        _screened_list_entries,
        extends=LIST_ENTRIES,
    ),
    Stored(
        SCREENED_ENTITIES,
        "Each entity as the last screening read it (names, country, identifiers as one text).",
        SCREEN,
        _derived("tradetrace.screen.changes:screening_input", ENTITIES),
    ),
    Stored(
        SCREENING_KEYS,
        "The index keys of every alias of every screened entity (the candidate join's input).",
        SCREEN,
        _defined("tradetrace.screen.candidates:KEYS_SCHEMA"),
    ),
    Stored(
        SCREENING_IDENTIFIERS,
        "Each screened entity's decisive identifiers, keyed as the list index keys them.",
        SCREEN,
        _defined("tradetrace.screen.changes:IDENTIFIERS_SCHEMA"),
    ),
    Stored(
        REF_HS,
        "The HS nomenclature (2017 and 2022 editions): code, level, description, parent, section.",
        DATA,
        _defined("tradetrace.reference.hs:NOMENCLATURE_SCHEMA"),
    ),
    Stored(
        REF_HS_SECTIONS,
        "The 21 HS sections and their names.",
        DATA,
        _defined("tradetrace.reference.hs:SECTIONS_SCHEMA"),
    ),
    Stored(
        REF_RU_UNFRIENDLY,
        "Russia's list of 'unfriendly' countries.",
        DATA,
        _defined("tradetrace.reference.country_groups:UNFRIENDLY_SCHEMA"),
    ),
    Stored(
        REF_CHPL,
        "The Common High Priority List: HS6 codes and their tiers.",
        DATA,
        _defined("tradetrace.reference.chpl:CHPL_SCHEMA"),
    ),
    Stored(
        TRADE_FLOWS,
        "Official trade statistics (Eurostat Comext, IMF IMTS, UN Comtrade): one row per "
        "figure, in its currency and in USD, with its file, row and version (docs/stats.md).",
        STATS,
        _defined("tradetrace.stats.model:FLOWS_SCHEMA"),
    ),
)

#: name → entry, in the order the pipeline writes them.
CATALOGUE: dict[str, Stored] = {entry.name: entry for entry in _ENTRIES}


# -- the docs' table ------------------------------------------------------------------------------


def markdown() -> str:
    """The catalogue as ``docs/store.md`` shows it (a test checks the two agree)."""
    lines = ["| name | kind | written by | holds | columns |", "|---|---|---|---|---|"]
    for entry in CATALOGUE.values():
        kind = "view" if entry.view else "table"
        lines.append(f"| `{entry.name}` | {kind} | `{entry.step.command}` | {entry.about} | "
                     f"{_columns(entry)} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _columns(entry: Stored) -> str:
    schema = entry.schema()
    shown = [f"`{name}` {dtype.copy(nullable=True)}" for name, dtype in schema.items()]
    if entry.extends is None:
        return ", ".join(shown)
    base = CATALOGUE[entry.extends].schema()
    if list(schema.items())[: len(base)] != list(base.items()):
        raise ValueError(f"{entry.name} does not start with the columns of {entry.extends}")
    added = shown[len(base) :]
    return f"those of `{entry.extends}`" + (", then " + ", ".join(added) if added else "")
