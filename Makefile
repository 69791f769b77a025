# tradetrace: two commands on a fresh machine, `make demo` and `make test`.
# Every target bootstraps its own virtual environment (.venv) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared/data)
DEMO   := out/demo
DB     := $(DEMO)/tradetrace.duckdb
export TRADETRACE_SHARED_DATA := $(SHARED)

.PHONY: demo test test-fast lint bench eval clean venv system fuzz loadtest watch-real

# Debian packages the suite needs: Chromium for the browser tests, Pango for PDF reports,
# Java 17 for the Spark backend, Noto CJK so that Hangul and Chinese names render, DejaVu
# (the report's chart font, measured by vl-convert and drawn by WeasyPrint).
# Each is installed only when missing (sudo only when not root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0; }
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends openjdk-17-jre-headless; }
	@fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends fonts-noto-cjk; }
	@fc-list 2>/dev/null | grep -qi 'DejaVu Sans' || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends fonts-dejavu-core; }

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,spark]'
	@touch $(STAMP)

demo: $(STAMP) system
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@if [ -d "$(SHARED)" ]; then $(BIN)/tradetrace --db $(DB) data import "$(SHARED)"; \
	  else echo "note: $(SHARED) not found; skipping reference-data import"; fi
	$(BIN)/tradetrace sample --out $(DEMO)/sample --rows 20000 --seed 7
	$(BIN)/tradetrace --db $(DB) ingest $(DEMO)/sample/synthetic_ru_customs_2018_2021.csv \
	  $(DEMO)/sample/synthetic_ru_customs_2022_2024.csv
	$(BIN)/tradetrace --db $(DB) quarantine --summary
	$(BIN)/tradetrace --db $(DB) resolve
	$(BIN)/tradetrace --db $(DB) entities search "АУРУС" --limit 3
	$(BIN)/tradetrace --db $(DB) sql "SELECT e.name AS supplier, e.country, \
	  len(e.aliases) AS spellings, list_transform(e.aliases, a -> a.script).list_distinct() AS scripts, \
	  count(*) AS lines, round(sum(d.value_usd) / 1e6, 2) AS musd \
	  FROM resolved_declarations d JOIN entities e ON e.entity_id = d.exporter_entity_id \
	  WHERE d.importer_entity_id = 'tt-inn-7743237789' GROUP BY ALL ORDER BY musd DESC"
	@if [ -d "$(SHARED)/sanctions" ]; then \
	  $(BIN)/tradetrace --db $(DB) lists load $(SHARED)/sanctions/ofac/sdn_2024-05-03.csv.gz \
	    $(SHARED)/sanctions/ofac/cons_prim_2025-12-19.csv \
	    $(SHARED)/sanctions/uk_ofsi/uk_ofsi_conlist_2025-04-10.csv.gz $(SHARED)/sanctions/uk_covyr \
	    $(SHARED)/sanctions/un/un_consolidated_2026-02-27.xml.gz && \
	  $(BIN)/tradetrace --db $(DB) screen && \
	  $(BIN)/tradetrace --db $(DB) screen-name "ООО «АУРУС»" --country RU --as-of 2024-03-01 && \
	  $(BIN)/tradetrace --db $(DB) sql "SELECT importer_status AS aurus_status_on_the_day, \
	    count(*) AS lines, min(date) AS first, max(date) AS last, \
	    round(sum(value_usd) / 1e6, 2) AS musd FROM screened_declarations \
	    WHERE importer_entity_id = 'tt-inn-7743237789' GROUP BY 1 ORDER BY 3"; \
	else echo "note: $(SHARED)/sanctions not found; skipping screening"; fi
	@if [ -d "$(SHARED)/trade/aggregate" ]; then \
	  $(BIN)/tradetrace --db $(DB) stats load $(SHARED)/trade/aggregate/*.csv* && \
	  $(BIN)/tradetrace --db $(DB) flows diversion --reporters DE,IT,CZ,LT,PL,EU27_2020 && \
	  $(BIN)/tradetrace --db $(DB) flows series --reporter DE --partner KG --chart out/de-kg.svg \
	    > /dev/null; \
	else echo "note: $(SHARED)/trade/aggregate not found; skipping official statistics"; fi
	@for fmt in html pdf md; do $(BIN)/tradetrace --db $(DB) report "ООО «АУРУС»" \
	  --from 2018-01-01 --to 2023-12-31 --format $$fmt --out out/aurus-report.$$fmt || exit 1; done
	$(BIN)/tradetrace --db $(DB) exposure "ООО «АУРУС»" --from 2018-01-01 --to 2023-12-31
	@echo "demo store: $(DB)  (SYNTHETIC sample data)"
	@echo "reports:    out/aurus-report.html  out/aurus-report.pdf  out/aurus-report.md"
	@echo "statistics: out/de-kg.svg  (real Comext: Germany's exports to Kyrgyzstan, monthly)"
	@echo "dashboard:  $(BIN)/tradetrace --db $(DB) serve   then open http://127.0.0.1:8000/#tt-inn-7743237789"

# The whole suite, the CI gate: one worker per core, each test module on one worker (so its
# module fixtures are built once): about 10.5 min on 2 cores.
test: $(STAMP) system
	TRADETRACE_REQUIRE_BROWSER=1 TRADETRACE_REQUIRE_FUZZ=1 TRADETRACE_REQUIRE_SPARK=1 \
	  $(BIN)/python -m pytest -q -n auto --dist loadfile

# The unit tests, for the edit-and-test loop (about 80 s on 2 cores, one worker per core):
# everything but the end-to-end checks tests/conftest.py marks slow. `make test` is the gate.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n auto -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench eval fuzz loadtest
	$(BIN)/ruff format --check src tests bench eval fuzz loadtest
	$(BIN)/mypy

fuzz: $(STAMP)
	$(BIN)/python fuzz/run.py --seconds $${FUZZ_SECONDS:-60}

loadtest: $(STAMP)
	@test -f $(DB) || $(MAKE) demo
	$(BIN)/python loadtest/run.py --db $(DB)

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Quality figures on labelled data (real vendor files, PATSTAT, Chicago, screening judgements):
# one table with targets, and eval/results.json.
eval: $(STAMP)
	$(BIN)/python eval/run.py

# The README's walk-through on real data only (../shared/data): the 41 real vendor samples
# screened against the OFAC SDN as it stood on 2023-01-01, then `watch` after the 2024-05-03
# list (exit 1: there are alerts).
WATCH_DB := out/watch-real/real.duckdb
watch-real: $(STAMP)
	@test -d "$(SHARED)/trade" || { echo "needs $(SHARED) (the shared real data)"; exit 2; }
	@rm -rf out/watch-real && mkdir -p out/watch-real
	$(BIN)/python eval/real_store.py $(WATCH_DB) --resolve
	$(BIN)/tradetrace --db $(WATCH_DB) lists load \
	  $(SHARED)/sanctions/ofac/sdn_2024-05-03.csv.gz --as-of 2023-01-01
	$(BIN)/tradetrace --db $(WATCH_DB) screen
	$(BIN)/tradetrace --db $(WATCH_DB) lists load $(SHARED)/sanctions/ofac/sdn_2024-05-03.csv.gz
	$(BIN)/tradetrace --db $(WATCH_DB) watch --atom out/watch-real/alerts.atom || test $$? -eq 1
	$(BIN)/tradetrace --db $(WATCH_DB) alerts --md > out/watch-real/alerts.md
	@echo "alerts: out/watch-real/alerts.md  out/watch-real/alerts.atom  (store: $(WATCH_DB))"

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
