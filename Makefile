# fabricd: the two quick-start commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?=
## the lab of `make demo`: seed (openconfig switches) or seed-srl (Nokia SR Linux)
LAB ?= seed


.PHONY: deps front tools plugin noderoot test check lint format typecheck layers pytest proto golden demo demo-down bench clean

deps:
	@scripts/install-deps.sh $(VENV)
	@$(PY) scripts/front.py install $(VENV)

## front: fabricd-front, the API front end in Go (front/), built into ~/.cache/fabricd/build (FABRIC_BUILD_CACHE)
## and installed beside the venv's Python, where fabricd finds it; part of deps. Cold: ~1 minute
front:
	@$(PY) scripts/front.py install $(VENV)

## tools: the third-party programs the tests run (kube-apiserver, kubectl, etcd, libcni's cnitool), built from
## the Go module proxy into ~/.cache/fabricd/tools (FABRIC_TOOLS_CACHE), keyed by version; cold: ~15 minutes
tools:
	@python3 scripts/tools.py build

## plugin: fabric-cni as a self-contained directory (PyInstaller --onedir) in ~/.cache/fabricd/build
## (FABRIC_BUILD_CACHE), keyed by a hash of cni/, proto/ and the versions; cold: ~30 s
plugin: deps
	@$(PY) scripts/nodeimage.py plugin

## noderoot: a minimal Debian root (debootstrap --variant=minbase, the suite apt uses here) the bundled
## plugin is tested in, in the same cache; cold: ~1 minute, 175 MB
noderoot:
	@python3 scripts/nodeimage.py root

## test: install what is needed, then every check and the whole test suite
test: deps check tools plugin noderoot pytest

check: lint typecheck layers

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if command -v go >/dev/null; then \
		test -z "$$(gofmt -l front)" || { gofmt -l front; echo "gofmt: the files above need formatting"; exit 1; }; \
		(cd front && GOFLAGS=-mod=readonly go vet ./...); fi

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck:
	$(BIN)/mypy models topology controller labs cni bench

layers:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

## proto: regenerate proto/fabric/v1/*_pb2*.py after editing fabric.proto
proto: deps
	$(PY) scripts/genproto.py

## golden: rewrite every golden file from the current code (review the diff!)
golden: deps
	FABRIC_REGEN_GOLDEN=1 $(BIN)/pytest -q -m "not e2e"
	git status --short tests/golden labs

## demo: the seed scenario (lab + fabricd on SQLite + pods + ping matrix); keeps running
## (LAB=seed-srl: the same on SR Linux switches)
## K8S=1: through a Kubernetes API server of its own (built by `make tools` from the tools cache, ~15 min cold)
demo: deps
	@K8S=$(K8S) scripts/demo.sh up $(LAB)

## demo-down: remove everything the demo created
demo-down:
	@scripts/demo.sh down $(LAB)

bench: deps
	$(PY) -m bench all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
