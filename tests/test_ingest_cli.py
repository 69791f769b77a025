"""``tradetrace ingest`` as a user meets it: see before loading, say what the file cannot.

The files are SYNTHETIC, written by the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

SYNTHETIC = (
    "Buyer,Buyer country,Seller,Date of export,HS code,Quantity,Amount (USD)\n"
    "ACME TRADING FZE,AE,ООО СИНТЕЗ,2023-05-02,850440,10,1200.50\n"
    "ACME TRADING FZE,AE,ООО СИНТЕЗ,2023-06-11,850440,4,480\n"
)


def _write(tmp_path: Path, text: str = SYNTHETIC, name: str = "SYNTHETIC_sales.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_shows_the_reading_and_writes_nothing(cli, db_path, tmp_path):
    path = _write(tmp_path)
    result = cli("ingest", path, "--reporter", "RU", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    (preview,) = json.loads(result.output)
    assert preview["direction"] == "export"  # "Date of export", a foreign "Buyer"
    assert preview["reporter_country"] == "RU"
    assert preview["granularity"] == "line"
    assert preview["mapping"]["value_usd"] == "Amount (USD)"
    assert preview["mapping"]["importer_country"] == "Buyer country"
    assert preview["unmapped_columns"] == []
    assert set(preview["detected"]) >= {"direction", "reporter_country", "granularity"}
    assert [r["value_usd"] for r in preview["rows"]] == [1200.5, 480.0]
    assert preview["rows"][0]["exporter_country"] == "RU"  # the reporter's own party
    assert not db_path.exists()


def test_ingest_json_names_what_was_detected_and_why(cli, tmp_path):
    result = cli("ingest", _write(tmp_path), "--reporter", "Russia", "--json")
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.output)["files"]
    for key in ("direction", "reporter_country", "granularity", "mapping", "unmapped_columns",
                "detected", "rows_in", "loaded", "quarantined"):  # fmt: skip
        assert key in file
    assert file["detected"]["reporter_country"] == "given with --reporter"
    assert "buyer" in file["detected"]["direction"]


def test_a_file_that_cannot_tell_its_reporter_is_refused_in_one_line(run_cli, tmp_path):
    result = run_cli("ingest", _write(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "SYNTHETIC_sales.csv" in line and "--reporter" in line


def test_the_users_word_wins(cli, tmp_path):
    result = cli("ingest", _write(tmp_path), "--reporter", "AE", "--direction", "import", "--json")
    (file,) = json.loads(result.output)["files"]
    assert file["direction"] == "import" and file["reporter_country"] == "AE"
    assert file["detected"]["direction"] == "given with --direction"


def test_profiles_infer_writes_a_profile_ingest_takes(cli, tmp_path):
    path = _write(tmp_path)
    inferred = cli("profiles", "infer", str(path), "--reporter", "RU")
    assert inferred.exit_code == 0, inferred.output
    profile = tmp_path / "mine.yaml"
    profile.write_text(inferred.output, encoding="utf-8")
    result = cli("ingest", path, "--profile", profile, "--json")
    (file,) = json.loads(result.output)["files"]
    assert file["reporter_country"] == "RU" and file["loaded"] == 2
    assert file["detected"]["reporter_country"] == "profile 'SYNTHETIC_sales'"
