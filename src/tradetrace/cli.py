"""The ``tradetrace`` command line.

Every command is a thin shell over a library function: parse options, call,
print a rich table or JSON. User mistakes (:class:`TradetraceError`) print one
line on stderr and exit 2; they never show a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradetrace.errors import TradetraceError
from tradetrace.version import __version__

if TYPE_CHECKING:
    from tradetrace.analyse.results import ExposureResult
from tradetrace.screen.lists.registry import format_ids

app = typer.Typer(
    help="tradetrace: customs records → supply-chain and sanctions-exposure intelligence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Reference data: HS nomenclature, sanctions lists, CHPL.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
resolve_app = typer.Typer(
    help="Resolve parties into entities across scripts; explain, judge, evaluate.",
    invoke_without_command=True,
)
app.add_typer(resolve_app, name="resolve")
entities_app = typer.Typer(help="Find resolved entities.", no_args_is_help=True)
app.add_typer(entities_app, name="entities")
lists_app = typer.Typer(
    help="Sanctions lists: load, list what is loaded, compare versions.",
    invoke_without_command=True,
)
app.add_typer(lists_app, name="lists")
stats_app = typer.Typer(
    help="Official trade statistics (Comext, IMF IMTS, UN Comtrade): load, list what is loaded.",
    invoke_without_command=True,
)
app.add_typer(stats_app, name="stats")
names_app = typer.Typer(help="Name matching tools.", no_args_is_help=True)
profiles_app = typer.Typer(
    help="Column-mapping profiles: list, infer.", invoke_without_command=True
)
app.add_typer(profiles_app, name="profiles")
app.add_typer(names_app, name="names")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="TRADETRACE_DB",
        help="Store: a DuckDB file (default ./tradetrace.duckdb) or, with --backend spark, "
        "a Parquet warehouse directory or Hadoop path (default ./tradetrace-warehouse).",
    ),
]
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        envvar="TRADETRACE_BACKEND",
        help="Engine: duckdb (embedded, default) or spark (PySpark; see docs/spark.md).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class State:
    db: Path | None = None
    backend: str | None = None


@app.callback()
def _global(
    db: DbOption = None,
    backend: BackendOption = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit()
    State.db = db
    State.backend = backend


def _store(read_only: bool = False):
    from tradetrace.store import open_store

    return open_store(State.db, read_only=read_only, backend=State.backend)


def _duckdb_file() -> Path | None:
    """The store's DuckDB file, or None on Spark (``tradetrace.store`` imports Ibis, which
    costs a second, so its defaults are repeated here)."""
    import os

    if (State.backend or os.environ.get("TRADETRACE_BACKEND") or "duckdb") != "duckdb":
        return None
    return Path(State.db or os.environ.get("TRADETRACE_DB") or "tradetrace.duckdb")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def emit(data: object, as_json: bool, title: str | None, columns: list[str] | None = None) -> None:
    """``data`` as JSON with ``--json``, else as a table (a dict is a one-row table)."""
    if as_json:
        print_json(data)
    else:
        print_table(title, [data] if isinstance(data, dict) else data, columns)  # type: ignore[arg-type]


#: A cell that is a figure (amount, count, share, date, score, code): never cut or folded.
FIGURE = re.compile(r"[-–+$]?[\d.,:/%-]+[%M]?|[-–]|[A-Z]{2,3}")


def print_table(title: str | None, rows: list[dict], columns: list[str] | None = None) -> None:
    """Rows as a table that fits the terminal by wrapping text columns; a column of
    figures keeps its width, so "$7,200,000" is never printed as "$7,200,00"."""
    columns = columns or (list(rows[0]) if rows else [])
    cells = [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    table = Table(title=title, show_lines=False)
    for i, column in enumerate(columns):
        values = [r[i] for r in cells if r[i]]
        if values and all(FIGURE.fullmatch(v) for v in values):
            width = max(len(v) for v in values)
            table.add_column(column, justify="right", no_wrap=True, min_width=width)
        else:
            table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*row)
    out.print(table)


# -- ingest ---------------------------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files (.csv .tsv .xlsx .parquet .jsonl, .gz, .zip).")
    ],
    direction: Annotated[
        str | None,
        typer.Option(help="import or export: what the file holds (default: detect)."),
    ] = None,
    reporter: Annotated[
        str | None,
        typer.Option(
            help="Country (ISO2 or name) whose customs records these are (default: detect)."
        ),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(help="ISO 4217 currency of value columns that name none (default: USD)."),
    ] = None,
    granularity: Annotated[
        str | None,
        typer.Option(
            help="line (declaration lines) or month (monthly aggregates; default: detect)."
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="Profile name or YAML file (default: read the header words)."),
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help='Extra mapping "Header=field" (repeatable).')
    ] = None,
    fx_rates: Annotated[
        Path | None,
        typer.Option(help="CSV currency,date,usd_per_unit used before the ECB and monthly rates."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show how the files would be read; write nothing."),
    ] = False,
    rows: Annotated[int, typer.Option(help="With --dry-run: rows to show.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Load declaration files into the store: every row is loaded or quarantined."""
    from tradetrace.ingest.detect import DIRECTIONS, GRANULARITIES, Options, assert_known
    from tradetrace.ingest.pipeline import dry_run as run_dry
    from tradetrace.ingest.pipeline import ingest as run_ingest
    from tradetrace.ingest.profiles import parse_overrides

    assert_known(direction, DIRECTIONS, "--direction")
    assert_known(granularity, GRANULARITIES, "--granularity")
    options = Options(
        direction, reporter, currency, granularity, profile, parse_overrides(map_ or [])
    )
    if dry_run:
        previews = run_dry(paths, options, fx_rates, rows)
        if as_json:
            print_json(previews)
        else:
            for preview in previews:
                print_reading(preview)
        return
    with _store() as store, _progress(enabled=not as_json) as progress:
        result = run_ingest(store, paths, fx_rates=fx_rates, on_progress=progress, options=options)
    if as_json:
        print_json(result.to_json())
        return
    table = [
        {
            "file": f.file,
            "direction": f.reading.get("direction") or "per row",
            "reporter": f.reading.get("reporter_country"),
            "granularity": f.reading.get("granularity"),
            "rows_in": f.rows_in,
            "loaded": f.loaded,
            "quarantined": f.quarantined,
            "note": "already ingested" if f.skipped else ("SYNTHETIC" if f.synthetic else ""),
        }
        for f in result.files
    ]
    print_table("Ingest", table)
    r = result
    out.print(f"rows_in {r.rows_in:,} = loaded {r.loaded:,} + quarantined {r.quarantined:,}")


def print_reading(preview: dict) -> None:
    """One file's dry run: what it is (and why), its mapping, its first rows normalised."""
    out.print(f"[bold]{preview['file']}[/bold]")
    for key in ("direction", "reporter_country", "granularity", "currency"):
        why = preview["detected"].get(key, "")
        out.print(f"  {key}: {preview.get(key) or '-'}" + (f"  ({why})" if why else ""))
    print_table("mapping", [{"field": f, "header": h} for f, h in preview["mapping"].items()])
    if preview["unmapped_columns"]:
        out.print("  kept in extra: " + ", ".join(preview["unmapped_columns"]))
    rows = preview["rows"]
    if rows:  # one column per row: a declaration has too many fields to read across
        hidden = {"extra", "source_file", "ingest_id"}
        shown = [
            c for c in rows[0] if c not in hidden and any(r.get(c) not in (None, "") for r in rows)
        ]
        table = [{"field": c, **{f"row {r['source_row']}": r.get(c) for r in rows}} for c in shown]
        print_table("first rows, normalised", table)


class _progress:
    """A rich progress bar per file, fed by the pipeline's byte counts."""

    def __init__(self, enabled: bool):
        from rich.progress import (  # only for ingest: imported here, not by every command
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
        )

        self.enabled = enabled and err.is_terminal
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self):
        if not self.enabled:
            return None
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()

    def __call__(self, name: str, done: int, total: int) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(Path(name).name, total=total)
        self.bar.update(self.tasks[name], completed=done)


# -- query ----------------------------------------------------------------------------------------


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A SELECT statement.")], as_json: JsonOption = False
) -> None:
    """Run a read-only SQL query on the store."""
    with _store(read_only=True) as store:
        table = store.query(query)
    rows = table.to_pylist()
    emit(rows, as_json, None, table.column_names)


@app.command()
def quarantine(
    file: Annotated[
        str | None, typer.Option(help="Only rows from files containing this text.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    summary: Annotated[bool, typer.Option(help="Count rows per reason instead.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List rejected rows with the file, row, column, value and reason."""
    with _store(read_only=True) as store:
        q = store.table("quarantine")
        if file:
            q = q.filter(q.file.contains(file))
        total = int(store.to_arrow(q.count()).as_py())
        if summary:
            reason = q.reason.re_replace(r" (for|on) .*$", "")  # one line per kind of reason
            counts = q.group_by(reason=reason).aggregate(rows=q.count())
            rows = store.to_arrow(counts.order_by(counts.rows.desc())).to_pylist()
        else:
            rows = store.to_arrow(q.order_by([q.file, q.row]).limit(limit)).to_pylist()
    if as_json:
        print_json(rows)
    elif summary:
        print_table(f"Quarantine by reason ({total:,} rows)", rows, ["reason", "rows"])
    else:
        columns = ["file", "row", "column", "value", "reason"]
        print_table(f"Quarantine ({total:,} rows)", rows, columns)


@profiles_app.callback(invoke_without_command=True)
def profiles(ctx: typer.Context) -> None:
    """Column-mapping profiles: list the built-in ones, or infer one from a file."""
    if ctx.invoked_subcommand is not None:
        return
    from tradetrace.ingest.profiles import builtin_profiles

    rows = [
        {"name": p.name, "fields": len(p.fields), "description": p.description}
        for p in builtin_profiles().values()
    ]
    print_table("Profiles", rows)


@profiles_app.command("infer")
def profiles_infer(
    path: Annotated[Path, typer.Argument(help="A declaration file.")],
    direction: Annotated[str | None, typer.Option(help="import or export.")] = None,
    reporter: Annotated[str | None, typer.Option(help="Reporter country.")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of bare value columns.")] = None,
) -> None:
    """Write (to stdout) a profile of how FILE is read, to edit and pass with --profile."""
    from tradetrace.ingest.detect import Options
    from tradetrace.ingest.pipeline import infer_profile

    sys.stdout.write(infer_profile(path, Options(direction, reporter, currency)))


# -- sample data ----------------------------------------------------------------------------------


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    rows: Annotated[int, typer.Option(help="Approximate number of declaration lines.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed → identical files).")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Generate the SYNTHETIC sample: Russian-format declarations with the AURUS scenario."""
    from dataclasses import asdict

    from tradetrace.sample import generate_sample

    if rows < 1:
        raise TradetraceError("--rows must be at least 1")
    manifest = asdict(generate_sample(out_dir, rows=rows, seed=seed))
    if as_json:
        print_json(manifest)
        return
    print_table(
        f"SYNTHETIC sample in {out_dir} (seed {seed})",
        [{k: f[k] for k in ("name", "rows", "encoding")} for f in manifest["files"]],
    )
    out.print(f"{manifest['bad_rows']} defective rows on purpose: {manifest['bad_rows_by_kind']}")


# -- resolve --------------------------------------------------------------------------------------


@resolve_app.callback()
def resolve(
    ctx: typer.Context,
    threshold: Annotated[
        float, typer.Option(help="Merge pairs with at least this match probability.")
    ] = 0.9,
    as_json: JsonOption = False,
) -> None:
    """Cluster party records into entities (run with no subcommand)."""
    if ctx.invoked_subcommand:
        return
    from tradetrace.resolve.run import resolve as run_resolve

    if not 0 < threshold < 1:
        raise TradetraceError("--threshold must be between 0 and 1")
    with _store() as store:
        result = run_resolve(store, threshold)
    emit(result.to_json(), as_json, "Resolve")


@resolve_app.command("explain")
def resolve_explain(
    entity_id: Annotated[str, typer.Argument(help="An entity id (or a party id).")],
    as_json: JsonOption = False,
) -> None:
    """Show an entity's spellings, the pair scores that merged them and the judgements."""
    from tradetrace.resolve.explain import explain

    with _store(read_only=True) as store:
        report = explain(store, entity_id)
    if as_json:
        print_json(report)
        return
    entity = report["entity"]
    if "redirected_from" in report:
        _redirect_note(report["redirected_from"], entity["entity_id"], report["redirect_reason"])
    out.print(f"[bold]{entity['name']}[/bold]  {entity['entity_id']}  {entity['country'] or ''}")
    print_table("Spellings", report["members"], ["party_id", "name", "script", "identifier",
                                                  "country", "lines"])  # fmt: skip
    print_table("Evidence (pair scores)", report["links"], ["party_a", "party_b",
                "match_probability", "name", "inn", "address", "country", "used"])  # fmt: skip
    if report["judgements"]:
        print_table("Judgements", report["judgements"], ["a", "b", "same", "who", "at", "note"])
    if report["former_ids"]:
        print_table("Former ids (they lead here)", report["former_ids"],
                    ["old_id", "reason", "at"])  # fmt: skip


def _redirect_note(old: str, new: str, reason: str) -> None:
    """On stderr: a retired entity id was given and its successor is shown."""
    said = {
        "merged": f"{old} was merged into {new}",
        "split": f"{old} was split; most of its records are now {new}",
    }.get(reason, f"{old} is now {new}")
    err.print(f"note: {said}; showing {new}", markup=False, highlight=False, soft_wrap=True)


@resolve_app.command("judge")
def resolve_judge(
    a: Annotated[str, typer.Argument(help="Entity or party id.")],
    b: Annotated[str, typer.Argument(help="Entity or party id.")],
    same: Annotated[bool, typer.Option("--same", help="They are the same firm.")] = False,
    different: Annotated[
        bool, typer.Option("--different", help="They are different firms.")
    ] = False,
    note: Annotated[str, typer.Option(help="Why (kept with the judgement).")] = "",
    who: Annotated[str | None, typer.Option(help="Analyst (default: $TRADETRACE_USER).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Overrule the model: record that A and B are the same (or different) and re-cluster."""
    from tradetrace.resolve.judgements import parse_judgement
    from tradetrace.resolve.run import add_judgement, anchor, now, recluster

    with _store() as store:
        try:
            judgement = parse_judgement(anchor(store, a), anchor(store, b), same, different,
                                        who, note)  # fmt: skip
        except ValueError as exc:
            raise TradetraceError(str(exc)) from exc
        judgement = type(judgement)(**{**judgement.__dict__, "at": now()})
        add_judgement(store, judgement)
        result = recluster(store)
    if as_json:
        print_json({"judgement": judgement.__dict__, **result.to_json()})
    else:
        verdict = "same" if judgement.same else "different"
        out.print(f"recorded: {a} and {b} are {verdict} ({judgement.who}); re-clustered")
        print_table("Resolve", [result.to_json()])


@resolve_app.command("evaluate")
def resolve_evaluate(
    labels: Annotated[Path, typer.Argument(help="CSV with a record name/id and a cluster.")],
    standalone: Annotated[
        bool, typer.Option(help="Resolve the labelled records themselves, not the store.")
    ] = False,
    threshold: Annotated[
        float, typer.Option(help="With --standalone: merge at this match probability.")
    ] = 0.9,
    as_json: JsonOption = False,
) -> None:
    """Pairwise and B-cubed precision/recall/F1 against labelled clusters."""
    from tradetrace.resolve.evaluate import evaluate_standalone, evaluate_store

    if standalone:
        scores = evaluate_standalone(labels, threshold)
    else:
        with _store(read_only=True) as store:
            scores = evaluate_store(store, labels)
    emit(scores, as_json, f"Evaluation against {labels.name}")


@entities_app.command("search")
def entities_search(
    text: Annotated[str, typer.Argument(help="A name in any script, or a tax id.")],
    limit: Annotated[int, typer.Option(help="At most this many entities.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Find entities by name (Latin, Cyrillic, Hangul …) or INN."""
    from tradetrace.resolve.search import search_entities

    with _store(read_only=True) as store:
        rows = [hit.to_json() for hit in search_entities(store, text, limit)]
    columns = ["entity_id", "name", "country", "score", "matched", "lines"]
    emit(rows, as_json, f"Entities matching {text!r}", columns)


@entities_app.command("show")
def entities_show(
    entity_id: Annotated[
        str, typer.Argument(help="An entity id (a retired one shows the entity it leads to).")
    ],
    as_json: JsonOption = False,
) -> None:
    """One entity: name, spellings, identifiers, trade counts and sanctions matches."""
    from tradetrace.analyse.target import entity_detail

    with _store(read_only=True) as store:
        detail = entity_detail(store, entity_id.strip())
    if as_json:
        print_json(detail.to_json())
        return
    from tradetrace.formatting import count, money

    if detail.redirected_from and detail.redirect_reason:
        _redirect_note(detail.redirected_from, detail.entity_id, detail.redirect_reason)
    out.print(f"[bold]{detail.name}[/bold]  {detail.entity_id}  {detail.country or ''}")
    print_table("Entity", [{"identifiers": ", ".join(detail.identifiers or []),
                            "importer_lines": count(detail.importer_lines),
                            "exporter_lines": count(detail.exporter_lines),
                            "parties": count(detail.parties),
                            "value": money(detail.value_usd)}])  # fmt: skip
    print_table("Spellings", [a.to_json() for a in detail.aliases or []])
    if detail.matches:
        print_table("Sanctions matches", [m.to_json() for m in detail.matches],
                    ["list", "list_entity_id", "list_name", "score", "listing_date"])  # fmt: skip


# -- sanctions lists and screening ----------------------------------------------------------------

ListOption = Annotated[
    str | None,
    typer.Option(
        "--list", help=f"Force the list format: {', '.join(format_ids())} (default: detect)."
    ),
]
ThresholdOption = Annotated[float, typer.Option(help="Minimum match score (0-1).")]


@lists_app.callback()
def lists(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What is loaded: lists, versions, counts (run with no subcommand)."""
    if ctx.invoked_subcommand:
        return
    from tradetrace.screen.lists.load import list_summary

    with _store(read_only=True) as store:
        rows = list_summary(store)
    emit(rows, as_json, "Sanctions lists")


@lists_app.command("load")
def lists_load(
    paths: Annotated[list[Path], typer.Argument(help="List files (or the UK tables folder).")],
    list_kind: ListOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Load each list as it stood on this date (YYYY-MM-DD), rebuilt from its "
            "history (the OFAC SDN CSV's first-seen table), as version DATE."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load sanctions lists (OFAC, UK, UN, EU, OpenSanctions) with their listing dates."""
    from tradetrace.dates import parse_date
    from tradetrace.screen.index_cache import prepare_index
    from tradetrace.screen.lists.load import load_lists

    day = parse_date(as_of, "--as-of").isoformat() if as_of is not None else None
    with _store() as store:
        rows = load_lists(store, paths, list_kind, day)
    if _duckdb_file() is not None:  # saved beside the store: the first screen-name is fast
        with _store(read_only=True) as store:  # the writer's lock is released meanwhile
            prepare_index(store)
    emit(rows, as_json, "Loaded")


@lists_app.command("diff")
def lists_diff(
    old: Annotated[Path, typer.Argument(help="The older list file.")],
    new: Annotated[Path, typer.Argument(help="The newer list file.")],
    list_kind: ListOption = None,
    as_json: JsonOption = False,
) -> None:
    """Entries added and removed between two versions of a list."""
    from tradetrace.screen.lists.load import diff_lists, read_list

    report = diff_lists(read_list(old, list_kind), read_list(new, list_kind))
    if as_json:
        print_json(report)
        return
    out.print(f"{report['old']} → {report['new']}: {len(report['added'])} added, "
              f"{len(report['removed'])} removed, {report['unchanged']} unchanged")  # fmt: skip
    print_table("Added", report["added"][:50])
    print_table("Removed", report["removed"][:50])


# -- official trade statistics --------------------------------------------------------------------


@stats_app.callback()
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What is loaded: sources, files, versions, rows, periods (run with no subcommand)."""
    if ctx.invoked_subcommand:
        return
    from tradetrace.stats.load import stats_summary

    with _store(read_only=True) as store:
        rows = stats_summary(store)
    columns = ["source", "source_file", "version", "rows", "period_from", "period_to"]
    emit(rows, as_json, "Official trade statistics", columns)


@stats_app.command("load")
def stats_load(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Comext relational or bulk (.dat), IMF IMTS or UN Comtrade CSV files."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Load official trade statistics into trade_flows: every row, or nothing."""
    from tradetrace.stats.load import load_stats

    with _store() as store:
        summaries = load_stats(store, paths)
    columns = ["file", "source", "version", "rows", "blanks", "period_from", "period_to"]
    emit([s.to_json() for s in summaries], as_json, "Loaded", columns)


@app.command("screen")
def screen(
    threshold: ThresholdOption = 0.85,
    as_of_list: Annotated[
        str | None,
        typer.Option(
            help="Screen against the list versions loaded by then (YYYY-MM-DD, the end of "
            "that day UTC, or YYYY-MM-DDTHH:MM:SS UTC): what was known that day. Writes "
            "nothing."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Screen every resolved entity against the loaded lists; label declarations by date."""
    from tradetrace.dates import parse_moment
    from tradetrace.screen.match import MatchConfig
    from tradetrace.screen.run import screen_as_of_list, screen_entities

    config = MatchConfig(threshold=threshold)
    if as_of_list is not None:
        with _store() as store:
            known = screen_as_of_list(store, parse_moment(as_of_list, "--as-of-list"), config)
        if as_json:
            print_json(known.to_json())
        else:
            print_table("Lists as loaded by then", [
                {"list": k, "version": v} for k, v in known.lists.items()
            ])  # fmt: skip
            print_table("Matches", [m.model_dump() for m in known.results[:50]])
        return
    with _store() as store:
        run = screen_entities(store, config)
        rows = _top_matches(store)
    if as_json:
        print_json(run.to_json())
    else:
        print_run(run)
        print_table("Matches", rows)


def _top_matches(store, limit: int = 50) -> list[dict]:
    m, e = store.table("matches"), store.table("entities").select("entity_id", "name")
    top = m.join(e, "entity_id").order_by([m.score.desc(), m.entity_id]).limit(limit)
    return store.to_arrow(
        top.select("entity_id", entity=e.name, list=m.list, list_entity_id=m.list_entity_id,
                   list_name=m.list_name, score=m.score, listing_date=m.listing_date)
    ).to_pylist()  # fmt: skip


def print_run(run) -> None:
    """A screening run in one table: what it read, what changed, what it found."""
    print_table(
        f"Screening run {run.run_id} ({run.kind})",
        [{"entities": run.entities, "screened": run.entities_screened,
          "matched": run.matched_entities, "matches": run.matches, "events": run.events}],
    )  # fmt: skip
    if run.reason:
        out.print(f"full run: {run.reason}")
    changes = {
        "entries added": run.entries_added, "entries removed": run.entries_removed,
        "entries changed": run.entries_changed, "parties new": run.parties_new,
        "parties changed": run.parties_changed, "parties gone": run.parties_gone,
    }  # fmt: skip
    if any(changes.values()):
        print_table("Since the last run", [changes])


WebhookOption = Annotated[
    str | None,
    typer.Option(
        "--webhook", help="POST the alerts as JSON to this http(s) URL (retried, bounded)."
    ),
]
AtomOption = Annotated[
    Path | None, typer.Option("--atom", help="Write the alerts as an Atom feed to this file.")
]
MarkdownOption = Annotated[bool, typer.Option("--md", help="Print the alerts as Markdown.")]
WebhookTimeout = Annotated[
    float, typer.Option("--webhook-timeout", help="Seconds per webhook attempt.")
]
WebhookRetries = Annotated[
    int, typer.Option("--webhook-retries", help="Webhook retries after the first attempt.")
]


def deliver(
    alerts: list,
    as_json: bool,
    markdown: bool,
    atom: Path | None,
    webhook: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Print the alerts (table, JSON or Markdown), write the feed, post the webhook."""
    from tradetrace.notify.markdown import alerts_markdown

    if as_json:
        print_json([a.to_json() for a in alerts])
    elif markdown:
        sys.stdout.write(alerts_markdown(alerts))
    else:
        print_alerts(alerts)
    if atom is not None:
        from tradetrace.notify.atom import write_atom

        write_atom(atom, alerts, feed_id=f"urn:tradetrace:alerts:{atom.stem}",
                   title="tradetrace alerts")  # fmt: skip
    if webhook is not None and alerts:
        from tradetrace.notify.webhook import post_alerts

        post_alerts(webhook, alerts, timeout=timeout, retries=retries)


def print_alerts(alerts: list) -> None:
    """One row per alert: the party and the entry in words, the figures whole."""
    from tradetrace.formatting import iso_day, money

    rows = [
        {"alert": f"{a.event.replace('_', ' ')}: {a.entity_name or a.entity_id} "
                  f"({a.list} {a.list_entity_id})",
         "listed": iso_day(a.listing_date), "trade": money(a.trade_usd),
         "after listing": "" if a.trade_after_listing_usd is None
         else money(a.trade_after_listing_usd),
         "last trade": iso_day(a.last_trade_date)}
        for a in alerts
    ]  # fmt: skip
    if rows:
        print_table(f"Alerts ({len(rows)})", rows)
    else:
        out.print("No alerts.")


@app.command("watch")
def watch(
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="First download the lists from their publishers (as `data update`) and "
            "load those that changed.",
        ),
    ] = False,
    mirror: Annotated[
        str | None,
        typer.Option(help="With --update: fetch each file from this base URL instead."),
    ] = None,
    list_keys: Annotated[
        str | None,
        typer.Option(
            "--lists",
            help="With --update: the lists to fetch, comma-separated source keys "
            "(default: ofac_sdn,ofac_cons_prim,uk_ofsi_conlist,un_consolidated,eu_fsf).",
        ),
    ] = None,
    as_json: JsonOption = False,
    markdown: MarkdownOption = False,
    atom: AtomOption = None,
    webhook: WebhookOption = None,
    webhook_timeout: WebhookTimeout = 10.0,
    webhook_retries: WebhookRetries = 3,
) -> None:
    """Rescreen only what changed since the last screening and alert on the differences.

    Exit status: 0 no change for the store's parties, 1 alerts, 2 error (cron-friendly).
    """
    from tradetrace.analyse.alerts import alerts as alerts_of
    from tradetrace.screen.run import screen_entities

    with _store() as store:
        if update:
            from tradetrace.screen.lists.update import update_lists

            keys = [k.strip() for k in list_keys.split(",") if k.strip()] if list_keys else None
            loaded = update_lists(store, keys=keys, mirror=mirror)
            if loaded and not as_json:
                print_table("Loaded", loaded)
        run = screen_entities(store, incremental=True)
        found = alerts_of(store, run_id=run.run_id)
    if not as_json:
        print_run(run)
    deliver(found, as_json, markdown, atom, webhook, webhook_timeout, webhook_retries)
    raise typer.Exit(1 if found else 0)


@app.command("alerts")
def alerts(
    since: Annotated[
        str | None,
        typer.Option(help="Alerts seen since then (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)."),
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="The alerts of this screening run.")
    ] = None,
    as_json: JsonOption = False,
    markdown: MarkdownOption = False,
    atom: AtomOption = None,
    webhook: WebhookOption = None,
    webhook_timeout: WebhookTimeout = 10.0,
    webhook_retries: WebhookRetries = 3,
) -> None:
    """What changed on the lists for the store's parties, with their trade (default: the
    latest screening's changes)."""
    from tradetrace.analyse.alerts import alerts as alerts_of
    from tradetrace.dates import parse_moment

    start = None if since is None else parse_moment(since, "--since", day_ends=False)
    with _store(read_only=True) as store:
        found = alerts_of(store, since=start, run_id=run)
    deliver(found, as_json, markdown, atom, webhook, webhook_timeout, webhook_retries)


@app.command("screen-name")
def screen_name(
    name: Annotated[str, typer.Argument(help="A name in any script.")],
    country: Annotated[str | None, typer.Option(help="ISO2 country of the party.")] = None,
    schema: Annotated[str, typer.Option(help="Company, Person, Vessel ...")] = "Company",
    identifier: Annotated[
        list[str] | None, typer.Option("--id", help="Identifier such as inn:7743237789.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Also give each match's status on this date.")
    ] = None,
    threshold: ThresholdOption = 0.85,
    as_json: JsonOption = False,
) -> None:
    """Screen one name against every loaded list, with listing dates and explanations."""
    from tradetrace.dates import parse_date
    from tradetrace.screen.index_cache import index_for_file, index_for_store
    from tradetrace.screen.match import MatchConfig, Query
    from tradetrace.screen.results import screen_names

    day = parse_date(as_of, "--as-of") if as_of is not None else None
    query = Query(name, country.upper() if country else None, schema, tuple(identifier or ()))
    config = MatchConfig(threshold=threshold)
    # The saved index, checked against the store's lists without opening the store (fast);
    # else open the store, and build and save the index.
    db = _duckdb_file()
    index = index_for_file(db, config) if db is not None else None
    if index is None:
        with _store(read_only=True) as store:
            index = index_for_store(store, config)
    [result] = screen_names(index, [query], day)
    if as_json:
        print_json(result.to_json())
        return
    rows = result.to_json()["matches"]
    columns = ["list", "id", "name", "score", "listing_date", "programs"]
    print_table(f"Matches for {name!r}", rows, columns + (["status_as_of"] if day else []))
    for row in rows[:5]:
        out.print(f"[dim]{row['id']}: {json.dumps(row['explanation'], ensure_ascii=False)}[/dim]")


@app.command("screen-file")
def screen_file(
    names: Annotated[Path, typer.Argument(help="CSV with a name column (country, schema, id).")],
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the CSV here.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Status of each match on this date.")] = None,
    threshold: ThresholdOption = 0.85,
) -> None:
    """Screen a list of counterparties; one output row per (name, match)."""
    from tradetrace.dates import parse_date
    from tradetrace.screen.batch import screen_csv

    day = parse_date(as_of, "--as-of") if as_of is not None else None
    with _store(read_only=True) as store:
        rows = screen_csv(store, names, threshold, day)
    _write_rows(rows, out_path, "Screening")


# -- analyse --------------------------------------------------------------------------------------

ExposureTarget = Annotated[
    str, typer.Argument(help="Entity id, tax id (INN) or a name in any script.")
]
RoleOption = Annotated[
    str, typer.Option("--role", help="The target's side of the trade: importer or exporter.")
]
FromOption = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
EventOption = Annotated[
    list[str] | None,
    typer.Option("--event", help="Extra event NAME=YYYY-MM-DD (repeatable)."),
]
CategoriesOption = Annotated[
    str | None,
    typer.Option(
        "--categories",
        help="Category map: a YAML file, 'automotive' (default), hs-section|hs-chapter|hs-heading.",
    ),
]


@app.command()
def exposure(
    target: ExposureTarget,
    role: RoleOption = "importer",
    start: FromOption = None,
    end: ToOption = None,
    event: EventOption = None,
    categories: CategoriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """A target's trade: by year, country, supplier, category, event; findings with evidence."""
    from tradetrace.analyse.exposure import exposure as compute
    from tradetrace.analyse.exposure import options_from

    options = options_from(role, start, end, event, categories)
    with _store(read_only=True) as store:
        result = compute(store, target, options)
    if as_json:
        print_json(result.to_json())
    else:
        found = result.target
        if found.redirected_from and found.redirect_reason:
            _redirect_note(found.redirected_from, found.entity_id, found.redirect_reason)
        print_exposure(result)


@app.command()
def report(
    target: ExposureTarget,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf, md or json.")] = "html",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: stdout for md/json).")
    ] = None,
    role: RoleOption = "importer",
    start: FromOption = None,
    end: ToOption = None,
    event: EventOption = None,
    categories: CategoriesOption = None,
) -> None:
    """A self-contained report: findings, charts, evidence tables, methodology."""
    from tradetrace.analyse.exposure import options_from
    from tradetrace.report import REPORT_FORMATS, render_report

    if fmt not in REPORT_FORMATS:
        raise TradetraceError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    options = options_from(role, start, end, event, categories)
    with _store(read_only=True) as store:
        body = render_report(store, target, options, fmt)
    _write_output(body, out_path, binary=fmt in ("pdf", "html"))


@app.command()
def graph(
    target: ExposureTarget,
    hops: Annotated[int, typer.Option(help="How many links out from the target (1-4).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="json, graphml, gexf or ftm.")] = "json",
    out_path: Annotated[Path | None, typer.Option("--out", help="File to write.")] = None,
    role: Annotated[
        str, typer.Option(help="First hop: importer (its suppliers), exporter (buyers) or any.")
    ] = "importer",
) -> None:
    """The supplier network around a target, with paths to listed parties."""
    from tradetrace.analyse.graph import export_graph, supplier_graph

    with _store(read_only=True) as store:
        found = supplier_graph(store, target, hops=hops, role=role)
        text = export_graph(store, found, fmt)
    _write_output(text.encode("utf-8"), out_path, binary=False)


def _write_output(body: bytes, out_path: Path | None, binary: bool) -> None:
    """Write to ``--out`` (parent folders made), or stdout when that is safe for the format."""
    if out_path is None:
        if binary:
            raise TradetraceError("give --out PATH for html and pdf reports")
        sys.stdout.write(body.decode("utf-8"))
        return
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(body)
    except OSError as exc:
        raise TradetraceError(f"{out_path}: cannot write ({exc.strerror})") from exc
    err.print(f"wrote {out_path} ({len(body):,} bytes)")


def print_exposure(result: ExposureResult) -> None:
    """The exposure as tables, figures written by :mod:`tradetrace.formatting`."""
    from tradetrace.formatting import (
        ADDS_UP_NOTE,
        count,
        hhi,
        iso_day,
        money,
        share,
        whole_dollars,
    )
    from tradetrace.roles import role

    target, period, side = result.target, result.period, role(result.role)
    out.rule(f"[bold]{target.name}[/bold] ({target.entity_id}) as {result.role}")
    out.print(
        f"Period {iso_day(period.start)} – {iso_day(period.end)}: {money(result.total_usd)} "
        f"in {count(result.declarations)} declarations ({count(result.lines)} lines)"
    )
    for listing in target.listings:
        out.print(
            f"Listed: {listing.list} {listing.list_entity_id} {listing.list_name!r} "
            f"on {listing.listing_date or 'unknown date'} (score {listing.score})"
        )
    years = whole_dollars([y.value_usd for y in result.by_year], result.total_usd)
    print_table(
        "By year",
        [{"year": y.year, "value": money(v)} for y, v in zip(result.by_year, years, strict=True)]
        + [{"year": "Period", "value": money(sum(years))}],
    )  # fmt: skip
    out.print(f"[dim]{ADDS_UP_NOTE}[/dim]")

    def countries(rows: list) -> list[dict]:
        return [{"country": r.country, "value": money(r.value_usd), "share": share(r.share),
                 "decl.": count(r.declarations)} for r in rows]  # fmt: skip

    print_table("By origin country", countries(result.by_origin_country))
    print_table("By dispatch country", countries(result.by_dispatch_country))
    print_table(
        side.parties.capitalize(),
        [{"name": s.name, "cc": s.country, "value": money(s.value_usd),
          "share": share(s.share), "decl.": count(s.declarations),
          "first": iso_day(s.first_date), "last": iso_day(s.last_date)}
         for s in result.by_supplier],
    )  # fmt: skip
    print_table(
        "Categories",
        [{"category": c.category, "value": money(c.value_usd), "share": share(c.share)}
         for c in result.by_category],
    )  # fmt: skip
    print_table(
        "Events",
        [{"name": e.name, "date": iso_day(e.date), "before": money(e.before_usd),
          "after": money(e.after_usd), "decl. after": count(e.after_declarations)}
         for e in result.events],
    )  # fmt: skip
    print_table(
        "Origin ≠ dispatch",
        [{"origin": r.origin, "dispatch": r.dispatch, "value": money(r.value_usd),
          "share": share(r.share), "decl.": count(r.declarations),
          "hub": "yes" if r.hub else ""} for r in result.transshipment],
    )  # fmt: skip
    print_table(
        "CHPL goods",
        [{"tier": r.tier, "hs6": r.hs6, "description": r.description,
          "value": money(r.value_usd), "decl.": count(r.declarations)}
         for r in result.chpl],
    )  # fmt: skip
    print_table(
        "Country groups (by origin)",
        [{"group": g.group, "value": money(g.value_usd), "share": share(g.share)}
         for g in result.country_groups],
    )  # fmt: skip
    concentration = result.concentration
    print_table(
        "Concentration (HHI)",
        [{f"by {side.party}": hhi(concentration.hhi_supplier),
          "by origin": hhi(concentration.hhi_country)}],
    )  # fmt: skip
    out.print(
        "\n[bold]Findings[/bold]"
        + (" [red](SYNTHETIC sample data)[/red]" if result.synthetic else "")
    )
    for n, finding in enumerate(result.findings, start=1):
        out.print(f"{n}. {finding.text} [dim]({len(finding.evidence)} declarations)[/dim]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="TRADETRACE_API_KEY",
            help="Key clients send as X-API-Key; required off loopback.",
            show_default=False,
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None, typer.Option(help="Allow this browser origin (repeatable; default none).")
    ] = None,
) -> None:
    """Serve the read-only REST API and the web dashboard over the store."""
    from tradetrace.api.app import serve as run_server
    from tradetrace.store import default_backend, default_db_path

    run_server(
        State.db or default_db_path(), host, port, api_key, cors_origin,
        State.backend or default_backend(),
    )  # fmt: skip


@names_app.command("compare")
def names_compare(
    pairs: Annotated[Path, typer.Argument(help="CSV name1,name2[,schema].")],
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the CSV here.")] = None,
) -> None:
    """Score name pairs as the matcher does: score and is_match for each pair."""
    from tradetrace.screen.batch import compare_csv

    _write_rows(compare_csv(pairs), out_path, "Name pairs")


def _write_rows(rows: list[dict], out_path: Path | None, title: str) -> None:
    if out_path is None:
        print_table(title, rows)
        return
    import csv

    with out_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["name"])
        writer.writeheader()
        writer.writerows(rows)
    out.print(f"{len(rows)} rows written to {out_path}")


# -- reference data -------------------------------------------------------------------------------


@data_app.command("import")
def data_import(
    directory: Annotated[Path, typer.Argument(help="A folder laid out like shared/data.")],
    as_json: JsonOption = False,
) -> None:
    """Copy and index reference files (HS nomenclature, sanctions lists, CHPL) from a folder."""
    from tradetrace.reference.catalogue import import_reference

    with _store() as store:
        found = import_reference(store, directory)
    _print_sources(found, as_json)


@data_app.command("update")
def data_update(
    only: Annotated[
        list[str] | None, typer.Option(help="Source keys to fetch (default all).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Download the reference files from their official publishers."""
    from tradetrace.reference.catalogue import update_reference

    with _store() as store:
        found = update_reference(store, only)
    _print_sources(found, as_json)


def _print_sources(found, as_json: bool) -> None:
    rows = [
        {"key": f.source.key, "kind": f.source.kind, "file": f.path.name, "sha256": f.sha256[:12]}
        for f in found
    ]
    emit(rows, as_json, "Reference files")


# -- official statistics: diversion and mirror gaps ----------------------------------------------

flows_app = typer.Typer(
    help="Trade flows from official statistics: diversion, mirror gaps.", no_args_is_help=True
)
app.add_typer(flows_app, name="flows")


BaselineOption = Annotated[
    str, typer.Option(help="Months the pre-war pattern is fitted on: YYYY-MM:YYYY-MM.")
]
AfterOption = Annotated[
    str, typer.Option(help="Months compared with its projection: YYYY-MM:[YYYY-MM].")
]


@flows_app.command("diversion")
def flows_diversion(
    partners: Annotated[
        str, typer.Option(help="Destinations, ISO2, comma-separated.")
    ] = "KZ,KG,AM,GE,UZ",
    baseline: BaselineOption = "2019-01:2021-12",
    after: AfterOption = "2022-03:",
    reporters: Annotated[
        str | None, typer.Option(help="Reporters (ISO2 or aggregate codes), comma-separated.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Exports to Russia's neighbours against their seasonal-and-trend baseline."""
    from tradetrace.analyse.diversion import diversion, parse_window
    from tradetrace.formatting import money_compact as money
    from tradetrace.formatting import ratio

    codes = [c.strip().upper() for c in partners.split(",") if c.strip()]
    chosen = [c.strip() for c in reporters.split(",") if c.strip()] if reporters else None
    with _store(read_only=True) as store:
        result = diversion(
            store, codes, parse_window(baseline, "--baseline"), parse_window(after, "--after"),
            chosen,
        )  # fmt: skip
    if as_json:
        print_json(result.to_json())
        return
    rows = [
        {"reporter": r.reporter, "partner": r.partner,
         "baseline/month": money(r.baseline_usd_per_month),
         "after/month": money(r.after_usd_per_month),
         "ratio": ratio(r.ratio), "excess": money(r.excess_usd), "low": money(r.excess_low_usd),
         "high": money(r.excess_high_usd)}
        for r in result.rows
    ]  # fmt: skip
    print_table(f"Diversion: baseline {baseline}, after {after} (largest excess first)", rows[:40])
    for finding in result.findings[:15]:
        out.print(f"• {finding.text}", markup=False, highlight=False)


@flows_app.command("series")
def flows_series(
    reporter: Annotated[str, typer.Option(help="Reporter: ISO2, or an aggregate (EU27_2020).")],
    partner: Annotated[str, typer.Option(help="Destination, ISO2.")],
    baseline: BaselineOption = "2019-01:2021-12",
    after: AfterOption = "2022-03:",
    chart: Annotated[
        Path | None,
        typer.Option(help="Write the chart (exports, model, invasion line): .svg or .png."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One reporter–partner pair month by month, against its seasonal-and-trend baseline."""
    from tradetrace.analyse.diversion import parse_window, series
    from tradetrace.errors import InputError
    from tradetrace.formatting import money, ratio

    if chart is not None and chart.suffix.lower() not in {".svg", ".png"}:
        raise InputError(f"--chart: {chart} must end in .svg or .png")
    with _store(read_only=True) as store:
        result = series(
            store, reporter.strip(), partner.strip().upper(),
            parse_window(baseline, "--baseline"), parse_window(after, "--after"),
        )  # fmt: skip
    if chart is not None:
        _write_flow_chart(result, chart)
    if as_json:
        print_json(result.to_json())
        return
    rows = [
        {"month": f"{p.month:%Y-%m}", "exports": money(p.value_usd),
         "model": money(p.expected_usd), "low": money(p.expected_low_usd),
         "high": money(p.expected_high_usd)}
        for p in result.months
    ]  # fmt: skip
    print_table(f"{result.reporter} → {result.partner}, monthly (USD)", rows)
    if result.row is not None:
        r = result.row
        out.print(
            f"{result.after.from_:%Y-%m} to {result.after.to:%Y-%m}: {ratio(r.ratio)} the "
            f"projection; excess {money(r.excess_usd)} "
            f"(90% band {money(r.excess_low_usd)} to {money(r.excess_high_usd)})",
            markup=False,
            highlight=False,
        )
    if chart is not None:
        err.print(f"wrote {chart} ({chart.stat().st_size:,} bytes)", markup=False, highlight=False)


def _write_flow_chart(result, path: Path) -> None:
    """The pair's chart as SVG (as the report inlines it) or PNG, written atomically."""
    import vl_convert

    from tradetrace.reference.sources import atomic_write
    from tradetrace.report.charts import CONFIG, flow_chart, to_svg

    chart = flow_chart(result)
    if path.suffix.lower() == ".svg":
        data = to_svg(chart, "flows").encode()
    else:
        spec = chart.configure(**CONFIG).to_dict()
        data = vl_convert.vegalite_to_png(spec, scale=2, allowed_base_urls=[])
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


@flows_app.command("mirror")
def flows_mirror(
    country: Annotated[
        str, typer.Option(help="ISO2 of the country whose imports are mirrored.")
    ] = "RU",
    by: Annotated[str, typer.Option(help="partner, year or partner,year.")] = "partner,year",
    as_json: JsonOption = False,
) -> None:
    """What partners report exporting to a country, beside what it reports importing."""
    from tradetrace.analyse.mirror import mirror
    from tradetrace.formatting import money_compact as money
    from tradetrace.formatting import ratio

    with _store(read_only=True) as store:
        result = mirror(store, country.strip().upper(), [b.strip() for b in by.split(",")])
    if as_json:
        print_json(result.to_json())
        return
    rows = [
        {"partner": r.partner or "all", "year": r.year or "all",
         "partners' exports": money(r.partner_exports_usd),
         f"{result.country} imports": money(r.country_imports_usd),
         "gap": money(r.gap_usd), "ratio": ratio(r.ratio),
         "notes": "; ".join(r.notes)}
        for r in result.rows
    ]  # fmt: skip
    print_table(f"Mirror: partners' exports to {result.country} and its imports", rows)
    for caveat in result.caveats:
        out.print(f"• {caveat}", markup=False, highlight=False)


def main() -> None:
    try:
        app()
    except TradetraceError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; the store is unchanged for the file in progress")
        sys.exit(130)


if __name__ == "__main__":
    main()
