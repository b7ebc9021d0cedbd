# Thin front end over CMake (as DuckDB does): `make demo`, `make test`, `make bench`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-asan demo pipeline bench clean

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

# Core, storage and execution tests under AddressSanitizer + UBSan.
test-asan: deps
	$(MAKE) BUILD_DIR=build-asan CMAKE_FLAGS="-DGRIDLEDGER_SANITIZE=ON" build
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) --timeout 900 -L asan

demo: build
	$(BUILD_DIR)/tools/gridledger pipeline

pipeline: build
	$(BUILD_DIR)/tools/gridledger pipeline

bench: build
	$(BUILD_DIR)/bench/gridledger_bench --benchmark_min_time=0.5

clean:
	rm -rf $(BUILD_DIR) build-asan
