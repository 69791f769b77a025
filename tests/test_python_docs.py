"""docs/python.md runs: its ``python`` code blocks, in order, in one namespace.

The page's store (``out/demo/tradetrace.duckdb``, what ``make demo`` builds) is a copy of the
SYNTHETIC AURUS store of the session (``aurus_db``); the real files are read from
``TRADETRACE_SHARED_DATA``. A block that raises fails the test with the block's line.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import SHARED_DATA

PAGE = Path(__file__).resolve().parents[1] / "docs" / "python.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not found")


def blocks() -> list[tuple[int, str]]:
    """Each block's first line number and its code."""
    text = PAGE.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_page_has_examples():
    assert len(blocks()) >= 8


def test_every_example_runs(aurus_db, tmp_path, monkeypatch):
    demo = tmp_path / "out" / "demo"
    demo.mkdir(parents=True)
    shutil.copy(aurus_db, demo / "tradetrace.duckdb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADETRACE_SHARED_DATA", str(SHARED_DATA))
    namespace: dict = {"__name__": "docs_python"}
    for line, code in blocks():
        try:
            exec(compile(code, f"{PAGE.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            pytest.fail(f"docs/python.md, block at line {line}: {type(exc).__name__}: {exc}")
