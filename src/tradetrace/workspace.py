"""The Python API: a store opened for analysis, each CLI command one of its methods.

    import tradetrace as tt
    store = tt.open("tradetrace.duckdb")               # or tt.open("warehouse/", backend="spark")
    store.ingest(["a.csv"], direction="import", reporter="RU")
    store.resolve(); store.load_lists([...]); store.screen()
    x = store.exposure("ООО «АУРУС»", start="2018-01-01", end="2023-12-31")
    x.by_origin_country                                  # a pandas data frame

A :class:`Workspace` holds one open store (DuckDB by default, Spark on request) and calls
the very functions the CLI and the REST API call: the results are the same typed objects,
wrapped in a :class:`~tradetrace.views.View` whose tables are data frames. Arguments are
Python values (dates as ``datetime.date`` or ISO text, lists as lists); a user mistake
raises the error the CLI prints as one line (:mod:`tradetrace.errors`). ``docs/python.md``
walks through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradetrace.errors import InputError
from tradetrace.views import Rows, View

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from tradetrace.analyse.alerts import Alert
    from tradetrace.analyse.diversion import DiversionResult, FlowSeries
    from tradetrace.analyse.graph import SupplierGraph
    from tradetrace.analyse.mirror import MirrorResult
    from tradetrace.analyse.results import EntityDetail, ExposureResult
    from tradetrace.ingest.pipeline import IngestResult
    from tradetrace.resolve.run import ResolveResult
    from tradetrace.screen.results import ListsAsOf, ScreeningResult, ScreenRun
    from tradetrace.store import Store

__all__ = [
    "Workspace",
    "compare_names",
    "diff_lists",
    "generate_sample",
    "infer_profile",
    "open",
    "profiles",
    "serve",
]

Day = dt.date | str | None
Paths = str | Path | Sequence[str | Path]


def open(  # noqa: A001 - `tt.open` reads as the Python API's entry point
    path: str | Path | None = None, backend: str | None = None, read_only: bool = False
) -> Workspace:
    """Open (or create) a store: a DuckDB file by default, a Spark warehouse folder with
    ``backend="spark"``; ``None`` takes ``TRADETRACE_DB`` or ``tradetrace.duckdb``."""
    return Workspace(path, backend, read_only)


def generate_sample(out: str | Path, rows: int = 20_000, seed: int = 7) -> dict[str, Any]:
    """Write the SYNTHETIC sample (``tradetrace sample``): its manifest."""
    from dataclasses import asdict

    from tradetrace.sample import generate_sample as generate

    if rows < 1:
        raise InputError("rows must be at least 1")
    return asdict(generate(Path(out), rows=rows, seed=seed))


def compare_names(a: str, b: str, schema: str | None = None) -> tuple[float, bool]:
    """Two names scored as the matcher scores them: (score, is_match) (``names compare``)."""
    from tradetrace.screen.match import compare_names as score

    return score(a, b, schema)


def diff_lists(old: str | Path, new: str | Path, kind: str | None = None) -> dict[str, Any]:
    """Entries added and removed between two versions of a list (``lists diff --json``)."""
    from tradetrace.screen.lists.load import diff_lists as diff
    from tradetrace.screen.lists.load import read_list

    return diff(read_list(Path(old), kind), read_list(Path(new), kind))


def profiles() -> pd.DataFrame:
    """The built-in column-mapping profiles (``tradetrace profiles``)."""
    from tradetrace.ingest.profiles import builtin_profiles

    return _records(
        [
            {"name": p.name, "fields": len(p.fields), "description": p.description}
            for p in builtin_profiles().values()
        ]
    )


def infer_profile(
    path: str | Path,
    direction: str | None = None,
    reporter: str | None = None,
    currency: str | None = None,
) -> str:
    """A profile (YAML) of how a file is read, to edit and pass as ``profile=``."""
    from tradetrace.ingest.detect import Options
    from tradetrace.ingest.pipeline import infer_profile as infer

    return infer(Path(path), Options(direction, reporter, currency))


def serve(
    path: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
) -> None:
    """Serve the REST API and the dashboard over a DuckDB store until interrupted
    (``tradetrace serve``; the same checks: beyond loopback it needs an API key)."""
    from tradetrace.api.app import serve as run_server
    from tradetrace.store import default_db_path

    run_server(path or default_db_path(), host, port, api_key)


def _paths(paths: Paths) -> list[Path]:
    return [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]


def _day(value: Day, option: str) -> dt.date | None:
    from tradetrace.dates import parse_date

    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(value, option)


def _text_day(value: Day, option: str) -> str | None:
    day = _day(value, option)
    return None if day is None else day.isoformat()


def _window(value: str | tuple[Day, Day], option: str) -> tuple[dt.date, dt.date | None]:
    """``"2019-01:2021-12"`` or ``(first, last)`` (dates or ``YYYY-MM``; last may be None)."""
    from tradetrace.analyse.diversion import parse_window

    if isinstance(value, str):
        return parse_window(value, option)
    first, last = (str(v)[:7] if v is not None else "" for v in value)
    return parse_window(f"{first}:{last}", option)


class Workspace:
    """A store opened for analysis (see the module note); use it as a context manager or
    call :meth:`close` to release the store (a DuckDB file takes one writer at a time)."""

    def __init__(
        self, path: str | Path | None = None, backend: str | None = None, read_only: bool = False
    ):
        from tradetrace.store import connect

        self.store: Store = connect(path, read_only, backend)

    # -- the store --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<tradetrace.Workspace {self.store.path}>"

    def table(self, name: str) -> ir.Table:
        """A stored table as a lazy Ibis expression (``.to_pandas()`` runs it); the tables
        and their columns are in docs/store.md."""
        return self.store.table(name)

    def declarations(
        self,
        importer: str | None = None,
        exporter: str | None = None,
        start: Day = None,
        end: Day = None,
    ) -> ir.Table:
        """The resolved declaration lines, lazily, filtered by entity ids and dates."""
        t = self.store.table("resolved_declarations")
        if importer is not None:
            t = t.filter(t.importer_entity_id == importer)
        if exporter is not None:
            t = t.filter(t.exporter_entity_id == exporter)
        if (first := _day(start, "start")) is not None:
            t = t.filter(t.date >= first)
        if (last := _day(end, "end")) is not None:
            t = t.filter(t.date <= last)
        return t

    def sql(self, query: str) -> pd.DataFrame:
        """A read-only SQL query's rows (DuckDB or Spark SQL)."""
        from tradetrace.frames import to_pandas

        return to_pandas(self.store.query(query))

    # -- ingest -----------------------------------------------------------------------------

    def ingest(
        self,
        paths: Paths,
        direction: str | None = None,
        reporter: str | None = None,
        currency: str | None = None,
        granularity: str | None = None,
        profile: str | None = None,
        mapping: dict[str, str] | None = None,
        fx_rates: str | Path | None = None,
    ) -> IngestResult:
        """Load declaration files: each row loaded or quarantined (``tradetrace ingest``)."""
        from tradetrace.ingest.pipeline import ingest

        return ingest(
            self.store,
            _paths(paths),
            fx_rates=Path(fx_rates) if fx_rates else None,
            options=_options(direction, reporter, currency, granularity, profile, mapping),
        )

    def preview(
        self,
        paths: Paths,
        direction: str | None = None,
        reporter: str | None = None,
        currency: str | None = None,
        granularity: str | None = None,
        profile: str | None = None,
        mapping: dict[str, str] | None = None,
        rows: int = 5,
    ) -> list[dict[str, Any]]:
        """How the files would be read, writing nothing (``ingest --dry-run --json``)."""
        from tradetrace.ingest.pipeline import dry_run

        options = _options(direction, reporter, currency, granularity, profile, mapping)
        return dry_run(_paths(paths), options, None, rows)

    def quarantine(self, file: str | None = None) -> pd.DataFrame:
        """Rejected rows with their file, row, column, value and reason."""
        q = self.store.table("quarantine")
        if file:
            q = q.filter(q.file.contains(file))
        return self._frame(q.order_by([q.file, q.row]))

    # -- resolve ----------------------------------------------------------------------------

    def resolve(self, threshold: float = 0.9) -> ResolveResult:
        """Cluster party records into entities (``tradetrace resolve``)."""
        from tradetrace.resolve.run import resolve

        if not 0 < threshold < 1:
            raise InputError("threshold must be between 0 and 1")
        return resolve(self.store, threshold)

    def search(self, text: str, limit: int = 10) -> pd.DataFrame:
        """Entities by name in any script or tax id (``entities search --json``)."""
        from tradetrace.frames import rows_to_arrow, to_pandas
        from tradetrace.resolve.records import EntityHit
        from tradetrace.resolve.search import search_entities

        hits = search_entities(self.store, text, limit)
        return to_pandas(rows_to_arrow(hits, EntityHit))

    def entity(self, entity_id: str) -> View[EntityDetail]:
        """One entity: spellings, identifiers, trade counts, matches (``entities show``)."""
        from tradetrace.analyse.target import entity_detail

        return View(entity_detail(self.store, entity_id.strip()))

    def explain(self, entity_id: str) -> dict[str, Any]:
        """Why an entity's spellings were merged (``resolve explain --json``)."""
        from tradetrace.resolve.explain import explain

        return explain(self.store, entity_id)

    def judge(
        self, a: str, b: str, same: bool, note: str = "", who: str | None = None
    ) -> ResolveResult:
        """Record that two entities or parties are the same firm (or not) and re-cluster."""
        from tradetrace.resolve.judgements import parse_judgement
        from tradetrace.resolve.run import add_judgement, anchor, now, recluster

        try:
            judgement = parse_judgement(
                anchor(self.store, a), anchor(self.store, b), same, not same, who, note
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        add_judgement(self.store, type(judgement)(**{**judgement.__dict__, "at": now()}))
        return recluster(self.store)

    def evaluate_resolution(self, labels: str | Path) -> dict[str, Any]:
        """Precision, recall and F1 of the store's entities against labelled clusters."""
        from tradetrace.resolve.evaluate import evaluate_store

        return evaluate_store(self.store, Path(labels))

    # -- sanctions lists and screening ---------------------------------------------------------

    def load_lists(self, paths: Paths, kind: str | None = None, as_of: Day = None) -> pd.DataFrame:
        """Load sanctions lists with their listing dates (``lists load``)."""
        from tradetrace.screen.lists.load import load_lists

        rows = load_lists(self.store, _paths(paths), kind, _text_day(as_of, "as_of"))
        return _records(rows)

    def lists(self) -> pd.DataFrame:
        """The lists loaded: versions and counts (``tradetrace lists``)."""
        from tradetrace.screen.lists.load import list_summary

        return _records(list_summary(self.store))

    def screen(
        self, threshold: float = 0.85, as_of_list: dt.datetime | Day = None
    ) -> View[ScreenRun] | View[ListsAsOf]:
        """Screen every entity against the loaded lists (``tradetrace screen``); with
        ``as_of_list``, against the versions loaded by then, writing nothing."""
        from tradetrace.dates import parse_moment
        from tradetrace.screen.match import MatchConfig
        from tradetrace.screen.run import screen_as_of_list, screen_entities

        config = MatchConfig(threshold=threshold)
        if as_of_list is None:
            return View(screen_entities(self.store, config))
        return View(screen_as_of_list(self.store, parse_moment(as_of_list, "as_of_list"), config))

    def matches(self) -> pd.DataFrame:
        """The stored screening matches, one row per entity and list entry."""
        return self._frame(self.store.table("matches"))

    def watch(
        self, update: bool = False, lists: Sequence[str] | None = None, mirror: str | None = None
    ) -> Rows[Alert]:
        """Rescreen what changed since the last screening; its alerts (``tradetrace watch``)."""
        from tradetrace.analyse.alerts import alerts
        from tradetrace.screen.run import screen_entities

        if update:
            from tradetrace.screen.lists.update import update_lists

            update_lists(self.store, keys=list(lists) if lists else None, mirror=mirror)
        run = screen_entities(self.store, incremental=True)
        return _alerts(alerts(self.store, run_id=run.run_id))

    def alerts(self, since: dt.datetime | Day = None, run: int | None = None) -> Rows[Alert]:
        """What changed on the lists for the store's parties (``tradetrace alerts``):
        the latest run's, every one since a moment (a date: its start, UTC), or one run's."""
        from tradetrace.analyse.alerts import alerts
        from tradetrace.dates import parse_moment

        start = None if since is None else parse_moment(since, "since", day_ends=False)
        return _alerts(alerts(self.store, since=start, run_id=run))

    def screen_name(
        self,
        name: str,
        country: str | None = None,
        schema: str = "Company",
        identifiers: Iterable[str] = (),
        as_of: Day = None,
        threshold: float = 0.85,
    ) -> View[ScreeningResult]:
        """One name against every loaded list (``tradetrace screen-name``)."""
        from tradetrace.screen.match import Query

        [result] = self._screen([Query(name, _upper(country), schema, tuple(identifiers))],
                                as_of, threshold)  # fmt: skip
        return View(result)

    def screen_names(
        self,
        names: pd.DataFrame,
        name: str = "name",
        country: str | None = None,
        schema: str | None = None,
        identifier: str | None = None,
        as_of: Day = None,
        threshold: float = 0.85,
    ) -> pd.DataFrame:
        """A data frame of names screened: the input's columns, then one row per match
        (``list``, ``id``, ``list_name``, ``score``, ``listing_date``, ``status_as_of``,
        ``programs``), or one row with empty match columns for a name without a match."""
        import pandas as pd
        import pyarrow as pa

        from tradetrace.frames import to_pandas
        from tradetrace.screen.match import Query

        for column in (name, country, schema, identifier):
            if column is not None and column not in names.columns:
                raise InputError(f"no column {column!r}: {', '.join(map(str, names.columns))}")

        def cell(row: dict, column: str | None) -> str | None:
            value = None if column is None else row[column]
            return None if value is None or pd.isna(value) or str(value) == "" else str(value)

        queries = []
        for label, row in zip(names.index, names.to_dict("records"), strict=True):
            text = cell(row, name)
            if text is None:
                raise InputError(f"row {label!r}: column {name!r} is empty")
            ids = tuple(i for i in (cell(row, identifier) or "").split(";") if i)
            queries.append(Query(text, _upper(cell(row, country)),
                                 cell(row, schema) or "Company", ids))  # fmt: skip
        positions, matches = [], []
        for position, result in enumerate(self._screen(queries, as_of, threshold)):
            for match in result.matches or [None]:
                positions.append(position)
                matches.append(_match_columns(match))
        found = to_pandas(pa.Table.from_pylist(matches, schema=_match_schema()))
        return pd.concat([names.iloc[positions].reset_index(drop=True), found], axis=1)

    def _screen(self, queries: list, as_of: Day, threshold: float) -> list:
        from tradetrace.screen.index_cache import index_for_store
        from tradetrace.screen.match import MatchConfig
        from tradetrace.screen.results import screen_names

        index = index_for_store(self.store, MatchConfig(threshold=threshold))
        return screen_names(index, queries, _day(as_of, "as_of"))

    # -- analyse ----------------------------------------------------------------------------

    def exposure(
        self,
        target: str,
        role: str = "importer",
        start: Day = None,
        end: Day = None,
        events: dict[str, Day] | None = None,
        categories: str | None = None,
    ) -> View[ExposureResult]:
        """A target's trade by year, country, supplier, category and event, with findings
        and their evidence (``tradetrace exposure``); ``x.findings`` stay a list, every
        other table is a data frame, and ``x.chart(...)`` draws the report's charts."""
        from tradetrace.analyse.exposure import exposure

        result = exposure(self.store, target, self._options(role, start, end, events, categories))
        return View(result, keep=("findings",), charts=self._exposure_charts(result))

    def _options(self, role: str, start: Day, end: Day, events: Any, categories: str | None):
        from tradetrace.analyse.exposure import options_from

        given = [f"{k}={_text_day(v, 'events')}" for k, v in (events or {}).items()]
        return options_from(role, _text_day(start, "start"), _text_day(end, "end"), given,
                            categories)  # fmt: skip

    def _exposure_charts(self, result: ExposureResult) -> dict[str, Any]:
        from tradetrace.report import charts
        from tradetrace.report.context import build_context

        context: dict[str, Any] = {}

        def drawn(builder: Any) -> Any:
            def draw() -> Any:
                if not context:
                    context.update(build_context(self.store, result))
                chart = builder(context)
                return None if chart is None else chart.configure(**charts.CONFIG)

            return draw

        return {
            "by_year": drawn(charts.year_chart),
            "events": drawn(charts.event_chart),
            "by_supplier": drawn(charts.supplier_chart),
            "by_category": drawn(charts.category_chart),
        }

    def report(
        self,
        target: str,
        format: str = "html",  # noqa: A002 - the CLI's --format
        out: str | Path | None = None,
        role: str = "importer",
        start: Day = None,
        end: Day = None,
        events: dict[str, Day] | None = None,
        categories: str | None = None,
    ) -> bytes:
        """The report (html, pdf, md or json) as bytes; written to ``out`` too if given."""
        from tradetrace.report import render_report

        options = self._options(role, start, end, events, categories)
        body = render_report(self.store, target, options, format)
        if out is not None:
            Path(out).write_bytes(body)
        return body

    def graph(self, target: str, hops: int = 1, role: str = "importer") -> SupplierGraph:
        """The trade network around a target (``tradetrace graph``); ``export_graph`` or
        ``to_networkx`` turn it into a file or a networkx graph."""
        from tradetrace.analyse.graph import supplier_graph

        return supplier_graph(self.store, target, hops=hops, role=role)

    def export_graph(self, graph: SupplierGraph, format: str = "graphml") -> str:  # noqa: A002
        """A network as json, graphml, gexf or ftm text."""
        from tradetrace.analyse.graph import export_graph

        return export_graph(self.store, graph, format)

    # -- official statistics --------------------------------------------------------------------

    def load_stats(self, paths: Paths) -> pd.DataFrame:
        """Load Comext, IMF IMTS or UN Comtrade files into ``trade_flows`` (``stats load``)."""
        from tradetrace.frames import rows_to_arrow, to_pandas
        from tradetrace.stats.load import LoadSummary, load_stats

        return to_pandas(rows_to_arrow(load_stats(self.store, _paths(paths)), LoadSummary))

    def stats(self) -> pd.DataFrame:
        """The statistics loaded: sources, files, versions, periods (``tradetrace stats``)."""
        from tradetrace.stats.load import stats_summary

        return _records(stats_summary(self.store))

    def diversion(
        self,
        partners: Sequence[str] = ("KZ", "KG", "AM", "GE", "UZ"),
        baseline: str | tuple[Day, Day] = "2019-01:2021-12",
        after: str | tuple[Day, Day] = "2022-03:",
        reporters: Sequence[str] | None = None,
    ) -> View[DiversionResult]:
        """Exports to Russia's neighbours against their pre-war trend (``flows diversion``)."""
        from tradetrace.analyse.diversion import diversion

        codes = [p.upper() for p in partners]
        windows = _window(baseline, "baseline"), _window(after, "after")
        return View(diversion(self.store, codes, *windows, reporters), keep=("findings",))

    def flow_series(
        self,
        reporter: str,
        partner: str,
        baseline: str | tuple[Day, Day] = "2019-01:2021-12",
        after: str | tuple[Day, Day] = "2022-03:",
    ) -> View[FlowSeries]:
        """One pair month by month, with its chart (``flows series``): ``chart("months")``."""
        from tradetrace.analyse.diversion import series
        from tradetrace.report.charts import CONFIG, flow_chart

        windows = _window(baseline, "baseline"), _window(after, "after")
        found = series(self.store, reporter, partner.upper(), *windows)
        return View(found, charts={"months": lambda: flow_chart(found).configure(**CONFIG)})

    def mirror(
        self, country: str = "RU", by: Sequence[str] = ("partner", "year")
    ) -> View[MirrorResult]:
        """Partners' exports to a country beside its imports from them (``flows mirror``)."""
        from tradetrace.analyse.mirror import mirror

        return View(mirror(self.store, country.upper(), list(by)))

    # -- reference data -----------------------------------------------------------------------

    def import_reference(self, folder: str | Path) -> pd.DataFrame:
        """Copy and index reference files from a folder laid out like shared/data."""
        from tradetrace.reference.catalogue import import_reference

        return _sources(import_reference(self.store, Path(folder)))

    def update_reference(self, only: Sequence[str] | None = None) -> pd.DataFrame:
        """Download the reference files from their publishers (``data update``)."""
        from tradetrace.reference.catalogue import update_reference

        return _sources(update_reference(self.store, list(only) if only else None))

    # -- helpers ----------------------------------------------------------------------------

    def _frame(self, expr: ir.Table) -> pd.DataFrame:
        from tradetrace.frames import to_pandas

        return to_pandas(self.store.to_arrow(expr))


def _options(direction, reporter, currency, granularity, profile, mapping):
    from tradetrace.ingest.detect import DIRECTIONS, GRANULARITIES, Options, assert_known
    from tradetrace.ingest.profiles import parse_overrides

    assert_known(direction, DIRECTIONS, "direction")
    assert_known(granularity, GRANULARITIES, "granularity")
    overrides = parse_overrides([f"{header}={field}" for header, field in (mapping or {}).items()])
    return Options(direction, reporter, currency, granularity, profile, overrides)


def _upper(country: str | None) -> str | None:
    return country.upper() if country else None


def _match_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [("list", pa.string()), ("id", pa.string()), ("list_name", pa.string()),
         ("score", pa.float64()), ("listing_date", pa.date32()), ("status_as_of", pa.string()),
         ("programs", pa.list_(pa.string()))]
    )  # fmt: skip


def _match_columns(match: Any) -> dict[str, Any]:
    """``screen-file``'s match columns, then the programmes."""
    from tradetrace.screen.batch import match_columns

    return {**match_columns(match), "programs": list(match.programs) if match else None}


def _alerts(found: list[Alert]) -> Rows[Alert]:
    from tradetrace.analyse.alerts import Alert

    return Rows(found, Alert)


def _records(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


def _sources(found: list) -> pd.DataFrame:
    return _records(
        [
            {"key": f.source.key, "kind": f.source.kind, "file": str(f.path), "sha256": f.sha256}
            for f in found
        ]  # fmt: skip
    )
