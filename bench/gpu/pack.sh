#!/usr/bin/env bash
# Packs the akg_cli built here, with the shared libraries the GPU machine lacks, into .gpu/
# (git-ignored), so a device run can carry it: the GPU image has torch and triton but none of
# the C++ -dev libraries, and no network to install them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rm -rf .gpu && mkdir -p .gpu/lib
build="${AKG_BUILD:-build}"   # another build folder may be named
cp "$build/akg_cli" .gpu/ && strip .gpu/akg_cli  # debug info would not fit the carry limit
# Every shared library but the C/C++ runtime (the GPU image's own, newer ones serve): yaml-cpp,
# fmt, and libcurl with its dependencies.
ldd "$build/akg_cli" | awk '/=>/ {print $3}' \
  | grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' \
  | xargs -r -I{} cp -L {} .gpu/lib/
ls -la .gpu .gpu/lib
