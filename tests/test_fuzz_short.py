"""The short fuzz run of ``make test``: every atheris target for a few hundred inputs.

``fuzz/run.py --runs 300`` seeds each target's corpus from the small fixtures and fuzzes it with
coverage guidance in its own process; any exception other than a one-line ``TradetraceError`` is
a crash, written to ``fuzz/crashes/``. The long run is ``make fuzz`` (``--seconds 60`` a target).

atheris is a dev dependency; without it this test is skipped, unless
``TRADETRACE_REQUIRE_FUZZ=1`` (CI), where its absence is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "fuzz" / "run.py"
RUNS = int(os.environ.get("TRADETRACE_FUZZ_RUNS", "300"))


def test_every_fuzz_target_survives_a_short_run() -> None:
    if importlib.util.find_spec("atheris") is None:
        message = (
            "atheris is not installed (pip install 'atheris>=2.3'): the fuzz targets did not run"
        )
        if os.environ.get("TRADETRACE_REQUIRE_FUZZ") == "1":
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--runs", str(RUNS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = re.search(r"^fuzz: (\d+) targets, (\d+) runs, (\d+) crashes$", proc.stdout, re.M)
    assert summary, f"no summary line:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    targets, runs, crashes = map(int, summary.groups())
    assert crashes == 0, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert targets >= 20 and runs >= targets * min(RUNS, 100), proc.stdout
