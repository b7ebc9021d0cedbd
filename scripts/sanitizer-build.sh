#!/usr/bin/env bash
# Configures and builds TARGETs in the one clang sanitizer build, build-fuzz/
# (GRIDLEDGER_FUZZ=ON: every object is compiled with address,undefined and
# fuzzer-no-link). `make test-asan` builds its test targets there and `make
# fuzz` its libFuzzer targets, so the libraries they share compile once.
#   scripts/sanitizer-build.sh TARGET...
# There is no gcc fallback: `make deps` installs clang, so a fallback would
# never run on a supported setup. `cmake -DGRIDLEDGER_SANITIZE=ON` still
# gives a gcc ASan+UBSan build by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
if ! command -v clang++ >/dev/null; then
  echo "sanitizer build: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGRIDLEDGER_FUZZ=ON ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "$@"
