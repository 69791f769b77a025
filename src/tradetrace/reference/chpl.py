"""Common High Priority List (CHPL): the 50 HS6 codes of battlefield-relevant goods.

Why it ships with the package: it is small, stable for a given version, and the main lens
for spotting diversion of dual-use goods to Russia in declarations.

Source and caveats (read before relying on it):

- Version: the CHPL published jointly by the US (BIS), the EU, the UK and Japan, dated
  2024-02-23. Tiers: Tier 1 (4 codes), Tier 2 (5), Tier 3.A (16), Tier 3.B (9),
  Tier 4.A (11), Tier 4.B (5).
- Provenance: the HS6 codes and tiers were taken as data from ``fyaic/TradeSieve``
  (``src/tradesieve/domain/common_high_priority.py`` @
  ``855e3b5f901a55e2b8f4bd01b3fb6781f51152cb``), which cites the BIS CHPL page and that
  publication date; a second, independent public repository lists the same 50 codes and
  tiers. ``description`` is the HS2022 subheading text joined from the DataHub
  ``datasets/harmonized-system`` nomenclature (all 50 codes exist in HS2022), not the
  official CHPL item description, which is not included.
- This is a transcription, not the official PDF: check it against the BIS/EU CHPL page
  before relying on it legally. The CHPL has been revised over time, so older or newer
  versions may differ.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import pyarrow as pa

__all__ = ["CHPL_DATE", "CHPL_SCHEMA", "chpl_table"]

#: Publication date of the CHPL version shipped here.
CHPL_DATE = "2024-02-23"
_RESOURCE = f"chpl_hs6_{CHPL_DATE}.csv"

CHPL_SCHEMA = pa.schema(
    [
        pa.field("hs6", pa.string(), nullable=False),
        pa.field("tier", pa.string(), nullable=False),
        pa.field("description", pa.string()),
    ]
)


def chpl_table() -> pa.Table:
    """CHPL as ``hs6, tier, description`` (codes as 6-digit strings), in list order."""
    text = (files("tradetrace.reference") / "data" / _RESOURCE).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for n, row in enumerate(rows, start=2):
        if not (row["hs6"].isdigit() and len(row["hs6"]) == 6):
            raise ValueError(f"{_RESOURCE}:{n}: bad hs6 {row['hs6']!r}")
    return pa.table(
        {name: [row[name] for row in rows] for name in CHPL_SCHEMA.names}, schema=CHPL_SCHEMA
    )
