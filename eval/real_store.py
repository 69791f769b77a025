"""Build a store from the 41 real vendor files (no resolve), for labelling and evaluation.

    python eval/real_store.py OUT.duckdb [--resolve] [--lists]

``--lists`` loads the sanctions lists of ``make demo`` (what screening is measured against,
see ``tradetrace.screen.evaluate``).

Every file is ingested as a new user would: no profile, no ``--map``; only the Armenian
monthly files get ``--currency AMD`` (nothing in them says their values are drams).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tradetrace.ingest.detect import Options
from tradetrace.ingest.pipeline import ingest
from tradetrace.store import Store, open_store

SHARED = Path(
    os.environ.get("TRADETRACE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
FOLDER = SHARED / "trade" / "firm_level_samples_aaziko"
#: What the user must say because the file cannot: the currency of a bare TOTALVALUE.
GIVEN = {
    "armenia_export_s.csv.gz": Options(currency="AMD"),
    "armenia_import_s.csv.gz": Options(currency="AMD"),
}


def real_files() -> list[Path]:
    return sorted(FOLDER.glob("*.csv.gz"))


def ingest_real_files(store: Store) -> None:
    for path in real_files():
        ingest(store, [path], options=GIVEN.get(path.name))


def load_lists(store: Store) -> list[dict]:
    """Load the ``make demo`` sanctions lists from the shared data folder."""
    from tradetrace.screen.evaluate import load_demo_lists

    return load_demo_lists(store, SHARED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--resolve", action="store_true")
    parser.add_argument("--lists", action="store_true", help="also load the demo lists")
    args = parser.parse_args()
    args.out.unlink(missing_ok=True)
    with open_store(args.out) as store:
        ingest_real_files(store)
        if args.resolve:
            from tradetrace.resolve.run import resolve

            print(resolve(store))
        if args.lists:
            for row in load_lists(store):
                print(row)


if __name__ == "__main__":
    main()
