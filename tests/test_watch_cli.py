"""``watch`` and ``alerts`` from the command line, as a cron job runs them.

An unattended daily check is one command::

    tradetrace --db trade.duckdb watch --update --json --webhook https://hooks.example/…

and its exit status says what happened: 0 nothing changed for the store's parties, 1
alerts (printed, and sent wherever asked), 2 an error, told in one line on stderr without
a traceback, with the store left as it was.

``--update`` downloads the lists first (into ``<store>.reference/``, as ``data update``
does) and loads those whose files changed; ``--mirror URL`` takes each file from
``URL/<the last segment of its official address>`` (``SDN.CSV``, ``ALT.CSV`` …) instead of
its publisher, and ``--lists`` names the lists to fetch (source keys, comma-separated;
default all the lists ``watch`` follows). ``--json`` and ``--md`` choose what is printed,
``--atom FILE`` writes a feed, ``--webhook URL`` POSTs the alerts (retried on 5xx, 429 and
lost connections; ``--webhook-retries``, ``--webhook-timeout``). ``alerts`` delivers the
alerts of a past screening the same ways.

Every server here is a thread on 127.0.0.1, nothing leaves the machine. The store is the
SYNTHETIC AURUS sample screened against the real OFAC SDN as it stood on 2023-01-01; the
mirror serves SYNTHETIC but well-formed OFAC legacy CSV files (no header, ``-0-`` for
empty, CRLF, a closing Ctrl-Z) in which AURUS carries its real SDN entry (47956).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from contextlib import redirect_stderr, redirect_stdout
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from conftest import SHARED_DATA
from tradetrace.cli import main
from tradetrace.screen.lists.update import WATCHED

SDN = SHARED_DATA / "sanctions" / "ofac" / "sdn_2024-05-03.csv.gz"
AURUS, AURUS_ENTRY = "tt-inn-7743237789", "47956"
ATOM = "{http://www.w3.org/2005/Atom}"

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data not found")


# --- the files a mirror serves: OFAC's legacy CSVs, SYNTHETIC apart from AURUS's entry ----

#: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
#: Vess_flag, Vess_owner, Remarks (``None`` is OFAC's ``-0-``).
SDN_ROWS = [
    (AURUS_ENTRY, "LIMITED LIABILITY COMPANY AURUS", None, "RUSSIA-EO14024", None, None, None,
     None, None, None, None,
     "Tax ID No. 7743237789 (Russia); Registration Number 5177746340998 (Russia)."),
    ("990001", "SYNTHETIC NORTHERN MACHINE TOOLS JSC", None,
     "RUSSIA-EO14024] [BELARUS-EO14038", None, None, None, None, None, None, None,
     "Tax ID No. 0000000001 (Russia)."),
    ("990002", "PETROVSKY, Synthetic Ivanovich", "individual", "RUSSIA-EO14024", None, None,
     None, None, None, None, None, "DOB 01 Jan 1970; nationality Russia."),
    ("990003", "SYNTHETIC STAR", "vessel", "RUSSIA-EO14024", None, None, "Crude Oil Tanker",
     None, None, "Russia", None, "IMO 9999999 (SYNTHETIC)."),
]  # fmt: skip
#: ent_num, alt_num, alt_type, alt_name, alt_remarks
ALT_ROWS = [("990001", "880001", "aka", "SYNTHETIC NMT", None)]
#: ent_num, add_num, address, city_state_zip, country, add_remarks
ADD_ROWS = [
    (AURUS_ENTRY, "71827",
     "4/1 Sh-2 Street (Special Economic Zone of the Alabuga territory), Building 4, Suite 33",
     "Republic of Tatarstan 423601", "Russia", None),
    ("990001", "880002", None, "Moscow", "Russia", None),
]  # fmt: skip
#: ent_num, remarks_continuation
COMMENTS_ROWS = [("990002", "Gender Male; SYNTHETIC entry for tests.")]


def ofac_csv(rows: list[tuple]) -> bytes:
    """Rows as OFAC writes them: numbers bare, text quoted, ``-0- `` for empty, CRLF, ^Z."""

    def cell(n: int, value: str | None) -> str:
        if value is None:
            return "-0- "
        return value if n == 0 or value.isdigit() else '"' + value.replace('"', '""') + '"'

    lines = [",".join(cell(n, v) for n, v in enumerate(row)) for row in rows]
    return ("\r\n".join(lines) + "\r\n\x1a").encode("utf-8")


def ofac_mirror(folder: Path) -> Path:
    """A folder laid out as a mirror of OFAC's exports: the SDN list and its side files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("SDN.CSV", SDN_ROWS), ("ALT.CSV", ALT_ROWS), ("ADD.CSV", ADD_ROWS),
                       ("SDN_COMMENTS.CSV", COMMENTS_ROWS)):  # fmt: skip
        (folder / name).write_bytes(ofac_csv(rows))
    return folder


# --- loopback servers ----------------------------------------------------------------------


class Served:
    """A folder served over HTTP on 127.0.0.1 (``url``); ``requested`` lists the paths asked."""

    def __init__(self, folder: Path) -> None:
        requested: list[str] = []

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                requested.append(self.path)

        handler = functools.partial(Handler, directory=str(folder))
        self.requested = requested
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Served:
        kwargs = {"poll_interval": 0.02}
        threading.Thread(target=self.httpd.serve_forever, kwargs=kwargs, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Hook(Served):
    """A webhook on 127.0.0.1 (``url``) answering the statuses of ``script`` in turn (the
    last one from then on); ``bodies`` holds the JSON of each POST."""

    def __init__(self, script: list[int]) -> None:
        bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                bodies.append(json.loads(body))
                self.send_response(script[min(len(bodies), len(script)) - 1])
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.bodies = bodies
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"


def dead_port() -> int:
    """A loopback port nothing listens on (bound, noted, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the store and the command -------------------------------------------------------------


def real_process(db: Path, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real ``tradetrace`` process against ``db``, as cron starts it (no proxy)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    cmd = [sys.executable, "-m", "tradetrace", "--db", str(db), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def tradetrace(db: Path, *args: str | Path) -> subprocess.CompletedProcess:
    """``tradetrace --db db ARGS`` run by the command's own ``main()`` in this process (a
    new process costs seconds to start): its exit status, stdout and stderr, as cron sees
    them; an error that ``main()`` would not turn into one line fails the test."""
    argv = ["tradetrace", "--db", str(db), *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    proxies = {k: os.environ.pop(k) for k in list(os.environ) if k.lower().endswith("_proxy")}
    try:
        with mock.patch.object(sys, "argv", argv), redirect_stdout(out), redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
    finally:
        os.environ.update(proxies)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def ok(db: Path, *args: str | Path) -> subprocess.CompletedProcess:
    done = tradetrace(db, *args)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def screen_runs(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM screen_runs").fetchone()[0]


def versions(db: Path, list_name: str = "ofac_sdn") -> list[str]:
    """The list's loaded versions, oldest first (read straight from the store: quicker than
    a process of its own)."""
    sql = "SELECT DISTINCT version FROM list_entries WHERE list = ? ORDER BY version"
    with duckdb.connect(str(db), read_only=True) as con:
        return [v for (v,) in con.execute(sql, [list_name]).fetchall()]


def copy_of(source: Path, folder: Path, name: str = "store.duckdb") -> Path:
    db = folder / name
    shutil.copy(source, db)
    return db


@pytest.fixture(scope="module")
def screened(aurus_resolved, cli_for, tmp_path_factory) -> Path:
    """The AURUS store screened against the SDN as of 2023-01-01 (AURUS not yet on it).
    Never written: each test works on a copy."""
    db = copy_of(aurus_resolved, tmp_path_factory.mktemp("watch_cli"), "screened.duckdb")
    run = cli_for(db)
    for step in (("lists", "load", SDN, "--as-of", "2023-01-01"), ("screen",)):
        result = run(*step)
        assert result.exit_code == 0, f"{step}: {result.output}"
    return db


@pytest.fixture(scope="module")
def listed(screened, cli_for, tmp_path_factory) -> Path:
    """``screened`` with the SDN of 2024-05-03 loaded (AURUS designated), not yet watched."""
    db = copy_of(screened, tmp_path_factory.mktemp("watch_cli"), "listed.duckdb")
    result = cli_for(db)("lists", "load", SDN)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def watched(listed, cli_for, tmp_path_factory) -> dict:
    """``listed`` after ``watch --json``: ``db`` and the ``alerts`` it printed."""
    db = copy_of(listed, tmp_path_factory.mktemp("watch_cli"), "watched.duckdb")
    result = cli_for(db)("watch", "--json")
    assert result.exit_code == 1, result.output
    return {"db": db, "alerts": json.loads(result.output)}


# --- 1. an unattended update through a mirror ----------------------------------------------


def test_watch_update_fetches_from_a_mirror_loads_and_alerts(screened, tmp_path):
    """The first run downloads the four OFAC files from the mirror (and nothing else:
    ``--lists ofac_sdn``), keeps them beside the store, loads the list as a new version and
    alerts: AURUS is designated (exit 1). The second run, with the mirror unchanged,
    downloads again, finds the same files, loads nothing and says nothing (exit 0)."""
    db = copy_of(screened, tmp_path)
    before = versions(db)
    watch = ("watch", "--update", "--lists", "ofac_sdn", "--json")
    with Served(ofac_mirror(tmp_path / "mirror")) as mirror:
        first = tradetrace(db, *watch, "--mirror", mirror.url)
        assert first.returncode == 1, first.stderr
        assert sorted(mirror.requested) == ["/ADD.CSV", "/ALT.CSV", "/SDN.CSV", "/SDN_COMMENTS.CSV"]

        alerts = json.loads(first.stdout)
        aurus = [a for a in alerts if a["entity_id"] == AURUS and a["event"] == "designated"]
        assert len(aurus) == 1, alerts
        assert aurus[0]["list"] == "ofac_sdn"
        assert aurus[0]["list_entity_id"] == AURUS_ENTRY
        assert aurus[0]["programs"] == ["RUSSIA-EO14024"]
        assert aurus[0]["cause"] == "list change"
        assert aurus[0]["trade_usd"] > 0

        landed = db.parent / "store.reference" / "sanctions" / "ofac"
        names = sorted(p.name for p in landed.iterdir())
        assert [n.rsplit("_", 1)[0] for n in names] == ["add", "alt", "sdn", "sdn_comments"]
        day = names[2].removeprefix("sdn_").removesuffix(".csv")
        assert dt.date.fromisoformat(day)  # the download day: the new version
        assert (landed / names[2]).read_bytes() == (tmp_path / "mirror" / "SDN.CSV").read_bytes()
        listed = json.loads(ok(db, "lists", "--json").stdout)
        after = [r["version"] for r in listed if r["list"] == "ofac_sdn"]
        assert after == sorted([*before, day])
        assert [r["version"] for r in listed if r["list"] == "ofac_sdn" and r["current"]] == [day]
        assert aurus[0]["list_version"] == day
        index = json.loads((db.parent / "store.reference" / "index.json").read_text("utf-8"))
        assert {e["key"] for e in index["files"]} == {
            "ofac_sdn", "ofac_alt", "ofac_add", "ofac_comments"
        }  # fmt: skip

        runs = screen_runs(db)
        again = tradetrace(db, *watch, "--mirror", mirror.url)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == []
        assert len(mirror.requested) == 8  # downloaded again, found unchanged
    assert versions(db) == after
    assert screen_runs(db) == runs + 1


def test_watch_update_prints_what_it_loaded_without_json(screened, tmp_path):
    """Without ``--json`` the run says what it loaded, then the screening and the alerts."""
    db = copy_of(screened, tmp_path)
    with Served(ofac_mirror(tmp_path / "mirror")) as mirror:
        done = tradetrace(db, "watch", "--update", "--mirror", mirror.url, "--lists", "ofac_sdn")
    assert done.returncode == 1, done.stderr
    assert "Loaded" in done.stdout
    assert "ofac_sdn" in done.stdout
    assert "Alerts (" in done.stdout


def test_watch_lists_option_names_what_watch_follows_by_default():
    """``watch --help`` documents ``--lists`` with the default set of lists."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tradetrace", "watch", "--help"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.replace("│", " ").split())
    assert "--lists" in text
    for key in WATCHED:
        assert key in text


def failed_cleanly(done: subprocess.CompletedProcess) -> str:
    """Exit 2 and one line on stderr, no traceback; that line."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_mirror_without_the_files_is_an_error_and_the_store_is_unchanged(screened, tmp_path):
    """A mirror answering 404: exit 2, the source and the HTTP status in one line, the store
    untouched (no list version, no screening run)."""
    db = copy_of(screened, tmp_path)
    runs, before = screen_runs(db), versions(db)
    (tmp_path / "empty").mkdir()
    with Served(tmp_path / "empty") as mirror:
        done = tradetrace(db, "watch", "--update", "--mirror", mirror.url, "--lists", "ofac_sdn")
    line = failed_cleanly(done)
    assert line.startswith("error: ofac_sdn: cannot download")
    assert f"from the mirror {mirror.url}/SDN.CSV: HTTP 404" in line
    assert screen_runs(db) == runs
    assert versions(db) == before


def test_a_dead_mirror_is_an_error_and_the_store_is_unchanged(screened, tmp_path):
    """Nothing listening at the mirror: exit 2 at once, one line naming the source."""
    db = copy_of(screened, tmp_path)
    runs, before = screen_runs(db), versions(db)
    mirror = f"http://127.0.0.1:{dead_port()}"
    started = time.monotonic()
    done = tradetrace(
        db, "watch", "--update", "--mirror", mirror, "--lists", "ofac_sdn", "--json"
    )  # fmt: skip
    assert time.monotonic() - started < 30
    line = failed_cleanly(done)
    assert line.startswith("error: ofac_sdn: cannot download")
    assert f"from the mirror {mirror}/SDN.CSV: Connection refused" in line
    assert done.stdout == ""
    assert screen_runs(db) == runs
    assert versions(db) == before


def test_an_unknown_list_key_is_an_error(screened, tmp_path):
    db = copy_of(screened, tmp_path)
    done = tradetrace(db, "watch", "--update", "--mirror", "http://127.0.0.1:9", "--lists", "nope")
    assert "nope" in failed_cleanly(done)


# --- 2. the webhook ------------------------------------------------------------------------


def test_watch_posts_its_alerts_to_a_webhook_retrying_a_500(listed, tmp_path):
    """The hook answers 500, then 200: the alerts are delivered on the second attempt and
    the run exits 1; each POST carries the alerts ``--json`` printed, and the digest."""
    db = copy_of(listed, tmp_path)
    with Hook([500, 200]) as hook:
        done = tradetrace(db, "watch", "--json", "--webhook", hook.url)
    assert done.returncode == 1, done.stderr
    printed = json.loads(done.stdout)
    assert any(a["entity_id"] == AURUS and a["event"] == "designated" for a in printed)
    assert len(hook.bodies) == 2
    for body in hook.bodies:
        assert body["alerts"] == printed
        assert body["text"].startswith("# Tradetrace alerts:")


def test_alerts_to_a_dead_webhook_fail_in_one_line_hiding_the_path(watched):
    """A hook nobody answers: exit 2 within seconds, one line that names the endpoint but
    not its path (a chat webhook's secret is in the path)."""
    started = time.monotonic()
    done = real_process(
        watched["db"], "alerts", "--json",
        "--webhook", f"http://127.0.0.1:{dead_port()}/secret/path",
        "--webhook-retries", "1", "--webhook-timeout", "0.5",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    line = failed_cleanly(done)
    assert line.startswith("error: webhook http://127.0.0.1:")
    assert "secret" not in done.stderr
    assert "gave up after 2 attempts" in line
    assert elapsed < 15
    assert json.loads(done.stdout) == watched["alerts"]  # printed before the delivery failed


def test_alerts_without_alerts_post_nothing(screened):
    """No alerts, no POST: a dead hook is not even tried."""
    hook = f"http://127.0.0.1:{dead_port()}/hook"
    done = tradetrace(screened, "alerts", "--since", "2999-01-01", "--json", "--webhook", hook)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


# --- 3. Atom and Markdown ------------------------------------------------------------------


def test_alerts_write_an_atom_feed_and_print_markdown(watched, tmp_path):
    """``alerts --atom FILE --md``: a feed with one entry per alert, and the digest."""
    feed = tmp_path / "alerts.atom"
    done = ok(watched["db"], "alerts", "--atom", feed, "--md")
    root = ET.parse(feed).getroot()
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(watched["alerts"]) > 0
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert done.stdout.startswith(f"# Tradetrace alerts: {len(entries)} alert")
    assert "OOO AURUS" in done.stdout or "АУРУС" in done.stdout
    assert "47956" in done.stdout

    again = tmp_path / "again.atom"
    ok(watched["db"], "alerts", "--atom", again, "--json")
    ids_again = [e.findtext(f"{ATOM}id") for e in ET.parse(again).getroot().iter(f"{ATOM}entry")]
    assert ids_again == ids  # the same alerts keep their ids: a reader shows nothing twice


def test_a_list_that_fails_to_load_is_not_taken_as_loaded(screened, tmp_path):
    """A mirror serving a broken SDN.CSV (a row cut short): exit 2, naming the file; the
    next run with the same files fails again instead of reporting that nothing changed."""
    db = copy_of(screened, tmp_path)
    folder = ofac_mirror(tmp_path / "mirror")
    broken = ofac_csv(SDN_ROWS).replace(b',-0- ,"RUSSIA-EO14024",', b',"RUSSIA-EO14024",', 1)
    (folder / "SDN.CSV").write_bytes(broken)
    runs, before = screen_runs(db), versions(db)
    with Served(folder) as mirror:
        watch = ("watch", "--update", "--mirror", mirror.url, "--lists", "ofac_sdn", "--json")
        first = failed_cleanly(tradetrace(db, *watch))
        assert "store.reference/sanctions/ofac/sdn_" in first
        assert ": line 1: sdn row has 11 columns, expected 12" in first
        again = tradetrace(db, *watch)
    assert failed_cleanly(again) == first
    assert screen_runs(db) == runs
    assert versions(db) == before


def test_a_list_changed_while_a_side_file_failed_is_loaded_by_the_next_run(screened, tmp_path):
    """The mirror's SDN.CSV changes (AURUS added) on a day its ALT.CSV cannot be fetched:
    that run fails (exit 2); the next one, with ALT.CSV back, loads the new SDN.CSV, though
    it was already downloaded, and alerts on AURUS (exit 1)."""
    db = copy_of(screened, tmp_path)
    folder = ofac_mirror(tmp_path / "mirror")
    with_aurus = (folder / "SDN.CSV").read_bytes()
    (folder / "SDN.CSV").write_bytes(ofac_csv(SDN_ROWS[1:]))
    with Served(folder) as mirror:
        watch = ("watch", "--update", "--mirror", mirror.url, "--lists", "ofac_sdn", "--json")
        first = tradetrace(db, *watch)
        assert first.returncode in (0, 1), first.stderr
        assert AURUS not in {a["entity_id"] for a in json.loads(first.stdout)}

        (folder / "SDN.CSV").write_bytes(with_aurus)
        alt = (folder / "ALT.CSV").rename(tmp_path / "ALT.CSV")
        assert "ALT.CSV" in failed_cleanly(tradetrace(db, *watch))

        alt.rename(folder / "ALT.CSV")
        third = tradetrace(db, *watch)
    assert third.returncode == 1, third.stderr
    alerts = json.loads(third.stdout)
    assert [(a["entity_id"], a["event"]) for a in alerts] == [(AURUS, "designated")]
