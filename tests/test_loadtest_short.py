"""The load test, short: five clients for three seconds against the AURUS pipeline store.

It checks that ``loadtest/run.py`` runs end to end (server up, workload, report) and that
no request fails; the latency figures of so short a run mean little and are not checked,
except that the exit status agrees with them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "loadtest" / "run.py"
LAST_LINE = re.compile(r"loadtest: (\d+) requests, (\d+) errors, p50 (\d+) ms, p99 (\d+) ms")


def test_a_short_load_test_has_no_errors(aurus_db):
    cmd = [sys.executable, str(RUN), "--db", str(aurus_db), "--clients", "5", "--seconds", "3"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    found = LAST_LINE.fullmatch(last)
    assert found, f"last line {last!r}\n{done.stdout}\n{done.stderr}"
    requests, errors, p50, p99 = map(int, found.groups())
    assert requests > 0 and errors == 0, done.stdout + done.stderr
    assert p50 <= p99
    assert done.returncode == (0 if p99 < 500 else 1), done.stdout
