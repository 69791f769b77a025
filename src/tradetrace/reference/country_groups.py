"""Country groups an exposure is read against, and the transshipment hubs.

Membership is typed here, with its source, because every group is short, changes
rarely and must be citable in a report. Membership is *current*, not as of the
declaration date (e.g. the United Kingdom counts outside the EU for 2018-2019
declarations too); the report's methodology says so.

- ``EU``: the 27 member states since 2020-02-01 (the UK left on 2020-01-31).
- ``G7``: Canada, France, Germany, Italy, Japan, the United Kingdom, the United States
  (the EU takes part but is not a member state).
- ``coalition``: the United States plus the partner countries the US Bureau of Industry
  and Security exempts from its Russia/Belarus export controls because they adopted
  substantially similar measures (15 CFR Part 746, Supplement No. 3: the EU-27,
  Australia, Canada, Iceland, Japan, Liechtenstein, New Zealand, Norway, South Korea,
  Switzerland, Taiwan and the United Kingdom).
- ``EAEU``: the Eurasian Economic Union (Armenia, Belarus, Kazakhstan, Kyrgyzstan,
  Russia). Goods move between its members without customs declarations, which is why
  dispatch from an EAEU member is the classic transshipment route.
- ``unfriendly``: Russia's list of "unfriendly" states and territories (Government Order
  No. 430-r of 2022-03-05 as amended), read from the reference file imported with
  ``tradetrace data import`` (``countries/russia_unfriendly_countries*.csv``, a hackathon
  encoding, *not the legal text*: see ``../shared/data/README.md``). Absent when no
  such file was imported.

``HUBS`` are third countries named in public enforcement guidance as common transshipment
points for goods diverted to Russia: the FinCEN/BIS joint alerts on Russian export-control
evasion (June 2022, May 2023, with their supplements) and the EU's anti-circumvention work
(the EU sanctions envoy's engagement with Central Asia, the Caucasus, Türkiye and the UAE).
It is an analyst's watch list compiled by tradetrace from that guidance, not a legal list:
a dispatch from a hub is a pointer to read the declarations, not a finding by itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from tradetrace.store import Store
from tradetrace.store.catalogue import REF_RU_UNFRIENDLY

EU: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
G7: frozenset[str] = frozenset(["CA", "FR", "DE", "IT", "JP", "GB", "US"])
COALITION: frozenset[str] = EU | frozenset(
    ["US", "AU", "CA", "IS", "JP", "LI", "NZ", "NO", "KR", "CH", "TW", "GB"]
)
EAEU: frozenset[str] = frozenset(["AM", "BY", "KZ", "KG", "RU"])

#: Transshipment watch list (ISO2 → English name), see the module docstring for sources.
HUBS: dict[str, str] = {
    "AM": "Armenia",
    "GE": "Georgia",
    "KZ": "Kazakhstan",
    "KG": "Kyrgyzstan",
    "TJ": "Tajikistan",
    "UZ": "Uzbekistan",
    "AE": "United Arab Emirates",
    "TR": "Türkiye",
    "HK": "Hong Kong",
    "CN": "China",
    "IN": "India",
    "RS": "Serbia",
}

UNFRIENDLY_TABLE = REF_RU_UNFRIENDLY
UNFRIENDLY_SCHEMA = pa.schema(
    [("iso2", pa.string()), ("name_ru", pa.string()), ("unfriendly", pa.bool_())]
)


def load_unfriendly(path: Path) -> pa.Table:
    """The unfriendly-countries CSV (``iso2,name_ru,unfriendly,...``) as a table."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for n, row in enumerate(rows, start=2):
        if row.get("unfriendly") not in ("true", "false") or not row.get("iso2"):
            raise ValueError(f"{path}:{n}: expected iso2 and unfriendly=true|false")
    return pa.table(
        {
            "iso2": [r["iso2"] for r in rows],
            "name_ru": [r.get("name_ru") for r in rows],
            "unfriendly": [r["unfriendly"] == "true" for r in rows],
        },
        schema=UNFRIENDLY_SCHEMA,
    )


def country_groups(store: Store | None = None) -> dict[str, frozenset[str]]:
    """Every group by name; ``unfriendly`` only when its reference file was imported."""
    groups = {"EU": EU, "G7": G7, "coalition": COALITION, "EAEU": EAEU}
    if store is not None and store.has_table(UNFRIENDLY_TABLE):
        table = store.table(UNFRIENDLY_TABLE)
        rows = store.to_arrow(table.filter(table.unfriendly).select("iso2"))
        groups["unfriendly"] = frozenset(rows["iso2"].to_pylist())
    return groups
