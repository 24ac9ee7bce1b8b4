# hudang — the single entry for setup, demo, test, lint and bench.
# Every target installs what it needs when missing (system packages via apt-get, Python via .venv).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYS_STAMP := .make-system-ok
DEMO_DIR ?= build/demo
APT_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui tesseract-ocr tesseract-ocr-chi-sim \
                tesseract-ocr-chi-tra poppler-utils fonts-noto-cjk ghostscript zstd chromium chromium-driver \
                chromium-l10n libgl1 libglib2.0-0

.PHONY: setup system demo test test-fast coverage lint bench clean

# Byte code compiled at setup: where PYTHONDONTWRITEBYTECODE is set (or the tree is read-only) Python never
# writes it and each command would compile our modules again (a tenth of a second; bench/startup_bench.py).
setup: system $(STAMP)
	@$(BIN)/python -m compileall -q hudang forms archive pipeline index >/dev/null

# System tools: LibreOffice (legacy .doc/.xls and DOCX→PDF), Tesseract with chi_sim/chi_tra and Ghostscript
# (OCRmyPDF), poppler, Noto CJK, zstd (unpacks jieba's dictionary for the query side: index/segmenter.py);
# libGL and GLib for opencv (RapidOCR); Chromium, its driver and its Chinese UI (file and date pickers as an
# office PC shows them) for the web's browser tests.
system:
	@missing=""; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui libreoffice-calc-nogui"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v gs >/dev/null || missing="$$missing ghostscript"; \
	command -v zstd >/dev/null || missing="$$missing zstd"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	ls /usr/lib/chromium/locales/zh-CN.pak >/dev/null 2>&1 || missing="$$missing chromium-l10n"; \
	ls /usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata >/dev/null 2>&1 || missing="$$missing tesseract-ocr-chi-sim"; \
	ls /usr/share/tesseract-ocr/*/tessdata/chi_tra.traineddata >/dev/null 2>&1 || missing="$$missing tesseract-ocr-chi-tra"; \
	ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p | grep -q 'libGL.so.1 ' || missing="$$missing libgl1"; \
	ldconfig -p | grep -q 'libgthread-2.0.so.0 ' || missing="$$missing libglib2.0-0"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	@bash samples/demo.sh "$(DEMO_DIR)"

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# Without the tests marked slow (LibreOffice, subprocess end-to-end runs, the watch service).
test-fast: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

# The suite under coverage.py, subprocesses included (the `hudang` commands, xdist workers, reader
# processes: [tool.coverage.run] in pyproject.toml); prints the total and per-package figures.
COV_DIR := build/coverage
coverage: setup
	rm -rf $(COV_DIR) && mkdir -p $(COV_DIR)
	$(BIN)/coverage run -m pytest -q -n 2 --dist loadgroup
	$(BIN)/coverage combine -q
	$(BIN)/coverage json -q -o $(COV_DIR)/coverage.json
	$(BIN)/python tests/coverage_summary.py $(COV_DIR)/coverage.json

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy hudang forms archive pipeline index

# Every bench in turn (the better part of an hour on 2 cores); `make bench QUICK=1` runs each at small sizes
# (a few minutes: a check that they run, not figures for the record).
BENCHES := ingest watch search report letters ocr import backup startup export web
bench: setup
	@set -e; for b in $(BENCHES); do $(BIN)/python bench/$${b}_bench.py $(if $(QUICK),--quick); done

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
