"""Rebuild src/tradetrace/reference/data/fx_rates_usd.csv from the HMRC monthly rates.

Usage::

    python scripts/build_fx_rates.py /path/to/hmrc_rates-0.3.5-<tag>.whl [--out FILE]

The data is the UK HMRC monthly exchange-rate history that the PyPI package ``hmrc-rates``
0.3.5 bundles inside its compiled module. The wheel is a compiled (PyO3, ``cp310-abi3``)
wheel, so the script reads it with the standard library only: it checks every file of the
wheel against the wheel's RECORD hashes, unpacks it to a temporary directory, imports the
package from there (nothing is installed, no network is used) and reads the tables through
the package's public API (``Rates().months()``, ``Rates().monthly(month)``). It therefore
needs a CPython >= 3.10 that can load the given wheel (the recorded one is for x86_64 Linux,
glibc).

For every month M from 2016-01 on and every currency C in HMRC's table for M except USD:

    usd_per_unit = units_per_gbp(USD, M) / units_per_gbp(C, M)

(exact decimal division, then rounded half-even to 8 significant digits), date = M-01,
source = "hmrc-monthly". A currency absent from a month's table has no row for that month;
nothing is interpolated or carried forward. Rows are sorted by currency, date.
"""

from __future__ import annotations

import argparse
import base64
import csv
import decimal
import hashlib
import importlib
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "hmrc_rates"
VERSION = "0.3.5"
FIRST_MONTH = (2016, 1)
SOURCE = "hmrc-monthly"
SIGNIFICANT_DIGITS = 8
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/tradetrace/reference/data/fx_rates_usd.csv"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_wheel(whl: zipfile.ZipFile) -> None:
    """Fail unless the wheel is hmrc-rates VERSION and every file matches its RECORD hash."""
    record_name = f"{PACKAGE}-{VERSION}.dist-info/RECORD"
    try:
        record = whl.read(record_name).decode("utf-8")
    except KeyError:
        sys.exit(f"error: {record_name} not in the wheel - not hmrc-rates {VERSION}?")
    listed = set()
    for row in csv.reader(record.splitlines()):
        if not row:
            continue
        name, hash_spec = row[0], row[1]
        listed.add(name)
        if not hash_spec:  # RECORD itself
            continue
        algo, _, expected = hash_spec.partition("=")
        actual = base64.urlsafe_b64encode(hashlib.new(algo, whl.read(name)).digest())
        if actual.rstrip(b"=").decode("ascii") != expected:
            sys.exit(f"error: {name} does not match its RECORD hash")
    unlisted = [n for n in whl.namelist() if n not in listed and not n.endswith("/")]
    if unlisted:
        sys.exit(f"error: files not in RECORD: {unlisted}")


def significant(value: decimal.Decimal, digits: int) -> str:
    """`value` rounded half-even to `digits` significant digits, in plain notation."""
    exponent = value.adjusted() - digits + 1
    rounded = value.quantize(decimal.Decimal(1).scaleb(exponent), decimal.ROUND_HALF_EVEN)
    return format(rounded, "f")


def build_rows(module) -> list[tuple[str, str, str, str]]:
    rates = module.Rates()
    rows = []
    for month in rates.months():
        if (month.year, month.month) < FIRST_MONTH:
            continue
        table = rates.monthly(month)
        usd = table.rate("USD").units_per_gbp
        date = f"{month.year:04d}-{month.month:02d}-01"
        seen = set()
        for currency, rate in table:
            code = str(currency)
            if code in seen:
                sys.exit(f"error: {code} twice in the {date[:7]} table")
            seen.add(code)
            if code in ("USD", "GBP"):
                continue
            units = rate.units_per_gbp
            if not units > 0:
                sys.exit(f"error: {code} {date[:7]}: units_per_gbp {units} is not positive")
            rows.append((code, date, significant(usd / units, SIGNIFICANT_DIGITS), SOURCE))
    rows.sort()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help=f"hmrc_rates-{VERSION}-*.whl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    args = parser.parse_args()

    print(f"{args.wheel.name} sha256 {sha256_file(args.wheel)}", file=sys.stderr)
    decimal.getcontext().prec = 60  # exact enough for the division; rounded afterwards
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(args.wheel) as whl:
        check_wheel(whl)
        whl.extractall(tmp)
        sys.path.insert(0, tmp)
        try:
            module = importlib.import_module(PACKAGE)
        except ImportError as exc:
            sys.exit(f"error: cannot load {args.wheel.name} on this Python/platform: {exc}")
        finally:
            sys.path.remove(tmp)
        if not Path(module.__file__).resolve().is_relative_to(Path(tmp).resolve()):
            sys.exit(f"error: imported {module.__file__}, not the given wheel")
        if module.__version__ != VERSION:
            sys.exit(f"error: wheel holds {PACKAGE} {module.__version__}, expected {VERSION}")
        rows = build_rows(module)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("currency", "date", "usd_per_unit", "source"))
        writer.writerows(rows)
    currencies = sorted({r[0] for r in rows})
    print(
        f"wrote {args.out}: {len(rows)} rows, {len(currencies)} currencies, "
        f"{rows[0][1][:7] if rows else '-'}..{max(r[1] for r in rows)[:7] if rows else '-'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
