#!/usr/bin/env bash
# Installs the Debian 12 packages gridledger builds against, only those missing.
# Idempotent. When not root, prints the exact apt-get line and stops.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  libsecp256k1-dev liblmdb-dev libabsl-dev libssl-dev libasio-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  # JSON output of the operator commands (query, submit)
  nlohmann-json3-dev
  # the argument parser of every gridledger subcommand (tools/cli.h)
  libcli11-dev
  # node config and genesis files are TOML, read strictly (core/common/toml_fields.h)
  libtomlplusplus-dev
  # node log lines with time, level and slice/index (core/common/log.h)
  libspdlog-dev
  # PNG of a benchmark run beside its CSV (cluster, loadgen); optional at run time
  gnuplot-nox
  # make fuzz: libFuzzer comes with clang's runtime
  clang libclang-rt-14-dev
  # make profile: perf record of the validators under load (scripts/profile-cluster.sh)
  linux-perf
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages; run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$line
