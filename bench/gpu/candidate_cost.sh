#!/usr/bin/env bash
# On the GPU machine: where one candidate's device time goes. CUDA start-up probe, then the
# builtin relu kernel through default (eager baseline only, then eager + torch.compile) and a
# 4-candidate evolve; every verify/profile log carries the harness's elapsed-time notes.
# Carry .gpu (see pack.sh). Results in $OUT: probe.json, phases.txt, runs.tar.gz.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$out/runs"
nvidia-smi --query-gpu=name,driver_version,persistence_mode --format=csv,noheader | tee "$out/phases.txt"
"$AKG_PYTHON" bench/gpu/cuda_start_probe.py > "$out/probe.json" 2>&1; cat "$out/probe.json"
task="${TASK:-examples/tasks/relu.py}"
run() {  # name baselines workflow
  cat > "$out/$1.yaml" <<YAML
profile_settings: {run_times: 30, warmup_times: 5, baselines: [$2]}
verify_settings: {trials: 3}
search: {rounds: 2, islands: 2, population: 2, elite: 1, migration_interval: 2, inspirations: 2,
         max_candidates: 4, max_wall_s: 120, patience: 6, concurrency: 2, ucb_c: 1.0, seed: 0}
YAML
  local start=$SECONDS
  .gpu/akg_cli op --framework torch --backend cuda --arch h100 --dsl triton_cuda --devices 0 \
    --task "$task" --workflow "$3" --config "$out/$1.yaml" --out "$out/runs/$1" > "$out/runs/$1.log" 2>&1
  echo "== $1: exit $? after $((SECONDS - start)) s" | tee -a "$out/phases.txt"
  for f in $(find "$out/runs/$1" -name 'verify.log' -o -name 'profile.log' -o -name meta.json | sort); do
    echo "-- ${f#$out/runs/}" >> "$out/phases.txt"
    case "$f" in
      *.log) grep -E '^\[akg_harness \+' "$f" >> "$out/phases.txt" ;;
      *) "$AKG_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["timings_s"])' "$f" >> "$out/phases.txt" ;;
    esac
  done
}
run default-eager eager default
run default-compile "eager, torch_compile" default
run evolve-eager eager evolve
cat "$out/phases.txt"
tar -C "$out" -czf "$out/runs.tar.gz" runs && rm -rf "$out/runs"
