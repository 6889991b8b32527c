# NetSweep — build, test, run. `make test` and `make run` install what they need on a fresh
# Debian machine (apt-get, as root or through sudo).
SWIFT       ?= swift
EXPERIMENT  ?= experiments/quickstart.yaml
APT_PACKAGES := libopenblas-dev libyaml-dev libhdf5-dev zlib1g-dev pkg-config
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUNNER      := .build/release/runner

.PHONY: all deps build test run reproduce bench fixtures clean

all: build

## deps: install the Debian packages the build links against, when missing
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: release build of the runner
build: deps
	$(SWIFT) build -c release --product runner

## test: the whole test suite (debug build)
test: deps
	$(SWIFT) test

## run: the main job, an embedded-data sweep (EXPERIMENT=... to choose another)
run: build
	$(RUNNER) $(EXPERIMENT)

## reproduce: every seed tutorial's experiment whose data are present; fails when a result drifts
reproduce: build
	tools/reproduce.sh

## bench: NetSweep vs the NumPy baseline on W1-W7, side by side (QUICK=1: 10% of the iterations, one pair, no warm-up)
bench: build
	python3 tools/bench.py $(if $(QUICK),--quick --pairs 1)

## fixtures: regenerate the NumPy reference values the tests compare against
fixtures:
	python3 tools/make_numpy_fixtures.py

clean:
	rm -rf .build
