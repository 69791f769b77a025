"""Run the fuzz targets of ``fuzz/targets.py`` with atheris, each in its own process.

    python fuzz/run.py                      # every default target, 30 s each
    python fuzz/run.py --runs 300           # a few hundred inputs each (the short test)
    python fuzz/run.py --seconds 600 --only un_xml --only eu_fsf_xml
    python fuzz/run.py --all --seconds 60   # also the slow targets (ingest, SQL normalisers)
    python fuzz/run.py --list

Each target starts from a corpus seeded with the small real fixtures (``tests/data/lists`` and,
when present, ``../shared/data/sanctions``). Any exception other than ``TradetraceError`` (or a
``TradetraceError`` whose message is not one line naming the file), a hang past ``--timeout``
or a memory blow-up past ``--rss-mb`` is a crash: its input is written to ``fuzz/crashes/`` with
the worker's log beside it. Prints one line per target and ``fuzz: T targets, R runs, C crashes``;
exits 1 when there was a crash.

Reproduce a crash: ``python fuzz/run.py --only NAME --reproduce fuzz/crashes/NAME-crash-…``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"
MAX_LEN_CAP = 1 << 20


@dataclass
class Outcome:
    name: str
    runs: int
    crashed: bool
    seconds: float
    detail: str = ""


# -- worker: one target under atheris -------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    """Fuzz one target in this process (started by :func:`main` with ``--worker``).

    The run and time limits are enforced here, not by libFuzzer: libFuzzer ends with C
    ``exit()`` while Python is still running, and pyarrow's thread pools then deadlock in their
    static destructors, so a worker that had finished could hang forever. ``os._exit`` after
    the last input avoids that.
    """
    import atheris

    sys.path.insert(0, str(HERE))
    import targets

    target = targets.TARGETS[args.worker]
    with atheris.instrument_imports(include=["tradetrace"]):
        for module in target.modules:
            importlib.import_module(module)
    if args.reproduce:
        target.run(Path(args.reproduce).read_bytes())
        print(f"{target.name}: {args.reproduce} runs without a crash")
        return
    deadline = time.monotonic() + args.seconds if args.seconds else None
    runs = 0

    def one_input(data: bytes) -> None:
        nonlocal runs
        target.run(data)
        runs += 1
        if runs == args.runs or (deadline is not None and time.monotonic() >= deadline):
            print(f"Done {runs} runs", file=sys.stderr, flush=True)
            os._exit(0)

    argv = [
        sys.argv[0],
        str(args.corpus),
        f"-artifact_prefix={args.crash_prefix}",
        f"-max_len={args.max_len}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_mb}",
    ]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


# -- the driver -----------------------------------------------------------------------------------


def seed_corpus(name: str, corpus: Path) -> int:
    """Write the target's seeds into ``corpus``; returns the largest seed's size."""
    sys.path.insert(0, str(HERE))
    import targets

    corpus.mkdir(parents=True, exist_ok=True)
    seeds = targets.TARGETS[name].seeds()
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i:03d}").write_bytes(seed)
    return max((len(s) for s in seeds), default=0)


_DONE = re.compile(r"Done (\d+) runs")
_STATUS = re.compile(r"^#(\d+)\s", re.MULTILINE)
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


def run_target(name: str, args: argparse.Namespace, scratch: Path) -> Outcome:
    """One worker process; its log is kept in ``fuzz/crashes/`` only when it crashed."""
    corpus = (args.corpus / name) if args.corpus else scratch / name
    largest = seed_corpus(name, corpus)
    max_len = min(max(4096, 2 * largest), MAX_LEN_CAP)
    CRASHES.mkdir(exist_ok=True)
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--worker", name,
        "--corpus", str(corpus), "--crash-prefix", f"{CRASHES}/{name}-",
        "--max-len", str(max_len), "--timeout", str(args.timeout), "--rss-mb", str(args.rss_mb),
    ]  # fmt: skip
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    if args.seconds:
        cmd += ["--seconds", str(args.seconds)]
    started = time.monotonic()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    wall = (args.seconds or 0) + (args.runs or 0) * args.timeout / 10 + 120
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", env=env, timeout=wall
        )
    except subprocess.TimeoutExpired as exc:  # the child is killed by subprocess.run
        CRASHES.joinpath(f"{name}.log").write_text(_text(exc.stdout) + _text(exc.stderr))
        detail = f"worker stalled for {wall:.0f} s, see {CRASHES / name}.log"
        return Outcome(name, 0, True, time.monotonic() - started, detail)
    seconds = time.monotonic() - started
    log = proc.stdout + proc.stderr
    done = _DONE.search(log)
    runs = int(done.group(1)) if done else max(map(int, _STATUS.findall(log)), default=0)
    if proc.returncode == 0:
        return Outcome(name, runs, False, seconds)
    artifact = _ARTIFACT.search(log)
    log_path = CRASHES / f"{name}.log"
    log_path.write_text(log)
    lines = [ln for ln in log.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^\w*(Error|Exception|Failed)", ln)]
    cause = errors[-1] if errors else ""
    where = artifact.group(1) if artifact else f"exit status {proc.returncode}, see {log_path}"
    return Outcome(name, runs, True, seconds, f"{cause} -> {where}".strip(" ->"))


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output or ""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, help="time per target (default 30 without --runs)")
    parser.add_argument("--runs", type=int, help="inputs per target, seeds included")
    parser.add_argument("--only", action="append", default=[], help="a target (repeatable)")
    parser.add_argument("--all", action="store_true", help="also the slow targets")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4))
    parser.add_argument("--corpus", type=Path, help="keep corpora here (default: a temp dir)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=3072, help="memory limit of a worker")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--reproduce", help="run one input file through --only TARGET")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--crash-prefix", help=argparse.SUPPRESS)
    parser.add_argument("--max-len", type=int, default=4096, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.seconds and not args.runs:
        args.seconds = 30
    return args


def selected(args: argparse.Namespace) -> list[str]:
    sys.path.insert(0, str(HERE))
    import targets

    unknown = [n for n in args.only if n not in targets.TARGETS]
    if unknown:
        sys.exit(f"fuzz: unknown target(s) {', '.join(unknown)}; see --list")
    if args.only:
        return list(dict.fromkeys(args.only))
    return [n for n, t in targets.TARGETS.items() if args.all or not t.slow]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        worker(args)
        return 0
    names = selected(args)
    if args.list:
        sys.path.insert(0, str(HERE))
        import targets

        for name in names:
            print(f"{name}{' (slow)' if targets.TARGETS[name].slow else ''}")
        return 0
    if args.reproduce:
        if len(names) != 1 or not args.only:
            sys.exit("fuzz: --reproduce needs exactly one --only TARGET")
        return subprocess.call(
            [sys.executable, __file__, "--worker", names[0], "--reproduce", args.reproduce]
        )
    scratch = Path(tempfile.mkdtemp(prefix="tradetrace-corpus-"))
    try:
        with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
            outcomes = list(pool.map(lambda n: run_target(n, args, scratch), names))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for o in outcomes:
        status = f"CRASH {o.detail}" if o.crashed else "ok"
        print(f"{o.name}: {o.runs} runs, {o.seconds:.1f} s, {status}")
    crashes = sum(o.crashed for o in outcomes)
    print(f"fuzz: {len(outcomes)} targets, {sum(o.runs for o in outcomes)} runs, {crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
