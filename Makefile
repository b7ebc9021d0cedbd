# Thin front end over CMake (as DuckDB does): `make demo`, `make test`, `make bench`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-asan test-tsan demo demo-transfer chaos pipeline bench profile fuzz fuzz-seeds device-pack clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 900

# The fast deterministic suites under AddressSanitizer + UBSan (only their
# targets are built, to keep CI short), in the clang sanitizer build that
# `make fuzz` reuses (build-fuzz/; scripts/sanitizer-build.sh), so CI compiles
# the libraries under the sanitizers once.
ASAN_TARGETS ?= core_test execution_test storage_test consensus_test consensus_security_test net_test net_security_test gpu_math_test
test-asan: deps
	JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" bash scripts/sanitizer-build.sh $(ASAN_TARGETS)
	GL_GPU_MATH_CASES=20000 ctest --test-dir build-fuzz --output-on-failure -j $(JOBS) --timeout 900 -L asan

# The threaded suites (transport, its attack tests, the node runtime, the
# consensus store with its merger thread) under ThreadSanitizer.
# TSAN_OPTIONS: tests/tsan.supp lists what is suppressed, and why.
TSAN_TARGETS ?= net_test net_security_test node_test storage_test
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRIDLEDGER_TSAN=ON $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	$(TSAN_ENV) ctest --test-dir build-tsan --output-on-failure -j $(JOBS) --timeout 900 -L "net|node"
	$(TSAN_ENV) ctest --test-dir build-tsan --output-on-failure -j $(JOBS) --timeout 900 -R '^ConsensusStoreTest\.'

# The microgrid market (issue 10) on four validator processes on loopback,
# one slice: DEMO_DURATION of compressed market days (2 s intervals, 12 to a
# day) with DEMO_PROSUMERS prosumers; prints the ledger and market SUMMARY and
# where its PNGs are (TPS and latency; clearing price and volume per interval).
DEMO_DURATION ?= 60s
DEMO_PROSUMERS ?= 24
demo: build
	$(BUILD_DIR)/tools/gridledger cluster --workload=microgrid --validators=4 --slices=1 \
	  --duration=$(DEMO_DURATION) --prosumers=$(DEMO_PROSUMERS) \
	  --json=$(BUILD_DIR)/demo.json --csv=$(BUILD_DIR)/demo.csv
	@echo "demo: JSON $(BUILD_DIR)/demo.json, series $(BUILD_DIR)/demo.csv, market $(BUILD_DIR)/demo-market.csv"

# The transfer benchmark: ~20 s of open-loop transfers at a rate this 2-core
# machine sustains; prints the cluster SUMMARY.
DEMO_RATE ?= 1000
demo-transfer: build
	$(BUILD_DIR)/tools/gridledger cluster --validators=4 --slices=1 --duration=20s --rate=$(DEMO_RATE) --json=$(BUILD_DIR)/demo-transfer.json --csv=$(BUILD_DIR)/demo-transfer.csv

# A fault campaign (issue 9): one cluster run per seed in CHAOS_SEEDS, each
# CHAOS_DURATION of load while validators are SIGKILLed and restarted or
# SIGSTOPped and resumed at seeded random times (never more than f at once);
# CHAOS_OVER_F=true adds a phase with more than f down. Every seed runs; the
# target fails if any did. Results: $(BUILD_DIR)/chaos-SEED.json.
CHAOS_SEEDS ?= 1 2 3
CHAOS_DURATION ?= 60s
CHAOS_RATE ?= 1000
CHAOS_OVER_F ?= false
chaos: build
	@failed=""; for seed in $(CHAOS_SEEDS); do \
	  $(BUILD_DIR)/tools/gridledger cluster --validators=4 --slices=1 --duration=$(CHAOS_DURATION) \
	    --rate=$(CHAOS_RATE) --chaos=$$seed --chaos_over_f=$(CHAOS_OVER_F) \
	    --json=$(BUILD_DIR)/chaos-$$seed.json || failed="$$failed $$seed"; \
	done; \
	if [ -n "$$failed" ]; then echo "chaos: seeds failed:$$failed"; exit 1; fi; \
	echo "chaos: every seed passed ($(CHAOS_SEEDS))"

# libFuzzer targets (clang) over every parser of outside data, each run for
# FUZZ_SECONDS over its seed corpus in tests/fuzz/corpus/, JOBS targets at a
# time (each libFuzzer run is single-threaded).
FUZZ_SECONDS ?= 30
fuzz: deps
	JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Rewrites the committed seed corpora from the project's own encoders.
fuzz-seeds: deps
	GL_FUZZ_SEEDS=1 bash scripts/fuzz.sh

pipeline: build
	$(BUILD_DIR)/tools/gridledger pipeline

bench: build
	$(BUILD_DIR)/bench/gridledger_bench --benchmark_min_time=0.5

# perf profile of the 4 validators under load, grouped by cost (issue 12):
# `make profile RATE=4000 SECONDS=10` (needs linux-perf and perf_event access).
profile: build
	GRIDLEDGER=$(BUILD_DIR)/tools/gridledger scripts/profile-cluster.sh $(or $(RATE),4000) $(or $(SECONDS),10)

# Builds (CUDA runtime static, sm_90) and packs into .device/pack every binary
# the one-command GPU check needs, with their non-system libraries and
# scripts/device-check.sh; on a lent GPU: OUT=$$OUT bash .device/pack/device-check.sh
# (carry .device/pack). See gpu/README.md.
DEVICE_PACK_DIR ?= .device/pack
DEVICE_TARGETS = gridledger gridledger_bench gpu_verify_test gpu_math_test
NVCC ?= $(firstword $(wildcard /usr/local/cuda/bin/nvcc) $(shell command -v nvcc))
device-pack:
	@test -n "$(NVCC)" || { echo "device-pack: nvcc not found (install CUDA 13 at /usr/local/cuda)"; exit 3; }
	CUDACXX=$(NVCC) cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGRIDLEDGER_CUDA=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(DEVICE_TARGETS)
	bash scripts/device-pack.sh $(BUILD_DIR) $(DEVICE_PACK_DIR)

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-tsan
