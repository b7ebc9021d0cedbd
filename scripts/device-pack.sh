#!/usr/bin/env bash
# Packs everything the one-command device check needs into one folder that
# travels to a GPU machine with no package registry (issue 13):
#   scripts/device-pack.sh BUILD_DIR [OUT_DIR=.device/pack]
# BUILD_DIR must be a CUDA build (sm_90, CUDA runtime static). The binaries
# and the non-system shared libraries go through ../shared/device/pack.sh
# when it exists, else through our own scripts/device-pack-libs.sh (a clean
# clone, CI); GL_PACK_SCRIPT overrides the choice. The device check scripts
# and a MANIFEST are added, and the result is checked: every library each
# packed binary needs resolves, and nothing outside the host's C/C++ runtime
# and CUDA driver resolves outside the pack.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [OUT_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd)
out=${2:-$repo/.device/pack}
max_bytes=$((48 * 1024 * 1024))  # the tree, the pack and $OUT share 64 MiB

grep -q '^GRIDLEDGER_CUDA:BOOL=ON' "$build/CMakeCache.txt" &&
  grep -q '^CMAKE_CUDA_COMPILER:STRING=/' "$build/CMakeCache.txt" ||
  { echo "device-pack: $build is not a CUDA build (no nvcc found at configure time)" >&2; exit 3; }

exes=(
  "$build/tools/gridledger"
  "$build/bench/gridledger_bench"
  "$build/tests/gpu/gpu_verify_test"
  "$build/tests/gpu/gpu_math_test"
)
for exe in "${exes[@]}"; do
  [ -x "$exe" ] || { echo "device-pack: missing $exe (build it first)" >&2; exit 2; }
done

packer=${GL_PACK_SCRIPT:-}
if [ -z "$packer" ]; then
  if [ -f "$repo/../shared/device/pack.sh" ]; then
    packer=$repo/../shared/device/pack.sh
  else
    packer=$here/device-pack-libs.sh
  fi
fi
rm -rf "$out"
bash "$packer" "$out" "${exes[@]}"
cp "$here/device-check.sh" "$out/device-check.sh"
chmod +x "$out/device-check.sh"
mkdir -p "$out/data"
cp "$repo/tests/device/bip340_vectors.csv" "$repo/tests/device/bip340_vectors.expected" "$out/data/"

# Self-containment: with only the pack's lib/ on the library path, every
# dependency resolves, and each one outside the host runtime comes from lib/.
host_only='^(linux-vdso|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so|ld-linux|libpthread\.so|libdl\.so|librt\.so|libcuda\.so|libnvidia)'
lib=$(cd "$out/lib" && pwd)
for bin in "$out"/bin/*; do
  deps=$(env -u LD_LIBRARY_PATH LD_LIBRARY_PATH="$lib" ldd "$bin")
  if grep -q 'not found' <<<"$deps"; then
    echo "device-pack: $(basename "$bin") has unresolved libraries:" >&2
    grep 'not found' <<<"$deps" >&2; exit 1
  fi
  while read -r name path; do
    [[ $name =~ $host_only ]] && continue
    [[ $path == "$lib/"* ]] ||
      { echo "device-pack: $(basename "$bin"): $name resolves outside the pack ($path)" >&2; exit 1; }
  done < <(awk '/=> \// {print $1, $3}' <<<"$deps")
done

{
  echo "gridledger device pack"
  echo "commit: $(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown os}")"
  echo "nvcc: $(grep '^CMAKE_CUDA_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2)"
  echo "packer: $packer"
  (cd "$out" && sha256sum bin/* device-check.sh data/*)
} >"$out/MANIFEST"

bytes=$(du -sb "$out" | cut -f1)
echo "device-pack: $out is $((bytes / 1024 / 1024)) MiB ($bytes bytes)"
[ "$bytes" -le "$max_bytes" ] ||
  { echo "device-pack: over the $((max_bytes / 1024 / 1024)) MiB budget" >&2; exit 1; }
