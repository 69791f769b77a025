"""Write a seeded SYNTHETIC sample of Russian-format customs declarations.

There are no public shipment-level customs records, so the project ships a generator: the
demo, the tests and every reader can exercise the whole pipeline on data that looks like a
real Russian export (two files, UTF-8/comma and cp1251/semicolon, Russian headers and number
formats) and that contains a known answer, the AURUS scenario (see ``aurus.py``). Everything
written is labelled SYNTHETIC: the file names, the manifest and the README next to them.

The same seed gives byte-identical files; lines are generated and written a month at a time,
so ten million rows need little memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypedDict

import numpy as np

from tradetrace.sample.aurus import AURUS_INN, AURUS_NAMES, SUPPLIERS, Scenario, build_scenario
from tradetrace.sample.aurus import expected_figures as aurus_figures
from tradetrace.sample.background import (
    DEFECT_KINDS,
    DEFECT_SHARE,
    FIRST_YEAR,
    LAST_YEAR,
    Background,
    Chunk,
    DefectPlan,
    plan_chunks,
    plan_defects,
)
from tradetrace.sample.block import LineBlock, Strings
from tradetrace.sample.names import script_of
from tradetrace.sample.population import (
    COUNTRY_CODES,
    Parties,
    SupplierChoice,
    add_importers,
    add_suppliers,
    new_name_book,
    population_sizes,
)
from tradetrace.sample.reference import SECTORS
from tradetrace.sample.render import Dialect, Renderer
from tradetrace.sample.vocabulary import Vocabulary

GENERATOR_VERSION = "1.0.0"
#: Fewer background rows cannot hold every kind of defective line.
MIN_ROWS = 100
EARLY_FILE = "synthetic_ru_customs_2018_2021.csv"
LATE_FILE = "synthetic_ru_customs_2022_2024.csv"
TRUTH_FILE = "synthetic_parties_truth.csv"
MANIFEST_FILE = "synthetic_manifest.json"
README_FILE = "SYNTHETIC_README.md"
EARLY_DIALECT = Dialect("utf-8", ",")
LATE_DIALECT = Dialect("cp1251", ";")
TRUTH_HEADER = ("name", "role", "country", "entity_key", "script")


class SampleFile(TypedDict):
    name: str
    sha256: str
    rows: int
    encoding: str
    delimiter: str


@dataclass(frozen=True)
class SampleManifest:
    """What was written, how, and the figures the AURUS scenario must reproduce."""

    seed: int
    rows_requested: int
    rows_written: int  # data lines in the two declaration files (background + AURUS)
    files: list[SampleFile]
    bad_rows: int
    bad_rows_by_kind: dict[str, int]
    aurus: dict[str, Any]
    population: dict[str, int]
    date_range: tuple[str, str] = (f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31")
    generator_version: str = GENERATOR_VERSION
    synthetic: bool = True
    notes: list[str] = field(
        default_factory=lambda: [
            "SYNTHETIC data: every supplier and every background importer is fictional.",
            "LLC Aurus (INN 7743237789) is real; its imports here are a modelled scenario.",
        ]
    )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"


class _HashedWriter:
    """A binary file that also counts its data lines and hashes what it writes."""

    def __init__(self, path: Path, header: bytes):
        self.path = path
        self.file: BinaryIO = path.open("wb")
        self.sha = hashlib.sha256()
        self.rows = 0
        self._write(header)

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.sha.update(data)

    def write_lines(self, data: bytes, lines: int) -> None:
        self._write(data)
        self.rows += lines

    def close(self, dialect: Dialect) -> SampleFile:
        self.file.close()
        return SampleFile(
            name=self.path.name,
            sha256=self.sha.hexdigest(),
            rows=self.rows,
            encoding=dialect.encoding,
            delimiter=dialect.delimiter,
        )


def generate_sample(out_dir: Path, rows: int = 20_000, seed: int = 7) -> SampleManifest:
    """Write the SYNTHETIC sample into ``out_dir`` and return (and write) its manifest.

    ``rows`` is the number of background lines (defective ones included); the AURUS
    scenario adds its own few hundred lines, identical for every ``rows``.
    """
    if rows < MIN_ROWS:
        raise ValueError(f"rows must be at least {MIN_ROWS}, got {rows}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    strings = Strings()
    vocab = Vocabulary.build(strings, SECTORS)
    importers, exporters = Parties(), Parties()
    scenario = build_scenario(seed, strings, vocab, importers, exporters)

    rng = np.random.default_rng([seed, 0xB6])
    n_importers, n_suppliers = population_sizes(rows)
    importer_book = new_name_book(rng, AURUS_NAMES)
    add_importers(importers, strings, importer_book, rng, n_importers, {AURUS_INN})
    supplier_book = new_name_book(rng, tuple(n for s in SUPPLIERS for n in s.names))
    add_suppliers(exporters, strings, supplier_book, rng, n_suppliers)
    supplier_arrays = exporters.arrays()
    background = Background(
        vocab, importers.arrays(), supplier_arrays, SupplierChoice.build(supplier_arrays), rng
    )
    chunks = plan_chunks(rows)
    defects = plan_defects(rows, chunks, rng)

    renderers = (
        Renderer(strings, EARLY_DIALECT, vocab.whole_units),
        Renderer(strings, LATE_DIALECT, vocab.whole_units),
    )
    used = _write_declarations(out_dir, chunks, background, defects, scenario, renderers)
    truth = _write_truth(out_dir / TRUTH_FILE, strings, importers, exporters, used)

    manifest = SampleManifest(
        seed=seed,
        rows_requested=rows,
        rows_written=sum(f["rows"] for f in used.files),
        files=[*used.files, truth],
        bad_rows=used.bad_rows,
        bad_rows_by_kind=defects.counts(),
        aurus=aurus_figures(scenario),
        population={"importers": len(importers.keys), "suppliers": len(exporters.keys)},
    )
    (out_dir / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    (out_dir / README_FILE).write_text(readme(manifest), encoding="utf-8")
    return manifest


@dataclass
class _Written:
    files: list[SampleFile]
    importer_names: set[int]
    exporter_names: set[int]
    bad_rows: int


def _write_declarations(
    out_dir: Path,
    chunks: list[Chunk],
    background: Background,
    defects: DefectPlan,
    scenario: Scenario,
    renderers: tuple[Renderer, Renderer],
) -> _Written:
    """Generate chunk by chunk, merge in the scenario's lines, render and write."""
    writers = (
        _HashedWriter(out_dir / EARLY_FILE, renderers[0].header()),
        _HashedWriter(out_dir / LATE_FILE, renderers[1].header()),
    )
    importer_names: set[int] = set()
    exporter_names: set[int] = set()
    bad_rows = 0
    aurus = scenario.block
    # Writing and hashing release the GIL: do them in a thread while the next chunk is made.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[None] | None = None
        for chunk in chunks:
            parts = []
            if chunk.rows:
                parts.append(background.lines(chunk, *defects.within(chunk)))
            in_chunk = np.flatnonzero((aurus.date >= chunk.start) & (aurus.date < chunk.end))
            if in_chunk.size:
                parts.append(aurus.take(in_chunk))
            if not parts:
                continue
            block = LineBlock.concat(parts) if len(parts) > 1 else parts[0]
            block = block.take(np.argsort(block.date, kind="stable"))
            which = int(chunk.cp1251)
            data = renderers[which].render(block)
            if pending is not None:
                pending.result()
            pending = pool.submit(writers[which].write_lines, data, len(block))
            importer_names.update(np.unique(block.importer).tolist())
            exporter_names.update(np.unique(block.exporter).tolist())
            bad_rows += int((block.defect > 0).sum())
        if pending is not None:
            pending.result()
    files = [w.close(d) for w, d in zip(writers, (EARLY_DIALECT, LATE_DIALECT), strict=True)]
    return _Written(files, importer_names, exporter_names, bad_rows)


def _write_truth(
    path: Path, strings: Strings, importers: Parties, exporters: Parties, used: _Written
) -> SampleFile:
    """One row per distinct (name as written, role) that occurs in the declaration files."""
    rows = []
    for role, parties, names in (
        ("importer", importers, used.importer_names),
        ("exporter", exporters, used.exporter_names),
    ):
        owner = parties.owners()
        for name in names:
            firm = owner[name]
            text = strings.values[name]
            country = COUNTRY_CODES[parties.country[firm]]
            rows.append((text, role, country, parties.keys[firm], script_of(text)))
    rows.sort(key=lambda r: (r[1], r[3], r[0]))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TRUTH_HEADER)
        writer.writerows(rows)
    data = path.read_bytes()
    return SampleFile(
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        rows=len(rows),
        encoding="utf-8",
        delimiter=",",
    )


def readme(manifest: SampleManifest) -> str:
    """SYNTHETIC_README.md: what the files are, the scenario and the deliberate defects."""
    a = manifest.aurus
    files = "\n".join(
        f"| `{f['name']}` | {f['rows']:,} | {f['encoding']} | `{f['delimiter']}` |"
        for f in manifest.files
    )
    defects = "\n".join(f"| `{k}` | {v} |" for k, v in manifest.bad_rows_by_kind.items())
    kinds = dict(zip(DEFECT_KINDS, DEFECT_DESCRIPTIONS, strict=True))
    defect_text = "\n".join(f"- `{k}`: {text}" for k, text in kinds.items())
    return README_TEMPLATE.format(
        seed=manifest.seed,
        rows=manifest.rows_requested,
        rows_written=manifest.rows_written,
        version=manifest.generator_version,
        files=files,
        defects=defects,
        defect_text=defect_text,
        bad_rows=manifest.bad_rows,
        share=DEFECT_SHARE * 100,
        importers=manifest.population["importers"],
        suppliers=manifest.population["suppliers"],
        total=a["total_2018_2023"],
        kr=a["kr_2018_2023"],
        after=a["after_invasion_2018_2023"],
        kr_after=a["kr_after_invasion_2018_2023"],
        lines=a["lines_total"],
        post=a["after_designation"]["declarations"],
    )


DEFECT_DESCRIPTIONS: tuple[str, ...] = (
    "«Дата ДТ» is not a date (`31.02.2021`, `2021-13-01`, `00.00.2021`, `вчера`).",
    "«Код ТН ВЭД» is empty or not digits (`ABC`, `87O8299000`, `Н/Д`).",
    "both «Фактурная стоимость» and «Статистическая стоимость, USD» are empty.",
    "«Страна происхождения» is `АТЛАНТИДА`, which no country table knows.",
    "the value is only in RUB, dated after 2022-03-31, with no USD value: the ECB stopped "
    "publishing a RUB rate on 2022-03-01, so it cannot be converted.",
    "«Описание товара» contains an unquoted delimiter, so the line has one field too many.",
)

README_TEMPLATE = """\
# SYNTHETIC customs declarations — not real data

Everything in this folder was generated by `tradetrace.sample` (version {version}) with
seed **{seed}** and **{rows:,}** background rows. It imitates a Russian customs-declaration
export (ДТ lines with Russian headers, number and date formats) so that the whole pipeline
can be run and checked without access to real shipment-level records, which are not public.

* All {suppliers:,} foreign suppliers and all background Russian importers are **fictional**.
  Their names follow real naming patterns; any resemblance to a real firm is coincidental.
* Reference data are real: HS 2022 subheadings (extended to 10-digit ТН ВЭД codes), ISO
  countries in the ОКСМ spelling Russian declarations use, ISO currency codes.
* The only real party is **LLC Aurus** (ООО «АУРУС», INN 7743237789), the importer in the
  scenario below. Its shipments here are a model, not records.
* Simplification: goods dispatched from Kazakhstan, Armenia or Kyrgyzstan appear on
  ordinary import declarations, although intra-EAEU movements are not declared this way.

## Files

| file | data rows | encoding | delimiter |
| --- | ---: | --- | --- |
{files}

`synthetic_manifest.json` holds the same facts machine-readably, including the expected
AURUS figures; `synthetic_parties_truth.csv` maps every name as written (per role) to its
true firm (`entity_key`) for evaluating entity resolution.

## The AURUS scenario

Modelled on a published Reuters investigation into suppliers of the Russian limousine maker
Aurus. In «Статистическая стоимость, USD», counting AURUS lines dated 2018-01-01..2023-12-31:

* total **${total:,.2f}**, of which **${kr:,.2f}** from South Korea (origin and exporter KR);
* on or after 2022-02-24: **${after:,.2f}**, of which **${kr_after:,.2f}** from South Korea;
  some of these Korean shipments are dispatched via Kazakhstan or Armenia;
* the non-Korean remainder comes from China (largest), Türkiye, India and Italy;
* after the US designation of Aurus on 2024-02-23, one Korean supplier (HANBIT AUTOTECH)
  keeps delivering: {post} declarations between 2024-03-01 and 2024-09-30.

AURUS has {lines} goods lines in total; its name is written six ways and its INN is left
empty on some declarations. None of its lines is defective.

## Deliberately defective rows

{bad_rows} background rows (about {share:.1f}%) carry exactly one defect each, so ingest
quarantine can be tested; every other field of those rows is valid.

| kind | rows |
| --- | ---: |
{defects}

{defect_text}

About 10% of background lines dated before 2022-03-01 legitimately have no USD value: they
must be converted from «Фактурная стоимость» and «Валюта» at ECB rates.

In all, {rows_written:,} data rows are written to the two declaration files ({importers:,}
importers).
"""
