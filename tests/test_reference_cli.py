"""Reference data from the command line: `data import` copies, indexes and loads tables."""

from __future__ import annotations

import json
import socket
import sys
import urllib.error
import urllib.request

import pytest

from tradetrace.cli import main
from tradetrace.reference.sources import get_source
from tradetrace.store import open_store


def test_data_import_loads_hs_and_chpl(cli, db_path, shared_data):
    result = cli("data", "import", shared_data, "--json")
    assert result.exit_code == 0, result.output
    keys = {row["key"] for row in json.loads(result.output)}
    assert {"hs2022", "hs_sections", "chpl", "ofac_sdn", "un_consolidated"} <= keys
    reference = db_path.parent / f"{db_path.stem}.reference"
    index = json.loads((reference / "index.json").read_text())
    entry = next(f for f in index["files"] if f["key"] == "ofac_sdn")
    assert len(entry["sha256"]) == 64 and (reference / entry["file"]).exists()
    with open_store(db_path) as store:
        [row] = store.query(
            "SELECT description FROM ref_hs WHERE code = '870829' AND edition = 'HS2022'"
        ).to_pylist()
        assert "bodies" in row["description"].lower()
        assert store.count("ref_chpl") == 50
        assert store.count("ref_hs_sections") == 21


def test_data_import_twice_is_harmless(cli, shared_data):
    assert cli("data", "import", shared_data).exit_code == 0
    again = cli("data", "import", shared_data, "--json")
    assert again.exit_code == 0 and json.loads(again.output)


def test_data_import_of_a_missing_folder_is_one_line(run_cli, tmp_path):
    proc = run_cli("data", "import", tmp_path / "nowhere")
    assert proc.returncode == 2
    assert "nowhere" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("key", ["ofac_sdn", "un_consolidated"])
def test_data_update_offline_names_the_source_and_its_address(db_path, key, monkeypatch, capsys):
    """Without a network, one line says which list could not be fetched and from where."""

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    argv = ["tradetrace", "--db", str(db_path), "data", "update", "--only", key]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"error: {key}: cannot download {get_source(key).url} (")
    assert "Temporary failure in name resolution" in stderr
    assert stderr.count("\n") == 1 and "urlopen error" not in stderr
    reference = db_path.parent / f"{db_path.stem}.reference"
    assert not [p for p in reference.rglob("*") if p.is_file()]  # nothing downloaded, no index
    with open_store(db_path, read_only=True) as store:
        assert not store.has_table("ref_chpl")  # the reference tables were not rebuilt


def test_profiles_lists_the_builtins(cli):
    result = cli("profiles")
    assert result.exit_code == 0, result.output
    assert "ru_customs" in result.output  # the one layout header words cannot tell
    for name in ("generic_en", "vendor_ru_import", "us_bol"):  # now read from header words
        assert name not in result.output


def test_profiles_infer_prints_a_yaml_profile(cli, tmp_path):
    import yaml

    path = tmp_path / "mine.csv"
    path.write_text("Entry number,Date,Buyer,Seller,HS code,Amount (USD)\n"
                    "E1,2023-01-05,Acme LLC,Foo GmbH,847150,1234.50\n")  # fmt: skip
    result = cli("profiles", "infer", path, "--reporter", "US")
    assert result.exit_code == 0, result.output
    profile = yaml.safe_load(result.output)
    # "Buyer" is what an exporter's records call the foreign side
    assert (profile["direction"], profile["reporter"]) == ("export", "US")
    assert profile["fields"]["importer_name"] == ["Buyer"]
    assert profile["fields"]["value_usd"] == ["Amount (USD)"]


def test_every_command_has_help(cli):
    for command in (["--help"], ["ingest", "--help"], ["sql", "--help"], ["sample", "--help"],
                    ["quarantine", "--help"], ["data", "import", "--help"],
                    ["data", "update", "--help"], ["profiles", "--help"]):  # fmt: skip
        result = cli(*command)
        assert result.exit_code == 0 and "Usage" in result.output, command
