#!/usr/bin/env bash
# On a two-GPU machine: why a candidate takes longer while both devices work. The same
# evolve search (bench/gpu/search.sh) under CONDITIONS (default "alone burners pair"): alone on
# GPU 0; pool, on the two-device pool 0,1; burners, alone on GPU 0 with BURNERS busy CPU
# processes beside it (host contention without a second GPU); pair, two independent one-device
# searches at once on GPU 0 and GPU 1 (a second GPU's work without a shared pool). Compare the
# per-step means of phases.md across them. Carry .gpu (see pack.sh).
#
#   TASK=relu (examples/tasks), MAX_CANDIDATES=16, ROUNDS=4, BURNERS=3
# Results in $OUT: report.md (host facts, each condition's summary and phases), runs.tar.gz.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
report="$out/report.md"
{
  echo "# Contention probe"; date -u; nproc
  lscpu | grep -E '^(Model name|Socket|Core|Thread|CPU\(s\)|NUMA node)' || true
  nvidia-smi --query-gpu=index,name,driver_version,persistence_mode,pcie.link.gen.current --format=csv
  nvidia-smi topo -m 2>/dev/null || true
} > "$report" 2>&1
search() {  # name devices
  OUT="$out/$1" TASK_DIR=examples/tasks TASKS="${TASK:-relu}" RUNS="evolve:$2" \
    MAX_CANDIDATES="${MAX_CANDIDATES:-16}" ROUNDS="${ROUNDS:-4}" SEARCH_WALL_S=150 \
    bash "$here/search.sh" > "$out/$1.log" 2>&1
}
for c in ${CONDITIONS:-alone burners pair}; do
  case "$c" in
    alone) search alone 0 ;;
    pool) search pool 0,1 ;;  # the same search on a two-device pool, for comparison with pair
    burners)
      burners=()
      for _ in $(seq "${BURNERS:-3}"); do
        "$AKG_PYTHON" -c 'while True: pass' & burners+=($!)
      done
      search burners 0
      kill "${burners[@]}" 2>/dev/null; wait "${burners[@]}" 2>/dev/null ;;
    pair)
      search pair0 0 & p0=$!
      search pair1 1 & p1=$!
      wait $p0 $p1 ;;
  esac
done
names=()
for c in alone pool burners pair0 pair1; do
  [ -d "$out/$c" ] || continue
  names+=("$c")
  { echo; echo "## $c"; cat "$out/$c/summary.md" "$out/$c/phases.md"; } >> "$report" 2>&1
done
tar -C "$out" -czf "$out/runs.tar.gz" "${names[@]}" && for c in "${names[@]}"; do rm -rf "$out/$c" "$out/$c.log"; done
cat "$report"
