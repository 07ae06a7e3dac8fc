# Two commands do everything on a fresh machine:  make demo  ·  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PERIOD ?= 2022-06

.PHONY: demo test lint install clean

$(BIN)/minsheng: setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $@

install: $(BIN)/minsheng

demo: install
	$(BIN)/minsheng run --period 2022-05
	$(BIN)/minsheng run --period $(PERIOD)
	@echo "报表已生成：outputs/$(PERIOD)/"

test: install
	$(BIN)/ruff check pipeline tests benchmarks tools
	$(BIN)/ruff format --check pipeline tests benchmarks tools
	$(BIN)/mypy pipeline
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pipeline tests benchmarks tools
	$(BIN)/mypy pipeline

clean:
	rm -rf $(VENV) outputs/20* minsheng.db
