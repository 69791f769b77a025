"""The README's layout table names every package and top-level module of the code, and
nothing that is not there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "tradetrace"


def layout_paths() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Layout", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `(src/tradetrace/[^`]+)` \|", section, flags=re.MULTILINE))


def test_the_layout_table_matches_the_package():
    listed = layout_paths()
    code = {
        f"src/tradetrace/{p.name}/" if p.is_dir() else f"src/tradetrace/{p.name}"
        for p in PACKAGE.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem not in {"__init__", "__main__"})
    }
    assert listed == code
