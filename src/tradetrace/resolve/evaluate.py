"""Measure resolution against labelled clusters (pairwise and B-cubed P/R/F1).

Two ways: against the store (the labels name spellings; every party record with
that spelling is scored), or standalone (the labelled records themselves are
resolved with the same model, e.g. the PATSTAT company clusters).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa

from tradetrace.errors import InputError
from tradetrace.resolve.graph import cluster
from tradetrace.resolve.metrics import evaluate, patstat_records
from tradetrace.resolve.model import THRESHOLD, score
from tradetrace.resolve.parties import features
from tradetrace.store import Store

NAME_COLUMNS = ("name", "person_name", "company", "party")
CLUSTER_COLUMNS = ("cluster", "cluster_id", "entity_key", "true_id", "leuven_id")
ID_COLUMNS = ("id", "record_id", "person_id", "party_id")


def evaluate_store(store: Store, labels: Path) -> dict:
    """Score the store's entities for every party record whose name is labelled."""
    records, labels_by_id = read_records(labels)
    names = records["name"].to_pylist()
    truth_by_name = dict(zip(names, (labels_by_id[i] for i in records["party_id"].to_pylist()),
                             strict=True))  # fmt: skip
    parties = store.to_arrow(store.table("parties").select("party_id", "name", "entity_id"))
    predicted, truth = {}, {}
    for row in parties.to_pylist():
        if row["name"] in truth_by_name:
            predicted[row["party_id"]] = row["entity_id"]
            truth[row["party_id"]] = truth_by_name[row["name"]]
    if not truth:
        raise InputError(f"{labels}: none of its names occurs among the store's parties")
    return asdict(evaluate(predicted, truth))


def evaluate_standalone(labels: Path, threshold: float = THRESHOLD) -> dict:
    """Resolve the labelled records on their own and score the clusters."""
    records, truth = read_records(labels)
    return asdict(evaluate(resolve_records(records, threshold), truth))


def resolve_records(records: pa.Table, threshold: float = THRESHOLD) -> dict[str, str]:
    """party_id → cluster representative for standalone records (no store)."""
    pairs = score(features(records), threshold).table
    links = zip(
        pairs["party_a"].to_pylist(),
        pairs["party_b"].to_pylist(),
        pairs["match_probability"].to_pylist(),
        strict=True,
    )
    return cluster(records["party_id"].to_pylist(), links)


def patstat_standalone(data_dir: Path, threshold: float = THRESHOLD) -> dict:
    """The PATSTAT / KU Leuven company clusters resolved on their own (names only)."""
    found = patstat_records(data_dir)
    records = records_table([{"party_id": pid, "name": name} for pid, name, _ in found])
    truth = {pid: cluster for pid, _, cluster in found}
    return asdict(evaluate(resolve_records(records, threshold), truth))


#: dedupe's Chicago early-childhood sites with their true ids, relative to the shared data.
CHICAGO_FILE = (
    Path("entity_resolution") / "dedupe_chicago_early_childhood_sites_with_true_ids.csv.gz"
)


def chicago_records(data_dir: Path) -> tuple[pa.Table, dict[str, str]]:
    """dedupe's Chicago early-childhood sites as party records (site name, address with
    zip) and their true site ids: real names of one place written by several agencies."""
    path = Path(data_dir) / CHICAGO_FILE
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows, truth = [], {}
        for row in csv.DictReader(handle):
            name = " ".join((row.get("Site name") or "").split())
            if not name:
                continue
            address = " ".join(f"{row.get('Address') or ''} {row.get('Zip') or ''}".split())
            rows.append({"party_id": row["Id"], "name": name, "address": address or None})
            truth[row["Id"]] = row["True Id"]
    return records_table(rows), truth


def chicago_standalone(data_dir: Path, threshold: float = THRESHOLD) -> dict:
    records, truth = chicago_records(data_dir)
    return asdict(evaluate(resolve_records(records, threshold), truth))


def records_table(rows: list[dict]) -> pa.Table:
    """Rows with party_id and name (optionally identifier, address, country) as party records."""
    columns = ("party_id", "name", "identifier", "address", "country")
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})


def read_records(path: Path) -> tuple[pa.Table, dict[str, str]]:
    """A labelled CSV: a name column, a cluster column, optional id/country/address/identifier."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        name = _pick(header, NAME_COLUMNS, path, "name")
        label = _pick(header, CLUSTER_COLUMNS, path, "cluster")
        ident = next((c for c in ID_COLUMNS if c in header), None)
        rows, truth = [], {}
        for n, row in enumerate(reader, start=2):
            party_id = row[ident] if ident else f"row-{n}"
            if not row.get(name) or not row.get(label):
                raise InputError(f"{path}:{n}: empty {name!r} or {label!r}")
            rows.append({
                "party_id": party_id,
                "name": row[name],
                "identifier": row.get("identifier") or row.get("inn"),
                "address": row.get("address"),
                "country": row.get("country"),
            })  # fmt: skip
            truth[party_id] = row[label]
    return records_table(rows), truth


def _pick(header: Sequence[str], options: tuple[str, ...], path: Path, what: str) -> str:
    for option in options:
        if option in header:
            return option
    raise InputError(
        f"{path}: no {what} column (one of {', '.join(options)}); headers seen: {', '.join(header)}"
    )
