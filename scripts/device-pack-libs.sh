#!/usr/bin/env bash
# Our own copy of the job ../shared/device/pack.sh does, for clean clones (CI)
# where ../shared is absent: copy executables and the shared libraries they
# need that a bare CUDA host may lack into OUT_DIR/{bin,lib}, and write
# OUT_DIR/run.sh that runs one of them with OUT_DIR/lib first on the library
# path. The C/C++ runtime and the CUDA driver are left out on purpose (the GPU
# host's own are used; the CUDA runtime is linked statically).
# Usage: device-pack-libs.sh OUT_DIR EXECUTABLE...
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR EXECUTABLE..." >&2; exit 2; }
out=$1; shift
mkdir -p "$out/bin" "$out/lib"
host_only='^(linux-vdso|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so|ld-linux|libpthread\.so|libdl\.so|librt\.so|libcuda\.so|libnvidia)'
for exe in "$@"; do
  [ -x "$exe" ] || { echo "not an executable: $exe" >&2; exit 2; }
  if ldd "$exe" | grep -q 'not found'; then
    echo "unresolved libraries in $exe:" >&2; ldd "$exe" | grep 'not found' >&2; exit 1
  fi
  cp -L "$exe" "$out/bin/"
  strip --strip-unneeded "$out/bin/$(basename "$exe")" 2>/dev/null || true
  ldd "$exe" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    [[ $name =~ $host_only ]] && continue
    [ -e "$out/lib/$name" ] || cp -L "$path" "$out/lib/$name"
  done
done
cat >"$out/run.sh" <<'EOS'
#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exe=$1; shift
exec "$here/bin/$exe" "$@"
EOS
chmod +x "$out/run.sh"
du -sh "$out" | awk '{print "packed " $1 " into " $2 " (the device carries at most 64 MiB in all)"}'
