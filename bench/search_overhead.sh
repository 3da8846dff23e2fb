#!/usr/bin/env bash
# Builds bench/search_overhead.cc against an existing build's libakg_lib.a and runs it.
#   bench/search_overhead.sh [BUILD_DIR]     (default: build)
# Prints JSON: per run (serial; 4 in flight on 2 slots) the wall time, time inside the fakes,
# the agent's overhead per candidate, and the process's peak RSS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/search_overhead"
g++ -std=c++20 -O2 -I "$root/src" -DAKG_SOURCE_DIR="\"$root\"" "$root/bench/search_overhead.cc" \
  "$build/libakg_lib.a" -lyaml-cpp -lfmt -lcurl -lpthread -o "$bin"
"$bin"
