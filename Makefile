# Shortcuts over scripts/ and the venv. `make help` lists them.
PY := .venv/bin/python
RUFF := .venv/bin/ruff

.PHONY: help setup app test test-fast test-browser notebooks lint format bench ingest-demo clean-store crossencoder stance-classifier

help:
	@echo "setup        create .venv, build/install llama-cpp-python, prepare the model, load the demo archive"
	@echo "app          setup, then serve the app on http://127.0.0.1:\$${PORT:-8501}"
	@echo "test         setup, ruff, then every test (unit and integration)"
	@echo "test-fast    unit tests only: pytest -m \"not integration\""
	@echo "test-browser the Playwright tests in tests/browser (Debian chromium, the real model)"
	@echo "notebooks    run notebooks/*.ipynb under nbmake (FACTCHECK_NB_LIMIT items, default 4)"
	@echo "lint         ruff check and ruff format --check"
	@echo "format       ruff format and ruff check --fix"
	@echo "bench        bench/bench_ingest.py and bench/bench_check.py (print JSON figures)"
	@echo "ingest-demo  python cli.py ingest data/demo/archive (adds nothing already there)"
	@echo "clean-store  delete the configured Chroma store folder (FACTCHECK_STORE_DIR)"
	@echo "crossencoder make the training pairs and train chains/crossencoder (torch, in .venv-train; ~30 min)"
	@echo "stance-classifier record the model on 900 other Climate-FEVER pairs (~17 min), fit chains/stance_classifier.json"

setup:
	bash scripts/setup.sh

app:
	bash scripts/run_app.sh

test:
	bash scripts/run_tests.sh

test-fast:
	FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh
	$(PY) -m pytest -m "not integration"

test-browser:
	FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh
	$(PY) -m pytest tests/browser

notebooks:
	FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh
	$(PY) -m pytest notebooks

lint:
	$(RUFF) check .
	$(RUFF) format --check .

format:
	$(RUFF) format .
	$(RUFF) check --fix .

bench:
	FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_check.py

ingest-demo:
	FACTCHECK_SKIP_DEMO=1 bash scripts/setup.sh
	$(PY) cli.py ingest data/demo/archive

# Deletes the store folder that settings resolve to, but only if it is a Chroma store
# (it holds chroma.sqlite3), so a mistyped FACTCHECK_STORE_DIR cannot remove anything else.
clean-store:
	@dir="$$($(PY) -c 'import sys; from settings import Settings; s = Settings(); \
	    sys.exit("clean-store: the store is a Chroma server: nothing deleted") \
	    if s.chroma_host else print(s.store_dir)')" \
	    || exit 1; \
	if [ ! -e "$$dir" ]; then echo "clean-store: $$dir does not exist"; \
	elif [ -f "$$dir/chroma.sqlite3" ]; then rm -rf -- "$$dir" && echo "clean-store: deleted $$dir"; \
	else echo "clean-store: $$dir is not a Chroma store (no chroma.sqlite3): not deleted" >&2; exit 1; fi

# The cross-encoder's training (docs/EVALUATION.md): its own venv, so the product stays
# torch-free. The card in chains/crossencoder/ records the commands, seed and data hashes.
crossencoder:
	test -x .venv-train/bin/python || python3 -m venv .venv-train
	.venv-train/bin/pip install -q -r requirements-train.txt
	$(PY) -m eval.crossencoder_data --bbc ../shared/eval/archive/bbc-2005 \
		--climate-fever ../shared/eval/verdicts/climate-fever.jsonl --out /tmp/ce-pairs.jsonl --per-article 2
	.venv-train/bin/python -m eval.train_crossencoder --pairs /tmp/ce-pairs.jsonl \
		--out chains/crossencoder --epochs 1.0 --lr 8e-5

# The stance classifier and its gate on contradictions (docs/EVALUATION.md): fitted on
# Climate-FEVER pairs of the claims the reported 300-pair sample does not touch. The
# split's file name is part of the recorded runs' key: keep it to replay them.
stance-classifier:
	$(PY) -m eval.climate_fever_split ../shared/eval/verdicts/climate-fever.jsonl /tmp/cf-dev.jsonl
	$(PY) cli.py eval verdicts --data /tmp/cf-dev.jsonl --view pairs --limit 900 --format json > /dev/null
	$(PY) -m eval.fit_stance --data /tmp/cf-dev.jsonl:pairs:900
