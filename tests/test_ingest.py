"""Ingest end to end: lossless, atomic, idempotent, and clear about user mistakes."""

from __future__ import annotations

import csv
import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradetrace.errors import InputError, ProfileError
from tradetrace.ingest import pipeline
from tradetrace.ingest.detect import Options
from tradetrace.ingest.pipeline import ingest
from tradetrace.store import open_store

RU_HEADER = [
    "Номер ДТ",
    "№ товара",
    "Дата ДТ",
    "Получатель",
    "ИНН получателя",
    "Отправитель",
    "Страна происхождения",
    "Страна отправления",
    "Код ТН ВЭД",
    "Описание товара",
    "Вес нетто, кг",
    "Фактурная стоимость",
    "Валюта",
    "Статистическая стоимость, USD",
]
GOOD_ROWS = [
    ["10005030/150318/0012345", "1", "15.03.2018", "ООО «АУРУС»", "7743237789",
     "HANBIT AUTOTECH CO., LTD", "КОРЕЯ, РЕСПУБЛИКА", "KR", "8708299009", "ПАНЕЛЬ КУЗОВА",
     "1 234,5", "", "", "12 345,67"],
    ["10005030/150318/0012345", "2", "15.03.2018", "ООО «АУРУС»", "7743237789",
     "ХАНБИТ АВТОТЕК КО., ЛТД", "КОРЕЯ, РЕСПУБЛИКА", "КАЗАХСТАН", "9026200000", "ДАТЧИК",
     "10", "1 000,00", "EUR", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], encoding="utf-8", delimiter=",") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def rows_of(store, sql: str) -> list[dict]:
    return store.query(sql).to_pylist()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep the ECB rate cache out of the user's home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


class TestLossless:
    def test_every_row_is_loaded_or_quarantined(self, store, tmp_path):
        bad = [
            ["X1", "1", "31.02.2021", "ООО А", "", "B", "КИТАЙ", "CN", "8536", "x", "", "", "",
             "1"],
            ["X2", "1", "01.05.2022", "ООО А", "", "B", "АТЛАНТИДА", "CN", "8536", "x", "", "", "",
             "1"],
            ["X3", "1", "01.05.2022", "ООО А", "", "B", "КИТАЙ", "CN", "8536", "x", "", "100",
             "RUB", ""],
            ["X4", "1", "01.05.2022"],
        ]  # fmt: skip
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS, *bad], "cp1251", ";")
        result = ingest(store, [path])
        # only rows that cannot be counted are quarantined: a bad date, a malformed line;
        # an unknown country and a rouble value after the ECB stopped load, with notes
        assert (result.rows_in, result.loaded, result.quarantined) == (6, 4, 2)
        reasons = rows_of(store, "SELECT row, reason FROM quarantine ORDER BY row")
        assert [r["row"] for r in reasons] == [3, 6]
        assert reasons[0]["reason"].startswith("unparseable date")
        assert reasons[1]["reason"].startswith("malformed line")
        x2, x3 = rows_of(
            store,
            "SELECT origin_country, value_usd, value_usd_source, notes FROM declarations "
            "WHERE declaration_id IN ('X2', 'X3') ORDER BY declaration_id",
        )
        assert x2["origin_country"] is None
        assert "'АТЛАНТИДА' is not a country" in x2["notes"]
        assert (x3["value_usd_source"], x3["notes"]) == ("hmrc-monthly", None)
        assert 0 < x3["value_usd"] < 100 * 0.05  # 100 RUB at the May 2022 customs rate

    def test_values_are_normalised(self, store, tmp_path):
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS])
        ingest(store, [path])
        rows = rows_of(store, "SELECT * FROM declarations ORDER BY line_no")
        first, second = rows
        assert first["date"].isoformat() == "2018-03-15"
        assert (first["direction"], first["reporter_country"], first["granularity"]) == (
            "import", "RU", "line"
        )  # fmt: skip
        assert first["importer_country"] == "RU"  # the reporter's own party
        assert (first["extra"], first["notes"]) == (None, None)
        assert (first["origin_country"], first["dispatch_country"]) == ("KR", "KR")
        assert (first["hs6"], first["hs_chapter"], first["hs_section"]) == ("870829", "87", "XVII")
        assert first["net_kg"] == 1234.5
        assert first["value_usd"] == 12345.67 and first["value_usd_source"] == "declared"
        assert second["dispatch_country"] == "KZ"
        assert second["currency"] == "EUR" and second["value_usd_source"] == "ecb"
        assert second["value_usd"] == pytest.approx(1234.1, abs=0.01)  # ECB 2018-03-15
        assert (first["source_file"], first["source_row"]) == (str(path), 1)

    def test_user_fx_table_fills_the_rouble_gap(self, store, tmp_path):
        row = ["X3", "1", "01.05.2022", "ООО А", "", "B", "КИТАЙ", "CN", "8536", "x", "", "7 000",
               "RUB", ""]  # fmt: skip
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, row])
        rates = tmp_path / "rates.csv"
        rates.write_text("currency,date,usd_per_unit\nRUB,2022-05-01,0.014\n")
        ru = Options(reporter="RU")  # no INN in the file: its country must be given
        result = ingest(store, [path], fx_rates=rates, options=ru)
        assert result.loaded == 1
        [decl] = rows_of(store, "SELECT value_usd, value_usd_source FROM declarations")
        assert decl == {"value_usd": pytest.approx(98.0), "value_usd_source": "user"}

    def test_without_a_user_table_the_rouble_gap_uses_the_monthly_rates(self, store, tmp_path):
        row = ["X3", "1", "01.05.2022", "ООО А", "", "B", "КИТАЙ", "CN", "8536", "x", "", "7 000",
               "RUB", ""]  # fmt: skip
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, row])
        assert ingest(store, [path], options=Options(reporter="RU")).loaded == 1
        [decl] = rows_of(store, "SELECT value_usd, value_usd_source FROM declarations")
        assert decl["value_usd_source"] == "hmrc-monthly"
        assert 7000 * 0.005 < decl["value_usd"] < 7000 * 0.05


class TestIdempotentAndAtomic:
    def test_same_file_twice_loads_once(self, store, tmp_path):
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS])
        assert ingest(store, [path]).loaded == 2
        again = ingest(store, [path])
        assert again.loaded == 0 and again.files[0].skipped
        copy = write_csv(tmp_path / "copy.csv", [RU_HEADER, *GOOD_ROWS])
        assert ingest(store, [copy]).files[0].skipped  # same content, other name
        assert store.count("declarations") == 2

    def test_a_failure_leaves_the_store_unchanged(self, store, tmp_path, monkeypatch):
        first = write_csv(tmp_path / "a.csv", [RU_HEADER, GOOD_ROWS[0]])
        # one INN is too little to tell the reporter by: say it
        assert ingest(store, [first], options=Options(reporter="RU")).loaded == 1
        second = write_csv(tmp_path / "b.csv", [RU_HEADER, *GOOD_ROWS, ["X", "1", "bad"]])

        def crash(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(pipeline, "_record_run", crash)
        with pytest.raises(RuntimeError):
            ingest(store, [second])
        assert store.count("declarations") == 1
        assert store.count("quarantine") == 0
        assert store.count("ingest_runs") == 1
        monkeypatch.undo()
        assert ingest(store, [second]).loaded == 2  # a re-run completes

    def test_header_errors_stop_before_any_file_is_written(self, store, tmp_path):
        good = write_csv(tmp_path / "good.csv", [RU_HEADER, *GOOD_ROWS])
        bad = write_csv(tmp_path / "bad.csv", [["foo", "bar"], ["1", "2"]])
        with pytest.raises(ProfileError):
            ingest(store, [good, bad])
        assert store.count("declarations") == 0


# -- the invariant under hostile rows --------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", " ", "15.03.2018", "31.02.2021", "2022-05-01", "43174", "КИТАЙ", "XX",
                     "KR", "8708299009", "ABC", "1 234,5", "1,234.56", "-", "RUB", "USD", "EUR",
                     '"', ";", "\n", "ООО «А»"]),
    st.text(max_size=12),
)  # fmt: skip
ROW = st.lists(CELL, min_size=len(RU_HEADER) - 3, max_size=len(RU_HEADER) + 2)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=30))
def test_rows_in_equals_loaded_plus_quarantined(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "fuzz.csv", [RU_HEADER, *rows])
        with open_store(Path(tmp) / "s.duckdb") as store:
            result = ingest(store, [path], options=Options(reporter="RU"))
            assert result.rows_in == result.loaded + result.quarantined
            assert store.count("declarations") == result.loaded
            assert store.count("quarantine") == result.quarantined
            run = rows_of(store, "SELECT rows_in, loaded, quarantined FROM ingest_runs")[0]
            assert run == {
                "rows_in": result.rows_in,
                "loaded": result.loaded,
                "quarantined": result.quarantined,
            }


# -- profiles on real vendor layouts ---------------------------------------------------------


class TestProfiles:
    def test_real_vendor_russian_import_file(self, store, shared_data):
        path = shared_data / "trade/firm_level_samples_aaziko/russia_import_full.csv.gz"
        result = ingest(store, [path])
        file = result.files[0]
        assert file.profile == "words"  # read from its header words, no built-in profile
        assert (file.reading["direction"], file.reading["reporter_country"]) == ("import", "RU")
        assert (result.rows_in, result.loaded) == (2, 2)
        rows = rows_of(store, "SELECT * FROM declarations ORDER BY value_usd")
        assert {(r["direction"], r["reporter_country"]) for r in rows} == {("import", "RU")}
        assert rows[0]["importer_country"] == "RU"  # from the reporter, not a constant
        assert rows[0]["importer_name"] == "ООО МЕГАПОЛИС БАЛТИКА"
        assert rows[0]["importer_name_alt"] == "OOO MEGAPOLIS BALTIKA"
        assert rows[0]["declaration_id"] == "10012020/310325/5016594"
        assert rows[0]["importer_id"] == "3905601620"
        assert rows[0]["exporter_name"] == "KEDAR CERA LLP"
        assert rows[0]["origin_country"] == "IN"
        assert rows[0]["hs6"] == "690721" and rows[0]["value_usd"] == 83.02
        assert rows[0]["value_usd_source"] == "declared"  # TOTAL_VALUE_USD wins over RUB
        assert sum(r["value_usd"] for r in rows) == pytest.approx(60745.79)

    def test_vendor_short_layout_splits_inn_from_name(self, store, shared_data):
        path = shared_data / "trade/firm_level_samples_aaziko/russia_import_short.csv.gz"
        result = ingest(store, [path])
        assert result.rows_in == result.loaded + result.quarantined
        [row] = rows_of(
            store,
            "SELECT importer_id, importer_name, date FROM declarations WHERE source_row = 1",
        )
        assert row["importer_id"] == "7722476458"
        assert row["importer_name"] == "OOO YATASH RUS"
        assert row["date"].isoformat() == "2023-04-01"  # "Apr 2023"

    def test_us_bill_of_lading(self, store, shared_data):
        path = shared_data / "trade/firm_level_samples_aaziko/us_import_610990_1.csv.gz"
        result = ingest(store, [path])
        file = result.files[0]
        assert file.profile == "words"
        assert (file.reading["direction"], file.reading["reporter_country"]) == ("import", "US")
        assert (result.rows_in, result.loaded, result.quarantined) == (18, 15, 3)
        quarantined = rows_of(store, "SELECT row, reason FROM quarantine ORDER BY row")
        assert quarantined == [  # consignee, shipper and notify party all empty
            {"row": r, "reason": "no importer or exporter name"} for r in (9, 10, 11)
        ]
        row = rows_of(store, "SELECT * FROM declarations WHERE source_row = 1")[0]
        assert row["importer_name"] == "ANATOLIA TILES AND STONE INC"
        assert row["trading_country"] == "IN"  # COUNTRY "IN, INDIA", the partner
        assert row["importer_country"] == "US"  # the reporter's own party
        assert (row["direction"], row["reporter_country"]) == ("import", "US")

    def test_generic_english_and_map_override(self, store, tmp_path):
        path = write_csv(
            tmp_path / "mine.csv",
            [
                ["Entry number", "Date", "Buyer", "Seller", "HS code", "Amount (USD)"],
                ["E1", "2023-01-05", "Acme LLC", "Foo GmbH", "847150", "1,234.50"],
            ],
        )
        ru = Options(reporter="RU")
        # "Amount (USD)" is read by its words; "Seller" as the exporter
        result = ingest(store, [path], options=ru)
        assert result.files[0].profile == "words" and result.loaded == 1
        assert rows_of(store, "SELECT value_usd, exporter_name FROM declarations") == [
            {"value_usd": 1234.5, "exporter_name": "Foo GmbH"}
        ]
        # --map overrides what the words say: the seller column read as the importer
        other = write_csv(tmp_path / "other.csv", [
            ["Entry number", "Date", "Client", "Seller", "HS code", "Total"],
            ["E2", "2023-01-05", "Acme LLC", "Foo GmbH", "847150", "1,234.50"],
        ])  # fmt: skip
        ru = Options(reporter="RU", direction="import")
        with pytest.raises(ProfileError, match="no column for a value or quantity"):
            ingest(store, [other], options=ru)
        result = ingest(
            store, [other], overrides={"Total": "value_usd", "Client": "importer_name"}, options=ru
        )
        assert result.loaded == 1
        assert rows_of(
            store, "SELECT value_usd, importer_name FROM declarations WHERE declaration_id = 'E2'"
        ) == [{"value_usd": 1234.5, "importer_name": "Acme LLC"}]

    def test_unknown_profile(self, store, tmp_path):
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS])
        with pytest.raises(ProfileError, match="unknown profile 'nope'"):
            ingest(store, [path], profile="nope")


# -- the command line ---------------------------------------------------------------------


class TestCommandLine:
    def test_ingest_json_contract(self, cli, tmp_path):
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS])
        result = cli("ingest", path, "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert list(data) == ["rows_in", "loaded", "quarantined", "files"]
        assert (data["rows_in"], data["loaded"], data["quarantined"]) == (2, 2, 0)
        assert data["files"][0]["file"] == str(path)

    def test_sql_is_read_only_and_returns_rows(self, cli, tmp_path):
        path = write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS])
        cli("ingest", path)
        result = cli("sql", "SELECT count(*) AS n FROM declarations", "--json")
        assert json.loads(result.output) == [{"n": 2}]

    @pytest.mark.parametrize(
        "args, message",
        [
            (["ingest", "missing.csv"], "missing.csv: no such file"),
            (["ingest", "{ru}", "--profile", "nope"], "unknown profile 'nope'"),
            (["ingest", "{bad}"], "cannot map the header"),
            (["ingest", "{xlsx}"], "not a readable Excel workbook"),
            (["ingest", "{gz}"], "cannot read file"),
            (["sql", "DELETE FROM declarations"], "read-only"),
        ],
    )
    def test_user_mistakes_are_one_line(self, cli, run_cli, tmp_path, args, message):
        files = {
            "ru": write_csv(tmp_path / "ru.csv", [RU_HEADER, *GOOD_ROWS]),
            "bad": write_csv(tmp_path / "bad.csv", [["foo", "bar"], ["1", "2"]]),
            "xlsx": tmp_path / "broken.xlsx",
            "gz": tmp_path / "cut.csv.gz",
        }
        files["xlsx"].write_bytes(b"PK\x03\x04 not really a workbook")
        files["gz"].write_bytes(gzip.compress(",".join(RU_HEADER).encode() * 50)[:60])
        assert cli("ingest", files["ru"]).exit_code == 0
        proc = run_cli(*[a.format(**files) for a in args])
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_input_error_names_the_file(store, tmp_path):
    path = tmp_path / "table.parquet"
    path.write_text("not parquet")
    with pytest.raises(InputError, match="table.parquet"):
        ingest(store, [path])


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A SYNTHETIC sample file of about 1,800 records, some rejected, some malformed."""
    from tradetrace.sample.generator import generate_sample

    folder = tmp_path_factory.mktemp("batches")
    generate_sample(folder, rows=3_000, seed=5)
    return folder / "synthetic_ru_customs_2018_2021.csv"


@pytest.mark.slow
class TestBatches:
    """A file goes through in batches (of several engine row groups, read one batch ahead);
    tiny batches here, so a small sample spans many, each with rejected and malformed rows."""

    @staticmethod
    def contents(store) -> tuple[list[dict], list[dict]]:
        declarations = rows_of(store, "SELECT * FROM declarations ORDER BY source_row")
        quarantine = rows_of(store, "SELECT * FROM quarantine ORDER BY row")
        return declarations, quarantine

    def test_small_batches_load_the_same_rows(self, sample, tmp_path, monkeypatch):
        from tradetrace.ingest import readers

        with open_store(tmp_path / "whole.duckdb") as store:
            whole = ingest(store, [sample]).files[0]
            expected = self.contents(store)
        monkeypatch.setattr(pipeline, "ROW_GROUP_ROWS", 100)
        monkeypatch.setattr(pipeline, "STAGE_ROWS", 300)
        monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 4096)
        batches: list[int] = []
        with open_store(tmp_path / "batched.duckdb") as store:
            stage_copy = store.stage_copy

            def counted(name, batch):
                batches.append(batch.num_rows)
                return stage_copy(name, batch)

            monkeypatch.setattr(store, "stage_copy", counted)
            result = ingest(store, [sample]).files[0]
            assert self.contents(store) == expected
        assert (result.rows_in, result.loaded, result.quarantined) == (
            whole.rows_in, whole.loaded, whole.quarantined
        )  # fmt: skip
        assert result.quarantined > 0 and result.rows_in == result.loaded + result.quarantined
        assert batches[0] == 100 and set(batches[1:-1]) == {300} and len(batches) > 5
        declarations, quarantine = expected
        assert {(d["source_file"], d["ingest_id"]) for d in declarations} == {
            (str(sample), whole.sha256)
        }
        assert {(q["file"], q["ingest_id"]) for q in quarantine} == {(str(sample), whole.sha256)}

    def test_a_reader_error_mid_file_leaves_nothing(self, sample, store, tmp_path, monkeypatch):
        """The reader runs in its own thread; its error reaches the ingest, which discards the
        batches already written."""
        from tradetrace.ingest import readers

        monkeypatch.setattr(pipeline, "ROW_GROUP_ROWS", 100)
        monkeypatch.setattr(pipeline, "STAGE_ROWS", 200)
        monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 4096)
        damaged = tmp_path / "damaged.csv"
        data = sample.read_bytes()
        cut = data.index(b"\n", len(data) // 2) + 1
        row = ",".join(["Ромашка"] * 24).encode("cp1251")  # a whole row, but not UTF-8
        damaged.write_bytes(data[:cut] + row + b"\n" + data[cut:])
        with pytest.raises(InputError, match="damaged.csv: row after"):
            ingest(store, [damaged])
        assert store.count("declaration_rows") == 0
        assert store.count("quarantine_rows") == 0
        assert store.count("ingest_runs") == 0


def test_read_ahead_stops_and_closes_when_left_early() -> None:
    closed = []

    def items():
        try:
            yield from range(100)
        finally:
            closed.append(True)

    with pipeline._ReadAhead(items()) as ahead:
        for item in ahead:
            if item == 3:
                break
    assert closed == [True]
