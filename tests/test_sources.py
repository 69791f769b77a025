"""Reference-file catalogue: find, import and (fake) download, never touching the network."""

from __future__ import annotations

import datetime as dt
import fnmatch
import gzip
import hashlib
import json
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tradetrace.reference import sources
from tradetrace.reference.sources import (
    SOURCES,
    DownloadError,
    download_sources,
    find_sources,
    get_source,
    import_sources,
    read_index,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DAY = dt.date(2026, 5, 1)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not available: {SHARED}")
    return SHARED


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tests must not use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- catalogue --------------------------------------------------------------------------------


def test_catalogue_is_consistent() -> None:
    keys = [s.key for s in SOURCES]
    assert len(keys) == len(set(keys))
    for key in [
        "hs2022",
        "hs2017",
        "hs_sections",
        "chpl",
        "ofac_sdn",
        "ofac_alt",
        "ofac_add",
        "ofac_comments",
        "ofac_first_seen",
        "ofac_cons_prim",
        "ofac_cons_alt",
        "ofac_cons_add",
        "ofac_cons_comments",
        "uk_ofsi_conlist",
        "uk_covyr_subjects",
        "un_consolidated",
        "eu_pakote",
        "opensanctions_delta",
        "opensanctions_t1",
        "ru_unfriendly",
    ]:
        assert get_source(key).key == key
    for derived in ["ofac_first_seen", "uk_covyr_subjects", "eu_pakote", "chpl"]:
        assert get_source(derived).url is None
    assert get_source("ofac_sdn").url == (
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"
    )
    # a downloaded file must be found again by its own pattern, and by no other source's
    for source in SOURCES:
        if source.url is None:
            continue
        rel = source.download_path(DAY)
        assert rel.startswith(f"{source.kind}/")
        matching = [s.key for s in SOURCES if fnmatch.fnmatchcase(rel, s.pattern)]
        assert matching == [source.key], rel


def test_unknown_key() -> None:
    with pytest.raises(ValueError, match="unknown source 'nope'"):
        get_source("nope")


# --- find / import ----------------------------------------------------------------------------


def test_find_sources_in_shared(shared_dir: Path) -> None:
    found = {f.source.key: f for f in find_sources(shared_dir)}
    assert found["ofac_sdn"].path.name == "sdn_2024-05-03.csv.gz"  # not sdn_comments/first_seen
    assert found["ofac_comments"].path.name == "sdn_comments_2025-12.csv.gz"
    assert found["ofac_first_seen"].path.name.startswith("sdn_first_seen_")
    assert found["ofac_cons_add"].path.name == "cons_add_2025-12-19.csv"
    assert found["ofac_add"].path.name == "add_2025-12.csv.gz"
    assert found["uk_covyr_subjects"].path.name == "subjects.csv"
    assert found["uk_covyr_subject_countries"].path.name == "subject_countries.csv.gz"
    assert found["hs2022"].path.name == "hs2022_nomenclature.csv"
    chpl = found["chpl"]
    assert chpl.size == chpl.path.stat().st_size
    assert chpl.sha256 == sha256(chpl.path)
    assert "ofac_sdn_advanced" not in found  # not in the shared data


def test_find_picks_newest_by_name(tmp_path: Path) -> None:
    ofac = tmp_path / "sanctions" / "ofac"
    ofac.mkdir(parents=True)
    for name in ["sdn_2023-01-01.csv", "sdn_2024-05-03.csv.gz", "sdn_comments_2025-12.csv"]:
        (ofac / name).write_text("x")
    (ofac / ".sdn_2099-01-01.csv.abc.part").write_text("partial")
    found = {f.source.key: f.path.name for f in find_sources(tmp_path)}
    assert found == {
        "ofac_sdn": "sdn_2024-05-03.csv.gz",
        "ofac_comments": "sdn_comments_2025-12.csv",
    }


def test_import_from_shared(shared_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "store"
    copied = import_sources(shared_dir, dest)
    found = find_sources(shared_dir)
    assert len(copied) == len(found) >= 20
    for item in copied:
        rel = item.path.relative_to(dest)
        assert rel.parts[0] == item.source.kind
        assert sha256(item.path) == item.sha256
    index = json.loads((dest / "index.json").read_text("utf-8"))
    entries = {e["key"]: e for e in index["files"]}
    assert set(entries) == {f.source.key for f in found}
    sdn = entries["ofac_sdn"]
    assert sdn["kind"] == "sanctions"
    assert sdn["file"] == "sanctions/ofac/sdn_2024-05-03.csv.gz"
    assert sdn["sha256"] == sha256(shared_dir / "sanctions/ofac/sdn_2024-05-03.csv.gz")
    assert sdn["size"] == (dest / sdn["file"]).stat().st_size
    assert sdn["origin"].endswith("sanctions/ofac/sdn_2024-05-03.csv.gz")
    dt.datetime.fromisoformat(sdn["imported_at"])
    # the destination is itself a valid data directory
    assert {f.source.key for f in find_sources(dest)} == set(entries)
    assert not list(dest.rglob(".*.part"))

    # second run: nothing copied, nothing rewritten
    index_mtime = (dest / "index.json").stat().st_mtime_ns
    file_mtime = (dest / sdn["file"]).stat().st_mtime_ns
    assert import_sources(shared_dir, dest) == []
    assert (dest / "index.json").stat().st_mtime_ns == index_mtime
    assert (dest / sdn["file"]).stat().st_mtime_ns == file_mtime
    assert read_index(dest) == entries


def test_import_recopies_changed_file(shared_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "hs").mkdir(parents=True)
    shutil.copy(shared_dir / "hs" / "hs_sections.csv", src / "hs" / "hs_sections.csv")
    dest = tmp_path / "dest"
    assert [f.source.key for f in import_sources(src, dest)] == ["hs_sections"]
    with (src / "hs" / "hs_sections.csv").open("a", encoding="utf-8") as fh:
        fh.write("XXI,extra\n")
    again = import_sources(src, dest)
    assert [f.source.key for f in again] == ["hs_sections"]
    assert read_index(dest)["hs_sections"]["sha256"] == sha256(src / "hs" / "hs_sections.csv")
    assert sha256(dest / "hs" / "hs_sections.csv") == again[0].sha256


def test_import_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        import_sources(tmp_path / "missing", tmp_path / "dest")
    empty = tmp_path / "empty"
    (empty / "hs").mkdir(parents=True)
    (empty / "hs" / "notes.txt").write_text("nothing known here")
    with pytest.raises(ValueError, match="none of the known reference files"):
        import_sources(empty, tmp_path / "dest")
    assert not (tmp_path / "dest" / "index.json").exists()


# --- download (fake fetch only) ---------------------------------------------------------------

LOCAL_COPIES = {
    "hs2022": "hs/hs2022_nomenclature.csv",
    "hs2017": "hs/hs2017_nomenclature.csv",
    "hs_sections": "hs/hs_sections.csv",
    "ofac_sdn": "sanctions/ofac/sdn_2024-05-03.csv.gz",
    "ofac_alt": "sanctions/ofac/alt_2025-12.csv.gz",
    "ofac_add": "sanctions/ofac/add_2025-12.csv.gz",
    "ofac_comments": "sanctions/ofac/sdn_comments_2025-12.csv.gz",
    "ofac_cons_prim": "sanctions/ofac/cons_prim_2025-12-19.csv",
    "ofac_cons_alt": "sanctions/ofac/cons_alt_2025-12-19.csv",
    "ofac_cons_add": "sanctions/ofac/cons_add_2025-12-19.csv",
    "ofac_cons_comments": "sanctions/ofac/cons_comments_2025-12-19.csv",
    "uk_ofsi_conlist": "sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz",
    "un_consolidated": "sanctions/un/un_consolidated_2026-02-27.xml.gz",
}


class FakeFetch:
    """Serves official URLs from local shared files (decompressed, as the servers send them)."""

    def __init__(self, shared_dir: Path) -> None:
        self.by_url = {get_source(k).url: shared_dir / rel for k, rel in LOCAL_COPIES.items()}
        self.calls: list[str] = []

    def __call__(self, url: str, dest_path: Path) -> None:
        self.calls.append(url)
        local = self.by_url.get(url)
        if local is None:  # no local copy of this file: serve a stand-in body
            dest_path.write_bytes(b"stand-in for " + url.encode())
        elif local.suffix == ".gz":
            with gzip.open(local, "rb") as src, dest_path.open("wb") as out:
                shutil.copyfileobj(src, out)
        else:
            shutil.copyfile(local, dest_path)


def test_download_selected_keys(shared_dir: Path, tmp_path: Path) -> None:
    fetch = FakeFetch(shared_dir)
    keys = ["hs2022", "hs_sections", "ofac_sdn", "ofac_cons_prim"]
    done = download_sources(tmp_path, keys, fetch=fetch, today=DAY)
    assert [f.source.key for f in done] == keys
    assert fetch.calls == [get_source(k).url for k in keys]
    sdn = tmp_path / "sanctions" / "ofac" / "sdn_2026-05-01.csv"
    with gzip.open(shared_dir / LOCAL_COPIES["ofac_sdn"], "rb") as fh:
        assert sdn.read_bytes() == fh.read()
    assert (tmp_path / "hs" / "hs2022_nomenclature_2026-05-01.csv").is_file()
    index = read_index(tmp_path)
    assert set(index) == set(keys)
    assert index["ofac_sdn"]["origin"] == get_source("ofac_sdn").url
    assert index["ofac_sdn"]["file"] == "sanctions/ofac/sdn_2026-05-01.csv"
    assert index["ofac_sdn"]["sha256"] == sha256(sdn)
    assert {f.source.key: f.path for f in find_sources(tmp_path)}["ofac_sdn"] == sdn


def test_download_newer_than_imported(shared_dir: Path, tmp_path: Path) -> None:
    import_sources(shared_dir, tmp_path)
    download_sources(tmp_path, ["ofac_sdn", "hs2022"], fetch=FakeFetch(shared_dir), today=DAY)
    found = {f.source.key: f.path.name for f in find_sources(tmp_path)}
    assert found["ofac_sdn"] == "sdn_2026-05-01.csv"
    assert found["hs2022"] == "hs2022_nomenclature_2026-05-01.csv"
    index = read_index(tmp_path)
    assert index["ofac_sdn"]["file"] == "sanctions/ofac/sdn_2026-05-01.csv"
    assert index["chpl"]["file"] == "export_controls/chpl_hs6_2024-02-23.csv"  # kept


def test_download_default_set(shared_dir: Path, tmp_path: Path) -> None:
    fetch = FakeFetch(shared_dir)
    done = download_sources(tmp_path, fetch=fetch, today=DAY)
    keys = {f.source.key for f in done}
    assert keys == {s.key for s in SOURCES if s.url is not None and s.default}
    assert "opensanctions_default" not in keys  # large and non-commercial: opt-in only
    assert "un_consolidated" in keys and "eu_fsf" in keys
    assert len(fetch.calls) == len(done)


def test_download_failure_leaves_no_partial_file(shared_dir: Path, tmp_path: Path) -> None:
    good = FakeFetch(shared_dir)

    def flaky(url: str, dest_path: Path) -> None:
        if url == get_source("ofac_alt").url:
            dest_path.write_bytes(b"half a fi")
            raise TimeoutError("timed out")
        good(url, dest_path)

    alt = re.escape(get_source("ofac_alt").url)
    with pytest.raises(DownloadError, match=rf"^ofac_alt: cannot download {alt} \(timed out\)$"):
        download_sources(tmp_path, ["ofac_sdn", "ofac_alt"], fetch=flaky, today=DAY)
    ofac = tmp_path / "sanctions" / "ofac"
    assert sorted(p.name for p in ofac.iterdir()) == ["sdn_2026-05-01.csv"]
    assert set(read_index(tmp_path)) == {"ofac_sdn"}


def test_download_rejects_empty_body(tmp_path: Path) -> None:
    def empty(url: str, dest_path: Path) -> None:
        dest_path.write_bytes(b"")

    with pytest.raises(DownloadError, match="^un_consolidated: cannot download .* empty file"):
        download_sources(tmp_path, ["un_consolidated"], fetch=empty, today=DAY)
    assert not (tmp_path / "sanctions" / "un" / "un_consolidated_2026-05-01.xml").exists()


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
         "Connection refused"),
        (urllib.error.HTTPError("u", 404, "Not Found", None, None), "HTTP 404 Not Found"),  # type: ignore[arg-type]
        (TimeoutError("timed out"), "timed out"),
    ],
)  # fmt: skip
def test_download_error_says_why_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str
) -> None:
    """The real fetcher's failures read as the reason, not as ``<urlopen error [...]>``."""

    def failing(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", failing)
    with pytest.raises(DownloadError) as info:
        download_sources(tmp_path, ["hs_sections"], today=DAY)
    assert (
        str(info.value)
        == f"hs_sections: cannot download {get_source('hs_sections').url} ({reason})"
    )
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_download_rejects_keys_without_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no official download for: ofac_first_seen"):
        download_sources(tmp_path, ["ofac_first_seen"], fetch=FakeFetch(tmp_path))
    with pytest.raises(ValueError, match="unknown source"):
        download_sources(tmp_path, ["bogus"], fetch=FakeFetch(tmp_path))


def test_default_fetch_is_urllib() -> None:
    assert download_sources.__defaults__ is not None
    assert sources.urllib_fetch in download_sources.__defaults__
