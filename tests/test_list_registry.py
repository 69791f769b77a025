"""The list registry: one entry per sanctions list is all detection, loading and labels need.

Every registered format has a small sample here, detected as that format and loaded as
its list; the labels match the tables findings and report used before the registry; and
a fake list registered in a test is detected, loaded into a store and labelled with no
other change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tradetrace.errors import InputError
from tradetrace.screen.lists import registry
from tradetrace.screen.lists.load import load_lists, read_list
from tradetrace.screen.lists.model import ListEntry
from tradetrace.screen.lists.registry import (
    ListFormat,
    ListSource,
    detect,
    format_ids,
    list_authority,
    list_short,
    list_source,
)

DATA = Path(__file__).parent / "data" / "lists"

#: findings.py's LIST_LABELS and report/formatting.py's (now labels.py) LIST_SHORT, before.
OLD_LABELS = (
    ("ofac_sdn", ("the US Treasury's OFAC", "SDN list")),
    ("ofac_advanced", ("the US Treasury's OFAC", "SDN list")),
    ("ofac_cons", ("the US Treasury's OFAC", "non-SDN lists")),
    ("uk_", ("the United Kingdom", "")),
    ("un", ("the UN Security Council", "")),
    ("eu", ("the European Union", "")),
    ("opensanctions", ("a sanctions authority", "as recorded in OpenSanctions data")),
)
OLD_SHORT = (
    ("ofac_sdn", "OFAC SDN"),
    ("ofac_advanced", "OFAC SDN"),
    ("ofac_cons", "OFAC non-SDN"),
    ("uk_", "UK"),
    ("un", "UN"),
    ("eu", "EU"),
    ("opensanctions", "OpenSanctions"),
)
#: analyse/graph/ftm.py's AUTHORITIES (the keeper's formal name) before the registry.
OLD_AUTHORITIES = (
    ("ofac", "US Department of the Treasury, Office of Foreign Assets Control (OFAC)"),
    ("uk_ofsi", "HM Treasury, Office of Financial Sanctions Implementation (OFSI)"),
    ("uk_", "UK Foreign, Commonwealth and Development Office (UK Sanctions List)"),
    ("un", "United Nations Security Council"),
    ("eu", "European Union"),
)
OFAC_ENTRY_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={id}"
SDN_ROW = (  # OFAC's legacy CSV: no header, twelve columns, "-0-" for empty
    '47956,"LIMITED LIABILITY COMPANY AURUS",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,'
    "-0- ,-0- ,-0- \r\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _uk_tables(folder: Path) -> Path:
    _write(folder / "subjects.csv",
           "unique_id,subject_type,un_reference_number,ofsi_group_id,date_designated,last_updated\n"
           "RUS9001,entity,,90001,23/02/2024,01/03/2024\n")  # fmt: skip
    _write(folder / "subject_names.csv",
           "name_id,unique_id,name_type,alias_strength,full_name,name_6,name_1,name_2,name_3,"
           "name_4,name_5\n1,RUS9001,primary,,Test Plant LLC,Test Plant LLC,,,,,\n")  # fmt: skip
    return folder


def _pakote(folder: Path) -> Path:
    entity = {"name": "JSC Test", "type": "entity", "aliases": [], "birthdates": [],
              "identifiers": [], "source": ["EU"], "source_id": "137721"}  # fmt: skip
    data = {"metadata": {"generated": "2026-01-28T06:31:48Z"}, "entities": [entity]}
    return _write(folder / "all_2026-01-28.json", json.dumps(data))


#: a sample of every registered format, made in (or copied from) a folder of its own
SAMPLES: dict[str, Callable[[Path], Path]] = {
    "ofac_cons": lambda d: _write(d / "cons_prim_2025-12-19.csv", SDN_ROW),
    "ofac_sdn": lambda d: _write(d / "sdn_2024-05-03.csv", SDN_ROW),
    "ofac_advanced": lambda d: DATA / "ofac_sdn_advanced_sample.xml",
    "un": lambda d: DATA / "un_sample.xml",
    "eu_xml": lambda d: DATA / "eu_fsf_sample.xml",
    "eu_csv": lambda d: DATA / "eu_fsf_sample.csv",
    "eu_pakote": _pakote,
    "uk_ofsi": lambda d: DATA / "uk_ofsi_sample.csv",
    "uk_sanctions_list": _uk_tables,
    "opensanctions": lambda d: DATA / "os_delta_sample.json",
}


def _old(table: tuple, name: str, default: object) -> object:
    return next((label for prefix, label in table if name.startswith(prefix)), default)


def test_every_format_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(format_ids())
    assert len(set(format_ids())) == len(format_ids())  # a --list value names one format


@pytest.mark.parametrize("format_id", SAMPLES)
def test_each_format_is_detected_and_loads_as_its_list(format_id: str, tmp_path: Path) -> None:
    path = SAMPLES[format_id](tmp_path)
    assert detect(path) == format_id
    source = list_source(format_id)
    assert source is not None and format_id in [f.id for f in source.formats]
    assert set(read_list(path)["list"].to_pylist()) == {source.name}


@pytest.mark.parametrize("name", [n for s in registry.SOURCES for n in s.names()])
def test_labels_agree_with_the_old_tables(name: str) -> None:
    """Findings' wording, the report's short labels and the FtM keeper, as they were."""
    assert list_authority(name) == _old(OLD_LABELS, name, (name, ""))
    assert list_short(name) == _old(OLD_SHORT, name, name)
    source = list_source(name)
    assert source is not None
    assert source.authority == _old(OLD_AUTHORITIES, name, None)
    assert source.entry_url == (OFAC_ENTRY_URL if name.startswith("ofac") else None)


def test_an_unknown_list_is_named_as_it_is() -> None:
    assert list_authority("mystery") == ("mystery", "")
    assert list_short("mystery") == "mystery"
    assert list_source("mystery") is None


@pytest.mark.parametrize(
    "name", ["sdn_comments_2025-12.csv", "sdn_first_seen_2021.csv", "alt_2025-12.csv", "x.json"]
)
def test_side_files_and_strangers_are_not_lists(name: str, tmp_path: Path) -> None:
    path = _write(tmp_path / name, '{"a": 1}\n' if name.endswith(".json") else SDN_ROW)
    with pytest.raises(InputError, match="not a sanctions list format .* one of ofac_cons, "):
        detect(path)


def test_a_folder_without_list_tables_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a folder, but not the tables .* uk_sanctions_list$"):
        detect(tmp_path)


def test_reading_a_label_imports_no_parser() -> None:
    code = (
        "import sys; from tradetrace.screen.lists.registry import list_short; list_short('un'); "
        "print(sorted(m for m in sys.modules if m.startswith('tradetrace.screen.lists.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['tradetrace.screen.lists.registry']"


# --- a new list is one entry ----------------------------------------------------------


def _load_test_list(path: Path) -> Iterator[ListEntry]:
    for number, name in enumerate(Path(path).read_text("utf-8").splitlines()[1:], 1):
        yield ListEntry("xx_test", str(number), "Company", name, source_file=str(path),
                        version="2024-01-01")  # fmt: skip


TEST_LIST = ListSource(
    name="xx_test",
    designated_by="the Ministry of Tests",
    which_list="test list",
    short="Test",
    authority="Ministry of Tests, Sanctions Office",
    formats=(ListFormat("xx_test_txt", lambda f: f.text.startswith("TESTLIST"), _load_test_list),),
)


def test_a_new_list_is_one_entry(monkeypatch: pytest.MonkeyPatch, store, tmp_path: Path) -> None:
    path = _write(tmp_path / "names.txt", "TESTLIST\nTEST TRADING LLC\nOOO TEST\n")
    with pytest.raises(InputError, match="not a sanctions list format"):
        detect(path)

    monkeypatch.setattr(registry, "SOURCES", (*registry.SOURCES, TEST_LIST))

    assert detect(path) == "xx_test_txt" and "xx_test_txt" in format_ids()
    assert load_lists(store, [path]) == [
        {"file": str(path), "list": "xx_test", "version": "2024-01-01", "entries": 2}
    ]
    assert load_lists(store, [path], "xx_test_txt")[0]["entries"] == 2  # forced with --list
    assert list_authority("xx_test") == ("the Ministry of Tests", "test list")
    assert list_short("xx_test") == "Test"
    assert list_source("xx_test") is TEST_LIST
