# NetSweep — build, test, run. `make test` and `make run` install what they need on a fresh
# Debian machine (apt-get, as root or through sudo).
SWIFT       ?= swift
EXPERIMENT  ?= experiments/quickstart.yaml
APT_PACKAGES := libopenblas-dev libyaml-dev libhdf5-dev zlib1g-dev pkg-config
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUNNER      := .build/release/runner

.PHONY: all deps build test run reproduce bench fixtures fuzz tsan slurm-deps slurm-test report-test spreadsheet-test clean

all: build

# apt_install: installs the Debian packages of $(1) that are missing (apt-get update first).
define apt_install
	@missing=""; \
	for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

## deps: install the Debian packages the build links against, when missing
deps:
	$(call apt_install,$(APT_PACKAGES))

## build: release build of the runner
build: deps
	$(SWIFT) build -c release --product runner

## test: the whole test suite (debug build)
test: deps
	$(SWIFT) test
	@# The engine's suite again on the baseline kernels (what a CPU without AVX2 + FMA runs).
	NETSWEEP_KERNELS=baseline $(SWIFT) test --skip-build --filter NeuralNetTests

## run: the main job, an embedded-data sweep (EXPERIMENT=... to choose another)
run: build
	$(RUNNER) $(EXPERIMENT)

## reproduce: every seed tutorial's experiment whose data are present; fails when a result drifts
reproduce: build
	tools/reproduce.sh

## spreadsheet-test: the results CSVs opened in LibreOffice Calc (headless, Debian libreoffice-calc-nogui and
## python3-uno, installed when missing): every cell's type and value checked against the CSV
spreadsheet-test: build
	$(call apt_install,libreoffice-calc-nogui python3-uno)
	tools/spreadsheet/test.sh

## bench: NetSweep vs the NumPy baseline on W1-W8, side by side (QUICK=1: 10% of the iterations, one pair, no warm-up;
## TORCH_PYTHON=/path/to/python adds PyTorch columns, manual and autograd)
bench: build
	python3 tools/bench.py $(if $(QUICK),--quick --pairs 1)

## fuzz: libFuzzer on the experiment loader and each binary loader, FUZZ_SECONDS each (default 60);
## a crash stops it with the input saved under fuzz/crashers/ (turn it into a corpus test)
FUZZ_SECONDS ?= 60
# hdf5 fuzzes libhdf5 itself too (not our code): run it with FUZZ_TARGETS=hdf5.
FUZZ_TARGETS ?= experiment idx cifar csv
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz --product fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DNETSWEEP_FUZZ
	@mkdir -p fuzz/crashers
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$target; \
	  echo "make fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  seeds=Tests/ExperimentsTests/Fixtures/corpus/data; \
	  [ $$target = experiment ] && seeds="experiments Tests/ExperimentsTests/Fixtures/corpus/experiments"; \
	  NETSWEEP_FUZZ_TARGET=$$target .build-fuzz/debug/fuzz .build-fuzz/corpus/$$target $$seeds \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix=fuzz/crashers/$$target- -print_final_stats=1 2>&1 | grep -E "^(#|==|INFO: Running|Done|stat::number_of_executed_runs|SUMMARY)" | tail -4 \
	    || exit 1; \
	  test -z "$$(ls fuzz/crashers | grep "^$$target-" 2>/dev/null)" || { echo "make fuzz: $$target crashed: see fuzz/crashers"; exit 1; }; \
	done

## slurm-test: a sweep through a real one-node Slurm cluster (started and stopped here, as root),
## compared byte for byte with a local run; a cancelled task, its merge and the re-submission
SLURM_PACKAGES := slurmctld slurmd slurm-client munge
slurm-deps:
	$(call apt_install,$(SLURM_PACKAGES))

slurm-test: build slurm-deps
	tools/slurm/slurm-test.sh

## report-test: report.html of two sweeps rendered in headless Chromium (installed when missing)
report-test: build
	$(call apt_install,chromium bc)
	tools/report-test.sh

## tsan: the scheduler, sweep and runner tests under ThreadSanitizer. The tests run one at a time:
## TSan's runtime once failed an internal CHECK (tsan_rtl.cpp:261, in ForkChildAfter) in a child
## the test process forked while other tests' threads ran; each test's own threads (the
## scheduler's workers, the runner processes it starts) still run concurrently.
tsan: deps
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread --no-parallel --filter "SweepRunnerTests|SweepExpansionTests|ExpectationTests|RunnerEndToEndTests|UnattendedUseTests|ShardTests|SuccessiveHalvingTests|AsynchronousHalvingTests"

## fixtures: regenerate the NumPy reference values the tests compare against
fixtures:
	python3 tools/make_numpy_fixtures.py

clean:
	rm -rf .build
