"""tradetrace evaluations: one table of quality figures, each next to its target.

Run with ``make eval`` (or ``python eval/run.py [--only resolution|screening]``). Results are
printed and written to ``eval/results.json``.

What is measured, and on what (see ``eval/labels/README.md`` for how the labels were made):

* **Resolution**, pairwise and B-cubed precision / recall / F1 of the clusters against:
  - the real vendor files (``shared/data/trade/firm_level_samples_aaziko``), all 41 ingested
    as a new user would and resolved, scored on three hand-labelled sets of their party
    spellings: ``real_vendor_parties.csv`` (the *development* set: the rules were written
    while looking at its misses), ``real_vendor_parties_heldout.csv`` (labelled later; a few
    general rules came from its misses) and ``real_vendor_parties_test.csv`` (labelled after
    the code was frozen, by someone who never saw the resolver's output: the figure to
    believe);
  - the PATSTAT / KU Leuven company clusters and dedupe's Chicago early-childhood sites
    (public labelled sets, resolved on their own: names only, names and addresses);
  - the SYNTHETIC sample's own truth, which the generator and the code were written
    together with: a regression check, never evidence of quality.
* **Screening** of the same real store against the ``make demo`` lists:
  - the share of real party names whose alerts are all false (every flagged pair is
    judged by hand in ``eval/labels/screening_judgements.csv``; an unjudged pair is shown,
    never counted as false), and the listed parties present in the data that are found;
  - recall on customs-style spellings of the lists' own Russian firms.

Thresholds are the defaults a user gets; nothing here tunes them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from real_store import SHARED, ingest_real_files  # noqa: E402

from tradetrace.resolve.evaluate import (  # noqa: E402
    chicago_standalone,
    evaluate_store,
    patstat_standalone,
)
from tradetrace.resolve.run import resolve  # noqa: E402
from tradetrace.store import open_store  # noqa: E402

RESULTS = HERE / "results.json"
LABELS = HERE / "labels"
DEV_LABELS = LABELS / "real_vendor_parties.csv"
HELDOUT_LABELS = LABELS / "real_vendor_parties_heldout.csv"
TEST_LABELS = LABELS / "real_vendor_parties_test.csv"
JUDGEMENTS = LABELS / "screening_judgements.csv"
SAMPLE_ROWS = 20_000
SAMPLE_SEED = 7


@dataclass
class Figure:
    set: str
    figure: str
    value: float
    target: str
    ok: bool | None


def _scores(name: str, scores: dict, targets: dict[str, float] | None = None) -> list[Figure]:
    """Pairwise P/R/F1 and B-cubed F1 of one set; ``targets`` maps a score to its minimum."""
    targets = targets or {}
    out = []
    for key in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_f1"):
        minimum = targets.get(key)
        target = f">= {minimum}" if minimum is not None else ""
        ok = scores[key] >= minimum if minimum is not None else None
        out.append(Figure(name, key.replace("_", " "), scores[key], target, ok))
    out.append(Figure(name, "records labelled", scores["records"], "", None))
    return out


def sample_truth(work: Path) -> dict:
    """The SYNTHETIC sample, generated, ingested and resolved; scored on its own truth."""
    from tradetrace.ingest.pipeline import ingest
    from tradetrace.sample.generator import generate_sample

    folder = work / "sample"
    generate_sample(folder, rows=SAMPLE_ROWS, seed=SAMPLE_SEED)
    with open_store(work / "sample.duckdb") as store:
        ingest(store, sorted(folder.glob("synthetic_ru_customs_*.csv")))
        resolve(store)
        return evaluate_store(store, folder / "synthetic_parties_truth.csv")


def real_store(work: Path, with_lists: bool) -> Path:
    db = work / "real.duckdb"
    with open_store(db) as store:
        ingest_real_files(store)
        resolve(store)
        if with_lists:
            from tradetrace.screen.evaluate import load_demo_lists

            load_demo_lists(store, SHARED)
    return db


def resolution_figures(work: Path, db: Path) -> list[Figure]:
    figures: list[Figure] = []
    with open_store(db, read_only=True) as store:
        dev = evaluate_store(store, DEV_LABELS)
        heldout = evaluate_store(store, HELDOUT_LABELS)
    figures += _scores("real vendor files, hand-labelled (development)", dev,
                       {"pairwise_precision": 0.95, "pairwise_f1": 0.9})  # fmt: skip
    figures += _scores("real vendor files, hand-labelled (held out)", heldout,
                       {"pairwise_precision": 0.95})  # fmt: skip
    if TEST_LABELS.exists():
        with open_store(db, read_only=True) as store:
            test = evaluate_store(store, TEST_LABELS)
        figures += _scores("real vendor files, hand-labelled (test)", test,
                           {"pairwise_precision": 0.95})  # fmt: skip
    figures += _scores("PATSTAT company clusters (names only)", patstat_standalone(SHARED))
    figures += _scores("Chicago early-childhood sites (name, address)", chicago_standalone(SHARED))
    figures += _scores(f"SYNTHETIC sample truth ({SAMPLE_ROWS:,} rows; regression only)",
                       sample_truth(work), {"pairwise_f1": 0.99})  # fmt: skip
    return figures


def screening_figures(db: Path) -> tuple[list[Figure], dict]:
    from tradetrace.screen.evaluate import evaluate_screening

    with open_store(db, read_only=True) as store:
        found = evaluate_screening(store, JUDGEMENTS)
    rate, recall = found.flag_rate, found.recall
    name = f"real party names, screened at {rate.threshold}"
    figures = [
        Figure(name, "names screened", rate.names, "", None),
        Figure(name, "names flagged", rate.flagged, "", None),
        Figure(name, "alerts", rate.alerts, "", None),
        Figure(name, "alerts judged true", rate.true_alerts, "", None),
        Figure(name, "alerts judged false", rate.false_alerts, "", None),
        Figure(name, "alerts not judged", rate.unjudged_alerts, "0", rate.unjudged_alerts == 0),
        Figure(name, "names with only false alerts (%)", 100 * rate.only_false_share, "<= 0.2",
               rate.only_false_share <= 0.002),
        Figure(name, "listed parties found (names)", rate.names_found, "", None),
        Figure(name, "pairs judged true but not alerted", len(rate.missed), "", None),
        Figure("customs-style spellings of listed firms", "recall", recall.recall, ">= 0.95",
               recall.recall >= 0.95),
        Figure("customs-style spellings of listed firms", "spellings", recall.spellings, "",
               None),
    ]  # fmt: skip
    detail = {
        "found": [asdict(a) for a in rate.found],
        "unjudged": [asdict(a) for a in rate.unjudged],
        "missed": [asdict(j) for j in rate.missed],
        "recall_misses": [asdict(m) for m in recall.misses[:200]],
    }
    return figures, detail


def _value(figure: Figure) -> str:
    """A count with thousands separators, any other figure to three decimals."""
    value = figure.value
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3f}"


def markdown(figures: list[Figure]) -> str:
    """The figures as a Markdown table (for the README: its quality tables come from here)."""
    lines = ["| set | figure | value | target |", "|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.set} | {f.figure} | {_value(f)} | {f.target} |")
    return "\n".join(lines)


def show(figures: list[Figure]) -> None:
    table = Table(title="tradetrace evaluations")
    for column in ("set", "figure", "value", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for f in figures:
        ok = "" if f.ok is None else ("[green]yes[/]" if f.ok else "[red]NO[/]")
        table.add_row(f.set, f.figure, _value(f), f.target, ok)
    Console(width=160).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("resolution", "screening"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} not found: the evaluations need the shared data folder")
    started = time.time()
    figures: list[Figure] = []
    detail: dict = {}
    with tempfile.TemporaryDirectory(prefix="tradetrace-eval-") as tmp:
        work = Path(tmp)
        db = real_store(work, with_lists=args.only != "resolution")
        if args.only != "screening":
            figures += resolution_figures(work, db)
        if args.only != "resolution":
            screened, detail = screening_figures(db)
            figures += screened
    show(figures)
    if args.markdown:
        print(markdown(figures))
    args.out.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "seconds": round(time.time() - started, 1),
                "figures": [asdict(f) for f in figures],
                "screening_detail": detail,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {args.out}")
    if any(f.ok is False for f in figures):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
