#!/usr/bin/env bash
# Every test: set up, then the C++ unit tests (GoogleTest), the harness tests and the
# end-to-end tests of the real binary (pytest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
AKG_SETUP_TESTS=1 scripts/setup.sh
export AKG_PYTHON="$(cat build/akg_python)"
echo "[test] C++ unit tests"
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 120)
echo "[test] harness, cheat corpus and end-to-end tests"
# One pytest run per suite: each has its own conftest helpers imported by name.
for suite in harness/tests tests/cheats tests/e2e; do
  echo "[test] pytest $suite"
  PYTHONPATH="$root/harness" "$AKG_PYTHON" -m pytest -q "$suite"
done
