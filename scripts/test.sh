#!/usr/bin/env bash
# Every test: set up, then the C++ unit tests (GoogleTest), the harness tests and the
# end-to-end tests of the real binary (pytest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
export AKG_PYTHON="$(cat build/akg_python)"
echo "[test] C++ unit tests"
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 120)
echo "[test] harness, cheat corpus and end-to-end tests"
PYTHONPATH="$root/harness" "$AKG_PYTHON" -m pytest -q harness/tests tests/cheats tests/e2e
