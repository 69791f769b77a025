"""How good a clustering is, measured against labelled clusters: pairwise and B-cubed.

* Pairwise: a pair of records is predicted positive when both are in one predicted
  cluster, truly positive when both are in one true cluster. Counts come from the
  contingency table (records per predicted × true cluster), never from listing pairs:
  true positives = Σ C(n_ij, 2), predicted pairs = Σ C(|P_i|, 2), true pairs = Σ C(|T_j|, 2),
  so a million records take a second.
* B-cubed (Bagga & Baldwin 1998; Amigó et al. 2009, "A comparison of extrinsic clustering
  evaluation metrics based on formal constraints"): for each record, precision is the
  share of its predicted cluster that is in its true cluster, recall the share of its true
  cluster that is in its predicted cluster (both include the record itself); averaged over
  records. Pairwise scores are dominated by the largest clusters (pairs grow with n²);
  B-cubed weighs every record the same.

Conventions: only records labelled in both mappings count (records missing from one side
are not scored, and ``Scores.records`` says how many were); no records in common is a
ValueError. With no predicted pairs, pairwise precision is 1.0 (nothing was claimed, so
nothing was wrong); with no true pairs, pairwise recall is 1.0 (nothing to find). F1 is
0.0 when precision and recall are both 0. B-cubed is always defined, as every record at
least shares a cluster with itself.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

__all__ = [
    "CLUSTER_COLUMNS",
    "ID_COLUMNS",
    "PATSTAT_FILE",
    "Scores",
    "evaluate",
    "load_labels",
    "patstat_records",
]

#: Accepted header names, in order of preference (compared lower-case, spaces as "_").
ID_COLUMNS = ("id", "record_id", "name")
CLUSTER_COLUMNS = ("cluster", "cluster_id", "entity_key", "true_id", "leuven_id")
#: The PATSTAT company clusters (KU Leuven ground truth), relative to the shared data folder.
PATSTAT_FILE = Path("entity_resolution") / "dedupe_patstat_reference.csv"


@dataclass(frozen=True)
class Scores:
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    records: int
    true_clusters: int
    predicted_clusters: int
    true_pairs: int
    predicted_pairs: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def evaluate(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> Scores:
    """Pairwise and B-cubed scores of ``predicted`` against ``truth`` (record id → label).

    Scored over the record ids present in both (see the module docstring for conventions).
    """
    # In ``predicted``'s order: sequential dict access is several times faster than random.
    missing = object()
    true_labels = list(map(truth.get, predicted, repeat(missing)))
    counted = Counter(zip(predicted.values(), true_labels, strict=True))
    del true_labels
    cells = {cell: n for cell, n in counted.items() if cell[1] is not missing}
    if not cells:
        raise ValueError("predicted and true clusters have no record ids in common")
    predicted_sizes: Counter[Hashable] = Counter()
    true_sizes: Counter[Hashable] = Counter()
    for (p, t), n in cells.items():
        predicted_sizes[p] += n
        true_sizes[t] += n

    true_positives = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in predicted_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0

    # Each of the n records of cell (p, t) has precision n/|P| and recall n/|T|.
    records = sum(cells.values())
    b3_precision = sum(n * n / predicted_sizes[p] for (p, _), n in cells.items()) / records
    b3_recall = sum(n * n / true_sizes[t] for (_, t), n in cells.items()) / records
    return Scores(
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=b3_precision,
        bcubed_recall=b3_recall,
        bcubed_f1=_f1(b3_precision, b3_recall),
        records=records,
        true_clusters=len(true_sizes),
        predicted_clusters=len(predicted_sizes),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
    )


def _column_key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def load_labels(path: Path) -> dict[str, str]:
    """Record id → true cluster from a labelled CSV (UTF-8, optionally gzipped).

    The header needs an id column (``id``, ``record_id`` or ``name``) and a cluster column
    (``cluster``, ``cluster_id``, ``entity_key``, ``true_id`` or ``leuven_id``); names are
    matched ignoring case and with spaces as underscores ("True Id" is ``true_id``), and the
    first option present wins. ValueError, naming the file, if the header lacks either
    (listing the headers seen), a row has an empty id or cluster, or an id has two clusters.
    """
    path = Path(path)
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            keys = [_column_key(h) for h in header]
            id_col = next((keys.index(c) for c in ID_COLUMNS if c in keys), None)
            cluster_col = next((keys.index(c) for c in CLUSTER_COLUMNS if c in keys), None)
            if id_col is None or cluster_col is None:
                raise ValueError(
                    f"{path}: needs an id column ({' | '.join(ID_COLUMNS)}) and a cluster "
                    f"column ({' | '.join(CLUSTER_COLUMNS)}); headers seen: "
                    f"{', '.join(header) if header else '(none: empty file)'}"
                )
            labels: dict[str, str] = {}
            for line, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                record = row[id_col].strip() if id_col < len(row) else ""
                label = row[cluster_col].strip() if cluster_col < len(row) else ""
                if not record or not label:
                    raise ValueError(f"{path}: row {line} has an empty id or cluster")
                if labels.setdefault(record, label) != label:
                    raise ValueError(
                        f"{path}: row {line}: {record!r} is in cluster {label!r} "
                        f"and {labels[record]!r}"
                    )
    except (UnicodeDecodeError, csv.Error, OSError) as exc:  # OSError: missing, bad gzip
        raise ValueError(f"{path}: cannot read as a UTF-8 CSV ({exc})") from exc
    return labels


def patstat_records(data_dir: Path) -> list[tuple[str, str, str]]:
    """(person_id, person_name, leuven_id) of the PATSTAT reference file, in file order.

    ``data_dir`` is the shared data folder (holding ``entity_resolution/``). The file is
    UTF-8 without BOM, header ``person_id,leuven_id,person_name``: 2,379 company-name
    records in 102 true clusters. Names are returned exactly as written, including the
    PATSTAT artefacts a matcher has to cope with (a leading "* " on some, doubled spaces,
    trailing " ." and mixed case).
    """
    path = Path(data_dir) / PATSTAT_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        expected = {"person_id", "leuven_id", "person_name"}
        if not expected <= set(reader.fieldnames or ()):
            raise ValueError(
                f"{path}: expected columns {', '.join(sorted(expected))}; "
                f"headers seen: {', '.join(reader.fieldnames or ())}"
            )
        return [(r["person_id"], r["person_name"], r["leuven_id"]) for r in reader]
