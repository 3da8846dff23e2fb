#!/usr/bin/env bash
# Packs the akg_cli built here, with the shared libraries the GPU machine lacks, into .gpu/
# (git-ignored), so a device run can carry it: the GPU image has torch and triton but none of
# the C++ -dev libraries, and no network to install them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rm -rf .gpu && mkdir -p .gpu/lib
cp build/akg_cli .gpu/
ldd build/akg_cli | awk '/=>/ {print $3}' | grep -E 'yaml-cpp|libfmt' | xargs -r -I{} cp -L {} .gpu/lib/
ls -la .gpu .gpu/lib
